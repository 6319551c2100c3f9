"""Tests for torchkeras.losses.

Expected values come from numpy formulas written here, from the examples in the tf.keras
2 docstrings (tf_keras/losses.py), or from KERAS_FACTS section 5.
"""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchkeras import backend, losses, objectives

EPS = 1e-7
RNG = np.random.default_rng(0)


def t(x, dtype=torch.float32):
    return torch.as_tensor(np.asarray(x), dtype=dtype)


def softmax_np(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------- numpy references

def np_mse(y, p):
    return np.mean((y - p) ** 2, axis=-1)


def np_mae(y, p):
    return np.mean(np.abs(y - p), axis=-1)


def np_mape(y, p):
    return 100.0 * np.mean(np.abs((y - p) / np.maximum(np.abs(y), EPS)), axis=-1)


def np_msle(y, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, -1)


def np_hinge(y, p):
    y = 2 * y - 1 if np.all((y == 0) | (y == 1)) else y
    return np.mean(np.maximum(1 - y * p, 0), axis=-1)


def np_squared_hinge(y, p):
    y = 2 * y - 1 if np.all((y == 0) | (y == 1)) else y
    return np.mean(np.maximum(1 - y * p, 0) ** 2, axis=-1)


def np_categorical_hinge(y, p):
    pos = np.sum(y * p, axis=-1)
    neg = np.max((1 - y) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_log_cosh(y, p):
    return np.mean(np.log(np.cosh(p - y)), axis=-1)


def np_huber(y, p, delta=1.0):
    err = np.abs(p - y)
    return np.mean(np.where(err <= delta, 0.5 * err ** 2, delta * err - 0.5 * delta ** 2), -1)


def np_kld(y, p):
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(y * np.log(y / p), axis=-1)


def np_poisson(y, p):
    return np.mean(p - y * np.log(p + EPS), axis=-1)


def np_cosine(y, p):
    yn = y / np.sqrt(np.maximum(np.sum(y ** 2, -1, keepdims=True), 1e-12))
    pn = p / np.sqrt(np.maximum(np.sum(p ** 2, -1, keepdims=True), 1e-12))
    return -np.sum(yn * pn, axis=-1)


def np_bce(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS)), axis=-1)


def np_cce(y, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -np.sum(y * np.log(p), axis=-1)


def np_sparse_cce(labels, p):
    logp = np.log(np.clip(p, EPS, 1 - EPS))
    logp = logp - np.log(np.sum(np.exp(logp), -1, keepdims=True))
    return -np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]


def np_binary_focal(y, p, gamma=2.0):
    p_t = y * p + (1 - y) * (1 - p)
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(y * np.log(pc + EPS) + (1 - y) * np.log(1 - pc + EPS))
    return np.mean((1 - p_t) ** gamma * bce, axis=-1)


def np_categorical_focal(y, p, alpha=0.25, gamma=2.0):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return np.sum(alpha * (1 - p) ** gamma * -y * np.log(p), axis=-1)


def regression_data(shape):
    return RNG.normal(size=shape), RNG.normal(size=shape)


def positive_data(shape):
    return RNG.uniform(0.05, 3.0, size=shape), RNG.uniform(0.05, 3.0, size=shape)


def binary_data(shape):
    return RNG.integers(0, 2, size=shape).astype(float), RNG.uniform(0.01, 0.99, size=shape)


def onehot_data(shape):
    labels = RNG.integers(0, shape[-1], size=shape[:-1])
    return np.eye(shape[-1])[labels], softmax_np(RNG.normal(size=shape))


def distribution_data(shape):
    return softmax_np(RNG.normal(size=shape)), softmax_np(RNG.normal(size=shape))


