"""``keras.ops.nn``: activations, softmax, one-hot, convolutions, pooling, normalization,
attention and the cross-entropy ops, on torch tensors.

The activation ops follow Keras 3 (``hard_sigmoid`` is ``relu6(x + 3) / 6``; tf.keras 2's
``clip(0.2x + 0.5)`` is ``keras.activations.hard_sigmoid``).  The cross-entropy ops follow
tf.keras 2's backend, which the losses are built on (KERAS_FACTS.md): probabilities are
clipped to ``[eps, 1 - eps]``, and an output that a torchkeras softmax or sigmoid produced
carries its logits (:func:`attach_logits`), from which the loss is computed instead.  Keras 3
on torch clips instead of recovering the logits; the two agree to about 1e-7 away from
saturated probabilities.
"""
import warnings

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops.core import to_tensor
from torchkeras.ops.dispatch import keras_op

__all__ = [
    'relu', 'relu6', 'sigmoid', 'softplus', 'softsign', 'silu', 'swish', 'log_sigmoid',
    'leaky_relu', 'hard_sigmoid', 'hard_silu', 'hard_swish', 'elu', 'selu', 'gelu', 'celu',
    'glu', 'hard_tanh', 'soft_shrink', 'hard_shrink', 'tanh_shrink', 'sparse_plus',
    'squareplus', 'mish', 'softmax', 'log_softmax', 'one_hot', 'multi_hot',
    'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy',
    'conv', 'depthwise_conv', 'separable_conv', 'conv_transpose', 'max_pool', 'average_pool',
    'moments', 'batch_normalization', 'normalize', 'l2_normalize', 'dot_product_attention',
    'ctc_loss', 'attach_logits', 'recover_logits', 'same_padding', 'transpose_geometry',
]


