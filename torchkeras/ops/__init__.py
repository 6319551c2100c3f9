"""``keras.ops`` on torch tensors: every tensor function of torchkeras, once.

The namespace is Keras 3's: the numpy functions (``ops.add``, ``ops.reshape``, ``ops.sum``,
...), ``ops.nn`` (activations, ``softmax``, ``one_hot``, ``conv``, the cross-entropies, ...),
``ops.math`` (``top_k``, ``logsumexp``, FFTs, ...), ``ops.linalg`` and core functions
(``convert_to_tensor``, ``cast``, ``slice``, ``scatter``, control flow) at the top level, and
``ops.image`` (``resize``, ``extract_patches``, ``affine_transform``, ...) as a submodule.
Each op is a thin call of the torch function that does the job, so gradients flow.

Called on KerasTensors an op records a node of the functional graph instead of computing
(``ops/dispatch.py``), so a functional model can be written with ops, as in Keras 3.
Layers, losses, metrics, activations and initializers use these ops; ``torchkeras.backend``
(Keras 2's ``K.*``) is a facade over them.
"""
from torchkeras.ops import core, image, linalg, math, nn, numpy
from torchkeras.ops.core import (cast, cond, convert_to_numpy, convert_to_tensor, dtype, fori_loop,
                                 is_tensor, map, saturate_cast, scan, scatter, scatter_update,
                                 shape, slice, slice_update, stop_gradient, switch, unstack,
                                 vectorized_map, while_loop)
from torchkeras.ops.linalg import (cholesky, det, eig, eigh, inv, lu_factor, norm, solve,
                                   solve_triangular, svd)
from torchkeras.ops.math import (erf, erfinv, extract_sequences, fft, fft2, ifft2, in_top_k, irfft,
                                 logdet, logsumexp, qr, rfft, rsqrt, segment_max, segment_sum,
                                 top_k)
from torchkeras.ops.nn import (average_pool, batch_normalization, binary_crossentropy,
                               categorical_crossentropy, celu, conv, conv_transpose, ctc_loss,
                               depthwise_conv, dot_product_attention, elu, gelu, glu, hard_shrink,
                               hard_sigmoid, hard_silu, hard_swish, hard_tanh, l2_normalize,
                               leaky_relu, log_sigmoid, log_softmax, max_pool, mish, moments,
                               multi_hot, normalize, one_hot, relu, relu6, selu, separable_conv,
                               sigmoid, silu, soft_shrink, softmax, softplus, softsign,
                               sparse_categorical_crossentropy, sparse_plus, squareplus, swish,
                               tanh_shrink)
from torchkeras.ops.numpy import (abs, absolute, add, all, amax, amin, any, append, arange, arccos,
                                  arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, argmax,
                                  argmin, argsort, average, bincount, broadcast_to, ceil, clip,
                                  concatenate, conj, conjugate, copy, cos, cosh, count_nonzero,
                                  cross, cumprod, cumsum, diag, diagonal, diff, digitize, divide,
                                  dot, einsum, empty, equal, exp, exp2, expand_dims, expm1, eye,
                                  flip, floor, floor_divide, full, full_like, greater,
                                  greater_equal, hstack, identity, imag, inner, isclose, isfinite,
                                  isinf, isnan, less, less_equal, linspace, log, log10, log1p,
                                  log2, logaddexp, logical_and, logical_not, logical_or,
                                  logical_xor, matmul, max, maximum, mean, median, meshgrid, min,
                                  minimum, mod, moveaxis, multiply, nan_to_num, ndim, negative,
                                  nonzero, not_equal, ones, ones_like, outer, pad, power, prod,
                                  quantile, ravel, real, reciprocal, repeat, reshape, roll, round,
                                  searchsorted, sign, sin, sinh, size, sort, split, sqrt, square,
                                  squeeze, stack, std, subtract, sum, swapaxes, take,
                                  take_along_axis, tan, tanh, tensordot, tile, trace, transpose,
                                  tri, tril, triu, true_divide, trunc, var, vdot, vstack, where,
                                  zeros, zeros_like)

