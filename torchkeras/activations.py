"""Keras activation functions on torch tensors.

Each function is the Keras formula written with torch's built-in (fused) kernels.  Where Keras
versions disagree, tf.keras 2 wins: ``hard_sigmoid`` is ``clip(0.2x + 0.5, 0, 1)`` (Keras 3's
``x/6 + 0.5`` is torch's ``hardsigmoid``, used by ``hard_silu``).

The formulas that Keras 3's ops share are ``torchkeras.ops`` calls (their torch functions,
``op.eager``, since an activation is always given a tensor).
``softmax`` and ``sigmoid`` keep their input on the output (``out._keras_logits``) so that a
cross-entropy loss can recover the logits and compute the loss from them, as tf.keras does.
"""
import functools

import torch
import torch.nn.functional as F

from torchkeras.ops import nn as nn_ops
from torchkeras.ops import numpy as numpy_ops
from torchkeras.ops.nn import attach_logits as _attach_logits

__all__ = [
    'relu', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'exponential', 'swish',
    'silu', 'gelu', 'relu6', 'leaky_relu', 'mish', 'log_softmax', 'softmax', 'linear',
    'hard_sigmoid', 'hard_silu', 'hard_swish', 'celu', 'glu', 'hard_tanh', 'log_sigmoid',
    'soft_shrink', 'hard_shrink', 'tanh_shrink', 'sparse_plus', 'squareplus',
    'get', 'serialize', 'deserialize',
]


def relu(x, alpha=0.0, max_value=None, threshold=0.0, negative_slope=None):
    """``max(x, 0)``; with ``alpha`` (Keras 3: ``negative_slope``) ``alpha * (x - threshold)``
    below ``threshold``; values above ``max_value`` are clipped (tf.keras ``backend.relu``)."""
    if negative_slope is not None:
        alpha = negative_slope
    if alpha == 0.0 and threshold == 0.0:
        if max_value is None:
            return torch.relu(x)
        if max_value == 6:
            return F.relu6(x)
        return torch.clamp(x, 0.0, float(max_value))
    if threshold == 0.0 and max_value is None:
        return F.leaky_relu(x, alpha)
    above = x * (x > threshold).to(x.dtype) if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        above = torch.clamp(above, 0.0, float(max_value))
    if alpha != 0.0:
        above = above - alpha * torch.relu(threshold - x)
    return above


def sigmoid(x):
    """``1 / (1 + exp(-x))``; the output keeps ``x`` as ``_keras_logits``."""
    return _attach_logits(nn_ops.sigmoid.eager(x), x, 'sigmoid')


def tanh(x):
    return numpy_ops.tanh.eager(x)


def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return nn_ops.elu.eager(x, alpha)


def selu(x):
    """``scale * elu(x, alpha)`` with the self-normalizing constants (same as torch)."""
    return nn_ops.selu.eager(x)


def softplus(x):
    """``log(exp(x) + 1)``."""
    return nn_ops.softplus.eager(x)


def softsign(x):
    """``x / (abs(x) + 1)``."""
    return nn_ops.softsign.eager(x)


def exponential(x):
    return numpy_ops.exp.eager(x)


def swish(x):
    """``x * sigmoid(x)`` (tf.keras name)."""
    return nn_ops.silu.eager(x)


