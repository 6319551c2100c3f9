"""Tests for torchkeras.metrics.

Expected values come from numpy formulas written here (AUC: the tf.keras threshold
and interpolation formulas), from the examples in the tf.keras 2 docstrings
(tf_keras/metrics/*.py), or from KERAS_FACTS section 5.4 (accuracy resolution, names).
"""
import numpy as np
import pytest
import torch

from torchkeras import backend, losses, metrics

EPS = 1e-7
RNG = np.random.default_rng(1)


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield
    backend.clear_session()


def t(x, dtype=torch.float32):
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def value(metric):
    result = metric.result()
    assert isinstance(result, torch.Tensor)
    return result.numpy()


# ----------------------------------------------------------- Mean / Sum / wrapper

def test_mean_and_sum_weight_values_and_broadcast_weights():
    values = RNG.uniform(size=(4, 3))
    weights = np.array([1.0, 0.0, 2.0, 0.5])
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state(t(values), sample_weight=t(weights))
    total.update_state(t(values), sample_weight=t(weights))
    assert mean.result().dim() == 0
    expected_sum = (values * weights[:, None]).sum()
    assert value(mean) == pytest.approx(expected_sum / (3 * weights.sum()), rel=1e-6)
    assert value(total) == pytest.approx(expected_sum, rel=1e-6)
    assert mean.name == 'mean' and total.name == 'sum'


def test_mean_accumulates_batches_and_resets():
    mean = metrics.Mean()
    mean.update_state(t([1.0, 2.0]))
    mean.update_state(t([3.0, 4.0, 5.0]))
    assert value(mean) == pytest.approx(3.0)
    mean.reset_state()
    assert value(mean) == 0.0
    mean.update_state(t([7.0]))
    mean.reset_states()  # Keras 1/2 spelling
    mean.update_state(t([2.0]))
    assert value(mean) == pytest.approx(2.0)


def test_metrics_weight_by_sum_of_weights_unlike_losses():
    # Per-sample mse [1, 4, 9, 16] with weights [1, 0, 0, 0]: the loss gives 0.25
    # (KERAS_FACTS 5.3), a weighted metric gives 1.0 (sum(w * v) / sum(w)).
    y, p, weights = t([[1.0], [2.0], [3.0], [4.0]]), torch.zeros(4, 1), t([1.0, 0, 0, 0])
    metric = metrics.MeanSquaredError()
    metric.update_state(y, p, sample_weight=weights)
    assert value(metric) == pytest.approx(1.0)


def test_mean_metric_wrapper_on_a_custom_function():
    def mean_difference(y_true, y_pred):
        return torch.mean(y_pred - y_true, dim=-1)

    metric = metrics.MeanMetricWrapper(mean_difference, name='diff')
    y, p = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    metric.update_state(t(y), t(p))
    assert metric.name == 'diff'
    assert value(metric) == pytest.approx(np.mean(p - y), rel=1e-5)
    assert float(metric(t(y), t(p))) == pytest.approx(np.mean(p - y), rel=1e-5)


def test_mask_given_as_sample_weight_excludes_time_steps():
    labels = RNG.integers(0, 3, size=(2, 4))
    scores = RNG.normal(size=(2, 4, 3))
    mask = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], dtype=np.float32)
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(t(labels), t(scores), sample_weight=t(mask))
    matches = (scores.argmax(-1) == labels).astype(float)
    assert value(metric) == pytest.approx((matches * mask).sum() / mask.sum())


# ------------------------------------------------------- tf.keras docstring values

Y2 = [[0, 1], [0, 0]]
DOC_CASES = [  # (metric, y_true, y_pred, sample_weight, expected) from tf_keras/metrics
    (metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.5),
    (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], None, 0.75),
    (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
     [1, 0, 0, 1], 0.5),
    (metrics.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
     [0.7, 0.3], 0.3),
    (metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
     [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.3),
    (metrics.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
     None, 0.5),
    (metrics.MeanSquaredError(), Y2, [[1, 1], [0, 0]], [1, 0], 0.5),
    (metrics.MeanAbsoluteError(), Y2, [[1, 1], [0, 0]], None, 0.25),
    (metrics.MeanAbsolutePercentageError(), Y2, [[1, 1], [0, 0]], None, 250000000.0),
    (metrics.MeanSquaredLogarithmicError(), Y2, [[1, 1], [0, 0]], None, 0.12011322),
    (metrics.RootMeanSquaredError(), Y2, [[1, 1], [0, 0]], [1, 0], 0.70710677),
    (metrics.LogCoshError(), Y2, [[1, 1], [0, 0]], [1, 0], 0.21689045),
    (metrics.CosineSimilarity(axis=1), [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]],
     [0.3, 0.7], 0.6999999),
    (metrics.BinaryCrossentropy(), Y2, [[0.6, 0.4], [0.4, 0.6]], None, 0.81492424),
    (metrics.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], [0.3, 0.7], 1.6271976),
    (metrics.SparseCategoricalCrossentropy(), [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     [0.3, 0.7], 1.6271976),
    (metrics.KLDivergence(), Y2, [[0.6, 0.4], [0.4, 0.6]], [1, 0], 0.9162892),
    (metrics.Poisson(), Y2, [[1, 1], [0, 0]], None, 0.49999997),
    (metrics.Hinge(), Y2, [[0.6, 0.4], [0.4, 0.6]], None, 1.3),
    (metrics.SquaredHinge(), Y2, [[0.6, 0.4], [0.4, 0.6]], None, 1.86),
    (metrics.CategoricalHinge(), Y2, [[0.6, 0.4], [0.4, 0.6]], None, 1.4),
    (metrics.TruePositives(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (metrics.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], None, 2.0),
    (metrics.TrueNegatives(), [0, 1, 0, 0], [1, 1, 0, 0], None, 2.0),
    (metrics.FalseNegatives(), [0, 1, 1, 1], [0, 1, 0, 0], None, 2.0),
    (metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], None, 0.6666667),
    (metrics.Precision(top_k=2), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.0),
    (metrics.Precision(top_k=4), [0, 0, 1, 1], [1, 1, 1, 1], None, 0.5),
    (metrics.Recall(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 1.0),
    (metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.75),
    (metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
]


@pytest.mark.parametrize('metric,y_true,y_pred,sample_weight,expected', DOC_CASES,
                         ids=[type(c[0]).__name__ for c in DOC_CASES])
def test_keras_docstring_values(metric, y_true, y_pred, sample_weight, expected):
    metric.reset_state()
    weight = None if sample_weight is None else t(sample_weight)
    metric.update_state(t(y_true), t(y_pred), sample_weight=weight)
    result = metric.result()
    assert result.dim() == 0
    assert float(result) == pytest.approx(expected, rel=1e-5, abs=1e-6)


# --------------------------------------------------------------- accuracy functions

def test_accuracy_functions_match_numpy():
    scores = RNG.normal(size=(8, 4))
    labels = RNG.integers(0, 4, size=8)
    onehot = np.eye(4)[labels]
    expected = (scores.argmax(-1) == labels).astype(float)
    np.testing.assert_array_equal(metrics.categorical_accuracy(t(onehot), t(scores)), expected)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(t(labels), t(scores)),
                                  expected)
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(t(labels[:, None]), t(scores)), expected)
    probs, targets = RNG.uniform(size=(8, 3)), RNG.integers(0, 2, size=(8, 3))
    np.testing.assert_allclose(metrics.binary_accuracy(t(targets), t(probs)),
                               ((probs > 0.5) == targets).mean(-1))
    np.testing.assert_allclose(metrics.binary_accuracy(t(targets), t(probs), threshold=0.8),
                               ((probs > 0.8) == targets).mean(-1))


