"""Keras 1's ``keras.initializations`` module.

Keras 1 initializers are functions ``fn(shape, name=None, dim_ordering='th')`` that return the
new weight; user code writes its own in that style, e.g.::

    def my_init(shape, name=None):
        return initializations.normal(shape, scale=0.01, name=name)

Here they return CPU torch tensors and also accept ``dtype=``, so ``initializers.get`` can use
them (and such user functions) for any layer.  The formulas are Keras 1.2.2's: ``uniform`` and
``normal`` take ``scale=0.05``, the normal variants are **untruncated**, ``orthogonal`` defaults
to ``scale=1.1``.  Torchkeras layers pass Keras 2 layout shapes, so fans default to the
'tf' rule (``dim_ordering='tf'``); pass ``dim_ordering='th'`` for ``(out, in, kh, kw)`` shapes.

The Keras 2 classes (``GlorotUniform``, ...) are re-exported for code that mixes both APIs.
"""
import math

import numpy as np
import torch

from torchkeras import config
from torchkeras import initializers
from torchkeras.initializers import (  # Keras 2 classes, re-exported
    Initializer, Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal,
    VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
    LecunNormal, Orthogonal, Identity,
)

__all__ = [
    'Initializer', 'Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal',
    'TruncatedNormal', 'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeUniform',
    'HeNormal', 'LecunUniform', 'LecunNormal', 'Orthogonal', 'Identity',
    'get_fans', 'uniform', 'normal', 'lecun_uniform', 'lecun_normal', 'glorot_normal',
    'glorot_uniform', 'he_normal', 'he_uniform', 'orthogonal', 'identity', 'zero', 'zeros',
    'one', 'ones', 'get',
]


def get_fans(shape, dim_ordering='tf'):
    """Keras 1.2.2 ``get_fans``: rank 2 ``(in, out)``; rank 4/5 conv kernels by
    ``dim_ordering``; any other rank ``sqrt(prod(shape))`` for both."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) in (4, 5) and dim_ordering == 'th':
        receptive_field = int(np.prod(shape[2:]))
        return shape[1] * receptive_field, shape[0] * receptive_field
    if len(shape) in (4, 5) and dim_ordering == 'tf':
        receptive_field = int(np.prod(shape[:-2]))
        return shape[-2] * receptive_field, shape[-1] * receptive_field
    if len(shape) in (4, 5):
        raise ValueError("Invalid dim_ordering: expected 'th' or 'tf'. Received: "
                         "dim_ordering=%r" % (dim_ordering,))
    fan = math.sqrt(np.prod(shape))
    return fan, fan


def uniform(shape, scale=0.05, name=None, dim_ordering='tf', dtype=None):
    """U(-scale, scale)."""
    return RandomUniform(-scale, scale)(shape, dtype=dtype)


def normal(shape, scale=0.05, name=None, dim_ordering='tf', dtype=None):
    """N(0, scale), untruncated."""
    return RandomNormal(0.0, scale)(shape, dtype=dtype)


def lecun_uniform(shape, name=None, dim_ordering='tf', dtype=None):
    fan_in, _ = get_fans(shape, dim_ordering)
    return uniform(shape, math.sqrt(3.0 / fan_in), dtype=dtype)


def lecun_normal(shape, name=None, dim_ordering='tf', dtype=None):
    """Keras 2.0's lecun_normal (untruncated, stddev sqrt(1 / fan_in)); not in Keras 1.2."""
    fan_in, _ = get_fans(shape, dim_ordering)
    return normal(shape, math.sqrt(1.0 / fan_in), dtype=dtype)


def glorot_normal(shape, name=None, dim_ordering='tf', dtype=None):
    fan_in, fan_out = get_fans(shape, dim_ordering)
    return normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), dtype=dtype)


def glorot_uniform(shape, name=None, dim_ordering='tf', dtype=None):
    fan_in, fan_out = get_fans(shape, dim_ordering)
    return uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), dtype=dtype)


def he_normal(shape, name=None, dim_ordering='tf', dtype=None):
    fan_in, _ = get_fans(shape, dim_ordering)
    return normal(shape, math.sqrt(2.0 / fan_in), dtype=dtype)


def he_uniform(shape, name=None, dim_ordering='tf', dtype=None):
    fan_in, _ = get_fans(shape, dim_ordering)
    return uniform(shape, math.sqrt(6.0 / fan_in), dtype=dtype)


def orthogonal(shape, scale=1.1, name=None, dim_ordering='tf', dtype=None):
    """Keras 1.2.2: SVD of a normal ``(shape[0], prod(shape[1:]))`` draw, times ``scale``."""
    shape = tuple(int(d) for d in shape)
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    draw = torch.randn(flat_shape, dtype=torch.float64)
    u, _, vh = torch.linalg.svd(draw, full_matrices=False)
    q = u if tuple(u.shape) == flat_shape else vh
    return (scale * q.reshape(shape)).to(config.torch_dtype(dtype))


def identity(shape, scale=1, name=None, dim_ordering='tf', dtype=None):
    shape = tuple(int(d) for d in shape)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError('Identity matrix initialization can only be used for 2D square '
                         'matrices. Received: shape=%s' % (shape,))
    return scale * torch.eye(shape[0], dtype=config.torch_dtype(dtype))


def zero(shape, name=None, dim_ordering='tf', dtype=None):
    return Zeros()(shape, dtype=dtype)


def one(shape, name=None, dim_ordering='tf', dtype=None):
    return Ones()(shape, dtype=dtype)


zeros = zero
ones = one

_FUNCTIONS = {
    'uniform': uniform, 'normal': normal, 'lecun_uniform': lecun_uniform,
    'lecun_normal': lecun_normal, 'glorot_normal': glorot_normal,
    'glorot_uniform': glorot_uniform, 'he_normal': he_normal, 'he_uniform': he_uniform,
    'orthogonal': orthogonal, 'identity': identity, 'zero': zero, 'zeros': zero,
    'one': one, 'ones': one,
}


def get(identifier, **kwargs):
    """Keras 1: a name -> the Keras 1 function; anything else as ``initializers.get``."""
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]
    return initializers.get(identifier)