FUNCTION_CASES = [
    (losses.mean_squared_error, np_mse, regression_data),
    (losses.mean_absolute_error, np_mae, regression_data),
    (losses.mean_absolute_percentage_error, np_mape, regression_data),
    (losses.mean_squared_logarithmic_error, np_msle, positive_data),
    (losses.hinge, np_hinge, binary_data),
    (losses.hinge, np_hinge, regression_data),  # labels not in {0, 1}: no conversion
    (losses.squared_hinge, np_squared_hinge, binary_data),
    (losses.categorical_hinge, np_categorical_hinge, onehot_data),
    (losses.log_cosh, np_log_cosh, regression_data),
    (losses.huber, np_huber, regression_data),
    (losses.kl_divergence, np_kld, distribution_data),
    (losses.poisson, np_poisson, positive_data),
    (losses.cosine_similarity, np_cosine, regression_data),
    (losses.binary_crossentropy, np_bce, binary_data),
    (losses.categorical_crossentropy, np_cce, onehot_data),
    (losses.binary_focal_crossentropy, np_binary_focal, binary_data),
    (losses.categorical_focal_crossentropy, np_categorical_focal, onehot_data),
]


@pytest.mark.parametrize('fn,reference,make_data', FUNCTION_CASES,
                         ids=[c[0].__name__ + '-' + c[2].__name__ for c in FUNCTION_CASES])
@pytest.mark.parametrize('shape', [(6, 4), (3, 5, 4)])
def test_function_matches_numpy_formula(fn, reference, make_data, shape):
    y, p = make_data(shape)
    result = fn(t(y, torch.float64), t(p, torch.float64))
    assert tuple(result.shape) == shape[:-1]
    np.testing.assert_allclose(result.numpy(), reference(y, p), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize('label_shape', [(6,), (6, 1)])
def test_sparse_crossentropy_matches_numpy(label_shape):
    labels = RNG.integers(0, 4, size=6)
    p = softmax_np(RNG.normal(size=(6, 4)))
    result = losses.sparse_categorical_crossentropy(t(labels.reshape(label_shape)),
                                                    t(p, torch.float64))
    assert tuple(result.shape) == (6,)
    np.testing.assert_allclose(result.numpy(), np_sparse_cce(labels, p), rtol=1e-7)


def test_sparse_crossentropy_time_steps_and_channels_first_axis():
    labels = RNG.integers(0, 3, size=(2, 5))
    p = softmax_np(RNG.normal(size=(2, 5, 3)))
    result = losses.sparse_categorical_crossentropy(t(labels), t(p, torch.float64))
    np.testing.assert_allclose(result.numpy(), np_sparse_cce(labels, p), rtol=1e-7)
    p_first = np.moveaxis(p, -1, 1)  # (N, C, T)
    result = losses.sparse_categorical_crossentropy(t(labels), t(p_first, torch.float64), axis=1)
    np.testing.assert_allclose(result.numpy(), np_sparse_cce(labels, p), rtol=1e-7)


def test_categorical_crossentropy_renormalises_then_clips():
    # Unnormalised "probabilities" with a zero: renormalise, then clip at 1e-7.
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    p = np.array([[2.0, 2.0, 0.0], [0.5, 0.3, 0.2]])
    result = losses.categorical_crossentropy(t(y, torch.float64), t(p, torch.float64))
    np.testing.assert_allclose(result.numpy(), [-np.log(EPS), -np.log(0.5)], rtol=1e-9)


def test_binary_crossentropy_adds_epsilon_twice():
    # p = 1 and y = 0: clip to 1 - eps, then log(1 - (1 - eps) + eps) = log(2 eps).
    result = losses.binary_crossentropy(t([[0.0]], torch.float64), t([[1.0]], torch.float64))
    np.testing.assert_allclose(result.numpy(), [-np.log(2 * EPS)], rtol=1e-6)


def test_from_logits_matches_log_softmax_and_log_sigmoid():
    logits = RNG.normal(size=(5, 3)) * 4
    y, _ = onehot_data((5, 3))
    expected = -np.sum(y * (logits - np.log(np.exp(logits).sum(-1, keepdims=True))), -1)
    result = losses.categorical_crossentropy(t(y), t(logits, torch.float64), from_logits=True)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-9)
    labels = y.argmax(-1)
    result = losses.sparse_categorical_crossentropy(t(labels), t(logits, torch.float64),
                                                    from_logits=True)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-9)
    yb, _ = binary_data((5, 3))
    expected = np.mean(np.maximum(logits, 0) - logits * yb + np.log1p(np.exp(-np.abs(logits))),
                       -1)
    result = losses.binary_crossentropy(t(yb), t(logits, torch.float64), from_logits=True)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-9)


