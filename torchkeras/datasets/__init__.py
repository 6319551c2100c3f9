"""``keras.datasets``: the Keras datasets read from a local cache, never downloaded.

Each loader reads the file Keras itself caches under ``$KERAS_HOME/datasets`` (default
``~/.keras/datasets``) and returns what Keras returns; a missing file raises
``FileNotFoundError`` naming the file and the folder.  ``pima`` is a synthetic Pima Indians
diabetes table bundled with the package.
"""
from torchkeras.datasets import (boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                                 pima, reuters)

__all__ = ['boston_housing', 'cifar10', 'cifar100', 'fashion_mnist', 'imdb', 'mnist', 'pima',
           'reuters']
