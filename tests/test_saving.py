"""Weight and model files: real-Keras files read, torchkeras files round-tripped.

- Every case of the reference kit whose layers exist: ``load_weights`` of the Keras 2 and
  Keras 3 weight files and ``load_model`` of both model files reproduce ``io.npz``.
- Vendored fixtures (tests/data/saving) so real-Keras files are always tested.
- Round trips: save in every format, load, identical weights and predictions.
- Keras 1 / cuDNN conversions, split attributes, by_name / skip_mismatch, file layouts.
- get_config -> from_config for every layer class torchkeras.layers exports.
Expected values come from the kit's files (written by tf_keras / Keras 3) or from numpy.
"""
import functools
import importlib.util
import inspect
import json
import os
import re

import h5py
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.saving import hdf5, keras_v3, serialization

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, 'data', 'saving')
KIT = os.path.abspath(os.path.join(HERE, '..', '..', 'shared', 'keras_reference'))
KIT_FILES = ['weights_keras2.h5', 'weights_keras3.weights.h5', 'model_keras2.h5',
             'model_keras3.keras']


# ------------------------------------------------------------------------------ helpers
def _kit_case_names():
    index = os.path.join(KIT, 'fixtures', 'index.json')
    if not os.path.exists(index):
        return []
    with open(index) as f:
        return sorted(json.load(f))


@functools.lru_cache(maxsize=None)
def _kit_cases(kit_dir):
    spec = importlib.util.spec_from_file_location('kit_cases', os.path.join(kit_dir, 'cases.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def missing_layers(build):
    """Layer classes a case uses that torchkeras.layers does not export (yet)."""
    used = set(re.findall(r'layers\.([A-Za-z_0-9]+)', inspect.getsource(build)))
    return sorted(name for name in used if not hasattr(layers, name))


def skip_if_missing(build):
    missing = missing_layers(build)
    if missing:
        pytest.skip('torchkeras.layers has no %s yet' % ', '.join(missing))


def _has_trainer():
    try:
        from torchkeras.training import trainer  # noqa: F401
    except ImportError:
        return False
    return hasattr(trainer, 'predict')


def _as_numpy_list(outputs):
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return [o.detach().cpu().numpy() if isinstance(o, torch.Tensor) else np.asarray(o)
            for o in outputs]


def predict(model, inputs, batch_size=32, stateful=False):
    """``model.predict`` once the trainer exists, else the model in eval mode under no_grad."""
    if stateful and hasattr(model, 'reset_states'):
        model.reset_states()
    if _has_trainer():
        x = list(inputs) if len(inputs) > 1 else inputs[0]
        return _as_numpy_list(model.predict(x, batch_size=batch_size, verbose=0))
    model.eval()
    with torch.no_grad():
        return _as_numpy_list(model(*[torch.as_tensor(x) for x in inputs]))


def read_io(case_dir):
    with open(os.path.join(case_dir, 'meta.json')) as f:
        meta = json.load(f)
    with np.load(os.path.join(case_dir, 'io.npz')) as data:
        inputs = [data[i['key']] for i in meta['io']['inputs']]
        outputs = [data[o['key']] for o in meta['io']['outputs']]
    inputs = [x.astype(np.float32) if x.dtype in (np.float16, np.float64) else x for x in inputs]
    return meta, inputs, outputs


def assert_outputs(got, expected, atol=1e-5, rtol=1e-4):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=atol, rtol=rtol)


def model_from_file(build, case_dir, filename):
    torchkeras.backend.clear_session()
    path = os.path.join(case_dir, filename)
    if filename.startswith('model'):
        return torchkeras.models.load_model(path)
    model = build(torchkeras)
    model.load_weights(path)
    return model


# ------------------------------------------------------------- the reference kit's files
@pytest.mark.parametrize('filename', KIT_FILES)
@pytest.mark.parametrize('case', _kit_case_names() or ['<no kit>'])
def test_kit_files_reproduce_keras_predictions(kit_dir, case, filename):
    build = _kit_cases(kit_dir)[case]
    skip_if_missing(build)
    case_dir = os.path.join(kit_dir, 'fixtures', case)
    if not os.path.exists(os.path.join(case_dir, filename)):
        pytest.skip('%s has no %s (the kit explains why in meta.json)' % (case, filename))
    meta, inputs, expected = read_io(case_dir)
    model = model_from_file(build, case_dir, filename)
    got = predict(model, inputs, meta['io']['batch_size'], meta['io'].get('stateful', False))
    assert_outputs(got, expected, meta['io']['atol'], meta['io']['rtol'])


# ------------------------------------------------------------------- vendored fixtures
def functional_mlp_64_32_32_10(keras):
    input_tensor = keras.Input(shape=(64,))
    x = keras.layers.Dense(32, activation='relu')(input_tensor)
    x = keras.layers.Dense(32, activation='relu')(x)
    output_tensor = keras.layers.Dense(10, activation='softmax')(x)
    return keras.models.Model(input_tensor, output_tensor)


def seq_lstm_input_shape(keras):
    model = keras.models.Sequential()
    model.add(keras.layers.LSTM(32, input_shape=(10, 64)))
    return model


def mlp_dropout_tanh_softmax(keras):
    model = keras.models.Sequential()
    model.add(keras.layers.Dense(64, input_dim=20, kernel_initializer='uniform'))
    model.add(keras.layers.Activation('tanh'))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(64, kernel_initializer='uniform'))
    model.add(keras.layers.Activation('tanh'))
    model.add(keras.layers.Dropout(0.5))
    model.add(keras.layers.Dense(10, kernel_initializer='uniform'))
    model.add(keras.layers.Activation('softmax'))
    return model