def test_label_smoothing():
    y, p = onehot_data((4, 5))
    smoothed = y * 0.8 + 0.2 / 5
    result = losses.categorical_crossentropy(t(y), t(p, torch.float64), label_smoothing=0.2)
    np.testing.assert_allclose(result.numpy(), np_cce(smoothed, p), rtol=1e-7)
    yb, pb = binary_data((4, 5))
    result = losses.binary_crossentropy(t(yb), t(pb, torch.float64), label_smoothing=0.2)
    np.testing.assert_allclose(result.numpy(), np_bce(yb * 0.8 + 0.1, pb), rtol=1e-7)


def test_axis_must_be_an_int():
    with pytest.raises(ValueError, match='axis'):
        losses.categorical_crossentropy(t([[0, 1.0]]), t([[0.5, 0.5]]), axis=True)


def test_labels_of_rank_one_against_predictions_of_shape_n_by_1():
    # (N,) labels must not broadcast against (N, 1) predictions into (N, N).
    y, p = np.array([1.0, 2.0, 3.0]), np.array([[1.5], [2.0], [5.0]])
    result = losses.mean_squared_error(t(y), t(p))
    np.testing.assert_allclose(result.numpy(), [0.25, 0.0, 4.0])
    assert float(losses.MeanSquaredError()(t(y), t(p))) == pytest.approx(4.25 / 3)


# ------------------------------------------------------ tf.keras docstring examples

Y2 = [[0.0, 1.0], [0.0, 0.0]]
P_HALF = [[0.6, 0.4], [0.4, 0.6]]
DOC_CASES = [  # (loss, y_true, y_pred, sample_weight, expected) from tf_keras/losses.py
    (losses.MeanSquaredError(), Y2, [[1.0, 1.0], [1.0, 0.0]], None, 0.5),
    (losses.MeanSquaredError(), Y2, [[1.0, 1.0], [1.0, 0.0]], [0.7, 0.3], 0.25),
    (losses.MeanSquaredError(reduction='sum'), Y2, [[1.0, 1.0], [1.0, 0.0]], None, 1.0),
    (losses.MeanAbsoluteError(), Y2, [[1.0, 1.0], [1.0, 0.0]], [0.7, 0.3], 0.25),
    (losses.MeanAbsolutePercentageError(), [[2.0, 1.0], [2.0, 3.0]],
     [[1.0, 1.0], [1.0, 0.0]], [0.7, 0.3], 20.0),
    (losses.MeanSquaredLogarithmicError(), Y2, [[1.0, 1.0], [1.0, 0.0]], None, 0.240),
    (losses.BinaryCrossentropy(from_logits=True), Y2, [[-18.6, 0.51], [2.94, -12.8]],
     None, 0.865),
    (losses.BinaryCrossentropy(from_logits=True), Y2, [[-18.6, 0.51], [2.94, -12.8]],
     [0.8, 0.2], 0.243),
    (losses.BinaryFocalCrossentropy(gamma=2, from_logits=True), [0, 1, 0, 0],
     [-18.6, 0.51, 2.94, -12.8], None, 0.691),
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3, from_logits=True),
     Y2, [[-18.6, 0.51], [2.94, -12.8]], [0.8, 0.2], 0.097),
    (losses.CategoricalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], [0.3, 0.7], 0.814),
    (losses.CategoricalFocalCrossentropy(), [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], None, 0.23315276),
    (losses.SparseCategoricalCrossentropy(), [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     None, 1.177),
    (losses.CosineSimilarity(axis=1), [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]],
     [0.8, 0.2], -0.0999),
    (losses.Hinge(), Y2, P_HALF, [1, 0], 0.55),
    (losses.SquaredHinge(), Y2, P_HALF, None, 1.86),
    (losses.CategoricalHinge(), Y2, P_HALF, [1, 0], 0.6),
    (losses.Poisson(), Y2, [[1.0, 1.0], [0.0, 0.0]], [0.8, 0.2], 0.4),
    (losses.LogCosh(), Y2, [[1.0, 1.0], [0.0, 0.0]], [0.8, 0.2], 0.087),
    (losses.KLDivergence(), Y2, P_HALF, [0.8, 0.2], 0.366),
    (losses.Huber(), Y2, P_HALF, [1, 0], 0.09),
]


