"""Spatial reshaping layers: UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.

They work on the data in its own layout (no permutes): the spatial axes are 1..rank for
channels_last and 2..rank+1 for channels_first.  Cropping is a view; padding and upsampling
write one new tensor.
"""
import numpy as np
import torch.nn.functional as F

from torchkeras import config
from torchkeras.layers.conv_utils import (channels_to_back, channels_to_front,
                                          normalize_tuple)
from torchkeras.layers.layer import InputSpec, Layer

__all__ = ['UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding2D',
           'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D']

# tf.keras's UpSampling2D interpolations; torch reproduces TF2's tf.image.resize (half-pixel
# centres, no antialiasing when enlarging) for these two only ('bicubic' uses another kernel).
_KERAS_INTERPOLATIONS = ('area', 'bicubic', 'bilinear', 'gaussian', 'lanczos3', 'lanczos5',
                         'mitchellcubic', 'nearest')
_SUPPORTED_INTERPOLATIONS = ('nearest', 'bilinear')


def _spatial_axes(rank, data_format):
    first = 2 if data_format == 'channels_first' else 1
    return list(range(first, first + rank))


def _pairs(value, rank, name, layer_name):
    """int, rank ints (symmetric) or rank pairs -> tuple of rank (before, after) pairs."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,) * rank
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != rank:
        raise ValueError('`%s` of %s should be an int, a tuple of %d ints or a tuple of %d tuples '
                         'of 2 ints. Received: %s=%r' % (name, layer_name, rank, rank, name, value))
    return tuple(normalize_tuple(item, 2, name, layer_name, allow_zero=True) for item in items)


def _repeat(x, sizes, axes):
    """np.repeat of each axis by its size, in one copy: insert a broadcast axis after each."""
    shape = list(x.shape)
    for axis, size in sorted(zip(axes, sizes), reverse=True):
        x = x.unsqueeze(axis + 1)
        expanded = list(x.shape)
        expanded[axis + 1] = size
        x = x.expand(expanded)
        shape[axis] *= size
    return x.reshape(shape)


# ---------------------------------------------------------------------- UpSampling
class _UpSampling(Layer):
    """Repeat every spatial step ``size`` times (nearest-neighbour upsampling)."""

    rank = None

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, 'size', type(self).__name__)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return _repeat(inputs, self.size, _spatial_axes(self.rank, self.data_format))

    def get_config(self):
        config = super().get_config()
        config.update(size=self.size, data_format=self.data_format)
        return config


class UpSampling1D(_UpSampling):
    """(batch, steps, features) -> (batch, steps * size, features)."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, 'channels_last', **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config['size'] = self.size[0]
        return config


class UpSampling2D(_UpSampling):
    """Enlarge rows and cols by ``size``; interpolation 'nearest' (repeat) or 'bilinear'."""

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation='nearest', **kwargs):
        super().__init__(size, data_format, **kwargs)
        if interpolation not in _KERAS_INTERPOLATIONS:
            raise ValueError('`interpolation` argument of UpSampling2D should be one of %s. '
                             'Received: interpolation=%r'
                             % (', '.join(_KERAS_INTERPOLATIONS), interpolation))
        if interpolation not in _SUPPORTED_INTERPOLATIONS:
            raise NotImplementedError(
                'UpSampling2D supports interpolation %s; TensorFlow\'s %r has no exact torch '
                'equivalent. Received: interpolation=%r'
                % (' or '.join(_SUPPORTED_INTERPOLATIONS), interpolation, interpolation))
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == 'nearest':
            return super().call(inputs)
        x = channels_to_front(inputs, self.data_format)
        size = [n * s for n, s in zip(x.shape[2:], self.size)]
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=False)
        return channels_to_back(x, self.data_format)

    def get_config(self):
        config = super().get_config()
        config['interpolation'] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    """Enlarge the three spatial axes by ``size`` (repeat)."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


# --------------------------------------------------------------------- ZeroPadding
class _ZeroPadding(Layer):
    """Add zeros before and after each spatial axis."""

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, 'padding', type(self).__name__)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        # F.pad lists (before, after) from the last axis backwards.
        widths = [(0, 0)] * inputs.dim()
        for axis, pair in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            widths[axis] = pair
        return F.pad(inputs, [p for pair in reversed(widths[1:]) for p in pair])

    def get_config(self):
        config = super().get_config()
        config.update(padding=self.padding, data_format=self.data_format)
        return config


class ZeroPadding1D(_ZeroPadding):
    """(batch, steps, features): zeros around the steps; padding int or (before, after)."""

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__((padding,) if not isinstance(padding, (int, np.integer)) else padding,
                         'channels_last', **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config['padding'] = self.padding[0]
        return config


class ZeroPadding2D(_ZeroPadding):
    """Zeros around rows and cols: int, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around the three spatial axes: int, 3 ints or 3 (before, after) pairs."""

    rank = 3

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


# ------------------------------------------------------------------------ Cropping
class _Cropping(Layer):
    """Remove steps at the start and end of each spatial axis (a view)."""

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, 'cropping', type(self).__name__)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        x = inputs
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format),
                                         self.cropping):
            length = x.shape[axis]
            if before + after >= length:
                raise ValueError('Values in `cropping` of %s should be smaller than the spatial '
                                 'dimension they crop. Received: input shape %s, cropping=%s'
                                 % (type(self).__name__, tuple(inputs.shape), self.cropping))
            x = x.narrow(axis, before, length - before - after)
        return x

    def get_config(self):
        config = super().get_config()
        config.update(cropping=self.cropping, data_format=self.data_format)
        return config


class Cropping1D(_Cropping):
    """(batch, steps, features): drop ``cropping = (before, after)`` steps (an int: both)."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__((cropping,) if not isinstance(cropping, (int, np.integer)) else cropping,
                         'channels_last', **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config['cropping'] = self.cropping[0]
        return config


class Cropping2D(_Cropping):
    """Crop rows and cols: int, (rows, cols) or ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crop the three spatial axes: int, 3 ints or 3 (before, after) pairs."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
