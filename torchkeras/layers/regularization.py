"""Regularization layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout
and ActivityRegularization.  The noise layers act in training only and are the identity at
inference, as in tf.keras 2.
"""
import math

import torch
import torch.nn.functional as F

from torchkeras import regularizers, config
from torchkeras.layers.basic import Dropout
from torchkeras.layers.layer import InputSpec, Layer

__all__ = ['SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise',
           'GaussianDropout', 'AlphaDropout', 'ActivityRegularization']

# SELU's constants (alpha * scale is the value a dropped unit takes before the affine map).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_rate(rate, owner):
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError('Invalid value received for argument `rate` of %s. Expected a float '
                         'value between 0 and 1. Received: rate=%r' % (owner, rate))
    return rate


def _check_data_format(data_format):
    data_format = config.image_data_format() if data_format is None else data_format
    if data_format not in ('channels_last', 'channels_first'):
        raise ValueError('`data_format` must be "channels_last" or "channels_first". '
                         'Received: data_format=%r' % (data_format,))
    return data_format


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel), scaled by
    1/(1-rate).  torch's ``F.dropout{1,2,3}d`` do exactly that on (N, C, ...) views."""

    _rank = None
    _torch_dropout = None

    def __init__(self, rate, data_format=None, **kwargs):
        super().__init__(rate, **kwargs)
        self.data_format = _check_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.data_format == 'channels_first':
            return self._torch_dropout(inputs, self.rate, True)
        channels_first = inputs.movedim(-1, 1)
        return self._torch_dropout(channels_first, self.rate, True).movedim(1, -1)


class SpatialDropout1D(_SpatialDropout):
    """Drops entire 1D feature maps of (batch, steps, channels) inputs (noise (B, 1, C))."""

    _rank = 1
    _torch_dropout = staticmethod(F.dropout1d)

    def __init__(self, rate, **kwargs):
        # tf.keras 2 SpatialDropout1D has no data_format: always (batch, steps, channels).
        super().__init__(rate, data_format='channels_last', **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2D feature maps (noise (B, 1, 1, C), or (B, C, 1, 1) channels_first).
    Its config has no ``data_format``, as tf.keras 2 writes it."""

    _rank = 2
    _torch_dropout = staticmethod(F.dropout2d)


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3D feature maps (noise (B, 1, 1, 1, C), or (B, C, 1, 1, 1))."""

    _rank = 3
    _torch_dropout = staticmethod(F.dropout3d)


class GaussianNoise(Layer):
    """Adds N(0, stddev) noise in training; the identity at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError('Invalid value received for argument `stddev` of GaussianNoise. '
                             'Expected a non-negative float. Received: stddev=%r' % (stddev,))
        self.stddev = stddev
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev

    def get_config(self):
        config = super().get_config()
        config.update(stddev=self.stddev, seed=self.seed)
        return config


class GaussianDropout(Layer):
    """Multiplies by N(1, sqrt(rate / (1 - rate))) noise in training; identity at inference."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate, 'GaussianDropout')
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * torch.randn_like(inputs).mul_(stddev).add_(1.0)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class AlphaDropout(Layer):
    """Dropout that keeps SELU's self-normalization: dropped units are set to -alpha*scale,
    then ``a * x + b`` restores the mean and variance (torch's ``F.alpha_dropout`` is the same
    formula).  Its config has no ``noise_shape``, as tf.keras 2 writes it."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate(rate, 'AlphaDropout')
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or not 0 < self.rate < 1:
            return inputs
        if self.noise_shape is None:
            return F.alpha_dropout(inputs, self.rate, True)
        shape = [inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        kept = (torch.rand(shape, device=inputs.device) >= self.rate).to(inputs.dtype)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config


class ActivityRegularization(Layer):
    """The identity, adding ``(l1 * sum|x| + l2 * sum x^2) / batch_size`` to the layer's
    losses on each training call (tf.keras: the base layer's activity regularizer, which
    divides by the batch size; never during shape inference)."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update(l1=self.l1, l2=self.l2)
        return config
