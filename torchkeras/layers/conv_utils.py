"""Argument checks and layout helpers shared by the convolution, pooling and reshaping
layers (Keras 2's ``utils/conv_utils.py``): kernel/stride tuples, padding names, and the
channels-last <-> channels-first views torch's kernels need."""
import numpy as np

from torchkeras.ops.nn import same_padding

__all__ = ['is_int', 'normalize_tuple', 'normalize_padding', 'same_padding', 'channels_to_front',
           'channels_to_back']


def is_int(value):
    """A Python or NumPy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def normalize_tuple(value, n, name, layer_name, allow_zero=False):
    """An int or n ints -> tuple of n ints, each > 0 (>= 0 with allow_zero); else ValueError."""
    values = (value,) * n if is_int(value) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if values is None or len(values) != n or not all(is_int(v) for v in values):
        raise ValueError('The `%s` argument of %s must be an integer or a tuple of %d integers. '
                         'Received: %s=%r' % (name, layer_name, n, name, value))
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError('The `%s` argument of %s must contain only values %s. Received: %s=%r'
                         % (name, layer_name, '>= 0' if allow_zero else '> 0', name, value))
    return tuple(int(v) for v in values)


def normalize_padding(value, allowed, layer_name):
    """'valid'/'same'/... (case-insensitive) -> lower-case string; else ValueError."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError('The `padding` argument of %s must be one of %s. Received: padding=%r'
                         % (layer_name, ', '.join(repr(a) for a in allowed), value))
    return padding


def channels_to_front(x, data_format):
    """(B, *spatial, C) -> (B, C, *spatial) as a view; channels_first data passes through."""
    if data_format == 'channels_first':
        return x
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


def channels_to_back(x, data_format):
    """(B, C, *spatial) -> (B, *spatial, C) as a view; channels_first data passes through."""
    if data_format == 'channels_first':
        return x
    return x.permute(0, *range(2, x.dim()), 1)
