"""Keras 3's subclassing contract: a Model subclass's own train_step / test_step /
compute_loss / metrics are what fit and evaluate run (keras.io's "Customizing what happens in
fit() with PyTorch"), a Model subclass called with inputs/outputs is a functional model, and
add_weight takes either Keras's argument order."""
import warnings

import numpy as np
import pytest
import torch

import torchkeras as keras


def _data(n=64):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 8).astype('float32')
    return x, (x @ rng.rand(8, 1)).astype('float32')


class CompiledLossModel(keras.Model):
    """The keras.io torch example, verbatim but for the import."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == 'loss':
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TrackerModel(keras.Model):
    """Own trackers, a `metrics` property, own test_step, compiled without a loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name='loss')
        self.mae_metric = keras.metrics.MeanAbsoluteError(name='mae')

    def _update(self, x, y, training):
        y_pred = self(x, training=training)
        loss = keras.ops.mean(keras.ops.square(y - y_pred))
        return loss, y_pred

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        loss, y_pred = self._update(x, y, True)
        loss.backward()
        self.optimizer.apply([v.value.grad for v in self.trainable_weights],
                             self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        loss, y_pred = self._update(x, y, False)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {'loss': self.loss_tracker.result(), 'mae': self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def _functional(cls):
    inputs = keras.Input(shape=(8,))
    return cls(inputs, keras.layers.Dense(1)(inputs))


def test_own_train_step_with_compiled_loss_trains():
    model = _functional(CompiledLossModel)
    assert isinstance(model, keras.models.Functional) and isinstance(model, CompiledLossModel)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss='mse', metrics=['mae'])
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no torch warning about non-leaf .grad reads
        history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert list(history.history) == ['loss', 'mae']
    assert history.history['loss'][-1] < history.history['loss'][0]


def test_own_steps_and_metrics_property_drive_fit_and_evaluate():
    model = _functional(TrackerModel)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    x, y = _data()
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0, validation_split=0.25)
    assert list(history.history) == ['loss', 'mae', 'val_loss', 'val_mae']
    assert history.history['loss'][-1] < history.history['loss'][0]
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(result['loss'], np.mean((y - predicted) ** 2), rtol=1e-4)


def test_metrics_are_reset_every_epoch():
    model = _functional(TrackerModel)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # no learning: every epoch the same
    x, y = _data()
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history['loss'][0], history.history['loss'][1],
                               rtol=1e-6)


def test_super_train_step_runs_the_compiled_step():
    class Counting(keras.Model):
        calls = 0

        def train_step(self, data):
            Counting.calls += 1
            return super().train_step(data)
    model = _functional(Counting)
    model.compile(optimizer='adam', loss='mse')
    x, y = _data(32)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert Counting.calls == 4 and list(history.history) == ['loss']


def test_train_step_gets_x_alone_without_targets():
    seen = []

    class Unsupervised(keras.Model):
        def train_step(self, data):
            seen.append(type(data))
            self.zero_grad()
            loss = keras.ops.mean(keras.ops.square(self(data)))
            loss.backward()
            self.optimizer.apply([v.value.grad for v in self.trainable_weights],
                                 self.trainable_weights)
            return {'loss': loss}
    model = _functional(Unsupervised)
    model.compile(optimizer='sgd')
    model.fit(_data()[0], epochs=1, batch_size=32, verbose=0)
    assert seen and all(kind is torch.Tensor for kind in seen)


def test_a_train_step_that_returns_no_dict_names_the_method():
    class Bad(keras.Model):
        def train_step(self, data):
            return 1.0
    model = _functional(Bad)
    model.compile(optimizer='adam', loss='mse')
    with pytest.raises(TypeError, match=r'Bad.train_step\(data\) must return a dict'):
        model.fit(*_data(16), epochs=1, verbose=0)


def test_optimizer_apply_takes_keras_layout_gradients_of_weights():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    opt = keras.optimizers.SGD(1.0)
    kernel, bias = layer.weights
    before = layer.get_weights()[0].copy()
    opt.apply([np.ones((3, 2), 'float32'), None], [kernel, bias])  # bias has no gradient
    np.testing.assert_allclose(layer.get_weights()[0], before - 1.0, rtol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[1], [0.0, 0.0])
    before = layer.get_weights()[0].copy()
    opt.apply([torch.ones(3, 2)], [kernel])
    np.testing.assert_allclose(layer.get_weights()[0], before - 1.0, rtol=1e-6)


def test_weight_value_carries_the_keras_layout_gradient():
    layer = keras.layers.Dense(2)
    out = layer(torch.ones(4, 3)).sum()
    out.backward()
    kernel = layer.weights[0]
    assert kernel.value.shape == (3, 2) and torch.equal(kernel.value.grad, torch.full((3, 2), 4.0))


@pytest.mark.parametrize('call', [
    lambda self, s: self.add_weight((s[-1], 2), 'ones', name='w'),          # Keras 3 order
    lambda self, s: self.add_weight('w', (s[-1], 2), initializer='ones'),   # Keras 2 order
    lambda self, s: self.add_weight(name='w', shape=(s[-1], 2), initializer='ones'),
])
def test_add_weight_takes_either_argument_order(call):
    class Layer(keras.layers.Layer):
        def build(self, input_shape):
            self.w = call(self, input_shape)

        def call(self, x):
            return x @ self.w
    layer = Layer()
    torch.testing.assert_close(layer(torch.ones(1, 4)), torch.full((1, 2), 4.0))
    assert [w.name for w in layer.weights] == ['layer/w:0']


def test_add_weight_keras3_positional_trainable_and_errors():
    layer = keras.layers.Layer()
    frozen = layer.add_weight((3,), 'zeros', None, False)
    assert not layer.weights[0].trainable and frozen.shape == (3,)
    with pytest.raises(TypeError, match='two values'):
        layer.add_weight((2,), shape=(2,))
