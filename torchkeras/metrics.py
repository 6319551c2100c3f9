"""Keras metrics: stateful accumulators whose state lives in torch tensors.

A metric is updated once per batch with ``update_state(y_true, y_pred, sample_weight)``
and read with ``result()`` (a 0-d tensor).  The state tensors move to the device of the
first inputs and are updated in place without reading values back to the host, so a
training loop on CUDA never waits on a metric; ``float(metric.result())`` is the only
sync, made when a value is shown.

Semantics follow tf.keras 2 (tf_keras 2.21 ``metrics/`` and ``utils/metrics_utils.py``):
mean metrics are ``sum(v * w) / sum(w)`` over the per-sample values (weights broadcast
to the values), confusion-matrix metrics count ``y_pred > threshold``, and AUC uses
tf.keras's bucketed thresholds and Riemann/interpolated sums.  F-scores, R2 and the IoU
family keep per-class sums (the IoU family a class confusion matrix) and build their
result from them.  Names are the ones tf.keras puts in History: see :func:`get`.
"""
import difflib
import inspect
import numbers
import sys
import types
import warnings

import numpy as np
import torch

from torchkeras import config
from torchkeras import losses
from torchkeras.losses import _match_label_rank, _match_weight_rank

# Loss functions re-exported as metric functions (tf.keras exports them under both).
from torchkeras.losses import (  # noqa: F401  (re-exported)
    BCE, MAE, MAPE, MSE, MSLE, bce, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, categorical_hinge, hinge,
    kl_divergence, kld, KLD, kullback_leibler_divergence, log_cosh, logcosh, mae, mape,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy,
    squared_hinge,
)

__all__ = [
    # base classes
    'Metric', 'Reduce', 'Mean', 'Sum', 'MeanMetricWrapper', 'MeanTensor',
    'TorchMetricWrapper', 'PyMetric', 'experimental',
    # accuracy
    'Accuracy', 'BinaryAccuracy', 'CategoricalAccuracy', 'SparseCategoricalAccuracy',
    'TopKCategoricalAccuracy', 'SparseTopKCategoricalAccuracy',
    # confusion matrix
    'AUC', 'Precision', 'Recall', 'TruePositives', 'FalsePositives', 'TrueNegatives',
    'FalseNegatives', 'PrecisionAtRecall', 'RecallAtPrecision', 'SensitivityAtSpecificity',
    'SpecificityAtSensitivity',
    # F-scores and IoU
    'FBetaScore', 'F1Score', 'IoU', 'BinaryIoU', 'MeanIoU', 'OneHotIoU', 'OneHotMeanIoU',
    # regression / probabilistic / hinge
    'MeanSquaredError', 'MeanAbsoluteError', 'RootMeanSquaredError',
    'MeanAbsolutePercentageError', 'MeanSquaredLogarithmicError', 'LogCoshError',
    'MeanRelativeError', 'R2Score', 'CosineSimilarity', 'BinaryCrossentropy',
    'CategoricalCrossentropy', 'SparseCategoricalCrossentropy', 'KLDivergence', 'Poisson',
    'Hinge', 'SquaredHinge', 'CategoricalHinge',
    # functions
    'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy',
    'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy', 'cosine_similarity',
    'cosine_proximity', 'acc', 'ACC',
    'mean_squared_error', 'mse', 'MSE', 'mean_absolute_error', 'mae', 'MAE',
    'mean_absolute_percentage_error', 'mape', 'MAPE', 'mean_squared_logarithmic_error',
    'msle', 'MSLE', 'binary_crossentropy', 'bce', 'BCE', 'categorical_crossentropy',
    'sparse_categorical_crossentropy', 'binary_focal_crossentropy',
    'categorical_focal_crossentropy', 'kullback_leibler_divergence', 'kl_divergence', 'kld',
    'KLD', 'poisson', 'hinge', 'squared_hinge', 'categorical_hinge', 'logcosh', 'log_cosh',
    # utilities
    'get', 'serialize', 'deserialize',
]

NEG_INF = -1e10  # tf.keras's stand-in for "not in the top k"


# --------------------------------------------------------------------------- helpers

def _torch_dtype(dtype):
    if isinstance(dtype, dict):  # a Keras 3 DTypePolicy config
        dtype = dtype.get('config', {}).get('name')
    return config.torch_dtype(dtype)


def _divide_no_nan(numerator, denominator):
    safe = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
    return torch.where(denominator != 0, numerator / safe, torch.zeros_like(numerator))


def _as_float(value, dtype, device=None):
    """A detached float tensor of ``dtype``; the same object when it already is one."""
    tensor = torch.as_tensor(value, device=device)
    if device is not None and tensor.device != torch.device(device):
        tensor = tensor.to(device)
    if tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    return tensor


def _remove_squeezable(labels, predictions):
    """tf.keras ``remove_squeezable_dimensions`` (expected rank difference 0)."""
    rank_diff = predictions.dim() - labels.dim()
    if rank_diff == 1 and predictions.shape[-1] == 1:
        predictions = predictions.squeeze(-1)
    elif rank_diff == -1 and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    return labels, predictions


def _squeeze_or_expand(y_pred, y_true, sample_weight=None):
    """tf.keras ``losses_utils.squeeze_or_expand_dimensions``."""
    if y_true is not None and ((y_pred.dim() - y_true.dim() != 1) or y_pred.shape[-1] == 1):
        y_true, y_pred = _remove_squeezable(y_true, y_pred)
    if sample_weight is None or sample_weight.dim() == 0:
        return y_pred, y_true, sample_weight
    if sample_weight.dim() - y_pred.dim() == 1 and sample_weight.shape[-1] == 1:
        sample_weight = sample_weight.squeeze(-1)
    elif y_pred.dim() - sample_weight.dim() == 1:
        sample_weight = sample_weight.unsqueeze(-1)
    return y_pred, y_true, sample_weight


def _broadcast_weights(weights, values, metric_name):
    """``weights`` broadcast to the shape of ``values``, or an error naming both shapes."""
    try:
        return torch.broadcast_to(weights, values.shape)
    except RuntimeError:
        raise ValueError('`sample_weight` of shape %s cannot be broadcast to the values of '
                         'shape %s (metric %r).'
                         % (tuple(weights.shape), tuple(values.shape), metric_name)) from None


def _cached_on(metric, key, values, dtype, device):
    """A constant tensor of ``metric`` on ``device``, copied there once per device: a fresh
    host-to-device copy per batch would make the step wait."""
    cache = metric.__dict__.setdefault('_constant_cache', {})
    if (key, device) not in cache:
        cache[(key, device)] = torch.as_tensor(values, dtype=dtype).to(device)
    return cache[(key, device)]


def _check_2d(metric, y_true, y_pred):
    if y_true.dim() != 2 or y_pred.dim() != 2:
        raise ValueError('%s expects 2D inputs with shape (batch_size, output_dim). '
                         'Received: y_true.shape=%s, y_pred.shape=%s'
                         % (type(metric).__name__, tuple(y_true.shape), tuple(y_pred.shape)))


# ------------------------------------------------------------------- base classes

