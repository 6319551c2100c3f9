"""Keras weight constraints on torch tensors.

A constraint maps a weight ``w`` in the **Keras layout** (Dense kernel ``(in, out)``, conv
kernel ``(kh, kw, in, out)``) to its projected value; the trainer applies it after each
optimizer step.  ``axis=0`` (the default) therefore constrains, for a Dense kernel, the vector of
incoming weights of each unit, as in Keras.
"""
import inspect

import torch

from torchkeras import config
from torchkeras.utils.generic import deserialize_object

__all__ = [
    'Constraint', 'MaxNorm', 'NonNeg', 'UnitNorm', 'MinMaxNorm', 'RadialConstraint',
    'max_norm', 'non_neg', 'unit_norm', 'min_max_norm', 'radial_constraint',
    'maxnorm', 'nonneg', 'unitnorm', 'get', 'serialize', 'deserialize',
]


def _norms(w, axis):
    return torch.sqrt(torch.sum(torch.square(w), dim=axis, keepdim=True))


def _axis_tuple(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: ``__call__(w) -> w`` projected."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ', '.join('%s=%r' % item for item in self.get_config().items())
        return '%s(%s)' % (type(self).__name__, args)


class MaxNorm(Constraint):
    """Rescales slices along ``axis`` whose L2 norm exceeds ``max_value`` (Keras 1: ``m``)."""

    def __init__(self, max_value=2, axis=0, **kwargs):
        max_value = kwargs.pop('m', max_value)  # Keras 1 spelling
        _reject_unknown(kwargs, 'MaxNorm')
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, _axis_tuple(self.axis))
        desired = torch.clamp(norms, 0.0, float(self.max_value))
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {'max_value': self.max_value, 'axis': self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return w * (w >= 0.0).to(w.dtype)


class UnitNorm(Constraint):
    """Divides slices along ``axis`` by their L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (config.epsilon() + _norms(w, _axis_tuple(self.axis)))

    def get_config(self):
        return {'axis': self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms into ``[min_value, max_value]``; ``rate`` < 1 moves them part way:
    ``desired = rate * clip(norm, min, max) + (1 - rate) * norm``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, _axis_tuple(self.axis))
        clipped = torch.clamp(norms, float(self.min_value), float(self.max_value))
        desired = self.rate * clipped + (1.0 - self.rate) * norms
        return w * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {'min_value': self.min_value, 'max_value': self.max_value, 'rate': self.rate,
                'axis': self.axis}


class RadialConstraint(Constraint):
    """Makes each (kh, kw) slice of a square conv kernel ``(k, k, in, out)`` constant on
    concentric square rings, reproducing tf.keras's ``_kernel_constraint`` loop exactly:
    with ``start = k // 2``, the centre (1x1 for odd k, 2x2 for even k) takes
    ``kernel[start-1, start-1]`` and ring d (1, 2, ... outwards) takes ``kernel[s, s]`` with
    ``s = start + d - 1`` for odd k and ``s = start + d`` for even k."""

    def __call__(self, w):
        if w.dim() != 4:
            raise ValueError('The weight tensor must have rank 4. Received weight tensor with '
                             'shape: %s' % (tuple(w.shape),))
        size = w.shape[0]
        if w.shape[1] != size:
            raise ValueError('RadialConstraint needs a square kernel. Received weight tensor '
                             'with shape: %s' % (tuple(w.shape),))
        if size < 2:
            return w
        rows, cols = _radial_source_indices(size, w.device)
        return w[rows, cols]


def _radial_source_indices(size, device):
    """For every (row, col) of a size x size kernel, the diagonal cell whose value it takes."""
    start = size // 2
    positions = torch.arange(size, device=device, dtype=torch.float32)
    offset = torch.abs(positions - (size - 1) / 2.0)
    ring = torch.maximum(offset[:, None], offset[None, :])
    if size % 2 == 0:
        ring = ring - 0.5
        source = start + ring
    else:
        source = start + ring - 1
    source = torch.where(ring == 0, torch.full_like(source, start - 1), source).long()
    return source, source


def _reject_unknown(kwargs, owner):
    if kwargs:
        raise TypeError('%s got unexpected keyword arguments: %s' % (owner, sorted(kwargs)))


# tf.keras aliases (classes), and the Keras 1 / early Keras 2 spellings
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm
radial_constraint = RadialConstraint

_CLASSES = {cls.__name__: cls for cls in
            (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm, RadialConstraint)}
_BY_NAME = dict(_CLASSES)
_BY_NAME.update({
    'max_norm': MaxNorm, 'non_neg': NonNeg, 'unit_norm': UnitNorm,
    'min_max_norm': MinMaxNorm, 'radial_constraint': RadialConstraint,
    'maxnorm': MaxNorm, 'nonneg': NonNeg, 'unitnorm': UnitNorm,
})


def serialize(constraint):
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        if callable(constraint) and hasattr(constraint, '__name__'):
            return constraint.__name__
        raise ValueError('Cannot serialize constraint: expected a Constraint. Received: '
                         'constraint=%r' % (constraint,))
    return {'module': 'keras.constraints', 'class_name': type(constraint).__name__,
            'config': constraint.get_config(), 'registered_name': None}


def deserialize(config, custom_objects=None):
    """A name ('max_norm', 'MaxNorm') or ``{'class_name', 'config'}`` -> a Constraint."""
    return deserialize_object(config, _BY_NAME, custom_objects, 'constraint')


def get(identifier):
    """None, a name, a config dict, a Constraint (or its class) or any callable ``w -> w``."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret constraint identifier: %r' % (identifier,))
