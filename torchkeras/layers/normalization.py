"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization and
UnitNormalization, as tf.keras 2 computes them.

BatchNormalization keeps gamma/beta/moving statistics in a ``torch.nn.BatchNorm*d`` and
normalizes with ``F.batch_norm`` on a view with the channels where torch wants them
((M, C) for channels_last, (N, C, ...) for channels_first).  Its moving variance follows
tf.keras 2 exactly, which depends on the kernel TensorFlow picks:

- 4D/5D input normalized over the channel axis (axis 1 or the last) runs TF's *fused* kernel,
  whose moving variance takes the **unbiased** batch variance, as torch's does;
- every other case (2D/3D inputs, other axes, ``fused=False``, ``synchronized=True``,
  float64) takes the **biased** variance (tf.nn.moments), so torch's update is corrected.
"""
import torch
import torch.nn.functional as F
from torch import nn

from torchkeras.graph import shape_inference
from torchkeras.layers.basic import _serialize
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.ops import nn as nn_ops
from torchkeras.saving.weight_layouts import IDENTITY, reshape_layout

__all__ = ['BatchNormalization', 'LayerNormalization', 'GroupNormalization',
           'UnitNormalization']

_FUSED_DTYPES = ('float16', 'bfloat16', 'float32')


def _check_axis_argument(axis):
    """An int or a list of ints (kept as given until build, as Keras does)."""
    if isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool)
                                               for a in axis):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError("Expected an int or a list/tuple of ints for the argument 'axis', but "
                    'received: axis=%r' % (axis,))


def validate_axis(axis, input_shape):
    """tf.keras ``tf_utils.validate_axis``: a list of non-negative axes of ``input_shape``."""
    rank = len(input_shape)
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = [a + rank if a < 0 else a for a in axes]
    for a in axes:
        if not 0 <= a < rank:
            raise ValueError('Invalid value for `axis` argument. Expected 0 <= axis < '
                             'inputs.rank (with inputs.rank=%d). Received: axis=%s'
                             % (rank, tuple(axes)))
    if len(axes) != len(set(axes)):
        raise ValueError('Duplicate axis: %s' % (tuple(axes),))
    return axes


def _known_dims(input_shape, axes, layer_name):
    dims = [input_shape[a] for a in axes]
    if any(d is None for d in dims):
        raise ValueError('Input has undefined `axis` dimension in %s. Received input with '
                         'shape %s and axis=%s' % (layer_name, tuple(input_shape), tuple(axes)))
    return dims


def _check_number(value, argname, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError('Argument `%s` of %s must be a number. Received: %s=%r'
                         % (argname, owner, argname, value))
    return value


def _drop_affine(module, center, scale):
    """torch makes weight and bias together; Keras can have either alone."""
    if not scale and getattr(module, 'weight', None) is not None:
        module.weight = None
    if not center and getattr(module, 'bias', None) is not None:
        module.bias = None


def _channel_view(tensor, ndim):
    """A per-channel vector (C,) shaped to broadcast over (N, C, ...) of rank ``ndim``."""
    return tensor.reshape((1, -1) + (1,) * (ndim - 2))


def _weighted_moments(x, weights):
    """Per-channel mean and biased variance of x (N, C, ...) weighted by ``weights``
    (tf.nn.weighted_moments: 0 where a channel has no weight at all)."""
    dims = [d for d in range(x.dim()) if d != 1]
    total = weights.sum(dims)
    safe = torch.where(total > 0, total, torch.ones_like(total))
    mean = (weights * x).sum(dims) / safe
    centered = x - _channel_view(mean, x.dim())
    variance = (weights * centered.square()).sum(dims) / safe
    return mean, variance


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """(x - mean) / sqrt(var + eps) * gamma + beta per channel of x (N, C, ...), written out
    so gradients flow through batch statistics that torch would treat as constants."""
    out = (x - _channel_view(mean, x.dim())) * _channel_view(torch.rsqrt(variance + epsilon),
                                                             x.dim())
    if gamma is not None:
        out = out * _channel_view(gamma, x.dim())
    if beta is not None:
        out = out + _channel_view(beta, x.dim())
    return out


def _mask_weights(mask, inputs):
    """A Keras (B, T) mask as float weights broadcast to the inputs' shape."""
    weights = mask.to(inputs.dtype)
    while weights.dim() < inputs.dim():
        weights = weights.unsqueeze(-1)
    return weights.expand(inputs.shape)


