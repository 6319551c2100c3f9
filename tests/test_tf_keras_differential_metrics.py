"""Metric differential tests: the metrics added for tf.keras 2.21 parity against real tf_keras.

Each case builds the same metric in both libraries, feeds both the same random batches
(several ``update_state`` calls, with and without sample weights) and compares the running
``result()`` after every batch, the result after ``reset_state``, the default name and
``get_config()``.  Further tests compare string resolution, config round trips and one
``fit()`` / ``evaluate()`` with the metrics in ``compile`` (History against tf_keras's).

tf_keras is the specification, so it supplies the expected values; TensorFlow is not
installed in CI, where the whole module is skipped.
"""
import os

import numpy as np
import pytest

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
tf_keras = pytest.importorskip('tf_keras')

import torch  # noqa: E402

import torchkeras  # noqa: E402
from torchkeras import metrics  # noqa: E402
from test_tf_keras_differential_training import (  # noqa: E402
    BINARY, LABELS, ONE_HOT, REGRESSION, WEIGHTS, X, dense_model, run_both)

RTOL, ATOL = 1e-5, 1e-6
NEW_CLASSES = ['F1Score', 'FBetaScore', 'R2Score', 'IoU', 'BinaryIoU', 'MeanIoU', 'OneHotIoU',
               'OneHotMeanIoU', 'PrecisionAtRecall', 'RecallAtPrecision',
               'SensitivityAtSpecificity', 'SpecificityAtSensitivity', 'MeanRelativeError',
               'MeanTensor']


@pytest.fixture(autouse=True)
def fresh_sessions():
    tf_keras.backend.clear_session()
    torchkeras.backend.clear_session()
    yield


# ------------------------------------------------------------------------ data

def _rng(seed):
    return np.random.RandomState(seed)


def multi_hot(seed, rows=12, classes=4):
    """Multi-label targets and scores; some score ties and all-zero rows (threshold=None)."""
    rng = _rng(seed)
    y_true = (rng.rand(rows, classes) > 0.5).astype('int32')
    y_pred = np.round(rng.rand(rows, classes), 1).astype('float32')
    y_pred[rng.rand(rows) < 0.2] = 0.0
    return y_true, y_pred


def one_hot_scores(seed, rows=12, classes=4):
    rng = _rng(seed)
    y_true = np.eye(classes, dtype='float32')[rng.randint(0, classes, rows)]
    return y_true, rng.rand(rows, classes).astype('float32')


def regression(seed, rows=12, columns=3):
    rng = _rng(seed)
    y_true = rng.randn(rows, columns).astype('float32')
    return y_true, (y_true + 0.7 * rng.randn(rows, columns)).astype('float32')


def binary_scores(seed, rows=40, columns=1):
    """Overlapping classes, with a few scores exactly 0 and 1 (the end thresholds)."""
    rng = _rng(seed)
    y_true = (rng.rand(rows, columns) > 0.4).astype('float32')
    y_pred = np.clip(0.3 * y_true + 0.7 * rng.rand(rows, columns), 0, 1).astype('float32')
    y_pred[:2], y_pred[-2:] = 0.0, 1.0
    return y_true, y_pred


def soft_labels(seed, rows=40):
    y_true, y_pred = binary_scores(seed, rows)
    return np.round(0.8 * y_true + 0.2 * _rng(seed + 50).rand(rows, 1), 2), y_pred


def class_ids(seed, shape=(12,), classes=4):
    rng = _rng(seed)
    return rng.randint(0, classes, shape), rng.randint(0, classes, shape)


def segmentation(seed, rows=3, classes=4):
    """(N, H, W) true ids and (N, H, W, C) scores."""
    rng = _rng(seed)
    return rng.randint(0, classes, (rows, 5, 6)), rng.rand(rows, 5, 6, classes).astype('float32')


def one_hot_ids(seed, rows=12, classes=4):
    rng = _rng(seed)
    return np.eye(classes)[rng.randint(0, classes, rows)], rng.randint(0, classes, rows)