class Metric:
    """Base class: ``update_state(...)``, ``result()``, ``reset_state()``.

    State tensors are created with :meth:`add_weight`; they start on the CPU and follow
    the inputs to their device on the first update.  A metric created without a name is
    named after its class in snake case, made unique per session as tf.keras does
    (``auc``, ``auc_1``, ...; ``backend.clear_session()`` resets the counter).
    """

    def __init__(self, name=None, dtype=None):
        if name is None:
            name = config.unique_object_name(config.to_snake_case(type(self).__name__))
        self._name = name
        self._dtype = _torch_dtype(dtype)
        self._state_names = []

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._name = value

    @property
    def dtype(self):
        return str(self._dtype).replace('torch.', '')

    @property
    def variables(self):
        return [getattr(self, state) for state in self._state_names]

    weights = variables

    def add_weight(self, name, shape=(), initializer='zeros', dtype=None):
        if initializer not in ('zeros', None):
            raise ValueError("Metric states start at zero: expected initializer='zeros'. "
                             'Received: initializer=%r' % (initializer,))
        tensor = torch.zeros(tuple(shape), dtype=_torch_dtype(dtype) if dtype else self._dtype)
        setattr(self, name, tensor)
        self._state_names.append(name)
        return tensor

    def _place_states(self, device):
        for state in self._state_names:
            tensor = getattr(self, state)
            if tensor.device != device:
                setattr(self, state, tensor.to(device))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError('Metric subclasses must implement `update_state`.')

    def result(self):
        raise NotImplementedError('Metric subclasses must implement `result`.')

    def reset_state(self):
        for tensor in self.variables:
            tensor.zero_()

    def reset_states(self):
        """Keras 1/2 spelling of :meth:`reset_state`."""
        self.reset_state()

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the running result, as tf.keras does."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {'name': self.name, 'dtype': self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return '<%s name=%r>' % (type(self).__name__, self.name)


class Reduce(Metric):
    """Accumulate ``sum(values * w)`` and, for means, the matching count."""

    _REDUCTIONS = ('sum', 'sum_over_batch_size', 'weighted_mean')

    def __init__(self, reduction, name=None, dtype=None):
        if reduction not in self._REDUCTIONS:
            raise ValueError('`reduction` must be one of %s. Received: reduction=%r'
                             % (self._REDUCTIONS, reduction))
        super().__init__(name=name, dtype=dtype)
        self.reduction = reduction
        self.add_weight('total')
        if reduction != 'sum':
            self.add_weight('count')

    def update_state(self, values, sample_weight=None):
        values = _as_float(values, self._dtype).detach()
        self._place_states(values.device)
        weights = None
        if sample_weight is not None:
            values, weights = self._apply_weights(values, sample_weight)
        self.total.add_(torch.sum(values))
        if self.reduction == 'sum':
            return
        if self.reduction == 'sum_over_batch_size' or weights is None:
            self.count.add_(values.numel())
        else:
            self.count.add_(torch.sum(weights))

    def _apply_weights(self, values, sample_weight):
        """Broadcast the weights to the values (tf.keras ``Reduce.update_state``)."""
        weights = _as_float(sample_weight, self._dtype, values.device).detach()
        weights = _match_weight_rank(weights, values.dim())
        try:
            weights = torch.broadcast_to(weights, values.shape)
        except RuntimeError:
            # Weights with fewer elements per sample: reduce the values to their rank.
            dims = list(range(weights.dim(), values.dim()))
            if dims:
                values = (torch.sum if self.reduction == 'sum' else torch.mean)(values, dims)
            try:
                weights = torch.broadcast_to(weights, values.shape)
            except RuntimeError:
                raise ValueError('`sample_weight` of shape %s cannot be broadcast to the '
                                 'metric values of shape %s (metric %r).'
                                 % (tuple(weights.shape), tuple(values.shape), self.name))
        return values * weights, weights

    def result(self):
        if self.reduction == 'sum':
            return self.total.clone()
        return _divide_no_nan(self.total, self.count)


class Sum(Reduce):
    """The weighted sum of the values."""

    def __init__(self, name='sum', dtype=None):
        super().__init__(reduction='sum', name=name, dtype=dtype)


class Mean(Reduce):
    """The weighted mean of the values: ``sum(v * w) / sum(w)``."""

    def __init__(self, name='mean', dtype=None):
        super().__init__(reduction='weighted_mean', name=name, dtype=dtype)


