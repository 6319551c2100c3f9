"""Pooling layers: Max/AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D.

Windows follow TensorFlow.  'valid': ``out = floor((n - k) / s) + 1``.  'same': ``out = ceil(n/s)``,
padding ``total = max((out - 1) * s + k - n, 0)`` split with the odd cell at the end, and padded
cells never count: max ignores them and the average divides by the number of real cells (TF's
rule; Keras 3's torch backend differs).  torch reproduces this exactly, with no padded copy:
symmetric padding with ``ceil_mode=True`` (the last window may run past the end, where torch
clips it) and ``count_include_pad=False``, so the windows start where TF's do and the counts
agree (see ``_Pooling._torch_padding``).

channels_last data is pooled as a (B, C, *spatial) permuted view, torch's channels_last layout.
"""
import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.layers.conv_utils import (channels_to_back, channels_to_front,
                                          normalize_padding, normalize_tuple, same_padding)
from torchkeras.layers.layer import InputSpec, Layer

__all__ = ['MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D',
           'AveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D',
           'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D',
           'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D', 'AvgPool3D',
           'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D', 'GlobalAvgPool1D',
           'GlobalAvgPool2D', 'GlobalAvgPool3D']

_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class _Pooling(Layer):
    """Local pooling over the spatial axes; ``strides`` default to ``pool_size``."""

    rank = None
    default_pool_size = None

    def __init__(self, pool_size=None, strides=None, padding='valid', data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        pool_size = self.default_pool_size if pool_size is None else pool_size
        self.pool_size = normalize_tuple(pool_size, self.rank, 'pool_size', name)
        self.strides = normalize_tuple(self.pool_size if strides is None else strides,
                                       self.rank, 'strides', name)
        self.padding = normalize_padding(padding, ('valid', 'same'), name)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _torch_padding(self, spatial):
        """(padding per axis, ceil_mode, axes whose first window to drop) giving TF's windows.

        'same', total = (out-1)*s + k - n, before = total // 2 (TF puts any odd cell after):
        - stride > 1: pad ``before`` with ceil_mode; torch's count ceil((n + 2*before - k)/s) + 1
          is then ceil(n/s), and a last window running past the end is clipped;
        - stride 1 with an odd total: pad ``before + 1`` on both sides; torch's windows are TF's
          shifted by one, with one extra window in front, which is dropped (a view).
        """
        if self.padding == 'valid':
            return (0,) * self.rank, False, ()
        pads, drop_first = [], []
        for axis, (n, k, s) in enumerate(zip(spatial, self.pool_size, self.strides)):
            before, after = same_padding(n, k, s)
            if s == 1 and after > before:
                pads.append(after)
                drop_first.append(axis + 2)
            else:
                pads.append(before)
        return tuple(pads), True, tuple(drop_first)

    def call(self, inputs):
        x = channels_to_front(inputs, self.data_format)
        padding, ceil_mode, drop_first = self._torch_padding(x.shape[2:])
        x = self._pool(x, padding, ceil_mode)
        for axis in drop_first:
            x = x.narrow(axis, 1, x.shape[axis] - 1)
        return channels_to_back(x, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format)
        return config


class _MaxPooling(_Pooling):
    def _pool(self, x, padding, ceil_mode):
        return _MAX_POOL[self.rank](x, self.pool_size, self.strides, padding, ceil_mode=ceil_mode)


class _AveragePooling(_Pooling):
    def _pool(self, x, padding, ceil_mode):
        # count_include_pad=False: padded cells are not in the divisor (TF's 'same').
        return _AVG_POOL[self.rank](x, self.pool_size, self.strides, padding, ceil_mode=ceil_mode,
                                    count_include_pad=False)


class MaxPooling1D(_MaxPooling):
    """Max over windows of ``pool_size`` steps of (batch, steps, features)."""

    rank = 1
    default_pool_size = 2

    def __init__(self, pool_size=2, strides=None, padding='valid', data_format='channels_last',
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    """Max over (rows, cols) windows; default pool (2, 2)."""

    rank = 2
    default_pool_size = (2, 2)


class MaxPooling3D(_MaxPooling):
    """Max over 3D windows; default pool (2, 2, 2)."""

    rank = 3
    default_pool_size = (2, 2, 2)


class AveragePooling1D(_AveragePooling):
    """Mean over windows of ``pool_size`` steps of (batch, steps, features)."""

    rank = 1
    default_pool_size = 2

    def __init__(self, pool_size=2, strides=None, padding='valid', data_format='channels_last',
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    """Mean over (rows, cols) windows; 'same' padding excludes padded cells from the mean."""

    rank = 2
    default_pool_size = (2, 2)


class AveragePooling3D(_AveragePooling):
    """Mean over 3D windows; 'same' padding excludes padded cells from the mean."""

    rank = 3
    default_pool_size = (2, 2, 2)


# ------------------------------------------------------------------------ global
class _GlobalPooling(Layer):
    """Reduce over every spatial axis: (B, *spatial, C) -> (B, C), or (B, 1.., C) with keepdims."""

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self):
        first = 2 if self.data_format == 'channels_first' else 1
        return tuple(range(first, first + self.rank))

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class _GlobalMaxPooling(_GlobalPooling):
    def call(self, inputs):
        return torch.amax(inputs, dim=self._spatial_axes(), keepdim=self.keepdims)


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, inputs):
        return torch.mean(inputs, dim=self._spatial_axes(), keepdim=self.keepdims)


class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Max over the steps of (batch, steps, features)."""

    rank = 1

    def __init__(self, data_format='channels_last', keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Max over rows and cols."""

    rank = 2


class GlobalMaxPooling3D(_GlobalMaxPooling):
    """Max over the three spatial axes."""

    rank = 3


class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Mean over the steps of (batch, steps, features); masked steps are left out of the mean."""

    rank = 1

    def __init__(self, data_format='channels_last', keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        weights = mask.to(inputs.dtype).unsqueeze(1 if steps_axis == 2 else 2)
        total = torch.sum(inputs * weights, dim=steps_axis, keepdim=self.keepdims)
        return total / torch.sum(weights, dim=steps_axis, keepdim=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps axis is gone


class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Mean over rows and cols."""

    rank = 2


class GlobalAveragePooling3D(_GlobalAveragePooling):
    """Mean over the three spatial axes."""

    rank = 3


# Keras aliases (the same classes).
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