def sample_weights(seed, y_true, y_pred, shape=None):
    """One weight per row, some 0; one per pixel for (N, H, W) ids (tf_keras's IoU needs as
    many weights as class ids)."""
    if shape is None:
        shape = np.shape(y_true) if np.ndim(y_true) == 3 else np.shape(y_pred)[:1]
    weights = _rng(seed + 100).rand(*shape).astype('float32')
    weights[::5] = 0.0
    return weights


# ------------------------------------------------------------------------ cases
# (id, metric constructor for library K, data(seed) -> (y_true, y_pred[, weights' shape]))
# (No float64 F-score: tf_keras's FBetaScore.result() multiplies a float32 beta^2 into
# float64 states and fails.)

CASES = [
    ('f1-none-threshold', lambda K: K.metrics.F1Score(threshold=0.5), multi_hot),
    ('f1-argmax', lambda K: K.metrics.F1Score(), multi_hot),
    ('f1-micro', lambda K: K.metrics.F1Score(average='micro', threshold=0.3), multi_hot),
    ('f1-macro', lambda K: K.metrics.F1Score(average='macro'), one_hot_scores),
    ('f1-weighted', lambda K: K.metrics.F1Score(average='weighted', threshold=0.4), multi_hot),
    ('fbeta-2', lambda K: K.metrics.FBetaScore(beta=2.0, threshold=0.5), multi_hot),
    ('fbeta-half-weighted', lambda K: K.metrics.FBetaScore(average='weighted', beta=0.5),
     one_hot_scores),
    ('fbeta-micro', lambda K: K.metrics.FBetaScore(average='micro', beta=3.0), multi_hot),
    ('fbeta-macro', lambda K: K.metrics.FBetaScore(average='macro', beta=0.7, threshold=0.8),
     multi_hot),
    ('r2-uniform', lambda K: K.metrics.R2Score(), regression),
    ('r2-none', lambda K: K.metrics.R2Score(class_aggregation=None), regression),
    ('r2-variance', lambda K: K.metrics.R2Score(class_aggregation='variance_weighted_average'),
     regression),
    ('r2-adjusted', lambda K: K.metrics.R2Score(num_regressors=4), regression),
    ('r2-adjusted-one-column', lambda K: K.metrics.R2Score(num_regressors=2),
     lambda seed: regression(seed, columns=1)),
    ('iou-sparse', lambda K: K.metrics.IoU(4, [0, 2]), class_ids),
    ('iou-ignore', lambda K: K.metrics.IoU(4, [1, 3, 0], ignore_class=2), class_ids),
    ('iou-dense-pred', lambda K: K.metrics.IoU(4, [1], sparse_y_pred=False), segmentation),
    ('iou-dense-both', lambda K: K.metrics.IoU(4, [0, 3], sparse_y_true=False,
                                               sparse_y_pred=False), one_hot_scores),
    ('iou-axis', lambda K: K.metrics.IoU(4, [2, 1], sparse_y_true=False, sparse_y_pred=False,
                                         axis=0),
     lambda seed: tuple(a.T.copy() for a in one_hot_scores(seed)) + ((12,),)),
    ('binary-iou', lambda K: K.metrics.BinaryIoU(), binary_scores),
    ('binary-iou-one-class', lambda K: K.metrics.BinaryIoU([1], threshold=0.3),
     binary_scores),
    ('mean-iou', lambda K: K.metrics.MeanIoU(num_classes=4), class_ids),
    ('mean-iou-segmentation', lambda K: K.metrics.MeanIoU(4, sparse_y_pred=False),
     segmentation),
    ('mean-iou-ignore', lambda K: K.metrics.MeanIoU(4, ignore_class=0), class_ids),
    ('one-hot-iou', lambda K: K.metrics.OneHotIoU(4, [0, 1]), one_hot_scores),
    ('one-hot-iou-sparse-pred', lambda K: K.metrics.OneHotIoU(4, [2], sparse_y_pred=True),
     one_hot_ids),
    ('one-hot-mean-iou', lambda K: K.metrics.OneHotMeanIoU(4), one_hot_scores),
    ('one-hot-mean-iou-ignore', lambda K: K.metrics.OneHotMeanIoU(4, ignore_class=1),
     one_hot_scores),
    ('precision-at-recall', lambda K: K.metrics.PrecisionAtRecall(0.8), binary_scores),
    ('precision-at-recall-coarse', lambda K: K.metrics.PrecisionAtRecall(0.5, num_thresholds=7),
     binary_scores),
    ('precision-at-recall-one-threshold',
     lambda K: K.metrics.PrecisionAtRecall(0.3, num_thresholds=1), binary_scores),
    ('recall-at-precision', lambda K: K.metrics.RecallAtPrecision(0.7), binary_scores),
    ('recall-at-precision-class-id',
     lambda K: K.metrics.RecallAtPrecision(0.6, num_thresholds=50, class_id=1),
     lambda seed: binary_scores(seed, columns=3)),
    ('recall-at-precision-unreachable', lambda K: K.metrics.RecallAtPrecision(1.0),
     binary_scores),
    ('sensitivity-at-specificity', lambda K: K.metrics.SensitivityAtSpecificity(0.6),
     binary_scores),
    ('sensitivity-at-specificity-2', lambda K: K.metrics.SensitivityAtSpecificity(
        0.05, num_thresholds=2), binary_scores),
    ('specificity-at-sensitivity', lambda K: K.metrics.SpecificityAtSensitivity(0.7),
     binary_scores),
    ('specificity-at-sensitivity-class-id', lambda K: K.metrics.SpecificityAtSensitivity(
        0.4, num_thresholds=13, class_id=2), lambda seed: binary_scores(seed, columns=3)),
    # Existing confusion metrics on the shared bucketed counts: predictions of exactly 0
    # with evenly spaced thresholds from 0, and soft labels.
    ('recall-even-thresholds', lambda K: K.metrics.Recall(thresholds=[0.0, 0.5, 1.0]),
     binary_scores),
    ('true-negatives-even-thresholds',
     lambda K: K.metrics.TrueNegatives(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]), binary_scores),
    ('auc-soft-labels', lambda K: K.metrics.AUC(num_thresholds=50), soft_labels),
    ('pr-auc-soft-labels', lambda K: K.metrics.AUC(curve='PR'), soft_labels),
    ('mean-relative-error', lambda K: K.metrics.MeanRelativeError(normalizer=[1.0, 2.0, 0.0]),
     regression),
    ('mean-relative-error-scalar', lambda K: K.metrics.MeanRelativeError(normalizer=2.5),
     regression),
    ('r2-float64', lambda K: K.metrics.R2Score(dtype='float64'), regression),
    ('mean-iou-float64', lambda K: K.metrics.MeanIoU(4, dtype='float64'), class_ids),
    ('recall-at-precision-float64', lambda K: K.metrics.RecallAtPrecision(
        0.5, dtype='float64'), binary_scores),
    ('mean-relative-error-column', lambda K: K.metrics.MeanRelativeError(
        normalizer=[[1.0], [2.0], [4.0]]), lambda seed: regression(seed, rows=3, columns=1)),
]
CASE_IDS = [case[0] for case in CASES]


