"""EinsumDense, MultiHeadAttention and Identity, and Keras 3 programs built from them: the
keras.io transformer text classifier and a ViT-style patch model (tests/keras3_models.py),
whose parameter counts, predictions after loading Keras 3's weight files, and History keys
are Keras 3.15's (tests/data/keras3/, written by make_model_reference.py)."""
import json
import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from layer_harness import run_layer_test
import attention_cases
import keras3_models

DATA = os.path.join(os.path.dirname(__file__), 'data', 'keras3')
with open(os.path.join(DATA, 'models.json')) as _f:
    REFERENCE = json.load(_f)
MODELS = ('transformer_classifier', 'vit_patches')


def _reference(name):
    arrays = np.load(os.path.join(DATA, name + '.npz'))
    return arrays['x'], arrays['y'], arrays['prediction']


@pytest.mark.parametrize('name', MODELS)
def test_keras3_program_has_keras3_parameter_count(name):
    model = getattr(keras3_models, name)(torchkeras)
    assert model.count_params() == REFERENCE[name]['params']


@pytest.mark.parametrize('name', MODELS)
def test_keras3_weights_file_gives_keras3_predictions(name):
    model = getattr(keras3_models, name)(torchkeras)
    model.load_weights(os.path.join(DATA, name + '.weights.h5'))
    x, _, expected = _reference(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('name', MODELS)
def test_keras3_program_fits_with_keras3_history_keys(name):
    model = getattr(keras3_models, name)(torchkeras)
    x, y, _ = _reference(name)
    loss = ('sparse_categorical_crossentropy' if name == 'transformer_classifier'
            else torchkeras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(optimizer='adam', loss=loss, metrics=['accuracy'])
    history = model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    # the same keys; their order is tf.keras 2's (loss first), Keras 3 sorts them
    assert sorted(history.history) == sorted(REFERENCE[name]['history_keys'])
    assert list(history.history) == ['loss', 'accuracy', 'val_loss', 'val_accuracy']
    assert all(np.isfinite(v).all() for v in history.history.values())


# ------------------------------------------------------------------------ EinsumDense
@pytest.mark.parametrize('equation, output_shape, bias_axes, input_shape, kernel, bias, out', [
    ('ab,bc->ac', 4, 'c', (None, 3), (3, 4), (4,), (None, 4)),
    ('abc,cd->abd', (None, 5), 'd', (None, 7, 3), (3, 5), (5,), (None, 7, 5)),
    ('abc,cde->abde', (None, 2, 4), 'de', (None, 7, 3), (3, 2, 4), (2, 4), (None, 7, 2, 4)),
    ('...b,bc->...c', 6, None, (None, 2, 3, 5), (5, 6), None, (None, 2, 3, 6)),
    ('abcd,cde->abe', (None, 8), 'e', (None, 5, 2, 3), (2, 3, 8), (8,), (None, 5, 8)),
])
def test_einsum_dense_shapes(equation, output_shape, bias_axes, input_shape, kernel, bias, out):
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes)
    result = layer(torchkeras.Input(input_shape[1:]))
    assert result.shape == out
    shapes = [w.shape for w in layer.weights]
    assert shapes == [kernel] + ([bias] if bias else [])


def test_einsum_dense_computes_the_einsum():
    layer = layers.EinsumDense('abc,cd->abd', output_shape=(None, 4), bias_axes='d',
                               activation='relu')
    x = torch.randn(2, 3, 5)
    y = layer(x)
    kernel, bias = layer.get_weights()
    expected = np.maximum(np.einsum('abc,cd->abd', x.numpy(), kernel) + bias, 0)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_einsum_dense_layer_harness():
    run_layer_test(layers.EinsumDense, {'equation': 'ab,bc->ac', 'output_shape': 3,
                                        'bias_axes': 'c'}, input_shape=(2, 4),
                   expected_output_shape=(2, 3), expected_num_weights=2)


@pytest.mark.parametrize('kwargs, message', [
    ({'equation': 'ab->b', 'output_shape': 3}, 'equation'),
    ({'equation': 'ab,bc->ad', 'output_shape': 3}, "Dimension 'd'"),
    ({'equation': 'ab,bc->ac', 'output_shape': 3, 'bias_axes': 'x'}, "Bias dimension 'x'"),
])
def test_einsum_dense_bad_equations_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.EinsumDense(**kwargs)(torchkeras.Input((4,)))


# ----------------------------------------------------------------- MultiHeadAttention
def _manual_attention(mha, query, value, mask=None):
    """Keras's formula in numpy, from the layer's Keras-layout weights."""
    wq, bq, wk, bk, wv, bv, wo, bo = mha.get_weights()
    q = np.einsum('abc,cde->abde', query, wq) + bq
    k = np.einsum('abc,cde->abde', value, wk) + bk
    v = np.einsum('abc,cde->abde', value, wv) + bv
    q = q / np.sqrt(wq.shape[-1])
    scores = np.einsum('aecd,abcd->acbe', k, q)
    if mask is not None:
        scores = scores + (1.0 - mask[:, None].astype('float32')) * -1e9
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores = scores / scores.sum(-1, keepdims=True)
    out = np.einsum('acbe,aecd->abcd', scores, v)
    return np.einsum('abcd,cde->abe', out, wo) + bo, scores


def test_multi_head_attention_is_keras_formula():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    query, value = torch.randn(2, 4, 6), torch.randn(2, 5, 7)
    out, scores = mha(query, value, return_attention_scores=True)
    expected, expected_scores = _manual_attention(mha, query.numpy(), value.numpy())
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.detach().numpy(), expected_scores, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(mha(query, value), out)  # the SDPA path


def test_multi_head_attention_masks_and_causal():
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = torch.randn(2, 5, 8)
    mask = np.tril(np.ones((5, 5), dtype=bool))[None].repeat(2, 0)
    causal = mha(x, x, use_causal_mask=True)
    explicit = mha(x, x, attention_mask=torch.as_tensor(mask))
    expected, _ = _manual_attention(mha, x.numpy(), x.numpy(), mask)
    torch.testing.assert_close(causal, explicit)
    np.testing.assert_allclose(causal.detach().numpy(), expected, rtol=1e-5, atol=1e-5)
    value_mask = torch.tensor([[True, True, True, False, False]] * 2)
    padded = mha(x, x, value_mask=value_mask)
    expected, _ = _manual_attention(mha, x.numpy(), x.numpy(),
                                    np.broadcast_to(value_mask.numpy()[:, None], (2, 5, 5)))
    np.testing.assert_allclose(padded.detach().numpy(), expected, rtol=1e-5, atol=1e-5)


def test_multi_head_attention_weights_config_and_dropout():
    inp = torchkeras.Input((5, 8))
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=6,
                                    dropout=0.5, name='mha')
    model = torchkeras.Model(inp, mha(inp, inp))
    assert model.output_shape == (None, 5, 6)
    assert [w.name for w in mha.weights][:2] == ['mha/query/kernel:0', 'mha/query/bias:0']
    assert [w.shape for w in mha.weights][-2:] == [(2, 4, 6), (6,)]
    clone = layers.MultiHeadAttention.from_config(mha.get_config())
    assert clone.get_config() == mha.get_config()
    x = torch.randn(3, 5, 8)
    torch.testing.assert_close(model(x), model(x))  # inference: no dropout
    model.train()
    assert not torch.allclose(model(x), model(x))


