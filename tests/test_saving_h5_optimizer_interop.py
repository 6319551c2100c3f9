"""Optimizer state in legacy full-model `.h5` files, checked against real tf_keras 2.21.

Runs only where ``tf_keras`` imports; skipped elsewhere (CI).

- tf_keras writes after 2 epochs -> torchkeras ``load_model`` restores the optimizer (the same
  variables), one more epoch equals tf_keras's third epoch, and saving again writes the file
  tf_keras wrote (names, order, shapes, dtypes, values).
- torchkeras writes after 2 epochs -> tf_keras ``load_model`` restores the optimizer without
  its "Error in loading the saved optimizer state" warning (the same variables), one more epoch
  there equals torchkeras's third epoch, and tf_keras saving it again writes our layout.
- Keras 2-era files (tf_keras's ``optimizer_v1``, the standalone Keras 2.2 optimizers, written
  in graph mode by a subprocess) restore, or warn, exactly where tf_keras does, and training
  continues the same in both.

Nadam: tf_keras keeps its momentum-schedule product in a variable it does not save, so after
``load_model`` it starts again from 1, and its own save/load/fit differs from an uninterrupted
run by ~1e-2 (torchkeras derives the product from the step count, as the uninterrupted run
has it).  tf_keras continuing a torchkeras Nadam file is compared with tf_keras continuing
its own file, to 1e-3 (the two libraries' first two epochs already differ by ~1e-4 there).
"""
import json
import logging
import os
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

import torchkeras
from torchkeras.saving import optimizer_state

RNG = np.random.RandomState(0)
X = RNG.rand(24, 5, 3).astype('float32')
Y = RNG.rand(24, 2).astype('float32')
TF_KERAS_WARNING = 'Error in loading the saved optimizer state'

# name: (class name, arguments, OptimizerV2?): the same optimizer in both libraries
OPTIMIZERS = {
    'sgd': ('SGD', dict(learning_rate=0.05), False),
    'sgd_momentum': ('SGD', dict(learning_rate=0.05, momentum=0.9), False),
    'rmsprop_centered_momentum': ('RMSprop', dict(learning_rate=0.01, momentum=0.5,
                                                  centered=True), False),
    'adam': ('Adam', dict(learning_rate=0.01), False),
    'adam_amsgrad': ('Adam', dict(learning_rate=0.01, amsgrad=True), False),
    'adamw': ('AdamW', dict(learning_rate=0.01), False),
    'adagrad': ('Adagrad', dict(learning_rate=0.05), False),
    'adadelta': ('Adadelta', dict(learning_rate=1.0), False),
    'adamax': ('Adamax', dict(learning_rate=0.01), False),
    'nadam': ('Nadam', dict(learning_rate=0.01), False),
    'ftrl': ('Ftrl', dict(learning_rate=0.05), False),
    'legacy_sgd_momentum': ('SGD', dict(learning_rate=0.05, momentum=0.9), True),
    'legacy_rmsprop_centered_momentum': ('RMSprop', dict(learning_rate=0.01, momentum=0.5,
                                                         centered=True), True),
    'legacy_adam': ('Adam', dict(learning_rate=0.01), True),
    'legacy_adagrad': ('Adagrad', dict(learning_rate=0.05), True),
    'legacy_adadelta': ('Adadelta', dict(learning_rate=1.0), True),
    'legacy_adamax': ('Adamax', dict(learning_rate=0.01), True),
    'legacy_nadam': ('Nadam', dict(learning_rate=0.01), True),
    'legacy_ftrl': ('Ftrl', dict(learning_rate=0.05), True),
}
NAMES = sorted(OPTIMIZERS)


@pytest.fixture(scope='module')
def tf_keras():
    pytest.importorskip('tensorflow')
    return pytest.importorskip('tf_keras')


# ------------------------------------------------------------------------------ helpers
def _model(keras):
    """Conv1D, GRU, LSTM, BatchNormalization, a nested Sequential, Dense: every slot needs a
    layout conversion, and nested weights are named without their model ('hidden/kernel')."""
    inputs = keras.Input((5, 3))
    x = keras.layers.Conv1D(4, 2)(inputs)
    x = keras.layers.GRU(3, return_sequences=True)(x)
    x = keras.layers.LSTM(3)(x)
    x = keras.layers.BatchNormalization()(x)
    inner = keras.Sequential([keras.layers.Dense(4, input_shape=(3,), name='hidden')],
                             name='inner')
    return keras.Model(inputs, keras.layers.Dense(2)(inner(x)))


def _optimizer(keras, name):
    class_name, kwargs, legacy = OPTIMIZERS[name]
    module = keras.optimizers.legacy if legacy else keras.optimizers
    return getattr(module, class_name)(**kwargs)


def _compiled(keras, name, weights):
    keras.backend.clear_session()
    model = _model(keras)
    model.set_weights(weights)
    model.compile(optimizer=_optimizer(keras, name), loss='mse')
    return model


def _fit(model, epochs):
    model.fit(X, Y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)


def _tf_keras_variables(optimizer):
    variables = optimizer.variables
    variables = variables() if callable(variables) else variables  # OptimizerV2: a method
    return [np.asarray(v.numpy()) for v in variables]


