"""compile / fit / evaluate / predict: Keras semantics with independently computed numbers.

Expectations come from numpy on the same weights (or from KERAS_FACTS, which quotes real
tf.keras), never from the code under test.  Most tests use a zero-initialised Dense model and
``SGD(learning_rate=0)`` so predictions are known in closed form and nothing moves.
"""
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import callbacks, layers, legacy, mixed_precision, optimizers, regularizers
from torchkeras.utils.data_utils import Sequence


# ------------------------------------------------------------------------ helpers

def frozen_linear(units=1, input_dim=3, activation=None, name=None):
    """Dense with zero kernel and bias, compiled later with lr=0: predictions are constant."""
    return torchkeras.Sequential([layers.Dense(units, input_dim=input_dim, activation=activation,
                                               kernel_initializer='zeros',
                                               bias_initializer='zeros', name=name)])


def still():
    return optimizers.SGD(learning_rate=0.0)


class Recorder(callbacks.Callback):
    """Records every hook call as (name, index or None, sorted log keys)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _record(self, name, index=None, logs=None):
        self.calls.append((name, index, sorted(logs or {})))

    def on_train_begin(self, logs=None):
        self._record('on_train_begin', None, logs)

    def on_train_end(self, logs=None):
        self._record('on_train_end', None, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._record('on_epoch_begin', epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record('on_epoch_end', epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._record('on_train_batch_begin', batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._record('on_train_batch_end', batch, logs)
        self.last_batch_logs = dict(logs)

    def on_test_begin(self, logs=None):
        self._record('on_test_begin', None, logs)

    def on_test_end(self, logs=None):
        self._record('on_test_end', None, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._record('on_test_batch_begin', batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._record('on_test_batch_end', batch, logs)


def three_outputs():
    """KERAS_FACTS 5.5's model: outputs age (regression), income (3 classes), gender."""
    inp = torchkeras.Input(shape=(4,), name='features')
    hidden = layers.Dense(8, activation='relu', name='hidden')(inp)
    age = layers.Dense(1, name='age')(hidden)
    income = layers.Dense(3, activation='softmax', name='income')(hidden)
    gender = layers.Dense(1, activation='sigmoid', name='gender')(hidden)
    return torchkeras.Model(inp, [age, income, gender])


def three_output_data(n=20, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 4).astype('float32')
    ys = [rng.rand(n, 1).astype('float32'),
          np.eye(3, dtype='float32')[rng.randint(0, 3, n)],
          rng.randint(0, 2, (n, 1)).astype('float32')]
    return x, ys


# ------------------------------------------------------------------ compile checks

def test_fit_before_compile_is_the_keras_error():
    model = frozen_linear()
    with pytest.raises(RuntimeError) as info:
        model.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0)
    assert str(info.value) == ('You must compile your model before training/testing. Use '
                               '`model.compile(optimizer, loss)`.')
    with pytest.raises(RuntimeError, match='must compile'):
        model.evaluate(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0)


@pytest.mark.parametrize('kwargs, match', [
    (dict(loss='msee'), 'Unknown loss'),
    (dict(loss='mse', metrics=['accuracyy']), 'Unknown metric'),
    (dict(loss={'nope': 'mse'}), r"Unknown entries in loss dictionary: \['nope'\]"),
    (dict(loss=['mse', 'mse']), 'one entry per model output'),
    (dict(loss='mse', metrics={'nope': 'mae'}), 'Unknown entries in metrics'),
    (dict(loss='mse', foo=1), 'Invalid keyword argument'),
])
def test_compile_rejects_bad_arguments_early(kwargs, match):
    model = frozen_linear(name='out')
    with pytest.raises((ValueError, TypeError), match=match):
        model.compile(optimizer='sgd', **kwargs)


def test_compile_accepts_torch_optimizer_loss_module_and_torchmetrics_style_metric():
    class CountCalls:  # the torchmetrics protocol: update / compute / reset
        def __init__(self):
            self.n = 0

        def update(self, preds, target):
            self.n += 1

        def compute(self):
            return torch.tensor(float(self.n))

        def reset(self):
            self.n = 0
    model = frozen_linear()
    metric = CountCalls()
    model.compile(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                  loss=torch.nn.MSELoss(), metrics=[metric])
    history = model.fit(np.ones((6, 3), 'float32'), np.ones((6, 1), 'float32'), batch_size=2,
                        verbose=0)
    assert list(history.history) == ['loss', 'count_calls']
    assert history.history['count_calls'] == [3.0]
    assert history.history['loss'][0] < 1.0  # the torch optimizer moved the weights


# ------------------------------------------------------------------- one SGD step

def test_one_sgd_step_equals_the_hand_computed_update():
    rng = np.random.RandomState(0)
    x = rng.rand(4, 3).astype('float32')
    y = rng.rand(4, 2).astype('float32')
    kernel = rng.randn(3, 2).astype('float32')
    bias = rng.randn(2).astype('float32')
    model = torchkeras.Sequential([layers.Dense(2, input_dim=3)])
    model.set_weights([kernel, bias])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss='mse')
    loss = model.train_on_batch(x, y)
    # numpy: loss = mean over the 8 elements, d loss / d pred = 2 (pred - y) / 8.
    pred = x @ kernel + bias
    expected_loss = np.mean((pred - y) ** 2)
    grad_pred = 2.0 * (pred - y) / pred.size
    new_kernel = kernel - 0.1 * x.T @ grad_pred
    new_bias = bias - 0.1 * grad_pred.sum(axis=0)
    assert loss == pytest.approx(expected_loss, rel=1e-6)  # a float, before the update
    got_kernel, got_bias = model.get_weights()
    np.testing.assert_allclose(got_kernel, new_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_bias, new_bias, rtol=1e-5, atol=1e-6)


def test_cross_entropy_on_a_softmax_output_uses_its_logits():
    # KERAS_FACTS 5.1: logits [100, 0], target class 1 -> tf.keras loss 100 (no clipping).
    model = torchkeras.Sequential([layers.Dense(2, input_dim=1, activation='softmax')])
    model.set_weights([np.array([[100.0, 0.0]], 'float32'), np.zeros(2, 'float32')])
    for loss, y in (('categorical_crossentropy', np.array([[0.0, 1.0]], 'float32')),
                    ('sparse_categorical_crossentropy', np.array([1]))):
        model.compile(optimizer=still(), loss=loss)
        assert model.evaluate(np.ones((1, 1), 'float32'), y, verbose=0) == \
            pytest.approx(100.0, rel=1e-5)


# --------------------------------------------------------------------- History keys

@pytest.mark.parametrize('metric', ['accuracy', 'acc'])
def test_single_output_history_keys(metric):
    model = frozen_linear(2, activation='softmax')
    model.compile(optimizer=still(), loss='categorical_crossentropy', metrics=[metric])
    x = np.random.rand(20, 3).astype('float32')
    y = np.eye(2, dtype='float32')[np.random.randint(0, 2, 20)]
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    assert list(history.history) == ['loss', metric, 'val_loss', 'val_' + metric]
    assert history.epoch == [0, 1]
    assert history.params == {'verbose': 0, 'epochs': 2, 'steps': 2}
    assert model.metrics_names == ['loss', metric]


def test_multi_output_history_keys_follow_tf_keras_order():
    # KERAS_FACTS 5.5, verified against tf_keras 2.21.
    model = three_outputs()
    model.compile(optimizer='rmsprop',
                  loss={'age': 'mse', 'income': 'categorical_crossentropy',
                        'gender': 'binary_crossentropy'},
                  loss_weights={'age': 0.5, 'income': 1, 'gender': 2},
                  metrics={'age': 'mae', 'income': 'accuracy', 'gender': ['accuracy', 'AUC']})
    x, ys = three_output_data()
    history = model.fit(x, ys, epochs=1, batch_size=8, validation_split=0.2, verbose=0)
    expected = ['loss', 'age_loss', 'income_loss', 'gender_loss', 'age_mae', 'income_accuracy',
                'gender_accuracy', 'gender_auc']
    assert list(history.history) == expected + ['val_' + k for k in expected]
    assert model.metrics_names == expected
    assert len(model.evaluate(x, ys, verbose=0)) == len(expected)


def test_outputs_without_a_loss_get_no_loss_key():
    model = three_outputs()
    model.compile(optimizer=still(), loss={'income': 'categorical_crossentropy'})
    x, ys = three_output_data()
    history = model.fit(x, {'income': ys[1]}, verbose=0)
    assert list(history.history) == ['loss', 'income_loss']
    assert history.history['loss'] == pytest.approx(history.history['income_loss'])
    assert history.history['loss'][0] > 0