def test_top_k_counts_ties_as_in_top_k():
    # in_top_k: in when fewer than k scores are strictly greater than the label's score.
    scores = t([[0.3, 0.3, 0.3, 0.1], [0.5, 0.2, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    labels = t([2, 2, 0])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=1),
                                  [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(labels, scores, k=2),
                                  [1.0, 1.0, 0.0])
    onehot = torch.nn.functional.one_hot(labels.long(), 4).float()
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(onehot, scores, k=2),
                                  [1.0, 1.0, 0.0])


def test_metric_cosine_similarity_is_the_negative_of_the_loss():
    y, p = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    expected = np.sum(y * p, -1) / np.linalg.norm(y, axis=-1) / np.linalg.norm(p, axis=-1)
    np.testing.assert_allclose(metrics.cosine_similarity(t(y), t(p)), expected, rtol=1e-5)
    assert metrics.get('cosine_proximity')._fn is metrics.cosine_similarity


# ------------------------------------------------------------------------ AUC

def np_auc_thresholds(num_thresholds):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return np.array([-EPS] + inner + [1 + EPS], dtype=np.float32)


def np_confusion(y_true, y_pred, thresholds, weights):
    """tp, fp, tn, fn per threshold: positive means y_pred > threshold (float32)."""
    positive = y_true.reshape(-1) != 0
    w = np.ones(positive.shape) if weights is None else weights.reshape(-1)
    predicted = y_pred.reshape(-1).astype(np.float32)[None, :] > thresholds[:, None]
    tp = (predicted & positive) @ w
    fp = (predicted & ~positive) @ w
    return tp, fp, (~predicted & ~positive) @ w, (~predicted & positive) @ w


def safe_div(a, b):
    return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)


