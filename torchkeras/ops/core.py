"""``keras.ops`` core: conversion, dtypes, shapes, slicing, scatter and control flow.

Each op is a thin call of the torch function that does the job (gradients flow through it).
``to_tensor`` is the one conversion every op of ops/ uses for array-likes: numpy arrays keep
their dtype, Python floats take ``floatx`` and Python ints ``int32`` as in Keras 3.
"""
import builtins

import numpy as np
import torch

from torchkeras import config
from torchkeras.ops.dispatch import is_symbolic, keras_op

__all__ = [
    'convert_to_tensor', 'convert_to_numpy', 'cast', 'saturate_cast', 'dtype', 'shape',
    'is_tensor', 'stop_gradient', 'slice', 'slice_update', 'scatter', 'scatter_update',
    'unstack', 'cond', 'switch', 'while_loop', 'fori_loop', 'map', 'scan', 'vectorized_map',
    'to_tensor', 'pair',
]


def _python_dtype(value):
    """The Keras 3 dtype of a Python scalar or nested list of them, or None for others."""
    leaves = value
    while isinstance(leaves, (list, tuple)) and leaves:
        leaves = leaves[0]
    if isinstance(leaves, bool):
        return torch.bool
    if isinstance(leaves, int):
        return torch.int32
    if isinstance(leaves, float):
        return config.torch_dtype(None)
    return None


def to_tensor(x, dtype=None, device=None):
    """A torch tensor for a tensor, numpy array, Python number or (nested) list."""
    if isinstance(x, torch.Tensor):
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x if device is None or x.device == device else x.to(device)
    value = getattr(x, 'value', None)  # a torchkeras Weight: its tensor in Keras layout
    if isinstance(value, torch.Tensor):
        return to_tensor(value, dtype, device)
    if dtype is None and not isinstance(x, np.ndarray):
        dtype = _python_dtype(x)
    return torch.as_tensor(x, dtype=dtype, device=device)


def pair(x1, x2):
    """Two operands as tensors on one device; Python numbers stay numbers (weak types)."""
    device = next((v.device for v in (x1, x2) if isinstance(v, torch.Tensor)), None)
    if not isinstance(x1, (int, float, bool)) or isinstance(x1, np.generic):
        x1 = to_tensor(x1, device=device)
    if not isinstance(x2, (int, float, bool)) or isinstance(x2, np.generic):
        x2 = to_tensor(x2, device=device)
    return x1, x2


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    if is_symbolic(x):
        return x
    return to_tensor(x, None if dtype is None else config.torch_dtype(dtype))


def convert_to_numpy(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        return (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    return np.asarray(x)


@keras_op
def cast(x, dtype):
    return to_tensor(x).to(config.torch_dtype(dtype))


@keras_op
def saturate_cast(x, dtype):
    """Cast with values clipped to the target dtype's range first."""
    x, target = to_tensor(x), config.torch_dtype(dtype)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    if x.dtype != torch.bool:
        x = torch.clamp(x, info.min, info.max)
    return x.to(target)


def dtype(x):
    """The Keras name of a tensor's dtype: ``'float32'``, ``'int64'``, ..."""
    return config.dtype_name(x.dtype)


def shape(x):
    """The shape as a tuple (None for unknown dims of a symbolic tensor)."""
    return tuple(x.shape)


def is_tensor(x):
    return isinstance(x, torch.Tensor)


@keras_op
def stop_gradient(variable):
    return to_tensor(variable).detach()


def _block(start_indices, sizes):
    """The index of a block: ``builtins.slice`` (this module's ``slice`` is the Keras op)."""
    return tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, sizes))


@keras_op
def slice(inputs, start_indices, shape):  # noqa: A001 - the Keras name
    return to_tensor(inputs)[_block(start_indices, shape)]


@keras_op
def slice_update(inputs, start_indices, updates):
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs, updates = to_tensor(inputs), to_tensor(updates)
    out = inputs.clone()
    out[_block(start_indices, updates.shape)] = updates.to(out.dtype)
    return out


@keras_op
def scatter(indices, values, shape):
    """A zeros tensor of ``shape`` with ``values`` added at ``indices`` (duplicates sum)."""
    indices, values = to_tensor(indices).long(), to_tensor(values)
    out = torch.zeros(tuple(shape), dtype=values.dtype, device=values.device)
    out.index_put_(tuple(indices.unbind(-1)), values, accumulate=True)
    return out


@keras_op
def scatter_update(inputs, indices, updates):
    inputs, indices, updates = to_tensor(inputs), to_tensor(indices).long(), to_tensor(updates)
    out = inputs.clone()
    out[tuple(indices.unbind(-1))] = updates.to(out.dtype)
    return out


def unstack(x, num=None, axis=0):
    return list(torch.unbind(to_tensor(x), dim=axis))


def cond(pred, true_fn, false_fn):
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    return branches[int(max(0, min(int(index), len(branches) - 1)))](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    count = 0
    while cond(*state) and (maximum_iterations is None or count < maximum_iterations):
        state = body(*state)
        state = (state,) if single else tuple(state)
        count += 1
    return state[0] if single else state


def fori_loop(lower, upper, body_fun, init_val):
    value = init_val
    for index in range(int(lower), int(upper)):
        value = body_fun(index, value)
    return value


def map(f, xs):  # noqa: A001 - the Keras name
    return torch.stack([f(x) for x in torch.unbind(to_tensor(xs), dim=0)])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns (carry, ys)."""
    steps = range(int(length)) if xs is None else range(to_tensor(xs).shape[0])
    order = reversed(steps) if reverse else steps
    carry, ys = init, []
    for step in order:
        carry, y = f(carry, None if xs is None else xs[step])
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (torch.stack(ys) if ys and ys[0] is not None else None)


def vectorized_map(function, elements):
    return torch.vmap(function)(elements)