def test_flat_metric_list_is_broadcast_to_every_output():
    model = three_outputs()
    model.compile(optimizer='sgd', loss=['mse', 'categorical_crossentropy',
                                         'binary_crossentropy'], metrics=['accuracy'])
    x, ys = three_output_data()
    history = model.fit(x, ys, verbose=0)
    assert list(history.history) == ['loss', 'age_loss', 'income_loss', 'gender_loss',
                                     'age_accuracy', 'income_accuracy', 'gender_accuracy']


def test_weighted_metric_with_the_same_name_is_prefixed():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', metrics=['mae'], weighted_metrics=['mae'])
    history = model.fit(np.zeros((4, 3)), np.ones((4, 1)), verbose=0)
    assert list(history.history) == ['loss', 'mae', 'weighted_mae']


def test_each_outputs_weighted_metrics_follow_its_own_metrics():
    # tf_keras compile_utils._create_ordered_metrics: per output, its metrics and then its
    # weighted metrics (checked against tf_keras 2.21 History keys).
    model = three_outputs()
    model.compile(optimizer=still(), loss=['mse', 'categorical_crossentropy',
                                           'binary_crossentropy'],
                  metrics=[['mae'], ['accuracy'], ['accuracy']],
                  weighted_metrics=[[], ['accuracy'], ['accuracy']])
    x, ys = three_output_data()
    history = model.fit(x, ys, sample_weight=np.ones(20), verbose=0)
    assert list(history.history) == [
        'loss', 'age_loss', 'income_loss', 'gender_loss', 'age_mae', 'income_accuracy',
        'income_weighted_accuracy', 'gender_accuracy', 'gender_weighted_accuracy']
    assert model.metrics_names == list(history.history)


def test_class_name_metric_strings_are_named_afresh_in_each_compile():
    # tf_keras builds string metrics inside the train function's graph, whose name
    # counters start empty: 'AUC' is 'auc' however many AUC objects exist already, and a
    # flat list broadcast to two outputs gives 'auc' and 'auc_1'.
    torchkeras.metrics.AUC(), torchkeras.metrics.AUC()
    model = frozen_linear(activation='sigmoid')
    model.compile(optimizer=still(), loss='binary_crossentropy', metrics=['AUC', 'Precision'])
    history = model.fit(np.zeros((4, 3)), np.array([0.0, 1.0, 0.0, 1.0]), verbose=0)
    assert list(history.history) == ['loss', 'auc', 'precision']
    inp = torchkeras.Input(shape=(3,))
    two = torchkeras.Model(inp, [layers.Dense(1, activation='sigmoid', name='p')(inp),
                                 layers.Dense(1, activation='sigmoid', name='q')(inp)])
    two.compile(optimizer=still(), loss='binary_crossentropy', metrics=['AUC'])
    y = np.array([[0.0], [1.0]])
    history = two.fit(np.zeros((2, 3)), [y, y], verbose=0)
    assert list(history.history)[3:] == ['p_auc', 'q_auc_1']
    assert torchkeras.metrics.AUC().name == 'auc_2'  # the session counter went on as before


def test_two_metrics_with_one_name_are_refused():
    # tf_keras compile_utils._set_metric_names raises rather than keep one of them.
    model = frozen_linear(units=3, activation='softmax')
    model.compile(optimizer=still(), loss='categorical_crossentropy',
                  metrics=['top_k_categorical_accuracy',
                           torchkeras.metrics.TopKCategoricalAccuracy(k=2)])
    with pytest.raises(ValueError, match='Found two metrics with the same name: '
                                         'top_k_categorical_accuracy'):
        model.fit(np.zeros((2, 3)), np.eye(3)[[0, 1]], verbose=0)


def test_metrics_see_integer_labels_as_a_column_of_a_2d_output():
    # tf_keras compile_utils.match_dtype_and_rank turns (N,) targets into (N, 1) for a
    # rank-2 output, so 'mse' on sparse labels broadcasts against every class.
    model = frozen_linear(units=3, activation='softmax')  # predicts [1/3, 1/3, 1/3]
    model.compile(optimizer=still(), loss='sparse_categorical_crossentropy',
                  metrics=['mse'], weighted_metrics=['mae'])
    labels = np.array([0, 1, 2, 2])
    weights = np.array([1.0, 0.0, 2.0, 1.0])
    result = model.evaluate(np.zeros((4, 3)), labels, sample_weight=weights, verbose=0,
                            return_dict=True)
    per_sample_mse = np.mean((1 / 3 - labels[:, None]) ** 2, axis=-1)
    per_sample_mae = np.mean(np.abs(1 / 3 - labels[:, None]), axis=-1)
    assert result['mse'] == pytest.approx(per_sample_mse.mean(), rel=1e-5)
    assert result['mae'] == pytest.approx(
        np.sum(per_sample_mae * weights) / weights.sum(), rel=1e-5)


# -------------------------------------------------------------- epoch statistics

def test_epoch_values_are_batch_size_weighted_means_of_batch_values():
    # 50 samples, batch 20 -> batches of 20, 20, 10 (KERAS_FACTS 5.3).
    scale = np.repeat([1.0, 2.0, 5.0], [20, 20, 10])[:, None]
    y = (np.random.RandomState(1).rand(50, 1) * scale).astype('float32')
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    recorder = Recorder()
    batch_logs = []
    cb = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batch_logs.append(logs['loss']))
    history = model.fit(np.zeros((50, 3), 'float32'), y, batch_size=20, shuffle=False,
                        callbacks=[recorder, cb], verbose=0)
    per_sample = (y ** 2).ravel()  # predictions are 0
    batch_means = [per_sample[:20].mean(), per_sample[20:40].mean(), per_sample[40:].mean()]
    assert history.history['loss'][0] == pytest.approx(per_sample.mean(), rel=1e-6)
    assert per_sample.mean() != pytest.approx(np.mean(batch_means), rel=1e-3)
    # Batch logs hold the running mean since the epoch began.
    np.testing.assert_allclose(batch_logs, [per_sample[:20].mean(), per_sample[:40].mean(),
                                            per_sample.mean()], rtol=1e-6)


def test_validation_split_takes_the_last_part_before_shuffling():
    y = np.arange(50, dtype='float32').reshape(50, 1)
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    history = model.fit(np.zeros((50, 3), 'float32'), y, batch_size=7, validation_split=0.2,
                        shuffle=True, verbose=0)
    assert history.history['loss'][0] == pytest.approx(np.mean(y[:40] ** 2), rel=1e-6)
    assert history.history['val_loss'][0] == pytest.approx(np.mean(y[40:] ** 2), rel=1e-6)


def test_validation_data_with_weights_and_validation_freq():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    x, y = np.zeros((4, 3), 'float32'), np.array([[1.0], [2.0], [3.0], [4.0]], 'float32')
    history = model.fit(x, y, epochs=4, validation_data=(x, y, np.array([1.0, 0, 0, 0])),
                        validation_freq=2, verbose=0)
    assert history.history['val_loss'] == pytest.approx([0.25, 0.25])
    assert len(history.history['loss']) == 4


def test_validation_split_errors():
    model = frozen_linear()
    model.compile(optimizer='sgd', loss='mse')
    with pytest.raises(ValueError, match='not sufficient'):
        model.fit(np.zeros((1, 3)), np.zeros((1, 1)), validation_split=0.5, verbose=0)

    def gen():
        while True:
            yield np.zeros((2, 3), 'float32'), np.zeros((2, 1), 'float32')
    with pytest.raises(ValueError, match='only supported for Tensors or NumPy arrays'):
        model.fit(gen(), steps_per_epoch=1, validation_split=0.5, verbose=0)


# ------------------------------------------------------------------ weights

def test_sample_weight_reduction_divides_by_the_number_of_samples():
    # KERAS_FACTS 5.3: per-sample mse [1, 4, 9, 16], weights [1, 0, 0, 0] -> 0.25 (tf.keras).
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', metrics=['mse'], weighted_metrics=['mae'])
    x, y = np.zeros((4, 3), 'float32'), np.array([[1.0], [2.0], [3.0], [4.0]], 'float32')
    weights = np.array([1.0, 0.0, 0.0, 0.0])
    result = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    # Plain metrics ignore the weights (mse 7.5); weighted_metrics see them (mae 1.0).
    assert result == pytest.approx({'loss': 0.25, 'mse': 7.5, 'mae': 1.0})
    history = model.fit(x, y, sample_weight=weights, verbose=0)
    assert history.history['loss'] == pytest.approx([0.25])


