"""TimeDistributed and the Wrapper base: values computed step by step with NumPy / the inner
layer, masks, weights, config, and the Keras reference kit's TimeDistributed(Model) case."""
import json
import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.layer import Layer
from torchkeras.layers.normalization import BatchNormalization
from torchkeras.layers.wrappers import TimeDistributed, Wrapper
from layer_harness import random_input, run_layer_test


def _np(tensor):
    return tensor.detach().numpy()


@pytest.mark.parametrize('make_inner,input_shape,expected,n_weights', [
    (lambda: layers.Dense(3), (None, 4, 5), (None, 4, 3), 2),
    (lambda: layers.Dense(3, activation='relu'), (None, None, 5), (None, None, 3), 2),
    (lambda: layers.Dense(2), (7, 4, 3, 5), (7, 4, 3, 2), 2),
    (lambda: layers.Flatten(), (None, 4, 2, 3), (None, 4, 6), 0),
    (lambda: BatchNormalization(), (None, 6, 3), (None, 6, 3), 4),
    (lambda: layers.Dropout(0.5), (None, 3, 2), (None, 3, 2), 0),
])
def test_time_distributed_harness(make_inner, input_shape, expected, n_weights):
    class _TD(TimeDistributed):  # the harness builds from kwargs: give it a fresh inner layer
        def __init__(self, layer=None, **kwargs):
            super().__init__(layer if layer is not None else make_inner(), **kwargs)
    run_layer_test(_TD, {}, input_shape, expected_output_shape=expected,
                   expected_num_weights=n_weights)


def test_time_distributed_dense_equals_dense_per_step():
    x = random_input((2, 5, 4), seed=1)
    dense = layers.Dense(3, activation='tanh')
    td = TimeDistributed(dense)
    td(torchkeras.Input(shape=(5, 4)))
    kernel = np.arange(12, dtype='float32').reshape(4, 3) / 10
    bias = np.array([0.1, -0.2, 0.3], 'float32')
    td.set_weights([kernel, bias])
    out = _np(td(x))
    for t in range(5):
        np.testing.assert_allclose(out[:, t], np.tanh(_np(x)[:, t] @ kernel + bias), rtol=1e-5,
                                   atol=1e-6)
    assert [w.name for w in td.weights] == [w.name for w in dense.weights]
    assert td.count_params() == 15


def _small_model():
    inputs = torchkeras.Input(shape=(4,))
    hidden = layers.Dense(6, activation='relu')(inputs)
    return torchkeras.Model(inputs, layers.Dense(3, activation='softmax')(hidden))