def _our_variables(model):
    optimizer = model.optimizer
    layout = optimizer_state.h5_layout(optimizer, model.trainable_weights)
    return optimizer_state.layout_arrays(optimizer, layout)


def _without_unused(model, arrays):
    """tf_keras's SGD keeps 'm' slots at momentum=0 holding -lr * the last gradient, which
    it multiplies by 0; torchkeras keeps no such slot and writes zeros: not compared."""
    layout = optimizer_state.h5_layout(model.optimizer, model.trainable_weights)
    assert len(layout) == len(arrays)
    return [a for entry, a in zip(layout, arrays)
            if not isinstance(entry, optimizer_state.Unused)]


def _assert_arrays_close(actual, expected, atol):
    assert [np.shape(a) for a in actual] == [np.shape(e) for e in expected]
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64),
                                   np.asarray(e, dtype=np.float64), rtol=0, atol=atol)


def _decode(name):
    return name.decode('utf8') if isinstance(name, bytes) else str(name)


def _optimizer_weights(path):
    """([(name, shape, dtype)], [values]) of the file's optimizer_weights group."""
    with h5py.File(path, 'r') as h5file:
        group = h5file['optimizer_weights']
        names = [_decode(n) for n in group.attrs['weight_names']]
        return ([(n, group[n].shape, str(group[n].dtype)) for n in names],
                [np.asarray(group[n]) for n in names])


def _without_scope(layout, prefix):
    """tf_keras names the variables of an optimizer built by ``load_model`` (not inside its
    training step) without the optimizer's name scope: 'm/dense/kernel:0', 'iter:0'."""
    prefix += '/'
    return [(n[len(prefix):] if n.startswith(prefix) else n, shape, dtype)
            for n, shape, dtype in layout]