def silu(x):
    """``x * sigmoid(x)`` (Keras 3 name)."""
    return nn_ops.silu.eager(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit; ``approximate=True`` is the tanh form (the activation's
    default is the exact form, as in tf.keras; ``keras.ops.gelu`` defaults to the tanh one)."""
    return nn_ops.gelu.eager(x, approximate=approximate)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return nn_ops.relu6.eager(x)


def leaky_relu(x, negative_slope=0.2, alpha=None):
    """``x`` if ``x >= 0`` else ``negative_slope * x``.  The function's default slope is 0.2
    (Keras 3, ``tf.nn.leaky_relu``); the ``LeakyReLU`` layer's default is 0.3."""
    if alpha is not None:
        negative_slope = alpha
    return nn_ops.leaky_relu.eager(x, negative_slope)


def mish(x):
    """``x * tanh(softplus(x))``."""
    return nn_ops.mish.eager(x)


def log_softmax(x, axis=-1):
    return nn_ops.log_softmax.eager(x, axis=axis)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``; the output keeps ``x`` as ``_keras_logits``."""
    if x.dim() <= 1:
        raise ValueError('Cannot apply softmax to a tensor that is 1D. Received input of '
                         'shape %s.' % (tuple(x.shape),))
    return _attach_logits(nn_ops.softmax.eager(x, axis=axis), x, 'softmax')


def linear(x):
    """The identity (Keras's default activation)."""
    return x


def hard_sigmoid(x):
    """tf.keras 2 (and Keras 1): ``clip(0.2 * x + 0.5, 0, 1)`` (``keras.ops.hard_sigmoid`` is
    Keras 3's ``relu6(x + 3) / 6``)."""
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


def hard_silu(x):
    """Keras 3: ``x * relu6(x + 3) / 6``."""
    return nn_ops.hard_silu.eager(x)


def hard_swish(x):
    """Keras 3 alias of ``hard_silu`` (its own function, so configs keep the name)."""
    return nn_ops.hard_silu.eager(x)


def celu(x, alpha=1.0):
    return nn_ops.celu.eager(x, alpha)


def glu(x, axis=-1):
    """``a * sigmoid(b)`` where ``a, b`` are the two halves of ``x`` along ``axis``."""
    return nn_ops.glu.eager(x, axis=axis)


def hard_tanh(x):
    return nn_ops.hard_tanh.eager(x)


def log_sigmoid(x):
    return nn_ops.log_sigmoid.eager(x)


def soft_shrink(x, threshold=0.5):
    return nn_ops.soft_shrink.eager(x, threshold)


def hard_shrink(x, threshold=0.5):
    return nn_ops.hard_shrink.eager(x, threshold)


def tanh_shrink(x):
    return nn_ops.tanh_shrink.eager(x)


def sparse_plus(x):
    """0 below -1, ``(x + 1)^2 / 4`` on [-1, 1], ``x`` above 1 (Keras 3)."""
    return nn_ops.sparse_plus.eager(x)


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2`` (Keras 3)."""
    return nn_ops.squareplus.eager(x, b)


_BY_NAME = {
    'relu': relu, 'sigmoid': sigmoid, 'tanh': tanh, 'elu': elu, 'selu': selu,
    'softplus': softplus, 'softsign': softsign, 'exponential': exponential, 'swish': swish,
    'silu': silu, 'gelu': gelu, 'relu6': relu6, 'leaky_relu': leaky_relu, 'mish': mish,
    'log_softmax': log_softmax, 'softmax': softmax, 'linear': linear,
    'hard_sigmoid': hard_sigmoid, 'hard_silu': hard_silu, 'hard_swish': hard_swish,
    'celu': celu, 'glu': glu, 'hard_tanh': hard_tanh, 'log_sigmoid': log_sigmoid,
    'soft_shrink': soft_shrink, 'hard_shrink': hard_shrink, 'tanh_shrink': tanh_shrink,
    'sparse_plus': sparse_plus, 'squareplus': squareplus,
}
_NAME_OF = {fn: name for name, fn in _BY_NAME.items()}


def serialize(activation):
    """The Keras name of an activation function ('relu'); a user function's ``__name__``."""
    if activation is None:
        return 'linear'
    if isinstance(activation, functools.partial) and activation.func in _NAME_OF:
        activation = activation.func
    if activation in _NAME_OF:
        return _NAME_OF[activation]
    name = getattr(activation, '__name__', None)
    if callable(activation) and name:
        return name
    raise ValueError('Cannot serialize activation: expected a function. Received: '
                     'activation=%r' % (activation,))


def deserialize(config, custom_objects=None):
    """A name ('relu') or ``{'class_name': 'relu', 'config': {...}}`` -> the function."""
    if isinstance(config, dict):
        name = config.get('class_name')
        options = config.get('config') or {}
    else:
        name, options = config, {}
    if custom_objects and name in custom_objects:
        function = custom_objects[name]
    elif isinstance(name, str) and name in _BY_NAME:
        function = _BY_NAME[name]
    else:
        raise ValueError('Could not interpret activation function identifier: %r. Expected '
                         'one of %s.' % (config, sorted(_BY_NAME)))
    options = {k: v for k, v in options.items() if k not in ('name', 'trainable', 'dtype')}
    return functools.partial(function, **options) if options else function


def get(identifier):
    """None -> ``linear``; a name, a config dict or a callable -> the function."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret activation function identifier: %r' % (identifier,))