def test_time_distributed_model_equals_reshape_model_reshape():
    inner = _small_model()
    sequence = torchkeras.Input(shape=(7, 4))
    td = TimeDistributed(inner)
    outer = torchkeras.Model(sequence, td(sequence))
    assert td.output_shape == (None, 7, 3)
    assert td.count_params() == inner.count_params() == (4 * 6 + 6) + (6 * 3 + 3)
    x = random_input((3, 7, 4), seed=2)
    outer.eval()
    expected = _np(inner(x.reshape(21, 4))).reshape(3, 7, 3)
    np.testing.assert_allclose(_np(outer(x)), expected, rtol=1e-6)
    for a, b in zip(td.get_weights(), inner.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_trainable_propagates_to_the_inner_layer():
    inner = _small_model()
    td = TimeDistributed(inner)
    td(torchkeras.Input(shape=(2, 4)))
    td.trainable = False
    assert td.trainable_weights == [] and len(td.non_trainable_weights) == 4
    assert not any(p.requires_grad for p in inner.parameters())
    td.trainable = True
    assert len(td.trainable_weights) == 4 and all(p.requires_grad for p in inner.parameters())


def test_training_flag_reaches_the_inner_layer():
    td = TimeDistributed(layers.Dropout(0.5))
    x = torch.ones(4, 50, 10)
    td.eval()
    assert torch.equal(td(x), x)
    td.train()
    assert set(np.unique(_np(td(x)))) <= {0.0, 2.0}
    assert torch.equal(td(x, training=False), x)


def test_batch_norm_inside_uses_statistics_over_batch_and_time():
    td = TimeDistributed(BatchNormalization(momentum=0.0))
    x = random_input((2, 3, 4), seed=3)
    out = td(x, training=True)
    data = _np(x)
    mean, var = data.mean(axis=(0, 1)), data.var(axis=(0, 1))
    np.testing.assert_allclose(_np(out), (data - mean) / np.sqrt(var + 1e-3), rtol=1e-4,
                               atol=1e-5)


class _MaskFromFirstFeature(Layer):
    """Test helper: the identity, with the mask 'first feature != 0' (like Masking)."""

    def call(self, inputs):
        return inputs

    def compute_mask(self, inputs, mask=None):
        return inputs[..., 0] != 0


class _MaskedScale(Layer):
    """Test helper: multiplies each sample by its mask (needs the (B*T,) inner mask)."""

    def call(self, inputs, mask=None):
        return inputs if mask is None else inputs * mask.to(inputs.dtype).unsqueeze(-1)


def test_mask_passes_through_and_reaches_a_mask_taking_inner_layer():
    x = random_input((2, 3, 4), seed=4)
    mask = torch.tensor([[True, False, True], [False, True, True]])
    out = TimeDistributed(layers.Dense(2))(x, mask=mask)
    assert torch.equal(out._keras_mask, mask)
    scaled = TimeDistributed(_MaskedScale())(x, mask=mask)
    np.testing.assert_array_equal(_np(scaled), _np(x) * mask.numpy()[..., None])
    assert torch.equal(scaled._keras_mask, mask)


def test_mask_in_a_graph_and_an_inner_mask_of_its_own():
    sequence = torchkeras.Input(shape=(3, 4))
    masked = _MaskFromFirstFeature()(sequence)
    assert masked._keras_mask.shape == (None, 3)
    out = TimeDistributed(layers.Dense(2))(masked)
    assert out._keras_mask is not None and out._keras_mask.shape == (None, 3)
    # an inner layer that makes its own mask: (B*T,) masks come back as (B, T)
    x = random_input((2, 3, 5), seed=5)
    x[0, 1, 0] = 0.0
    made = TimeDistributed(_MaskFromFirstFeature())(x)
    np.testing.assert_array_equal(made._keras_mask.numpy(), _np(x)[..., 0] != 0)
    # an inner layer that does not support masking: a 3D mask is reduced to (B, T)
    flat = TimeDistributed(layers.Flatten())(torch.ones(2, 3, 2, 2),
                                             mask=torch.tensor([[[True, False]] * 3] * 2))
    assert flat._keras_mask.shape == (2, 3)


def test_config_round_trip_and_errors():
    td = TimeDistributed(layers.Dense(4, activation='relu'), name='td')
    td(torchkeras.Input(shape=(2, 3)))
    config = td.get_config()
    assert config['name'] == 'td'
    assert config['layer']['class_name'] == 'Dense'
    assert config['layer']['config']['units'] == 4
    assert set(config['layer']) == {'class_name', 'config'}
    clone = TimeDistributed.from_config(config)
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 4
    with pytest.raises(ValueError, match='Layer` instance'):
        TimeDistributed('dense')
    with pytest.raises(ValueError, match='supported layer type'):
        Wrapper(3)
    with pytest.raises(ValueError, match='at least 3 dimensions'):
        TimeDistributed(layers.Dense(2))(torchkeras.Input(shape=(3,)))


def test_keras_reference_time_distributed_model(kit_dir):
    """The kit's `timedistributed_model` case: TimeDistributed(Model) loaded with tf.keras 2
    weights reproduces tf.keras 2's predictions."""
    h5py = pytest.importorskip('h5py')
    case = os.path.join(kit_dir, 'fixtures', 'timedistributed_model')
    with open(os.path.join(case, 'meta.json')) as f:
        meta = json.load(f)
    inner_input = torchkeras.Input(shape=(64,))
    x = layers.Dense(32, activation='relu')(inner_input)
    x = layers.Dense(32, activation='relu')(x)
    inner = torchkeras.Model(inner_input, layers.Dense(10, activation='softmax')(x))
    sequences = torchkeras.Input(shape=(20, 64))
    td = TimeDistributed(inner)
    model = torchkeras.Model(sequences, td(sequences))
    assert td.count_params() == meta['params']['total']
    assert list(td.output_shape) == meta['layers'][1]['output_shape']
    with h5py.File(os.path.join(case, 'weights_keras2.h5'), 'r') as f:
        group = f['time_distributed']
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs['weight_names']]
        assert names == [w.name for w in td.weights]
        td.set_weights([np.asarray(group[name]) for name in names])
    data = np.load(os.path.join(case, 'io.npz'))
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(data['in_0']))
    np.testing.assert_allclose(_np(out), data['out_0'], atol=meta['io']['atol'],
                               rtol=meta['io']['rtol'])