def np_auc(y_true, y_pred, thresholds, curve='ROC', summation='interpolation', weights=None):
    """tf.keras AUC.result from the confusion counts at each threshold."""
    tp, fp, tn, fn = np_confusion(y_true, y_pred, thresholds, weights)
    if curve == 'PR' and summation == 'interpolation':  # Davis & Goadrich, closed form
        dtp, p = tp[:-1] - tp[1:], tp + fp
        slope = safe_div(dtp, np.maximum(p[:-1] - p[1:], 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, safe_div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return np.sum(safe_div(slope * (dtp + intercept * np.log(ratio)),
                               np.maximum(tp[1:] + fn[1:], 0)))
    recall = safe_div(tp, tp + fn)
    if curve == 'ROC':
        x, y = safe_div(fp, fp + tn), recall
    else:
        x, y = recall, safe_div(tp, tp + fp)
    heights = {'interpolation': (y[:-1] + y[1:]) / 2, 'minoring': np.minimum(y[:-1], y[1:]),
               'majoring': np.maximum(y[:-1], y[1:])}[summation]
    return np.sum((x[:-1] - x[1:]) * heights)


@pytest.mark.parametrize('curve', ['ROC', 'PR'])
@pytest.mark.parametrize('summation', ['interpolation', 'minoring', 'majoring'])
@pytest.mark.parametrize('num_thresholds', [3, 10, 200])
def test_auc_matches_tf_keras_formula(curve, summation, num_thresholds):
    y_true = RNG.integers(0, 2, size=(60, 1)).astype(np.float32)
    y_pred = np.clip(0.3 * y_true + RNG.uniform(size=(60, 1)) * 0.7, 0, 1).astype(np.float32)
    weights = RNG.uniform(size=60).astype(np.float32)
    metric = metrics.AUC(num_thresholds=num_thresholds, curve=curve,
                         summation_method=summation)
    metric.update_state(t(y_true[:25]), t(y_pred[:25]), sample_weight=t(weights[:25]))
    metric.update_state(t(y_true[25:]), t(y_pred[25:]), sample_weight=t(weights[25:]))
    expected = np_auc(y_true, y_pred, np_auc_thresholds(num_thresholds), curve, summation,
                      weights)
    assert value(metric) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_auc_with_explicit_uneven_thresholds():
    y_true = RNG.integers(0, 2, size=40).astype(np.float32)
    y_pred = RNG.uniform(size=40).astype(np.float32)
    inner = [0.1, 0.35, 0.4, 0.9]
    metric = metrics.AUC(thresholds=inner)
    metric.update_state(t(y_true), t(y_pred))
    thresholds = np.array([-EPS] + inner + [1 + EPS], dtype=np.float32)
    assert value(metric) == pytest.approx(np_auc(y_true, y_pred, thresholds), rel=1e-5)
    assert metric.get_config()['thresholds'] == pytest.approx(inner)
    assert metric.num_thresholds == 6


def test_auc_approaches_the_exact_rank_auc():
    y_true = RNG.integers(0, 2, size=300)
    y_pred = np.clip(0.25 * y_true + RNG.uniform(size=300) * 0.75, 0, 1)
    pos, neg = y_pred[y_true == 1], y_pred[y_true == 0]
    exact = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    metric = metrics.AUC(num_thresholds=2000)
    metric.update_state(t(y_true), t(y_pred))
    assert value(metric) == pytest.approx(exact, abs=2e-3)


def test_auc_multi_label_averages_label_aucs():
    y_true = RNG.integers(0, 2, size=(50, 3)).astype(np.float32)
    y_pred = RNG.uniform(size=(50, 3)).astype(np.float32)
    thresholds = np_auc_thresholds(20)
    per_label = [np_auc(y_true[:, j], y_pred[:, j], thresholds) for j in range(3)]
    metric = metrics.AUC(num_thresholds=20, multi_label=True)
    metric.update_state(t(y_true), t(y_pred))
    assert value(metric) == pytest.approx(np.mean(per_label), rel=1e-5)
    weighted = metrics.AUC(num_thresholds=20, multi_label=True, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(t(y_true), t(y_pred))
    expected = (per_label[0] + 3 * per_label[2]) / 4
    assert value(weighted) == pytest.approx(expected, rel=1e-5)


def test_auc_from_logits_applies_sigmoid():
    y_true = RNG.integers(0, 2, size=30).astype(np.float32)
    logits = RNG.normal(size=30).astype(np.float32) * 3
    probs = (1 / (1 + np.exp(-logits))).astype(np.float32)
    metric = metrics.AUC(from_logits=True)
    metric.update_state(t(y_true), t(logits))
    assert value(metric) == pytest.approx(np_auc(y_true, probs, np_auc_thresholds(200)),
                                          rel=1e-4)


def test_auc_argument_errors():
    with pytest.raises(ValueError, match='num_thresholds'):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match='curve'):
        metrics.AUC(curve='DET')
    with pytest.raises(ValueError, match='summation_method'):
        metrics.AUC(summation_method='trapezoid')


# ------------------------------------------------- precision / recall / counts

def test_precision_recall_counts_with_several_thresholds():
    y_true = RNG.integers(0, 2, size=(30, 1)).astype(np.float32)
    y_pred = RNG.uniform(size=(30, 1)).astype(np.float32)
    thresholds = [0.2, 0.5, 0.75]
    tp, fp, tn, fn = np_confusion(y_true, y_pred, np.array(thresholds, np.float32), None)
    checks = [(metrics.Precision(thresholds=thresholds), tp / (tp + fp)),
              (metrics.Recall(thresholds=thresholds), tp / (tp + fn)),
              (metrics.TruePositives(thresholds=thresholds), tp),
              (metrics.FalsePositives(thresholds=thresholds), fp),
              (metrics.TrueNegatives(thresholds=thresholds), tn),
              (metrics.FalseNegatives(thresholds=thresholds), fn)]
    for metric, expected in checks:
        metric.update_state(t(y_true), t(y_pred))
        np.testing.assert_allclose(value(metric), expected, rtol=1e-6)


def test_precision_recall_class_id_and_top_k():
    labels = RNG.integers(0, 4, size=40)
    y_true = np.eye(4)[labels].astype(np.float32)
    y_pred = RNG.uniform(size=(40, 4)).astype(np.float32)
    predicted = y_pred[:, 2] > 0.5
    actual = y_true[:, 2] == 1
    precision = metrics.Precision(class_id=2)
    recall = metrics.Recall(class_id=2)
    for metric in (precision, recall):
        metric.update_state(t(y_true), t(y_pred))
    assert value(precision) == pytest.approx((predicted & actual).sum() / predicted.sum())
    assert value(recall) == pytest.approx((predicted & actual).sum() / actual.sum())
    top1 = metrics.Precision(top_k=1)
    top1.update_state(t(y_true), t(y_pred))
    assert value(top1) == pytest.approx(np.mean(y_pred.argmax(-1) == labels))


def test_thresholds_must_lie_in_unit_interval():
    with pytest.raises(ValueError, match='thresholds'):
        metrics.Precision(thresholds=[0.5, 1.5])


# --------------------------------------------------------- resolution and names

@pytest.mark.parametrize('y_true_shape,y_pred_shape,expected', [
    ((None, 1), (None, 1), metrics.binary_accuracy),          # sigmoid + BCE
    ((None,), (None, 1), metrics.binary_accuracy),
    ((None, 1), (None, 1), metrics.binary_accuracy),          # MSE + Dense(1)
    ((None, 5), (None, 5), metrics.categorical_accuracy),     # multi-label BCE too!
    ((None,), (None, 10), metrics.sparse_categorical_accuracy),
    ((None, 1), (None, 10), metrics.sparse_categorical_accuracy),
    ((None, 20), (None, 20, 7), metrics.sparse_categorical_accuracy),
    ((None, 20, 7), (None, 20, 7), metrics.categorical_accuracy),
])
def test_accuracy_resolution_by_shapes(y_true_shape, y_pred_shape, expected):
    # KERAS_FACTS 5.4 (tf.keras 2 and Keras 3 decide by shapes only).
    for name in ('accuracy', 'acc', 'Accuracy', 'ACC'):
        metric = metrics.get(name, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape,
                             loss='binary_crossentropy')
        assert metric._fn is expected and metric.name == name


@pytest.mark.parametrize('y_true_shape,y_pred_shape,expected', [
    ((None, 1), (None, 1), losses.binary_crossentropy),
    ((None,), (None, 4), losses.sparse_categorical_crossentropy),
    ((None, 4), (None, 4), losses.categorical_crossentropy),
])
def test_crossentropy_resolution_by_shapes(y_true_shape, y_pred_shape, expected):
    for name in ('crossentropy', 'ce'):
        metric = metrics.get(name, y_true_shape, y_pred_shape)
        assert metric._fn is expected and metric.name == name


def test_resolution_falls_back_on_the_loss_without_shapes():
    assert metrics.get('acc', loss='binary_crossentropy')._fn is metrics.binary_accuracy
    assert metrics.get('acc', loss=losses.SparseCategoricalCrossentropy())._fn is \
        metrics.sparse_categorical_accuracy
    assert metrics.get('acc', loss='mse')._fn is metrics.categorical_accuracy
    assert metrics.get('acc', y_pred_shape=(None, 3), loss='sparse_categorical_crossentropy') \
        ._fn is metrics.sparse_categorical_accuracy
    with pytest.raises(ValueError, match='y_pred_shape'):
        metrics.get('accuracy')


@pytest.mark.parametrize('identifier,name', [
    ('mae', 'mae'), ('mse', 'mse'), ('mape', 'mape'), ('msle', 'msle'), ('MSE', 'MSE'),
    ('mean_absolute_error', 'mean_absolute_error'), ('binary_accuracy', 'binary_accuracy'),
    ('AUC', 'auc'), ('Precision', 'precision'), ('Recall', 'recall'),
    ('BinaryAccuracy', 'binary_accuracy'), ('MeanSquaredError', 'mean_squared_error'),
    ('RootMeanSquaredError', 'root_mean_squared_error'), ('TruePositives', 'true_positives'),
    ('TopKCategoricalAccuracy', 'top_k_categorical_accuracy'), ('LogCoshError', 'logcosh'),
    ('KLDivergence', 'kullback_leibler_divergence'),
])
def test_names_as_tf_keras_history_keys(identifier, name):
    metric = metrics.get(identifier)
    assert isinstance(metric, metrics.Metric) and metric.name == name


def test_unnamed_metrics_get_session_unique_names():
    assert [metrics.get('AUC').name for _ in range(3)] == ['auc', 'auc_1', 'auc_2']
    assert metrics.Precision().name == 'precision'
    backend.clear_session()
    assert metrics.AUC().name == 'auc'
    assert metrics.AUC(name='my_auc').name == 'my_auc'


def test_functions_instances_and_losses():
    def my_metric(y_true, y_pred):
        return torch.mean(torch.abs(y_true - y_pred), dim=-1)

    wrapped = metrics.get(my_metric)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == 'my_metric'
    instance = metrics.AUC()
    assert metrics.get(instance) is instance
    assert metrics.get(None) is None
    from_loss = metrics.get(losses.Huber())
    from_loss.update_state(t([[0.0, 2.0]]), t([[0.5, 0.0]]))
    assert value(from_loss) == pytest.approx((0.125 + 1.5) / 2)


@pytest.mark.parametrize('identifier', ['auc', 'precision', 'accuracyy', 'F1', 42])
def test_unknown_identifiers_raise_value_error_naming_them(identifier):
    with pytest.raises(ValueError, match=repr(identifier)):
        metrics.get(identifier, (None, 1), (None, 1))


def test_unknown_lowercase_class_name_suggests_the_class():
    with pytest.raises(ValueError, match="Did you mean 'AUC'"):
        metrics.get('auc')


class FakeTorchMetric:
    """The torchmetrics protocol: update(preds, target), compute(), reset()."""

    def __init__(self):
        self.reset()

    def update(self, preds, target):
        self.total += float((preds.argmax(-1) == target).sum())
        self.count += target.numel()

    def compute(self):
        return torch.tensor(self.total / self.count)

    def reset(self):
        self.total, self.count = 0.0, 0


def test_torchmetrics_style_metric_is_wrapped():
    metric = metrics.get(FakeTorchMetric())
    assert isinstance(metric, metrics.TorchMetricWrapper) and metric.name == 'fake_torch_metric'
    metric.update_state(t([0, 1, 2]).long(), t([[1.0, 0, 0], [0, 0, 1.0], [0, 0, 1.0]]))
    assert value(metric) == pytest.approx(2 / 3)
    with pytest.warns(UserWarning, match='sample weights'):
        metric.update_state(t([0]).long(), t([[1.0, 0, 0]]), sample_weight=t([1.0]))
    metric.reset_state()
    metric.update_state(t([1]).long(), t([[1.0, 0, 0]]))
    assert value(metric) == 0.0


def test_real_torchmetrics_metric_is_wrapped():
    torchmetrics = pytest.importorskip('torchmetrics')
    metric = metrics.get(torchmetrics.classification.BinaryAccuracy())
    metric.update_state(t([1, 0, 1]), t([0.9, 0.2, 0.1]))
    assert value(metric) == pytest.approx(2 / 3)


# ---------------------------------------------------------- config round trips

CONFIG_CASES = [
    metrics.Accuracy(), metrics.BinaryAccuracy(threshold=0.7), metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2), metrics.AUC(curve='PR', num_thresholds=50),
    metrics.Precision(thresholds=[0.3, 0.6], class_id=1), metrics.Recall(top_k=2),
    metrics.TruePositives(thresholds=0.4), metrics.MeanSquaredError(),
    metrics.RootMeanSquaredError(), metrics.BinaryCrossentropy(from_logits=True),
    metrics.SparseCategoricalCrossentropy(ignore_class=0), metrics.CosineSimilarity(axis=1),
    metrics.LogCoshError(), metrics.KLDivergence(), metrics.Mean(name='running'),
    metrics.MeanMetricWrapper(metrics.binary_accuracy, name='bacc', threshold=0.2),
]


@pytest.mark.parametrize('metric', CONFIG_CASES, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metrics.serialize(metric)
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    assert rebuilt.name == metric.name and rebuilt.dtype == 'float32'


def test_deserialize_names_and_keras3_function_format():
    assert metrics.deserialize('mae') is losses.mean_absolute_error
    assert metrics.deserialize({'class_name': 'function', 'config': 'acc'}) is metrics.accuracy
    assert isinstance(metrics.deserialize('AUC'), metrics.AUC)


# --------------------------------------------------- logits, devices, host syncs

def test_crossentropy_metric_uses_recovered_logits():
    logits = t([[100.0, 0.0]])
    probs = losses.attach_logits(torch.softmax(logits, -1), logits, 'softmax')
    metric = metrics.get('crossentropy', (None, 2), (None, 2))
    metric.update_state(t([[0.0, 1.0]]), probs)
    assert value(metric) == pytest.approx(100.0)


def test_states_follow_the_input_device():
    metric = metrics.AUC()
    device = torch.device('meta')  # no real accelerator needed to see the move
    metric._place_states(device)
    assert all(state.device == device for state in metric.variables)


def sync_free_cases():
    labels, probs = t(RNG.integers(0, 2, size=(16, 1))), t(RNG.uniform(size=(16, 1)))
    classes, scores = t(RNG.integers(0, 5, size=16)), t(RNG.uniform(size=(16, 5)))
    binary = [metrics.get(n, (None, 1), (None, 1)) for n in ('accuracy', 'crossentropy', 'mse')]
    binary += [metrics.AUC(), metrics.AUC(curve='PR'), metrics.AUC(thresholds=[0.3, 0.4]),
               metrics.Precision(), metrics.Recall(top_k=1), metrics.RootMeanSquaredError(),
               metrics.TruePositives(thresholds=[0.2, 0.5]), metrics.Hinge()]
    sparse = [metrics.get('acc', (None,), (None, 5)), metrics.SparseTopKCategoricalAccuracy(),
              metrics.SparseCategoricalCrossentropy(ignore_class=0)]
    return [(m, (labels, probs)) for m in binary] + [(m, (classes, scores)) for m in sparse]


def test_update_state_never_reads_tensor_values_on_the_host(monkeypatch):
    # .item(), bool(t), float(t), t.tolist() are what would make a CUDA step wait.
    cases = sync_free_cases()
    for metric, args in cases:
        metric.update_state(*args, sample_weight=torch.ones(16))

    def forbidden(*args, **kwargs):
        raise AssertionError('host read of a tensor value inside update_state/result')

    for attr in ('item', '__bool__', '__float__', '__int__', 'tolist'):
        monkeypatch.setattr(torch.Tensor, attr, forbidden)
    for metric, args in cases:
        metric.update_state(*args, sample_weight=torch.ones(16))
        metric.result()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_update_state_makes_no_host_sync_on_cuda():
    cuda = torch.device('cuda')
    labels = torch.randint(0, 2, (64, 1), device=cuda).float()
    probs = torch.rand(64, 1, device=cuda)
    classes = torch.randint(0, 5, (64,), device=cuda)
    scores = torch.rand(64, 5, device=cuda)
    binary = [metrics.get(n, (None, 1), (None, 1)) for n in ('accuracy', 'crossentropy', 'mse')]
    binary += [metrics.AUC(), metrics.AUC(curve='PR'), metrics.Precision(), metrics.Recall(),
               metrics.TruePositives(thresholds=[0.2, 0.5]), metrics.RootMeanSquaredError()]
    sparse = [metrics.get('acc', (None,), (None, 5)), metrics.SparseTopKCategoricalAccuracy(),
              metrics.SparseCategoricalCrossentropy()]
    for metric in binary + sparse:  # first call moves the states (allowed to sync)
        args = (labels, probs) if metric in binary else (classes, scores)
        metric.update_state(*args, sample_weight=torch.ones(64, device=cuda))
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        for metric in binary + sparse:
            args = (labels, probs) if metric in binary else (classes, scores)
            metric.update_state(*args, sample_weight=torch.ones(64, device=cuda))
            metric.result()
    finally:
        torch.cuda.set_sync_debug_mode('default')
    assert all(state.device.type == 'cuda' for m in binary + sparse for state in m.variables)


# ======================================================= metrics added for tf.keras 2.21
# F-scores, R2, IoU, X-at-Y, MeanRelativeError, MeanTensor and PyMetric.  Expected values
# come from the numpy formulas below or are worked by hand in the comments (the hand
# examples are the ones in the tf.keras docstrings).

def np_fbeta(y_true, y_pred, beta=1.0, threshold=None, average=None, weights=None):
    if threshold is None:
        positive = (y_pred >= y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
    else:
        positive = y_pred > threshold
    positive = positive.astype('float64')
    w = np.ones((len(y_true), 1)) if weights is None else np.asarray(weights)[:, None]
    axis = None if average == 'micro' else 0
    tp = np.sum(positive * y_true * w, axis)
    fp = np.sum(positive * (1 - y_true) * w, axis)
    fn = np.sum((1 - positive) * y_true * w, axis)
    support = np.sum(y_true * w, axis)
    precision, recall = safe_div(tp, tp + fp), safe_div(tp, tp + fn)
    scores = (1 + beta ** 2) * safe_div(precision * recall, beta ** 2 * precision + recall)
    if average == 'weighted':
        return np.sum(scores * support / support.sum())
    return scores if average is None else np.mean(scores)


def test_f1_score_hand_example():
    # Per class (threshold 0.5): tp/fp/fn = 1/0/2, 2/1/0, 1/1/0, so precision 1, 2/3, 1/2
    # and recall 1/3, 1, 1: F1 = 0.5, 0.8, 2/3.
    y_true = t([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
    y_pred = t([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    metric = metrics.F1Score(threshold=0.5)
    metric.update_state(y_true, y_pred)
    np.testing.assert_allclose(value(metric), [0.5, 0.8, 2 / 3], rtol=1e-6)
    beta = metrics.FBetaScore(beta=2.0, threshold=0.5)
    beta.update_state(y_true, y_pred)
    # F2 = 5 p r / (4 p + r): 5/3 / (13/3) = 5/13, 10/3 / (11/3) = 10/11, 2.5 / 3 = 5/6
    np.testing.assert_allclose(value(beta), [5 / 13, 10 / 11, 5 / 6], rtol=1e-6)
    assert metric.name == 'f1_score' and beta.name == 'fbeta_score'


@pytest.mark.parametrize('average', [None, 'micro', 'macro', 'weighted'])
@pytest.mark.parametrize('beta,threshold', [(1.0, None), (2.0, 0.5), (0.5, 0.3)])
def test_fbeta_score_matches_numpy_over_batches(average, beta, threshold):
    rng = np.random.default_rng(5)
    y_true = (rng.uniform(size=(30, 4)) > 0.5).astype('float64')
    y_pred = np.round(rng.uniform(size=(30, 4)), 1)  # ties for the argmax rule
    y_pred[::7] = 0.0  # all-zero rows predict nothing
    weights = rng.uniform(size=30)
    metric = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    for rows in (slice(0, 10), slice(10, 30)):
        metric.update_state(t(y_true[rows]), t(y_pred[rows]), sample_weight=t(weights[rows]))
    expected = np_fbeta(y_true, y_pred, beta, threshold, average, weights)
    assert value(metric).shape == np.shape(expected)
    np.testing.assert_allclose(value(metric), expected, rtol=1e-5, atol=1e-7)
    metric.reset_state()
    assert np.all(value(metric) == 0)


def test_fbeta_score_argument_and_shape_errors():
    with pytest.raises(ValueError, match='average'):
        metrics.F1Score(average='mean')
    with pytest.raises(ValueError, match='beta=0'):
        metrics.FBetaScore(beta=0)
    with pytest.raises(ValueError, match='threshold=1.5'):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match='y_true.shape=\\(2, 3, 4\\)'):
        metrics.F1Score().update_state(torch.zeros(2, 3, 4), torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match='no value yet'):
        metrics.F1Score().result()
    assert metrics.FBetaScore(beta=2).get_config()['beta'] == 2.0  # ints accepted here


def np_r2(y_true, y_pred, weights=None):
    w = np.ones_like(y_true) if weights is None else np.broadcast_to(
        np.reshape(weights, (len(y_true), -1)), y_true.shape)
    mean = np.sum(w * y_true, 0) / np.sum(w, 0)
    residual = np.sum(w * (y_true - y_pred) ** 2, 0)
    total = np.sum(w * (y_true - mean) ** 2, 0)
    return 1 - residual / total, total


def test_r2_score_hand_example():
    # mean 8/3; total = 25/9 + 16/9 + 1/9 = 14/3; residual = 1 + 0 + 1 = 2; R2 = 1 - 3/7.
    metric = metrics.R2Score()
    metric.update_state(t([[1], [4], [3]]), t([[2], [4], [4]]))
    assert value(metric) == pytest.approx(4 / 7, rel=1e-6)
    assert metric.name == 'r2_score'


@pytest.mark.parametrize('aggregation', [None, 'uniform_average', 'variance_weighted_average'])
def test_r2_score_matches_numpy(aggregation):
    rng = np.random.default_rng(6)
    y_true = rng.normal(size=(40, 3)) * [1.0, 2.0, 0.5]
    y_pred = y_true + rng.normal(size=(40, 3))
    weights = rng.uniform(size=40)
    metric = metrics.R2Score(class_aggregation=aggregation)
    for rows in (slice(0, 15), slice(15, 40)):
        metric.update_state(t(y_true[rows]), t(y_pred[rows]), sample_weight=t(weights[rows]))
    scores, total = np_r2(y_true, y_pred, weights)
    expected = {None: scores, 'uniform_average': np.mean(scores),
                'variance_weighted_average': np.sum(total * scores) / np.sum(total)}
    np.testing.assert_allclose(value(metric), expected[aggregation], rtol=1e-5)


def test_adjusted_r2_counts_every_element_as_a_sample():
    # tf.keras's n is the number of y_true elements seen (20 rows x 2 columns = 40).
    rng = np.random.default_rng(7)
    y_true = rng.normal(size=(20, 2))
    y_pred = y_true + 0.5 * rng.normal(size=(20, 2))
    metric = metrics.R2Score(num_regressors=3)
    metric.update_state(t(y_true), t(y_pred))
    r2 = np.mean(np_r2(y_true, y_pred)[0])
    assert value(metric) == pytest.approx(1 - (1 - r2) * 39 / (40 - 3 - 1), rel=1e-5)
    small = metrics.R2Score(num_regressors=5)
    small.update_state(t(y_true[:2]), t(y_pred[:2]))  # n = 4 < p + 1: plain R2
    with pytest.warns(UserWarning, match='More independent predictors'):
        assert value(small) == pytest.approx(np.mean(np_r2(y_true[:2], y_pred[:2])[0]),
                                             rel=1e-5)


def test_r2_score_constant_column_scores_zero_and_errors():
    # total = 0 for a constant column: the infinite score becomes 0, as in tf.keras.
    metric = metrics.R2Score(class_aggregation=None)
    metric.update_state(t([[1.0, 1.0], [2.0, 1.0]]), t([[1.0, 0.0], [2.0, 0.0]]))
    np.testing.assert_allclose(value(metric), [1.0, 0.0])
    with pytest.raises(ValueError, match='class_aggregation'):
        metrics.R2Score(class_aggregation='mean')
    with pytest.raises(ValueError, match='num_regressors=-1'):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match='2D inputs'):
        metrics.R2Score().update_state(torch.zeros(4), torch.zeros(4))


def np_confusion_matrix(y_true, y_pred, num_classes, weights=None):
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (y_true.ravel(), y_pred.ravel()),
              1.0 if weights is None else weights.ravel())
    return matrix


def np_iou(matrix, target_class_ids):
    tp = np.diag(matrix)
    denominator = (matrix.sum(0) + matrix.sum(1) - tp)[target_class_ids]
    iou = safe_div(tp[target_class_ids], denominator)
    return safe_div(np.sum(iou), np.sum(denominator != 0))


def test_iou_hand_examples():
    # cm = [[1, 1], [1, 1]]: iou of each class = 1 / (2 + 2 - 1).
    y_true, y_pred = t([0, 0, 1, 1]), t([0, 1, 0, 1])
    iou, mean_iou = metrics.IoU(num_classes=2, target_class_ids=[0]), metrics.MeanIoU(2)
    for metric in (iou, mean_iou):
        metric.update_state(y_true, y_pred)
        assert value(metric) == pytest.approx(1 / 3)
        metric.reset_state()
        # cm = [[0.3, 0.3], [0.3, 0.1]]: iou = 0.3 / 0.9 and 0.1 / 0.7.
        metric.update_state(y_true, y_pred, sample_weight=t([0.3, 0.3, 0.3, 0.1]))
    assert value(iou) == pytest.approx(1 / 3, rel=1e-6)
    assert value(mean_iou) == pytest.approx((1 / 3 + 1 / 7) / 2, rel=1e-6)


def test_binary_iou_thresholds_with_greater_or_equal():
    # y_pred >= 0.3 -> [0, 0, 1, 1]; cm = [[0.2, 0.4], [0.3, 0.1]] with the weights:
    # iou = 0.2 / (0.6 + 0.5 - 0.2), 0.1 / (0.4 + 0.5 - 0.1).
    metric = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    metric.update_state(t([0, 1, 0, 1]), t([0.1, 0.2, 0.4, 0.7]))
    assert value(metric) == pytest.approx(1 / 3)
    metric.reset_state()
    metric.update_state(t([0, 1, 0, 1]), t([0.1, 0.2, 0.4, 0.7]),
                        sample_weight=t([0.2, 0.3, 0.4, 0.1]))
    assert value(metric) == pytest.approx((0.2 / 0.9 + 0.1 / 0.8) / 2, rel=1e-6)
    on_threshold = metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
    on_threshold.update_state(t([1]), t([0.5]))  # 0.5 >= 0.5 is class 1
    assert value(on_threshold) == 1.0


def test_one_hot_iou_hand_example():
    # argmax: true [2, 0, 1, 0], predicted [2, 2, 0, 2]; cm (weights 0.1..0.4) =
    # [[0, 0, 0.6], [0.3, 0, 0], [0, 0, 0.1]]: iou_0 = 0 / 0.9, iou_2 = 0.1 / 0.7.
    y_true = t([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = t([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    weights = t([0.1, 0.2, 0.3, 0.4])
    one_hot, mean = metrics.OneHotIoU(3, [0, 2]), metrics.OneHotMeanIoU(3)
    for metric in (one_hot, mean):
        metric.update_state(y_true, y_pred, sample_weight=weights)
    assert value(one_hot) == pytest.approx((0 + 1 / 7) / 2, rel=1e-6)
    assert value(mean) == pytest.approx((0 + 0 + 1 / 7) / 3, rel=1e-6)


@pytest.mark.parametrize('ignore_class', [None, 1, 255])
def test_mean_iou_on_segmentation_maps_matches_numpy(ignore_class):
    rng = np.random.default_rng(8)
    y_true = rng.integers(0, 4, size=(3, 5, 6))
    if ignore_class == 255:
        y_true[:, 0] = 255  # an "unlabelled" id outside the classes
    scores = rng.uniform(size=(3, 5, 6, 4))
    weights = rng.uniform(size=(3, 5, 6))
    metric = metrics.MeanIoU(4, ignore_class=ignore_class, sparse_y_pred=False)
    metric.update_state(t(y_true), t(scores), sample_weight=t(weights))
    keep = np.ones_like(y_true, bool) if ignore_class is None else y_true != ignore_class
    matrix = np_confusion_matrix(y_true[keep], scores.argmax(-1)[keep], 4, weights[keep])
    np.testing.assert_allclose(metric.total_cm.numpy(), matrix, rtol=1e-6)
    assert value(metric) == pytest.approx(np_iou(matrix, [0, 1, 2, 3]), rel=1e-6)


def test_iou_per_image_weights_broadcast_over_pixels():
    y_true, y_pred = np.array([[[0, 1], [1, 1]], [[0, 0], [1, 0]]]), np.zeros((2, 2, 2), int)
    metric = metrics.MeanIoU(2)
    metric.update_state(t(y_true), t(y_pred), sample_weight=t([1.0, 3.0]))
    weights = np.broadcast_to(np.array([1.0, 3.0])[:, None, None], y_true.shape)
    np.testing.assert_allclose(metric.total_cm.numpy(),
                               np_confusion_matrix(y_true, y_pred, 2, weights))


def test_iou_argument_and_range_errors():
    with pytest.raises(ValueError, match='target_class_ids=\\[3\\]'):
        metrics.IoU(num_classes=3, target_class_ids=[3])
    with pytest.raises(ValueError, match='\\[0, 3\\)'):
        metrics.MeanIoU(3).update_state(t([0, 3]), t([0, 1]))
    ignored = metrics.MeanIoU(3, ignore_class=-1)
    ignored.update_state(t([0, -1]), t([0, 1]))  # the ignored id is not range-checked
    assert value(ignored) == 1.0


def np_rates_at_thresholds(y_true, y_pred, num_thresholds, weights=None):
    if num_thresholds == 1:
        thresholds = np.array([0.5])
    else:
        thresholds = np.linspace(0.0, 1.0, num_thresholds)
    w = np.ones_like(y_pred) if weights is None else np.broadcast_to(weights, y_pred.shape)
    predicted = y_pred.ravel()[None, :] > thresholds[:, None]
    positive, weights = y_true.ravel()[None, :] == 1, w.ravel()[None, :]
    tp = np.sum(predicted * positive * weights, 1)
    fp = np.sum(predicted * ~positive * weights, 1)
    fn = np.sum(~predicted * positive * weights, 1)
    tn = np.sum(~predicted * ~positive * weights, 1)
    return {'recall': safe_div(tp, tp + fn), 'specificity': safe_div(tn, tn + fp),
            'precision': safe_div(tp, tp + fp)}


def np_max_under_constraint(constrained, dependent, value):
    feasible = constrained >= value
    return np.max(dependent[feasible]) if feasible.any() else 0.0


def test_precision_at_recall_hand_example():
    # Thresholds below 0.3 keep 4 predictions (tp 2, fp 2): recall 1, precision 1/2;
    # from 0.3 to 0.8 the two 0.8s (tp 1, fp 1): recall 1/2, precision 1/2; above, none.
    metric = metrics.PrecisionAtRecall(0.5)
    metric.update_state(t([0, 0, 0, 1, 1]), t([0, 0.3, 0.8, 0.3, 0.8]))
    assert value(metric) == pytest.approx(0.5)
    assert metric.name == 'precision_at_recall'


X_AT_Y = [
    (metrics.PrecisionAtRecall, 'recall', 'precision'),
    (metrics.RecallAtPrecision, 'precision', 'recall'),
    (metrics.SensitivityAtSpecificity, 'specificity', 'recall'),
    (metrics.SpecificityAtSensitivity, 'recall', 'specificity'),
]


@pytest.mark.parametrize('num_thresholds', [1, 2, 11, 200])
@pytest.mark.parametrize('cls,constrained,dependent', X_AT_Y,
                         ids=[case[0].__name__ for case in X_AT_Y])
def test_x_at_y_metrics_match_numpy(cls, constrained, dependent, num_thresholds):
    rng = np.random.default_rng(9)
    y_true = (rng.uniform(size=(50, 1)) > 0.5).astype('float64')
    y_pred = np.clip(0.4 * y_true + 0.7 * rng.uniform(size=(50, 1)), 0, 1)
    y_pred[:3], y_pred[-3:] = 0.0, 1.0  # on the end thresholds: positive for none of them
    weights = rng.uniform(size=50)
    for value_ in (0.0, 0.45, 0.8, 1.0):
        metric = cls(value_, num_thresholds=num_thresholds)
        metric.update_state(t(y_true[:20]), t(y_pred[:20]), sample_weight=t(weights[:20]))
        metric.update_state(t(y_true[20:]), t(y_pred[20:]), sample_weight=t(weights[20:]))
        rates = np_rates_at_thresholds(y_true, y_pred, num_thresholds, weights[:, None])
        expected = np_max_under_constraint(rates[constrained], rates[dependent], value_)
        assert value(metric) == pytest.approx(expected, rel=1e-5, abs=1e-7)


def test_x_at_y_class_id_and_errors():
    rng = np.random.default_rng(10)
    y_true = (rng.uniform(size=(30, 3)) > 0.5).astype('float64')
    y_pred = rng.uniform(size=(30, 3))
    metric = metrics.RecallAtPrecision(0.5, num_thresholds=21, class_id=2)
    metric.update_state(t(y_true), t(y_pred))
    rates = np_rates_at_thresholds(y_true[:, 2], y_pred[:, 2], 21)
    assert value(metric) == pytest.approx(
        np_max_under_constraint(rates['precision'], rates['recall'], 0.5), rel=1e-6)
    with pytest.raises(ValueError, match='recall=1.5'):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match='num_thresholds=0'):
        metrics.SensitivityAtSpecificity(0.5, num_thresholds=0)


def test_zero_predictions_count_as_negatives_at_threshold_zero():
    # Thresholds [0, 0.5, 1] are evenly spaced (the bucketed path); p = 0 is not > 0, so
    # the positive predicted 0 is a false negative at every threshold: recall 1/2 at 0.
    recall = metrics.Recall(thresholds=[0.0, 0.5, 1.0])
    recall.update_state(t([1, 1, 0]), t([0.0, 0.7, 0.0]))
    np.testing.assert_allclose(value(recall), [0.5, 0.5, 0.0])
    negatives = metrics.TrueNegatives(thresholds=[0.0, 0.5, 1.0])
    negatives.update_state(t([1, 1, 0]), t([0.0, 0.7, 0.0]))
    np.testing.assert_allclose(value(negatives), [1.0, 1.0, 1.0])


def test_soft_labels_count_as_positive_in_confusion_metrics():
    # tf.keras casts y_true to bool before counting, on both the bucketed and the direct
    # paths: 0.3 is a positive label.
    for thresholds in ([0.0, 0.5, 1.0], [0.3]):
        positives = metrics.TruePositives(thresholds=thresholds)
        positives.update_state(t([0.3, 0.0]), t([0.9, 0.9]))
        assert np.all(np.atleast_1d(value(positives))[:2] == 1.0)


def test_f1_score_keeps_float64():
    metric = metrics.F1Score(average='macro', dtype='float64')
    metric.update_state(t([[1, 0], [0, 1]]), t([[0.9, 0.1], [0.8, 0.2]]))
    # class 0: tp 1, fp 1 -> F1 2/3; class 1: tp 0 -> 0
    assert value(metric).dtype == np.float64
    assert value(metric) == pytest.approx(1 / 3)


def test_mean_relative_error_hand_example():
    # |y_pred - y_true| / normalizer = [1, 1/3, 2, 5/3] -> mean 5/4.
    metric = metrics.MeanRelativeError(normalizer=[1, 3, 2, 3])
    metric.update_state(t([1, 3, 2, 3]), t([2, 4, 6, 8]))
    assert value(metric) == pytest.approx(1.25)
    weighted = metrics.MeanRelativeError(normalizer=[1, 3, 2, 0])  # 0: the error counts 0
    weighted.update_state(t([1, 3, 2, 3]), t([2, 4, 6, 8]), sample_weight=t([1, 1, 0, 2]))
    assert value(weighted) == pytest.approx((1 + 1 / 3 + 0) / 4)
    assert metric.name == 'mean_relative_error'
    assert weighted.get_config()['normalizer'] == [1.0, 3.0, 2.0, 0.0]


def test_mean_tensor_hand_example():
    metric = metrics.MeanTensor()
    assert metric.total is None and metric.variables == []
    metric.update_state(t([0, 1, 2, 3]))
    metric.update_state(t([4, 5, 6, 7]))
    np.testing.assert_allclose(value(metric), [2, 3, 4, 5])
    # totals [4, 6, 8, 10] + [0, 2, 4, 6], counts 2 + [0, 0.2, 0.5, 1]
    metric.update_state(t([12, 10, 8, 6]), sample_weight=t([0, 0.2, 0.5, 1]))
    np.testing.assert_allclose(value(metric), [2, 8 / 2.2, 12 / 2.5, 16 / 3], rtol=1e-6)
    shaped = metrics.MeanTensor(dtype='float64', shape=(1, 4))
    assert value(shaped).shape == (1, 4) and value(shaped).dtype == np.float64
    with pytest.raises(ValueError, match='values.shape=\\(4,\\)'):
        shaped.update_state(t([1, 2, 3, 4]))
    with pytest.raises(ValueError, match='no value yet'):
        metrics.MeanTensor().result()


class BatchCount(metrics.PyMetric):
    """Counts positive labels in plain Python (the tf.keras PyMetric pattern)."""

    def __init__(self, name='batch_count', **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        assert y_true.device.type == 'cpu' and not y_pred.requires_grad
        self.positives += int(np.sum(np.asarray(y_true)))
        self.batches += 1

    def reset_state(self):
        self.positives, self.batches = 0, 0

    def result(self):
        return self.positives / max(self.batches, 1)


def test_py_metric_runs_python_on_host_tensors():
    from torchkeras.metrics.experimental import PyMetric
    assert PyMetric is metrics.PyMetric is metrics.experimental.PyMetric
    metric = BatchCount()
    assert value(metric) == 0.0  # reset_state ran at construction
    metric.update_state(t([1, 0, 1]), t([0.5, 0.2, 0.9]).requires_grad_())
    metric.update_state(t([1, 1, 1, 1]), t([0.5, 0.2, 0.9, 0.1]))
    result = metric.result()
    assert result.dtype == torch.float32 and float(result) == 3.0
    metric.reset_state()
    assert float(metric.result()) == 0.0


NEW_CONFIG_CASES = [
    metrics.F1Score(average='macro', threshold=0.4), metrics.FBetaScore(beta=2.0),
    metrics.R2Score(class_aggregation=None, num_regressors=2),
    metrics.IoU(4, [1, 2], ignore_class=0, sparse_y_pred=False), metrics.BinaryIoU([1], 0.3),
    metrics.MeanIoU(3, axis=1), metrics.OneHotIoU(3, [0]), metrics.OneHotMeanIoU(5),
    metrics.PrecisionAtRecall(0.3, num_thresholds=7, class_id=1),
    metrics.RecallAtPrecision(0.6), metrics.SensitivityAtSpecificity(0.2),
    metrics.SpecificityAtSensitivity(0.9, name='spec'), metrics.MeanRelativeError([1.0, 2.0]),
    metrics.MeanTensor(name='mt'),
]


@pytest.mark.parametrize('metric', NEW_CONFIG_CASES, ids=lambda m: type(m).__name__)
def test_new_metrics_config_round_trip(metric):
    config = metrics.serialize(metric)
    rebuilt = metrics.deserialize(config)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    assert rebuilt.name == metric.name
    assert type(metric).__name__ in metrics.__all__


def test_new_metric_configs_have_tf_keras_keys_in_order():
    # Key lists pinned from tf_keras 2.21's get_config() (tests/test_tf_keras_differential_
    # metrics.py compares the full dicts against tf_keras itself).
    expected = {
        metrics.F1Score(): ['name', 'dtype', 'average', 'threshold'],
        metrics.FBetaScore(): ['name', 'dtype', 'average', 'beta', 'threshold'],
        metrics.R2Score(): ['name', 'dtype', 'class_aggregation', 'num_regressors'],
        metrics.IoU(2, [0]): ['name', 'dtype', 'num_classes', 'target_class_ids',
                              'ignore_class', 'sparse_y_true', 'sparse_y_pred', 'axis'],
        metrics.BinaryIoU(): ['target_class_ids', 'threshold', 'name', 'dtype'],
        metrics.MeanIoU(2): ['num_classes', 'name', 'dtype', 'ignore_class', 'sparse_y_true',
                             'sparse_y_pred', 'axis'],
        metrics.OneHotIoU(2, [0]): ['num_classes', 'target_class_ids', 'name', 'dtype',
                                    'ignore_class', 'sparse_y_pred', 'axis'],
        metrics.OneHotMeanIoU(2): ['num_classes', 'name', 'dtype', 'ignore_class',
                                   'sparse_y_pred', 'axis'],
        metrics.PrecisionAtRecall(0.5): ['name', 'dtype', 'class_id', 'num_thresholds',
                                         'recall'],
        metrics.MeanRelativeError(1.0): ['name', 'dtype', 'normalizer'],
    }
    for metric, keys in expected.items():
        assert list(metric.get_config()) == keys, type(metric).__name__


@pytest.mark.parametrize('identifier,name', [
    ('F1Score', 'f1_score'), ('FBetaScore', 'fbeta_score'), ('R2Score', 'r2_score'),
    ('BinaryIoU', 'binary_io_u'), ('MeanTensor', 'mean_tensor'),
])
def test_new_metrics_resolve_by_class_name(identifier, name):
    metric = metrics.get(identifier)
    assert type(metric).__name__ == identifier and metric.name == name
    assert isinstance(metrics.deserialize(identifier), metrics.Metric)


@pytest.mark.parametrize('identifier,argument', [
    ('IoU', 'num_classes, target_class_ids'), ('MeanIoU', 'num_classes'),
    ('PrecisionAtRecall', 'recall'), ('MeanRelativeError', 'normalizer'),
])
def test_metric_classes_with_required_arguments_name_them(identifier, argument):
    with pytest.raises(TypeError, match=argument):
        metrics.get(identifier)


@pytest.mark.parametrize('identifier', ['f1_score', 'r2_score', 'mean_io_u', 'iou'])
def test_snake_case_names_of_new_classes_are_unknown_as_in_tf_keras(identifier):
    # tf_keras resolves no function under these names either (fit() then fails).
    with pytest.raises(ValueError, match=repr(identifier)):
        metrics.get(identifier)


def new_metric_cases(device):
    """(metric, args) covering every new metric, with inputs on ``device``."""
    def rand(*shape):
        return torch.rand(*shape, device=device)
    scores, labels = rand(16, 3), (rand(16, 3) > 0.5).float()
    ids = torch.randint(0, 3, (16,), device=device)
    return [
        (metrics.F1Score(), (labels, scores)), (metrics.F1Score(threshold=0.5), (labels, scores)),
        (metrics.FBetaScore(average='weighted', beta=2.0), (labels, scores)),
        (metrics.FBetaScore(average='micro'), (labels, scores)),
        (metrics.R2Score(num_regressors=2), (labels, scores)),
        (metrics.MeanIoU(3, ignore_class=1), (ids, ids.flip(0))),
        (metrics.IoU(3, [0, 2], sparse_y_pred=False), (ids, scores)),
        (metrics.OneHotMeanIoU(3), (labels, scores)), (metrics.BinaryIoU(), (labels, scores)),
        (metrics.PrecisionAtRecall(0.5), (labels, scores)),
        (metrics.RecallAtPrecision(0.5, num_thresholds=1), (labels, scores)),
        (metrics.SensitivityAtSpecificity(0.5, class_id=1), (labels, scores)),
        (metrics.SpecificityAtSensitivity(0.5), (labels, scores)),
        (metrics.MeanRelativeError([1.0, 2.0, 0.0]), (labels, scores)),
    ]


def test_new_metrics_make_no_host_reads_off_the_cpu(monkeypatch):
    # On the meta device (no data, like an accelerator: IoU skips its CPU-only range check)
    # every update_state and result() must run without reading a value on the host.
    cases = new_metric_cases(torch.device('meta'))
    for metric, args in cases:  # the first update creates and places the states
        metric.update_state(*args, sample_weight=torch.ones(16, device='meta'))

    def forbidden(*args, **kwargs):
        raise AssertionError('host read of a tensor value inside update_state/result')

    for attr in ('item', '__bool__', '__float__', '__int__', 'tolist'):
        monkeypatch.setattr(torch.Tensor, attr, forbidden)
    for metric, args in cases:
        metric.update_state(*args, sample_weight=torch.ones(16, device='meta'))
        assert metric.result().device.type == 'meta'


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_new_metrics_make_no_host_sync_on_cuda():
    cuda = torch.device('cuda')
    cases = new_metric_cases(cuda)
    weights = torch.ones(16, device=cuda)
    for metric, args in cases:  # first update and result copy constants over (may sync)
        metric.update_state(*args, sample_weight=weights)
        metric.result()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        for metric, args in cases:
            metric.update_state(*args, sample_weight=weights)
            metric.result()
    finally:
        torch.cuda.set_sync_debug_mode('default')
    assert all(state.device.type == 'cuda' for m, _ in cases for state in m.variables)
