"""torchkeras: Keras programs on PyTorch.

Change ``keras`` to ``torchkeras`` in a script's imports: the same layers, shapes, parameter
counts, ``summary()``, ``fit()`` and History, on plain ``torch.nn`` modules.
``install_as_keras()`` (or ``python -m torchkeras script.py``) serves ``import keras`` and
``tf.keras`` from torchkeras without editing the script.

Not to be confused with the unrelated PyPI package also called ``torchkeras``.
"""
import sys

from torchkeras import (activations, backend, callbacks, constraints, initializations,
                        initializers, layers, losses, metrics, mixed_precision, models,
                        objectives, optimizers, regularizers, saving, utils)
from torchkeras.config import __version__
from torchkeras.importer import install as install_as_keras
from torchkeras.layers.input_layer import Input
from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential
from torchkeras.saving import serialization as _serialization

# A Lambda function loaded from a file sees the names a Keras script gives it.
_serialization.provide_lambda_namespace(K=backend, backend=backend, keras=sys.modules[__name__])


__all__ = [
    'Input', 'Model', 'Sequential', 'install_as_keras', '__version__',
    'activations', 'backend', 'callbacks', 'constraints', 'initializations', 'initializers',
    'layers', 'losses', 'metrics', 'mixed_precision', 'models', 'objectives', 'optimizers',
    'regularizers', 'saving', 'utils',
]
