"""Optimizer state in legacy full-model `.h5` files: written as tf_keras 2.21 writes it,
restored by `load_model(compile=True)` so that training continues exactly.

- Round trip: 2 epochs, save `.h5`, load, 1 more epoch == 3 epochs without stopping, for every
  Keras optimizer and every OptimizerV2 (`optimizers.legacy`) class.
- The `optimizer_weights` group (its `weight_names`, order, shapes, dtypes) is the one tf_keras
  2.21 writes; the expected tables below were read from files tf_keras wrote for the same
  model (tests/test_saving_h5_optimizer_interop.py checks them against real tf_keras).
- Files whose optimizer variables do not fit load the weights and warn with tf_keras's words;
  Keras 1/2-era files (standalone Keras, tf_keras `optimizer_v1`) are read as tf_keras does.
"""
import json

import h5py
import numpy as np
import pytest

import torchkeras
from torchkeras import layers, optimizers
from optimizer_state_helpers import OPTIMIZERS as SHARED_OPTIMIZERS
from optimizer_state_helpers import (X, X_FLAT, Y, Y_FLAT, compiled as _compiled, fit as _fit,
                                     load_recording_optimizer_warnings as _load,
                                     max_difference as _max_difference,
                                     recurrent_model as _recurrent_model)

TF_KERAS_WARNING = ('Error in loading the saved optimizer state. As a result, your model is '
                    'starting with a freshly initialized optimizer.')

OPTIMIZERS = {
    'sgd': lambda: optimizers.SGD(learning_rate=0.05),
    **SHARED_OPTIMIZERS,
    'legacy_sgd_momentum': lambda: optimizers.legacy.SGD(learning_rate=0.05, momentum=0.9),
    'legacy_rmsprop_centered_momentum': lambda: optimizers.legacy.RMSprop(
        momentum=0.5, centered=True),
    'legacy_adam': lambda: optimizers.legacy.Adam(learning_rate=0.01, decay=0.01),
    'legacy_adam_amsgrad': lambda: optimizers.legacy.Adam(learning_rate=0.01, amsgrad=True),
    'legacy_adagrad': lambda: optimizers.legacy.Adagrad(learning_rate=0.05),
    'legacy_adadelta': lambda: optimizers.legacy.Adadelta(learning_rate=1.0),
    'legacy_adamax': lambda: optimizers.legacy.Adamax(learning_rate=0.01),
    'legacy_nadam': lambda: optimizers.legacy.Nadam(learning_rate=0.01),
    'legacy_ftrl': lambda: optimizers.legacy.Ftrl(learning_rate=0.05),
}


# ------------------------------------------------------------------------------ helpers
def _dense_model():
    inputs = torchkeras.Input((3,))
    return torchkeras.Model(inputs, layers.Dense(2)(inputs))


def _decode(name):
    return name.decode('utf8') if isinstance(name, bytes) else str(name)


def _optimizer_weights(path):
    """[(name, shape, dtype)] of the file's optimizer_weights, or None without the group."""
    with h5py.File(path, 'r') as h5file:
        if 'optimizer_weights' not in h5file:
            return None
        group = h5file['optimizer_weights']
        names = [_decode(n) for n in group.attrs['weight_names']]
        return [(n, group[n].shape, str(group[n].dtype)) for n in names]


def _trained_and_saved(tmp_path, make_optimizer, build=_dense_model, x=X_FLAT, y=Y_FLAT):
    model = _compiled(build, make_optimizer)
    _fit(model, 1, x, y)
    path = str(tmp_path / 'model.h5')
    model.save(path)
    return model, path


def _rewrite_optimizer_weights(path, edit, training_config=None):
    """Replace the file's optimizer_weights by ``edit([(name, value)])``'s list."""
    with h5py.File(path, 'r+') as h5file:
        group = h5file['optimizer_weights']
        names = [_decode(n) for n in group.attrs['weight_names']]
        entries = edit([(n, np.asarray(group[n])) for n in names])
        del h5file['optimizer_weights']
        group = h5file.create_group('optimizer_weights')
        group.attrs['weight_names'] = [n.encode('utf8') for n, _ in entries]
        for name, value in entries:
            group.create_dataset(name, data=value)
        if training_config is not None:
            h5file.attrs['training_config'] = json.dumps(training_config).encode('utf8')