def test_multi_head_attention_bad_arguments_are_named():
    with pytest.raises(ValueError, match='num_heads'):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match='dropout'):
        layers.MultiHeadAttention(num_heads=1, key_dim=2, dropout=1.5)
    with pytest.raises(ValueError, match='attention_axes'):
        layers.MultiHeadAttention(num_heads=1, key_dim=2)(torchkeras.Input((2, 3, 4)))


def test_multi_head_attention_round_trips_through_keras_files(tmp_path):
    inp = torchkeras.Input((5, 8))
    model = torchkeras.Model(inp, layers.MultiHeadAttention(num_heads=2, key_dim=3)(inp, inp))
    x = torch.randn(2, 5, 8)
    for filename in ('w.weights.h5', 'w.h5', 'm.keras'):
        path = str(tmp_path / filename)
        if filename.endswith('.keras'):
            model.save(path)
            again = torchkeras.models.load_model(path)
        else:
            model.save_weights(path)
            fresh_in = torchkeras.Input((5, 8))
            again = torchkeras.Model(
                fresh_in, layers.MultiHeadAttention(num_heads=2, key_dim=3)(fresh_in, fresh_in))
            again.load_weights(path)
        torch.testing.assert_close(again(x), model(x))


def test_identity_passes_values_and_masks():
    inp = torchkeras.Input((3,))
    masked = layers.Masking()(inp)
    out = layers.Identity()(masked)
    assert out.shape == (None, 3) and out._keras_mask is not None
    x = torch.randn(2, 3)
    torch.testing.assert_close(layers.Identity()(x), x)


