"""Keras 2's backend (``import keras.backend as K``) for users' code: a facade over
``torchkeras.config`` (settings, names) and ``torchkeras.ops`` (the tensor functions).

Nothing inside torchkeras imports this module: it is where a Keras 2 script's custom losses,
metrics and Lambda layers find ``K.mean``, ``K.square``, ``K.epsilon()``...  The functions
keep Keras 2's semantics where they differ from Keras 3's ops: ``axis=None`` reduces every
axis, ``K.sqrt`` clips negatives to 0, ``K.concatenate`` joins on the last axis,
``K.one_hot`` gives floatx, float64 NumPy arrays become floatx.  Given KerasTensors, the
functions that are one op record a node of the graph as the op does.
"""
import numpy as np
import torch

from torchkeras import activations, ops
from torchkeras import random as keras_random
from torchkeras.config import (backend, clear_session, default_device, epsilon, floatx,
                               get_uid, image_data_format, image_dim_ordering,
                               set_default_device, set_epsilon, set_floatx,
                               set_image_data_format, set_image_dim_ordering,
                               standardize_data_format, torch_dtype, unique_object_name)
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.ops.dispatch import is_symbolic

__all__ = [
    'floatx', 'set_floatx', 'epsilon', 'set_epsilon', 'image_data_format',
    'set_image_data_format', 'image_dim_ordering', 'set_image_dim_ordering',
    'clear_session', 'get_uid', 'unique_object_name', 'default_device', 'set_default_device',
    'torch_dtype', 'standardize_data_format', 'backend',
    'cast', 'mean', 'sum', 'max', 'min', 'prod', 'std', 'var', 'any', 'all', 'square', 'sqrt',
    'abs', 'exp', 'log', 'pow', 'sign', 'round', 'clip', 'maximum', 'minimum', 'tanh',
    'softmax', 'relu', 'elu', 'sigmoid', 'hard_sigmoid', 'softplus', 'softsign', 'dot',
    'batch_dot', 'transpose', 'concatenate', 'reshape', 'permute_dimensions', 'expand_dims',
    'squeeze', 'stack', 'flatten', 'batch_flatten', 'repeat', 'repeat_elements', 'tile',
    'one_hot', 'argmax', 'argmin', 'equal', 'not_equal', 'greater', 'greater_equal', 'less',
    'less_equal', 'switch', 'gather', 'l2_normalize', 'binary_crossentropy',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'shape', 'int_shape',
    'ndim', 'dtype', 'variable', 'constant', 'placeholder', 'is_tensor', 'is_keras_tensor',
    'zeros', 'ones', 'zeros_like', 'ones_like', 'eye', 'arange', 'random_uniform',
    'random_normal', 'random_binomial', 'get_value', 'batch_get_value', 'set_value',
    'batch_set_value', 'learning_phase', 'set_learning_phase', 'in_train_phase', 'count_params',
    'stop_gradient', 'cumsum', 'logsumexp', 'update', 'update_add', 'moving_average_update',
]

_LEARNING_PHASE = 0


def _t(x):
    """A tensor for any array-like (float64 NumPy arrays become floatx, as Keras 2 casts
    them); symbolic tensors pass through so the op records a node."""
    if isinstance(x, torch.Tensor) or is_symbolic(x):
        return x
    value = getattr(x, 'value', None)  # a torchkeras Weight view
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(x)
    if array.dtype == np.float64:
        array = array.astype(floatx())
    return torch.as_tensor(array)


def _axes(axis):
    return tuple(axis) if isinstance(axis, list) else axis


# ------------------------------------------------------------------------- reductions
def cast(x, dtype):
    return ops.cast(_t(x), dtype)


