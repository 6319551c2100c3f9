"""The seam between torchkeras and torch: process-wide settings, dtypes, names and the seed.

Keras keeps a few global settings (floatx, epsilon, image_data_format), a per-session
counter of object names (``dense``, ``dense_1``, ...) and a global seed.  They live here,
at the bottom of the package, so every module reads them from one place; this module
imports only the standard library, numpy and torch.  Users reach the same functions as
``keras.backend.*`` / ``keras.config.*`` (``torchkeras.backend`` re-exports them).
"""
import collections
import contextlib
import json
import os
import random as _py_random
import re

import numpy as np
import torch

__version__ = '0.1.0'

__all__ = [
    'floatx', 'set_floatx', 'epsilon', 'set_epsilon', 'image_data_format',
    'set_image_data_format', 'image_dim_ordering', 'set_image_dim_ordering',
    'standardize_data_format', 'torch_dtype', 'dtype_name', 'default_device',
    'set_default_device', 'get_uid', 'unique_object_name', 'fresh_name_uids', 'clear_session',
    'to_snake_case', 'set_random_seed', 'backend',
]


def backend():
    """Name of the backend, as ``keras.backend.backend()`` reports it."""
    return 'torch'


_FLOATX = 'float32'
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = 'channels_last'
_DEVICE = None  # None: CUDA when available, else CPU (Keras puts work on the GPU)
_NAME_UIDS = collections.defaultdict(int)

_DTYPES = {
    'float16': torch.float16, 'half': torch.float16, 'bfloat16': torch.bfloat16,
    'float32': torch.float32, 'float': torch.float32, 'float64': torch.float64,
    'double': torch.float64, 'int8': torch.int8, 'uint8': torch.uint8, 'int16': torch.int16,
    'int32': torch.int32, 'int64': torch.int64, 'int': torch.int64, 'bool': torch.bool,
}


def _read_keras_json():
    """Honour ~/.keras/keras.json (or $KERAS_HOME/keras.json) as Keras does at import."""
    global _FLOATX, _EPSILON, _IMAGE_DATA_FORMAT
    home = os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'), '.keras')
    path = os.path.join(home, 'keras.json')
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return
    _FLOATX = cfg.get('floatx', _FLOATX)
    _EPSILON = float(cfg.get('epsilon', _EPSILON))
    if 'image_data_format' in cfg:
        _IMAGE_DATA_FORMAT = cfg['image_data_format']
    elif 'image_dim_ordering' in cfg:  # Keras 1 spelling
        _IMAGE_DATA_FORMAT = ('channels_first' if cfg['image_dim_ordering'] == 'th'
                              else 'channels_last')


_read_keras_json()


def floatx():
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ('float16', 'bfloat16', 'float32', 'float64'):
        raise ValueError("Unknown floatx type: expected one of 'float16', 'bfloat16', "
                         "'float32', 'float64'. Received: value=%r" % (value,))
    _FLOATX = str(value)


def epsilon():
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ('channels_last', 'channels_first'):
        raise ValueError("The `data_format` argument must be one of 'channels_first', "
                         "'channels_last'. Received: data_format=%r" % (data_format,))
    _IMAGE_DATA_FORMAT = str(data_format)


def image_dim_ordering():
    """Keras 1 name: 'tf' for channels_last, 'th' for channels_first."""
    return 'th' if _IMAGE_DATA_FORMAT == 'channels_first' else 'tf'


def set_image_dim_ordering(dim_ordering):
    if dim_ordering not in ('tf', 'th'):
        raise ValueError("dim_ordering must be 'tf' or 'th'. Received: dim_ordering=%r"
                         % (dim_ordering,))
    set_image_data_format('channels_first' if dim_ordering == 'th' else 'channels_last')


def standardize_data_format(data_format):
    """None -> the global image_data_format; otherwise validated."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ('channels_last', 'channels_first'):
        raise ValueError("The `data_format` argument must be one of 'channels_first', "
                         "'channels_last'. Received: data_format=%r" % (data_format,))
    return value


def torch_dtype(dtype):
    """A Keras dtype spelling ('float32', 'int32', torch.float32, np.float32) -> torch.dtype."""
    if dtype is None:
        return _DTYPES[_FLOATX]
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, 'name', None) or getattr(dtype, '__name__', None) or str(dtype)
    name = name.replace('torch.', '')
    if name not in _DTYPES:
        raise ValueError('Unknown dtype. Expected a Keras dtype name such as "float32" or '
                         '"int32". Received: dtype=%r' % (dtype,))
    return _DTYPES[name]


def default_device():
    """The device models train on unless the user moved them: CUDA when available."""
    if _DEVICE is not None:
        return torch.device(_DEVICE)
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


def set_default_device(device):
    global _DEVICE
    _DEVICE = None if device is None else str(torch.device(device))


def get_uid(prefix=''):
    """Per-session counter: 1, 2, ... for each prefix (Keras's ``backend.get_uid``)."""
    _NAME_UIDS[prefix] += 1
    return _NAME_UIDS[prefix]


def unique_object_name(prefix, zero_based=True):
    """``dense``, ``dense_1``, ... (zero_based) or ``input_1``, ``input_2``, ...
    as tf.keras names."""
    uid = get_uid(prefix)
    if zero_based:
        return prefix if uid == 1 else '%s_%d' % (prefix, uid - 1)
    return '%s_%d' % (prefix, uid)


@contextlib.contextmanager
def fresh_name_uids():
    """Auto-names made inside count from zero and leave the session's counters alone.

    tf.keras builds the metrics named by strings in compile() inside the graph of the
    train function, whose name counters start empty: ``metrics=['AUC']`` is ``auc`` in
    every model, however many AUC objects the session made before.
    """
    global _NAME_UIDS
    saved, _NAME_UIDS = _NAME_UIDS, collections.defaultdict(int)
    try:
        yield
    finally:
        _NAME_UIDS = saved


def clear_session():
    """Forget every auto-generated name, as ``keras.backend.clear_session()`` does."""
    _NAME_UIDS.clear()


def dtype_name(dtype):
    """The Keras name of a dtype spelling: torch.float32 / np.float32 / 'float' -> 'float32'."""
    return str(torch_dtype(dtype)).replace('torch.', '')


def to_snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d', as Keras derives default layer names."""
    intermediate = re.sub('(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
    insecure = re.sub('([a-z])([A-Z])', r'\1_\2', intermediate).lower()
    return insecure if insecure[0] != '_' else 'private' + insecure


def set_random_seed(seed):
    """Seed Python, NumPy and torch (CPU and CUDA) at once, as keras.utils.set_random_seed;
    ``torchkeras.random``'s unseeded SeedGenerators draw their seeds from Python's ``random``,
    so they follow too."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError('Expected `seed` argument to be an integer. Received: seed=%r' % (seed,))
    _py_random.seed(int(seed))
    np.random.seed(int(seed))
    torch.manual_seed(int(seed))
