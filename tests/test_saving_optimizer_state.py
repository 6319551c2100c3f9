"""Optimizer state in `.keras` archives: written as Keras 3 writes it, read back exactly.

- Round trip: train 2 epochs, save, load, train 1 more == 3 epochs without stopping, for
  every Keras optimizer (weights equal to 1e-6; in practice bit for bit).
- The ``optimizer/vars`` layout (order, shapes, dtypes) is the one real Keras 3.15 writes
  for the same model; the expected shapes below were read from files Keras 3 wrote
  (tests/test_saving_optimizer_interop.py checks them against real Keras where it exists).
- tf_keras's layout (no learning-rate variable, no Nadam product) and an unbuilt optimizer's
  (scalars only) are read too; anything else loads the weights and warns, as Keras does.
"""
import io
import json
import zipfile

import h5py
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, optimizers
from optimizer_state_helpers import (OPTIMIZERS, RNG, X_FLAT, Y_FLAT, compiled as _compiled,
                                     fit as _fit,
                                     load_recording_optimizer_warnings as _load_quietly,
                                     max_difference as _max_difference,
                                     recurrent_model as _recurrent_model)
from torchkeras.saving import keras_v3


# ------------------------------------------------------------------------------ helpers
def _dense_model():
    inputs = torchkeras.Input((3,))
    hidden = layers.Dense(4)(inputs)
    return torchkeras.Model(inputs, layers.Dense(2)(hidden))


def _optimizer_datasets(path):
    """[(shape, dtype)] of the archive's optimizer/vars, in numeric order."""
    with zipfile.ZipFile(path) as archive:
        weights = archive.read('model.weights.h5')
    with h5py.File(io.BytesIO(weights), 'r') as h5file:
        if 'optimizer' not in h5file:
            return None
        group = h5file['optimizer/vars']
        keys = sorted(group.keys(), key=int)
        return [(group[k].shape, str(group[k].dtype)) for k in keys]