@pytest.mark.parametrize('loss,y_true,y_pred,sample_weight,expected', DOC_CASES,
                         ids=[type(c[0]).__name__ for c in DOC_CASES])
def test_keras_docstring_values(loss, y_true, y_pred, sample_weight, expected):
    weight = None if sample_weight is None else t(sample_weight)
    result = loss(t(y_true), t(y_pred), sample_weight=weight)
    assert result.dim() == 0
    assert float(result) == pytest.approx(expected, abs=1.5e-3)


# ------------------------------------------------------------------- reductions

def per_sample_mse_1_4_9_16():
    return t([[1.0], [2.0], [3.0], [4.0]]), torch.zeros(4, 1)


def test_sum_over_batch_size_divides_by_element_count_not_weight_sum():
    # KERAS_FACTS 5.3: per-sample mse [1, 4, 9, 16], weights [1, 0, 0, 0] -> 0.25.
    y, p = per_sample_mse_1_4_9_16()
    weights = t([1.0, 0.0, 0.0, 0.0])
    assert float(losses.MeanSquaredError()(y, p, sample_weight=weights)) == pytest.approx(0.25)
    assert float(losses.MeanSquaredError(reduction='auto')(y, p, weights)) == pytest.approx(0.25)
    assert float(losses.MeanSquaredError(reduction='sum')(y, p, weights)) == pytest.approx(1.0)
    none = losses.MeanSquaredError(reduction='none')(y, p, weights)
    np.testing.assert_allclose(none.numpy(), [1.0, 0.0, 0.0, 0.0])
    assert float(losses.MeanSquaredError()(y, p)) == pytest.approx(7.5)


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match='mean'):
        losses.MeanSquaredError(reduction='mean')
    with pytest.raises(ValueError, match='reduction'):
        losses.compute_weighted_loss(t([1.0]), reduction='avg')


def test_compute_weighted_loss_with_time_step_mask():
    values = RNG.uniform(size=(3, 4))
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=bool)
    weights = np.array([1.0, 2.0, 0.5])
    result = losses.compute_weighted_loss(t(values), mask=torch.as_tensor(mask))
    assert float(result) == pytest.approx(values[mask].sum() / mask.sum(), rel=1e-6)
    result = losses.compute_weighted_loss(t(values), t(weights), mask=torch.as_tensor(mask))
    expected = (values * weights[:, None] * mask).sum() / mask.sum()
    assert float(result) == pytest.approx(expected, rel=1e-6)
    result = losses.compute_weighted_loss(t(values), t(weights), mask=torch.as_tensor(mask),
                                          reduction='sum')
    assert float(result) == pytest.approx((values * weights[:, None] * mask).sum(), rel=1e-6)


def test_compute_weighted_loss_all_masked_is_zero_not_nan():
    result = losses.compute_weighted_loss(t([[1.0, 2.0]]), mask=torch.zeros(1, 2, dtype=bool))
    assert float(result) == 0.0


def test_loss_honours_mask_carried_by_predictions():
    y = t(RNG.normal(size=(2, 3, 1)))
    p = t(RNG.normal(size=(2, 3, 1)))
    p._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    per_step = ((p - y) ** 2)[..., 0].numpy()
    expected = per_step[p._keras_mask.numpy()].mean()
    assert float(losses.MeanSquaredError()(y, p)) == pytest.approx(expected, rel=1e-6)