VENDORED = [functional_mlp_64_32_32_10, seq_lstm_input_shape, mlp_dropout_tanh_softmax]


@pytest.mark.parametrize('filename', KIT_FILES)
@pytest.mark.parametrize('build', VENDORED, ids=lambda fn: fn.__name__)
def test_vendored_keras_files(build, filename):
    skip_if_missing(build)
    case_dir = os.path.join(DATA, build.__name__)
    meta, inputs, expected = read_io(case_dir)
    model = model_from_file(build, case_dir, filename)
    assert_outputs(predict(model, inputs, meta['io']['batch_size']), expected)


def test_loaded_model_keeps_keras_names_and_structure():
    model = torchkeras.models.load_model(os.path.join(DATA, 'functional_mlp_64_32_32_10',
                                                      'model_keras2.h5'))
    assert [layer.name for layer in model.layers] == ['input_1', 'dense', 'dense_1', 'dense_2']
    assert model.count_params() == 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    assert model.layers[3].activation is torchkeras.activations.softmax


# ---------------------------------------------------------------------------- round trips
def _randomize(model, seed=0):
    """Distinct random values in every weight, so a mix-up cannot go unnoticed."""
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(0.1, 1.0, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])


def _random_inputs(model, meta_inputs):
    rng = np.random.RandomState(1)
    return [x if not np.issubdtype(x.dtype, np.floating) else
            rng.standard_normal(x.shape).astype(np.float32) for x in meta_inputs]


ROUND_TRIPS = [('weights', 'w.weights.h5'), ('weights', 'w.h5'), ('weights', 'w.pt'),
               ('weights', 'w.pth'), ('weights', 'w.safetensors'), ('weights', 'w.keras'),
               ('model', 'm.keras'), ('model', 'm.h5')]


def _round_trip(build, kind, filename, tmp_path):
    torchkeras.backend.clear_session()
    model = build(torchkeras)
    _randomize(model)
    path = str(tmp_path / filename)
    if kind == 'weights':
        model.save_weights(path)
        torchkeras.backend.clear_session()
        loaded = build(torchkeras)
        loaded.load_weights(path)
    else:
        model.save(path)
        torchkeras.backend.clear_session()
        loaded = torchkeras.models.load_model(path)
    return model, loaded