__all__ = [
    'core', 'numpy', 'math', 'linalg', 'nn', 'image', 'convert_to_tensor', 'convert_to_numpy',
    'cast', 'saturate_cast', 'dtype', 'shape', 'is_tensor', 'stop_gradient', 'slice',
    'slice_update', 'scatter', 'scatter_update', 'unstack', 'cond', 'switch', 'while_loop',
    'fori_loop', 'map', 'scan', 'vectorized_map', 'add', 'subtract', 'multiply', 'divide',
    'true_divide', 'floor_divide', 'mod', 'power', 'negative', 'abs', 'absolute', 'sign',
    'square', 'sqrt', 'reciprocal', 'exp', 'exp2', 'expm1', 'log', 'log1p', 'log2', 'log10',
    'logaddexp', 'sin', 'cos', 'tan', 'arcsin', 'arccos', 'arctan', 'arctan2', 'sinh', 'cosh',
    'tanh', 'arcsinh', 'arccosh', 'arctanh', 'ceil', 'floor', 'round', 'trunc', 'clip',
    'maximum', 'minimum', 'real', 'imag', 'conj', 'conjugate', 'nan_to_num', 'equal',
    'not_equal', 'greater', 'greater_equal', 'less', 'less_equal', 'logical_and', 'logical_or',
    'logical_not', 'logical_xor', 'where', 'isnan', 'isinf', 'isfinite', 'isclose', 'sum',
    'mean', 'max', 'amax', 'min', 'amin', 'prod', 'std', 'var', 'any', 'all', 'argmax',
    'argmin', 'argsort', 'sort', 'cumsum', 'cumprod', 'count_nonzero', 'median', 'quantile',
    'average', 'reshape', 'transpose', 'expand_dims', 'squeeze', 'concatenate', 'stack',
    'hstack', 'vstack', 'split', 'tile', 'repeat', 'broadcast_to', 'flip', 'roll', 'moveaxis',
    'swapaxes', 'ravel', 'take', 'take_along_axis', 'pad', 'append', 'diff', 'size', 'ndim',
    'copy', 'nonzero', 'searchsorted', 'digitize', 'bincount', 'arange', 'linspace', 'zeros',
    'ones', 'full', 'empty', 'zeros_like', 'ones_like', 'full_like', 'eye', 'identity', 'tri',
    'tril', 'triu', 'diag', 'diagonal', 'trace', 'meshgrid', 'matmul', 'dot', 'tensordot',
    'einsum', 'outer', 'inner', 'cross', 'vdot', 'segment_sum', 'segment_max', 'top_k',
    'in_top_k', 'logsumexp', 'rsqrt', 'erf', 'erfinv', 'fft', 'fft2', 'ifft2', 'rfft', 'irfft',
    'logdet', 'extract_sequences', 'qr', 'cholesky', 'det', 'eig', 'eigh', 'inv', 'lu_factor',
    'norm', 'solve', 'solve_triangular', 'svd', 'relu', 'relu6', 'sigmoid', 'softplus',
    'softsign', 'silu', 'swish', 'log_sigmoid', 'leaky_relu', 'hard_sigmoid', 'hard_silu',
    'hard_swish', 'elu', 'selu', 'gelu', 'celu', 'glu', 'hard_tanh', 'soft_shrink',
    'hard_shrink', 'tanh_shrink', 'sparse_plus', 'squareplus', 'mish', 'softmax',
    'log_softmax', 'one_hot', 'multi_hot', 'binary_crossentropy', 'categorical_crossentropy',
    'sparse_categorical_crossentropy', 'conv', 'depthwise_conv', 'separable_conv',
    'conv_transpose', 'max_pool', 'average_pool', 'moments', 'batch_normalization',
    'normalize', 'l2_normalize', 'dot_product_attention', 'ctc_loss'
]