# ---------------------------------------------------------------------------- round trip
@pytest.mark.parametrize('name', sorted(OPTIMIZERS))
def test_fit_continues_after_load_as_if_never_stopped(name, tmp_path):
    make = OPTIMIZERS[name]
    initial = _recurrent_model().get_weights()
    straight = _compiled(_recurrent_model, make, initial)
    _fit(straight, 3)
    first = _compiled(_recurrent_model, make, initial)
    _fit(first, 2)
    path = str(tmp_path / 'model.h5')
    first.save(path)
    loaded, warned = _load(path)
    assert warned == []
    assert type(loaded.optimizer) is type(first.optimizer)
    assert loaded.optimizer.iterations == first.optimizer.iterations == 6
    _fit(loaded, 1)
    assert _max_difference(loaded.get_weights(), straight.get_weights()) <= 1e-6


def test_without_the_state_training_would_not_continue_the_same(tmp_path):
    """The round trip above is a real check: a fresh Adam ends elsewhere."""
    initial = _recurrent_model().get_weights()
    straight = _compiled(_recurrent_model, OPTIMIZERS['adam'], initial)
    _fit(straight, 3)
    first = _compiled(_recurrent_model, OPTIMIZERS['adam'], initial)
    _fit(first, 2)
    path = str(tmp_path / 'model.h5')
    first.save(path, include_optimizer=False)
    loaded, _ = _load(path)
    assert loaded.optimizer.iterations == 0
    _fit(loaded, 1)
    assert _max_difference(loaded.get_weights(), straight.get_weights()) > 1e-3


# --------------------------------------------------------------------------- file layout
def _scalar(name, dtype='int64'):
    return (name, (), dtype)


def _slots(pattern, kinds):
    """Slot datasets of Dense(3 -> 2): ``pattern % (kind, weight)`` per kind and weight."""
    shapes = {'kernel': (3, 2), 'bias': (2,)}
    return [(pattern % (kind, weight), shapes[weight], 'float32') for kind, weight in kinds]


def _interleaved(prefix, *kinds):
    """tf_keras >= 2.11: '<optimizer>/<slot>/<weight>:0', each weight's slots together."""
    return _slots(prefix + '/%s/dense/%s:0', [(k, w) for w in ('kernel', 'bias') for k in kinds])


def _passes(prefix, *kinds):
    """One pass over the weights per slot kind (tf_keras RMSprop)."""
    return _slots(prefix + '/%s/dense/%s:0', [(k, w) for k in kinds for w in ('kernel', 'bias')])


def _legacy(prefix, *kinds, **options):
    """OptimizerV2: '<optimizer>/<weight>/<slot>:0', one pass per kind (Ftrl: interleaved)."""
    order = ([(k, w) for w in ('kernel', 'bias') for k in kinds] if options.get('interleave')
             else [(k, w) for k in kinds for w in ('kernel', 'bias')])
    shapes = {'kernel': (3, 2), 'bias': (2,)}
    return [('%s/dense/%s/%s:0' % (prefix, w, k), shapes[w], 'float32') for k, w in order]


ITERATION = [_scalar('iteration:0')]