def mean(x, axis=None, keepdims=False):
    return ops.mean(_t(x), axis=_axes(axis), keepdims=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.sum(_t(x), axis=_axes(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    return ops.prod(_t(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.max(_t(x), axis=_axes(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.min(_t(x), axis=_axes(axis), keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return ops.var(_t(x), axis=_axes(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return ops.std(_t(x), axis=_axes(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.any(_t(x), axis=_axes(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras's name
    return ops.all(_t(x), axis=_axes(axis), keepdims=keepdims)


def cumsum(x, axis=0):
    return ops.cumsum(_t(x), axis=axis)


def logsumexp(x, axis=None, keepdims=False):
    return ops.logsumexp(_t(x), axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return ops.cast(ops.argmax(_t(x), axis=axis), 'int64')  # tf.argmax's int64 (Keras 3: int32)


def argmin(x, axis=-1):
    return ops.cast(ops.argmin(_t(x), axis=axis), 'int64')


# ---------------------------------------------------------------------- element-wise
def square(x):
    return ops.square(_t(x))


def sqrt(x):
    return ops.sqrt(ops.clip(_t(x), 0.0, None))  # Keras 2 clips negatives to 0 first


def abs(x):  # noqa: A001 - Keras's name
    return ops.absolute(_t(x))


def exp(x):
    return ops.exp(_t(x))


def log(x):
    return ops.log(_t(x))


def pow(x, a):  # noqa: A001 - Keras's name
    return ops.power(_t(x), a)


def sign(x):
    return ops.sign(_t(x))


def round(x):  # noqa: A001 - Keras's name
    return ops.round(_t(x))


def clip(x, min_value, max_value):
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value  # Keras 2 never clips to an empty range
    return ops.clip(_t(x), min_value, max_value)


def maximum(x, y):
    return ops.maximum(_t(x), _t(y))


def minimum(x, y):
    return ops.minimum(_t(x), _t(y))


def tanh(x):
    return ops.tanh(_t(x))


def equal(x, y):
    return ops.equal(_t(x), _t(y))


def not_equal(x, y):
    return ops.not_equal(_t(x), _t(y))


def greater(x, y):
    return ops.greater(_t(x), _t(y))


def greater_equal(x, y):
    return ops.greater_equal(_t(x), _t(y))


def less(x, y):
    return ops.less(_t(x), _t(y))


def less_equal(x, y):
    return ops.less_equal(_t(x), _t(y))


# ------------------------------------------------------------------------ activations
def softmax(x, axis=-1):
    return activations.softmax(_t(x), axis=axis)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    return activations.relu(_t(x), alpha=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    return ops.elu(_t(x), alpha)


def sigmoid(x):
    return activations.sigmoid(_t(x))


def hard_sigmoid(x):
    return ops.clip(0.2 * _t(x) + 0.5, 0.0, 1.0)  # Keras 2's formula (Keras 3: relu6(x+3)/6)


def softplus(x):
    return ops.softplus(_t(x))


def softsign(x):
    return ops.softsign(_t(x))


def binary_crossentropy(target, output, from_logits=False):
    return ops.binary_crossentropy(_t(target), _t(output), from_logits=from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.categorical_crossentropy(_t(target), _t(output), from_logits=from_logits,
                                        axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    return ops.sparse_categorical_crossentropy(_t(target), _t(output), from_logits=from_logits,
                                               axis=axis)


def l2_normalize(x, axis=None):
    return ops.nn.l2_normalize(_t(x), axis=axis)


# ------------------------------------------------------------------- shapes, products
def dot(x, y):
    """Keras dot: for N-D tensors, contracts x's last axis with y's second-to-last."""
    return ops.dot(_t(x), _t(y))


def batch_dot(x, y, axes=None):
    """Per-sample dot product along ``axes`` (batch axis 0 excluded), as Keras's batch_dot."""
    x, y = _t(x), _t(y)
    if axes is None:
        axes = (x.dim() - 1, y.dim() - 2 if y.dim() > 2 else y.dim() - 1)
    if isinstance(axes, int):
        axes = (axes, axes)
    ax_x, ax_y = axes[0] % x.dim(), axes[1] % y.dim()
    out = torch.vmap(lambda a, b: torch.tensordot(a, b, dims=([ax_x - 1], [ax_y - 1])))(x, y)
    return out.unsqueeze(1) if out.dim() == 1 else out


def transpose(x):
    return ops.transpose(_t(x))


def concatenate(tensors, axis=-1):
    return ops.concatenate([_t(t) for t in tensors], axis=axis)


def reshape(x, shape):
    return ops.reshape(_t(x), tuple(shape))


def permute_dimensions(x, pattern):
    return ops.transpose(_t(x), tuple(pattern))


def expand_dims(x, axis=-1):
    return ops.expand_dims(_t(x), axis)


def squeeze(x, axis):
    return ops.squeeze(_t(x), axis)


def stack(x, axis=0):
    return ops.stack([_t(t) for t in x], axis=axis)


def flatten(x):
    return ops.reshape(_t(x), (-1,))


def batch_flatten(x):
    x = _t(x)
    if isinstance(x, torch.Tensor):
        return x.reshape(x.shape[0], -1)  # keeps an empty batch's shape
    return ops.reshape(x, (-1, int(np.prod(x.shape[1:]))))


def repeat(x, n):
    """(batch, dim) -> (batch, n, dim)."""
    return ops.repeat(ops.expand_dims(_t(x), 1), n, axis=1)


def repeat_elements(x, rep, axis):
    return ops.repeat(_t(x), rep, axis=axis)


def tile(x, n):
    return ops.tile(_t(x), [n] if isinstance(n, int) else list(n))


def one_hot(indices, num_classes):
    return ops.one_hot(_t(indices), num_classes, dtype=floatx())


def switch(condition, then_expression, else_expression):
    then = then_expression() if callable(then_expression) else then_expression
    other = else_expression() if callable(else_expression) else else_expression
    return ops.where(ops.cast(_t(condition), 'bool'), _t(then), _t(other))


def gather(reference, indices):
    return ops.take(_t(reference), ops.cast(_t(indices), 'int64'), axis=0)


def shape(x):
    return tuple(x.shape) if not isinstance(x, torch.Tensor) else x.shape


def int_shape(x):
    """The static shape as a tuple (None for unknown dims of symbolic tensors)."""
    return tuple(x.shape)


def ndim(x):
    return len(x.shape)


def dtype(x):
    value = getattr(x, 'dtype', None)
    return str(value).replace('torch.', '') if value is not None else floatx()


# ----------------------------------------------------------------- variables, creation
def variable(value, dtype=None, name=None, constraint=None):
    tensor = torch.as_tensor(np.asarray(value), dtype=torch_dtype(dtype))
    return torch.nn.Parameter(tensor) if tensor.is_floating_point() else tensor


def constant(value, dtype=None, shape=None, name=None):
    tensor = torch.as_tensor(np.asarray(value), dtype=torch_dtype(dtype))
    return tensor.expand(tuple(shape)).clone() if shape is not None else tensor


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    shape = shape if shape is not None else (None,) * ndim
    return KerasTensor(shape, dtype, name=name)


def is_tensor(x):
    return isinstance(x, torch.Tensor) or is_symbolic(x)


def is_keras_tensor(x):
    return is_symbolic(x)


def zeros(shape, dtype=None, name=None):
    return ops.zeros(shape, dtype=dtype)


def ones(shape, dtype=None, name=None):
    return ops.ones(shape, dtype=dtype)


def zeros_like(x, dtype=None, name=None):
    return ops.zeros_like(_t(x), dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return ops.ones_like(_t(x), dtype=dtype)


def eye(size, dtype=None, name=None):
    return ops.eye(size, dtype=dtype)


def arange(start, stop=None, step=1, dtype='int32'):
    return ops.arange(start, stop, step, dtype=dtype)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return keras_random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return keras_random.normal(shape, mean, stddev, dtype=dtype, seed=seed)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    probs = torch.full(tuple(shape), float(p), dtype=torch_dtype(dtype))
    return torch.bernoulli(probs, generator=keras_random.make_generator(seed))


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(_t(v)) for v in variables]
    return ops.stop_gradient(_t(variables))


def get_value(x):
    """A NumPy copy of a tensor, a Weight view or a Python/NumPy value."""
    if hasattr(x, 'numpy') and not isinstance(x, torch.Tensor):
        return x.numpy()
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def batch_get_value(tensors):
    return [get_value(x) for x in tensors]


def set_value(x, value):
    """Write ``value`` into a tensor, a Weight view, or an optimizer's learning rate."""
    if hasattr(x, 'assign'):
        x.assign(value)
        return
    with torch.no_grad():
        x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def learning_phase():
    return _LEARNING_PHASE


def set_learning_phase(value):
    global _LEARNING_PHASE
    if value not in (0, 1):
        raise ValueError('Expected learning phase to be 0 or 1. Received: value=%r' % (value,))
    _LEARNING_PHASE = value


def in_train_phase(x, alt, training=None):
    training = _LEARNING_PHASE if training is None else training
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def count_params(x):
    return int(np.prod(tuple(x.shape)))


def update(x, new_x):
    set_value(x, get_value(new_x))
    return x


def update_add(x, increment):
    with torch.no_grad():
        x.add_(_t(increment))
    return x


def moving_average_update(x, value, momentum):
    with torch.no_grad():
        x.mul_(momentum).add_(_t(value) * (1 - momentum))
    return x