def test_sparse_ignore_class_averages_over_valid_positions():
    labels = np.array([[0, 2, -1], [1, -1, -1]])
    p = softmax_np(RNG.normal(size=(2, 3, 3)))
    valid = labels != -1
    per_step = np_sparse_cce(np.where(valid, labels, 0), p)
    expected = per_step[valid].mean()
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    assert float(loss(t(labels), t(p, torch.float64))) == pytest.approx(expected, rel=1e-7)
    wrapped = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, ignore_class=-1)
    assert float(wrapped(t(labels), t(p, torch.float64))) == pytest.approx(expected, rel=1e-7)
    raw = losses.sparse_categorical_crossentropy(t(labels), t(p, torch.float64), ignore_class=-1)
    np.testing.assert_allclose(raw.numpy(), np.where(valid, per_step, 0.0), rtol=1e-7)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2 ** 31 - 1))
def test_weighted_reduction_property(batch, steps, seed):
    rng = np.random.default_rng(seed)
    values, weights = rng.uniform(size=(batch, steps)), rng.uniform(size=(batch,))
    result = losses.compute_weighted_loss(t(values, torch.float64), t(weights, torch.float64))
    assert float(result) == pytest.approx((values * weights[:, None]).sum() / values.size)


# -------------------------------------------------------------- logit recovery

def softmax_output(logits):
    logits = t(logits).requires_grad_(True)
    return logits, losses.attach_logits(torch.softmax(logits, -1), logits, 'softmax')


def test_softmax_logit_recovery_gives_exact_crossentropy():
    # KERAS_FACTS 5.1: Dense(2) logits [100, 0], target class 1 -> 100.0 in tf.keras.
    logits, probs = softmax_output([[100.0, 0.0]])
    cce = losses.CategoricalCrossentropy()(t([[0.0, 1.0]]), probs)
    assert float(cce.detach()) == pytest.approx(100.0, rel=1e-6)
    sparse = losses.SparseCategoricalCrossentropy()(t([1]), probs)
    assert float(sparse.detach()) == pytest.approx(100.0)
    function_form = losses.get('categorical_crossentropy')(t([[0.0, 1.0]]), probs)
    assert float(function_form.detach()) == pytest.approx(100.0)
    cce.backward()  # gradients flow through the logits: softmax - one_hot
    np.testing.assert_allclose(logits.grad.numpy(), [[1.0, -1.0]], atol=1e-6)


def test_without_attached_logits_probabilities_are_clipped():
    probs = torch.softmax(t([[100.0, 0.0]]), -1)
    expected = -np.log(np.float32(EPS))  # 16.118 (Keras 3 torch backend value)
    assert float(losses.categorical_crossentropy(t([[0.0, 1.0]]), probs)) == \
        pytest.approx(expected, rel=1e-5)


def test_sigmoid_logit_recovery_for_binary_crossentropy():
    logits = t([[-100.0]])
    probs = losses.attach_logits(torch.sigmoid(logits), logits, 'sigmoid')
    assert float(losses.binary_crossentropy(t([[1.0]]), probs)) == pytest.approx(100.0)
    focal = losses.binary_focal_crossentropy(t([[1.0]]), probs, gamma=0.0)
    assert float(focal) == pytest.approx(100.0)
    plain = losses.binary_crossentropy(t([[1.0]]), torch.sigmoid(logits))
    assert float(plain) == pytest.approx(-np.log(2 * EPS), rel=1e-3)  # clipped: ~15.4