def test_class_weight_is_a_per_sample_weight_reduced_over_n():
    model = frozen_linear(activation='sigmoid')  # p = 0.5 for every sample
    model.compile(optimizer=still(), loss='binary_crossentropy')
    y = np.array([0, 0, 1, 1, 1], 'float32').reshape(5, 1)
    history = model.fit(np.zeros((5, 3), 'float32'), y, class_weight={0: 1.0, 1: 3.0},
                        verbose=0)
    expected = np.log(2.0) * np.mean([1.0, 1.0, 3.0, 3.0, 3.0])  # sum(cw * l) / N
    assert history.history['loss'][0] == pytest.approx(expected, rel=1e-6)


def test_regularization_losses_are_part_of_the_loss():
    rng = np.random.RandomState(2)
    kernel = rng.randn(3, 1).astype('float32')
    model = torchkeras.Sequential([layers.Dense(1, input_dim=3, use_bias=False,
                                                kernel_regularizer=regularizers.l2(0.01))])
    model.set_weights([kernel])
    model.compile(optimizer=still(), loss='mse')
    x, y = rng.rand(6, 3).astype('float32'), rng.rand(6, 1).astype('float32')
    expected = np.mean((x @ kernel - y) ** 2) + 0.01 * np.sum(kernel ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.fit(x, y, batch_size=6, verbose=0).history['loss'][0] == \
        pytest.approx(expected, rel=1e-5)


def test_activity_regularization_is_added_in_training():
    rng = np.random.RandomState(3)
    kernel = rng.randn(3, 2).astype('float32')
    model = torchkeras.Sequential([layers.Dense(2, input_dim=3, use_bias=False,
                                                activity_regularizer=regularizers.l2(0.1))])
    model.set_weights([kernel])
    model.compile(optimizer=still(), loss='mse')
    x, y = rng.rand(4, 3).astype('float32'), rng.rand(4, 2).astype('float32')
    out = x @ kernel
    expected = np.mean((out - y) ** 2) + 0.1 * np.sum(out ** 2) / len(x)  # / batch size
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)
    # Not accumulated across steps: the second batch gets the same value.
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


def test_multi_output_total_is_weighted_and_per_output_losses_are_not():
    model = three_outputs()
    model.compile(optimizer=still(), loss=['mse', 'categorical_crossentropy',
                                           'binary_crossentropy'], loss_weights=[0.5, 1.0, 2.0])
    x, ys = three_output_data()
    result = model.evaluate(x, ys, verbose=0, return_dict=True)
    age, income, gender = model.predict(x)
    expected_age = np.mean((age - ys[0]) ** 2)
    expected_income = np.mean(-np.sum(ys[1] * np.log(income), axis=-1))
    g = gender.ravel()
    expected_gender = np.mean(-(ys[2].ravel() * np.log(g) + (1 - ys[2].ravel()) * np.log(1 - g)))
    assert result['age_loss'] == pytest.approx(expected_age, rel=1e-5)
    assert result['income_loss'] == pytest.approx(expected_income, rel=1e-5)
    assert result['gender_loss'] == pytest.approx(expected_gender, rel=1e-5)
    assert result['loss'] == pytest.approx(
        0.5 * expected_age + expected_income + 2 * expected_gender, rel=1e-5)


# ------------------------------------------------------------------- metrics