# What tf_keras 2.21 writes for Dense(3 -> 2) after training (see the module docstring).
TF_KERAS_LAYOUTS = {
    'sgd': ITERATION + _interleaved('SGD', 'm'),  # tf_keras keeps momentums even at 0
    'sgd_momentum': ITERATION + _interleaved('SGD', 'm'),
    'rmsprop': ITERATION + _passes('RMSprop', 'velocity'),
    'rmsprop_centered_momentum': ITERATION + _passes(
        'RMSprop', 'velocity', 'momentum', 'average_gradient'),
    'adam': ITERATION + _interleaved('Adam', 'm', 'v'),
    'adam_amsgrad': ITERATION + _interleaved('Adam', 'm', 'v') + _passes('Adam', 'vhat'),
    'adamw': ITERATION + _interleaved('AdamW', 'm', 'v'),
    'adagrad': ITERATION + _interleaved('Adagrad', 'accumulator'),
    'adadelta': ITERATION + _interleaved('Adadelta', 'accumulated_grad',
                                         'accumulated_delta_var'),
    'adamax': ITERATION + _interleaved('Adamax', 'm', 'u'),
    'nadam': ITERATION + _interleaved('Nadam', 'm', 'v'),
    'ftrl': ITERATION + _interleaved('Ftrl', 'accumulator', 'linear'),
    'adam_schedule': ITERATION + _interleaved('Adam', 'm', 'v'),
    'adam_ema': ITERATION + _passes('Adam', 'average') + _interleaved('Adam', 'm', 'v'),
    'legacy_sgd_momentum': [_scalar('SGD/iter:0')] + _legacy('SGD', 'momentum'),
    'legacy_rmsprop_centered_momentum': [_scalar('RMSprop/iter:0')] + _legacy(
        'RMSprop', 'rms', 'momentum', 'mg'),
    'legacy_adam': [_scalar('Adam/iter:0')] + _legacy('Adam', 'm', 'v'),
    'legacy_adam_amsgrad': [_scalar('Adam/iter:0')] + _legacy('Adam', 'm', 'v', 'vhat'),
    'legacy_adagrad': [_scalar('Adagrad/iter:0')] + _legacy('Adagrad', 'accumulator'),
    'legacy_adadelta': [_scalar('Adadelta/iter:0')] + _legacy('Adadelta', 'accum_grad',
                                                              'accum_var'),
    'legacy_adamax': [_scalar('Adamax/iter:0')] + _legacy('Adamax', 'm', 'v'),
    'legacy_nadam': [_scalar('Nadam/iter:0'), _scalar('Nadam/momentum_cache:0', 'float32')]
    + _legacy('Nadam', 'm', 'v'),
    'legacy_ftrl': [_scalar('Ftrl/iter:0')] + _legacy('Ftrl', 'accumulator', 'linear',
                                                      interleave=True),
}


@pytest.mark.parametrize('name', sorted(TF_KERAS_LAYOUTS))
def test_optimizer_weights_are_written_as_tf_keras_writes_them(name, tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS[name])
    assert _optimizer_weights(path) == TF_KERAS_LAYOUTS[name]


