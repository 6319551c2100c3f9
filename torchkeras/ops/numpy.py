"""``keras.ops`` numpy namespace (``keras.ops.numpy``) on torch tensors.

Names, arguments and defaults are Keras 3's (numpy's): ``axis=None`` reduces over every
axis, ``concatenate``/``stack``/``split`` default to axis 0, integer ``mean`` and ``divide``
give floats.  Each op is the torch function that does the job; on KerasTensors each records
a graph node (``ops/dispatch.py``).
"""
import builtins

import numpy as np
import torch

from torchkeras import config
from torchkeras.ops.core import pair, to_tensor
from torchkeras.ops.dispatch import keras_op

__all__ = [
    # element-wise arithmetic and math
    'add', 'subtract', 'multiply', 'divide', 'true_divide', 'floor_divide', 'mod', 'power',
    'negative', 'abs', 'absolute', 'sign', 'square', 'sqrt', 'reciprocal', 'exp', 'exp2',
    'expm1', 'log', 'log1p', 'log2', 'log10', 'logaddexp', 'sin', 'cos', 'tan', 'arcsin',
    'arccos', 'arctan', 'arctan2', 'sinh', 'cosh', 'tanh', 'arcsinh', 'arccosh', 'arctanh',
    'ceil', 'floor', 'round', 'trunc', 'clip', 'maximum', 'minimum', 'real', 'imag', 'conj',
    'conjugate', 'nan_to_num',
    # comparisons and logic
    'equal', 'not_equal', 'greater', 'greater_equal', 'less', 'less_equal', 'logical_and',
    'logical_or', 'logical_not', 'logical_xor', 'where', 'isnan', 'isinf', 'isfinite',
    'isclose',
    # reductions
    'sum', 'mean', 'max', 'amax', 'min', 'amin', 'prod', 'std', 'var', 'any', 'all', 'argmax',
    'argmin', 'argsort', 'sort', 'cumsum', 'cumprod', 'count_nonzero', 'median', 'quantile',
    'average',
    # shapes and indexing
    'reshape', 'transpose', 'expand_dims', 'squeeze', 'concatenate', 'stack', 'hstack',
    'vstack', 'split', 'tile', 'repeat', 'broadcast_to', 'flip', 'roll', 'moveaxis',
    'swapaxes', 'ravel', 'take', 'take_along_axis', 'pad', 'append', 'diff', 'size', 'ndim',
    'copy', 'nonzero', 'searchsorted', 'digitize', 'bincount',
    # creation
    'arange', 'linspace', 'zeros', 'ones', 'full', 'empty', 'zeros_like', 'ones_like',
    'full_like', 'eye', 'identity', 'tri', 'tril', 'triu', 'diag', 'diagonal', 'trace',
    'meshgrid',
    # linear algebra
    'matmul', 'dot', 'tensordot', 'einsum', 'outer', 'inner', 'cross', 'vdot',
]


