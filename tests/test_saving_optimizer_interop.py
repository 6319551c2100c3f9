"""Optimizer state in `.keras` archives, checked against real Keras 3 and tf_keras 2.21.

Runs only where ``keras`` (Keras 3) and/or ``tf_keras`` import; skipped elsewhere (CI).

- Keras writes after 2 epochs -> torchkeras loads: the optimizer variables equal Keras's,
  and one more epoch in torchkeras equals one more epoch in Keras.
- torchkeras writes after 2 epochs -> Keras 3 ``load_model`` restores the optimizer
  (same variables), and one more epoch there equals one more epoch in torchkeras.
- torchkeras writes the Keras 3 layout (iteration, learning_rate, slots, extras); tf_keras
  keeps no learning-rate variable, so it loads the weights of such an archive and skips the
  optimizer (torchkeras reads both layouts).

Nadam: torchkeras follows tf_keras 2.11+, whose momentum-schedule product gains a factor per
variable, Keras 3 per step; the state transfers exactly, the next epoch differs by ~5e-5
(checked to 1e-3; a fresh optimizer would be off by ~3e-2).
"""
import io
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import torchkeras
from torchkeras.saving import keras_v3, optimizer_state

RNG = np.random.RandomState(0)
X = RNG.rand(24, 5, 3).astype('float32')
Y = RNG.rand(24, 2).astype('float32')

# (class name, arguments): the same optimizer in all three libraries
OPTIMIZERS = {
    'sgd_momentum': ('SGD', dict(learning_rate=0.05, momentum=0.9)),
    'rmsprop_centered_momentum': ('RMSprop', dict(learning_rate=0.01, momentum=0.5,
                                                  centered=True)),
    'adam': ('Adam', dict(learning_rate=0.01)),
    'adam_amsgrad': ('Adam', dict(learning_rate=0.01, amsgrad=True)),
    'adamw': ('AdamW', dict(learning_rate=0.01)),
    'adagrad': ('Adagrad', dict(learning_rate=0.05)),
    'adadelta': ('Adadelta', dict(learning_rate=1.0)),
    'adamax': ('Adamax', dict(learning_rate=0.01)),
    'nadam': ('Nadam', dict(learning_rate=0.01)),
    'ftrl': ('Ftrl', dict(learning_rate=0.05)),
}
NAMES = sorted(OPTIMIZERS)


@pytest.fixture(scope='module')
def keras3():
    keras = pytest.importorskip('keras')
    if int(keras.__version__.split('.')[0]) < 3:
        pytest.skip('needs Keras 3; found keras %s' % keras.__version__)
    return keras


@pytest.fixture(scope='module')
def tf_keras():
    pytest.importorskip('tensorflow')
    return pytest.importorskip('tf_keras')


# ------------------------------------------------------------------------------ helpers
def _model(keras):
    """Conv1D, GRU, LSTM, BatchNormalization, Dense, written once for every library."""
    inputs = keras.Input((5, 3))
    x = keras.layers.Conv1D(4, 2)(inputs)
    x = keras.layers.GRU(3, return_sequences=True)(x)
    x = keras.layers.LSTM(3)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def _optimizer(keras, name):
    class_name, kwargs = OPTIMIZERS[name]
    return getattr(keras.optimizers, class_name)(**kwargs)


def _compiled(keras, name, weights):
    keras.backend.clear_session()
    model = _model(keras)
    model.set_weights(weights)
    model.compile(optimizer=_optimizer(keras, name), loss='mse')
    return model


def _fit(model, epochs):
    model.fit(X, Y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)


def _keras_variables(model):
    return [np.asarray(v.numpy() if hasattr(v, 'numpy') else v) for v in
            model.optimizer.variables]


def _assert_arrays_close(actual, expected, atol):
    assert [np.shape(a) for a in actual] == [np.shape(e) for e in expected]
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(np.asarray(a, dtype=np.float64),
                                   np.asarray(e, dtype=np.float64), rtol=0, atol=atol)


def _continuation_tolerance(name):
    return 1e-3 if name == 'nadam' else 1e-5  # see the module docstring


def _optimizer_datasets(path):
    with zipfile.ZipFile(path) as archive:
        weights = archive.read('model.weights.h5')
    with h5py.File(io.BytesIO(weights), 'r') as h5file:
        group = h5file['optimizer/vars']
        return [(group[k].shape, group[k].dtype.kind) for k in sorted(group.keys(), key=int)]


@pytest.fixture(scope='module')
def initial_weights():
    torchkeras.backend.clear_session()
    return _model(torchkeras).get_weights()


def _ours_after_two_epochs(name, initial_weights, path):
    """torchkeras: 2 epochs, saved; (its optimizer arrays both ways, weights after 3)."""
    ours = _compiled(torchkeras, name, initial_weights)
    _fit(ours, 2)
    ours.save(path)
    arrays = keras_v3.optimizer_arrays(ours), keras_v3.optimizer_arrays(ours, tf_keras=True)
    _fit(ours, 1)
    return arrays, ours.get_weights()


def _keras_file_into_torchkeras(keras, name, initial_weights, path, tf_keras_layout):
    theirs = _compiled(keras, name, initial_weights)
    _fit(theirs, 2)
    theirs.save(path)
    saved = _keras_variables(theirs)
    _fit(theirs, 1)
    torchkeras.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ours = torchkeras.models.load_model(path)
    assert not [w for w in caught if 'optimizer' in str(w.message)]
    _assert_arrays_close(keras_v3.optimizer_arrays(ours, tf_keras=tf_keras_layout), saved,
                         atol=1e-6)
    _fit(ours, 1)
    _assert_arrays_close(ours.get_weights(), theirs.get_weights(),
                         atol=_continuation_tolerance(name))


