"""The one seam between torchkeras and torch: global settings and naming.

Keras keeps a few process-wide settings (floatx, epsilon, image_data_format) and a
per-session counter of object names (``dense``, ``dense_1``, ...).  They live here so
every other module reads them from one place.  The ``K.*`` tensor functions used in
custom losses and Lambda layers live in ``torchkeras.backend_functions`` and are
re-exported below.
"""
from torchkeras.config import (backend,  # noqa: F401
                               clear_session, default_device, epsilon, floatx, get_uid,
                               image_data_format, image_dim_ordering, set_default_device,
                               set_epsilon, set_floatx, set_image_data_format,
                               set_image_dim_ordering, standardize_data_format, torch_dtype,
                               unique_object_name)
import torch

__all__ = [
    'floatx', 'set_floatx', 'epsilon', 'set_epsilon', 'image_data_format',
    'set_image_data_format', 'image_dim_ordering', 'set_image_dim_ordering',
    'clear_session', 'get_uid', 'unique_object_name', 'default_device', 'set_default_device',
    'torch_dtype', 'standardize_data_format', 'backend',
]

# --------------------------------------------------------------------------------------
# K.* tensor functions, as custom losses, metrics and Lambda layers call them
# (``import torchkeras.backend as K``).  Axes follow Keras: None means all axes.
# They shadow the builtins sum/max/min/abs/round/any/all/pow, so nothing in this module
# uses those builtins below this line.
# --------------------------------------------------------------------------------------
import numpy as np  # noqa: E402