def test_logits_of_the_other_kind_are_used_as_tf_keras_does():
    # tf_keras 2.21 ``backend._get_logits`` takes ``_keras_logits`` whichever activation
    # stored them: BCE on softmax([100, 0]) is BCE-with-logits on [100, 0] (50.3466 in
    # tf_keras, eagerly and in a compiled model), not the clipped-probability value 15.38.
    _, probs = softmax_output([[100.0, 0.0]])
    result = losses.binary_crossentropy(t([[0.0, 1.0]]), probs)
    z, y = np.array([100.0, 0.0]), np.array([0.0, 1.0])
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    np.testing.assert_allclose(result.detach().numpy(), [expected], rtol=1e-6)
    # and categorical CE on a sigmoid output is softmax CE on the sigmoid's logits
    logits = t([[3.0, -1.0]])
    sig = losses.attach_logits(torch.sigmoid(logits), logits, 'sigmoid')
    expected = np.log(np.exp(3.0) + np.exp(-1.0)) + 1.0  # 4.01815 in tf_keras
    assert float(losses.categorical_crossentropy(t([[0.0, 1.0]]), sig)) == \
        pytest.approx(expected, rel=1e-6)


def test_from_logits_true_on_activation_output_warns_and_uses_logits():
    _, probs = softmax_output([[100.0, 0.0]])
    with pytest.warns(UserWarning, match='from_logits=True'):
        result = losses.categorical_crossentropy(t([[0.0, 1.0]]), probs, from_logits=True)
    assert float(result.detach()) == pytest.approx(100.0)


def test_attach_logits_validates_kind():
    with pytest.raises(ValueError, match='kind'):
        losses.attach_logits(torch.ones(1), torch.ones(1), 'relu')


def test_sparse_ce_mask_of_ignore_class_survives_compile():
    def loss(target, output):
        return losses.sparse_categorical_crossentropy(target, output, ignore_class=-1)

    target, output = torch.tensor([0, -1]), torch.tensor([[0.9, 0.1], [0.2, 0.8]])
    compiled = torch.compile(loss, backend='eager', fullgraph=True)(target, output)
    assert torch.equal(compiled._keras_mask, torch.tensor([True, False]))


def test_attach_logits_follows_backend_epsilon():
    previous = backend.epsilon()
    try:
        backend.set_epsilon(1e-3)
        probs = torch.softmax(t([[100.0, 0.0]]), -1)
        assert float(losses.categorical_crossentropy(t([[0.0, 1.0]]), probs)) == \
            pytest.approx(-np.log(1e-3), rel=1e-4)
    finally:
        backend.set_epsilon(previous)


# ------------------------------------------------------------ lookup and config

ALL_NAMES = [
    'mean_squared_error', 'mse', 'MSE', 'mean_absolute_error', 'mae', 'MAE',
    'mean_absolute_percentage_error', 'mape', 'MAPE', 'mean_squared_logarithmic_error',
    'msle', 'MSLE', 'squared_hinge', 'hinge', 'categorical_hinge', 'logcosh', 'log_cosh',
    'huber', 'huber_loss', 'kl_divergence', 'kld', 'KLD', 'kullback_leibler_divergence',
    'poisson', 'cosine_similarity', 'cosine_proximity', 'cosine', 'binary_crossentropy',
    'categorical_crossentropy', 'sparse_categorical_crossentropy',
    'binary_focal_crossentropy', 'categorical_focal_crossentropy',
]
LOSS_CLASSES = [
    losses.MeanSquaredError, losses.MeanAbsoluteError, losses.MeanAbsolutePercentageError,
    losses.MeanSquaredLogarithmicError, losses.BinaryCrossentropy,
    losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy,
    losses.BinaryFocalCrossentropy, losses.CategoricalFocalCrossentropy, losses.Hinge,
    losses.SquaredHinge, losses.CategoricalHinge, losses.Huber, losses.LogCosh,
    losses.KLDivergence, losses.Poisson, losses.CosineSimilarity,
]


@pytest.mark.parametrize('name', ALL_NAMES)
def test_get_resolves_every_name_to_a_function(name):
    fn = losses.get(name)
    assert callable(fn) and not isinstance(fn, losses.Loss)
    assert getattr(objectives, name) is getattr(losses, name)