# ------------------------------------------------------------------------------ Keras 3
@pytest.mark.parametrize('name', NAMES)
def test_keras3_archive_optimizer_state_loads_and_training_continues(
        keras3, name, initial_weights, tmp_path):
    _keras_file_into_torchkeras(keras3, name, initial_weights, str(tmp_path / 'k3.keras'),
                                tf_keras_layout=False)


@pytest.mark.parametrize('name', NAMES)
def test_torchkeras_archive_has_keras3_optimizer_layout(keras3, name, initial_weights,
                                                        tmp_path):
    ours_path, theirs_path = str(tmp_path / 'ours.keras'), str(tmp_path / 'k3.keras')
    _ours_after_two_epochs(name, initial_weights, ours_path)
    theirs = _compiled(keras3, name, initial_weights)
    _fit(theirs, 2)
    theirs.save(theirs_path)
    assert _optimizer_datasets(ours_path) == _optimizer_datasets(theirs_path)


@pytest.mark.parametrize('name', NAMES)
def test_torchkeras_archive_continues_training_in_keras3(keras3, name, initial_weights,
                                                         tmp_path):
    path = str(tmp_path / 'ours.keras')
    (arrays, _), after_three = _ours_after_two_epochs(name, initial_weights, path)
    keras3.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        theirs = keras3.models.load_model(path)
    assert not [w for w in caught if 'Skipping' in str(w.message)]
    assert type(theirs.optimizer).__name__ == OPTIMIZERS[name][0]
    _assert_arrays_close(_keras_variables(theirs), arrays, atol=1e-6)
    _fit(theirs, 1)
    _assert_arrays_close(theirs.get_weights(), after_three, atol=_continuation_tolerance(name))


# ------------------------------------------------------------------------------ tf_keras
@pytest.mark.parametrize('name', NAMES)
def test_tf_keras_archive_optimizer_state_loads_and_training_continues(
        tf_keras, name, initial_weights, tmp_path):
    _keras_file_into_torchkeras(tf_keras, name, initial_weights, str(tmp_path / 'tk.keras'),
                                tf_keras_layout=True)


@pytest.mark.parametrize('name', ['adam', 'rmsprop_centered_momentum', 'nadam'])
def test_tf_keras_layout_is_ours_without_the_keras3_scalars(tf_keras, name, initial_weights,
                                                            tmp_path):
    ours_path, theirs_path = str(tmp_path / 'ours.keras'), str(tmp_path / 'tk.keras')
    (_, tf_keras_arrays), _ = _ours_after_two_epochs(name, initial_weights, ours_path)
    theirs = _compiled(tf_keras, name, initial_weights)
    _fit(theirs, 2)
    theirs.save(theirs_path)
    assert _optimizer_datasets(theirs_path) == [(a.shape, a.dtype.kind) for a in tf_keras_arrays]


def test_tf_keras_loads_the_weights_of_a_torchkeras_archive_but_not_its_optimizer(
        tf_keras, initial_weights, tmp_path):
    """tf_keras cannot ``load_model`` a Keras 3 config.json at all; ``load_weights`` reads
    the layers, and skips the Keras 3 optimizer layout (one variable more than it has)."""
    path = str(tmp_path / 'ours.keras')
    _ours_after_two_epochs('adam', initial_weights, path)
    ours = torchkeras.models.load_model(path)
    theirs = _compiled(tf_keras, 'adam', initial_weights)
    theirs.optimizer.build(theirs.trainable_variables)
    theirs.load_weights(path)
    _assert_arrays_close(theirs.get_weights(), ours.get_weights(), atol=0)
    assert int(theirs.optimizer.iterations.numpy()) == 0


@pytest.mark.parametrize('kwargs', [dict(learning_rate=0.05),
                                    dict(learning_rate=0.05, momentum=0.9),
                                    dict(learning_rate=0.05, momentum=0.9, nesterov=True)])
def test_tf_keras_sgd_archive_with_its_unused_momentums_loads(tf_keras, kwargs, initial_weights,
                                                              tmp_path):
    """tf_keras's SGD at momentum=0 keeps an 'm' per weight it never reads: the archive's
    optimizer is read in ``optimizer_state.h5_layout`` (those slots ignored), not skipped."""
    path = str(tmp_path / 'tk_sgd.keras')
    tf_keras.backend.clear_session()
    theirs = _model(tf_keras)
    theirs.set_weights(initial_weights)
    theirs.compile(optimizer=tf_keras.optimizers.SGD(**kwargs), loss='mse')
    _fit(theirs, 2)
    theirs.save(path)
    saved = _keras_variables(theirs)
    _fit(theirs, 1)
    torchkeras.backend.clear_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        ours = torchkeras.models.load_model(path)
    assert not [w for w in caught if 'optimizer' in str(w.message)]
    optimizer = ours.optimizer
    assert optimizer.iterations == int(saved[0]) == 6
    layout = optimizer_state.h5_layout(optimizer, ours.trainable_weights)
    assert len(layout) == len(saved)
    used = [(entry, value) for entry, value in zip(layout, saved)
            if not isinstance(entry, optimizer_state.Unused)]
    assert len(used) == (1 if not kwargs.get('momentum') else len(saved))
    _assert_arrays_close(optimizer_state.layout_arrays(optimizer, [e for e, _ in used]),
                         [v for _, v in used], atol=1e-6)
    _fit(ours, 1)
    _assert_arrays_close(ours.get_weights(), theirs.get_weights(), atol=1e-5)
