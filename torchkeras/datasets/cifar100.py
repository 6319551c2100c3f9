"""CIFAR-100, read from the ``cifar-100-python`` folder (or its tarball) in the Keras cache."""
import os

import numpy as np

from torchkeras.config import image_data_format
from torchkeras.datasets._common import dataset_path
from torchkeras.datasets.cifar10 import load_batch

__all__ = ['load_data']

DIRNAME = 'cifar-100-python'


def load_data(label_mode='fine'):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
    (10000, 32, 32, 3) (channels first under that image_data_format), uint8 labels (n, 1) of
    the 100 fine classes, or of the 20 coarse ones with ``label_mode='coarse'``."""
    if label_mode not in ('fine', 'coarse'):
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
                         'label_mode=%r.' % (label_mode,))
    folder = dataset_path(DIRNAME, 'cifar100', untar=True)
    key = label_mode + '_labels'
    x_train, y_train = load_batch(os.path.join(folder, 'train'), label_key=key)
    x_test, y_test = load_batch(os.path.join(folder, 'test'), label_key=key)
    y_train = np.asarray(y_train, dtype='uint8').reshape(-1, 1)
    y_test = np.asarray(y_test, dtype='uint8').reshape(-1, 1)
    if image_data_format() == 'channels_last':
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