# ------------------------------------------------------------------------ activations
def _activation(name, torch_fn, doc):
    def fn(x):
        return torch_fn(to_tensor(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return keras_op(fn)


relu = _activation('relu', torch.relu, '``max(x, 0)``.')
relu6 = _activation('relu6', F.relu6, '``min(max(x, 0), 6)``.')
sigmoid = _activation('sigmoid', torch.sigmoid, '``1 / (1 + exp(-x))``.')
softplus = _activation('softplus', F.softplus, '``log(1 + exp(x))``.')
softsign = _activation('softsign', F.softsign, '``x / (1 + |x|)``.')
silu = _activation('silu', F.silu, '``x * sigmoid(x)``.')
log_sigmoid = _activation('log_sigmoid', F.logsigmoid, '``log(sigmoid(x))``.')
hard_sigmoid = _activation('hard_sigmoid', F.hardsigmoid, "Keras 3's ``relu6(x + 3) / 6``.")
hard_silu = _activation('hard_silu', F.hardswish, '``x * relu6(x + 3) / 6``.')
selu = _activation('selu', F.selu, '``scale * elu(x, alpha)`` with the SELU constants.')
hard_tanh = _activation('hard_tanh', F.hardtanh, '``clip(x, -1, 1)``.')
tanh_shrink = _activation('tanh_shrink', F.tanhshrink, '``x - tanh(x)``.')
mish = _activation('mish', F.mish, '``x * tanh(softplus(x))``.')
swish = silu
hard_swish = hard_silu


@keras_op
def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(to_tensor(x), negative_slope)


@keras_op
def elu(x, alpha=1.0):
    return F.elu(to_tensor(x), alpha)


@keras_op
def celu(x, alpha=1.0):
    return F.celu(to_tensor(x), alpha)


@keras_op
def gelu(x, approximate=True):
    return F.gelu(to_tensor(x), approximate='tanh' if approximate else 'none')


@keras_op
def glu(x, axis=-1):
    return F.glu(to_tensor(x), dim=axis)


@keras_op
def soft_shrink(x, threshold=0.5):
    return F.softshrink(to_tensor(x), threshold)


@keras_op
def hard_shrink(x, threshold=0.5):
    return F.hardshrink(to_tensor(x), threshold)


@keras_op
def sparse_plus(x):
    """0 below -1, ``(x + 1)^2 / 4`` on [-1, 1], ``x`` above 1."""
    x = to_tensor(x)
    return torch.where(x <= -1, torch.zeros_like(x),
                       torch.where(x < 1, torch.square(x + 1) / 4, x))


@keras_op
def squareplus(x, b=4):
    x = to_tensor(x)
    return (x + torch.sqrt(torch.square(x) + b)) / 2


def _softmax_axes(x, axis):
    return tuple(range(x.dim())) if axis is None else axis


@keras_op
def softmax(x, axis=-1):
    x = to_tensor(x)
    axes = _softmax_axes(x, axis)
    if isinstance(axes, (tuple, list)):  # torch.softmax takes one dim: the stable formula
        axes = tuple(axes)
        numerator = torch.exp(x - torch.amax(x, dim=axes, keepdim=True))
        return numerator / torch.sum(numerator, dim=axes, keepdim=True)
    return torch.softmax(x, dim=axes)


@keras_op
def log_softmax(x, axis=-1):
    x = to_tensor(x)
    axes = _softmax_axes(x, axis)
    if isinstance(axes, (tuple, list)):
        return x - torch.logsumexp(x, dim=tuple(axes), keepdim=True)
    return F.log_softmax(x, dim=axes)


@keras_op
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = to_tensor(x).long()
    out = F.one_hot(torch.clamp(x, min=0), int(num_classes)) * (x >= 0).unsqueeze(-1)
    out = out.to(config.torch_dtype(dtype))
    return out if axis == -1 else torch.movedim(out, -1, axis)


@keras_op
def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    hot = one_hot.eager(inputs, num_classes, dtype=dtype)
    hot = torch.amax(hot, dim=-2) if hot.dim() > 1 else hot
    return hot if axis == -1 else torch.movedim(hot, -1, axis)


# ----------------------------------------------------------------- cross-entropy ops
def attach_logits(output, logits, kind):
    """Remember the pre-activation ``logits`` of a softmax/sigmoid ``output``.

    tf.keras's ``backend.softmax``/``sigmoid`` store their input as
    ``output._keras_logits``; its cross-entropies then compute the loss from the logits
    (no 1e-7 clipping).  ``kind`` says which activation produced ``output`` (the fused
    training kernels need the matching kind; the loss functions, like tf.keras, use the
    logits whichever kind stored them).
    ``torch.compile`` traces these attribute writes (an older dynamo may break the graph
    there, which costs speed, not correctness), so compiled losses equal eager ones.
    Returns ``output``.
    """
    if kind not in ('softmax', 'sigmoid'):
        raise ValueError("`kind` must be 'softmax' or 'sigmoid'. Received: kind=%r" % (kind,))
    output._keras_logits = logits
    output._keras_logits_kind = kind
    return output


def recover_logits(output, from_logits, kind, fn_name, stacklevel=4):
    """tf.keras's ``backend._get_logits``: swap an activation output for its logits.

    Like tf.keras, whichever activation stored them: binary cross-entropy on a softmax
    output is computed from the softmax's logits as if they were sigmoid logits, and
    categorical cross-entropy on a sigmoid output from the sigmoid's logits.
    Returns (output or logits, from_logits); the warning points ``stacklevel`` frames up
    (the loss function that a user called, through the op's dispatch wrapper).
    """
    logits = getattr(output, '_keras_logits', None)
    if logits is None:
        return output, from_logits
    if from_logits:
        # tf.keras warns and still uses the stored logits.
        warnings.warn('`%s` received `from_logits=True`, but the `output` argument was '
                      'produced by a %s activation and thus does not represent logits. '
                      'Was this intended?' % (fn_name, kind), stacklevel=stacklevel)
    return logits, True


@keras_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """``-sum(target * log(p), axis)``, p renormalised and clipped (tf.keras's backend)."""
    output, from_logits = recover_logits(output, from_logits, 'softmax',
                                         'categorical_crossentropy')
    if from_logits:
        return -torch.sum(target * F.log_softmax(output, dim=axis), dim=axis)
    eps = config.epsilon()
    output = output / torch.sum(output, dim=axis, keepdim=True)
    output = torch.clamp(output, eps, 1.0 - eps)
    return -torch.sum(target * torch.log(output), dim=axis)


@keras_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical cross-entropy with integer labels of shape (N, ...) or (N, ..., 1).

    As tf.keras: probabilities are clipped to [eps, 1 - eps], logged, and fed to a
    softmax cross-entropy (so they are renormalised after clipping).
    """
    output, from_logits = recover_logits(output, from_logits, 'softmax',
                                         'sparse_categorical_crossentropy')
    if not from_logits:
        eps = config.epsilon()
        output = torch.log(torch.clamp(output, eps, 1.0 - eps))
    output = torch.movedim(output, axis, -1)
    target = torch.as_tensor(target, device=output.device).long()
    if target.dim() != output.dim() - 1:
        target = target.reshape(output.shape[:-1])
    log_probs = F.log_softmax(output, dim=-1)
    return -torch.gather(log_probs, -1, target.unsqueeze(-1)).squeeze(-1)


@keras_op
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise ``-(t log(p + eps) + (1 - t) log(1 - p + eps))``, p clipped first
    (tf.keras's backend adds eps twice)."""
    output, from_logits = recover_logits(output, from_logits, 'sigmoid', 'binary_crossentropy')
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction='none')
    eps = config.epsilon()
    output = torch.clamp(output, eps, 1.0 - eps)
    bce = target * torch.log(output + eps)
    bce = bce + (1.0 - target) * torch.log(1.0 - output + eps)
    return -bce


@keras_op
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Keras 3's ctc_loss: ``output`` (batch, time, classes) logits, one loss per sample."""
    log_probs = F.log_softmax(to_tensor(output), dim=-1).transpose(0, 1)
    return F.ctc_loss(log_probs, to_tensor(target).long(), to_tensor(output_length).long(),
                      to_tensor(target_length).long(), blank=mask_index, reduction='none',
                      zero_infinity=False)


# ------------------------------------------------------------- convolution and pooling
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _tuple(value, rank, name):
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank:
        raise ValueError('`%s` must have %d values for a rank-%d convolution. Received: %s=%r'
                         % (name, rank, rank, name, value))
    return values


def _to_channels_first(x, data_format):
    return x if data_format == 'channels_first' else torch.movedim(x, -1, 1)


def _from_channels_first(x, data_format):
    return x if data_format == 'channels_first' else torch.movedim(x, 1, -1)


def same_padding(length, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding (before, after) of one axis: the odd pixel goes after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-length // stride)
    total = max((out - 1) * stride + effective - length, 0)
    return total // 2, total - total // 2


def _pad_same(x, kernel, strides, dilation, value=0.0):
    """Pad the spatial axes of a channels-first tensor as TF's 'same' does."""
    pads = []
    for size, k, s, d in reversed(list(zip(x.shape[2:], kernel, strides, dilation))):
        pads += list(same_padding(size, k, s, d))
    return F.pad(x, pads, value=value)


def _prepare_conv(inputs, kernel, strides, padding, data_format, dilation_rate):
    rank = inputs.dim() - 2
    data_format = config.standardize_data_format(data_format)
    x = _to_channels_first(to_tensor(inputs), data_format)
    kernel_size = tuple(kernel.shape[:rank])
    strides = _tuple(strides, rank, 'strides')
    dilation = _tuple(dilation_rate, rank, 'dilation_rate')
    if padding not in ('valid', 'same'):
        raise ValueError("`padding` must be 'valid' or 'same'. Received: padding=%r" % (padding,))
    if padding == 'same':
        x = _pad_same(x, kernel_size, strides, dilation)
    return x, rank, strides, dilation, data_format


@keras_op
def conv(inputs, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    """N-D convolution with a Keras kernel ``(*spatial, in, out)``."""
    kernel = to_tensor(kernel)
    x, rank, strides, dilation, data_format = _prepare_conv(inputs, kernel, strides, padding,
                                                            data_format, dilation_rate)
    weight = torch.movedim(torch.movedim(kernel, -1, 0), -1, 1)  # (out, in, *spatial)
    groups = x.shape[1] // weight.shape[1]
    out = _CONV[rank](x, weight, None, strides, 0, dilation, groups)
    return _from_channels_first(out, data_format)


@keras_op
def depthwise_conv(inputs, kernel, strides=1, padding='valid', data_format=None,
                   dilation_rate=1):
    """Depthwise convolution with a Keras kernel ``(*spatial, in, multiplier)``."""
    kernel = to_tensor(kernel)
    x, rank, strides, dilation, data_format = _prepare_conv(inputs, kernel, strides, padding,
                                                            data_format, dilation_rate)
    in_channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    weight = kernel.reshape(tuple(kernel.shape[:rank]) + (1, in_channels * multiplier))
    weight = torch.movedim(torch.movedim(weight, -1, 0), -1, 1)
    out = _CONV[rank](x, weight, None, strides, 0, dilation, in_channels)
    return _from_channels_first(out, data_format)


@keras_op
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                   data_format=None, dilation_rate=1):
    depthwise = depthwise_conv.eager(inputs, depthwise_kernel, strides, padding, data_format,
                                     dilation_rate)
    return conv.eager(depthwise, pointwise_kernel, 1, 'valid', data_format, 1)


def transpose_geometry(kernel, stride, dilation, padding, output_padding):
    """torch (padding, output_padding, crop at the end) reproducing TF's transposed conv, one axis.

    Keras's output length L (``deconv_output_length``) differs from the full transposed length
    ``(n-1)*s + k_eff`` by an amount that does not depend on n.  TF computes the gradient of a
    forward conv of an L-long input: 'same' crops ``max(full - L, 0) // 2`` at the start, the rest
    at the end, and zero-extends when L is longer.  torch crops ``padding`` on both sides and
    extends by ``output_padding`` (< stride), so one extra step at the end is cropped by hand.
    """
    effective = (kernel - 1) * dilation + 1
    if output_padding is None:
        extra = max(stride - effective, 0) if padding == 'valid' else stride - effective
    else:
        extra = output_padding - (2 * (effective // 2) if padding == 'same' else 0)
    start = max(-extra, 0) // 2 if padding == 'same' else 0
    torch_output_padding = extra + 2 * start
    crop_end = max(-torch_output_padding, 0)
    return start, max(torch_output_padding, 0), crop_end


@keras_op
def conv_transpose(inputs, kernel, strides=1, padding='valid', output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution with a Keras kernel ``(*spatial, out, in)``."""
    kernel = to_tensor(kernel)
    rank = kernel.dim() - 2
    data_format = config.standardize_data_format(data_format)
    x = _to_channels_first(to_tensor(inputs), data_format)
    strides = _tuple(strides, rank, 'strides')
    dilation = _tuple(dilation_rate, rank, 'dilation_rate')
    weight = torch.movedim(torch.movedim(kernel, -1, 0), -1, 1)  # (in, out, *spatial)
    extras = ([None] * rank if output_padding is None
              else _tuple(output_padding, rank, 'output_padding'))
    geometry = [transpose_geometry(k, s, d, padding, p) for k, s, d, p in
                zip(kernel.shape[:rank], strides, dilation, extras)]
    out = _CONV_T[rank](x, weight, None, strides, [g[0] for g in geometry],
                        [g[1] for g in geometry], 1, dilation)
    crop = tuple(slice(0, out.shape[2 + i] - g[2]) for i, g in enumerate(geometry))
    return _from_channels_first(out[(slice(None), slice(None)) + crop], data_format)


def _pool(inputs, pool_size, strides, padding, data_format, torch_pools, pad_value):
    data_format = config.standardize_data_format(data_format)
    x = _to_channels_first(to_tensor(inputs), data_format)
    rank = x.dim() - 2
    pool = _tuple(pool_size, rank, 'pool_size')
    strides = pool if strides is None else _tuple(strides, rank, 'strides')
    if padding == 'same':
        x = _pad_same(x, pool, strides, (1,) * rank, pad_value)
    return x, pool, strides, data_format, torch_pools[rank]


@keras_op
def max_pool(inputs, pool_size, strides=None, padding='valid', data_format=None):
    x, pool, strides, data_format, fn = _pool(
        inputs, pool_size, strides, padding, data_format,
        {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}, float('-inf'))
    return _from_channels_first(fn(x, pool, strides), data_format)


_AVG_POOLS = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


@keras_op
def average_pool(inputs, pool_size, strides=None, padding='valid', data_format=None):
    """Average pooling; with 'same' padding the padded cells are left out of each average
    (the mean over the padded window divided by the share of real cells in it)."""
    x, pool, steps, data_format, fn = _pool(inputs, pool_size, strides, padding, data_format,
                                            _AVG_POOLS, 0.0)
    out = fn(x, pool, steps)
    if padding == 'same':
        ones = torch.ones_like(to_tensor(inputs))
        real, *_ = _pool(ones, pool_size, strides, padding, data_format, _AVG_POOLS, 0.0)
        out = out / fn(real, pool, steps)
    return _from_channels_first(out, data_format)


# ------------------------------------------------------------------- normalization
@keras_op
def moments(x, axes, keepdims=False, synchronized=False):
    x = to_tensor(x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = torch.mean(x, dim=axes, keepdim=True)
    variance = torch.mean(torch.square(x - mean), dim=axes, keepdim=True)
    if not keepdims:
        mean, variance = mean.squeeze(axes), variance.squeeze(axes)
    return mean, variance


@keras_op
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x = to_tensor(x)
    shape = [1] * x.dim()
    shape[axis] = x.shape[axis]

    def along(v):
        return None if v is None else to_tensor(v, device=x.device).reshape(shape)
    out = (x - along(mean)) * torch.rsqrt(along(variance) + epsilon)
    if scale is not None:
        out = out * along(scale)
    return out + along(offset) if offset is not None else out


@keras_op
def normalize(x, axis=-1, order=2, epsilon=None):
    """Keras 3's normalize: ``x / max(norm(x), epsilon)``."""
    x = to_tensor(x)
    eps = config.epsilon() if epsilon is None else epsilon
    norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
    return x / torch.clamp(norm, min=eps)


@keras_op
def l2_normalize(x, axis=None):
    """``tf.math.l2_normalize``: ``x * rsqrt(max(sum(x^2), 1e-12))`` (torch's F.normalize
    clamps the norm instead of its square); ``axis=None`` normalises the whole tensor."""
    x = to_tensor(x)
    if axis is None:
        squares = torch.sum(x * x)
    else:
        squares = torch.sum(x * x, dim=tuple(axis) if isinstance(axis, list) else axis,
                            keepdim=True)
    return x * torch.rsqrt(torch.clamp(squares, min=1e-12))


@keras_op
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None):
    """Keras 3's layout ``(batch, seq, heads, dim)``; torch's SDPA underneath."""
    q, k, v = (torch.movedim(to_tensor(t), -2, -3) for t in (query, key, value))
    attn_mask = None if mask is None else to_tensor(mask).bool()
    if bias is not None:
        bias = to_tensor(bias, dtype=q.dtype)
        attn_mask = bias if attn_mask is None else bias.masked_fill(~attn_mask, float('-inf'))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                         scale=scale)
    return torch.movedim(out, -3, -2)