@pytest.mark.parametrize('labels', [np.array([0, 1, 1, 0]), np.array([[0], [1], [1], [0]])])
def test_accuracy_resolves_to_sparse_for_integer_labels(labels):
    model = torchkeras.Sequential([layers.Dense(2, input_dim=2, activation='softmax')])
    kernel = np.array([[1.0, -1.0], [-1.0, 1.0]], 'float32')
    model.set_weights([kernel, np.zeros(2, 'float32')])
    model.compile(optimizer=still(), loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    x = np.array([[1, 0], [0, 1], [1, 0], [1, 0]], 'float32')
    predicted = np.argmax(x @ kernel, axis=-1)  # 0, 1, 0, 0
    expected = np.mean(predicted == labels.ravel())
    assert model.evaluate(x, labels.astype('int32'), verbose=0)[1] == pytest.approx(expected)


def test_accuracy_resolves_to_binary_for_one_unit():
    model = torchkeras.Sequential([layers.Dense(1, input_dim=1, activation='sigmoid')])
    model.set_weights([np.ones((1, 1), 'float32'), np.zeros(1, 'float32')])
    model.compile(optimizer=still(), loss='binary_crossentropy', metrics=['accuracy'])
    x = np.array([[-2.0], [1.0], [3.0], [-1.0]], 'float32')
    y = np.array([[0.0], [0.0], [1.0], [1.0]], 'float32')
    expected = np.mean((x > 0) == (y > 0.5))  # sigmoid(x) > 0.5 <=> x > 0
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(expected)


# ------------------------------------------------------------------ return types

def test_evaluate_and_predict_return_types():
    model = frozen_linear(2)
    model.compile(optimizer=still(), loss='mse')
    x, y = np.random.rand(70, 3).astype('float32'), np.random.rand(70, 2).astype('float32')
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() == {'loss'}
    prediction = model.predict(x)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (70, 2)  # 32+32+6
    assert isinstance(model.predict_on_batch(x[:5]), np.ndarray)
    model.compile(optimizer=still(), loss='mse', metrics=['mae'])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    assert all(isinstance(v, float) for v in result)


def test_predict_returns_a_list_or_a_dict_as_the_model_outputs():
    x = np.random.rand(5, 4).astype('float32')
    listed = three_outputs().predict(x)
    assert isinstance(listed, list) and [p.shape for p in listed] == [(5, 1), (5, 3), (5, 1)]
    inp = torchkeras.Input(shape=(4,))
    model = torchkeras.Model(inp, {'a': layers.Dense(2)(inp), 'b': layers.Dense(1)(inp)})
    named = model.predict(x)
    assert isinstance(named, dict) and {k: v.shape for k, v in named.items()} == \
        {'a': (5, 2), 'b': (5, 1)}


def test_train_on_batch_returns_the_values_before_the_update():
    rng = np.random.RandomState(4)
    model = torchkeras.Sequential([layers.Dense(1, input_dim=3)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss='mse', metrics=['mae'])
    x, y = rng.rand(8, 3).astype('float32'), rng.rand(8, 1).astype('float32')
    before = model.test_on_batch(x, y)
    during = model.train_on_batch(x, y)
    after = model.test_on_batch(x, y)
    assert during == pytest.approx(before, rel=1e-6)
    assert after[0] < before[0]
    assert model.train_on_batch(x, y, return_dict=True).keys() == {'loss', 'mae'}


# ------------------------------------------------------------- other data sources

def two_input_model():
    a = torchkeras.Input(shape=(2,), name='a')
    b = torchkeras.Input(shape=(3,), name='b')
    merged = layers.Concatenate()([a, b])
    out = layers.Dense(1, name='out', kernel_initializer='zeros')(merged)
    return torchkeras.Model([a, b], out)


def test_dicts_of_inputs_and_targets():
    model = two_input_model()
    model.compile(optimizer=still(), loss='mse')
    x = {'b': np.zeros((6, 3), 'float32'), 'a': np.zeros((6, 2), 'float32')}
    y = np.full((6, 1), 2.0, 'float32')
    assert model.fit(x, {'out': y}, verbose=0).history['loss'] == pytest.approx([4.0])
    with pytest.raises(ValueError, match=r"Missing data for x \['b'\]"):
        model.fit({'a': x['a']}, y, verbose=0)


def test_dict_model_fit_and_predict_by_dict_keys_in_sorted_order():
    a = torchkeras.Input(shape=(2,), name='zz')
    b = torchkeras.Input(shape=(3,), name='aa')
    merged = layers.Concatenate()([a, b])
    o1 = layers.Dense(1, name='out_one', kernel_initializer='zeros')(merged)
    o2 = layers.Dense(2, name='out_two', kernel_initializer='zeros')(merged)
    model = torchkeras.Model({'z': a, 'b': b}, {'y': o1, 'c': o2})
    model.compile(optimizer=still(), loss={'y': 'mse', 'c': 'mae'}, metrics={'y': 'mae'})
    x = {'z': np.ones((4, 2), 'float32'), 'b': np.ones((4, 3), 'float32')}
    y = {'y': np.full((4, 1), 2.0, 'float32'), 'c': np.full((4, 2), 3.0, 'float32')}
    history = model.fit(x, y, verbose=0).history
    # tf.keras: outputs in sorted-key order, c (out_two) before y (out_one)
    assert list(history) == ['loss', 'out_two_loss', 'out_one_loss', 'out_one_mae']
    assert history['out_two_loss'] == pytest.approx([3.0])  # mae of 3 - 0
    assert history['out_one_loss'] == pytest.approx([4.0])  # mse of 2 - 0
    assert history['loss'] == pytest.approx([7.0])
    prediction = model.predict(x, verbose=0)
    assert list(prediction) == ['y', 'c']
    assert prediction['y'].shape == (4, 1) and prediction['c'].shape == (4, 2)
    listed = model.predict([x['b'], x['z']], verbose=0)  # model.inputs order
    assert list(listed) == ['y', 'c']
    with pytest.raises(ValueError, match=r"Missing data for x \['b', 'z'\]"):
        model.predict({'zz': x['z'], 'aa': x['b']}, verbose=0)


def test_generators_sequences_and_loaders():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    batch = (np.zeros((4, 3), 'float32'), np.full((4, 1), 3.0, 'float32'))
    pulled = []

    def endless():
        while True:
            pulled.append(1)
            yield batch
    history = model.fit(endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert history.history['loss'] == pytest.approx([9.0, 9.0]) and len(pulled) == 6

    def weighted():
        while True:
            yield batch + (np.array([1.0, 0, 0, 0]),)
    assert model.evaluate(weighted(), steps=2, verbose=0) == pytest.approx(9.0 / 4)

    class Batches(Sequence):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return batch
    assert model.fit(Batches(), epochs=1, verbose=0).history['loss'] == pytest.approx([9.0])
    dataset = torch.utils.data.TensorDataset(torch.zeros(10, 3), torch.full((10, 1), 3.0))
    assert model.fit(dataset, batch_size=4, verbose=0).params['steps'] == 3
    loader = torch.utils.data.DataLoader(dataset, batch_size=5)
    assert model.evaluate(loader, verbose=0) == pytest.approx(9.0)
    assert model.predict(loader).shape == (10, 1)


def test_a_finite_generator_that_runs_dry_stops_training():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    gen = ((np.zeros((2, 3), 'float32'), np.zeros((2, 1), 'float32')) for _ in range(3))
    with pytest.warns(UserWarning, match='ran out of data'):
        history = model.fit(gen, epochs=3, verbose=0)
    assert len(history.history['loss']) == 1


# ------------------------------------------------------------------ Keras 1 / 2

def test_keras1_nb_epoch_warns_and_trains():
    legacy.reset_warnings()
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    with pytest.warns(DeprecationWarning, match='`epochs`'):
        history = model.fit(np.zeros((4, 3)), np.zeros((4, 1)), nb_epoch=3, verbose=0)
    assert history.epoch == [0, 1, 2]


def test_keras1_fit_generator_counts_samples_per_epoch():
    legacy.reset_warnings()
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    batches = []

    def gen():
        while True:
            yield np.zeros((10, 3), 'float32'), np.ones((10, 1), 'float32')
    count = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    with pytest.warns(DeprecationWarning):
        history = model.fit_generator(gen(), samples_per_epoch=40, nb_epoch=2, verbose=0,
                                      callbacks=[count], nb_worker=2, pickle_safe=False)
    assert batches == [0, 1, 2, 3] * 2 and history.history['loss'] == pytest.approx([1.0, 1.0])
    assert model.evaluate_generator(gen(), steps=2) == pytest.approx(1.0)
    assert model.predict_generator(gen(), steps=2).shape == (20, 1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        assert model.predict_generator(gen(), val_samples=30).shape == (30, 1)


def test_predict_classes_and_proba():
    model = torchkeras.Sequential([layers.Dense(3, input_dim=2, activation='softmax')])
    x = np.random.rand(5, 2).astype('float32')
    np.testing.assert_array_equal(model.predict_classes(x), model.predict(x).argmax(-1))
    np.testing.assert_allclose(model.predict_proba(x), model.predict(x))


# -------------------------------------------------------------------- callbacks

def test_callback_hooks_come_in_keras_order():
    model = frozen_linear(2, activation='softmax')
    model.compile(optimizer=still(), loss='categorical_crossentropy', metrics=['accuracy'])
    recorder = Recorder()
    x, y = np.zeros((6, 3), 'float32'), np.eye(2, dtype='float32')[[0, 1, 0, 1, 0, 1]]
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x[:2], y[:2]),
              callbacks=[recorder], verbose=0)
    batch_keys = ['accuracy', 'loss']
    epoch_keys = ['accuracy', 'loss', 'val_accuracy', 'val_loss']
    expected = [('on_train_begin', None, [])]
    for epoch in range(2):
        expected.append(('on_epoch_begin', epoch, []))
        for batch in range(3):
            expected += [('on_train_batch_begin', batch, []),
                         ('on_train_batch_end', batch, batch_keys)]
        expected += [('on_test_begin', None, []), ('on_test_batch_begin', 0, []),
                     ('on_test_batch_end', 0, batch_keys), ('on_test_end', None, batch_keys),
                     ('on_epoch_end', epoch, epoch_keys)]
    expected.append(('on_train_end', None, epoch_keys))
    assert recorder.calls == expected
    assert model.history.history['loss'] and model.training is False


def test_early_stopping_stops_fit():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    stopper = callbacks.EarlyStopping(monitor='loss', patience=1)
    history = model.fit(np.zeros((4, 3)), np.ones((4, 1)), epochs=10, callbacks=[stopper],
                        verbose=0)
    assert history.epoch == [0, 1] and stopper.stopped_epoch == 1


def test_initial_epoch_and_history_epochs():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    history = model.fit(np.zeros((4, 3)), np.ones((4, 1)), epochs=3, initial_epoch=1,
                        verbose=0)
    assert history.epoch == [1, 2] and len(history.history['loss']) == 2


def test_keyboard_interrupt_propagates_and_keeps_history():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')

    def interrupt(epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.zeros((4, 3)), np.ones((4, 1)), epochs=5, verbose=0,
                  callbacks=[callbacks.LambdaCallback(on_epoch_begin=interrupt)])
    assert model.history.history['loss'] == pytest.approx([1.0, 1.0])


def test_terminate_on_nan_stops_after_the_bad_batch(capsys):
    model = frozen_linear()
    model.compile(optimizer='sgd', loss='mse')
    y = np.ones((8, 1), 'float32')
    y[0] = np.nan
    history = model.fit(np.zeros((8, 3)), y, batch_size=2, epochs=3,
                        callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    assert len(history.history['loss']) == 1 and np.isnan(history.history['loss'][0])
    assert 'Batch 0: Invalid loss' in capsys.readouterr().out


def test_progress_bar_is_printed_by_default(capsys):
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    history = model.fit(np.zeros((4, 3)), np.ones((4, 1)), epochs=2)
    out = capsys.readouterr().out
    assert 'Epoch 1/2' in out and '1/1 [==============================]' in out
    assert 'loss: 1.0000' in out and history.params['verbose'] == 1


# --------------------------------------------------------------- modes and masks

def test_dropout_is_active_in_fit_only():
    torch.manual_seed(0)
    model = torchkeras.Sequential([layers.Dense(16, input_dim=4, activation='relu'),
                                   layers.Dropout(0.5), layers.Dense(1)])
    model.compile(optimizer=still(), loss='mse')
    x, y = np.random.rand(64, 4).astype('float32'), np.random.rand(64, 1).astype('float32')
    evaluated = [model.evaluate(x, y, verbose=0) for _ in range(2)]
    trained = [model.train_on_batch(x, y) for _ in range(2)]
    assert evaluated[0] == evaluated[1]
    assert trained[0] != trained[1]  # different dropout masks
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert not model.training


def test_constraints_are_applied_after_each_step():
    model = torchkeras.Sequential([layers.Dense(2, input_dim=2, kernel_constraint='non_neg')])
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss='mse')
    model.fit(np.ones((8, 2)), np.full((8, 2), -10.0), batch_size=4, verbose=0)
    assert (model.get_weights()[0] >= 0).all()


class ZeroStepMask(layers.Layer):
    """Masks the time steps whose first feature is 0 (a stand-in for Masking)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return inputs[..., 0] != 0


def test_masked_time_steps_are_left_out_of_loss_and_metrics():
    inp = torchkeras.Input(shape=(3, 2))
    out = layers.Dense(1, kernel_initializer='zeros')(ZeroStepMask()(inp))
    model = torchkeras.Model(inp, out)
    model.compile(optimizer=still(), loss='mse', metrics=['mae'])
    x = np.array([[[1, 1], [2, 2], [0, 0]], [[1, 1], [0, 0], [0, 0]]], 'float32')
    y = np.array([[[1], [2], [3]], [[4], [5], [6]]], 'float32')
    kept = np.array([1.0, 2.0, 4.0])  # targets of the unmasked steps; predictions are 0
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(np.mean(kept ** 2)) and mae == pytest.approx(np.mean(kept))


def test_stateful_rnn_carries_its_state_across_batches():
    if not hasattr(layers, 'LSTM'):
        pytest.skip('no LSTM layer yet')
    model = torchkeras.Sequential([layers.LSTM(4, stateful=True, batch_input_shape=(2, 3, 2)),
                                   layers.Dense(1)])
    model.compile(optimizer='sgd', loss='mse')
    x, y = np.random.rand(6, 3, 2).astype('float32'), np.random.rand(6, 1).astype('float32')
    model.fit(x, y, batch_size=2, shuffle=False, epochs=2, verbose=0)
    first, second = (model.predict(x[:2], batch_size=2) for _ in range(2))
    assert np.abs(first - second).max() > 0  # the second call starts from the first's state
    model.reset_states()
    fresh = model.predict(x[:2], batch_size=2)
    model.reset_states()
    np.testing.assert_array_equal(fresh, model.predict(x[:2], batch_size=2))


# ------------------------------------------------------------------ input errors

def test_bad_inputs_fail_before_any_step():
    model = torchkeras.Sequential([layers.Dense(5, input_dim=3, activation='softmax',
                                                name='probs')])
    model.compile(optimizer='sgd', loss='categorical_crossentropy')
    before = model.get_weights()
    with pytest.raises(ValueError, match=r'x sizes: 10[\s\S]*y sizes: 9'):
        model.fit(np.zeros((10, 3)), np.zeros((9, 5)), verbose=0)
    with pytest.raises(ValueError, match=r'target array with shape \(10, 10\).*\(None, 5\)'):
        model.fit(np.zeros((10, 3)), np.zeros((10, 10)), verbose=0)
    with pytest.raises(ValueError, match=r'expects data of shape \(None, 3\)'):
        model.fit(np.zeros((10, 4)), np.zeros((10, 5)), verbose=0)
    with pytest.raises(TypeError, match='numeric'):
        model.fit(np.array([['a', 'b', 'c']]), np.zeros((1, 5)), verbose=0)
    model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')
    with pytest.raises(ValueError, match='outside the valid range of \\[0, 5\\)'):
        model.fit(np.zeros((2, 3)), np.array([1, 7]), verbose=0)
    for got, expected in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------- devices, precision, jit

def test_model_moved_by_the_user_trains_where_it_is():
    model = frozen_linear()
    model.compile(optimizer='sgd', loss='mse')
    model.fit(np.zeros((4, 3)), np.ones((4, 1)), verbose=0)
    expected = torchkeras.backend.default_device()
    assert all(p.device.type == expected.type for p in model.parameters())


def test_mixed_bfloat16_policy_trains_with_float32_weights():
    assert mixed_precision.global_policy().name == 'float32'
    mixed_precision.set_global_policy('mixed_bfloat16')
    try:
        policy = mixed_precision.global_policy()
        assert (policy.compute_dtype, policy.variable_dtype) == ('bfloat16', 'float32')
        model = torchkeras.Sequential([layers.Dense(4, input_dim=3, activation='relu'),
                                       layers.Dense(2, activation='softmax')])
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
        history = model.fit(np.random.rand(16, 3), np.random.randint(0, 2, 16), verbose=0)
        assert np.isfinite(history.history['loss'][0])
        assert all(p.dtype == torch.float32 for p in model.parameters())
        assert model.predict(np.random.rand(2, 3)).dtype == np.float32
    finally:
        mixed_precision.set_global_policy(None)
    with pytest.raises(ValueError, match='mixed precision Policy'):
        mixed_precision.Policy('mixed_float8')


def test_mixed_float16_policy_scales_the_loss_and_skips_overflowing_steps():
    mixed_precision.set_global_policy('mixed_float16')
    try:
        model = torchkeras.Sequential([layers.Dense(8, input_dim=4, activation='relu'),
                                       layers.Dense(3, activation='softmax')])
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
        x = np.random.RandomState(0).rand(256, 4).astype('float32')
        y = np.argmax(x[:, :3], axis=1)
        loss = model.fit(x, y, epochs=5, batch_size=32, verbose=0).history['loss']
        scaler = model._training_state._scaler
        assert scaler is not None and scaler.get_scale() > 1.0
        assert all(np.isfinite(loss)) and loss[-1] < loss[0]
        assert all(p.dtype == torch.float32 for p in model.parameters())
        # A batch whose float16 loss overflows: GradScaler skips the update, weights stay.
        before = [w.copy() for w in model.get_weights()]
        scale = scaler.get_scale()
        model.train_on_batch(np.full((4, 4), 1e5, 'float32'), np.zeros(4, 'int64'))
        assert scaler.get_scale() < scale
        for old, new in zip(before, model.get_weights()):
            np.testing.assert_array_equal(old, new)
    finally:
        mixed_precision.set_global_policy(None)


def test_jit_compile_trains_like_eager():
    """The compiled training step (torch.compile, inductor on CPU) gives eager's numbers."""
    x = np.random.RandomState(1).rand(96, 4).astype('float32')
    y = np.argmax(x[:, :3], axis=1)
    histories = []
    for jit in (False, True):
        torchkeras.backend.clear_session()
        torch.manual_seed(0)
        # Penalties and activity losses go through the compiled loss; Adam's bias correction
        # through the (eager) optimizer step, whose counter must advance every batch.
        model = torchkeras.Sequential([
            layers.Dense(8, input_dim=4, activation='relu', kernel_regularizer='l2',
                         activity_regularizer='l1'),
            layers.Dense(3, activation='softmax')])
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                      metrics=['accuracy', 'sparse_top_k_categorical_accuracy'],
                      jit_compile=jit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            history = model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        assert not [w for w in caught if 'torch.compile failed' in str(w.message)]  # compiled
        assert model.optimizer.iterations == 9
        histories.append(history.history)
    assert histories[0].keys() == histories[1].keys()
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5)


def test_jit_compile_masks_the_loss_like_eager():
    """Keras masks ride on the traced tensors: the compiled loss leaves masked steps out."""
    rs = np.random.RandomState(0)
    x = rs.randint(1, 20, (32, 7))
    x[:, 5:] = 0
    x[::3, 3:] = 0
    y = rs.randint(0, 4, (32, 7))
    histories = []
    for jit in (False, True):
        torchkeras.backend.clear_session()
        torch.manual_seed(0)
        model = torchkeras.Sequential([
            layers.Embedding(20, 8, mask_zero=True, input_length=7),
            layers.LSTM(6, return_sequences=True),
            layers.TimeDistributed(layers.Dense(4, activation='softmax'))])
        model.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'],
                      jit_compile=jit)
        histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False,
                                   verbose=0).history)
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-5)