def _rewrite_archive(path, new_path, edit_weights=None, edit_config=None):
    """Copy a `.keras` archive, editing its weights file (h5py) and/or config dict."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if edit_weights is not None:
        buffer = io.BytesIO(members['model.weights.h5'])
        with h5py.File(buffer, 'r+') as h5file:
            edit_weights(h5file)
        members['model.weights.h5'] = buffer.getvalue()
    if edit_config is not None:
        config = json.loads(members['config.json'])
        edit_config(config)
        members['config.json'] = json.dumps(config)
    with zipfile.ZipFile(new_path, 'w') as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return new_path


def _keep_optimizer_vars(indices):
    """An edit that keeps only these optimizer/vars entries, renumbered from 0."""
    def edit(h5file):
        group = h5file['optimizer/vars']
        values = [np.asarray(group[str(i)]) for i in indices]
        for key in list(group.keys()):
            del group[key]
        for index, value in enumerate(values):
            group.create_dataset(str(index), data=value)
    return edit


def _trained_and_saved(tmp_path, make_optimizer, build=_dense_model, x=X_FLAT, y=Y_FLAT):
    model = _compiled(build, make_optimizer)
    _fit(model, 1, x, y)
    path = str(tmp_path / 'model.keras')
    model.save(path)
    return model, path


# ---------------------------------------------------------------------------- round trip
@pytest.mark.parametrize('name', sorted(OPTIMIZERS))
def test_fit_continues_after_load_as_if_never_stopped(name, tmp_path):
    make = OPTIMIZERS[name]
    initial = _recurrent_model().get_weights()
    straight = _compiled(_recurrent_model, make, initial)
    _fit(straight, 3)
    first = _compiled(_recurrent_model, make, initial)
    _fit(first, 2)
    path = str(tmp_path / 'model.keras')
    first.save(path)
    loaded, warned = _load_quietly(path)
    assert warned == []
    assert loaded.optimizer.iterations == first.optimizer.iterations
    _fit(loaded, 1)
    assert loaded.optimizer.iterations == straight.optimizer.iterations
    assert _max_difference(loaded.get_weights(), straight.get_weights()) <= 1e-6


def test_fit_continues_with_a_frozen_layer(tmp_path):
    def build():
        model = _dense_model()
        model.layers[1].trainable = False
        return model
    initial = build().get_weights()
    straight = _compiled(build, OPTIMIZERS['adam'], initial)
    _fit(straight, 3, X_FLAT, Y_FLAT)
    first = _compiled(build, OPTIMIZERS['adam'], initial)
    _fit(first, 2, X_FLAT, Y_FLAT)
    path = str(tmp_path / 'model.keras')
    first.save(path)
    # Keras keeps slots for trainable variables only: the last Dense's kernel and bias
    assert [shape for shape, _ in _optimizer_datasets(path)] == [
        (), (), (4, 2), (4, 2), (2,), (2,)]
    loaded, warned = _load_quietly(path)
    loaded.layers[1].trainable = False
    _fit(loaded, 1, X_FLAT, Y_FLAT)
    assert warned == []
    assert _max_difference(loaded.get_weights(), straight.get_weights()) <= 1e-6


# --------------------------------------------------------------------------- file layout
_SCALARS = [((), 'int64'), ((), 'float32')]
_PER_WEIGHT = [(3, 4), (4,), (4, 2), (2,)]


def _interleaved(count):
    return [(shape, 'float32') for shape in _PER_WEIGHT for _ in range(count)]


def _passes(count):
    return [(shape, 'float32') for _ in range(count) for shape in _PER_WEIGHT]


# What Keras 3.15 (TF backend) writes for Dense(3 -> 4) -> Dense(4 -> 2) after training.
KERAS3_LAYOUTS = {
    'sgd_momentum': _SCALARS + _interleaved(1),
    'rmsprop': _SCALARS + _passes(1),
    'rmsprop_centered_momentum': _SCALARS + _passes(3),  # velocities, momentums, averages
    'adam': _SCALARS + _interleaved(2),                   # m0 v0 m1 v1 ...
    'adam_amsgrad': _SCALARS + _interleaved(2) + _passes(1),  # ... then velocity_hat
    'adamw': _SCALARS + _interleaved(2),
    'adagrad': _SCALARS + _interleaved(1),
    'adadelta': _SCALARS + _interleaved(2),
    'adamax': _SCALARS + _interleaved(2),
    'nadam': _SCALARS + _interleaved(2) + [((), 'float32')],  # u_product last
    'ftrl': _SCALARS + _interleaved(2),
    'adam_schedule': _SCALARS[:1] + _interleaved(2),      # no learning-rate variable
}


@pytest.mark.parametrize('name', sorted(KERAS3_LAYOUTS))
def test_optimizer_variables_are_written_in_keras3_layout(name, tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS[name])
    assert _optimizer_datasets(path) == KERAS3_LAYOUTS[name]


def test_written_values_are_keras_layout_slots_and_scalars(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    optimizer = model.optimizer
    with zipfile.ZipFile(path) as archive:
        h5file = h5py.File(io.BytesIO(archive.read('model.weights.h5')), 'r')
    group = h5file['optimizer/vars']
    assert int(group['0'][()]) == optimizer.iterations == 2
    assert group['1'][()] == np.float32(0.01)
    kernel = model.layers[1].trainable_weights[0]          # Keras (3, 4), torch (4, 3)
    torch_kernel = kernel.tensors[0]
    np.testing.assert_array_equal(group['2'][()],
                                  optimizer.slot(torch_kernel, 'momentum').numpy().T)
    np.testing.assert_array_equal(group['3'][()],
                                  optimizer.slot(torch_kernel, 'velocity').numpy().T)
    assert group.attrs['name'] == optimizer.name


def test_nadam_u_product_is_the_keras3_per_step_product(tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS['nadam'])
    with zipfile.ZipFile(path) as archive:
        h5file = h5py.File(io.BytesIO(archive.read('model.weights.h5')), 'r')
    u = [0.9 * (1.0 - 0.5 * 0.96 ** t) for t in (1, 2)]
    np.testing.assert_allclose(h5file['optimizer/vars/10'][()], u[0] * u[1], rtol=1e-6)


def test_unbuilt_optimizer_is_saved_as_its_scalars_and_loads_silently(tmp_path):
    model = _compiled(_dense_model, OPTIMIZERS['adam'])
    path = str(tmp_path / 'model.keras')
    model.save(path)
    assert _optimizer_datasets(path) == _SCALARS
    loaded, warned = _load_quietly(path)
    assert warned == [] and loaded.optimizer.iterations == 0
    _fit(loaded, 1, X_FLAT, Y_FLAT)


def test_include_optimizer_false_and_uncompiled_models_write_no_optimizer(tmp_path):
    model, _ = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    path = str(tmp_path / 'no_optimizer.keras')
    model.save(path, include_optimizer=False)
    assert _optimizer_datasets(path) is None
    loaded, warned = _load_quietly(path)
    assert warned == [] and loaded.optimizer.iterations == 0
    plain = _dense_model()
    plain.save(str(tmp_path / 'plain.keras'))
    assert _optimizer_datasets(str(tmp_path / 'plain.keras')) is None


def test_compile_false_ignores_the_optimizer(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    loaded, warned = _load_quietly(path, compile=False)
    assert warned == []
    assert getattr(loaded, 'optimizer', None) is None
    assert _max_difference(loaded.get_weights(), model.get_weights()) == 0


def test_keras3_optimizer_config_has_no_tf_keras_only_keys(tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read('config.json'))
    saved = config['compile_config']['optimizer']
    assert saved['class_name'] == 'Adam'
    assert 'jit_compile' not in saved['config']
    assert 'is_legacy_optimizer' not in saved['config']
    loaded, _ = _load_quietly(path)
    assert type(loaded.optimizer) is optimizers.Adam  # not the legacy class


def test_torch_optimizer_state_is_not_saved_and_says_so(tmp_path):
    model = _dense_model()
    model.compile(optimizer=torch.optim.Adam, loss='mse')
    _fit(model, 1, X_FLAT, Y_FLAT)
    path = str(tmp_path / 'model.keras')
    with pytest.warns(UserWarning, match='optimizer state was not saved'):
        model.save(path)
    assert _optimizer_datasets(path) is None


# ------------------------------------------------------------ tf_keras and other layouts
@pytest.mark.parametrize('name', ['adam', 'rmsprop_centered_momentum', 'nadam', 'ftrl'])
def test_tf_keras_layout_is_read(name, tmp_path):
    """tf_keras 2.21 keeps no learning-rate variable (and no Nadam product)."""
    make = OPTIMIZERS[name]
    initial = _dense_model().get_weights()
    straight = _compiled(_dense_model, make, initial)
    _fit(straight, 3, X_FLAT, Y_FLAT)
    first = _compiled(_dense_model, make, initial)
    _fit(first, 2, X_FLAT, Y_FLAT)
    path = str(tmp_path / 'keras3.keras')
    first.save(path)
    count = len(_optimizer_datasets(path))
    slots = range(2, count - 1 if name == 'nadam' else count)
    tf_keras_path = _rewrite_archive(path, str(tmp_path / 'tf_keras.keras'),
                                     _keep_optimizer_vars([0] + list(slots)))
    loaded, warned = _load_quietly(tf_keras_path)
    assert warned == []
    assert loaded.optimizer.iterations == first.optimizer.iterations
    _fit(loaded, 1, X_FLAT, Y_FLAT)
    assert _max_difference(loaded.get_weights(), straight.get_weights()) <= 1e-6


def test_saved_learning_rate_change_is_restored(tmp_path):
    model = _compiled(_dense_model, OPTIMIZERS['adam'])
    _fit(model, 1, X_FLAT, Y_FLAT)
    model.optimizer.learning_rate = 0.002  # e.g. ReduceLROnPlateau; the config still says 0.01
    path = str(tmp_path / 'model.keras')
    model.save(path)
    loaded, _ = _load_quietly(path)
    assert loaded.optimizer.learning_rate == pytest.approx(0.002)


def test_tf_keras_metrics_group_is_not_a_layer(tmp_path):
    """tf_keras archives also hold ``metrics/<name>/vars`` (the compiled loss tracker)."""
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])

    def add_metrics(h5file):
        group = h5file.require_group('metrics/mean/vars')
        group.create_dataset('0', data=np.float32(3.0))
        group.create_dataset('1', data=np.float32(2.0))
    edited = _rewrite_archive(path, str(tmp_path / 'metrics.keras'), add_metrics)
    loaded, warned = _load_quietly(edited)
    assert warned == [] and loaded.optimizer.iterations == 2


# ---------------------------------------------------------------------------- mismatches
def _assert_skipped_but_weights_loaded(path, model):
    with pytest.warns(UserWarning, match='Skipping variable loading for optimizer') as caught:
        loaded = torchkeras.models.load_model(path)
    assert _max_difference(loaded.get_weights(), model.get_weights()) == 0
    assert loaded.optimizer.iterations == 0
    _fit(loaded, 1, X_FLAT, Y_FLAT)  # and it still trains, from a fresh optimizer
    return ' '.join(str(w.message) for w in caught)


def test_wrong_variable_count_warns_and_loads_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    edited = _rewrite_archive(path, str(tmp_path / 'short.keras'),
                              _keep_optimizer_vars([0, 1, 2, 3, 4]))
    message = _assert_skipped_but_weights_loaded(edited, model)
    assert 'has 10 variables whereas the saved optimizer has 5 variables' in message


def test_wrong_variable_shape_warns_and_loads_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])

    def transpose_first_slot(h5file):
        value = np.asarray(h5file['optimizer/vars/2'])
        del h5file['optimizer/vars/2']
        h5file['optimizer/vars'].create_dataset('2', data=value.T)
    edited = _rewrite_archive(path, str(tmp_path / 'shape.keras'), transpose_first_slot)
    message = _assert_skipped_but_weights_loaded(edited, model)
    assert 'saved variable 2 has shape (4, 3)' in message


def test_other_optimizer_in_the_config_warns_and_loads_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])

    def plain_sgd(config):
        config['compile_config']['optimizer'] = {
            'module': 'keras.optimizers', 'class_name': 'SGD',
            'config': {'learning_rate': 0.01}, 'registered_name': None}
    edited = _rewrite_archive(path, str(tmp_path / 'sgd.keras'), edit_config=plain_sgd)
    _assert_skipped_but_weights_loaded(edited, model)


def test_unreadable_optimizer_values_warn_and_load_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['sgd_momentum'])

    def text_iteration(h5file):
        del h5file['optimizer/vars/0']
        h5file['optimizer/vars'].create_dataset('0', data=np.array([1.0, 2.0]))
    edited = _rewrite_archive(path, str(tmp_path / 'odd.keras'), text_iteration)
    _assert_skipped_but_weights_loaded(edited, model)


def test_optimizer_arrays_follow_the_keras_order_of_the_weights():
    model = _compiled(_recurrent_model, OPTIMIZERS['sgd_momentum'])
    _fit(model, 1)
    arrays = keras_v3.optimizer_arrays(model)
    expected = [tuple(w.shape) for w in model.trainable_weights]
    assert [a.shape for a in arrays[2:]] == expected
    assert [a.shape for a in keras_v3.optimizer_arrays(model, tf_keras=True)[1:]] == expected


def test_tf_keras_sgd_without_momentum_unused_slots_are_read(tmp_path):
    """tf_keras 2.21's SGD at momentum=0 writes an (unused) 'm' per weight after its
    iteration: the state is restored (those slots ignored), not skipped with a warning."""
    initial = _dense_model().get_weights()
    make = lambda: optimizers.SGD(learning_rate=0.05)  # noqa: E731
    straight = _compiled(_dense_model, make, initial)
    _fit(straight, 3, X_FLAT, Y_FLAT)
    first = _compiled(_dense_model, make, initial)
    _fit(first, 2, X_FLAT, Y_FLAT)
    path = str(tmp_path / 'keras3.keras')
    first.save(path)
    shapes = [tuple(w.shape) for w in first.trainable_weights]

    def tf_keras_sgd(h5file):
        group = h5file['optimizer/vars']
        iteration = np.asarray(group['0'])
        for key in list(group.keys()):
            del group[key]
        group.create_dataset('0', data=iteration)
        for index, shape in enumerate(shapes, 1):  # tf_keras: -lr * the last gradient
            group.create_dataset(str(index), data=RNG.rand(*shape).astype('float32'))
    tf_keras_path = _rewrite_archive(path, str(tmp_path / 'tf_keras.keras'), tf_keras_sgd)
    assert len(_optimizer_datasets(tf_keras_path)) == 1 + len(shapes)
    loaded, warned = _load_quietly(tf_keras_path)
    assert warned == []
    assert loaded.optimizer.iterations == first.optimizer.iterations == 4
    _fit(loaded, 1, X_FLAT, Y_FLAT)
    assert _max_difference(loaded.get_weights(), straight.get_weights()) <= 1e-6


def _saved_compile_config(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read('config.json'))['compile_config']
    return {k: config[k] for k in ('run_eagerly', 'steps_per_execution', 'jit_compile')}


@pytest.mark.parametrize('settings, expected', [
    ({}, dict(run_eagerly=False, steps_per_execution=1, jit_compile=False)),
    (dict(run_eagerly=True, steps_per_execution=3),
     dict(run_eagerly=True, steps_per_execution=3, jit_compile=False)),
    (dict(jit_compile=True, steps_per_execution=2),
     dict(run_eagerly=False, steps_per_execution=2, jit_compile=True)),
])
def test_execution_settings_are_saved_as_keras3_and_restored(settings, expected, tmp_path):
    """compile_config holds the model's run_eagerly, steps_per_execution and jit_compile
    (resolved, as Keras 3.15 writes them); load_model(compile=True) compiles with them."""
    model = _dense_model()
    model.compile(optimizer='adam', loss='mse', **settings)
    path = str(tmp_path / 'model.keras')
    model.save(path)
    assert _saved_compile_config(path) == expected
    loaded = torchkeras.models.load_model(path)
    assert {k: getattr(loaded, k) for k in expected} == expected
    uncompiled = torchkeras.models.load_model(path, compile=False)
    assert uncompiled.steps_per_execution is None


def test_execution_settings_of_tf_keras_and_conflicting_files(tmp_path):
    """tf_keras writes None (the defaults); run_eagerly wins over jit_compile, as in Keras 3."""
    model = _dense_model()
    model.compile(optimizer='adam', loss='mse')
    path = str(tmp_path / 'model.keras')
    model.save(path)

    def settings(**values):
        return lambda config: config['compile_config'].update(values)
    tf_keras_path = _rewrite_archive(path, str(tmp_path / 'tf_keras.keras'), edit_config=settings(
        run_eagerly=None, steps_per_execution=None, jit_compile=None))
    loaded = torchkeras.models.load_model(tf_keras_path)
    assert (loaded.run_eagerly, loaded.steps_per_execution, loaded.jit_compile) == (
        False, 1, None)
    both_path = _rewrite_archive(path, str(tmp_path / 'both.keras'), edit_config=settings(
        run_eagerly=True, jit_compile=True))
    loaded = torchkeras.models.load_model(both_path)
    assert loaded.optimizer is not None
    assert (loaded.run_eagerly, loaded.jit_compile) == (True, False)