def test_slots_are_in_keras_layout_in_keras_weight_order(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'], _recurrent_model, X, Y)
    expected = [('iteration:0', (), 'int64')]
    for weight in model.trainable_weights:
        for slot in ('m', 'v'):
            expected.append(('Adam/%s/%s' % (slot, weight.name), tuple(weight.shape), 'float32'))
    assert _optimizer_weights(path) == expected
    # Keras layouts, as tf_keras writes them (torch keeps GRU biases apart, Dense transposed)
    assert [shape for _, shape, _ in expected[1::2]] == [
        (2, 3, 4), (4,), (4, 9), (3, 9), (2, 9), (3, 12), (3, 12), (12,), (3,), (3,),
        (3, 2), (2,)]


def test_written_values_are_the_step_count_and_keras_layout_slots(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['sgd_momentum'])
    kernel = model.layers[-1].trainable_weights[0]          # Keras (3, 2), torch (2, 3)
    momentum = model.optimizer.slot(kernel.tensors[0], 'momentum').numpy()
    with h5py.File(path, 'r') as h5file:
        group = h5file['optimizer_weights']
        assert group['iteration:0'][()] == model.optimizer.iterations == 2
        np.testing.assert_array_equal(group['SGD/m/dense/kernel:0'][()], momentum.T)
        assert 'iteration:0' in group and 'SGD' in group and 'm' in group['SGD']


def test_legacy_nadam_momentum_cache_is_the_schedule_product(tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS['legacy_nadam'])
    u = [0.9 * (1.0 - 0.5 * 0.96 ** (0.004 * t)) for t in (1, 2)]
    with h5py.File(path, 'r') as h5file:
        np.testing.assert_allclose(h5file['optimizer_weights/Nadam/momentum_cache:0'][()],
                                   u[0] * u[1], rtol=1e-6)


def test_optimizer_name_prefixes_the_variables(tmp_path):
    _, path = _trained_and_saved(tmp_path, lambda: optimizers.Adam(name='my_adam'))
    assert [n for n, _, _ in _optimizer_weights(path)][:2] == [
        'iteration:0', 'my_adam/m/dense/kernel:0']
    torchkeras.backend.clear_session()
    _, path = _trained_and_saved(tmp_path, lambda: optimizers.legacy.SGD(momentum=0.5,
                                                                         name='my_sgd'))
    assert [n for n, _, _ in _optimizer_weights(path)][:2] == [
        'my_sgd/iter:0', 'my_sgd/dense/kernel/momentum:0']


def test_unbuilt_optimizers_are_saved_as_tf_keras_saves_them(tmp_path):
    """tf_keras: an unbuilt optimizer has its step count only; an OptimizerV2 nothing."""
    path = str(tmp_path / 'model.h5')
    _compiled(_dense_model, OPTIMIZERS['adam']).save(path)
    assert _optimizer_weights(path) == ITERATION
    loaded, warned = _load(path)
    assert warned == [] and loaded.optimizer.iterations == 0
    _fit(loaded, 1, X_FLAT, Y_FLAT)
    _compiled(_dense_model, OPTIMIZERS['legacy_adam']).save(path)
    assert _optimizer_weights(path) is None


def test_include_optimizer_false_and_uncompiled_models_write_no_optimizer(tmp_path):
    model, _ = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    path = str(tmp_path / 'no_optimizer.h5')
    model.save(path, include_optimizer=False)
    assert _optimizer_weights(path) is None
    _dense_model().save(path)
    assert _optimizer_weights(path) is None


def test_an_optimizer_without_keras_layout_is_not_saved_and_warns(tmp_path):
    class Custom(optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.sub_(learning_rate * gradient)
    model = _compiled(_dense_model, lambda: Custom(learning_rate=0.1))
    _fit(model, 1, X_FLAT, Y_FLAT)
    path = str(tmp_path / 'model.h5')
    with pytest.warns(UserWarning, match='optimizer state was not saved'):
        model.save(path)
    assert _optimizer_weights(path) is None


# ------------------------------------------------------------------ files that do not fit
def _assert_fresh_optimizer_but_weights_loaded(path, model, **kwargs):
    loaded, warned = _load(path, **kwargs)
    assert len(warned) == 1 and warned[0].startswith(TF_KERAS_WARNING), warned
    assert path in warned[0]
    assert _max_difference(loaded.get_weights(), model.get_weights()) == 0
    assert loaded.optimizer.iterations == 0
    assert not any(np.any(a) for a in loaded.optimizer.get_weights() if a.ndim)  # fresh slots
    _fit(loaded, 1, X_FLAT, Y_FLAT)
    return warned[0]


def test_a_missing_variable_warns_as_tf_keras_and_loads_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    _rewrite_optimizer_weights(path, lambda entries: entries[:-1])
    message = _assert_fresh_optimizer_but_weights_loaded(path, model)
    assert 'the file holds 4 optimizer variables' in message and 'has 5' in message


def test_a_wrong_shape_warns_and_assigns_nothing(tmp_path):
    """Every value is checked before any is assigned: the step count stays 0."""
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])

    def torch_layout_kernel(entries):
        return [(n, v.T if v.ndim == 2 else v) for n, v in entries]
    _rewrite_optimizer_weights(path, torch_layout_kernel)
    message = _assert_fresh_optimizer_but_weights_loaded(path, model)
    assert 'saved variable 1 has shape (2, 3)' in message


def test_a_keras3_layout_with_its_learning_rate_is_not_mistaken(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])

    def with_learning_rate(entries):
        return entries[:1] + [('learning_rate:0', np.float32(0.01))] + entries[1:]
    _rewrite_optimizer_weights(path, with_learning_rate)
    _assert_fresh_optimizer_but_weights_loaded(path, model)


