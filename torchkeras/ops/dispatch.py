"""How an op called on symbolic tensors becomes a graph node, without ops/ importing graph/.

Every public op is a plain torch function wrapped by :func:`keras_op`.  On torch tensors
(the hot path: losses, metrics and layers call ops at every step) the wrapper only checks
the argument types and calls the function.  When an argument's type defines
``__keras_op__`` (graph's ``KerasTensor`` does), the call is handed to that classmethod as
``type(arg).__keras_op__(name, fn, args, kwargs)``, which records the call as a node of the
graph and returns symbolic outputs.  This is the protocol numpy's ``__array_function__`` and
torch's ``__torch_function__`` use: the lower package defines the hook, the higher one
implements it, and imports point one way.
"""
import functools

import torch

__all__ = ['keras_op', 'symbolic_argument', 'is_symbolic']

_PLAIN_TYPES = (torch.Tensor, int, float, bool, str, type(None))


def is_symbolic(value):
    """True for a value whose type takes part in the symbolic protocol (a KerasTensor)."""
    return hasattr(type(value), '__keras_op__')


def _symbolic_in(values):
    for value in values:
        kind = type(value)
        if kind in _PLAIN_TYPES:
            continue
        if hasattr(kind, '__keras_op__'):
            return value
        if kind in (list, tuple):
            found = _symbolic_in(value)
            if found is not None:
                return found
        elif kind is dict:
            found = _symbolic_in(value.values())
            if found is not None:
                return found
    return None


def symbolic_argument(args, kwargs):
    """The first symbolic value among the arguments (nested lists/dicts included), or None."""
    found = _symbolic_in(args)
    if found is None and kwargs:
        found = _symbolic_in(kwargs.values())
    return found


# torch's wording for an axis out of range or shapes that do not fit together
_SHAPE_ERROR_WORDS = ('shape', 'size', 'dimension', 'Dimension', 'broadcast')


def _is_shape_error(error):
    text = str(error).split('\n')[0]
    return any(word in text for word in _SHAPE_ERROR_WORDS)


def _describe(value):
    if isinstance(value, torch.Tensor):
        return 'tensor of shape %s' % (tuple(value.shape),)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor)
                                                          for v in value):
        return '[%s]' % ', '.join(_describe(v) for v in value)
    return repr(value)


def _bad_input_message(op_name, error, args, kwargs):
    """A wrong axis or incompatible shapes, named as Keras would: the op, torch's reason and
    what the op received."""
    received = [_describe(a) for a in args] + ['%s=%s' % (k, _describe(v))
                                               for k, v in kwargs.items()]
    return 'Invalid arguments for ops.%s: %s. Received: %s' % (
        op_name, str(error).split('\n')[0], ', '.join(received))


def keras_op(fn=None, *, name=None):
    """Make ``fn`` (torch tensors in, torch tensors out) a Keras op.

    ``fn.__name__`` (or ``name``) is the op's Keras name, used for graph nodes (``add``,
    ``add_1``, ...).  The undecorated function stays reachable as ``op.eager``.
    """
    if fn is None:
        return functools.partial(keras_op, name=name)
    op_name = name or fn.__name__

    @functools.wraps(fn)
    def op(*args, **kwargs):
        symbolic = symbolic_argument(args, kwargs)
        if symbolic is not None:
            return type(symbolic).__keras_op__(op_name, fn, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except (IndexError, RuntimeError) as error:
            if isinstance(error, RuntimeError) and not _is_shape_error(error):
                raise
            raise ValueError(_bad_input_message(op_name, error, args, kwargs)) from error

    op.eager = fn
    op.op_name = op_name
    return op
