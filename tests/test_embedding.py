"""Embedding and Masking: shapes, weights, values and the masks they start."""
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.layers.embedding import Embedding, Masking
from torchkeras.layers.recurrent import LSTM
from layer_harness import run_layer_test


@pytest.mark.parametrize('kwargs,input_shape,expected', [
    (dict(input_dim=10, output_dim=3), (None, 5), (None, 5, 3)),
    (dict(input_dim=10, output_dim=4, mask_zero=True), (None, None), (None, None, 4)),
    (dict(input_dim=10, output_dim=2, input_length=(2, 3)), (None, 2, 3), (None, 2, 3, 2)),
])
def test_embedding_harness(kwargs, input_shape, expected):
    run_layer_test(Embedding, kwargs, input_shape, input_dtype='int32',
                   expected_output_shape=expected, expected_num_weights=1,
                   expected_num_params=kwargs['input_dim'] * kwargs['output_dim'])


def test_masking_harness():
    run_layer_test(Masking, dict(mask_value=0.0), (None, 4, 3), expected_output_shape=(None, 4, 3),
                   expected_num_weights=0)


def test_embedding_looks_up_rows_and_casts_ids():
    layer = Embedding(6, 2)
    ids = torch.tensor([[0, 5, 2], [1, 1, 3]], dtype=torch.int32)
    layer(ids)
    table = np.arange(12, dtype='float32').reshape(6, 2)
    layer.set_weights([table])
    np.testing.assert_array_equal(layer(ids).detach().numpy(), table[ids.numpy()])
    # float ids (a float Input, as tf.keras's Sequential makes) are cast, as Keras does
    np.testing.assert_array_equal(layer(ids.float()).detach().numpy(), table[ids.numpy()])
    assert layer.weights[0].name == 'embedding/embeddings:0'
    assert layer.embedding.weight.shape == (6, 2)  # nn.Embedding's layout is Keras's


def test_embedding_default_initializer_is_uniform_005():
    layer = Embedding(1000, 20)
    layer(torch.zeros(1, 1, dtype=torch.long))
    values = layer.get_weights()[0]
    assert np.abs(values).max() <= 0.05 and values.std() > 0.02


def test_mask_zero_makes_a_mask_and_sequential_input_is_int():
    model = torchkeras.Sequential([Embedding(10, 3, mask_zero=True, input_length=4)])
    assert model.input_shape == (None, 4) and model.output_shape == (None, 4, 3)
    assert model.inputs[0].dtype == 'int32'
    assert model.outputs[0]._keras_mask.shape == (None, 4)
    layer = model.layers[0]
    ids = torch.tensor([[1, 2, 0, 0], [0, 3, 0, 1]])
    assert layer.compute_mask(ids).tolist() == [[True, True, False, False],
                                                [False, True, False, True]]
    assert layer(ids)._keras_mask.tolist() == (ids != 0).tolist()
    assert Embedding(10, 3).compute_mask(ids) is None


def test_embedding_without_input_length_takes_any_length():
    model = torchkeras.Sequential([Embedding(10, 3), LSTM(2)])
    assert model.input_shape == (None, None) and model.output_shape == (None, 2)
    assert model(torch.tensor([[1, 2, 3, 4, 5]])).shape == (1, 2)


def test_embedding_config_and_bad_arguments():
    layer = Embedding(10, 3, mask_zero=True, input_length=5)
    config = layer.get_config()
    assert config['input_dim'] == 10 and config['input_length'] == 5 and config['mask_zero']
    assert config['embeddings_initializer'] is not None
    assert config['batch_input_shape'] == (None, 5)
    clone = Embedding.from_config(config)
    assert clone.input_length == (5,) and clone.mask_zero
    with pytest.raises(ValueError, match='input_dim=0'):
        Embedding(0, 3)
    with pytest.raises(ValueError, match='output_dim=-1'):
        Embedding(3, -1)


def test_masking_zeroes_masked_steps_and_masks_them():
    x = torch.tensor([[[1., 2.], [0., 0.], [0., 3.]], [[0., 0.], [0., 0.], [5., 5.]]])
    layer = Masking(0.0)
    out = layer(x)
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    assert out._keras_mask.tolist() == [[True, False, True], [False, False, True]]
    y = Masking(mask_value=2.0)(torch.tensor([[[2., 2.], [2., 1.]]]))
    np.testing.assert_array_equal(y.numpy(), [[[0., 0.], [2., 1.]]])
    assert y._keras_mask.tolist() == [[False, True]]


def test_masking_feeds_a_recurrent_layer():
    inputs = torchkeras.Input(shape=(3, 2))
    outputs = LSTM(4, return_sequences=True)(Masking()(inputs))
    model = torchkeras.Model(inputs, outputs)
    assert outputs._keras_mask is not None
    x = torch.tensor([[[1., 2.], [0., 0.], [0., 0.]]])
    model.eval()
    with torch.no_grad():
        out = model(x)
    # masked steps repeat the last output (Keras), and the right-padded mask runs packed
    np.testing.assert_allclose(out[0, 1].numpy(), out[0, 0].numpy())
    np.testing.assert_allclose(out[0, 2].numpy(), out[0, 0].numpy())
    assert model.layers[-1].last_call_path == 'packed'


def test_embedding_config_keys_are_tf_keras_keys():
    # tf_keras 2.21 Embedding.get_config (no `sparse`: it is never written).
    config = Embedding(10, 3, mask_zero=True, input_length=5).get_config()
    assert sorted(config) == [
        'activity_regularizer', 'batch_input_shape', 'dtype', 'embeddings_constraint',
        'embeddings_initializer', 'embeddings_regularizer', 'input_dim', 'input_length',
        'mask_zero', 'name', 'output_dim', 'trainable']