def test_time_distributed_names_the_weights_it_builds_after_itself():
    # tf.keras builds the wrapped layer in the wrapper's name scope; a model keeps its names.
    inputs = torchkeras.Input(shape=(3, 5))
    td = TimeDistributed(layers.Dense(2), name='td')
    td(inputs)
    assert [w.name for w in td.weights] == ['td/kernel:0', 'td/bias:0']
    built = layers.Dense(2, name='built')
    built(torchkeras.Input(shape=(5,)))
    td_built = TimeDistributed(built, name='td_built')
    td_built(inputs)
    assert [w.name for w in td_built.weights] == ['built/kernel:0', 'built/bias:0']
    td_model = TimeDistributed(torchkeras.Sequential([layers.Dense(2, name='inner')]),
                               name='td_model')
    td_model(inputs)
    assert [w.name for w in td_model.weights] == ['inner/kernel:0', 'inner/bias:0']


# ------------------------------------------------------------------ SpectralNormalization
def _spectral_reference():
    path = os.path.join(os.path.dirname(__file__), 'data', 'keras3', 'spectral_reference.npz')
    return np.load(path)


def test_spectral_normalization_step_matches_keras3():
    ref = _spectral_reference()
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=2)
    layer.build((None, 5))
    by_name = {w.short_name: w for w in layer.weights}
    for name in ('kernel', 'bias', 'vector_u'):
        by_name[name].assign(ref[name])
    x = torch.as_tensor(ref['x'])
    np.testing.assert_allclose(layer(x).detach().numpy(), ref['inference'], rtol=1e-5, atol=1e-6)
    trained = layer(x, training=True)
    np.testing.assert_allclose(trained.detach().numpy(), ref['training'], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(by_name['kernel'].numpy(), ref['kernel_after'], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(by_name['vector_u'].numpy(), ref['vector_u_after'], rtol=1e-5,
                               atol=1e-6)
    # torchkeras lists trainable weights first (tf.keras's rule); Keras 3 by creation order
    assert [w.short_name for w in layer.weights] == ['kernel', 'bias', 'vector_u']
    assert sorted(ref['order'].tolist()) == ['bias', 'kernel', 'vector_u']


def test_spectral_normalization_trains_and_keeps_the_spectral_norm_near_one():
    inp = torchkeras.Input((6,))
    model = torchkeras.Model(inp, layers.SpectralNormalization(
        layers.Dense(4, kernel_initializer='ones'), power_iterations=5)(inp))
    model.compile(optimizer='sgd', loss='mse')
    x = np.random.RandomState(0).rand(32, 6).astype('float32')
    model.fit(x, x[:, :4], epochs=2, verbose=0)
    kernel = model.layers[1].layer.get_weights()[0]
    assert abs(np.linalg.svd(kernel, compute_uv=False)[0] - 1.0) < 0.2
    config = model.layers[1].get_config()
    again = layers.SpectralNormalization.from_config(config)
    assert again.power_iterations == 5 and type(again.layer).__name__ == 'Dense'


def test_spectral_normalization_needs_a_kernel_and_positive_iterations():
    with pytest.raises(ValueError, match='power_iterations'):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match='kernel'):
        layers.SpectralNormalization(layers.Flatten())(torchkeras.Input((2, 3)))