def _check_same(model, loaded, inputs, batch_size=32, stateful=False):
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(model.get_weights()) == len(loaded.get_weights())
    for a, b in zip(predict(model, inputs, batch_size, stateful),
                    predict(loaded, inputs, batch_size, stateful)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize('kind,filename', ROUND_TRIPS, ids=[f for _, f in ROUND_TRIPS])
@pytest.mark.parametrize('build', VENDORED, ids=lambda fn: fn.__name__)
def test_round_trip_vendored(build, kind, filename, tmp_path):
    skip_if_missing(build)
    if filename.endswith('.safetensors'):
        pytest.importorskip('safetensors')
    _, inputs, _ = read_io(os.path.join(DATA, build.__name__))
    model, loaded = _round_trip(build, kind, filename, tmp_path)
    _check_same(model, loaded, _random_inputs(model, inputs))


@pytest.mark.parametrize('kind,filename', ROUND_TRIPS, ids=[f for _, f in ROUND_TRIPS])
@pytest.mark.parametrize('case', _kit_case_names() or ['<no kit>'])
def test_round_trip_kit_cases(kit_dir, case, kind, filename, tmp_path):
    build = _kit_cases(kit_dir)[case]
    skip_if_missing(build)
    if filename.endswith('.safetensors'):
        pytest.importorskip('safetensors')
    meta, inputs, _ = read_io(os.path.join(kit_dir, 'fixtures', case))
    stateful = meta['io'].get('stateful', False)
    if stateful and not _has_trainer():
        pytest.skip('stateful model: needs model.predict with its fixed batch size')
    model, loaded = _round_trip(build, kind, filename, tmp_path)
    _check_same(model, loaded, _random_inputs(model, inputs), meta['io']['batch_size'], stateful)


def test_saved_files_are_what_keras_writes(tmp_path):
    model = functional_mlp_64_32_32_10(torchkeras)
    model.save_weights(str(tmp_path / 'w.h5'))
    with h5py.File(str(tmp_path / 'w.h5'), 'r') as f:
        assert hdf5.load_attributes(f, 'layer_names') == ['input_1', 'dense', 'dense_1', 'dense_2']
        assert hdf5.load_attributes(f['dense'], 'weight_names') == ['dense/kernel:0',
                                                                    'dense/bias:0']
        assert f['dense/dense/kernel:0'].shape == (64, 32)
        assert hdf5.load_attributes(f['input_1'], 'weight_names') == []
        assert 'top_level_model_weights' in f
        assert f.attrs['keras_version'] in (b'2.21.0', '2.21.0')
    model.save_weights(str(tmp_path / 'w.weights.h5'))
    with h5py.File(str(tmp_path / 'w.weights.h5'), 'r') as f:
        assert sorted(f['layers']) == ['dense', 'dense_1', 'dense_2', 'input_layer']
        assert f['layers/dense_2/vars/0'].shape == (32, 10)
        assert f['layers/dense_2/vars'].attrs['name'] == 'dense_2'
        assert f['vars'].attrs['name'] == model.name


def test_keras3_keys_follow_class_counters_not_names(tmp_path):
    inputs = torchkeras.Input(shape=(4,))
    hidden = layers.Dense(3, name='hidden')(inputs)
    out = layers.Dense(2, name='out')(hidden)
    model = torchkeras.Model(inputs, out)
    paths = [entry.vars_path for entry in keras_v3.weight_entries(model)]
    assert paths == ['vars', 'layers/input_layer/vars', 'layers/dense/vars',
                     'layers/dense_1/vars']


def test_safetensors_missing_names_the_install(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'safetensors', None)
    monkeypatch.setitem(sys.modules, 'safetensors.torch', None)
    with pytest.raises(ImportError, match='pip install safetensors'):
        functional_mlp_64_32_32_10(torchkeras).save_weights(str(tmp_path / 'w.safetensors'))
    assert os.listdir(str(tmp_path)) == []


def _keys_tree(value):
    """The nested key structure of a config, values and names left out."""
    if isinstance(value, dict):
        return {k: _keys_tree(v) for k, v in value.items()
                if k not in ('shared_object_id', 'quantization_config', 'activity_regularizer')
                and not k.endswith('_initializer')}
    if isinstance(value, list):
        return [_keys_tree(v) for v in value]
    return None


def test_keras_archive_config_has_keras3_structure(tmp_path):
    """Our config.json has the structure of the one Keras 3.15 wrote for the same model."""
    import zipfile
    model = functional_mlp_64_32_32_10(torchkeras)
    path = str(tmp_path / 'm.keras')
    model.save(path)
    with zipfile.ZipFile(path) as ours, zipfile.ZipFile(os.path.join(
            DATA, 'functional_mlp_64_32_32_10', 'model_keras3.keras')) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
        mine, real = (json.loads(z.read('config.json')) for z in (ours, theirs))
        assert set(json.loads(ours.read('metadata.json'))) >= {'keras_version', 'date_saved'}
    assert _keys_tree(mine) == _keys_tree(real)
    assert mine['config']['layers'][1]['config']['dtype'] == real['config']['layers'][1][
        'config']['dtype']


def test_our_keras2_model_config_equals_tf_keras(kit_dir):
    """The kit's model_keras2.h5 config (written by tf_keras) is what get_config writes,
    once initializers given by name are spelled out as tf.keras does."""
    for case in ('functional_mlp_64_32_32_10', 'merge_two_dense_branches',
                 'seq_dense_tanh_softmax_784'):
        torchkeras.backend.clear_session()
        model = _kit_cases(kit_dir)[case](torchkeras)
        with h5py.File(os.path.join(kit_dir, 'fixtures', case, 'model_keras2.h5'), 'r') as f:
            reference = json.loads(f.attrs['model_config'])
        ours = json.loads(json.dumps({'class_name': type(model).__name__,
                                      'config': model.get_config()},
                                     default=serialization.json_default))
        assert _without_initializers(ours) == _without_initializers(reference)


def _without_initializers(value):
    if isinstance(value, dict):
        return {k: _without_initializers(v) for k, v in value.items()
                if not k.endswith('_initializer')}
    if isinstance(value, list):
        return [_without_initializers(v) for v in value]
    return value


# -------------------------------------------------------------- Keras 2 loading options
def _two_dense(names=('a', 'b'), units=(3, 2)):
    inputs = torchkeras.Input(shape=(4,))
    x = layers.Dense(units[0], name=names[0])(inputs)
    return torchkeras.Model(inputs, layers.Dense(units[1], name=names[1])(x))


def test_by_name_matches_layer_names_not_order(tmp_path):
    source = _two_dense()
    _randomize(source)
    source.save_weights(str(tmp_path / 'w.h5'))
    inputs = torchkeras.Input(shape=(4,))
    other = torchkeras.Model(inputs, layers.Dense(3, name='a')(inputs))  # only 'a'
    other.load_weights(str(tmp_path / 'w.h5'), by_name=True)
    np.testing.assert_array_equal(other.get_layer('a').get_weights()[0],
                                  source.get_layer('a').get_weights()[0])


def test_skip_mismatch_skips_only_the_layer_that_differs(tmp_path):
    source = _two_dense()
    _randomize(source)
    source.save_weights(str(tmp_path / 'w.h5'))
    target = _two_dense(units=(3, 5))
    before = target.get_layer('b').get_weights()
    with pytest.warns(UserWarning, match="layer b"):
        target.load_weights(str(tmp_path / 'w.h5'), by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer('a').get_weights()[0],
                                  source.get_layer('a').get_weights()[0])
    np.testing.assert_array_equal(target.get_layer('b').get_weights()[0], before[0])


def test_skip_mismatch_needs_by_name(tmp_path):
    model = _two_dense()
    model.save_weights(str(tmp_path / 'w.h5'))
    with pytest.raises(ValueError, match='by_name'):
        model.load_weights(str(tmp_path / 'w.h5'), skip_mismatch=True)


def test_full_model_file_loads_as_weights():
    model = functional_mlp_64_32_32_10(torchkeras)
    case_dir = os.path.join(DATA, 'functional_mlp_64_32_32_10')
    model.load_weights(os.path.join(case_dir, 'model_keras2.h5'))
    _, inputs, expected = read_io(case_dir)
    assert_outputs(predict(model, inputs), expected)


def test_keras3_archive_loads_as_weights():
    model = functional_mlp_64_32_32_10(torchkeras)
    case_dir = os.path.join(DATA, 'functional_mlp_64_32_32_10')
    model.load_weights(os.path.join(case_dir, 'model_keras3.keras'))
    _, inputs, expected = read_io(case_dir)
    assert_outputs(predict(model, inputs), expected)


def test_attributes_over_the_header_limit_are_split(tmp_path):
    names = [('layer_with_a_rather_long_name_%05d' % i).encode('utf8') for i in range(3000)]
    with h5py.File(str(tmp_path / 'a.h5'), 'w') as f:
        hdf5.save_attributes(f, 'layer_names', names)
        assert 'layer_names' not in f.attrs and 'layer_names0' in f.attrs
        assert 'layer_names1' in f.attrs
        assert hdf5.load_attributes(f, 'layer_names') == [n.decode() for n in names]


def test_split_layer_names_are_read(tmp_path):
    source = _two_dense()
    _randomize(source)
    path = str(tmp_path / 'w.h5')
    source.save_weights(path)
    with h5py.File(path, 'a') as f:  # re-store layer_names as Keras does past 64 KiB
        names = f.attrs['layer_names']
        del f.attrs['layer_names']
        f.attrs['layer_names0'] = names[:1]
        f.attrs['layer_names1'] = names[1:]
    target = _two_dense()
    target.load_weights(path)
    np.testing.assert_array_equal(target.get_weights()[0], source.get_weights()[0])


# ------------------------------------------------------------ Keras 1 and cuDNN layouts
def _write_keras1_file(path, layer_arrays, backend=None):
    """A Keras 1 weights file: no keras_version, datasets directly under layer groups."""
    with h5py.File(path, 'w') as f:
        f.attrs['layer_names'] = [name.encode() for name, _ in layer_arrays]
        if backend:
            f.attrs['backend'] = backend.encode()
        for name, arrays in layer_arrays:
            group = f.create_group(name)
            group.attrs['weight_names'] = [('%s_%d' % (name, i)).encode()
                                           for i in range(len(arrays))]
            for i, array in enumerate(arrays):
                group.create_dataset('%s_%d' % (name, i), data=array)


def test_keras1_dense_file(tmp_path):
    rng = np.random.RandomState(0)
    kernel, bias = rng.rand(4, 3).astype('float32'), rng.rand(3).astype('float32')
    _write_keras1_file(str(tmp_path / 'k1.h5'), [('dense_1', [kernel, bias])])
    model = torchkeras.Sequential([layers.Dense(3, input_dim=4)])
    model.load_weights(str(tmp_path / 'k1.h5'))
    x = rng.rand(2, 4).astype('float32')
    np.testing.assert_allclose(predict(model, [x])[0], x @ kernel + bias, rtol=1e-6)


def test_keras1_lstm_gates_are_reordered():
    """12 arrays in Keras 1's i, c, f, o order -> kernel/recurrent/bias in i, f, c, o."""
    u, d = 2, 3
    rng = np.random.RandomState(0)
    per_gate = {g: [rng.rand(d, u), rng.rand(u, u), rng.rand(u)] for g in 'icfo'}
    arrays = [a for g in 'icfo' for a in per_gate[g]]
    lstm = _FakeLayer('LSTM', [(d, 4 * u), (u, 4 * u), (4 * u,)])
    kernel, recurrent, bias = hdf5.preprocess_weights_for_loading(lstm, arrays, '1')
    np.testing.assert_array_equal(kernel, np.concatenate([per_gate[g][0] for g in 'ifco'], -1))
    np.testing.assert_array_equal(recurrent, np.concatenate([per_gate[g][1] for g in 'ifco'], -1))
    np.testing.assert_array_equal(bias, np.concatenate([per_gate[g][2] for g in 'ifco'], -1))


def test_keras1_gru_gates_are_fused():
    u, d = 2, 3
    rng = np.random.RandomState(0)
    per_gate = {g: [rng.rand(d, u), rng.rand(u, u), rng.rand(u)] for g in 'zrh'}
    arrays = [a for g in 'zrh' for a in per_gate[g]]
    gru = _FakeLayer('GRU', [(d, 3 * u), (u, 3 * u), (3 * u,)], reset_after=False)
    kernel, _, bias = hdf5.preprocess_weights_for_loading(gru, arrays, '1')
    np.testing.assert_array_equal(kernel, np.concatenate([per_gate[g][0] for g in 'zrh'], -1))
    np.testing.assert_array_equal(bias, np.concatenate([per_gate[g][2] for g in 'zrh'], -1))


def test_keras1_th_conv_kernel_is_transposed_and_theano_flipped():
    rng = np.random.RandomState(0)
    th_kernel = rng.rand(5, 3, 2, 4)  # (out, in, kh, kw): Theano dim ordering
    conv = _FakeLayer('Conv2D', [(2, 4, 3, 5), (5,)], data_format='channels_first')
    kernel, _ = hdf5.preprocess_weights_for_loading(conv, [th_kernel, np.zeros(5)], '1')
    np.testing.assert_array_equal(kernel, th_kernel.transpose(2, 3, 1, 0))
    conv_tf = _FakeLayer('Conv2D', [(2, 4, 3, 5), (5,)], data_format='channels_last')
    flipped, _ = hdf5.preprocess_weights_for_loading(
        conv_tf, [th_kernel.transpose(2, 3, 1, 0), np.zeros(5)], '1', 'theano')
    np.testing.assert_array_equal(flipped, th_kernel.transpose(2, 3, 1, 0)[::-1, ::-1])


def test_cudnn_lstm_weights_are_converted():
    u, d = 2, 3
    rng = np.random.RandomState(0)
    kernel, recurrent = rng.rand(d, 4 * u), rng.rand(u, 4 * u)
    bias_in, bias_rec = rng.rand(4 * u), rng.rand(4 * u)
    lstm = _FakeLayer('LSTM', [(d, 4 * u), (u, 4 * u), (4 * u,)])
    cudnn_kernel = np.hstack([k.T.reshape(k.shape, order='C') for k in np.hsplit(kernel, 4)])
    cudnn_recurrent = np.hstack([k.T for k in np.hsplit(recurrent, 4)])
    out = hdf5.preprocess_weights_for_loading(
        lstm, [cudnn_kernel, cudnn_recurrent, np.concatenate([bias_in, bias_rec])], '2.2.4')
    np.testing.assert_allclose(out[0], kernel)
    np.testing.assert_allclose(out[1], recurrent)
    np.testing.assert_allclose(out[2], bias_in + bias_rec)


def _write_keras1_model(path, model_config, layer_arrays, backend='tensorflow'):
    """A Keras 1.2 ``model.save`` file: model_config JSON, weights in Keras 1 layout."""
    with h5py.File(path, 'w') as f:
        f.attrs['keras_version'] = b'1.2.2'
        f.attrs['model_config'] = json.dumps(model_config).encode()
        group = f.create_group('model_weights')
        group.attrs['layer_names'] = [name.encode() for name, _ in layer_arrays]
        if backend:
            group.attrs['backend'] = backend.encode()
        for name, arrays in layer_arrays:
            layer_group = group.create_group(name)
            names = [('%s_%s' % (name, suffix)).encode() for suffix, _ in arrays]
            layer_group.attrs['weight_names'] = names
            for weight_name, (_, array) in zip(names, arrays):
                layer_group.create_dataset(weight_name.decode(), data=array)


def _keras1_dense(name, output_dim, **extra):
    config = {'name': name, 'trainable': True, 'output_dim': output_dim, 'init': 'glorot_uniform',
              'activation': 'linear', 'W_regularizer': None, 'b_regularizer': None,
              'activity_regularizer': None, 'W_constraint': None, 'b_constraint': None,
              'bias': True}
    config.update(extra)
    return {'class_name': 'Dense', 'config': config}


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # the file's Keras 1 spellings
def test_keras1_full_model_file(tmp_path):
    """Keras 1.2: Sequential config as a list, Keras 1 argument names, 'p' for Dropout."""
    rng = np.random.RandomState(0)
    w1, b1 = rng.rand(4, 3).astype('float32'), rng.rand(3).astype('float32')
    w2, b2 = rng.rand(3, 2).astype('float32'), rng.rand(2).astype('float32')
    config = {'class_name': 'Sequential', 'config': [
        _keras1_dense('dense_1', 3, activation='relu', input_dim=4, input_dtype='float32',
                      batch_input_shape=[None, 4]),
        {'class_name': 'Dropout', 'config': {'name': 'dropout_1', 'trainable': True, 'p': 0.5}},
        _keras1_dense('dense_2', 2)]}
    path = str(tmp_path / 'k1.h5')
    _write_keras1_model(path, config, [('dense_1', [('W', w1), ('b', b1)]), ('dropout_1', []),
                                       ('dense_2', [('W', w2), ('b', b2)])])
    model = torchkeras.models.load_model(path)
    x = rng.rand(5, 4).astype('float32')
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(predict(model, [x])[0], expected, rtol=1e-5, atol=1e-6)


def _conv_th_expected(x, kernel, bias, flip):
    """Cross-correlation of (N, C, H, W) with an (O, C, kh, kw) kernel, valid padding;
    Theano's true convolution is the same with the kernel flipped."""
    if flip:
        kernel = kernel[:, :, ::-1, ::-1]
    n, _, h, w = x.shape
    o, _, kh, kw = kernel.shape
    out = np.zeros((n, o, h - kh + 1, w - kw + 1), 'float32')
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, :, i, j] = np.einsum('ncab,ocab->no', x[:, :, i:i + kh, j:j + kw], kernel)
    return out + bias[None, :, None, None]


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
@pytest.mark.parametrize('backend', ['tensorflow', 'theano'])
def test_keras1_th_convolution_model(tmp_path, backend):
    if not hasattr(layers, 'Convolution2D'):
        pytest.skip('torchkeras.layers has no Convolution2D yet')
    rng = np.random.RandomState(0)
    kernel, bias = rng.rand(2, 1, 3, 3).astype('float32'), rng.rand(2).astype('float32')
    conv = {'class_name': 'Convolution2D', 'config': {
        'name': 'convolution2d_1', 'trainable': True, 'nb_filter': 2, 'nb_row': 3, 'nb_col': 3,
        'init': 'glorot_uniform', 'activation': 'linear', 'border_mode': 'valid',
        'subsample': [1, 1], 'dim_ordering': 'th', 'W_regularizer': None, 'b_regularizer': None,
        'activity_regularizer': None, 'W_constraint': None, 'b_constraint': None, 'bias': True,
        'batch_input_shape': [None, 1, 5, 5], 'input_dtype': 'float32'}}
    flatten = {'class_name': 'Flatten', 'config': {'name': 'flatten_1', 'trainable': True}}
    path = str(tmp_path / 'k1conv.h5')
    _write_keras1_model(path, {'class_name': 'Sequential', 'config': [conv, flatten]},
                        [('convolution2d_1', [('W', kernel), ('b', bias)]), ('flatten_1', [])],
                        backend=backend)
    model = torchkeras.models.load_model(path)
    x = rng.rand(2, 1, 5, 5).astype('float32')
    expected = _conv_th_expected(x, kernel, bias, flip=backend == 'theano').reshape(2, -1)
    np.testing.assert_allclose(predict(model, [x])[0], expected, rtol=1e-5, atol=1e-6)


