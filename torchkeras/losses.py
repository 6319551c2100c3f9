"""Keras losses on torch tensors, with tf.keras 2 numerics.

Every loss function takes ``(y_true, y_pred)`` and returns the per-sample loss: the
mean (or sum, for the cross-entropies) over the last axis, so the result has shape
``y_pred.shape[:-1]`` (for sparse cross-entropy: the label shape without a trailing 1).

Numerics follow tf.keras 2 (tf_keras 2.21, ``tf_keras/losses.py`` and ``backend.py``):

- probabilities are clipped to ``[eps, 1 - eps]`` with ``eps = config.epsilon()``
  (1e-7); categorical cross-entropy first renormalises ``p / sum(p)``; binary
  cross-entropy adds ``eps`` a second time inside the logs;
- *logit recovery*: tf.keras's ``softmax``/``sigmoid`` keep their input on the output
  tensor (``output._keras_logits``) and the cross-entropies use those logits instead
  of the clipped probabilities.  torchkeras's activations call :func:`attach_logits`,
  and the cross-entropies here read it back (as tf.keras does, whichever activation
  stored them: binary cross-entropy on a softmax output uses the softmax's logits);
- reduction ``sum_over_batch_size`` is ``sum(l * w) / N`` with ``N`` the number of loss
  elements, not ``sum(w)``.  With a mask (padded time steps) the result is
  ``sum(l * w * mask) / sum(mask)`` (tf.keras's ``losses_utils.apply_valid_mask``;
  Keras 3's ``apply_mask`` normalises the same way).
"""
import difflib
import math
import warnings

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops import nn as nn_ops
from torchkeras.ops.nn import attach_logits  # re-exported: the logits a loss recovers

__all__ = [
    # functions and aliases
    'mean_squared_error', 'mse', 'MSE', 'mean_absolute_error', 'mae', 'MAE',
    'mean_absolute_percentage_error', 'mape', 'MAPE', 'mean_squared_logarithmic_error',
    'msle', 'MSLE', 'squared_hinge', 'hinge', 'categorical_hinge', 'log_cosh', 'logcosh',
    'huber', 'huber_loss', 'kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence',
    'poisson', 'cosine_similarity', 'cosine_proximity', 'cosine', 'binary_crossentropy',
    'bce', 'BCE', 'categorical_crossentropy', 'sparse_categorical_crossentropy',
    'binary_focal_crossentropy', 'categorical_focal_crossentropy',
    # classes
    'Reduction', 'Loss', 'LossFunctionWrapper', 'TorchLossWrapper', 'MeanSquaredError',
    'MeanAbsoluteError', 'MeanAbsolutePercentageError', 'MeanSquaredLogarithmicError',
    'BinaryCrossentropy', 'CategoricalCrossentropy', 'SparseCategoricalCrossentropy',
    'BinaryFocalCrossentropy', 'CategoricalFocalCrossentropy', 'Hinge', 'SquaredHinge',
    'CategoricalHinge', 'Huber', 'LogCosh', 'KLDivergence', 'Poisson', 'CosineSimilarity',
    # utilities
    'attach_logits', 'compute_weighted_loss', 'get', 'serialize', 'deserialize',
]


# --------------------------------------------------------------------------- helpers

def _as_pred(y_pred):
    """A float tensor; the same object when it already is one (keeps attached logits)."""
    if isinstance(y_pred, torch.Tensor):
        return y_pred if y_pred.is_floating_point() else y_pred.to(config.torch_dtype(None))
    return torch.as_tensor(y_pred, dtype=config.torch_dtype(None))


def _as_true(y_true, y_pred, dtype=None):
    dtype = y_pred.dtype if dtype is None else dtype
    return torch.as_tensor(y_true, device=y_pred.device).to(dtype)


def _match_label_rank(y_true, y_pred):
    """Line up labels of rank ``r`` with predictions of rank ``r + 1`` (or the reverse).

    tf.keras squeezes a trailing 1 off ``y_pred``; expanding ``y_true`` instead gives
    the same values, keeps ``y_pred``'s attached logits, and avoids the silent (N, N)
    broadcast that ``(N,)`` labels against ``(N, 1)`` predictions would give.
    """
    if y_pred.dim() - y_true.dim() == 1 and y_pred.shape[-1] == 1:
        return y_true.unsqueeze(-1)
    if y_true.dim() - y_pred.dim() == 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1)
    return y_true


