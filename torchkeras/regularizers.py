"""Keras weight and activity regularizers on torch tensors.

A regularizer maps a tensor to a 0-d penalty tensor that is added to the loss (Keras puts it in
the loss, not in the optimizer).  ``L2(l)`` adds ``l * sum(x^2)`` with no 1/2, so its gradient
is ``2 l x``.  Used as ``activity_regularizer=``, tf.keras divides the penalty by the batch size
(the layer does that, not the regularizer) - which equals Keras 1's ``sum(mean(x, axis=0))``.

Keras 1 spellings (``l1l2``, ``activity_l2``, ``WeightRegularizer``, ...) build the same objects.
"""
import math

import torch

from torchkeras.utils.generic import deserialize_object

__all__ = [
    'Regularizer', 'L1L2', 'L1', 'L2', 'OrthogonalRegularizer', 'l1', 'l2', 'l1_l2',
    'orthogonal_regularizer', 'WeightRegularizer', 'ActivityRegularizer', 'l1l2',
    'activity_l1', 'activity_l2', 'activity_l1l2', 'get', 'serialize', 'deserialize',
]


def _check_penalty(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) \
            or math.isinf(value):
        raise ValueError('Argument `%s` must be a finite int or float regularization penalty. '
                         'Received: %s=%r' % (name, name, value))
    return float(value)


class Regularizer:
    """Base class: ``__call__(x) -> 0-d tensor``."""

    def __call__(self, x):
        return x.new_zeros(())

    def get_config(self):
        raise NotImplementedError('%s does not implement get_config().' % type(self).__name__)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ', '.join('%s=%r' % item for item in self.get_config().items())
        except NotImplementedError:
            args = ''
        return '%s(%s)' % (type(self).__name__, args)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_penalty('l1', 0.0 if l1 is None else l1)
        self.l2 = _check_penalty('l2', 0.0 if l2 is None else l2)

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self):
        return {'l1': self.l1, 'l2': self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``; ``l=`` is the Keras 1/2 spelling of ``l1=``."""

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop('l', l1)
        _reject_unknown(kwargs, 'L1')
        self.l1 = _check_penalty('l1', 0.01 if l1 is None else l1)

    def __call__(self, x):
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self):
        return {'l1': self.l1}


class L2(Regularizer):
    """``l2 * sum(x^2)`` (no 1/2); ``l=`` is the Keras 1/2 spelling of ``l2=``."""

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop('l', l2)
        _reject_unknown(kwargs, 'L2')
        self.l2 = _check_penalty('l2', 0.01 if l2 is None else l2)

    def __call__(self, x):
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self):
        return {'l2': self.l2}


def _reject_unknown(kwargs, owner):
    if kwargs:
        raise TypeError('%s got unexpected keyword arguments: %s' % (owner, sorted(kwargs)))


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (``mode='rows'``) or columns of a rank-2 Keras-layout
    kernel: ``factor * 0.5 * sum(|off-diagonal of N N^T|) / num_pairs`` with N the
    L2-normalized rows (tf.keras / Keras 3)."""

    def __init__(self, factor=0.01, mode='rows'):
        self.factor = _check_penalty('factor', factor)
        if mode not in ('rows', 'columns'):
            raise ValueError('Invalid value for argument `mode`. Expected one of '
                             '{"rows", "columns"}. Received: mode=%r' % (mode,))
        self.mode = mode

    def __call__(self, x):
        if x.dim() != 2:
            raise ValueError('Inputs to OrthogonalRegularizer must have rank 2. Received: '
                             'inputs.shape=%s' % (tuple(x.shape),))
        if self.mode == 'columns':
            x = x.t()
        normalized = x / torch.sqrt(torch.clamp(torch.sum(torch.square(x), dim=1,
                                                          keepdim=True), min=1e-12))
        product = normalized @ normalized.t()
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {'factor': self.factor, 'mode': self.mode}


class WeightRegularizer(L1L2):
    """Keras 1 name of ``L1L2`` used for weights."""


class ActivityRegularizer(L1L2):
    """Keras 1 name of ``L1L2`` used on layer outputs (the layer averages over the batch)."""


# tf.keras: l1 = L1, l2 = L2 (classes), l1_l2 a function with 0.01 defaults.
l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer


def l1_l2(l1=0.01, l2=0.01):  # pylint: disable=redefined-outer-name
    """``L1L2(l1, l2)`` with both defaults 0.01 (tf.keras / Keras 2)."""
    return L1L2(l1=l1, l2=l2)


def l1l2(l1=0.01, l2=0.01):  # pylint: disable=redefined-outer-name
    """Keras 1 spelling of ``l1_l2``."""
    return WeightRegularizer(l1=l1, l2=l2)


def activity_l1(l=0.01):  # noqa: E741 -- Keras 1 public keyword `l=`
    return ActivityRegularizer(l1=l)


def activity_l2(l=0.01):  # noqa: E741 -- Keras 1 public keyword `l=`
    return ActivityRegularizer(l2=l)


def activity_l1l2(l1=0.01, l2=0.01):  # pylint: disable=redefined-outer-name
    return ActivityRegularizer(l1=l1, l2=l2)


_CLASSES = {cls.__name__: cls for cls in
            (Regularizer, L1L2, L1, L2, OrthogonalRegularizer, WeightRegularizer,
             ActivityRegularizer)}
# names a string identifier may use; each is called with no arguments
_FACTORIES = dict(_CLASSES)
_FACTORIES.update({
    'l1': L1, 'l2': L2, 'l1_l2': l1_l2, 'orthogonal_regularizer': OrthogonalRegularizer,
    'l1l2': l1l2, 'activity_l1': activity_l1, 'activity_l2': activity_l2,
    'activity_l1l2': activity_l1l2,
})


def serialize(regularizer):
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        if callable(regularizer) and hasattr(regularizer, '__name__'):
            return regularizer.__name__
        raise ValueError('Cannot serialize regularizer: expected a Regularizer. Received: '
                         'regularizer=%r' % (regularizer,))
    # Keras 1 classes are written under their Keras 2 name so real Keras can read the config
    class_name = 'L1L2' if isinstance(regularizer, L1L2) else type(regularizer).__name__
    return {'module': 'keras.regularizers', 'class_name': class_name,
            'config': regularizer.get_config(), 'registered_name': None}


def deserialize(config, custom_objects=None):
    """A name ('l2', 'L1L2') or ``{'class_name', 'config'}`` -> a Regularizer."""
    return deserialize_object(config, _FACTORIES, custom_objects, 'regularizer')


def get(identifier):
    """None, a name, a config dict, a Regularizer or any callable ``x -> penalty``."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret regularizer identifier: %r' % (identifier,))