def test_jit_compile_falls_back_with_a_warning(monkeypatch):
    def broken(fn, *args, **kwargs):
        def run(*a, **k):
            raise RuntimeError('no compiler here')
        return run
    monkeypatch.setattr(torch, 'compile', broken)
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', jit_compile=True)
    with pytest.warns(UserWarning, match='torch.compile failed'):
        history = model.fit(np.zeros((8, 3)), np.ones((8, 1)), batch_size=2, epochs=2,
                            verbose=0)
    assert history.history['loss'] == pytest.approx([1.0, 1.0])


def test_metrics_property_after_training():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', metrics=['mae'])
    assert model.metrics == []
    model.fit(np.zeros((4, 3)), np.ones((4, 1)), verbose=0)
    assert [m.name for m in model.metrics] == ['loss', 'mae']


# ------------------------------------------------------------------ dict outputs

class DictOutputs(torchkeras.Model):
    """A subclassed model returning a dict; its keys are deliberately not in sorted order."""

    def __init__(self):
        super().__init__()
        self.classes = layers.Dense(3, activation='softmax', kernel_initializer='zeros')
        self.values = layers.Dense(2, kernel_initializer='zeros')

    def call(self, inputs, training=None):
        return {'reg': self.values(inputs), 'cls': self.classes(inputs)}