class _Messages(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _tf_keras_load(tf_keras, path):
    """tf_keras ``load_model`` and the optimizer warnings it logged."""
    tf_keras.backend.clear_session()
    handler = _Messages()
    logger = logging.getLogger('tensorflow')
    logger.addHandler(handler)
    try:
        model = tf_keras.models.load_model(path)
    finally:
        logger.removeHandler(handler)
    return model, [m for m in handler.messages if 'optimizer' in m]


def _torchkeras_load(path):
    torchkeras.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = torchkeras.models.load_model(path)
    return model, [str(w.message) for w in caught if 'optimizer' in str(w.message)]


@pytest.fixture(scope='module')
def initial_weights():
    torchkeras.backend.clear_session()
    return _model(torchkeras).get_weights()


# ------------------------------------------------------------ tf_keras -> torchkeras
@pytest.mark.parametrize('name', NAMES)
def test_tf_keras_h5_optimizer_state_restores_in_torchkeras(
        tf_keras, name, initial_weights, tmp_path):
    theirs_path, ours_path = str(tmp_path / 'theirs.h5'), str(tmp_path / 'ours.h5')
    theirs = _compiled(tf_keras, name, initial_weights)
    _fit(theirs, 2)
    theirs.save(theirs_path)
    saved = _tf_keras_variables(theirs.optimizer)
    _fit(theirs, 1)

    ours, warned = _torchkeras_load(theirs_path)
    assert warned == []
    assert type(ours.optimizer).__name__ == OPTIMIZERS[name][0]
    assert optimizer_state.is_legacy(ours.optimizer) == OPTIMIZERS[name][2]
    _assert_arrays_close(_without_unused(ours, _our_variables(ours)),
                         _without_unused(ours, saved), atol=1e-6)
    ours.save(ours_path)
    (their_layout, their_values), (our_layout, our_values) = (
        _optimizer_weights(theirs_path), _optimizer_weights(ours_path))
    assert our_layout == their_layout
    _assert_arrays_close(_without_unused(ours, our_values),
                         _without_unused(ours, their_values), atol=1e-6)
    _fit(ours, 1)
    _assert_arrays_close(ours.get_weights(), theirs.get_weights(), atol=1e-5)


# ------------------------------------------------------------ torchkeras -> tf_keras
@pytest.mark.parametrize('name', NAMES)
def test_torchkeras_h5_optimizer_state_restores_in_tf_keras(
        tf_keras, name, initial_weights, tmp_path):
    ours_path, theirs_path = str(tmp_path / 'ours.h5'), str(tmp_path / 'theirs.h5')
    ours = _compiled(torchkeras, name, initial_weights)
    _fit(ours, 2)
    ours.save(ours_path)
    our_layout, our_values = _optimizer_weights(ours_path)
    _fit(ours, 1)

    theirs, logged = _tf_keras_load(tf_keras, ours_path)
    assert not [m for m in logged if TF_KERAS_WARNING in m]
    assert type(theirs.optimizer).__name__ == OPTIMIZERS[name][0]
    assert ('legacy' in type(theirs.optimizer).__module__) == OPTIMIZERS[name][2]
    _assert_arrays_close(_tf_keras_variables(theirs.optimizer), our_values, atol=1e-6)
    theirs.save(theirs_path)
    assert _without_scope(_optimizer_weights(theirs_path)[0], ours.optimizer.name) == \
        _without_scope(our_layout, ours.optimizer.name)
    _fit(theirs, 1)
    if name == 'nadam':  # see the module docstring: tf_keras's own round trip is the reference
        expected = _tf_keras_round_trip(tf_keras, name, initial_weights, str(tmp_path / 'tk.h5'))
        _assert_arrays_close(theirs.get_weights(), expected, atol=1e-3)
    else:
        _assert_arrays_close(theirs.get_weights(), ours.get_weights(), atol=1e-5)


def _tf_keras_round_trip(tf_keras, name, initial_weights, path):
    """tf_keras alone: 2 epochs, save, load, 1 epoch; the weights."""
    model = _compiled(tf_keras, name, initial_weights)
    _fit(model, 2)
    model.save(path)
    model, _ = _tf_keras_load(tf_keras, path)
    _fit(model, 1)
    return model.get_weights()


def test_a_torchkeras_file_that_does_not_fit_warns_in_both(tf_keras, initial_weights,
                                                           tmp_path):
    """One variable short: tf_keras and torchkeras both load the weights and warn."""
    path = str(tmp_path / 'ours.h5')
    ours = _compiled(torchkeras, 'legacy_adam', initial_weights)
    _fit(ours, 1)
    ours.save(path)
    with h5py.File(path, 'r+') as h5file:
        group = h5file['optimizer_weights']
        names = [_decode(n) for n in group.attrs['weight_names']]
        group.attrs['weight_names'] = [n.encode('utf8') for n in names[:-1]]
    theirs, logged = _tf_keras_load(tf_keras, path)
    assert [m for m in logged if TF_KERAS_WARNING in m]
    again, warned = _torchkeras_load(path)
    assert len(warned) == 1 and warned[0].startswith(TF_KERAS_WARNING)
    _assert_arrays_close(again.get_weights(), theirs.get_weights(), atol=0)
    assert again.optimizer.iterations == int(theirs.optimizer.iterations.numpy()) == 0


# --------------------------------------------------------------- Keras 2-era files
_KERAS2_OPTIMIZERS = {
    'sgd': 'SGD(lr=0.05)',
    'sgd_momentum': 'SGD(lr=0.05, momentum=0.9)',
    'adam': 'Adam(lr=0.01)',
    'adam_amsgrad': 'Adam(lr=0.01, amsgrad=True)',
    'rmsprop': 'RMSprop(lr=0.01)',
    'adagrad': 'Adagrad(lr=0.05)',
    'adadelta': 'Adadelta(lr=1.0)',
    'adamax': 'Adamax(lr=0.01)',
    'nadam': 'Nadam(lr=0.01)',
}

_KERAS2_WRITER = r'''
import json, os, sys
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
import tf_keras as keras
from tf_keras.src.optimizers import optimizer_v1
out, optimizers = sys.argv[1], json.loads(sys.argv[2])
data = np.load(os.path.join(out, 'data.npz'))
for name, call in optimizers.items():
    keras.backend.clear_session()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(4)(inputs)))
    model.set_weights([data['w%d' % i] for i in range(4)])
    model.compile(eval('optimizer_v1.' + call), 'mse')
    model.fit(data['x'], data['y'], epochs=2, batch_size=4, shuffle=False, verbose=0)
    model.save(os.path.join(out, name + '.h5'))
'''


@pytest.fixture(scope='module')
def keras2_files(tf_keras, tmp_path_factory):
    """Files written by tf_keras's Keras 2.2 optimizers (graph mode, so in a subprocess)."""
    out = str(tmp_path_factory.mktemp('keras2'))
    rng = np.random.RandomState(1)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    arrays = {'w%d' % i: rng.randn(*s).astype('float32') for i, s in enumerate(shapes)}
    np.savez(os.path.join(out, 'data.npz'), x=rng.rand(16, 3).astype('float32'),
             y=rng.rand(16, 2).astype('float32'), **arrays)
    subprocess.run([sys.executable, '-c', _KERAS2_WRITER, out, json.dumps(_KERAS2_OPTIMIZERS)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


@pytest.mark.parametrize('name', sorted(_KERAS2_OPTIMIZERS))
def test_keras2_h5_optimizer_state_loads_as_in_tf_keras(tf_keras, keras2_files, name):
    path = os.path.join(keras2_files, name + '.h5')
    data = np.load(os.path.join(keras2_files, 'data.npz'))
    theirs, logged = _tf_keras_load(tf_keras, path)
    ours, warned = _torchkeras_load(path)
    assert bool(warned) == any(TF_KERAS_WARNING in m for m in logged)
    assert len(warned) <= 1 and all(m.startswith(TF_KERAS_WARNING) for m in warned)
    assert optimizer_state.is_legacy(ours.optimizer)
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations.numpy())
    _assert_arrays_close(_our_variables(ours), _tf_keras_variables(theirs.optimizer), atol=1e-6)
    for model in (theirs, ours):
        model.fit(data['x'], data['y'], epochs=1, batch_size=4, shuffle=False, verbose=0)
    _assert_arrays_close(ours.get_weights(), theirs.get_weights(), atol=1e-6)