class MeanMetricWrapper(Mean):
    """The running weighted mean of ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError('`fn` must be a callable metric function. Received: fn=%r' % (fn,))
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype)  # same object when already float32
        y_true = _as_float(y_true, self._dtype, y_pred.device)
        y_true = _match_label_rank(y_true, y_pred)
        with torch.no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = getattr(values, '_keras_mask', None)
        if mask is not None:
            mask = mask.to(self._dtype)
            sample_weight = mask if sample_weight is None else (
                _as_float(sample_weight, self._dtype, mask.device) * mask)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        if type(self) is MeanMetricWrapper:
            config['fn'] = getattr(self._fn, '__name__', None)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is MeanMetricWrapper:
            return cls(_metric_function(config.pop('fn')), **config)
        config.pop('fn', None)
        return cls(**config)


class MeanTensor(Metric):
    """The element-wise weighted mean of values of one fixed shape.

    ``total`` and ``count`` take the shape given or, without one, the shape of the first
    values; they are ``None`` until then, as in tf.keras (whose config has no shape).
    """

    def __init__(self, name='mean_tensor', dtype=None, shape=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.count = self._shape = None
        if shape is not None:
            self._build(shape)

    def _build(self, shape):
        self._shape = tuple(int(dim) for dim in shape)
        self.add_weight('total', shape=self._shape)
        self.add_weight('count', shape=self._shape)

    def update_state(self, values, sample_weight=None):
        values = _as_float(values, self._dtype).detach()
        if self._shape is None:
            self._build(values.shape)
        elif tuple(values.shape) != self._shape:
            raise ValueError('MeanTensor values must keep the shape of the first update. '
                             'Expected: values.shape=%s. Received: values.shape=%s'
                             % (self._shape, tuple(values.shape)))
        self._place_states(values.device)
        counts = torch.ones_like(values)
        if sample_weight is not None:
            weights = _as_float(sample_weight, self._dtype, values.device)
            _, _, weights = _squeeze_or_expand(values, None, weights)
            counts = _broadcast_weights(weights, values, self.name)
            values = values * counts
        self.total.add_(values)
        self.count.add_(counts)

    def result(self):
        if self._shape is None:
            raise ValueError('MeanTensor %r has no value yet: call `update_state(values)` '
                             'before `result()`.' % (self.name,))
        return _divide_no_nan(self.total, self.count)


class TorchMetricWrapper(Metric):
    """A torchmetrics-style metric (``update(preds, target)``, ``compute()``, ``reset()``).

    torchmetrics metrics have no sample weights, so ``sample_weight`` is ignored (with a
    warning, once).
    """

    def __init__(self, metric, name=None):
        super().__init__(name=name or config.to_snake_case(type(metric).__name__))
        self.metric = metric
        self._warned_weights = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None and not self._warned_weights:
            warnings.warn('Metric %r (%s) does not support sample weights; they are ignored.'
                          % (self.name, type(self.metric).__name__), stacklevel=2)
            self._warned_weights = True
        y_pred = torch.as_tensor(y_pred)
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        if isinstance(self.metric, torch.nn.Module) and \
                getattr(self.metric, 'device', y_pred.device) != y_pred.device:
            self.metric.to(y_pred.device)
        with torch.no_grad():
            self.metric.update(y_pred.detach(), y_true)

    def result(self):
        return torch.as_tensor(self.metric.compute())

    def reset_state(self):
        self.metric.reset()


class PyMetric(Metric):
    """A metric written in plain Python over host tensors (tf.keras ``experimental.PyMetric``).

    Subclasses write ``update_state``, ``result`` and ``reset_state`` with any Python code
    (numpy, scikit-learn); ``reset_state`` also runs at construction to set the state up.
    The inputs arrive detached on the CPU, so each batch costs one device-to-host copy:
    use this only where an on-device metric is impossible.  ``result()`` is returned as a
    0-d tensor of the metric's dtype, as tf's ``py_function`` wrapper returns it.
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        # Wrap the subclass's own methods on the instance, as tf.keras does in __new__.
        self._python_update_state = self.update_state
        self._python_result = self.result
        self.update_state = self._update_state_on_host
        self.result = self._result_as_tensor
        self.reset_state()

    def _update_state_on_host(self, y_true, y_pred, sample_weight=None):
        host = [None if value is None else torch.as_tensor(value).detach().cpu()
                for value in (y_true, y_pred, sample_weight)]
        return self._python_update_state(*host)

    def _result_as_tensor(self):
        return torch.as_tensor(self._python_result(), dtype=self._dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError('PyMetric subclasses must implement `update_state`.')

    def result(self):
        raise NotImplementedError('PyMetric subclasses must implement `result`.')

    def reset_state(self):
        raise NotImplementedError('PyMetric subclasses must implement `reset_state`.')


# tf.keras.metrics.experimental is a namespace holding PyMetric; a real module object keeps
# ``from torchkeras.metrics.experimental import PyMetric`` working.
experimental = types.ModuleType(__name__ + '.experimental',
                                'tf.keras.metrics.experimental: PyMetric.')
experimental.PyMetric = PyMetric
experimental.__all__ = ['PyMetric']
sys.modules[experimental.__name__] = experimental


# ----------------------------------------------------------- accuracy functions

def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` element-wise (tf.keras ``accuracy``)."""
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_true.shape != y_pred.shape:
        raise ValueError('`accuracy` expects y_true and y_pred of the same shape. Received: '
                         'y_true.shape=%s, y_pred.shape=%s'
                         % (tuple(y_true.shape), tuple(y_pred.shape)))
    return (y_true == y_pred.to(y_true.dtype)).to(config.torch_dtype(None))


def _binary_matches(y_true, y_pred, threshold=0.5):
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    predicted = (y_pred > threshold).to(y_pred.dtype)
    return (y_true.to(predicted.dtype) == predicted).to(config.torch_dtype(None))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(y_true == (y_pred > threshold), axis=-1)``."""
    y_pred = torch.as_tensor(y_pred)
    y_true = _match_label_rank(torch.as_tensor(y_true, device=y_pred.device), y_pred)
    return torch.mean(_binary_matches(y_true, y_pred, threshold), dim=-1)


def _sparse_categorical_matches(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == y_true``; labels (N, ..., 1) keep their shape."""
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    original_shape = y_true.shape
    if y_true.dim() == y_pred.dim():
        if y_true.shape[-1] != 1:
            raise ValueError('Sparse labels must have shape (N, ...) or (N, ..., 1). Received: '
                             'y_true.shape=%s, y_pred.shape=%s'
                             % (tuple(y_true.shape), tuple(y_pred.shape)))
        y_true = y_true.squeeze(-1)
    predicted = torch.argmax(y_pred, dim=-1).to(y_true.dtype)
    matches = (y_true == predicted).to(config.torch_dtype(None))
    return matches.reshape(original_shape)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` (first maximum on ties)."""
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    return _sparse_categorical_matches(torch.argmax(y_true, dim=-1), y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == y_true``, labels of shape (N,) or (N, 1)."""
    matches = _sparse_categorical_matches(y_true, y_pred)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the label's score is among the top ``k`` (ties count as in, as TF's
    ``in_top_k``: fewer than ``k`` scores are strictly greater)."""
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    original_shape = y_true.shape
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    labels = y_true.reshape(-1).long()
    label_scores = torch.gather(scores, 1, labels.clamp(0, scores.shape[-1] - 1).unsqueeze(1))
    num_greater = torch.sum(scores > label_scores, dim=-1)
    in_range = (labels >= 0) & (labels < scores.shape[-1])
    matches = ((num_greater < k) & in_range & torch.isfinite(label_scores.squeeze(1)))
    return matches.to(config.torch_dtype(None)).reshape(original_shape)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where ``argmax(y_true)`` is among the top ``k`` predictions."""
    y_pred = torch.as_tensor(y_pred)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    return sparse_top_k_categorical_accuracy(torch.argmax(y_true, dim=-1), y_pred, k)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The metric: ``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (1 is best).

    The loss of the same name in :mod:`torchkeras.losses` is its negative.
    """
    return -losses.cosine_similarity(y_true, y_pred, axis=axis)


acc = ACC = accuracy
cosine_proximity = cosine_similarity  # tf.keras's metric alias (positive)


# ------------------------------------------------------------ mean-metric classes

class Accuracy(MeanMetricWrapper):
    """How often ``y_pred == y_true`` exactly."""

    def __init__(self, name='accuracy', dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``(y_pred > threshold) == y_true``."""

    def __init__(self, name='binary_accuracy', dtype=None, threshold=0.5):
        super().__init__(_binary_matches, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred) == argmax(y_true)``."""

    def __init__(self, name='categorical_accuracy', dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred) == y_true`` for integer labels."""

    def __init__(self, name='sparse_categorical_accuracy', dtype=None):
        super().__init__(_sparse_categorical_matches, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is in the top ``k`` predictions."""

    def __init__(self, k=5, name='top_k_categorical_accuracy', dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is in the top ``k`` predictions."""

    def __init__(self, k=5, name='sparse_top_k_categorical_accuracy', dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name='mean_squared_error', dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name='mean_absolute_error', dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name='mean_absolute_percentage_error', dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    def __init__(self, name='mean_squared_logarithmic_error', dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    def __init__(self, name='logcosh', dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity (positive: 1 means the same direction)."""

    def __init__(self, name='cosine_similarity', dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt(sum(w * (y_pred - y_true)^2) / sum(w))`` over all elements."""

    def __init__(self, name='root_mean_squared_error', dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype).detach()
        y_true = _match_label_rank(_as_float(y_true, self._dtype, y_pred.device), y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(_divide_no_nan(self.total, self.count))


class MeanRelativeError(Mean):
    """The weighted mean of ``|y_true - y_pred| / normalizer`` (0 where normalizer is 0)."""

    def __init__(self, normalizer, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.normalizer = torch.as_tensor(normalizer).detach().to(self._dtype, copy=True)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype).detach()
        y_true = _as_float(y_true, self._dtype, y_pred.device)
        y_pred, y_true, _ = _squeeze_or_expand(y_pred, y_true)
        y_pred, normalizer = _remove_squeezable(y_pred, self.normalizer)
        if normalizer is not self.normalizer:  # tf.keras keeps the squeezed normalizer
            self.normalizer = normalizer
            self.__dict__.pop('_constant_cache', None)
        if y_pred.shape != y_true.shape:
            raise ValueError('y_true and y_pred must have the same shape. Received: '
                             'y_true.shape=%s, y_pred.shape=%s'
                             % (tuple(y_true.shape), tuple(y_pred.shape)))
        normalizer = _cached_on(self, 'normalizer', self.normalizer, self._dtype, y_pred.device)
        errors = _divide_no_nan(torch.abs(y_true - y_pred), normalizer)
        super().update_state(errors, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config['normalizer'] = self.normalizer.tolist()
        return config


class R2Score(Metric):
    """The coefficient of determination, per output column, then aggregated.

    Per column: ``1 - sum(w (y - y_pred)^2) / sum(w (y - mean_w(y))^2)`` (infinite scores
    become 0).  ``class_aggregation``: None (one score per column), 'uniform_average' or
    'variance_weighted_average'.  ``num_regressors`` p > 0 gives the adjusted score
    ``1 - (1 - R2) (n - 1) / (n - p - 1)``, where tf.keras counts n as the number of
    elements of y_true seen (rows times columns).
    """

    _AGGREGATIONS = (None, 'uniform_average', 'variance_weighted_average')

    def __init__(self, class_aggregation='uniform_average', num_regressors=0, name='r2_score',
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in self._AGGREGATIONS:
            raise ValueError('Invalid value for argument `class_aggregation`. Expected one '
                             'of %s. Received: class_aggregation=%r'
                             % (self._AGGREGATIONS, class_aggregation))
        if num_regressors < 0:
            raise ValueError('Invalid value for argument `num_regressors`. Expected a value '
                             '>= 0. Received: num_regressors=%r' % (num_regressors,))
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.add_weight('num_samples', dtype='int32')
        self._samples_seen = 0  # the same count on the host: the adjustment needs no sync
        self._built = False

    def _build(self, num_columns):
        for state in ('squared_sum', 'sum', 'total_mse', 'count'):
            self.add_weight(state, shape=(num_columns,))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype).detach()
        y_true = _as_float(y_true, self._dtype, y_pred.device)
        if not self._built:
            _check_2d(self, y_true, y_pred)
            self._build(y_pred.shape[-1])
        self._place_states(y_pred.device)
        weights = torch.ones((), dtype=self._dtype, device=y_pred.device) \
            if sample_weight is None else _as_float(sample_weight, self._dtype, y_pred.device)
        if weights.dim() == 1:  # one weight per row
            weights = weights.unsqueeze(1)
        weights = _broadcast_weights(weights, y_true, self.name)
        weighted_y_true = y_true * weights
        self.sum.add_(torch.sum(weighted_y_true, dim=0))
        self.squared_sum.add_(torch.sum(y_true * weighted_y_true, dim=0))
        self.total_mse.add_(torch.sum(torch.square(y_true - y_pred) * weights, dim=0))
        self.count.add_(torch.sum(weights, dim=0))
        self.num_samples.add_(y_true.numel())
        self._samples_seen += y_true.numel()

    def result(self):
        if not self._built:
            raise ValueError('R2Score %r has no value yet: call `update_state` before '
                             '`result()`.' % (self.name,))
        mean = self.sum / self.count  # nan for an empty column, as in tf.keras
        total = self.squared_sum - self.sum * mean
        scores = 1 - self.total_mse / total
        scores = torch.where(torch.isinf(scores), torch.zeros_like(scores), scores)
        if self.class_aggregation == 'uniform_average':
            scores = torch.mean(scores)
        elif self.class_aggregation == 'variance_weighted_average':
            scores = torch.sum(total * scores) / torch.sum(total)
        return self._adjust(scores)

    def _adjust(self, score):
        """tf.keras's adjusted R2, falling back on R2 (with a warning) when n <= p + 1."""
        n, p = self._samples_seen, self.num_regressors
        if p == 0:
            return score
        if p > n - 1:
            warnings.warn('More independent predictors than datapoints in adjusted R2 score. '
                          'Falling back to standard R2 score.', stacklevel=3)
            return score
        if p == n - 1:
            warnings.warn('Division by zero in Adjusted R2 score. Falling back to standard '
                          'R2 score.', stacklevel=3)
            return score
        n, p = np.float32(n), np.float32(p)  # tf.keras computes these in float32
        return 1.0 - (1.0 - score) * float(n - 1) / float(n - p - 1)

    def reset_state(self):
        super().reset_state()
        self._samples_seen = 0

    def get_config(self):
        config = super().get_config()
        config.update({'class_aggregation': self.class_aggregation,
                       'num_regressors': self.num_regressors})
        return config


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name='binary_crossentropy', dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name='categorical_crossentropy', dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name='sparse_categorical_crossentropy', dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)


class KLDivergence(MeanMetricWrapper):
    def __init__(self, name='kullback_leibler_divergence', dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    def __init__(self, name='poisson', dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    def __init__(self, name='hinge', dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    def __init__(self, name='squared_hinge', dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    def __init__(self, name='categorical_hinge', dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)


# ------------------------------------------------------------ confusion matrices

def _parse_thresholds(thresholds, default):
    """tf.keras ``parse_init_thresholds``: a float or a list of floats in [0, 1]."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError('Threshold values must be in [0, 1]. Received: thresholds=%r'
                         % (thresholds,))
    return [float(t) for t in values]


def _is_evenly_distributed(thresholds):
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the top ``k`` values of the last axis, set the rest to NEG_INF."""
    # A stable descending sort keeps the lowest index first among ties, as tf.math.top_k.
    indices = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    keep = torch.zeros_like(x).scatter_(-1, indices, 1.0)
    return x * keep + NEG_INF * (1.0 - keep)


def _prepare_confusion_inputs(y_true, y_pred, sample_weight, dtype, top_k, class_id):
    """Shapes as tf.keras ``update_confusion_matrix_variables`` lines them up."""
    y_pred = _as_float(y_pred, dtype).detach()
    y_true = _as_float(y_true, dtype, y_pred.device)
    weights = None if sample_weight is None else _as_float(sample_weight, dtype, y_pred.device)
    y_pred, y_true, weights = _squeeze_or_expand(y_pred, y_true, weights)
    if y_pred.shape != y_true.shape:
        raise ValueError('y_true and y_pred must have the same shape. Received: '
                         'y_true.shape=%s, y_pred.shape=%s'
                         % (tuple(y_true.shape), tuple(y_pred.shape)))
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    if weights is not None:
        try:
            weights = torch.broadcast_to(weights, y_pred.shape)
        except RuntimeError:
            raise ValueError('`sample_weight` of shape %s cannot be broadcast to y_pred of '
                             'shape %s.' % (tuple(weights.shape), tuple(y_pred.shape)))
    return y_true, y_pred, weights


def _bucketed_counts(y_true, y_pred, weights, num_thresholds, with_epsilon):
    """tf.keras's O(N + T) path for evenly spaced thresholds (rows: labels).

    ``y_true``/``y_pred``/``weights`` are (L, M): L independent labels of M entries.
    Prediction p falls in bucket ceil(p * (T - 1)) - 1 and counts as positive for every
    threshold up to its bucket: a reversed cumulative sum.  Returns (L, T) tp, fp and
    the (L, 1) totals of positive and negative weight.  The totals include predictions of
    bucket -1 (p = 0 without the epsilon thresholds), which are positive for no threshold
    but still count in tn and fn, as in tf.keras.
    """
    y_pred = torch.clamp(y_pred, 0.0, 1.0)
    buckets = torch.ceil(y_pred * (num_thresholds - 1)) - 1
    if with_epsilon:
        buckets = torch.relu(buckets)
    keep = (buckets >= 0).to(y_pred.dtype)  # tf drops negative segment ids
    buckets = buckets.clamp(min=0).long()
    rows = torch.arange(buckets.shape[0], device=buckets.device).unsqueeze(1)
    flat_index = (rows * num_thresholds + buckets).reshape(-1)
    positive = (y_true != 0).to(y_pred.dtype) * weights  # any non-zero label is positive
    negative = (y_true == 0).to(y_pred.dtype) * weights
    counts = []
    for labels in (positive, negative):
        bucket_sum = torch.zeros(buckets.shape[0] * num_thresholds, dtype=y_pred.dtype,
                                 device=y_pred.device)
        bucket_sum.index_add_(0, flat_index, (labels * keep).reshape(-1))
        bucket_sum = bucket_sum.reshape(buckets.shape[0], num_thresholds)
        counts.append(torch.flip(torch.cumsum(torch.flip(bucket_sum, [1]), 1), [1]))
    totals = (torch.sum(positive, 1, keepdim=True), torch.sum(negative, 1, keepdim=True))
    return counts[0], counts[1], totals[0], totals[1]


def _thresholded_counts(y_true, y_pred, weights, thresholds):
    """Direct comparison ``y_pred > t`` for each threshold (rows: labels)."""
    predicted = y_pred.unsqueeze(1) > thresholds.reshape(1, -1, 1)  # (L, T, M)
    positive = ((y_true != 0).to(y_pred.dtype) * weights).unsqueeze(1)
    negative = ((y_true == 0).to(y_pred.dtype) * weights).unsqueeze(1)
    predicted = predicted.to(y_pred.dtype)
    tp = torch.sum(positive * predicted, -1)
    fp = torch.sum(negative * predicted, -1)
    return tp, fp, torch.sum(positive, -1), torch.sum(negative, -1)


def _confusion_counts(y_true, y_pred, weights, thresholds, evenly, threshold_tensor=None,
                      multi_label=False, label_weights=None):
    """tp, fp, tn, fn per threshold: shape (T,), or (T, L) when ``multi_label``.

    ``threshold_tensor`` (the thresholds on y_pred's device) is needed unless ``evenly``.
    """
    if weights is None:
        weights = torch.ones_like(y_pred)
    if label_weights is not None:
        weights = weights * torch.broadcast_to(label_weights, y_pred.shape)
    if multi_label:  # (N, L) -> rows are labels
        y_true, y_pred, weights = y_true.T, y_pred.T, weights.T
    else:
        y_true, y_pred, weights = (t.reshape(1, -1) for t in (y_true, y_pred, weights))
    if evenly:
        with_epsilon = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0)
        tp, fp, pos, neg = _bucketed_counts(y_true, y_pred, weights, len(thresholds),
                                            with_epsilon)
    else:
        tp, fp, pos, neg = _thresholded_counts(y_true, y_pred, weights, threshold_tensor)
    counts = {'tp': tp, 'fp': fp, 'tn': neg - fp, 'fn': pos - tp}
    if multi_label:
        return {key: value.T for key, value in counts.items()}
    return {key: value[0] for key, value in counts.items()}


class _ConfusionMetric(Metric):
    """Shared update for metrics built on true/false positive/negative counts."""

    _STATES = {}  # state attribute -> count key ('tp', 'fp', 'tn', 'fn')

    def _threshold_tensor(self, thresholds, device):
        """The thresholds on ``device``, copied there once (a copy per batch would sync)."""
        cache = self.__dict__.setdefault('_threshold_cache', {})
        if device not in cache:
            cache[device] = torch.tensor(thresholds, dtype=self._dtype, device=device)
        return cache[device]

    def _init_thresholds(self, thresholds, default):
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(thresholds, default)
        self._thresholds_distributed_evenly = _is_evenly_distributed(self.thresholds)
        for state in self._STATES:
            self.add_weight(state, shape=(len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, weights = _prepare_confusion_inputs(
            y_true, y_pred, sample_weight, self._dtype, getattr(self, 'top_k', None),
            getattr(self, 'class_id', None))
        self._place_states(y_pred.device)
        counts = _confusion_counts(
            y_true, y_pred, weights, self.thresholds, self._thresholds_distributed_evenly,
            threshold_tensor=self._threshold_tensor(self.thresholds, y_pred.device))
        for state, key in self._STATES.items():
            getattr(self, state).add_(counts[key])

    def _single_or_all(self, values):
        return values[0] if len(self.thresholds) == 1 else values


class _ConfusionMatrixConditionCount(_ConfusionMetric):
    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._init_thresholds(thresholds, 0.5)

    def result(self):
        return self._single_or_all(self.accumulator).clone()

    def get_config(self):
        config = super().get_config()
        config['thresholds'] = self.init_thresholds
        return config


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of ``y_true == 1 and y_pred > threshold``."""
    _STATES = {'accumulator': 'tp'}


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of ``y_true == 0 and y_pred > threshold``."""
    _STATES = {'accumulator': 'fp'}


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of ``y_true == 0 and y_pred <= threshold``."""
    _STATES = {'accumulator': 'tn'}


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of ``y_true == 1 and y_pred <= threshold``."""
    _STATES = {'accumulator': 'fn'}


class _PrecisionRecallBase(_ConfusionMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.top_k = top_k
        self.class_id = class_id
        self._init_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)

    def get_config(self):
        config = super().get_config()
        config.update({'thresholds': self.init_thresholds, 'top_k': self.top_k,
                       'class_id': self.class_id})
        return config


class Precision(_PrecisionRecallBase):
    """``tp / (tp + fp)``; ``top_k`` and ``class_id`` as tf.keras."""
    _STATES = {'true_positives': 'tp', 'false_positives': 'fp'}

    def result(self):
        tp = self.true_positives
        return self._single_or_all(_divide_no_nan(tp, tp + self.false_positives))


class Recall(_PrecisionRecallBase):
    """``tp / (tp + fn)``; ``top_k`` and ``class_id`` as tf.keras."""
    _STATES = {'true_positives': 'tp', 'false_negatives': 'fn'}

    def result(self):
        tp = self.true_positives
        return self._single_or_all(_divide_no_nan(tp, tp + self.false_negatives))


def _max_under_constraint(constrained, dependent, value):
    """max(dependent) over the thresholds where ``constrained >= value``; 0 if there are none."""
    feasible = constrained >= value
    lowest = torch.full_like(dependent, -float('inf'))
    best = torch.max(torch.where(feasible, dependent, lowest))
    return torch.where(torch.any(feasible), best, torch.zeros_like(best))


class _SensitivitySpecificityBase(_ConfusionMetric):
    """One rate maximised subject to another being at least ``value``, over
    ``num_thresholds`` evenly spaced thresholds in [0, 1] (just 0.5 when there is one).

    Subclasses name the constructor argument (``_VALUE_NAME``), the rate it bounds
    (``_CONSTRAINED``) and the rate reported (``_DEPENDENT``).
    """
    _STATES = {'true_positives': 'tp', 'true_negatives': 'tn', 'false_positives': 'fp',
               'false_negatives': 'fn'}
    _VALUE_NAME = _CONSTRAINED = _DEPENDENT = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError('Argument `%s` must be in the range [0, 1]. Received: %s=%r'
                             % (self._VALUE_NAME, self._VALUE_NAME, value))
        if num_thresholds <= 0:
            raise ValueError('Argument `num_thresholds` must be an integer > 0. Received: '
                             'num_thresholds=%r' % (num_thresholds,))
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._VALUE_NAME, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._thresholds_distributed_evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._thresholds_distributed_evenly = [0.0] + inner + [1.0], True
        for state in self._STATES:
            self.add_weight(state, shape=(num_thresholds,))

    def _rates(self):
        tp, tn = self.true_positives, self.true_negatives
        fp, fn = self.false_positives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        return {'sensitivity': recall, 'recall': recall,
                'specificity': _divide_no_nan(tn, tn + fp),
                'precision': _divide_no_nan(tp, tp + fp)}

    def result(self):
        rates = self._rates()
        return _max_under_constraint(rates[self._CONSTRAINED], rates[self._DEPENDENT],
                                     self.value)

    def get_config(self):
        config = super().get_config()
        config.update({'class_id': self.class_id, 'num_thresholds': self.num_thresholds,
                       self._VALUE_NAME: self.value})
        return config


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) at a specificity of at least ``specificity``."""
    _VALUE_NAME = _CONSTRAINED = 'specificity'
    _DEPENDENT = 'sensitivity'

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity at a sensitivity (recall) of at least ``sensitivity``."""
    _VALUE_NAME = _CONSTRAINED = 'sensitivity'
    _DEPENDENT = 'specificity'

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision at a recall of at least ``recall``."""
    _VALUE_NAME = _CONSTRAINED = 'recall'
    _DEPENDENT = 'precision'

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall at a precision of at least ``precision``."""
    _VALUE_NAME = _CONSTRAINED = 'precision'
    _DEPENDENT = 'recall'

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


_AUC_CURVES = {'roc': 'ROC', 'pr': 'PR', 'pr_gain': 'PR_GAIN', 'prgain': 'PR_GAIN'}
_AUC_SUMMATIONS = ('interpolation', 'majoring', 'minoring')


class AUC(_ConfusionMetric):
    """Area under the ROC or PR curve, discretised over thresholds as tf.keras does.

    Thresholds are ``[-eps, 1/(T-1), ..., (T-2)/(T-1), 1+eps]`` (or the given ones plus
    the two end points).  'interpolation' is the trapezoidal rule for ROC and the Davis &
    Goadrich interpolation for PR; 'minoring'/'majoring' take the lower/upper heights.
    """
    _STATES = {'true_positives': 'tp', 'true_negatives': 'tn', 'false_positives': 'fp',
               'false_negatives': 'fn'}

    def __init__(self, num_thresholds=200, curve='ROC', summation_method='interpolation',
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self.curve = self._parse_curve(curve)
        if str(summation_method).lower() not in _AUC_SUMMATIONS:
            raise ValueError('Invalid AUC summation method: expected one of %s. Received: '
                             'summation_method=%r' % (_AUC_SUMMATIONS, summation_method))
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        self._thresholds = self._make_thresholds(num_thresholds, thresholds)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else \
            torch.as_tensor(label_weights, dtype=self._dtype)
        self._from_logits = from_logits
        if num_labels and not multi_label:
            raise ValueError('`num_labels` is needed only when `multi_label` is True. '
                             'Received: num_labels=%r' % (num_labels,))
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels if multi_label else None)

    @staticmethod
    def _parse_curve(curve):
        key = str(curve).lower()
        if key not in _AUC_CURVES:
            raise ValueError('Invalid AUC curve value: expected "ROC", "PR" or "PR_GAIN". '
                             'Received: curve=%r' % (curve,))
        return _AUC_CURVES[key]

    def _make_thresholds(self, num_thresholds, thresholds):
        eps = config.epsilon()
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
            self._thresholds_distributed_evenly = _is_evenly_distributed(
                np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError('Argument `num_thresholds` must be an integer > 1. '
                                 'Received: num_thresholds=%r' % (num_thresholds,))
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        return [0.0 - eps] + inner + [1.0 + eps]

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else \
            (self.num_thresholds, num_labels)
        for state in self._STATES:
            self.add_weight(state, shape=shape)
        self._num_labels = num_labels
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred)
        if not self._built:
            if y_pred.dim() != 2:
                raise ValueError('`y_pred` must have rank 2 when `multi_label=True`. '
                                 'Received: y_pred.shape=%s' % (tuple(y_pred.shape),))
            self._build(y_pred.shape[1])
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        y_true, y_pred, weights = _prepare_confusion_inputs(
            y_true, y_pred, sample_weight, self._dtype, None, None)
        self._place_states(y_pred.device)
        if self.label_weights is not None and self.label_weights.device != y_pred.device:
            self.label_weights = self.label_weights.to(y_pred.device)
        evenly = self._thresholds_distributed_evenly
        counts = _confusion_counts(
            y_true, y_pred, weights, self._thresholds, evenly,
            threshold_tensor=None if evenly else
            self._threshold_tensor(self._thresholds, y_pred.device),
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)
        for state, key in self._STATES.items():
            getattr(self, state).add_(counts[key])

    def _interpolate_pr_auc(self):
        """tf.keras ``AUC.interpolate_pr_auc`` (Davis & Goadrich 2006, closed form)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where((p[:-1] > 0) & (p[1:] > 0),
                                   _divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)),
                                   torch.ones_like(p[1:]))
        return _divide_no_nan(prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
                              torch.clamp(tp[1:] + fn[1:], min=0))

    def _curve_points(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == 'ROC':
            return _divide_no_nan(fp, fp + tn), recall
        if self.curve == 'PR':
            return recall, _divide_no_nan(tp, tp + fp)
        scaling = _divide_no_nan(tp + fn, fp + tn)  # PR_GAIN
        recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
        precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
        no_tp = tp == 0
        recall_gain = torch.clamp(torch.where(no_tp, torch.zeros_like(tp), recall_gain), min=0)
        precision_gain = torch.where(no_tp, torch.ones_like(tp), precision_gain)
        return recall_gain, precision_gain

    def result(self):
        if self.curve == 'PR' and self.summation_method == 'interpolation':
            areas = self._interpolate_pr_auc()
        else:
            x, y = self._curve_points()
            if self.summation_method == 'interpolation':
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == 'minoring':
                heights = torch.minimum(y[:-1], y[1:])
            else:
                heights = torch.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return torch.sum(areas)
        by_label = torch.sum(areas, dim=0)
        if self.label_weights is None:
            return torch.mean(by_label)
        label_weights = self.label_weights.to(by_label.device)
        return _divide_no_nan(torch.sum(by_label * label_weights), torch.sum(label_weights))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = super().get_config()
        config.update({
            'num_thresholds': self.num_thresholds, 'curve': self.curve,
            'summation_method': self.summation_method, 'multi_label': self.multi_label,
            'num_labels': self.num_labels, 'from_logits': self._from_logits,
            'label_weights': None if self.label_weights is None else
            self.label_weights.tolist(),
        })
        if self._init_from_thresholds:
            config['thresholds'] = self.thresholds[1:-1]
        return config


# ------------------------------------------------------------------- F-scores

def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class FBetaScore(Metric):
    """``(1 + b^2) * precision * recall / (b^2 * precision + recall)`` per class.

    Predictions count as positive where ``y_pred > threshold`` or, with ``threshold=None``,
    where they equal the row's maximum (and are not 0).  ``average``: None (one score per
    class, shape (C,)), 'micro' (counts pooled over the classes), 'macro' (mean of the
    class scores) or 'weighted' (mean weighted by each class's weight of true labels).
    Inputs are (batch_size, C); sample weights are per row.
    """

    _AVERAGES = (None, 'micro', 'macro', 'weighted')
    _STATES = ('true_positives', 'false_positives', 'false_negatives', 'intermediate_weights')

    def __init__(self, average=None, beta=1.0, threshold=None, name='fbeta_score', dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in self._AVERAGES:
            raise ValueError("Invalid `average` argument value. Expected one of: {None, "
                             "'micro', 'macro', 'weighted'}. Received: average=%r" % (average,))
        # tf.keras insists on Python floats; any real number is accepted here.
        if not _is_real(beta) or beta <= 0.0:
            raise ValueError('Invalid `beta` argument value: expected a number > 0. '
                             'Received: beta=%r' % (beta,))
        if threshold is not None and (not _is_real(threshold) or not 0.0 < threshold <= 1.0):
            raise ValueError('Invalid `threshold` argument value: expected None or a number '
                             'with 0 < threshold <= 1. Received: threshold=%r' % (threshold,))
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.axis = None if average == 'micro' else 0
        self._built = False

    def _build(self, num_classes):
        shape = () if self.average == 'micro' else (num_classes,)
        for state in self._STATES:
            self.add_weight(state, shape=shape)
        self._built = True

    def _predicted_positive(self, y_pred):
        if self.threshold is not None:
            return (y_pred > self.threshold).to(self._dtype)
        # The row's maximum, but never an all-zero row turned into all ones.
        row_max = torch.amax(y_pred, dim=-1, keepdim=True)
        return ((y_pred >= row_max) & (torch.abs(y_pred) > 1e-9)).to(self._dtype)

    def _weighted_sum(self, values, weights):
        if weights is not None:
            values = values * weights
        return torch.sum(values) if self.axis is None else torch.sum(values, dim=self.axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype).detach()
        y_true = _as_float(y_true, self._dtype, y_pred.device)
        if not self._built:
            _check_2d(self, y_true, y_pred)
            self._build(y_pred.shape[-1])
        self._place_states(y_pred.device)
        weights = None
        if sample_weight is not None:
            weights = _as_float(sample_weight, self._dtype, y_pred.device)
            weights = weights.unsqueeze(1) if weights.dim() == 1 else weights  # per row
            _broadcast_weights(weights, y_pred, self.name)  # a bad shape fails here, named
        positive = self._predicted_positive(y_pred)
        counts = (positive * y_true, positive * (1 - y_true), (1 - positive) * y_true, y_true)
        for state, values in zip(self._STATES, counts):
            getattr(self, state).add_(self._weighted_sum(values, weights))

    def result(self):
        if not self._built:
            raise ValueError('%s %r has no value yet: call `update_state` before `result()`.'
                             % (type(self).__name__, self.name))
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        precision = _divide_no_nan(tp, tp + fp)
        recall = _divide_no_nan(tp, tp + fn)
        beta_squared = self.beta ** 2
        scores = _divide_no_nan(precision * recall, beta_squared * precision + recall)
        scores = scores * (1 + beta_squared)
        if self.average == 'weighted':
            support = self.intermediate_weights
            return torch.sum(scores * _divide_no_nan(support, torch.sum(support)))
        if self.average is not None:  # 'micro' (already a scalar) or 'macro'
            return torch.mean(scores)
        return scores

    def get_config(self):
        config = super().get_config()
        config.update({'average': self.average, 'beta': self.beta,
                       'threshold': self.threshold})
        return config


class F1Score(FBetaScore):
    """The F-beta score with beta = 1: ``2 * precision * recall / (precision + recall)``."""

    def __init__(self, average=None, threshold=None, name='f1_score', dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config['beta']
        return config


# ------------------------------------------------------------------------- IoU

def _confusion_matrix(labels, predictions, weights, num_classes, valid):
    """tf.math.confusion_matrix: (C, C) sums of weights, rows true class, columns predicted.

    Float class ids truncate to integers as tf.cast does.  Ids outside [0, num_classes)
    (``valid`` entries only) raise, as in tf.keras, when the tensors are on the CPU, where
    the check costs no device sync; on an accelerator they are left out instead.
    """
    labels, predictions = labels.long(), predictions.long()
    in_range = (labels >= 0) & (labels < num_classes) & \
        (predictions >= 0) & (predictions < num_classes)
    if labels.device.type == 'cpu' and not bool(torch.all(in_range | ~valid)):
        raise ValueError('Class ids must lie in [0, num_classes) = [0, %d). Received: y_true '
                         'in [%d, %d], y_pred in [%d, %d]'
                         % (num_classes, labels.min(), labels.max(), predictions.min(),
                            predictions.max()))
    keep = (in_range & valid).to(weights.dtype)
    index = labels.clamp(0, num_classes - 1) * num_classes + \
        predictions.clamp(0, num_classes - 1)
    flat = torch.zeros(num_classes * num_classes, dtype=weights.dtype, device=weights.device)
    flat.index_add_(0, index, weights * keep)
    return flat.reshape(num_classes, num_classes)


class _IoUBase(Metric):
    """Accumulates the (C, C) confusion matrix of class ids (tf.keras ``_IoUBase``).

    Dense (one-hot or score) inputs are turned into ids by argmax over ``axis`` unless
    ``sparse_y_true``/``sparse_y_pred``; everything is then flattened; entries whose
    true id is ``ignore_class`` are left out.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.add_weight('total_cm', shape=(num_classes, num_classes))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred).detach()
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        y_true = y_true.to(self._dtype).reshape(-1)
        weights = self._flat_weights(sample_weight, y_pred)
        y_pred = y_pred.to(self._dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError('y_true and y_pred must hold as many class ids. Received: %d '
                             'and %d ids' % (y_true.numel(), y_pred.numel()))
        valid = torch.ones_like(y_true, dtype=torch.bool) if self.ignore_class is None \
            else y_true != self.ignore_class
        self._place_states(y_pred.device)
        self.total_cm.add_(_confusion_matrix(y_true, y_pred, weights, self.num_classes, valid))

    def _flat_weights(self, sample_weight, y_pred):
        if sample_weight is None:
            return torch.ones(y_pred.numel(), dtype=self._dtype, device=y_pred.device)
        weights = _as_float(sample_weight, self._dtype, y_pred.device)
        if weights.numel() != y_pred.numel():  # e.g. one weight per image of a mask
            weights = _broadcast_weights(_match_weight_rank(weights, y_pred.dim()), y_pred,
                                         self.name)
        return weights.reshape(-1)


class IoU(_IoUBase):
    """Intersection over union ``tp / (tp + fp + fn)``, averaged over ``target_class_ids``
    (classes that never occur in y_true nor y_pred are left out of the mean)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        target_class_ids = list(target_class_ids)
        out_of_range = [i for i in target_class_ids if not 0 <= i < num_classes]
        if not target_class_ids or out_of_range:
            raise ValueError('Target class ids must be a non-empty list of ids in [0, '
                             'num_classes) = [0, %d). Received: target_class_ids=%r'
                             % (num_classes, target_class_ids))
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = target_class_ids

    def result(self):
        cm = self.total_cm
        true_positives = torch.diagonal(cm)
        # column sums + row sums = 2 tp + fp + fn
        denominator = torch.sum(cm, dim=0) + torch.sum(cm, dim=1) - true_positives
        ids = _cached_on(self, 'target_class_ids', self.target_class_ids, torch.long, cm.device)
        true_positives, denominator = true_positives[ids], denominator[ids]
        num_valid = torch.sum((denominator != 0).to(self._dtype))
        iou = _divide_no_nan(true_positives, denominator)
        return _divide_no_nan(torch.sum(iou), num_valid)

    def get_config(self):
        config = super().get_config()
        config.update({'num_classes': self.num_classes,
                       'target_class_ids': self.target_class_ids,
                       'ignore_class': self.ignore_class, 'sparse_y_true': self.sparse_y_true,
                       'sparse_y_pred': self.sparse_y_pred, 'axis': self.axis})
        return config


class BinaryIoU(IoU):
    """IoU of the two classes ``y_pred >= threshold`` (1) and below it (0)."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _as_float(y_pred, self._dtype)
        super().update_state(y_true, (y_pred >= self.threshold).to(self._dtype), sample_weight)

    def get_config(self):
        return {'target_class_ids': self.target_class_ids, 'threshold': self.threshold,
                'name': self.name, 'dtype': self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {'num_classes': self.num_classes, 'name': self.name, 'dtype': self.dtype,
                'ignore_class': self.ignore_class, 'sparse_y_true': self.sparse_y_true,
                'sparse_y_pred': self.sparse_y_pred, 'axis': self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot ``y_true`` (and, unless ``sparse_y_pred``, scores as y_pred)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {'num_classes': self.num_classes, 'target_class_ids': self.target_class_ids,
                'name': self.name, 'dtype': self.dtype, 'ignore_class': self.ignore_class,
                'sparse_y_pred': self.sparse_y_pred, 'axis': self.axis}


class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot ``y_true`` (and, unless ``sparse_y_pred``, scores as y_pred)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {'num_classes': self.num_classes, 'name': self.name, 'dtype': self.dtype,
                'ignore_class': self.ignore_class, 'sparse_y_pred': self.sparse_y_pred,
                'axis': self.axis}


# ----------------------------------------------------------- lookup and naming

_METRIC_FUNCTIONS = {
    'accuracy': accuracy, 'acc': acc, 'ACC': ACC, 'binary_accuracy': binary_accuracy,
    'categorical_accuracy': categorical_accuracy,
    'sparse_categorical_accuracy': sparse_categorical_accuracy,
    'top_k_categorical_accuracy': top_k_categorical_accuracy,
    'sparse_top_k_categorical_accuracy': sparse_top_k_categorical_accuracy,
    'cosine_similarity': cosine_similarity, 'cosine_proximity': cosine_proximity,
    # Keras 2.2's metric 'cosine' was the loss (negative); tf.keras has no such name.
    'cosine': losses.cosine,
    'mean_squared_error': mean_squared_error, 'mse': mse, 'MSE': MSE,
    'mean_absolute_error': mean_absolute_error, 'mae': mae, 'MAE': MAE,
    'mean_absolute_percentage_error': mean_absolute_percentage_error, 'mape': mape,
    'MAPE': MAPE, 'mean_squared_logarithmic_error': mean_squared_logarithmic_error,
    'msle': msle, 'MSLE': MSLE, 'binary_crossentropy': binary_crossentropy, 'bce': bce,
    'BCE': BCE, 'categorical_crossentropy': categorical_crossentropy,
    'sparse_categorical_crossentropy': sparse_categorical_crossentropy,
    'binary_focal_crossentropy': binary_focal_crossentropy,
    'categorical_focal_crossentropy': categorical_focal_crossentropy,
    'kullback_leibler_divergence': kullback_leibler_divergence,
    'kl_divergence': kl_divergence, 'kld': kld, 'KLD': KLD, 'poisson': poisson,
    'hinge': hinge, 'squared_hinge': squared_hinge, 'categorical_hinge': categorical_hinge,
    'logcosh': logcosh, 'log_cosh': log_cosh,
}

_METRIC_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, AUC,
    Precision, Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, LogCoshError, CosineSimilarity, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
    SquaredHinge, CategoricalHinge, MeanTensor, MeanRelativeError, R2Score, PrecisionAtRecall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, FBetaScore, F1Score,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)}

# 'accuracy' / 'crossentropy' resolved by shapes (tf.keras compile_utils L664-689).
_BY_SHAPE = {
    'accuracy': {'binary': binary_accuracy, 'sparse': sparse_categorical_accuracy,
                 'categorical': categorical_accuracy},
    'crossentropy': {'binary': binary_crossentropy, 'sparse': sparse_categorical_crossentropy,
                     'categorical': categorical_crossentropy},
}
_SHAPE_RESOLVED = {'accuracy': 'accuracy', 'acc': 'accuracy', 'crossentropy': 'crossentropy',
                   'ce': 'crossentropy'}


def _unknown(identifier):
    candidates = list(_METRIC_FUNCTIONS) + list(_METRIC_CLASSES)
    same_letters = [c for c in candidates if c.lower() == str(identifier).lower()]
    close = same_letters or difflib.get_close_matches(str(identifier), candidates, n=3)
    hint = (' Did you mean %s?' % ' or '.join(repr(c) for c in close)) if close else ''
    return ValueError('Unknown metric function: %r. Expected the name of a Keras metric '
                      "(e.g. 'accuracy', 'mae', 'AUC'), a function, a Metric instance or a "
                      'config dict.%s Received: identifier=%r' % (identifier, hint, identifier))


def _default_instance(class_name):
    """A metric class named by a string, built with its defaults ('F1Score', 'BinaryIoU')."""
    cls = _METRIC_CLASSES[class_name]
    required = [p.name for p in inspect.signature(cls).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:  # tf.keras fails here too, with a TypeError from the constructor
        raise TypeError('Metric %r cannot be built from its name alone: it needs the '
                        'argument(s) %s. Pass an instance instead, e.g. metrics.%s(%s). '
                        'Received: identifier=%r' % (class_name, ', '.join(required), class_name,
                                                     ', '.join(n + '=...' for n in required),
                                                     class_name))
    return cls()


def _metric_function(name):
    fn = _METRIC_FUNCTIONS.get(name) if isinstance(name, str) else name
    if not callable(fn):
        raise _unknown(name)
    return fn


def _loss_name(loss):
    """The function name behind a loss identifier (for the Keras 1/2.2 resolution rule)."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return getattr(losses._LOSS_FUNCTIONS.get(loss), '__name__', None) or \
            config.to_snake_case(loss)
    fn = getattr(loss, 'fn', loss)
    return getattr(fn, '__name__', None)


def _shape_kind(y_true_shape, y_pred_shape, loss, identifier):
    """'binary', 'sparse' or 'categorical', as tf.keras picks the accuracy variant.

    From shapes (tf.keras 2 / Keras 3): binary if y_pred's last dim is 1; sparse if
    y_true has a lower rank, or a last dim of 1 against several classes.  When the
    shapes are not known, fall back on the loss as Keras 1 / 2.2 did.
    """
    loss_name = _loss_name(loss)
    if y_pred_shape is not None:
        y_pred_shape = tuple(y_pred_shape)
        is_binary = len(y_pred_shape) == 0 or y_pred_shape[-1] == 1
        if y_true_shape is None:
            is_sparse = loss_name == 'sparse_categorical_crossentropy'
        else:
            y_true_shape = tuple(y_true_shape)
            is_sparse = len(y_true_shape) < len(y_pred_shape) or (
                len(y_true_shape) > 0 and y_true_shape[-1] == 1 and
                (y_pred_shape[-1] or 0) > 1)
    elif loss_name is not None:
        is_binary = loss_name == 'binary_crossentropy'
        is_sparse = loss_name == 'sparse_categorical_crossentropy'
    else:
        raise ValueError('Metric %r is resolved from the output shapes: pass y_pred_shape '
                         '(and y_true_shape) or the loss. Received: y_true_shape=None, '
                         'y_pred_shape=None, loss=None' % (identifier,))
    return 'binary' if is_binary else ('sparse' if is_sparse else 'categorical')


def _is_foreign_stateful_metric(obj):
    """torchmetrics / torcheval style: update(preds, target), compute(), reset()."""
    return all(callable(getattr(obj, attr, None)) for attr in ('update', 'compute', 'reset'))


def _from_string(identifier, y_true_shape, y_pred_shape, loss):
    family = _SHAPE_RESOLVED.get(identifier.lower())
    if family is not None:
        kind = _shape_kind(y_true_shape, y_pred_shape, loss, identifier)
        return MeanMetricWrapper(_BY_SHAPE[family][kind], name=identifier)
    if identifier in _METRIC_FUNCTIONS:
        return MeanMetricWrapper(_METRIC_FUNCTIONS[identifier], name=identifier)
    if identifier in _METRIC_CLASSES and identifier != 'MeanMetricWrapper':
        return _default_instance(identifier)
    raise _unknown(identifier)


def get(identifier, y_true_shape=None, y_pred_shape=None, loss=None):
    """Resolve a metric identifier to a :class:`Metric`, named as tf.keras 2 names it.

    - 'accuracy'/'acc'/'crossentropy'/'ce' (any case): binary, sparse or categorical by
      the shapes (or, without shapes, by ``loss``), named by the string as given;
    - a function name ('mae', 'mean_squared_error') keeps the string as its name;
    - a class name ('AUC', 'Precision') gives an instance with the class's default name
      ('auc', 'precision'; 'auc_1' for the second one in a session);
    - a function is wrapped and named ``fn.__name__``; a Metric is returned as is; a
      torchmetrics-style metric is wrapped; a dict is deserialized.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        return _from_string(identifier, y_true_shape, y_pred_shape, loss)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if _is_foreign_stateful_metric(identifier):
        return TorchMetricWrapper(identifier)
    if isinstance(identifier, losses.Loss):
        return MeanMetricWrapper(identifier.call, name=identifier.name)
    if callable(identifier):
        name = (getattr(identifier, '__name__', None)
                or config.to_snake_case(type(identifier).__name__))
        return MeanMetricWrapper(identifier, name=name)
    raise _unknown(identifier)


def serialize(metric):
    """A Metric -> ``{'class_name', 'config'}``; a function -> its name."""
    if metric is None:
        return None
    if isinstance(metric, Metric):
        return {'class_name': type(metric).__name__, 'config': metric.get_config()}
    name = getattr(metric, '__name__', None)
    if name is None:
        raise ValueError('Cannot serialize metric: expected a Metric instance or a named '
                         'function. Received: metric=%r' % (metric,))
    return name


def deserialize(config, custom_objects=None):
    """A name or ``{'class_name': ..., 'config': ...}`` -> a metric function or Metric."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        if config in _METRIC_FUNCTIONS:
            return _METRIC_FUNCTIONS[config]
        if config in _METRIC_CLASSES and config != 'MeanMetricWrapper':
            return _default_instance(config)
        raise _unknown(config)
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("A metric config must be a name or a dict with 'class_name' and "
                         "'config'. Received: config=%r" % (config,))
    class_name, inner = config['class_name'], config.get('config') or {}
    if class_name == 'function':  # Keras 3 format for plain functions
        return deserialize(inner, custom_objects)
    cls = custom_objects.get(class_name) or _METRIC_CLASSES.get(class_name)
    if cls is None:
        raise _unknown(class_name)
    return cls.from_config(dict(inner)) if isinstance(cls, type) else cls
