"""KerasTensor: the symbolic value a layer returns when it is called on an Input.

It holds only a shape (None for unknown dims), a dtype and where it came from
(``_keras_history``: the operation, the index of the call (node) and the output index).

A ``keras.ops`` function given a KerasTensor hands the call to ``KerasTensor.__keras_op__``
(the protocol of ``ops/dispatch.py``), which records it as a ``TFOpLambda`` node; the Python
operators (``x + y``, ``x[:, 0]``) are those ops too, named as tf.keras 2 names its op layers
(``tf.math.add``, ``tf.__operators__.getitem``).
"""
import operator

from torchkeras import config
from torchkeras import ops
from torchkeras.graph.node import KerasHistory
from torchkeras.graph.operation import TFOpLambda

__all__ = ['KerasHistory', 'KerasTensor', 'is_keras_tensor']


class KerasTensor:
    """Symbolic tensor: shape, dtype, name and the node that produced it."""

    def __init__(self, shape, dtype=None, name=None):
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = config.dtype_name(dtype)
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

    @classmethod
    def __keras_op__(cls, name, function, args, kwargs):
        """A keras.ops call on symbolic arguments: record it as a node (ops/dispatch.py)."""
        return TFOpLambda(function, op_name=name)(*args, **kwargs)

    def __add__(self, other):
        return _operator('math.add', ops.add, self, other)

    def __radd__(self, other):
        return _operator('math.add', ops.add, other, self)

    def __sub__(self, other):
        return _operator('math.subtract', ops.subtract, self, other)

    def __rsub__(self, other):
        return _operator('math.subtract', ops.subtract, other, self)

    def __mul__(self, other):
        return _operator('math.multiply', ops.multiply, self, other)

    def __rmul__(self, other):
        return _operator('math.multiply', ops.multiply, other, self)

    def __truediv__(self, other):
        return _operator('math.truediv', ops.divide, self, other)

    def __rtruediv__(self, other):
        return _operator('math.truediv', ops.divide, other, self)

    def __floordiv__(self, other):
        return _operator('math.floordiv', ops.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _operator('math.floordiv', ops.floor_divide, other, self)

    def __mod__(self, other):
        return _operator('math.floormod', ops.mod, self, other)

    def __rmod__(self, other):
        return _operator('math.floormod', ops.mod, other, self)

    def __pow__(self, other):
        return _operator('math.pow', ops.power, self, other)

    def __rpow__(self, other):
        return _operator('math.pow', ops.power, other, self)

    def __matmul__(self, other):
        return _operator('linalg.matmul', ops.matmul, self, other)

    def __rmatmul__(self, other):
        return _operator('linalg.matmul', ops.matmul, other, self)

    def __neg__(self):
        return _operator('math.negative', ops.negative, self)

    def __abs__(self):
        return _operator('math.abs', ops.absolute, self)

    def __lt__(self, other):
        return _operator('math.less', ops.less, self, other)

    def __le__(self, other):
        return _operator('math.less_equal', ops.less_equal, self, other)

    def __gt__(self, other):
        return _operator('math.greater', ops.greater, self, other)

    def __ge__(self, other):
        return _operator('math.greater_equal', ops.greater_equal, self, other)

    def __getitem__(self, key):
        return TFOpLambda(operator.getitem, op_name='getitem',
                          name=config.unique_object_name('tf.__operators__.getitem'))(self, key)


def _operator(name, op, *args):
    """A Python operator on KerasTensors: the op, recorded under tf.keras 2's layer name."""
    return TFOpLambda(op.eager, op_name=op.op_name,
                      name=config.unique_object_name('tf.' + name))(*args)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)
