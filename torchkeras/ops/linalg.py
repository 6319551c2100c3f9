"""``keras.ops`` linear algebra (``keras.ops.linalg``), on torch.linalg."""
import torch

from torchkeras.ops.core import to_tensor
from torchkeras.ops.dispatch import keras_op

__all__ = ['cholesky', 'det', 'eig', 'eigh', 'inv', 'lu_factor', 'norm', 'solve',
           'solve_triangular', 'svd']


@keras_op
def cholesky(x):
    return torch.linalg.cholesky(to_tensor(x))


@keras_op
def det(x):
    return torch.linalg.det(to_tensor(x))


@keras_op
def eig(x):
    return tuple(torch.linalg.eig(to_tensor(x)))


@keras_op
def eigh(x):
    return tuple(torch.linalg.eigh(to_tensor(x)))


@keras_op
def inv(x):
    return torch.linalg.inv(to_tensor(x))


@keras_op
def lu_factor(x):
    return tuple(torch.linalg.lu_factor(to_tensor(x)))


@keras_op
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - numpy's name
    """numpy's norm: a vector norm over one axis (or a flattened tensor), a matrix norm over
    two axes."""
    x = to_tensor(x)
    if not x.is_floating_point():
        x = x.float()
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        return torch.linalg.matrix_norm(x, ord='fro' if ord is None else ord, dim=tuple(axis),
                                        keepdim=keepdims)
    if axis is None and x.dim() == 2 and ord is not None:
        return torch.linalg.matrix_norm(x, ord=ord, keepdim=keepdims)
    return torch.linalg.vector_norm(x, ord=2 if ord is None else ord, dim=axis,
                                    keepdim=keepdims)


@keras_op
def solve(a, b):
    return torch.linalg.solve(to_tensor(a), to_tensor(b))


@keras_op
def solve_triangular(a, b, lower=False):
    return torch.linalg.solve_triangular(to_tensor(a), to_tensor(b), upper=not lower)


@keras_op
def svd(x, full_matrices=True, compute_uv=True):
    x = to_tensor(x)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))
