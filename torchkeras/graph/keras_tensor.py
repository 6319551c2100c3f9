"""KerasTensor: the symbolic value a layer returns when it is called on an Input.

It holds only a shape (None for unknown dims), a dtype and where it came from
(``_keras_history``: the layer, the index of the call (node) and the output index).
"""
import collections

import torch

from torchkeras import config

__all__ = ['KerasHistory', 'KerasTensor', 'is_keras_tensor']

KerasHistory = collections.namedtuple('KerasHistory', ['layer', 'node_index', 'tensor_index'])


def _dtype_name(dtype):
    return str(config.torch_dtype(dtype)).replace('torch.', '')


class KerasTensor:
    """Symbolic tensor: shape, dtype, name and the node that produced it."""

    def __init__(self, shape, dtype=None, name=None):
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = _dtype_name(dtype)
        self.name = name
        self._keras_history = None
        self._keras_mask = None  # a KerasTensor when the value carries a Keras mask

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def torch_dtype(self):
        return config.torch_dtype(self._dtype)

    @property
    def ndim(self):
        return len(self._shape)

    def get_shape(self):
        return self._shape

    @property
    def node(self):
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self):
        layer = self._keras_history.layer.name if self._keras_history else None
        return "<KerasTensor: shape=%s dtype=%s (created by layer '%s')>" % (
            self._shape, self._dtype, layer)

    def __len__(self):
        raise TypeError('A KerasTensor is symbolic: it has no length. Its shape is %s.'
                        % (self._shape,))

    def __bool__(self):
        raise TypeError('A KerasTensor is symbolic and cannot be used as a Python bool.')

    __hash__ = object.__hash__

    def _op(self, fn, other=None, reverse=False, name='op'):
        # Arithmetic on symbolic tensors becomes a Lambda layer, as tf.keras's TFOpLambda does.
        from torchkeras.layers.basic import Lambda
        if other is None:
            return Lambda(fn, name=config.unique_object_name('tf.' + name))(self)
        if is_keras_tensor(other):
            return Lambda(lambda xs: fn(xs[0], xs[1]),
                          name=config.unique_object_name('tf.' + name))([self, other])
        if reverse:
            return Lambda(lambda x: fn(other, x),
                          name=config.unique_object_name('tf.' + name))(self)
        return Lambda(lambda x: fn(x, other), name=config.unique_object_name('tf.' + name))(self)

    def __add__(self, other):
        return self._op(torch.add, other, name='math.add')

    def __radd__(self, other):
        return self._op(torch.add, other, reverse=True, name='math.add')

    def __sub__(self, other):
        return self._op(torch.sub, other, name='math.subtract')

    def __rsub__(self, other):
        return self._op(torch.sub, other, reverse=True, name='math.subtract')

    def __mul__(self, other):
        return self._op(torch.mul, other, name='math.multiply')

    def __rmul__(self, other):
        return self._op(torch.mul, other, reverse=True, name='math.multiply')

    def __truediv__(self, other):
        return self._op(torch.div, other, name='math.truediv')

    def __rtruediv__(self, other):
        return self._op(torch.div, other, reverse=True, name='math.truediv')

    def __neg__(self):
        return self._op(torch.neg, name='math.negative')

    def __pow__(self, other):
        return self._op(torch.pow, other, name='math.pow')

    def __matmul__(self, other):
        return self._op(torch.matmul, other, name='linalg.matmul')

    def __getitem__(self, key):
        return self._op(lambda x: x[key], name='__operators__.getitem')


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)
