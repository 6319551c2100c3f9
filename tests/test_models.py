"""Functional and Sequential models: graph construction, naming, weights, calling, errors."""
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers import Dense, Input


def test_auto_names_follow_tf_keras_and_clear_session_resets():
    a, b = Dense(2), Dense(2)
    assert (a.name, b.name) == ('dense', 'dense_1')
    assert Input(shape=(3,))._keras_history.layer.name == 'input_1'
    assert layers.Conv1D if hasattr(layers, 'Conv1D') else True
    torchkeras.backend.clear_session()
    assert Dense(2).name == 'dense'
    assert layers.Activation('relu').name == 'activation'
    assert torchkeras.Sequential().name == 'sequential'


def test_functional_model_names_shapes_and_layer_order():
    x = Input(shape=(64,))
    h = Dense(32, activation='relu')(x)
    h = Dense(32, activation='relu')(h)
    y = Dense(10, activation='softmax')(h)
    model = torchkeras.Model(x, y)
    assert model.name == 'model'
    assert [layer.name for layer in model.layers] == ['input_1', 'dense', 'dense_1', 'dense_2']
    assert model.input_shape == (None, 64) and model.output_shape == (None, 10)
    assert model.input_names == ['input_1'] and model.output_names == ['dense_2']
    assert model.count_params() == 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    assert model.get_layer('dense_1') is model.layers[2]
    assert model.get_layer(index=1).name == 'dense'
    with pytest.raises(ValueError, match='No such layer: nope'):
        model.get_layer('nope')


def test_layers_sorted_by_depth_then_first_visit_like_keras():
    x = Input(shape=(8,))
    a1 = Dense(4, name='a1')(x)
    b1 = Dense(4, name='b1')(x)
    a2 = Dense(4, name='a2')(a1)
    merged = layers.concatenate([a2, b1])
    model = torchkeras.Model(x, Dense(1, name='out')(merged))
    # b1 sits at the same depth as a2 (both feed the concatenation), as tf.keras orders it
    assert [layer.name for layer in model.layers] == ['input_1', 'a1', 'a2', 'b1', 'concatenate',
                                                      'out']


def test_multi_input_output_lists_and_dicts_and_forward_structures():
    a = Input(shape=(3,), name='a')
    b = Input(shape=(2,), name='b')
    merged = layers.concatenate([a, b])
    out1 = Dense(1, name='o1')(merged)
    out2 = Dense(2, name='o2')(merged)
    model = torchkeras.Model([a, b], [out1, out2])
    xa, xb = torch.randn(5, 3), torch.randn(5, 2)
    r1 = model([xa, xb])
    r2 = model(xa, xb)
    r3 = model({'a': xa, 'b': xb})
    for r in (r2, r3):
        for u, v in zip(r1, r):
            assert torch.equal(u, v)
    assert isinstance(r1, list) and r1[0].shape == (5, 1) and r1[1].shape == (5, 2)
    dict_model = torchkeras.Model({'a': a, 'b': b}, {'x': out1, 'y': out2})
    out = dict_model({'a': xa, 'b': xb})
    assert set(out) == {'x', 'y'} and torch.equal(out['x'], r1[0])
    with pytest.raises(KeyError, match=r"\['b'\]"):
        model({'a': xa})
    with pytest.raises(ValueError, match='expects 2 input'):
        model(xa)


def dict_io_model():
    """Dict keys and layer names both out of alphabetical order: tf.keras flattens dict
    inputs/outputs with tf.nest, so ``inputs``/``outputs`` follow the sorted keys."""
    a = Input(shape=(2,), name='zz')
    b = Input(shape=(3,), name='aa')
    merged = layers.Concatenate()([a, b])
    o1 = Dense(1, name='out_one')(merged)
    o2 = Dense(2, name='out_two')(merged)
    return torchkeras.Model({'z': a, 'b': b}, {'y': o1, 'c': o2})


def test_dict_inputs_and_outputs_are_flattened_in_sorted_key_order():
    model = dict_io_model()
    assert model.input_names == ['aa', 'zz'] and model.output_names == ['out_two', 'out_one']
    assert [t.shape for t in model.inputs] == [(None, 3), (None, 2)]
    assert list(model.input) == ['z', 'b'] and list(model.output) == ['y', 'c']
    assert [layer.name for layer in model.layers] == ['zz', 'aa', 'concatenate', 'out_two',
                                                      'out_one']
    config = model.get_config()
    assert config['input_layers'] == {'z': ['zz', 0, 0], 'b': ['aa', 0, 0]}
    assert config['output_layers'] == {'y': ['out_one', 0, 0], 'c': ['out_two', 0, 0]}
    rebuilt = torchkeras.Model.from_config(config)
    assert rebuilt.input_names == ['aa', 'zz'] and list(rebuilt.output) == ['y', 'c']