def test_keras1_lstm_weights_file(tmp_path):
    """A Keras 1 LSTM (consume_less='cpu'): 12 arrays i, c, f, o; compared to numpy."""
    if not hasattr(layers, 'LSTM'):
        pytest.skip('torchkeras.layers has no LSTM yet')
    u, d, t = 3, 2, 4
    rng = np.random.RandomState(0)
    gates = {g: [rng.uniform(-.5, .5, (d, u)), rng.uniform(-.5, .5, (u, u)),
                 rng.uniform(-.5, .5, u)] for g in 'icfo'}
    arrays = [a.astype('float32') for g in 'icfo' for a in gates[g]]
    _write_keras1_file(str(tmp_path / 'lstm.h5'), [('lstm_1', arrays)])
    model = torchkeras.Sequential([layers.LSTM(u, input_shape=(t, d))])
    model.load_weights(str(tmp_path / 'lstm.h5'))
    x = rng.rand(2, t, d).astype('float32')
    h, c = np.zeros((2, u)), np.zeros((2, u))
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731 - Keras 2 LSTM default
    for step in range(t):
        pre = {g: x[:, step] @ gates[g][0] + h @ gates[g][1] + gates[g][2] for g in 'icfo'}
        c = sigmoid(pre['f']) * c + sigmoid(pre['i']) * np.tanh(pre['c'])
        h = sigmoid(pre['o']) * np.tanh(c)
    np.testing.assert_allclose(predict(model, [x])[0], h, rtol=1e-4, atol=1e-5)