class BatchNormalization(Layer):
    """Normalize with batch statistics in training and moving statistics at inference.

    ``layer.trainable = False`` makes it run in inference mode even in training (tf.keras 2).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones',
                 moving_mean_initializer='zeros', moving_variance_initializer='ones',
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, fused=None, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, virtual_batch_size=None,
                 adjustment=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_argument(axis)
        self.momentum = _check_number(momentum, 'momentum', 'BatchNormalization')
        self.epsilon = _check_number(epsilon, 'epsilon', 'BatchNormalization')
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.synchronized = bool(synchronized)
        _reject_unsupported(renorm, virtual_batch_size, adjustment)
        if self.synchronized and fused:
            raise ValueError('`fused=True` is not supported when `synchronized=True`. '
                             'Received: fused=%r, synchronized=True' % (fused,))
        self.fused = fused
        self._fused = False
        self.supports_masking = True

    def build(self, input_shape):
        self.axis = validate_axis(self.axis, input_shape)
        rank = len(input_shape)
        dims = _known_dims(input_shape, self.axis, 'BatchNormalization')
        self.input_spec = InputSpec(ndim=rank, axes=dict(zip(self.axis, dims)))
        self._fused = self._uses_fused_kernel(rank)
        channels = 1
        for d in dims:
            channels *= d
        self.bn = _batch_norm_module(self._torch_rank(rank), channels, self.epsilon,
                                     self.momentum, self.center or self.scale)
        _drop_affine(self.bn, self.center, self.scale)
        # One axis: Keras keeps (C,); several: the input rank with 1 on the other axes.
        layout = IDENTITY if len(self.axis) == 1 else reshape_layout(
            [input_shape[i] if i in self.axis else 1 for i in range(rank)])
        if self.scale:
            self.gamma = self.track_weight('gamma', self.bn, 'weight', layout,
                                           self.gamma_initializer, self.gamma_regularizer,
                                           self.gamma_constraint)
        if self.center:
            self.beta = self.track_weight('beta', self.bn, 'bias', layout,
                                          self.beta_initializer, self.beta_regularizer,
                                          self.beta_constraint)
        self.moving_mean = self.track_weight('moving_mean', self.bn, 'running_mean', layout,
                                             self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.track_weight('moving_variance', self.bn, 'running_var',
                                                 layout, self.moving_variance_initializer,
                                                 trainable=False)

    def _uses_fused_kernel(self, rank):
        """Whether tf.keras 2 would run TF's fused kernel (unbiased moving variance)."""
        channel_axis = len(self.axis) == 1 and self.axis[0] in (1, rank - 1)
        usable = rank in (4, 5) and channel_axis
        if self.fused and not usable:
            raise ValueError('Batch normalization layers with `fused=True` only support 4D or '
                             '5D input tensors normalized over axis 1 or the last axis. '
                             'Received: input rank %d, axis=%s' % (rank, tuple(self.axis)))
        if self.fused is False or self.synchronized:
            return False
        return usable and self.dtype in _FUSED_DTYPES

    def _torch_rank(self, rank):
        """Rank of the tensor F.batch_norm sees: (M, C) for channels_last, else (N, C, ...)."""
        return rank if self.axis == [1] else 2

    def _to_channels(self, inputs):
        """A view of the inputs with the channels where torch wants them, and its inverse."""
        rank = inputs.dim()
        if self.axis == [1]:
            return inputs, lambda y: y
        if self.axis == [rank - 1]:
            return inputs.reshape(-1, inputs.shape[-1]), lambda y: y.reshape(inputs.shape)
        order = [d for d in range(rank) if d not in self.axis] + sorted(self.axis)
        moved = inputs.permute(order)
        inverse = [order.index(d) for d in range(rank)]
        return (moved.reshape(-1, self.bn.num_features),
                lambda y: y.reshape(moved.shape).permute(inverse))

    def call(self, inputs, training=None, mask=None):
        x, restore = self._to_channels(inputs)
        if not (training and self.trainable):
            out = F.batch_norm(x, self.bn.running_mean, self.bn.running_var, self.bn.weight,
                               self.bn.bias, False, 0.0, self.epsilon)
        elif mask is not None and not self._fused:  # the fused kernel ignores masks
            weights, _ = self._to_channels(_mask_weights(mask, inputs))
            out = self._train_with_moments(x, weights)
        elif x.numel() == x.shape[1]:  # one value per channel: torch refuses, Keras gives var 0
            out = self._train_with_moments(x, torch.ones_like(x))
        else:
            out = self._train_batch_norm(x)
        return restore(out)

    def _train_batch_norm(self, x):
        """F.batch_norm in training mode; its running update is torch's, corrected to
        Keras's biased variance outside the fused-kernel case."""
        if shape_inference.is_inferring():
            return F.batch_norm(x, None, None, self.bn.weight, self.bn.bias, True, 0.0,
                                self.epsilon)
        running_var = self.bn.running_var
        if self._fused:
            return F.batch_norm(x, self.bn.running_mean, running_var, self.bn.weight,
                                self.bn.bias, True, 1.0 - self.momentum, self.epsilon)
        # torch updates a copy (autograd keeps what it was given, unmodified); then
        # torch's v' = m v + (1-m) s2 n/(n-1) becomes Keras's m v + (1-m) s2 = v' (n-1)/n + m v/n
        updated = running_var.clone()
        out = F.batch_norm(x, self.bn.running_mean, updated, self.bn.weight, self.bn.bias,
                           True, 1.0 - self.momentum, self.epsilon)
        count = x.numel() // x.shape[1]
        with torch.no_grad():
            running_var.mul_(self.momentum / count).add_(updated, alpha=(count - 1) / count)
        return out

    def _train_with_moments(self, x, weights):
        """Training step with explicitly computed (masked) biased moments."""
        mean, variance = _weighted_moments(x, weights)
        if not shape_inference.is_inferring():
            with torch.no_grad():
                keep = self.momentum
                self.bn.running_mean.mul_(keep).add_(mean.detach(), alpha=1.0 - keep)
                self.bn.running_var.mul_(keep).add_(variance.detach(), alpha=1.0 - keep)
        return _normalize(x, mean, variance, self.bn.weight, self.bn.bias, self.epsilon)

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis, momentum=self.momentum, epsilon=self.epsilon, center=self.center,
            scale=self.scale,
            beta_initializer=_serialize('initializers', self.beta_initializer),
            gamma_initializer=_serialize('initializers', self.gamma_initializer),
            moving_mean_initializer=_serialize('initializers', self.moving_mean_initializer),
            moving_variance_initializer=_serialize('initializers',
                                                   self.moving_variance_initializer),
            beta_regularizer=_serialize('regularizers', self.beta_regularizer),
            gamma_regularizer=_serialize('regularizers', self.gamma_regularizer),
            beta_constraint=_serialize('constraints', self.beta_constraint),
            gamma_constraint=_serialize('constraints', self.gamma_constraint))
        return config