def _as_numpy(value):
    return np.asarray(value.numpy() if hasattr(value, 'numpy') else value, 'float64')


def plain(value):
    """A config value as plain Python (tf's ListWrapper and arrays become lists)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if isinstance(value, (list, tuple)) or type(value).__name__ == 'ListWrapper':
        return [plain(item) for item in value]
    return value


def run_batches(metric, batches, call):
    """``result()`` after each update, then after ``reset_state`` and one more update."""
    results = []
    for args in batches:
        call(metric, args)
        results.append(_as_numpy(metric.result()))
    metric.reset_state()
    call(metric, batches[0])
    results.append(_as_numpy(metric.result()))
    return results


def update(metric, args):
    y_true, y_pred, weights = args
    metric.update_state(y_true, y_pred, sample_weight=weights)


def assert_results_equal(expected, actual):
    assert len(expected) == len(actual)
    for step, (want, got) in enumerate(zip(expected, actual)):
        assert want.shape == got.shape, 'step %d: shape %s vs %s' % (step, want.shape, got.shape)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg='step %d' % step)


@pytest.mark.parametrize('weighted', [False, True], ids=['unweighted', 'weighted'])
@pytest.mark.parametrize('case_id,build,data', CASES, ids=CASE_IDS)
def test_metric_matches_tf_keras(case_id, build, data, weighted):
    batches = []
    for seed in range(3):
        y_true, y_pred, *shape = data(seed)  # data may name the weights' shape
        batches.append((y_true, y_pred,
                        sample_weights(seed, y_true, y_pred, *shape) if weighted else None))
    reference, metric = build(tf_keras), build(torchkeras)
    expected = run_batches(reference, batches, update)
    torch_batches = [tuple(None if a is None else torch.as_tensor(a) for a in args)
                     for args in batches]
    assert_results_equal(expected, run_batches(metric, torch_batches, update))
    assert metric.name == reference.name
    assert metric.get_config() == plain(reference.get_config())


@pytest.mark.parametrize('case_id,build,data', CASES, ids=CASE_IDS)
def test_config_from_tf_keras_rebuilds_the_same_metric(case_id, build, data):
    reference = build(tf_keras)
    config = plain(reference.get_config())
    rebuilt = type(build(torchkeras)).from_config(config)
    assert rebuilt.get_config() == config
    serialized = metrics.serialize(rebuilt)
    assert metrics.deserialize(serialized).get_config() == config
    y_true, y_pred = data(7)[:2]
    reference.update_state(y_true, y_pred)
    rebuilt.update_state(torch.as_tensor(y_true), torch.as_tensor(y_pred))
    assert_results_equal([_as_numpy(reference.result())], [_as_numpy(rebuilt.result())])


# ---------------------------------------------------------- weights of other shapes

WEIGHT_SHAPE_CASES = [
    ('f1-2d-weights', lambda K: K.metrics.F1Score(average='macro', threshold=0.5), multi_hot,
     lambda rows: _rng(3).rand(rows).astype('float32')),
    ('r2-per-element-weights', lambda K: K.metrics.R2Score(class_aggregation=None), regression,
     lambda rows: _rng(3).rand(rows, 3).astype('float32')),
    ('r2-scalar-weight', lambda K: K.metrics.R2Score(), regression,
     lambda rows: np.float32(0.5)),
    ('iou-per-pixel-weights', lambda K: K.metrics.MeanIoU(4, sparse_y_pred=False), segmentation,
     lambda rows: _rng(3).rand(rows, 5, 6).astype('float32')),
    ('sensitivity-2d-weights', lambda K: K.metrics.SensitivityAtSpecificity(0.5), binary_scores,
     lambda rows: _rng(3).rand(rows, 1).astype('float32')),
    ('mean-relative-error-2d-weights', lambda K: K.metrics.MeanRelativeError([1.0, 3.0, 2.0]),
     regression, lambda rows: _rng(3).rand(rows, 3).astype('float32')),
]


@pytest.mark.parametrize('case_id,build,data,weights', WEIGHT_SHAPE_CASES,
                         ids=[c[0] for c in WEIGHT_SHAPE_CASES])
def test_other_sample_weight_shapes(case_id, build, data, weights):
    y_true, y_pred = data(5)
    args = (y_true, y_pred, weights(np.shape(y_pred)[0]))
    expected = run_batches(build(tf_keras), [args, args], update)
    actual = run_batches(build(torchkeras), [tuple(torch.as_tensor(a) for a in args)] * 2,
                         update)
    assert_results_equal(expected, actual)


# ---------------------------------------------------------------------- MeanTensor

def test_mean_tensor_matches_tf_keras():
    rng = _rng(4)
    values = [rng.randn(4, 3).astype('float32') for _ in range(3)]
    weights = [None, rng.rand(4).astype('float32'), rng.rand(4, 3).astype('float32')]
    results = []
    for K in (tf_keras, torchkeras):
        metric = K.metrics.MeanTensor()
        out = []
        for value, weight in zip(values, weights):
            metric.update_state(value, sample_weight=weight)
            out.append(_as_numpy(metric.result()))
        shaped = K.metrics.MeanTensor(shape=(4, 3), dtype='float64')
        out.append(_as_numpy(shaped.result()))
        shaped.update_state(values[0])
        out.append(_as_numpy(shaped.result()))
        results.append((out, metric.name, plain(metric.get_config()), shaped.dtype))
    assert_results_equal(results[0][0], results[1][0])
    assert results[0][1:] == results[1][1:]


def test_mean_tensor_shape_change_is_refused_by_both():
    for K in (tf_keras, torchkeras):
        metric = K.metrics.MeanTensor()
        metric.update_state(np.zeros((2, 3), 'float32'))
        with pytest.raises(ValueError, match='same shape|keep the shape'):
            metric.update_state(np.zeros((3, 3), 'float32'))


# -------------------------------------------------------------- names and lookup

def _resolve(K, identifier):
    """('metric', class name, metric name), ('other',) or ('error',) for ``K.metrics.get``."""
    try:
        resolved = K.metrics.get(identifier)
    except (TypeError, ValueError):
        return ('error',)
    if isinstance(resolved, K.metrics.Metric):
        return ('metric', type(resolved).__name__, resolved.name)
    return ('other',)


@pytest.mark.parametrize('identifier', NEW_CLASSES + [
    'f1_score', 'fbeta_score', 'r2_score', 'binary_io_u', 'mean_io_u', 'iou', 'f1'])
def test_string_resolution_matches_tf_keras(identifier):
    expected = _resolve(tf_keras, identifier)
    actual = _resolve(torchkeras, identifier)
    if expected == ('other',):
        # tf_keras hands unknown names back as strings and fails later, in fit().
        assert actual == ('error',)
    else:
        assert actual == expected


def test_default_names_are_tf_keras_names():
    def names(K):
        return [K.metrics.IoU(3, [0]).name, K.metrics.IoU(3, [1]).name,
                K.metrics.BinaryIoU().name, K.metrics.MeanIoU(2).name,
                K.metrics.OneHotIoU(2, [0]).name, K.metrics.OneHotMeanIoU(2).name,
                K.metrics.PrecisionAtRecall(0.5).name, K.metrics.RecallAtPrecision(0.5).name,
                K.metrics.SensitivityAtSpecificity(0.5).name,
                K.metrics.SpecificityAtSensitivity(0.5).name,
                K.metrics.MeanRelativeError(1.0).name, K.metrics.F1Score().name,
                K.metrics.FBetaScore().name, K.metrics.R2Score().name,
                K.metrics.MeanTensor().name]
    assert names(torchkeras) == names(tf_keras)


@pytest.mark.parametrize('make', [
    lambda K: K.metrics.F1Score(average='mean'), lambda K: K.metrics.FBetaScore(beta=-1.0),
    lambda K: K.metrics.FBetaScore(threshold=1.5), lambda K: K.metrics.FBetaScore(threshold=0.0),
    lambda K: K.metrics.R2Score(class_aggregation='mean'),
    lambda K: K.metrics.R2Score(num_regressors=-1), lambda K: K.metrics.IoU(3, [3]),
    lambda K: K.metrics.PrecisionAtRecall(1.5), lambda K: K.metrics.RecallAtPrecision(-0.1),
    lambda K: K.metrics.SensitivityAtSpecificity(0.5, num_thresholds=0),
    lambda K: K.metrics.SpecificityAtSensitivity(2.0),
])
def test_invalid_arguments_are_refused_by_both(make):
    for K in (tf_keras, torchkeras):
        with pytest.raises(ValueError):
            make(K)


def test_rank_3_inputs_are_refused_by_both():
    y = np.zeros((2, 3, 4), 'float32')
    for K in (tf_keras, torchkeras):
        for metric in (K.metrics.F1Score(), K.metrics.R2Score()):
            with pytest.raises(ValueError, match='2D inputs'):
                metric.update_state(y, y)


def test_out_of_range_class_ids_are_refused_by_both():
    for K in (tf_keras, torchkeras):
        with pytest.raises(Exception, match='(?i)class ids|out of bound'):
            K.metrics.MeanIoU(3).update_state(np.array([0, 3]), np.array([0, 1]))


def test_adjusted_r2_falls_back_with_a_warning_like_tf_keras():
    y_true, y_pred = regression(0, rows=2, columns=1)
    values = []
    for K in (tf_keras, torchkeras):
        metric = K.metrics.R2Score(num_regressors=1)  # n - 1 == p: division by zero
        metric.update_state(y_true, y_pred)
        with pytest.warns(UserWarning, match='Division by zero'):
            values.append(_as_numpy(metric.result()))
    assert_results_equal(values[:1], values[1:])


# ------------------------------------------------------------------- fit / evaluate

# tf_keras's fit hands the metrics (N, 1) sample weights, which FBetaScore expands to
# (N, 1, 1) and fails on: F-scores appear unweighted only.
FIT_CASES = [
    (ONE_HOT, 'softmax', 'categorical_crossentropy',
     [lambda K: K.metrics.F1Score(), lambda K: K.metrics.F1Score(average='macro', name='f1m'),
      lambda K: K.metrics.FBetaScore(average='weighted', beta=2.0, threshold=0.4),
      lambda K: K.metrics.OneHotMeanIoU(3), lambda K: K.metrics.OneHotIoU(3, [0, 2]),
      lambda K: K.metrics.R2Score(name='r2')],
     [lambda K: K.metrics.OneHotMeanIoU(3, name='w_iou'), 'R2Score']),
    (LABELS, 'softmax', 'sparse_categorical_crossentropy',
     [lambda K: K.metrics.MeanIoU(3, sparse_y_pred=False),
      lambda K: K.metrics.IoU(3, [1], sparse_y_pred=False, ignore_class=0)],
     [lambda K: K.metrics.MeanIoU(3, sparse_y_pred=False)]),
    (BINARY, 'sigmoid', 'binary_crossentropy',
     ['BinaryIoU', lambda K: K.metrics.PrecisionAtRecall(0.5),
      lambda K: K.metrics.RecallAtPrecision(0.4, num_thresholds=20),
      lambda K: K.metrics.SensitivityAtSpecificity(0.5),
      lambda K: K.metrics.SpecificityAtSensitivity(0.5, num_thresholds=30),
      lambda K: K.metrics.F1Score(threshold=0.5, average='micro')],
     ['BinaryIoU', lambda K: K.metrics.PrecisionAtRecall(0.5)]),
    (REGRESSION, None, 'mse',
     ['R2Score', lambda K: K.metrics.R2Score(class_aggregation=None, name='r2_cols'),
      lambda K: K.metrics.MeanRelativeError(normalizer=[1.0, 2.0, 0.5])],
     [lambda K: K.metrics.R2Score(class_aggregation=None, name='r2_cols'),
      lambda K: K.metrics.MeanRelativeError(normalizer=[1.0, 2.0, 0.5])]),
]


def _metric_list(K, specs):
    return [spec(K) if callable(spec) else spec for spec in specs]


@pytest.mark.parametrize('y,activation,loss,specs,weighted_specs', FIT_CASES,
                         ids=['%s-%s' % (c[2], 'x'.join(map(str, c[0].shape)))
                              for c in FIT_CASES])
def test_fit_and_evaluate_history_match_tf_keras(y, activation, loss, specs, weighted_specs):
    units = 1 if y is BINARY else 3

    def run(K, model):
        model.compile('sgd', loss, metrics=_metric_list(K, specs),
                      weighted_metrics=_metric_list(K, weighted_specs))
        history = model.fit(X, y, batch_size=10, epochs=2, shuffle=False, verbose=0,
                            sample_weight=WEIGHTS, validation_split=0.25)
        return {'history': history.history,
                'evaluate': model.evaluate(X, y, verbose=0, return_dict=True)}
    run_both(dense_model(units, activation), run)


def py_metric_class(K):
    """The same Python-side metric written against K's ``experimental.PyMetric``."""
    class MeanTopScore(K.metrics.experimental.PyMetric):
        def __init__(self, name='mean_top_score', **kwargs):
            super().__init__(name=name, **kwargs)

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total += float(np.sum(np.max(np.asarray(y_pred), axis=-1)))
            self.count += int(np.shape(y_pred)[0])

        def reset_state(self):
            self.total, self.count = 0.0, 0

        def result(self):
            return self.total / max(self.count, 1)
    return MeanTopScore


def test_py_metric_in_fit_matches_tf_keras():
    def run(K, model):
        model.compile('sgd', 'categorical_crossentropy', metrics=[py_metric_class(K)()])
        history = model.fit(X, ONE_HOT, batch_size=10, epochs=2, shuffle=False, verbose=0)
        return {'history': history.history,
                'evaluate': model.evaluate(X, ONE_HOT, verbose=0, return_dict=True)}
    run_both(dense_model(3, 'softmax'), run)