def test_unreadable_optimizer_weights_warn_and_load_the_weights(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    with h5py.File(path, 'r+') as h5file:
        del h5file['optimizer_weights/Adam/m/dense/kernel:0']
    _assert_fresh_optimizer_but_weights_loaded(path, model)


def test_compile_false_reads_no_optimizer(tmp_path):
    _, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    with h5py.File(path, 'r+') as h5file:
        del h5file['optimizer_weights/Adam/m/dense/kernel:0']
    loaded, warned = _load(path, compile=False)
    assert warned == [] and getattr(loaded, 'optimizer', None) is None


def test_a_file_from_a_different_optimizer_warns(tmp_path):
    model, path = _trained_and_saved(tmp_path, OPTIMIZERS['adam'])
    with h5py.File(path, 'r+') as h5file:
        config = json.loads(h5file.attrs['training_config'])
        config['optimizer_config'] = {'class_name': 'SGD', 'config': {
            'learning_rate': 0.01, 'momentum': 0.9, 'is_legacy_optimizer': False}}
        h5file.attrs['training_config'] = json.dumps(config).encode('utf8')
    loaded, warned = _load(path)
    assert len(warned) == 1 and warned[0].startswith(TF_KERAS_WARNING)
    assert loaded.optimizer.iterations == 0


# --------------------------------------------------------------- Keras 1/2-era files
def _keras2_training_config(class_name, **config):
    """A standalone Keras 2.2 training_config: no `is_legacy_optimizer`, 'lr'."""
    return {'loss': 'mse', 'metrics': [], 'weighted_metrics': None, 'loss_weights': None,
            'sample_weight_mode': None,
            'optimizer_config': {'class_name': class_name, 'config': config}}


def _keras2_names(entries):
    """Keras 2.2's names: 'Adam/iterations:0', then 'training/Variable_<i>:0'."""
    return [('%s/iterations:0' % name.split('/')[0] if np.ndim(value) == 0
             else 'training/Variable_%d:0' % index, value)
            for index, (name, value) in enumerate(entries)]


def test_keras2_adam_file_with_placeholder_vhats_restores(tmp_path):
    """Keras 2.2 Adam saves a (1,) vhat per weight even without amsgrad; tf_keras drops them."""
    make = lambda: optimizers.legacy.Adam(learning_rate=0.01)  # noqa: E731
    model, path = _trained_and_saved(tmp_path, make)
    expected = model.optimizer.get_weights()

    def keras2(entries):
        return _keras2_names(entries + [('vhat', np.zeros(1, 'float32'))] * 2)
    _rewrite_optimizer_weights(path, keras2, _keras2_training_config(
        'Adam', lr=0.01, beta_1=0.9, beta_2=0.999, decay=0.0, epsilon=1e-7, amsgrad=False))
    loaded, warned = _load(path)
    assert warned == [] and type(loaded.optimizer) is optimizers.legacy.Adam
    assert loaded.optimizer.iterations == 2
    assert _max_difference(loaded.optimizer.get_weights(), expected) == 0


@pytest.mark.parametrize('name', ['rmsprop', 'adagrad', 'adadelta'])
def test_keras2_files_without_a_step_count_restore_from_step_zero(name, tmp_path):
    """Keras 2.2 RMSprop / Adagrad / Adadelta keep no iterations: tf_keras starts at 0."""
    make = {'rmsprop': optimizers.legacy.RMSprop, 'adagrad': optimizers.legacy.Adagrad,
            'adadelta': optimizers.legacy.Adadelta}[name]
    model, path = _trained_and_saved(tmp_path, make)
    expected = model.optimizer.get_weights()[1:]
    class_name = type(model.optimizer).__name__
    _rewrite_optimizer_weights(path, lambda entries: _keras2_names(entries[1:]),
                               _keras2_training_config(class_name, lr=0.01, decay=0.0))
    loaded, warned = _load(path)
    assert warned == [] and loaded.optimizer.iterations == 0
    assert _max_difference(loaded.optimizer.get_weights()[1:], expected) == 0
    _fit(loaded, 1, X_FLAT, Y_FLAT)


def test_keras2_sgd_file_with_momentum_restores_and_without_warns(tmp_path):
    """Keras 2.2 SGD always saves its moments; OptimizerV2 SGD without momentum has none
    (tf_keras warns)."""
    model, path = _trained_and_saved(tmp_path, lambda: optimizers.legacy.SGD(momentum=0.9))
    expected = model.optimizer.get_weights()
    _rewrite_optimizer_weights(path, _keras2_names, _keras2_training_config(
        'SGD', lr=0.01, momentum=0.9, decay=0.0, nesterov=False))
    loaded, warned = _load(path)
    assert warned == [] and _max_difference(loaded.optimizer.get_weights(), expected) == 0
    _rewrite_optimizer_weights(path, lambda entries: entries, _keras2_training_config(
        'SGD', lr=0.01, momentum=0.0, decay=0.0, nesterov=False))
    _assert_fresh_optimizer_but_weights_loaded(path, model)


def test_keras1_adam_file_with_a_float_step_count_restores(tmp_path):
    """Keras 1 keeps ``iterations`` as a float32 scalar."""
    model, path = _trained_and_saved(tmp_path, optimizers.legacy.Adam)
    expected = model.optimizer.get_weights()

    def keras1(entries):
        return [(n, v.astype('float32')) for n, v in _keras2_names(entries)]
    _rewrite_optimizer_weights(path, keras1, _keras2_training_config(
        'Adam', lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.0))
    loaded, warned = _load(path)
    assert warned == [] and loaded.optimizer.iterations == 2
    assert _max_difference(loaded.optimizer.get_weights(), expected) == 0