__all__ += [
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
    """A torch tensor for any array-like (numpy arrays and Python numbers included)."""
    if isinstance(x, torch.Tensor):
        return x
    value = getattr(x, 'value', None)  # a torchkeras Weight view
    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(x)
    if array.dtype == np.float64:
        array = array.astype(floatx())
    return torch.as_tensor(array)


def _axes(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _reduce(fn, x, axis, keepdims):
    x = _t(x)
    if axis is None:
        out = fn(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return fn(x, dim=_axes(axis), keepdim=keepdims)


def cast(x, dtype):
    return _t(x).to(torch_dtype(dtype))


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    return _reduce(torch.mean, x if x.is_floating_point() else x.float(), axis, keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.sum, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    # torch.prod takes one dim: reduce the axes from the last one down
    for ax in sorted((int(a) % x.dim() for a in np.atleast_1d(axis)), reverse=True):
        x = torch.prod(x, dim=ax, keepdim=keepdims)
    return x


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.amax, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.amin, x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    return _reduce(lambda t, **k: torch.var(t, unbiased=False, **k), x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    return torch.sqrt(var(x, axis, keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.any, _t(x).bool(), axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.all, _t(x).bool(), axis, keepdims)


def square(x):
    return torch.square(_t(x))


def sqrt(x):
    x = _t(x)
    return torch.sqrt(torch.clamp(x, min=0.0))  # Keras clips negatives to 0 first


def abs(x):  # noqa: A001
    return torch.abs(_t(x))


def exp(x):
    return torch.exp(_t(x))


def log(x):
    return torch.log(_t(x))


def pow(x, a):  # noqa: A001
    return torch.pow(_t(x), a)


def sign(x):
    return torch.sign(_t(x))


def round(x):  # noqa: A001
    return torch.round(_t(x))


def clip(x, min_value, max_value):
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return torch.clamp(_t(x), min_value, max_value)


def maximum(x, y):
    return torch.maximum(_t(x), _t(y))


def minimum(x, y):
    return torch.minimum(_t(x), _t(y))


def tanh(x):
    return torch.tanh(_t(x))


def softmax(x, axis=-1):
    from torchkeras import activations
    return activations.softmax(_t(x), axis=axis)


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    from torchkeras import activations
    return activations.relu(_t(x), alpha=alpha, max_value=max_value, threshold=threshold)


def elu(x, alpha=1.0):
    return torch.nn.functional.elu(_t(x), alpha)


def sigmoid(x):
    from torchkeras import activations
    return activations.sigmoid(_t(x))


def hard_sigmoid(x):
    return torch.clamp(0.2 * _t(x) + 0.5, 0.0, 1.0)


def softplus(x):
    return torch.nn.functional.softplus(_t(x))


def softsign(x):
    return torch.nn.functional.softsign(_t(x))


def dot(x, y):
    """Keras dot: for N-D tensors, contracts x's last axis with y's second-to-last."""
    x, y = _t(x), _t(y)
    if y.dim() > 2:
        return torch.tensordot(x, y, dims=([x.dim() - 1], [y.dim() - 2]))
    return torch.matmul(x, y)


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
    x = _t(x)
    return x.permute(*reversed(range(x.dim())))


def concatenate(tensors, axis=-1):
    return torch.cat([_t(t) for t in tensors], dim=axis)


def reshape(x, shape):
    return _t(x).reshape(tuple(shape))


def permute_dimensions(x, pattern):
    return _t(x).permute(*pattern)


def expand_dims(x, axis=-1):
    return _t(x).unsqueeze(axis)


def squeeze(x, axis):
    return _t(x).squeeze(axis)


def stack(x, axis=0):
    return torch.stack([_t(t) for t in x], dim=axis)


def flatten(x):
    return _t(x).reshape(-1)


def batch_flatten(x):
    x = _t(x)
    return x.reshape(x.shape[0], -1)


def repeat(x, n):
    return _t(x).unsqueeze(1).expand(-1, n, -1)


def repeat_elements(x, rep, axis):
    return torch.repeat_interleave(_t(x), rep, dim=axis)


def tile(x, n):
    return _t(x).repeat(*([n] if isinstance(n, int) else n))


def one_hot(indices, num_classes):
    return torch.nn.functional.one_hot(_t(indices).long(), num_classes).to(torch_dtype(None))


def argmax(x, axis=-1):
    return torch.argmax(_t(x), dim=axis)


def argmin(x, axis=-1):
    return torch.argmin(_t(x), dim=axis)


def equal(x, y):
    return torch.eq(_t(x), _t(y))


def not_equal(x, y):
    return torch.ne(_t(x), _t(y))


def greater(x, y):
    return torch.gt(_t(x), _t(y))


def greater_equal(x, y):
    return torch.ge(_t(x), _t(y))


def less(x, y):
    return torch.lt(_t(x), _t(y))


def less_equal(x, y):
    return torch.le(_t(x), _t(y))


def switch(condition, then_expression, else_expression):
    then = then_expression() if callable(then_expression) else then_expression
    other = else_expression() if callable(else_expression) else else_expression
    return torch.where(_t(condition).bool(), _t(then), _t(other))


def gather(reference, indices):
    return _t(reference)[_t(indices).long()]


def l2_normalize(x, axis=None):
    x = _t(x)
    sq = torch.sum(x * x, dim=_axes(axis), keepdim=True) if axis is not None else torch.sum(x * x)
    return x * torch.rsqrt(torch.clamp(sq, min=1e-12))


def binary_crossentropy(target, output, from_logits=False):
    from torchkeras import losses
    return losses.binary_crossentropy(_t(target), _t(output), from_logits=from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from torchkeras import losses
    return losses.categorical_crossentropy(_t(target), _t(output), from_logits=from_logits,
                                           axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from torchkeras import losses
    return losses.sparse_categorical_crossentropy(_t(target), _t(output),
                                                  from_logits=from_logits, axis=axis)


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


def variable(value, dtype=None, name=None, constraint=None):
    tensor = torch.as_tensor(np.asarray(value), dtype=torch_dtype(dtype))
    return torch.nn.Parameter(tensor) if tensor.is_floating_point() else tensor


def constant(value, dtype=None, shape=None, name=None):
    tensor = torch.as_tensor(np.asarray(value), dtype=torch_dtype(dtype))
    return tensor.expand(tuple(shape)).clone() if shape is not None else tensor


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    from torchkeras.graph.keras_tensor import KerasTensor
    shape = shape if shape is not None else (None,) * ndim
    return KerasTensor(shape, dtype, name=name)


def is_tensor(x):
    from torchkeras.graph.keras_tensor import KerasTensor
    return isinstance(x, (torch.Tensor, KerasTensor))


def is_keras_tensor(x):
    from torchkeras.graph.keras_tensor import KerasTensor
    return isinstance(x, KerasTensor)


def zeros(shape, dtype=None, name=None):
    return torch.zeros(tuple(shape), dtype=torch_dtype(dtype))


def ones(shape, dtype=None, name=None):
    return torch.ones(tuple(shape), dtype=torch_dtype(dtype))


def zeros_like(x, dtype=None, name=None):
    return torch.zeros_like(_t(x), dtype=None if dtype is None else torch_dtype(dtype))


def ones_like(x, dtype=None, name=None):
    return torch.ones_like(_t(x), dtype=None if dtype is None else torch_dtype(dtype))


def eye(size, dtype=None, name=None):
    return torch.eye(size, dtype=torch_dtype(dtype))


def arange(start, stop=None, step=1, dtype='int32'):
    if stop is None:
        start, stop = 0, start
    return torch.arange(start, stop, step, dtype=torch_dtype(dtype))


def _generator(seed):
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    out = torch.empty(tuple(shape), dtype=torch_dtype(dtype))
    return out.uniform_(minval, maxval, generator=_generator(seed))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    out = torch.empty(tuple(shape), dtype=torch_dtype(dtype))
    return out.normal_(mean, stddev, generator=_generator(seed))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    probs = torch.full(tuple(shape), float(p), dtype=torch_dtype(dtype))
    return torch.bernoulli(probs, generator=_generator(seed))


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


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [_t(v).detach() for v in variables]
    return _t(variables).detach()


def cumsum(x, axis=0):
    return torch.cumsum(_t(x), dim=axis)


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        return torch.logsumexp(x.reshape(-1), dim=0)
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


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
