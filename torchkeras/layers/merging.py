"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
and their lowercase functional forms (``add([a, b])``, ``concatenate([a, b], axis=-1)``)."""
import functools

import torch
import torch.nn.functional as F

from torchkeras.layers.layer import Layer

__all__ = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot',
           'add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concatenate', 'dot']


class _Merge(Layer):
    """Elementwise merge of a list of same-shaped (broadcastable) tensors."""

    min_inputs = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < self.min_inputs:
            raise ValueError('A merge layer (%s) should be called on a list of at least %d '
                             'inputs. Received: input_shape=%s'
                             % (type(self).__name__, self.min_inputs, input_shape))
        _check_broadcastable(self, input_shape)

    def call(self, inputs):
        return functools.reduce(self._merge, inputs)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = [m for m in mask if m is not None]
        return functools.reduce(torch.logical_and, masks)


def _check_broadcastable(layer, shapes):
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return  # Keras expands the lower-rank inputs; torch broadcasting does the same
    for axis in range(1, len(shapes[0])):
        sizes = {s[axis] for s in shapes if s[axis] not in (None, 1)}
        if len(sizes) > 1:
            raise ValueError('Inputs have incompatible shapes for layer "%s". Received shapes %s'
                             % (layer.name, ', '.join(str(s) for s in shapes)))


class Add(_Merge):
    _merge = staticmethod(torch.add)


class Subtract(_Merge):
    _merge = staticmethod(torch.sub)

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError('A `Subtract` layer should be called on exactly 2 inputs. '
                             'Received: %d inputs' % len(input_shape))


class Multiply(_Merge):
    _merge = staticmethod(torch.mul)


class Maximum(_Merge):
    _merge = staticmethod(torch.maximum)


class Minimum(_Merge):
    _merge = staticmethod(torch.minimum)


class Average(_Merge):
    def call(self, inputs):
        return functools.reduce(torch.add, inputs) / len(inputs)


class Concatenate(_Merge):
    """Concatenate a list of tensors along ``axis`` (default -1)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 1:
            raise ValueError('A `Concatenate` layer should be called on a list of at least 1 '
                             'input. Received: input_shape=%s' % (input_shape,))
        ranks = {len(s) for s in input_shape}
        if len(ranks) != 1:
            raise ValueError('A `Concatenate` layer requires inputs with matching shapes except '
                             'for the concatenation axis. Received: input_shape=%s'
                             % (input_shape,))
        rank = ranks.pop()
        axis = self.axis % rank
        for i in range(1, rank):
            sizes = {s[i] for s in input_shape if s[i] is not None}
            if i != axis and len(sizes) > 1:
                raise ValueError('A `Concatenate` layer requires inputs with matching shapes '
                                 'except for the concatenation axis. Received: input_shape=%s'
                                 % (input_shape,))

    def call(self, inputs):
        return torch.cat(list(inputs), dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        # A missing mask counts as all-True; masks are per step, so broadcast to the inputs'
        # rank minus the feature axis and concatenate along the axis when it is not the last.
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = torch.ones(x.shape[:-1] if x.dim() > 1 else x.shape, dtype=torch.bool,
                               device=x.device)
            full.append(m)
        rank = inputs[0].dim()
        if self.axis % rank == rank - 1:
            return functools.reduce(torch.logical_and, full)
        return torch.cat(full, dim=self.axis)

    def get_config(self):
        config = super().get_config()
        config['axis'] = self.axis
        return config


class Dot(_Merge):
    """Dot product of two tensors along ``axes`` (batch axis counted as 0)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self._config_axes = axes  # the config holds axes as given, as tf.keras's does
        if isinstance(axes, int):
            axes = (axes, axes)
        self.axes = tuple(int(a) for a in axes)
        if len(self.axes) != 2:
            raise ValueError('Invalid format for argument `axes`: expected an int or a list of '
                             '2 ints. Received: axes=%r' % (axes,))
        self.normalize = bool(normalize)
        self.supports_masking = False

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError('A `Dot` layer should be called on a list of 2 inputs. '
                             'Received: input_shape=%s' % (input_shape,))
        a, b = input_shape
        ax_a, ax_b = self.axes[0] % len(a), self.axes[1] % len(b)
        if a[ax_a] is not None and b[ax_b] is not None and a[ax_a] != b[ax_b]:
            raise ValueError('Incompatible input shapes for `Dot`: axis values %d (of %s) and %d '
                             '(of %s) differ.' % (a[ax_a], a, b[ax_b], b))

    def call(self, inputs):
        x, y = inputs
        ax_x, ax_y = self.axes[0] % x.dim(), self.axes[1] % y.dim()
        if self.normalize:
            x = F.normalize(x, dim=ax_x)
            y = F.normalize(y, dim=ax_y)
        return _batch_dot(x, y, ax_x, ax_y)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update(axes=self._config_axes, normalize=self.normalize)
        return config


def _batch_dot(x, y, ax_x, ax_y):
    """Keras batch_dot: contract x's ax_x with y's ax_y per sample; 2D results gain an axis."""
    out = torch.vmap(lambda a, b: torch.tensordot(a, b, dims=([ax_x - 1], [ax_y - 1])))(x, y)
    if out.dim() == 1:
        out = out.unsqueeze(1)
    return out


def _functional(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = 'Functional interface to the `%s` layer.' % cls.__name__
    return merge


add = _functional(Add)
subtract = _functional(Subtract)
multiply = _functional(Multiply)
average = _functional(Average)
maximum = _functional(Maximum)
minimum = _functional(Minimum)
concatenate = _functional(Concatenate)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional interface to the `Dot` layer."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