def _axes(axis):
    """Keras's axis argument (None, an int, a list or tuple) as torch's ``dim``."""
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def _reduce(fn, x, axis, keepdims):
    """``fn`` over ``axis`` (None: every axis, keeping rank when ``keepdims``)."""
    x = to_tensor(x)
    if axis is None or axis == ():
        out = fn(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    return fn(x, dim=_axes(axis), keepdim=keepdims)


def _floating(x):
    """Integers and booleans become floatx, as Keras 3 computes means and divisions."""
    x = to_tensor(x)
    return x if x.is_floating_point() or x.is_complex() else x.to(config.torch_dtype(None))


# ----------------------------------------------------------------------- arithmetic
@keras_op
def add(x1, x2):
    return torch.add(*pair(x1, x2))


@keras_op
def subtract(x1, x2):
    return torch.sub(*pair(x1, x2))


@keras_op
def multiply(x1, x2):
    return torch.mul(*pair(x1, x2))


@keras_op
def divide(x1, x2):
    return torch.true_divide(*pair(x1, x2))


true_divide = divide


@keras_op
def floor_divide(x1, x2):
    return torch.floor_divide(*pair(x1, x2))


@keras_op
def mod(x1, x2):
    return torch.remainder(*pair(x1, x2))


@keras_op
def power(x1, x2):
    return torch.pow(*pair(x1, x2))


@keras_op
def negative(x):
    return torch.neg(to_tensor(x))


@keras_op(name='abs')
def absolute(x):
    return torch.abs(to_tensor(x))


abs = absolute  # noqa: A001 - the Keras name


@keras_op
def sign(x):
    return torch.sign(to_tensor(x))


@keras_op
def square(x):
    return torch.square(to_tensor(x))


@keras_op
def sqrt(x):
    return torch.sqrt(_floating(x))


@keras_op
def reciprocal(x):
    return torch.reciprocal(_floating(x))


@keras_op
def exp(x):
    return torch.exp(_floating(x))


@keras_op
def exp2(x):
    return torch.exp2(_floating(x))


@keras_op
def expm1(x):
    return torch.expm1(_floating(x))


@keras_op
def log(x):
    return torch.log(_floating(x))


@keras_op
def log1p(x):
    return torch.log1p(_floating(x))


@keras_op
def log2(x):
    return torch.log2(_floating(x))


@keras_op
def log10(x):
    return torch.log10(_floating(x))


@keras_op
def logaddexp(x1, x2):
    x1, x2 = pair(x1, x2)
    return torch.logaddexp(_floating(x1), _floating(x2))


def _unary(name, torch_fn):
    def fn(x):
        return torch_fn(_floating(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = '``%s`` element-wise (integers computed as floatx).' % name
    return keras_op(fn)


sin = _unary('sin', torch.sin)
cos = _unary('cos', torch.cos)
tan = _unary('tan', torch.tan)
arcsin = _unary('arcsin', torch.asin)
arccos = _unary('arccos', torch.acos)
arctan = _unary('arctan', torch.atan)
sinh = _unary('sinh', torch.sinh)
cosh = _unary('cosh', torch.cosh)
tanh = _unary('tanh', torch.tanh)
arcsinh = _unary('arcsinh', torch.asinh)
arccosh = _unary('arccosh', torch.acosh)
arctanh = _unary('arctanh', torch.atanh)


@keras_op
def arctan2(x1, x2):
    x1, x2 = pair(x1, x2)
    return torch.atan2(_floating(x1), _floating(x2))


@keras_op
def ceil(x):
    return torch.ceil(_floating(x))


@keras_op
def floor(x):
    return torch.floor(_floating(x))


@keras_op(name='round')
def round(x, decimals=0):  # noqa: A001 - the Keras name
    return torch.round(to_tensor(x), decimals=int(decimals))


@keras_op
def trunc(x):
    return torch.trunc(to_tensor(x))


@keras_op
def clip(x, x_min, x_max):
    return torch.clamp(to_tensor(x), x_min, x_max)


@keras_op
def maximum(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.maximum(x1, x2)


@keras_op
def minimum(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.minimum(x1, x2)


@keras_op
def real(x):
    x = to_tensor(x)
    return torch.real(x) if x.is_complex() else x


@keras_op
def imag(x):
    x = to_tensor(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


@keras_op
def conjugate(x):
    return torch.conj(to_tensor(x)).resolve_conj()


conj = conjugate


@keras_op
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return torch.nan_to_num(to_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


# ------------------------------------------------------------------ comparisons, logic
def _binary(name, torch_fn):
    def fn(x1, x2):
        return torch_fn(*pair(x1, x2))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = '``%s`` element-wise, with broadcasting.' % name
    return keras_op(fn)


equal = _binary('equal', torch.eq)
not_equal = _binary('not_equal', torch.ne)
greater = _binary('greater', torch.gt)
greater_equal = _binary('greater_equal', torch.ge)
less = _binary('less', torch.lt)
less_equal = _binary('less_equal', torch.le)


@keras_op
def logical_and(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.logical_and(x1, x2)


@keras_op
def logical_or(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.logical_or(x1, x2)


@keras_op
def logical_xor(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.logical_xor(x1, x2)


@keras_op
def logical_not(x):
    return torch.logical_not(to_tensor(x))


@keras_op
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` else ``x2``; with only a condition, the indices (numpy)."""
    condition = to_tensor(condition)
    if x1 is None and x2 is None:
        return torch.nonzero(condition, as_tuple=True)
    if x1 is None or x2 is None:
        raise ValueError('`x1` and `x2` must either both be given or both be None. '
                         'Received: x1=%r, x2=%r' % (x1, x2))
    x1, x2 = pair(x1, x2)
    return torch.where(condition.bool(), x1, x2)


@keras_op
def isnan(x):
    return torch.isnan(to_tensor(x))


@keras_op
def isinf(x):
    return torch.isinf(to_tensor(x))


@keras_op
def isfinite(x):
    return torch.isfinite(to_tensor(x))


@keras_op
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = _on_one_device([x1, x2])
    return torch.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


# ------------------------------------------------------------------------- reductions
@keras_op(name='sum')
def sum(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    return _reduce(torch.sum, x, axis, keepdims)


@keras_op
def mean(x, axis=None, keepdims=False):
    return _reduce(torch.mean, _floating(x), axis, keepdims)


@keras_op(name='max')
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - the Keras name
    out = _reduce(torch.amax, x, axis, keepdims)
    return out if initial is None else torch.clamp(out, min=initial)


@keras_op(name='min')
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - the Keras name
    out = _reduce(torch.amin, x, axis, keepdims)
    return out if initial is None else torch.clamp(out, max=initial)


amax = max
amin = min


@keras_op
def prod(x, axis=None, keepdims=False, dtype=None):
    """torch.prod reduces one dim at a time: the axes from the last one down."""
    x = to_tensor(x)
    if dtype is not None:
        x = x.to(config.torch_dtype(dtype))
    if axis is None:
        out = torch.prod(x)
        return out.reshape([1] * x.dim()) if keepdims else out
    rank = x.dim()
    for ax in sorted((int(a) % rank for a in np.atleast_1d(axis)), reverse=True):
        x = torch.prod(x, dim=ax, keepdim=keepdims)
    return x


@keras_op
def var(x, axis=None, keepdims=False):
    return _reduce(lambda t, **k: torch.var(t, unbiased=False, **k), _floating(x), axis, keepdims)


@keras_op
def std(x, axis=None, keepdims=False):
    return _reduce(lambda t, **k: torch.std(t, unbiased=False, **k), _floating(x), axis, keepdims)


@keras_op(name='any')
def any(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    return _reduce(torch.any, to_tensor(x).bool(), axis, keepdims)


@keras_op(name='all')
def all(x, axis=None, keepdims=False):  # noqa: A001 - the Keras name
    return _reduce(torch.all, to_tensor(x).bool(), axis, keepdims)


@keras_op
def argmax(x, axis=None, keepdims=False):
    x = to_tensor(x)
    if axis is None:
        out = torch.argmax(x.reshape(-1))
        return (out.reshape([1] * x.dim()) if keepdims else out).to(torch.int32)
    return torch.argmax(x, dim=axis, keepdim=keepdims).to(torch.int32)  # Keras 3: int32


@keras_op
def argmin(x, axis=None, keepdims=False):
    x = to_tensor(x)
    if axis is None:
        out = torch.argmin(x.reshape(-1))
        return (out.reshape([1] * x.dim()) if keepdims else out).to(torch.int32)
    return torch.argmin(x, dim=axis, keepdim=keepdims).to(torch.int32)  # Keras 3: int32


@keras_op
def argsort(x, axis=-1):
    x = to_tensor(x)
    if axis is None:
        return torch.argsort(x.reshape(-1), stable=True).to(torch.int32)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


@keras_op
def sort(x, axis=-1):
    x = to_tensor(x)
    if axis is None:
        return torch.sort(x.reshape(-1), stable=True).values
    return torch.sort(x, dim=axis, stable=True).values


@keras_op
def cumsum(x, axis=None, dtype=None):
    x = to_tensor(x)
    x = x.reshape(-1) if axis is None else x
    return torch.cumsum(x, dim=0 if axis is None else axis,
                        dtype=_optional_dtype(dtype))


@keras_op
def cumprod(x, axis=None, dtype=None):
    x = to_tensor(x)
    x = x.reshape(-1) if axis is None else x
    return torch.cumprod(x, dim=0 if axis is None else axis,
                         dtype=_optional_dtype(dtype))


@keras_op
def count_nonzero(x, axis=None):
    x = to_tensor(x)
    return torch.count_nonzero(x, dim=_axes(axis)).to(torch.int32)


@keras_op
def median(x, axis=None, keepdims=False):
    return quantile.eager(x, 0.5, axis=axis, keepdims=keepdims)


@keras_op
def quantile(x, q, axis=None, method='linear', keepdims=False):
    x = _floating(x)
    q = to_tensor(q, dtype=x.dtype, device=x.device)
    if isinstance(axis, (list, tuple)):
        raise ValueError('quantile takes one axis or None. Received: axis=%r' % (axis,))
    return torch.quantile(x, q, dim=axis, keepdim=keepdims, interpolation=method)


@keras_op
def average(x, axis=None, weights=None):
    x = _floating(x)
    if weights is None:
        return mean.eager(x, axis=axis)
    weights = to_tensor(weights, dtype=x.dtype, device=x.device)
    if axis is not None and weights.dim() == 1 and x.dim() > 1:
        shape = [1] * x.dim()
        shape[axis] = -1
        weights = weights.reshape(shape)
    return (torch.sum(x * weights, dim=axis) / torch.sum(weights.expand_as(x), dim=axis)
            if axis is not None else torch.sum(x * weights) / torch.sum(weights.expand_as(x)))


# ------------------------------------------------------------------- shapes, indexing
@keras_op
def reshape(x, newshape):
    shape = (newshape,) if isinstance(newshape, int) else tuple(-1 if d is None else int(d)
                                                                for d in newshape)
    return to_tensor(x).reshape(shape)


@keras_op
def transpose(x, axes=None):
    x = to_tensor(x)
    if axes is None:
        return x.permute(*reversed(range(x.dim())))
    return x.permute(*axes)


@keras_op
def expand_dims(x, axis):
    x = to_tensor(x)
    for ax in sorted(int(a) if a >= 0 else x.dim() + len(np.atleast_1d(axis)) + int(a)
                     for a in np.atleast_1d(axis)):
        x = x.unsqueeze(ax)
    return x


@keras_op
def squeeze(x, axis=None):
    x = to_tensor(x)
    if axis is None:
        return x.squeeze()
    for ax in sorted((int(a) % x.dim() for a in np.atleast_1d(axis)), reverse=True):
        if x.shape[ax] != 1:
            raise ValueError('Cannot squeeze axis %d of a tensor of shape %s: its size is not 1.'
                             % (ax, tuple(x.shape)))
        x = x.squeeze(ax)
    return x


def _on_one_device(xs):
    xs = [to_tensor(x) for x in xs]
    device = next((x.device for x in xs if x.device.type != 'cpu'), xs[0].device if xs else None)
    return [x.to(device) for x in xs]


@keras_op
def concatenate(xs, axis=0):
    xs = _on_one_device(xs)
    if axis is None:
        return torch.cat([x.reshape(-1) for x in xs])
    return torch.cat(xs, dim=axis)


@keras_op
def stack(x, axis=0):
    return torch.stack(_on_one_device(x), dim=axis)


@keras_op
def hstack(xs):
    return torch.hstack(_on_one_device(xs))


@keras_op
def vstack(xs):
    return torch.vstack(_on_one_device(xs))


@keras_op
def split(x, indices_or_sections, axis=0):
    """numpy's split: an int is that many equal parts (an error if they are not equal), a
    list the points to split at."""
    x = to_tensor(x)
    if isinstance(indices_or_sections, int) and x.shape[axis] % indices_or_sections:
        raise ValueError('split: axis %d of size %d cannot be split into %d equal parts. '
                         'Received: indices_or_sections=%d'
                         % (axis, x.shape[axis], indices_or_sections, indices_or_sections))
    sections = (indices_or_sections if isinstance(indices_or_sections, int)
                else [int(i) for i in indices_or_sections])
    return list(torch.tensor_split(x, sections, dim=axis))


@keras_op
def tile(x, repeats):
    x = to_tensor(x)
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    return torch.tile(x, tuple(repeats))


@keras_op
def repeat(x, repeats, axis=None):
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    if not isinstance(repeats, int):
        repeats = to_tensor(repeats, device=x.device)
    return torch.repeat_interleave(x, repeats, dim=axis)


@keras_op
def broadcast_to(x, shape):
    return torch.broadcast_to(to_tensor(x), tuple(shape))


@keras_op
def flip(x, axis=None):
    x = to_tensor(x)
    dims = tuple(range(x.dim())) if axis is None else tuple(np.atleast_1d(axis).tolist())
    return torch.flip(x, dims)


@keras_op
def roll(x, shift, axis=None):
    x = to_tensor(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


@keras_op
def moveaxis(x, source, destination):
    return torch.movedim(to_tensor(x), source, destination)


@keras_op
def swapaxes(x, axis1, axis2):
    return torch.swapaxes(to_tensor(x), axis1, axis2)


@keras_op
def ravel(x):
    return to_tensor(x).reshape(-1)


@keras_op
def take(x, indices, axis=None):
    """numpy's take: negative indices count from the end; ``axis=None`` flattens first."""
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    size = x.shape[axis]
    indices = torch.where(indices < 0, indices + size, indices)
    out = torch.index_select(x, axis, indices.reshape(-1))
    axis = axis % x.dim()
    return out.reshape(tuple(x.shape[:axis]) + tuple(indices.shape) + tuple(x.shape[axis + 1:]))


@keras_op
def take_along_axis(x, indices, axis=None):
    x = to_tensor(x)
    indices = to_tensor(indices, device=x.device).long()
    if axis is None:
        x, axis = x.reshape(-1), 0
    return torch.take_along_dim(x, indices, dim=axis)


@keras_op
def pad(x, pad_width, mode='constant', constant_values=None):
    """numpy's pad: ``pad_width`` lists (before, after) per axis, first axis first."""
    x = to_tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.dim(), 2))
    flat = [int(v) for before_after in widths[::-1] for v in before_after]
    if mode == 'constant':
        return torch.nn.functional.pad(x, flat, value=constant_values or 0)
    if mode not in ('reflect', 'symmetric', 'edge'):
        raise ValueError("pad: `mode` must be 'constant', 'reflect', 'symmetric' or 'edge'. "
                         'Received: mode=%r' % (mode,))
    if constant_values is not None:
        raise ValueError("pad: `constant_values` only goes with mode='constant'. "
                         'Received: mode=%r' % (mode,))
    array = np.pad(x.detach().cpu().numpy(), widths, mode=mode)  # numpy's exact modes
    return torch.as_tensor(array, device=x.device)


@keras_op
def append(x1, x2, axis=None):
    x1, x2 = _on_one_device([x1, x2])
    if axis is None:
        return torch.cat([x1.reshape(-1), x2.reshape(-1)])
    return torch.cat([x1, x2], dim=axis)


@keras_op
def diff(a, n=1, axis=-1):
    return torch.diff(to_tensor(a), n=n, dim=axis)


def size(x):
    return int(np.prod(tuple(x.shape)))


def ndim(x):
    return len(x.shape)


@keras_op
def copy(x):
    return to_tensor(x).clone()


def nonzero(x):
    return torch.nonzero(to_tensor(x), as_tuple=True)


@keras_op
def searchsorted(sorted_sequence, values, side='left'):
    sorted_sequence = to_tensor(sorted_sequence)
    values = to_tensor(values, device=sorted_sequence.device)
    return torch.searchsorted(sorted_sequence, values, side=side).to(torch.int32)


@keras_op
def digitize(x, bins):
    x = to_tensor(x)
    bins = to_tensor(bins, device=x.device)
    return torch.bucketize(x, bins, right=True).to(torch.int32)


@keras_op
def bincount(x, weights=None, minlength=0, sparse=False):
    x = to_tensor(x).long()
    if x.dim() == 2:  # Keras 3 counts each row of a batch
        return torch.stack([torch.bincount(row, None if weights is None else w,
                                           minlength=minlength)
                            for row, w in zip(x, weights if weights is not None else x)])
    return torch.bincount(x, None if weights is None else to_tensor(weights), minlength=minlength)


# --------------------------------------------------------------------------- creation
def _optional_dtype(dtype):
    return None if dtype is None else config.torch_dtype(dtype)


def _creation_dtype(dtype, default=None):
    return config.torch_dtype(dtype if dtype is not None else default)


def arange(start, stop=None, step=1, dtype=None):
    """Integers give int32 and any float floatx, as Keras 3."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floats = builtins.any(isinstance(v, float) for v in (start, stop, step))
        dtype = None if floats else 'int32'
    return torch.arange(start, stop, step, dtype=_creation_dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if axis != 0:
        raise ValueError('linspace supports axis=0 only. Received: axis=%r' % (axis,))
    if endpoint:
        out = torch.linspace(float(start), float(stop), int(num), dtype=_creation_dtype(dtype))
        step = (stop - start) / builtins.max(int(num) - 1, 1)
    else:
        step = (stop - start) / int(num)
        out = torch.arange(int(num), dtype=_creation_dtype(dtype)) * step + start
    return (out, step) if retstep else out


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def zeros(shape, dtype=None):
    return torch.zeros(_shape(shape), dtype=_creation_dtype(dtype))


def ones(shape, dtype=None):
    return torch.ones(_shape(shape), dtype=_creation_dtype(dtype))


def empty(shape, dtype=None):
    return torch.empty(_shape(shape), dtype=_creation_dtype(dtype))


def full(shape, fill_value, dtype=None):
    fill = to_tensor(fill_value)
    target = config.torch_dtype(dtype) if dtype is not None else fill.dtype
    return torch.broadcast_to(fill.to(target), _shape(shape)).clone()


@keras_op
def zeros_like(x, dtype=None):
    return torch.zeros_like(to_tensor(x), dtype=_optional_dtype(dtype))


@keras_op
def ones_like(x, dtype=None):
    return torch.ones_like(to_tensor(x), dtype=_optional_dtype(dtype))


@keras_op
def full_like(x, fill_value, dtype=None):
    return torch.full_like(to_tensor(x), fill_value,
                           dtype=_optional_dtype(dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - numpy's names
    ones_matrix = torch.ones((int(N), int(M if M is not None else N)))
    return ones_matrix.triu(k).tril(k).to(_creation_dtype(dtype))  # ones on diagonal k only


def identity(n, dtype=None):
    return torch.eye(int(n), dtype=_creation_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - numpy's names
    ones_matrix = torch.ones((int(N), int(M if M is not None else N)))
    return torch.tril(ones_matrix, diagonal=k).to(_creation_dtype(dtype))


@keras_op
def tril(x, k=0):
    return torch.tril(to_tensor(x), diagonal=k)


@keras_op
def triu(x, k=0):
    return torch.triu(to_tensor(x), diagonal=k)


@keras_op
def diag(x, k=0):
    return torch.diag(to_tensor(x), diagonal=k)


@keras_op
def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(to_tensor(x), offset=offset, dim1=axis1, dim2=axis2)


@keras_op
def trace(x, offset=0, axis1=0, axis2=1):
    return torch.sum(torch.diagonal(to_tensor(x), offset=offset, dim1=axis1, dim2=axis2), -1)


def meshgrid(*x, indexing='xy'):
    return list(torch.meshgrid(*[to_tensor(v) for v in x], indexing=indexing))


# ---------------------------------------------------------------------- linear algebra
@keras_op
def matmul(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.matmul(x1, x2)


@keras_op
def dot(x1, x2):
    """numpy's dot: N-D tensors contract x1's last axis with x2's second-to-last."""
    x1, x2 = _on_one_device([x1, x2])
    if x1.dim() == 0 or x2.dim() == 0:
        return x1 * x2
    if x2.dim() > 2:
        return torch.tensordot(x1, x2, dims=([x1.dim() - 1], [x2.dim() - 2]))
    return torch.matmul(x1, x2)


@keras_op
def tensordot(x1, x2, axes=2):
    x1, x2 = _on_one_device([x1, x2])
    if isinstance(axes, (list, tuple)):
        axes = [list(np.atleast_1d(a)) for a in axes]
    return torch.tensordot(x1, x2, dims=axes)


@keras_op
def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *_on_one_device(operands))


@keras_op
def outer(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.outer(x1.reshape(-1), x2.reshape(-1))


@keras_op
def inner(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.inner(x1, x2)


@keras_op
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    x1, x2 = _on_one_device([x1, x2])
    return torch.linalg.cross(x1, x2, dim=-1 if axis is None else axis)


@keras_op
def vdot(x1, x2):
    x1, x2 = _on_one_device([x1, x2])
    return torch.vdot(x1.reshape(-1), x2.reshape(-1))