class _FakeWeight:
    def __init__(self, shape, trainable=True):
        self.shape = tuple(shape)
        self._trainable = trainable


class _FakeLayer:
    """Stands in for a layer class torchkeras may not have yet: the class name, the
    attributes the converters read and the Keras shapes of its weights."""

    def __init__(self, kind, shapes, **attributes):
        self.__class__ = type(kind, (_FakeLayer,), {})
        self.name = kind.lower()
        self.trainable_weights = [_FakeWeight(s) for s in shapes]
        self.non_trainable_weights = []
        self.__dict__.update(attributes)


# --------------------------------------------------------------- layer config round trip
def _lambda_layer():
    return layers.Lambda(torchkeras.backend.square) if hasattr(torchkeras.backend, 'square') \
        else layers.Lambda(torch.square)


def _inner(name, **kwargs):
    return lambda: getattr(layers, name)(**kwargs)


# Constructor arguments per Keras layer class; a callable builds arguments holding layers.
CONSTRUCT = {
    'Dense': dict(units=3, activation='relu', kernel_regularizer='l2'),
    'Activation': dict(activation='tanh'), 'Dropout': dict(rate=0.3, seed=1),
    'Flatten': {}, 'Reshape': dict(target_shape=(2, 3)), 'Permute': dict(dims=(2, 1)),
    'RepeatVector': dict(n=3), 'InputLayer': dict(input_shape=(3,)),
    'Add': {}, 'Subtract': {}, 'Multiply': {}, 'Average': {}, 'Maximum': {}, 'Minimum': {},
    'Concatenate': dict(axis=1), 'Dot': dict(axes=1, normalize=True),
    'Conv1D': dict(filters=2, kernel_size=3), 'Conv2D': dict(filters=2, kernel_size=3),
    'Conv3D': dict(filters=2, kernel_size=3), 'Conv1DTranspose': dict(filters=2, kernel_size=3),
    'Conv2DTranspose': dict(filters=2, kernel_size=3),
    'Conv3DTranspose': dict(filters=2, kernel_size=3),
    'SeparableConv1D': dict(filters=2, kernel_size=3),
    'SeparableConv2D': dict(filters=2, kernel_size=3),
    'DepthwiseConv1D': dict(kernel_size=3), 'DepthwiseConv2D': dict(kernel_size=3),
    'Embedding': dict(input_dim=10, output_dim=3, mask_zero=True),
    'LSTM': dict(units=3, return_sequences=True), 'GRU': dict(units=3),
    'SimpleRNN': dict(units=3), 'LSTMCell': dict(units=3), 'GRUCell': dict(units=3),
    'SimpleRNNCell': dict(units=3), 'ConvLSTM2D': dict(filters=2, kernel_size=3),
    'RNN': lambda: dict(cell=layers.LSTMCell(3)),
    'Bidirectional': lambda: dict(layer=layers.LSTM(3, return_sequences=True)),
    'TimeDistributed': lambda: dict(layer=layers.Dense(3)),
    'GaussianNoise': dict(stddev=0.1), 'GaussianDropout': dict(rate=0.1),
    'AlphaDropout': dict(rate=0.1), 'SpatialDropout1D': dict(rate=0.1),
    'SpatialDropout2D': dict(rate=0.1), 'SpatialDropout3D': dict(rate=0.1),
    'ActivityRegularization': dict(l1=0.1), 'Masking': dict(mask_value=0.0),
    'Wrapper': lambda: dict(layer=layers.Dense(2)),
    # Keras 1 classes
    'MaxoutDense': dict(output_dim=3), 'TimeDistributedDense': dict(units=3),
    'Merge': dict(mode='concat'), 'Highway': dict(activation='relu'),
    'AtrousConvolution1D': dict(filters=2, kernel_size=3, dilation_rate=2),
    'AtrousConvolution2D': dict(filters=2, kernel_size=3, dilation_rate=2),
    'Deconvolution2D': dict(filters=2, kernel_size=3),
    'StackedRNNCells': lambda: dict(cells=[layers.LSTMCell(2), layers.LSTMCell(3)]),
    # attention and preprocessing
    'EinsumDense': dict(equation='ab,bc->ac', output_shape=3, bias_axes='c'),
    'MultiHeadAttention': dict(num_heads=2, key_dim=3, dropout=0.1),
    'Rescaling': dict(scale=0.5, offset=1.0), 'CenterCrop': dict(height=2, width=3),
    'Resizing': dict(height=4, width=5, interpolation='nearest'),
    'CategoryEncoding': dict(num_tokens=4, output_mode='count'),
    'Discretization': dict(bin_boundaries=[0.0, 1.0]),
    'Normalization': dict(mean=[1.0, 2.0], variance=[1.0, 4.0]),
    'RandomTranslation': dict(height_factor=0.1, width_factor=0.2, seed=3),
    'RandomRotation': dict(factor=0.1), 'RandomZoom': dict(height_factor=0.2),
    'RandomContrast': dict(factor=0.2), 'RandomBrightness': dict(factor=0.2),
    'RandomCrop': dict(height=2, width=2),
    'SpectralNormalization': lambda: dict(layer=layers.Dense(2), power_iterations=2),
    'ConvLSTM1D': dict(filters=2, kernel_size=3),
    'ConvLSTM3D': dict(filters=2, kernel_size=2, return_sequences=True),
}