def _reject_unsupported(renorm, virtual_batch_size, adjustment):
    if renorm:
        raise NotImplementedError('BatchNormalization(renorm=True) is not supported by '
                                  'torchkeras. Received: renorm=%r' % (renorm,))
    if virtual_batch_size is not None:
        raise NotImplementedError('BatchNormalization(virtual_batch_size=...) is not supported '
                                  'by torchkeras. Received: virtual_batch_size=%r'
                                  % (virtual_batch_size,))
    if adjustment is not None:
        raise NotImplementedError('BatchNormalization(adjustment=...) is not supported by '
                                  'torchkeras. Received: adjustment=%r' % (adjustment,))


def _batch_norm_module(torch_rank, channels, epsilon, momentum, affine):
    module_cls = {4: nn.BatchNorm2d, 5: nn.BatchNorm3d}.get(torch_rank, nn.BatchNorm1d)
    return module_cls(channels, eps=epsilon, momentum=1.0 - momentum, affine=affine)


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (default the last), then scale and shift."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis_argument(axis)
        self.epsilon = _check_number(epsilon, 'epsilon', 'LayerNormalization')
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True

    def build(self, input_shape):
        self.axis = validate_axis(self.axis, input_shape)
        rank = len(input_shape)
        # Keras's gamma/beta have the sizes of the axes in the order given; the normalized
        # axes are moved to the end in that order, so torch's normalized_shape is the same.
        param_shape = _known_dims(input_shape, self.axis, 'LayerNormalization')
        self.norm = nn.LayerNorm(param_shape, eps=self.epsilon,
                                 elementwise_affine=self.center or self.scale, bias=self.center)
        _drop_affine(self.norm, self.center, self.scale)
        if self.scale:
            self.gamma = self.track_weight('gamma', self.norm, 'weight', IDENTITY,
                                           self.gamma_initializer, self.gamma_regularizer,
                                           self.gamma_constraint)
        if self.center:
            self.beta = self.track_weight('beta', self.norm, 'bias', IDENTITY,
                                          self.beta_initializer, self.beta_regularizer,
                                          self.beta_constraint)
        trailing = list(range(rank - len(self.axis), rank))
        self._order = None if self.axis == trailing else \
            [d for d in range(rank) if d not in self.axis] + self.axis

    def call(self, inputs):
        if self._order is None:
            return F.layer_norm(inputs, self.norm.normalized_shape, self.norm.weight,
                                self.norm.bias, self.epsilon)
        moved = inputs.permute(self._order)
        out = F.layer_norm(moved, self.norm.normalized_shape, self.norm.weight,
                           self.norm.bias, self.epsilon)
        return out.permute([self._order.index(d) for d in range(inputs.dim())])

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
            beta_initializer=_serialize('initializers', self.beta_initializer),
            gamma_initializer=_serialize('initializers', self.gamma_initializer),
            beta_regularizer=_serialize('regularizers', self.beta_regularizer),
            gamma_regularizer=_serialize('regularizers', self.gamma_regularizer),
            beta_constraint=_serialize('constraints', self.beta_constraint),
            gamma_constraint=_serialize('constraints', self.gamma_constraint))
        return config