def test_aliases_are_the_same_functions():
    assert losses.get('mse') is losses.mean_squared_error
    assert losses.get('kld') is losses.kl_divergence
    assert losses.get('logcosh') is losses.log_cosh
    # K2.2.4 'cosine' / 'cosine_proximity' = -sum(l2n * l2n), i.e. cosine_similarity.
    assert losses.get('cosine') is losses.cosine_similarity
    assert losses.get('cosine_proximity') is losses.cosine_similarity


@pytest.mark.parametrize('cls', LOSS_CLASSES, ids=lambda c: c.__name__)
def test_class_name_config_round_trip(cls):
    loss = losses.get(cls.__name__)
    assert type(loss) is cls
    config = losses.serialize(loss)
    assert config['class_name'] == cls.__name__
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is cls and rebuilt.get_config() == loss.get_config()


def test_class_defaults_and_names_as_tf_keras():
    assert losses.Huber().name == 'huber_loss'
    assert losses.LogCosh().name == 'log_cosh'
    assert losses.KLDivergence().name == 'kl_divergence'
    config = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1).get_config()
    assert config == {'reduction': 'sum_over_batch_size', 'name': 'binary_crossentropy',
                      'from_logits': True, 'label_smoothing': 0.1, 'axis': -1}
    loss = losses.get({'class_name': 'CategoricalCrossentropy',
                       'config': {'from_logits': True, 'reduction': 'auto',
                                  'name': 'categorical_crossentropy'}})
    assert loss.from_logits and loss.reduction == 'auto'


def test_deserialize_keras3_function_format_and_custom_objects():
    assert losses.deserialize({'module': 'keras.losses', 'class_name': 'function',
                               'config': 'mse', 'registered_name': 'function'}) is losses.mse

    def my_loss(y_true, y_pred):
        return torch.mean(y_pred - y_true, dim=-1)

    assert losses.deserialize('my_loss', custom_objects={'my_loss': my_loss}) is my_loss
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=2.0)
    rebuilt = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert rebuilt.fn is losses.huber and rebuilt.get_config()['delta'] == 2.0


def test_get_passes_through_functions_and_loss_instances():
    def custom(y_true, y_pred):
        return torch.sum(y_pred, dim=-1)

    instance = losses.Huber(delta=0.5)
    assert losses.get(custom) is custom
    assert losses.get(instance) is instance
    assert losses.get(None) is None


def test_get_wraps_torch_loss_modules():
    y, p = regression_data((5, 3))
    wrapped = losses.get(torch.nn.MSELoss())
    assert isinstance(wrapped, losses.Loss) and wrapped.name == 'mse_loss'
    assert float(wrapped(t(y), t(p))) == pytest.approx(np.mean((y - p) ** 2), rel=1e-6)
    labels = RNG.integers(0, 3, size=(5, 1))
    logits = RNG.normal(size=(5, 3))
    ce = losses.get(torch.nn.CrossEntropyLoss())
    expected = np.mean(np_sparse_cce(labels[:, 0], softmax_np(logits)))
    assert float(ce(t(labels, torch.float32), t(logits))) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('identifier', ['mean_sqared_error', 'auc', 'Mse', 3])
def test_unknown_identifiers_raise_value_error_naming_them(identifier):
    with pytest.raises(ValueError, match=repr(identifier).replace('[', r'\[')):
        losses.get(identifier)


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match="Did you mean 'mean_squared_error'"):
        losses.get('mean_sqared_error')


def test_functions_accept_numpy_inputs_and_keep_dtype():
    result = losses.mse(np.ones((2, 3)), np.zeros((2, 3), dtype=np.float32))
    assert result.dtype == torch.float32 and result.tolist() == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        losses.categorical_crossentropy(t([[0.0, 1.0]]), t([[0.3, 0.7]]))
    with pytest.warns(SyntaxWarning, match='binary_crossentropy'):
        losses.categorical_crossentropy(t([[1.0]]), t([[0.7]]))
