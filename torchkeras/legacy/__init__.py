"""Keras 1 names and arguments, mapped to their Keras 2 spellings with one warning each.

- ``renames.py`` is the one table of renamed layer arguments (``Dense(output_dim=)``,
  ``Convolution2D(32, 3, 3, border_mode=)``, ``LSTM(inner_activation=)``...).  The Layer base
  class calls :func:`translate_layer_args` once per construction, so every layer (and every
  subclass, matched through the MRO by class name) accepts the Keras 1 spelling.
- The Keras 1 layer classes that have no Keras 2 class of the same name (``Merge``/``merge``,
  ``Highway``, ``MaxoutDense``, ``TimeDistributedDense``) are layers, and live with them in
  ``torchkeras/layers/legacy.py``; this package stands below everything that warns (it
  imports only ``torchkeras.config``).

Each Keras 1 spelling warns once per process (a ``DeprecationWarning`` that names the modern
spelling), pointed at the user's line.
"""
from torchkeras.legacy import renames
from torchkeras.legacy.deprecation import reset_warnings, warn_once, warn_renamed

__all__ = ['warn_renamed', 'warn_once', 'translate_layer_args', 'reset_warnings']


def translate_layer_args(cls, args, kwargs):
    """Keras 1 constructor arguments of a layer class -> Keras 2 ones (one table, one warning
    per spelling).  Called once per layer construction by the Layer base class."""
    return renames.translate(cls, args, kwargs)