def test_calling_a_dict_model_by_dict_keys_or_by_the_sorted_list():
    model = dict_io_model()
    xz, xb = torch.randn(4, 2), torch.randn(4, 3)
    by_key = model({'z': xz, 'b': xb})
    assert list(by_key) == ['y', 'c']
    assert by_key['y'].shape == (4, 1) and by_key['c'].shape == (4, 2)
    by_list = model([xb, xz])  # model.inputs order: 'b' before 'z'
    assert torch.equal(by_list['y'], by_key['y']) and torch.equal(by_list['c'], by_key['c'])
    with pytest.raises(KeyError, match=r"\['b', 'z'\]"):
        model({'zz': xz, 'aa': xb})  # tf.keras addresses these inputs by the dict keys


@pytest.mark.parametrize('filename', ['model.keras', 'model.h5'])
def test_dict_model_save_and_load_keeps_structure_and_order(tmp_path, filename):
    model = dict_io_model()
    x = {'z': np.random.rand(3, 2).astype('float32'),
         'b': np.random.rand(3, 3).astype('float32')}
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / filename)
    model.save(path)
    loaded = torchkeras.models.load_model(path)
    assert loaded.input_names == ['aa', 'zz'] and loaded.output_names == ['out_two', 'out_one']
    got = loaded.predict(x, verbose=0)
    assert list(got) == ['y', 'c']
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-6)


def test_shared_layer_has_one_set_of_weights():
    shared = Dense(4)
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = torchkeras.Model([a, b], layers.add([shared(a), shared(b)]))
    assert len(model.weights) == 2
    x = torch.randn(2, 3)
    np.testing.assert_allclose(model([x, x]).detach().numpy(), 2 * shared(x).detach().numpy(),
                               rtol=1e-6)
    assert shared.output_shape == (None, 4)  # two nodes, equal shapes: defined
    flatten = layers.Flatten()
    flatten(Input(shape=(2, 3)))
    flatten(Input(shape=(4, 5)))
    with pytest.raises(AttributeError, match='multiple inbound nodes'):
        flatten.output_shape  # noqa: B018


def test_nested_model_and_model_called_on_new_inputs():
    inner_in = Input(shape=(4,))
    inner = torchkeras.Model(inner_in, Dense(3, name='inner_dense')(inner_in), name='inner')
    x = Input(shape=(4,))
    y = Dense(2)(inner(x))
    outer = torchkeras.Model(x, y)
    assert [layer.name for layer in outer.layers] == ['input_2', 'inner', 'dense']
    assert outer.count_params() == (4 * 3 + 3) + (3 * 2 + 2)
    data = torch.randn(5, 4)
    expected = outer.layers[2](inner(data))
    assert torch.allclose(outer(data), expected)
    # the nested model is one submodule; its weights are registered once
    names = [n for n, _ in outer.named_parameters()]
    assert names == ['inner.inner_dense.linear.weight', 'inner.inner_dense.linear.bias',
                     'dense.linear.weight', 'dense.linear.bias']


def test_keras1_model_input_output_spelling_warns():
    x = Input(shape=(2,))
    with pytest.warns(DeprecationWarning, match='inputs'):
        model = torchkeras.Model(input=x, output=Dense(1)(x))
    assert model.output_shape == (None, 1)


def test_disconnected_graph_names_the_missing_input():
    a, b = Input(shape=(2,), name='a'), Input(shape=(2,), name='b')
    y = layers.add([Dense(2)(a), Dense(2)(b)])
    with pytest.raises(ValueError, match=r'Graph disconnected.*layer "b"'):
        torchkeras.Model(a, y)


def test_duplicate_layer_names_rejected():
    x = Input(shape=(2,))
    y = Dense(2, name='same')(Dense(2, name='same')(x))
    with pytest.raises(ValueError, match='"same" is used 2 times'):
        torchkeras.Model(x, y)
    model = torchkeras.Sequential([Dense(2, name='d', input_shape=(2,))])
    with pytest.raises(ValueError, match='unique names'):
        model.add(Dense(2, name='d'))


