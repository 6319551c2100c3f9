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
import os
import sys
import warnings

__all__ = ['warn_renamed', 'warn_once', 'translate_layer_args', 'reset_warnings']

_WARNED = set()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel():
    """The stacklevel of the first frame outside torchkeras (and importlib), for warnings."""
    frame, level = sys._getframe(2), 2  # 1 is warn_once's caller: never the user
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        internal = filename.startswith(_PACKAGE_DIR + os.sep) or 'importlib' in filename
        if not internal:
            return level
        frame, level = frame.f_back, level + 1
    return 2


def warn_once(key, message):
    """Emit ``message`` as a DeprecationWarning the first time ``key`` is seen."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, DeprecationWarning, stacklevel=_user_stacklevel())


def warn_renamed(owner, old, new):
    """One DeprecationWarning per (owner, old) naming the modern spelling."""
    warn_once((owner, old), 'Keras 1 argument `%s` of %s is deprecated; use `%s` instead.'
              % (old, owner, new))


def reset_warnings():
    """Forget which spellings were already warned about (tests use it)."""
    _WARNED.clear()


def translate_layer_args(cls, args, kwargs):
    """Keras 1 constructor arguments of a layer class -> Keras 2 ones (one table, one warning
    per spelling).  Called once per layer construction by the Layer base class."""
    from torchkeras.legacy import renames
    return renames.translate(cls, args, kwargs)