# ------------------------------------------------------ Attention and AdditiveAttention
ATTENTION_CASES, ATTENTION_INPUTS = attention_cases.CASES, attention_cases.inputs()
ATTENTION_REFERENCE = np.load(os.path.join(DATA, 'attention_reference.npz'))


@pytest.mark.parametrize('case', ATTENTION_CASES, ids=[c[0] for c in ATTENTION_CASES])
def test_attention_layers_match_keras3(case):
    case_id, class_name, kwargs, call_kwargs, weights = case
    arrays = {k: torch.as_tensor(v) for k, v in ATTENTION_INPUTS.items()}
    layer = getattr(layers, class_name)(**kwargs)
    call_kwargs = dict(call_kwargs)
    if call_kwargs.pop('masks', False):
        call_kwargs['mask'] = [arrays['query_mask'], arrays['value_mask']]
    inputs = [arrays['query'], arrays['value'], arrays['key']]
    layer.build([tuple(t.shape) for t in inputs])
    if weights is not None:
        layer.set_weights([np.asarray(w, dtype='float32') for w in weights])
    result, scores = layer(inputs, return_attention_scores=True, **call_kwargs)
    np.testing.assert_allclose(result.detach().numpy(), ATTENTION_REFERENCE[case_id],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.detach().numpy(), ATTENTION_REFERENCE[case_id + '/scores'],
                               rtol=1e-5, atol=1e-6)


def test_attention_in_a_functional_graph_takes_masks_from_embeddings():
    query_ids, value_ids = torchkeras.Input((3,)), torchkeras.Input((5,))
    embed = layers.Embedding(10, 4, mask_zero=True)
    attended = layers.Attention()([embed(query_ids), embed(value_ids)])
    model = torchkeras.Model([query_ids, value_ids], attended)
    q, v = torch.tensor([[1, 2, 0]]), torch.tensor([[3, 4, 5, 0, 0]])
    out = model([q, v])
    direct = layers.Attention()([embed(q), embed(v)], mask=[q != 0, v != 0])
    torch.testing.assert_close(out, direct)
    assert float(out[0, 2].detach().abs().sum()) == 0.0  # a masked query step: zeros


def test_attention_layers_need_a_list_and_known_modes():
    with pytest.raises(ValueError, match='list of inputs'):
        layers.Attention()(torchkeras.Input((3, 4)))
    with pytest.raises(ValueError, match='score_mode'):
        layers.Attention(score_mode='general')
    config = layers.AdditiveAttention(dropout=0.1).get_config()
    assert 'score_mode' not in config and config['use_scale'] is True


def test_multi_head_attention_takes_value_masks_from_a_functional_graph():
    query_ids, value_ids = torchkeras.Input((3,)), torchkeras.Input((5,))
    embed = layers.Embedding(10, 4, mask_zero=True)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    model = torchkeras.Model([query_ids, value_ids], mha(embed(query_ids), embed(value_ids)))
    q, v = torch.tensor([[1, 2, 3]]), torch.tensor([[3, 4, 5, 0, 0]])
    expected = mha(embed(q), embed(v), query_mask=q != 0, value_mask=v != 0)
    torch.testing.assert_close(model([q, v]), expected)
    unmasked = mha(embed(q).detach(), embed(v).detach())  # tensors without Keras masks
    assert not torch.allclose(unmasked, expected)