@pytest.mark.parametrize('first', [
    lambda: Dense(32, input_shape=(784,)),
    lambda: Dense(32, input_dim=784),
    lambda: Dense(32, batch_input_shape=(None, 784)),
])
def test_sequential_input_spellings_are_equivalent(first):
    model = torchkeras.Sequential()
    model.add(first())
    model.add(layers.Activation('relu'))
    assert model.input_shape == (None, 784) and model.output_shape == (None, 32)
    assert [layer.name for layer in model.layers] == ['dense', 'activation']
    assert model.count_params() == 25120


def test_sequential_batch_size_input_layer_and_pop():
    model = torchkeras.Sequential([Input(shape=(5,), batch_size=8), Dense(3), Dense(2)])
    assert model.input_shape == (8, 5) and model.output_shape == (8, 2)
    assert len(model.layers) == 2
    model.pop()
    assert model.output_shape == (8, 3) and len(model.layers) == 1
    assert Dense(1, input_shape=(4,), batch_size=16)._batch_input_shape == (16, 4)


def test_sequential_deferred_build_on_first_call():
    model = torchkeras.Sequential([Dense(4), Dense(2)])
    with pytest.raises(AttributeError, match='built on its first call'):
        model.input_shape  # noqa: B018
    out = model(torch.randn(3, 6))
    assert out.shape == (3, 2)
    assert model.input_shape == (None, 6)
    assert model.count_params() == 6 * 4 + 4 + 4 * 2 + 2
    explicit = torchkeras.Sequential([Dense(4)])
    explicit.build((None, 7))
    assert explicit.output_shape == (None, 4)


def test_sequential_state_dict_keys_are_clean():
    model = torchkeras.Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    assert list(model.state_dict()) == ['dense.linear.weight', 'dense.linear.bias',
                                        'dense_1.linear.weight', 'dense_1.linear.bias']


def test_get_set_weights_keras_layout_and_order():
    model = torchkeras.Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 4), (4,), (4, 2), (2,)]
    new = [np.full(s, i, dtype='float32') for i, s in enumerate(shapes)]
    model.set_weights(new)
    assert torch.equal(model.layers[0].linear.weight, torch.zeros(4, 3))
    assert torch.equal(model.layers[1].linear.bias, torch.full((2,), 3.0))
    with pytest.raises(ValueError, match='expecting 4 weights'):
        model.set_weights(new[:3])
    with pytest.raises(ValueError, match=r'shape \(3, 4\).*\(4, 3\)'):
        model.layers[0].set_weights([np.zeros((4, 3)), np.zeros(4)])
    # a failed set_weights leaves every weight unchanged
    before = model.get_weights()
    with pytest.raises(ValueError):
        model.set_weights(new[:2] + [np.zeros((9, 9)), new[3]])
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_trainable_flag_moves_weights_and_stops_gradients():
    model = torchkeras.Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    assert not model.layers[0].linear.weight.requires_grad
    model.trainable = False
    assert model.trainable_weights == [] and not model.layers[1].trainable


def test_regularizer_losses_and_constraints_on_layers():
    dense = Dense(2, kernel_regularizer=torchkeras.regularizers.l2(0.1),
                  kernel_constraint=torchkeras.constraints.NonNeg())
    dense(torch.ones(1, 3))
    dense.set_weights([np.array([[1., -2.], [0., 3.], [1., 1.]], 'float32'), np.zeros(2)])
    assert dense.losses[0].item() == pytest.approx(0.1 * (1 + 4 + 9 + 1 + 1))
    dense.apply_constraints()
    assert dense.get_weights()[0].min() == 0.0


def test_initializer_defaults_glorot_kernel_zero_bias():
    dense = Dense(200)
    dense(torch.ones(1, 300))
    kernel, bias = dense.get_weights()
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert not bias.any()
    uniform = Dense(50, kernel_initializer='uniform')
    uniform(torch.ones(1, 100))
    assert np.abs(uniform.get_weights()[0]).max() <= 0.05


def test_input_variants():
    assert Input(shape=(3,), batch_size=4).shape == (4, 3)
    assert Input(batch_shape=(None, 5, 2)).shape == (None, 5, 2)
    assert Input(shape=(None,), dtype='int32').dtype == 'int32'
    assert Input(shape=(3,), name='named')._keras_history.layer.name == 'named'
    with pytest.raises(ValueError, match='shape'):
        Input()