class GroupNormalization(Layer):
    """Split the channels (``axis``) into ``groups`` and normalize each sample per group."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones', beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or \
                (groups <= 0 and groups != -1):
            raise ValueError('Argument `groups` of GroupNormalization must be a positive '
                             'integer or -1. Received: groups=%r' % (groups,))
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError('Argument `axis` of GroupNormalization must be an int. '
                            'Received: axis=%r' % (axis,))
        self.groups = groups
        self.axis = axis
        self.epsilon = _check_number(epsilon, 'epsilon', 'GroupNormalization')
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True

    def build(self, input_shape):
        channel_axis = validate_axis(self.axis, input_shape)[0]
        dim = input_shape[channel_axis]
        if dim is None:
            raise ValueError('Axis %d of input tensor should have a defined dimension but the '
                             'layer received an input with shape %s.' % (self.axis, input_shape))
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError('Number of groups (%d) cannot be more than the number of channels '
                             '(%d).' % (self.groups, dim))
        if dim % self.groups != 0:
            raise ValueError('Number of groups (%d) must be a multiple of the number of '
                             'channels (%d).' % (self.groups, dim))
        self._channel_axis = channel_axis
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.norm = nn.GroupNorm(self.groups, dim, eps=self.epsilon,
                                 affine=self.center or self.scale)
        _drop_affine(self.norm, self.center, self.scale)
        if self.scale:
            self.gamma = self.track_weight('gamma', self.norm, 'weight', IDENTITY,
                                           self.gamma_initializer, self.gamma_regularizer,
                                           self.gamma_constraint)
        if self.center:
            self.beta = self.track_weight('beta', self.norm, 'bias', IDENTITY,
                                          self.beta_initializer, self.beta_regularizer,
                                          self.beta_constraint)

    def call(self, inputs, mask=None):
        x = inputs.movedim(self._channel_axis, 1)
        if mask is None:
            out = F.group_norm(x, self.groups, self.norm.weight, self.norm.bias, self.epsilon)
        else:
            weights = _mask_weights(mask, inputs).movedim(self._channel_axis, 1)
            out = self._masked_group_norm(x, weights)
        return out.movedim(1, self._channel_axis)

    def _masked_group_norm(self, x, weights):
        """Keras's weighted moments per (sample, group), then the per-channel affine."""
        grouped = (x.shape[0], self.groups, -1)
        flat_x, flat_w = x.reshape(grouped), weights.reshape(grouped)
        total = flat_w.sum(-1, keepdim=True)
        safe = torch.where(total > 0, total, torch.ones_like(total))
        mean = (flat_w * flat_x).sum(-1, keepdim=True) / safe
        variance = (flat_w * (flat_x - mean).square()).sum(-1, keepdim=True) / safe
        out = ((flat_x - mean) * torch.rsqrt(variance + self.epsilon)).reshape(x.shape)
        if self.norm.weight is not None:
            out = out * _channel_view(self.norm.weight, x.dim())
        if self.norm.bias is not None:
            out = out + _channel_view(self.norm.bias, x.dim())
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            groups=self.groups, axis=self.axis, epsilon=self.epsilon, center=self.center,
            scale=self.scale,
            beta_initializer=_serialize('initializers', self.beta_initializer),
            gamma_initializer=_serialize('initializers', self.gamma_initializer),
            beta_regularizer=_serialize('regularizers', self.beta_regularizer),
            gamma_regularizer=_serialize('regularizers', self.gamma_regularizer),
            beta_constraint=_serialize('constraints', self.beta_constraint),
            gamma_constraint=_serialize('constraints', self.gamma_constraint))
        return config


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis``: ``x / sqrt(max(sum(x^2), 1e-12))``
    (tf.math.l2_normalize; torch's F.normalize clamps the norm instead, not its square)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError('Invalid value for `axis` argument: expected an int or a list/tuple '
                            'of ints. Received: axis=%r' % (axis,))
        self.supports_masking = True

    def build(self, input_shape):
        self.axis = validate_axis(self.axis, input_shape)

    def call(self, inputs):
        return nn_ops.l2_normalize(inputs, axis=self.axis)

    def get_config(self):
        config = super().get_config()
        config['axis'] = self.axis
        return config