def _prepare(y_true, y_pred):
    y_pred = _as_pred(y_pred)
    y_true = _match_label_rank(_as_true(y_true, y_pred), y_pred)
    return y_true, y_pred


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError('`axis` must be of type `int`. Received: axis=%r of type %s'
                         % (axis, type(axis)))


# ------------------------------------------------------------- regression losses

def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return torch.mean(torch.square(y_pred - y_true), dim=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return torch.mean(torch.abs(y_pred - y_true), dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=config.epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(p, eps) + 1) - log(max(y, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    first_log = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second_log = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


def _maybe_convert_labels(y_true):
    """{0, 1} labels become {-1, 1}; any other labels are kept (decided on device)."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def squared_hinge(y_true, y_pred):
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)``, {0,1} labels -> {-1,1}."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``, {0,1} labels -> {-1,1}."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


def categorical_hinge(y_true, y_pred):
    """``max(neg - pos + 1, 0)``, pos = sum(y*p), neg = max((1-y)*p)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


def huber(y_true, y_pred, delta=1.0):
    """``mean(0.5 x^2 if |x| <= delta else delta |x| - 0.5 delta^2, axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, written as x + softplus(-2x) - log 2."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(-2.0 * x) - math.log(2.0), dim=-1)


def kl_divergence(y_true, y_pred):
    """``sum(y * log(y / p), axis=-1)`` with y and p clipped to [eps, 1]."""
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = config.epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true, y_pred):
    """``mean(p - y * log(p + eps), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + config.epsilon()), dim=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (a loss: -1 is best)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return -torch.sum(nn_ops.l2_normalize(y_true, axis) * nn_ops.l2_normalize(y_pred, axis),
                      dim=axis)


# ------------------------------------------------------------------ cross-entropy

def _smooth_categorical(y_true, label_smoothing, axis):
    if not label_smoothing:
        return y_true
    num_classes = y_true.shape[axis]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _smooth_binary(y_true, label_smoothing):
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _warn_single_class(y_pred, fn_name):
    if y_pred.dim() > 0 and y_pred.shape[-1] == 1:
        warnings.warn('In loss %s, expected y_pred.shape to be (batch_size, num_classes) with '
                      'num_classes > 1. Received: y_pred.shape=%s. Consider using '
                      "'binary_crossentropy' if you only have 2 classes."
                      % (fn_name, tuple(y_pred.shape)), SyntaxWarning, stacklevel=3)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y * log(p), axis)``; probabilities are renormalised then clipped."""
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _warn_single_class(y_pred, 'categorical_crossentropy')
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    return nn_ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1,
                                    ignore_class=None):
    """Categorical cross-entropy with integer labels of shape (N, ...) or (N, ..., 1).

    As tf.keras: probabilities are clipped to [eps, 1 - eps], logged, and fed to a
    softmax cross-entropy (so they are renormalised after clipping).  With
    ``ignore_class`` the ignored positions get loss 0 and the result carries
    ``_keras_mask`` so :class:`Loss` averages over the valid positions only.
    """
    _check_axis(axis)
    output = _as_pred(y_pred)
    target = torch.as_tensor(y_true, device=output.device).long()
    valid = None if ignore_class is None else target != ignore_class
    if valid is not None:
        target = torch.where(valid, target, torch.zeros_like(target))
    result = nn_ops.sparse_categorical_crossentropy(target, output, from_logits=from_logits,
                                                    axis=axis)
    if valid is not None:
        valid = valid.reshape(result.shape)
        result = torch.where(valid, result, torch.zeros_like(result))
        result._keras_mask = valid
    return result


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``mean(-(y log(p + eps) + (1 - y) log(1 - p + eps)), axis)``, p clipped first."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    return torch.mean(nn_ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits), dim=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (and alpha balancing)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    sigmoidal = torch.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * sigmoidal + (1.0 - y_true) * (1.0 - sigmoidal)
    bce = nn_ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal_bce
    return torch.mean(focal_bce, dim=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """``sum(alpha * (1 - p) ** gamma * -y log p, axis)`` with p renormalised and clipped."""
    _check_axis(axis)
    y_true, y_pred = _prepare(y_true, y_pred)
    _warn_single_class(y_pred, 'categorical_focal_crossentropy')
    y_true = _smooth_categorical(y_true, label_smoothing, -1)
    output, from_logits = nn_ops.recover_logits(y_pred, from_logits, 'softmax',
                                                'categorical_focal_crossentropy', stacklevel=3)
    if from_logits:
        output = torch.softmax(output, dim=axis)
    eps = config.epsilon()
    output = output / torch.sum(output, dim=axis, keepdim=True)
    output = torch.clamp(output, eps, 1.0 - eps)
    if not isinstance(alpha, (int, float)):  # per-class weights
        alpha = torch.as_tensor(alpha, dtype=output.dtype, device=output.device)
    focal = alpha * torch.pow(1.0 - output, gamma) * (-y_true * torch.log(output))
    return torch.sum(focal, dim=axis)


# Aliases, as tf.keras (and Keras 1 / 2.2 for 'cosine' and 'cosine_proximity',
# which K2.2.4 defines as -sum(l2n(y) * l2n(p)), i.e. cosine_similarity).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber
bce = BCE = binary_crossentropy
cosine_proximity = cosine = cosine_similarity


# ---------------------------------------------------------------------- reduction

class Reduction:
    """Loss reduction names (``keras.losses.Reduction``)."""
    AUTO = 'auto'
    NONE = 'none'
    SUM = 'sum'
    SUM_OVER_BATCH_SIZE = 'sum_over_batch_size'

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError('Invalid Reduction Key: expected one of %s. Received: reduction=%r'
                             % (cls.all(), key))


def _match_weight_rank(weight, ndim):
    """Squeeze or expand trailing dims of a weight/mask so it broadcasts to rank ``ndim``."""
    if weight.dim() == 0:
        return weight
    if weight.dim() == ndim + 1 and weight.shape[-1] == 1:
        return weight.squeeze(-1)
    while weight.dim() < ndim:
        weight = weight.unsqueeze(-1)
    return weight


def _valid_mask_weights(mask, values, reduction):
    """tf.keras ``apply_valid_mask``: scale the mask so the mean runs over valid entries."""
    mask = _match_weight_rank(torch.as_tensor(mask, device=values.device).to(values.dtype),
                              values.dim())
    if reduction == Reduction.SUM_OVER_BATCH_SIZE:
        valid = torch.sum(mask)
        scale = mask.numel() / torch.where(valid > 0, valid, torch.ones_like(valid))
        # All entries masked: tf.keras returns NaN (0 * inf); we return 0.
        mask = mask * torch.where(valid > 0, scale, torch.zeros_like(scale))
    return mask


def compute_weighted_loss(values, sample_weight=None, mask=None,
                          reduction=Reduction.SUM_OVER_BATCH_SIZE):
    """Weight and reduce per-sample losses exactly as tf.keras does.

    - ``sum_over_batch_size`` ('auto'): ``sum(values * w) / N``, N = number of elements
      of the weighted losses (not ``sum(w)``);
    - ``sum``: ``sum(values * w)``; ``none``: ``values * w``.

    ``mask`` (bool or 0/1, broadcastable to ``values``, e.g. (N, T) for per-time-step
    losses) drops masked entries: ``sum(values * w * mask) / sum(mask)`` under
    ``sum_over_batch_size`` (tf.keras 2 ``apply_valid_mask`` and Keras 3 ``apply_mask``
    agree), ``sum(values * w * mask)`` under ``sum``.
    """
    Reduction.validate(reduction)
    if reduction == Reduction.AUTO:
        reduction = Reduction.SUM_OVER_BATCH_SIZE
    values = torch.as_tensor(values)
    if not values.is_floating_point():
        values = values.to(config.torch_dtype(None))
    weights = None
    if sample_weight is not None:
        weights = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
        weights = _match_weight_rank(weights, values.dim())
    if mask is not None:
        mask = _valid_mask_weights(mask, values, reduction)
        weights = mask if weights is None else weights * mask
    weighted = values if weights is None else values * weights
    if reduction == Reduction.NONE:
        return weighted
    total = torch.sum(weighted)
    if reduction == Reduction.SUM:
        return total
    return total / max(weighted.numel(), 1)


# ------------------------------------------------------------------ loss classes

class Loss:
    """Base class: subclasses write ``call(y_true, y_pred)`` -> per-sample losses.

    ``loss(y_true, y_pred, sample_weight=None)`` weights and reduces them with
    :func:`compute_weighted_loss`, honouring a Keras mask carried by ``y_pred``
    (``y_pred._keras_mask``) or by the losses (``_keras_mask``), as tf.keras does.
    """

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None, dtype=None):
        Reduction.validate(reduction)
        self.reduction = reduction
        self.name = name
        self.dtype = dtype  # accepted for Keras 3 configs; losses follow y_pred's dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, y_pred)
        mask = _combine_masks(getattr(y_pred, '_keras_mask', None),
                              self._loss_mask(y_true, y_pred, losses))
        return compute_weighted_loss(losses, sample_weight, mask=mask, reduction=self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError('Loss subclasses must implement `call(y_true, y_pred)`.')

    def _loss_mask(self, y_true, y_pred, losses):
        """Entries of ``losses`` to keep (or None); sparse CE's ``ignore_class`` uses it."""
        return getattr(losses, '_keras_mask', None)

    def get_config(self):
        return {'reduction': self.reduction, 'name': self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _combine_masks(in_mask, out_mask):
    if in_mask is None:
        return out_mask
    if out_mask is None:
        return in_mask
    return in_mask.bool() & out_mask.bool()


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None, **kwargs):
        if isinstance(fn, str):
            fn = get(fn)
        if not callable(fn):
            raise ValueError('`fn` must be a callable loss function. Received: fn=%r' % (fn,))
        super().__init__(reduction=reduction,
                         name=name if name is not None else getattr(fn, '__name__', None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is LossFunctionWrapper:
            config['fn'] = getattr(self.fn, '__name__', None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            return cls(get(config.pop('fn')), **config)
        config.pop('fn', None)
        return cls(**config)


class TorchLossWrapper(Loss):
    """A torch loss module (``nn.MSELoss()``, ...) used as a Keras loss.

    The module is called as ``module(y_pred, y_true)`` (torch's argument order) and keeps
    its own reduction; sample weights then scale its result.  Keras-style integer labels
    of shape (N, 1) are squeezed to (N,) longs for ``CrossEntropyLoss``/``NLLLoss``.
    """

    def __init__(self, module, reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None):
        super().__init__(reduction=reduction,
                         name=name or config.to_snake_case(type(module).__name__))
        self.module = module

    def call(self, y_true, y_pred):
        y_pred = _as_pred(y_pred)
        if isinstance(self.module, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
            y_true = torch.as_tensor(y_true, device=y_pred.device)
            if y_true.shape != y_pred.shape or not y_true.is_floating_point():
                if y_true.dim() == y_pred.dim():
                    y_true = y_true.squeeze(-1)
                y_true = y_true.long()
        else:
            y_true = _match_label_rank(_as_true(y_true, y_pred), y_pred)
        return self.module(y_pred, y_true)

    def get_config(self):
        config = super().get_config()
        config['module'] = type(self.module).__name__
        return config


class MeanSquaredError(LossFunctionWrapper):
    """``mean(square(y_true - y_pred))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='mean_squared_error'):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """``mean(abs(y_true - y_pred))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='mean_absolute_error'):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``100 * mean(abs((y_true - y_pred) / y_true))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='mean_absolute_percentage_error'):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """``mean(square(log(y_true + 1) - log(y_pred + 1)))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='mean_squared_logarithmic_error'):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy; ``from_logits``, ``label_smoothing`` (towards 0.5), ``axis``."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=Reduction.SUM_OVER_BATCH_SIZE, name='binary_crossentropy'):
        super().__init__(binary_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy (Lin et al. 2018)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='binary_focal_crossentropy'):
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy on one-hot labels."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=Reduction.SUM_OVER_BATCH_SIZE, name='categorical_crossentropy'):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Alpha-balanced categorical focal cross-entropy."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='categorical_focal_crossentropy'):
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy on integer labels; ``ignore_class`` drops a label id."""

    def __init__(self, from_logits=False, ignore_class=None, axis=-1,
                 reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='sparse_categorical_crossentropy'):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _loss_mask(self, y_true, y_pred, losses):
        # Computed from the labels, so it also holds under torch.compile (no attributes).
        if self.ignore_class is None:
            return None
        labels = torch.as_tensor(y_true, device=losses.device)
        if labels.dim() != losses.dim():
            labels = labels.reshape(losses.shape)
        return labels != self.ignore_class


class CosineSimilarity(LossFunctionWrapper):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``."""

    def __init__(self, axis=-1, reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 name='cosine_similarity'):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


class Hinge(LossFunctionWrapper):
    """``mean(max(1 - y_true * y_pred, 0))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='hinge'):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """``mean(square(max(1 - y_true * y_pred, 0)))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='squared_hinge'):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """``max(neg - pos + 1, 0)``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='categorical_hinge'):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss with threshold ``delta``."""

    def __init__(self, delta=1.0, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='huber_loss'):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """``mean(log(cosh(y_pred - y_true)))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='log_cosh'):
        super().__init__(log_cosh, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """``sum(y_true * log(y_true / y_pred))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='kl_divergence'):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """``mean(y_pred - y_true * log(y_pred))``."""

    def __init__(self, reduction=Reduction.SUM_OVER_BATCH_SIZE, name='poisson'):
        super().__init__(poisson, reduction=reduction, name=name)


# ------------------------------------------------------------ lookup and serialization

_LOSS_FUNCTIONS = {
    'mean_squared_error': mean_squared_error, 'mse': mse, 'MSE': MSE,
    'mean_absolute_error': mean_absolute_error, 'mae': mae, 'MAE': MAE,
    'mean_absolute_percentage_error': mean_absolute_percentage_error, 'mape': mape,
    'MAPE': MAPE, 'mean_squared_logarithmic_error': mean_squared_logarithmic_error,
    'msle': msle, 'MSLE': MSLE, 'squared_hinge': squared_hinge, 'hinge': hinge,
    'categorical_hinge': categorical_hinge, 'log_cosh': log_cosh, 'logcosh': logcosh,
    'huber': huber, 'huber_loss': huber_loss, 'kl_divergence': kl_divergence, 'kld': kld,
    'KLD': KLD, 'kullback_leibler_divergence': kullback_leibler_divergence,
    'poisson': poisson, 'cosine_similarity': cosine_similarity,
    'cosine_proximity': cosine_proximity, 'cosine': cosine,
    'binary_crossentropy': binary_crossentropy, 'bce': bce, 'BCE': BCE,
    'categorical_crossentropy': categorical_crossentropy,
    'sparse_categorical_crossentropy': sparse_categorical_crossentropy,
    'binary_focal_crossentropy': binary_focal_crossentropy,
    'categorical_focal_crossentropy': categorical_focal_crossentropy,
}

_LOSS_CLASSES = {cls.__name__: cls for cls in (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalFocalCrossentropy,
    SparseCategoricalCrossentropy, CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge,
    Huber, LogCosh, KLDivergence, Poisson)}


def _unknown(identifier):
    candidates = list(_LOSS_FUNCTIONS) + list(_LOSS_CLASSES)
    close = difflib.get_close_matches(str(identifier), candidates, n=3)
    hint = (' Did you mean %s?' % ' or '.join(repr(c) for c in close)) if close else ''
    return ValueError('Unknown loss function: %r. Expected the name of a Keras loss '
                      "(e.g. 'mse', 'categorical_crossentropy', 'BinaryCrossentropy'), a "
                      'function, a Loss instance or a config dict.%s Received: identifier=%r'
                      % (identifier, hint, identifier))


def serialize(loss):
    """A Loss instance -> ``{'class_name', 'config'}``; a function -> its name."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {'class_name': type(loss).__name__, 'config': loss.get_config()}
    name = getattr(loss, '__name__', None)
    if name is None:
        raise ValueError('Cannot serialize loss: expected a Loss instance or a named '
                         'function. Received: loss=%r' % (loss,))
    return name


def deserialize(config, custom_objects=None):
    """A name or ``{'class_name': ..., 'config': ...}`` -> a loss function or Loss."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        found = custom_objects.get(config) or _LOSS_FUNCTIONS.get(config)
        if found is None and config in _LOSS_CLASSES:
            found = _LOSS_CLASSES[config]()
        if found is None:
            raise _unknown(config)
        return found
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("A loss config must be a name or a dict with 'class_name' and "
                         "'config'. Received: config=%r" % (config,))
    class_name, inner = config['class_name'], config.get('config') or {}
    if class_name == 'function':  # Keras 3 format for plain functions
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _LOSS_CLASSES.get(class_name)
    if cls is None:
        raise _unknown(class_name)
    if isinstance(cls, type):
        return cls.from_config(dict(inner))
    return cls


def get(identifier):
    """Resolve a loss: a name, a function, a Loss, a config dict or a torch loss module.

    Names resolve as tf.keras does: a function name ('mse', 'categorical_crossentropy')
    gives the function, a class name ('MeanSquaredError') an instance of the class.
    A ``torch.nn`` loss module is wrapped in :class:`TorchLossWrapper`.
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, torch.nn.Module):
        return TorchLossWrapper(identifier)
    if callable(identifier):
        return identifier
    raise _unknown(identifier)