def test_symbolic_shapes_keep_unknown_dims():
    x = Input(shape=(None, 6))
    y = Dense(3)(x)
    assert y.shape == (None, None, 3)
    z = layers.Reshape((-1,))(y)
    assert z.shape == (None, None)


def test_torchinfo_summary_runs_on_a_model():
    torchinfo = pytest.importorskip('torchinfo')
    model = torchkeras.Sequential([Dense(32, input_shape=(784,)), layers.Activation('relu'),
                                   Dense(10)])
    stats = torchinfo.summary(model, input_size=(2, 784), verbose=0)
    assert stats.total_params == model.count_params() == 784 * 32 + 32 + 330


def test_model_is_a_plain_module_for_torch_tools():
    model = torchkeras.Sequential([Dense(8, input_shape=(4,), activation='relu'), Dense(2)])
    model.eval()
    x = torch.randn(3, 4)
    scripted = torch.export.export(model, (x,))
    assert torch.allclose(scripted.module()(x), model(x), atol=1e-6)


@pytest.mark.parametrize('name', ['output', 'input', 'train', 'to', 'double', 'a.b'])
def test_layer_names_that_clash_with_module_attributes(name):
    x = Input(shape=(3,))
    model = torchkeras.Model(x, Dense(2, name=name)(x))
    assert model.get_layer(name).name == name
    assert model(torch.ones(1, 3)).shape == (1, 2)
    seq = torchkeras.Sequential([Dense(2, name=name)])
    assert seq(torch.ones(1, 3)).shape == (1, 2)
    seq.pop()


def test_model_call_training_argument_overrides_the_mode_for_that_call():
    # tf.keras: model(x, training=True) normalizes with the batch's own statistics.
    inputs = Input(shape=(3,))
    model = torchkeras.Model(inputs, layers.BatchNormalization(epsilon=1e-3)(inputs))
    x = np.random.RandomState(0).randn(8, 3).astype('float32')
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    out = model(torch.tensor(x), training=True)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert model.training is False  # the mode is restored after the call
    # Inference: moving statistics after one update from (0, 1) with momentum 0.99 (tf.keras's
    # unfused path for 2D inputs moves toward the biased batch variance).
    mean = 0.01 * x.mean(0)
    var = 0.99 + 0.01 * x.var(0)
    np.testing.assert_allclose(model(torch.tensor(x)).detach().numpy(),
                               (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)


def _summary_lines(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


def test_summary_expanded_nested_block_is_not_followed_by_a_blank_row():
    # Text printed by tf_keras 2.21 for this model (its print_layer reuses is_nested_last).
    torchkeras.backend.clear_session()
    i0 = Input(shape=(4,))
    level0 = torchkeras.Model(i0, Dense(3)(i0), name='level0')
    i1 = Input(shape=(4,))
    level1 = torchkeras.Model(i1, Dense(2)(level0(i1)), name='level1')
    i2 = Input(shape=(4,))
    model = torchkeras.Model(i2, level1(i2))
    bar = '\u00af'
    assert _summary_lines(model, expand_nested=True)[3:17] == [
        '=' * 65,
        ' input_3 (InputLayer)        [(None, 4)]               0         ',
        ' ' * 65,
        ' level1 (Functional)         (None, 2)                 23        ',
        '|' + bar * 63 + '|',
        '| input_2 (InputLayer)       [(None, 4)]               0        |',
        '|' + ' ' * 63 + '|',
        '| level0 (Functional)        (None, 3)                 15       |',
        '||' + bar * 61 + '||',
        '|| input_1 (InputLayer)      [(None, 4)]               0       ||',
        '||' + ' ' * 61 + '||',
        '|| dense (Dense)             (None, 3)                 15      ||',
        '|' + bar * 63 + '|',
        '| dense_1 (Dense)            (None, 2)                 8        |',
    ]
    assert _summary_lines(model, expand_nested=True)[17:19] == [bar * 65, '=' * 65]


def test_layer_shared_by_a_nested_model_counts_its_weights_once():
    shared = Dense(3)
    inner_in = Input(shape=(3,))
    inner = torchkeras.Model(inner_in, shared(inner_in))
    outer_in = Input(shape=(3,))
    model = torchkeras.Model(outer_in, shared(inner(outer_in)))
    assert len(model.trainable_weights) == 2 and len(model.weights) == 2
    assert model.count_params() == 3 * 3 + 3
    assert 'Trainable params: 12 (48.00 Byte)' in _summary_lines(model)