def test_subclassed_dict_outputs_are_named_by_their_keys_in_sorted_order():
    # tf_keras names the outputs of a subclassed model by the returned dict's keys and lines
    # them up in tf.nest order (sorted keys): checked with tf_keras 2.21 (audit p34).
    model = DictOutputs()
    model.compile(optimizer=still(), loss={'reg': 'mse', 'cls': 'sparse_categorical_crossentropy'},
                  loss_weights={'cls': 2.0, 'reg': 0.5}, metrics={'cls': 'accuracy', 'reg': 'mae'})
    x = np.zeros((4, 3), 'float32')
    labels, values = np.array([0, 1, 2, 0]), np.ones((4, 2), 'float32')
    history = model.fit(x, {'reg': values, 'cls': labels}, verbose=0)
    assert list(history.history) == ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']
    # Zero weights: probabilities 1/3 (loss ln 3, accuracy = share of label 0 by argmax) and
    # regression outputs 0 against targets 1 (mse 1, mae 1).
    assert history.history['cls_loss'] == pytest.approx([np.log(3)], rel=1e-5)
    assert history.history['reg_loss'] == pytest.approx([1.0])
    assert history.history['loss'] == pytest.approx([2 * np.log(3) + 0.5], rel=1e-5)
    assert history.history['cls_accuracy'] == pytest.approx([0.5])
    predicted = model.predict(x, verbose=0)
    assert list(predicted) == ['reg', 'cls']  # the model's own key order, as tf.keras
    assert predicted['cls'].shape == (4, 3) and predicted['reg'].shape == (4, 2)


def test_subclassed_dict_outputs_take_a_partial_or_misspelled_target_dict():
    model = DictOutputs()
    model.compile(optimizer=still(), loss={'reg': 'mse', 'cls': 'sparse_categorical_crossentropy'})
    x = np.zeros((4, 3), 'float32')
    # The first call lays the targets out before the outputs are known: 'cls' alone must
    # still reach the 'cls' output (the second one in tf.nest order is 'reg').
    history = model.fit(x, {'cls': np.array([0, 1, 2, 0])}, verbose=0)
    assert history.history['cls_loss'] == pytest.approx([np.log(3)], rel=1e-5)
    assert history.history['reg_loss'] == [0.0]
    # The same when an evaluate in a callback, with other targets, meets the outputs first.
    inner = DictOutputs()
    inner.compile(optimizer=still(), loss={'reg': 'mse', 'cls': 'sparse_categorical_crossentropy'})
    peek = callbacks.LambdaCallback(on_train_begin=lambda logs: inner.evaluate(
        x, {'reg': np.ones((4, 2))}, verbose=0))
    history = inner.fit(x, {'cls': np.array([0, 1, 2, 0])}, callbacks=[peek], verbose=0)
    assert history.history['cls_loss'] == pytest.approx([np.log(3)], rel=1e-5)
    assert history.history['reg_loss'] == [0.0]
    fresh = DictOutputs()
    fresh.compile(optimizer=still(), loss='mse')
    with pytest.raises(ValueError, match=r"Unknown keys \['bogus'\] in the `y` dict"):
        fresh.fit(x, {'cls': np.zeros((4, 3)), 'bogus': np.ones((4, 2))}, verbose=0)


def functional_dict_outputs():
    inp = torchkeras.Input(shape=(3,), name='inp')
    return torchkeras.Model(inp, {
        'cls': layers.Dense(3, activation='softmax', name='dense_c',
                            kernel_initializer='zeros')(inp),
        'reg': layers.Dense(2, name='dense_r', kernel_initializer='zeros')(inp)})


def test_functional_dict_outputs_are_keyed_by_dict_keys_and_logged_by_layer_names():
    # tf_keras 2.21 (audit p35): loss, metrics and y dicts use the outputs dict's keys,
    # History the output layers' names; dicts keyed by the layer names fail there too.
    model = functional_dict_outputs()
    assert model.output_names == ['dense_c', 'dense_r']
    model.compile(optimizer=still(), loss={'cls': 'sparse_categorical_crossentropy',
                                           'reg': 'mse'},
                  metrics={'cls': 'accuracy'}, loss_weights={'cls': 1.0, 'reg': 3.0})
    x = np.zeros((4, 3), 'float32')
    y = {'cls': np.array([0, 1, 2, 0]), 'reg': np.ones((4, 2), 'float32')}
    result = model.evaluate(x, y, sample_weight={'reg': np.array([1.0, 1, 0, 0])},
                            verbose=0, return_dict=True)
    assert list(result) == ['loss', 'dense_c_loss', 'dense_r_loss', 'dense_c_accuracy']
    assert result['dense_c_loss'] == pytest.approx(np.log(3), rel=1e-5)
    assert result['dense_r_loss'] == pytest.approx(0.5)  # sum(w * 1) / N = 2 / 4
    assert result['loss'] == pytest.approx(np.log(3) + 3 * 0.5, rel=1e-5)
    assert list(model.fit(x, y, verbose=0).history) == list(result)
    assert list(model.predict(x, verbose=0)) == ['cls', 'reg']
    with pytest.raises(ValueError, match=r"loss dictionary: \['dense_c', 'dense_r'\]. Only "
                                         r"expected the model output keys: \['cls', 'reg'\]"):
        model.compile(optimizer=still(), loss={'dense_c': 'sparse_categorical_crossentropy',
                                               'dense_r': 'mse'})
    with pytest.raises(ValueError, match=r"Unknown keys \['dense_c', 'dense_r'\]"):
        model.fit(x, {'dense_c': y['cls'], 'dense_r': y['reg']}, verbose=0)


# -------------------------------------------------------------- missing targets

def two_heads():
    inp = torchkeras.Input(shape=(3,), name='a')
    return torchkeras.Model(inp, [
        layers.Dense(3, activation='softmax', name='cls', kernel_initializer='zeros')(inp),
        layers.Dense(2, name='reg', kernel_initializer='zeros')(inp)])


def test_an_output_without_a_target_is_trained_without_it_and_logs_zero():
    # tf_keras 2.21 (audit p02, p03): the output's loss and metrics are left out and log 0.
    model = two_heads()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                  loss={'cls': 'sparse_categorical_crossentropy', 'reg': 'mse'},
                  loss_weights={'cls': 2.0, 'reg': 3.0}, metrics={'reg': 'mae'})
    x, labels = np.ones((4, 3), 'float32'), np.array([0, 1, 2, 0])
    before = model.get_weights()
    history = model.fit(x, {'cls': labels}, verbose=0)
    assert history.history['cls_loss'] == pytest.approx([np.log(3)], rel=1e-5)
    assert history.history['loss'] == pytest.approx([2 * np.log(3)], rel=1e-5)
    assert history.history['reg_loss'] == [0.0] and history.history['reg_mae'] == [0.0]
    after = model.get_weights()
    assert not np.array_equal(before[0], after[0])  # 'cls' trained
    np.testing.assert_array_equal(before[2], after[2])  # 'reg' had no loss to follow
    # Again after a full fit (the per-output state exists already), and in evaluate.
    model.fit(x, {'cls': labels, 'reg': np.ones((4, 2))}, verbose=0)
    assert model.fit(x, [labels, None], verbose=0).history['reg_loss'] == [0.0]
    assert model.evaluate(x, {'cls': labels}, verbose=0)[2:] == [0.0, 0.0]


def test_fit_without_targets_is_an_error_every_time_and_evaluate_reports_zero():
    model = torchkeras.Sequential([layers.Dense(1, input_dim=3, kernel_initializer='ones',
                                                kernel_regularizer=regularizers.l2(0.5))])
    model.compile(optimizer='sgd', loss='mse', metrics=['mae'])
    x = np.ones((4, 3), 'float32')
    for _ in range(2):  # not only at the first batch
        with pytest.raises(ValueError, match=r"Target data is missing. Your model was compiled "
                                             r"with loss='mse'"):
            model.fit(x, verbose=0)
        with pytest.raises(ValueError, match='Target data is missing'):
            model.train_on_batch(x)
    # tf.keras: evaluate(x) alone gives the regularization loss (0.5 * 3 * 1**2) and 0s.
    assert model.evaluate(x, verbose=0) == pytest.approx([1.5, 0.0])
    model.fit(x, np.zeros((4, 1)), verbose=0)
    plain = frozen_linear()
    plain.compile(optimizer=still(), loss='mse')
    plain.fit(x, np.ones((4, 1)), verbose=0)
    assert plain.evaluate(x, verbose=0) == 0.0


# ------------------------------------------------------------ finite data sources

def test_a_finite_validation_generator_validates_only_while_it_has_data():
    # tf_keras 2.21 (audit p39): val_loss for the first epoch only; training goes on.
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    x, y = np.zeros((10, 3), 'float32'), np.full((10, 1), 2.0, 'float32')
    validation = ((x[i:i + 5], y[i:i + 5]) for i in range(0, 10, 5))
    recorder = Recorder()
    with pytest.warns(UserWarning, match='validation data ran out of data'):
        history = model.fit(x, y, epochs=3, validation_data=validation, callbacks=[recorder],
                            verbose=0)
    assert history.history == {'loss': [4.0, 4.0, 4.0], 'val_loss': [4.0]}
    ends = [call for call in recorder.calls if call[0] == 'on_test_end']
    assert ends == [('on_test_end', None, ['loss'])] + [('on_test_end', None, [])] * 2