def _exported_layer_classes():
    classes = []
    for name in getattr(layers, '__all__', dir(layers)):
        value = getattr(layers, name, None)
        if inspect.isclass(value) and issubclass(value, layers.Layer) and value is not layers.Layer:
            classes.append(name)
    return classes


def _instance(name):
    if name == 'Lambda':
        return _lambda_layer()
    cls = getattr(layers, name)
    spec = CONSTRUCT.get(name, CONSTRUCT.get(cls.__name__))  # aliases: Convolution2D
    if callable(spec):
        spec = spec()
    if spec is None:
        try:
            return cls()
        except TypeError:
            pytest.skip('add constructor arguments for %s to CONSTRUCT' % name)
    return cls(**spec)


def _json_normal(config):
    return json.loads(json.dumps(config, default=serialization.json_default))


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # Keras 1 classes warn on creation
@pytest.mark.parametrize('name', _exported_layer_classes())
def test_layer_config_round_trip(name):
    layer = _instance(name)
    config = serialization.serialize_layer(layer)
    rebuilt = serialization.deserialize_layer(_json_normal(config))
    assert type(rebuilt) is type(layer)
    assert _json_normal(serialization.serialize_layer(rebuilt)) == _json_normal(config)


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
@pytest.mark.parametrize('name', _exported_layer_classes())
def test_layer_config_round_trip_keras3_form(name):
    layer = _instance(name)
    tk2 = serialization.serialize_layer(layer)
    k3 = {'module': 'keras.layers', 'class_name': tk2['class_name'],
          'config': keras_v3.keras3_layer_config(tk2['class_name'], tk2['config']),
          'registered_name': None}
    rebuilt = serialization.deserialize_layer(_json_normal(k3), safe_mode=False)
    assert type(rebuilt) is type(layer)
    expected = {k: v for k, v in _json_normal(tk2)['config'].items()
                if k not in ('batch_input_shape', 'time_major', 'implementation')}
    got = _json_normal(serialization.serialize_layer(rebuilt))['config']
    got = {k: v for k, v in got.items() if k not in ('batch_input_shape', 'time_major',
                                                     'implementation')}
    assert got == expected
