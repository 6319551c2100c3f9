"""Advanced activation layers: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU and Softmax.

Each is the tf.keras 2 formula (``torchkeras.activations`` where one fits), and every one passes
the Keras mask through unchanged.
"""
import torch
from torch import nn

from torchkeras import activations
from torchkeras.layers.basic import _serialize
from torchkeras.layers.layer import InputSpec, Layer

__all__ = ['ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax']


def _number(value, argname, owner, allow_none=False):
    """A float from a number argument; the error names the argument and the value."""
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('%s of a %s layer must be a float. Received: %s=%r'
                         % (argname, owner, argname, value))
    return float(value)


def _non_negative(value, argname, owner, allow_none=False):
    value = _number(value, argname, owner, allow_none)
    if value is not None and value < 0:
        raise ValueError('%s of a %s layer cannot be a negative value. Received: %s=%r'
                         % (argname, owner, argname, value))
    return value


class ReLU(Layer):
    """``max(x, 0)``, or with options: ``x`` above ``threshold`` (clipped at ``max_value``),
    ``negative_slope * (x - threshold)`` below it (tf.keras ``backend.relu``)."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, 'max_value', 'ReLU', allow_none=True)
        self.negative_slope = _non_negative(negative_slope, 'negative_slope', 'ReLU')
        self.threshold = _non_negative(threshold, 'threshold', 'ReLU')
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``alpha * x`` below (default 0.3, not torch's 0.01).
    Keras 3's ``negative_slope=`` is accepted as ``alpha``."""

    def __init__(self, alpha=0.3, **kwargs):
        if 'negative_slope' in kwargs:
            alpha = kwargs.pop('negative_slope')
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError('The alpha value of a Leaky ReLU layer cannot be None. Expecting '
                             'a float. Received: alpha=None')
        self.alpha = _number(alpha, 'alpha', 'LeakyReLU')
        self.leaky_relu = nn.LeakyReLU(self.alpha)
        self.supports_masking = True

    def call(self, inputs):
        return self.leaky_relu(inputs)

    def get_config(self):
        config = super().get_config()
        config['alpha'] = self.alpha
        return config


class PReLU(Layer):
    """``x`` for ``x >= 0``, ``alpha * x`` below, with a learned ``alpha`` of shape
    input_shape[1:] (1 on ``shared_axes``).  torch's nn.PReLU only shares over everything
    but axis 1, so the Keras-shaped weight is kept as is."""

    def __init__(self, alpha_initializer='zeros', alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]
        self.supports_masking = True

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError('PReLU needs known sizes on the axes it does not share. Received: '
                             'input shape %s with shared_axes=%s'
                             % (tuple(input_shape), self.shared_axes))
        self.add_weight('alpha', shape=param_shape, initializer=self.alpha_initializer,
                        regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        axes = {}
        if self.shared_axes:
            axes = {i: input_shape[i] for i in range(1, len(input_shape))
                    if i not in self.shared_axes}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs):
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)

    def get_config(self):
        config = super().get_config()
        config.update(alpha_initializer=_serialize('initializers', self.alpha_initializer),
                      alpha_regularizer=_serialize('regularizers', self.alpha_regularizer),
                      alpha_constraint=_serialize('constraints', self.alpha_constraint),
                      shared_axes=self.shared_axes)
        return config


class ELU(Layer):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError('Alpha of an ELU layer cannot be None, expecting a float. '
                             'Received: alpha=None')
        self.alpha = _number(alpha, 'alpha', 'ELU')
        self.elu = nn.ELU(self.alpha)
        self.supports_masking = True

    def call(self, inputs):
        return self.elu(inputs)

    def get_config(self):
        config = super().get_config()
        config['alpha'] = self.alpha
        return config


class ThresholdedReLU(Layer):
    """``x`` for ``x > theta``, else 0."""

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError('Theta of a Thresholded ReLU layer cannot be None, expecting a '
                             'float. Received: theta=None')
        self.theta = _non_negative(theta, 'theta', 'ThresholdedReLU')
        self.threshold = nn.Threshold(self.theta, 0.0)
        self.supports_masking = True

    def call(self, inputs):
        return self.threshold(inputs)

    def get_config(self):
        config = super().get_config()
        config['theta'] = self.theta
        return config


def _large_negative(dtype):
    """What Keras adds to masked logits: -1e9, or half the float16 minimum."""
    if dtype == torch.float16:
        return torch.finfo(torch.float16).min / 2.0
    return -1e9


class Softmax(Layer):
    """Softmax over ``axis`` (an int or a list of axes).  With a mask, masked positions get
    -1e9 added before the softmax (``robust_masking=True``: replaced by -1e9), as Keras does."""

    def __init__(self, axis=-1, robust_masking=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError('Argument `axis` of Softmax must be an int or a list of ints. '
                            'Received: axis=%r' % (axis,))
        self.axis = axis
        self.robust_masking = bool(robust_masking)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            negative = _large_negative(inputs.dtype)
            if self.robust_masking:
                keep = mask if mask.dtype == torch.bool else mask > 0.5
                inputs = torch.where(keep, inputs, torch.full_like(inputs, negative))
            else:
                inputs = inputs + (1.0 - mask.to(inputs.dtype)) * negative
        axis = self.axis
        if isinstance(axis, list):
            axis = axis[0] if len(axis) == 1 else tuple(axis)
        return activations.softmax(inputs, axis=axis)

    def get_config(self):
        config = super().get_config()
        config['axis'] = self.axis
        if self.robust_masking:
            config['robust_masking'] = True
        return config