def test_a_training_generator_that_runs_dry_adds_no_epoch_of_zeros():
    # tf_keras logs one more epoch with every value 0.0 when it finds the generator empty
    # (audit p09); torchkeras stops after the last epoch that trained (see fit()).
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', metrics=['mae'])
    data = ((np.zeros((5, 3), 'float32'), np.ones((5, 1), 'float32')) for _ in range(4))
    recorder = Recorder()
    end_logs = []
    last = callbacks.LambdaCallback(on_train_end=lambda logs: end_logs.append(logs))
    with pytest.warns(UserWarning, match='ran out of data'):
        history = model.fit(data, epochs=3, callbacks=[recorder, last], verbose=0)
    assert history.epoch == [0] and history.history == {'loss': [1.0], 'mae': [1.0]}
    assert [c[1] for c in recorder.calls if c[0] == 'on_epoch_end'] == [0]
    assert end_logs == [{'loss': 1.0, 'mae': 1.0}]


# ---------------------------------------------------------- compile settings

def test_run_eagerly_jit_compile_and_steps_per_execution_are_model_attributes():
    model = frozen_linear()
    assert (model.run_eagerly, model.jit_compile, model.steps_per_execution) == \
        (False, None, None)  # tf_keras before compile (audit p37)
    model.compile(optimizer=still(), loss='mse')
    assert (model.run_eagerly, model.jit_compile, model.steps_per_execution) == \
        (False, None, 1)
    model.compile(optimizer=still(), loss='mse', run_eagerly=True, steps_per_execution=3)
    assert (model.run_eagerly, model.steps_per_execution) == (True, 3)
    model.run_eagerly, model.jit_compile, model.steps_per_execution = False, True, 2
    assert (model.run_eagerly, model.jit_compile, model.steps_per_execution) == (False, True, 2)
    with pytest.raises(ValueError, match='cannot enable `run_eagerly` and `jit_compile`'):
        model.compile(optimizer=still(), loss='mse', run_eagerly=True, jit_compile=True)
    with pytest.raises(ValueError, match='steps_per_execution=-1'):
        model.steps_per_execution = -1


def test_run_eagerly_trains_with_the_same_numbers_and_without_torch_compile(monkeypatch):
    compiled = []
    real_compile = torch.compile
    monkeypatch.setattr(torch, 'compile', lambda fn, **kw: compiled.append(fn) or
                        real_compile(fn, **kw))
    x = np.random.RandomState(3).rand(12, 3).astype('float32')
    y = x.sum(axis=1, keepdims=True)
    results = []
    for run_eagerly in (None, True):
        torch.manual_seed(0)
        model = torchkeras.Sequential([layers.Dense(1, input_dim=3)])
        model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss='mse',
                      run_eagerly=run_eagerly)
        history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        results.append((history.history['loss'], model.get_weights()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    for default, eager in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(eager, default, rtol=1e-6)
    model.jit_compile = True  # compiled steps, unless run_eagerly is set as well
    model.run_eagerly = True
    model.fit(x, y, verbose=0)
    assert compiled == []


def test_steps_per_execution_calls_batch_hooks_once_per_group_of_steps():
    # tf_keras 2.21 (audit p37): 5 batches in groups of 2 -> hooks at steps 1, 3, 4 with
    # the logs after the group; SGD(0.1) on zero weights, x = 0, y = 1 (bias-only update).
    model = torchkeras.Sequential([layers.Dense(1, input_dim=3, kernel_initializer='zeros')])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss='mse',
                  steps_per_execution=2)
    recorder = Recorder()
    ends = []
    log = callbacks.LambdaCallback(on_train_batch_end=lambda i, logs: ends.append(logs['loss']))
    x, y = np.zeros((10, 3), 'float32'), np.ones((10, 1), 'float32')
    model.fit(x, y, batch_size=2, shuffle=False, verbose=0, callbacks=[recorder, log],
              validation_data=(x, y), validation_batch_size=3)
    hooks = [(name, i) for name, i, _ in recorder.calls if 'batch' in name]
    assert hooks == [('on_train_batch_begin', 0), ('on_train_batch_end', 1),
                     ('on_train_batch_begin', 2), ('on_train_batch_end', 3),
                     ('on_train_batch_begin', 4), ('on_train_batch_end', 4),
                     ('on_test_batch_begin', 0), ('on_test_batch_end', 1),
                     ('on_test_batch_begin', 2), ('on_test_batch_end', 3)]
    losses, bias = [], 0.0
    for _ in range(5):  # batch loss (1 - b)^2, then b += 0.1 * 2 (1 - b)
        losses.append((1 - bias) ** 2)
        bias += 0.2 * (1 - bias)
    assert ends == pytest.approx([np.mean(losses[:2]), np.mean(losses[:4]), np.mean(losses)],
                                 rel=1e-5)
    outputs = []
    model.predict(x, batch_size=2, verbose=0, callbacks=[callbacks.LambdaCallback(
        on_predict_batch_end=lambda i, logs: outputs.append((i, logs['outputs'].shape)))])
    assert outputs == [(1, (4, 1)), (3, (4, 1)), (4, (2, 1))]
    endless = ((x[:2], y[:2]) for _ in iter(int, 1))
    with pytest.raises(ValueError, match='specify the number of steps'):
        model.fit(endless, verbose=0)


def test_epochs_must_be_positive():
    # tf_keras 2.21: "Expected epochs to be positive. Received is 0." (audit p27).
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    for epochs in (0, -1):
        with pytest.raises(ValueError, match='Expected epochs to be positive.*epochs=%d'
                                             % epochs):
            model.fit(np.zeros((2, 3)), np.zeros((2, 1)), epochs=epochs, verbose=0)


def test_metrics_names_are_empty_until_a_batch_and_carry_output_prefixes():
    # tf_keras 2.21 (audit p27): [] after compile; the metric objects themselves are
    # renamed '<output>_<metric>' in a multi-output model.
    model = two_heads()
    model.compile(optimizer=still(), loss=['sparse_categorical_crossentropy', 'mse'],
                  metrics={'cls': 'accuracy'})
    assert model.metrics_names == [] and model.metrics == []
    model.evaluate(np.zeros((4, 3)), [np.array([0, 1, 2, 0]), np.zeros((4, 2))], verbose=0)
    expected = ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy']
    assert model.metrics_names == expected
    assert [m.name for m in model.metrics] == expected


def test_torchmetrics_metrics_get_the_targets_as_given():
    torchmetrics = pytest.importorskip('torchmetrics')
    model = frozen_linear(3, activation='softmax')
    model.set_weights([np.zeros((3, 3), 'float32'), np.array([0.0, 1.0, 0.0], 'float32')])
    accuracy = torchmetrics.Accuracy(task='multiclass', num_classes=3, average='micro')
    model.compile(optimizer=still(), loss='sparse_categorical_crossentropy',
                  metrics=[accuracy, 'mse'])
    labels = np.array([1, 1, 0, 2])  # every prediction is class 1
    history = model.fit(np.zeros((4, 3)), labels, batch_size=2, verbose=0)
    assert history.history['multiclass_accuracy'] == pytest.approx([0.5])
    probabilities = np.exp([0.0, 1.0, 0.0]) / np.exp([0.0, 1.0, 0.0]).sum()
    # 'mse' still sees (N,) labels as (N, 1), broadcast against the three classes.
    expected_mse = np.mean((probabilities[None, :] - labels[:, None]) ** 2)
    assert history.history['mse'] == pytest.approx([expected_mse], rel=1e-5)


# ------------------------------------------------------------------ fit options

def test_validation_batch_size_and_validation_freq_as_a_list():
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    recorder = Recorder()
    x, y = np.zeros((10, 3), 'float32'), np.full((10, 1), 3.0, 'float32')
    history = model.fit(x, y, epochs=4, batch_size=5, validation_data=(x, y),
                        validation_batch_size=4, validation_freq=[1, 3],
                        callbacks=[recorder], verbose=0)
    assert history.history == {'loss': [9.0] * 4, 'val_loss': [9.0, 9.0]}
    test_batches = [i for name, i, _ in recorder.calls if name == 'on_test_batch_end']
    assert test_batches == [0, 1, 2] * 2  # ceil(10 / 4) batches, after epochs 1 and 3
    validated = [i for name, i, keys in recorder.calls
                 if name == 'on_epoch_end' and 'val_loss' in keys]
    assert validated == [0, 2]


def test_train_on_batch_without_reset_accumulates_batch_size_weighted_means():
    # Checked with tf_keras 2.21: [1, 1] then [3, 1.6667].
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse', metrics=['mae'])
    assert model.train_on_batch(np.zeros((2, 3)), np.ones((2, 1))) == [1.0, 1.0]
    result = model.train_on_batch(np.zeros((4, 3)), np.full((4, 1), 2.0), reset_metrics=False)
    assert result == pytest.approx([(2 * 1 + 4 * 4) / 6, (2 * 1 + 4 * 2) / 6])
    assert model.train_on_batch(np.zeros((4, 3)), np.full((4, 1), 2.0)) == [4.0, 2.0]


def test_a_torch_lr_scheduler_stepped_by_a_callback_changes_the_updates():
    model = torchkeras.Sequential([layers.Dense(1, input_dim=1, use_bias=False,
                                                kernel_initializer='zeros')])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    model.compile(optimizer=optimizer, loss='mse')
    step = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: scheduler.step())
    history = model.fit(np.ones((1, 1)), np.ones((1, 1)), epochs=3, callbacks=[step],
                        verbose=0)
    # w <- w - lr * 2 (w - 1) with lr 0.1, 0.05, 0.025: w = 0.2, 0.28, 0.316.
    assert history.history['loss'] == pytest.approx([1.0, 0.64, 0.72 ** 2], rel=1e-5)
    assert model.get_weights()[0][0, 0] == pytest.approx(0.316, rel=1e-5)
    assert optimizer.param_groups[0]['lr'] == pytest.approx(0.0125)


def test_predict_classes_thresholds_a_sigmoid_unit_at_one_half():
    model = torchkeras.Sequential([layers.Dense(1, input_dim=1, activation='sigmoid')])
    model.set_weights([np.ones((1, 1), 'float32'), np.zeros(1, 'float32')])
    classes = model.predict_classes(np.array([[-1.0], [0.0], [0.5], [2.0]]))
    # sigmoid: 0.27, exactly 0.5 (not above the threshold), 0.62, 0.88
    assert classes.dtype == np.int32 and classes.shape == (4, 1)
    np.testing.assert_array_equal(classes, [[0], [0], [1], [1]])


def test_predict_and_evaluate_show_a_progress_bar_by_default(capsys):
    # tf_keras 2.21: verbose='auto' is 1 (audit p45); the Keras 1/2 generator methods are
    # silent by default.
    model = frozen_linear()
    model.compile(optimizer=still(), loss='mse')
    x = np.zeros((40, 3), 'float32')
    model.predict(x)
    assert '2/2 [==============================]' in capsys.readouterr().out
    model.evaluate(x, np.zeros((40, 1)))
    assert '2/2 [==============================]' in capsys.readouterr().out
    model.predict_generator(iter([x]), steps=1)
    assert capsys.readouterr().out == ''


def test_a_model_the_user_put_on_the_cpu_stays_there():
    # 'meta' stands in for CUDA as the default device (audit p50): fit moves a model that
    # was never placed, but not one the user put on the CPU with model.to / cpu().
    x, y = np.zeros((4, 3), 'float32'), np.ones((4, 1), 'float32')
    placed = [frozen_linear().to('cpu'), frozen_linear().cpu(), frozen_linear()]
    for model in placed:
        model.compile(optimizer=still(), loss='mse')
    placed[2].to(torch.float32)  # a dtype is no placement
    torchkeras.backend.set_default_device('meta')
    try:
        for model in placed[:2]:
            assert model.fit(x, y, verbose=0).history['loss'] == [1.0]
            assert {p.device.type for p in model.parameters()} == {'cpu'}
        with pytest.raises(Exception):
            placed[2].fit(x, y, verbose=0)
        assert {p.device.type for p in placed[2].parameters()} == {'meta'}
    finally:
        torchkeras.backend.set_default_device(None)


# ---------------------------------------------------------- the Keras reference kit

def _load_kit_runner(kit_dir):
    spec = importlib.util.spec_from_file_location('keras_reference_run',
                                                  os.path.join(kit_dir, 'run.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _training_cases(kit_dir):
    with open(os.path.join(kit_dir, 'fixtures', 'index.json')) as f:
        return sorted(name for name, info in json.load(f).items() if info['train'])


KIT_TRAINING_CASES = [
    'seq_classifier_input_dim_100', 'functional_mlp_64_32_32_10', 'qa_two_input_lstm',
    'three_output_age_income_gender', 'mlp_dropout_tanh_softmax', 'stacked_lstm_x3',
    'func_lstm_10x2_two_outputs', 'mlp_32_10_20_10_1', 'cnn_64x64x3',
    'embedding_mask_lstm_binary', 'multi_output_lstm_timedistributed', 'pima_binary_mlp',
]


@pytest.mark.parametrize('case', KIT_TRAINING_CASES)
def test_kit_training_case(kit_dir, run_py_threads, case):
    """The kit's train checks (run.py's own code): History keys, values, evaluate, predict."""
    run = _load_kit_runner(kit_dir)
    if case not in _training_cases(kit_dir):
        pytest.skip('%s is not a training case of this kit' % case)
    (c,) = run.collect(kit_dir, 'cases.py', 'public', {case})
    runner = run.Runner(torchkeras, 'torchkeras', timeout=0)
    try:
        runner.build(c['fn'])
    except AttributeError as error:  # a layer torchkeras does not provide yet
        pytest.skip('cannot build %s yet: %s' % (case, error))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        runner.check_train_keys(c)
        runner.check_train_values(c)
        if not c['train_json'].get('stochastic'):
            runner.check_train_pred(c)


# ------------------------------------------------------------------- loss scaling
def scaled_fit(optimizer, epochs=2):
    torchkeras.backend.clear_session()
    torch.manual_seed(0)
    model = torchkeras.Sequential([layers.Dense(4, input_dim=3, activation='tanh'),
                                   layers.Dense(1)])
    model.compile(optimizer=optimizer, loss='mse')
    x = np.random.RandomState(0).rand(32, 3).astype('float32')
    history = model.fit(x, x.sum(axis=1, keepdims=True), batch_size=8, epochs=epochs,
                        shuffle=False, verbose=0)
    return model, history.history['loss']


def test_loss_scale_optimizer_trains_like_its_inner_optimizer():
    """A power-of-two scale cancels exactly: the same numbers as the bare optimizer."""
    _, expected = scaled_fit(optimizers.SGD(0.1))
    wrapper = mixed_precision.LossScaleOptimizer(optimizers.SGD(0.1), dynamic_growth_steps=3)
    model, loss = scaled_fit(wrapper)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert model.optimizer is wrapper and model.optimizer.iterations == 8
    assert wrapper.loss_scale == 2 ** 15 * 2 ** 2  # doubled after steps 3 and 6 of 8
    fixed = mixed_precision.LossScaleOptimizer(optimizers.SGD(0.1), dynamic=False,
                                               initial_scale=1024)
    _, loss = scaled_fit(fixed)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    assert fixed.loss_scale == 1024.0


def test_loss_scale_optimizer_passes_attributes_to_its_inner_optimizer():
    wrapper = mixed_precision.LossScaleOptimizer(optimizers.Adam(0.01))
    wrapper.learning_rate = 0.5  # what ReduceLROnPlateau does
    assert wrapper.inner_optimizer.learning_rate == 0.5 and wrapper.lr == 0.5
    scaled = wrapper.get_scaled_loss(torch.tensor(2.0))
    assert float(scaled) == 2.0 * 2 ** 15
    assert [float(g) for g in wrapper.get_unscaled_gradients([scaled, None])[:1]] == [2.0]
    assert wrapper.get_unscaled_gradients([None]) == [None]


def test_loss_scale_optimizer_config_and_errors():
    wrapper = mixed_precision.LossScaleOptimizer(optimizers.SGD(0.1), dynamic=False,
                                                 initial_scale=8)
    config = optimizers.serialize(wrapper)
    assert config['module'] == 'keras.mixed_precision'
    assert config['class_name'] == 'LossScaleOptimizer'
    again = optimizers.deserialize(config)
    assert isinstance(again, mixed_precision.LossScaleOptimizer)
    assert (again.dynamic, again.initial_scale, again.dynamic_growth_steps) == (False, 8.0, None)
    assert again.inner_optimizer.learning_rate == pytest.approx(0.1)
    with pytest.raises(ValueError, match='initial_scale'):
        mixed_precision.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(TypeError, match='must be a bool'):
        mixed_precision.LossScaleOptimizer(optimizers.SGD(), dynamic='dynamic')
    with pytest.raises(TypeError, match='cannot wrap another'):
        mixed_precision.LossScaleOptimizer(wrapper)
