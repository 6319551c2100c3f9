"""SimpleRNN, GRU, LSTM, RNN(cell): shapes, weights, and values against an independent NumPy
step loop written here from Keras's equations (Keras layout and gate order), plus models
built from the Keras reference kit with real Keras weights and outputs."""
import importlib.util
import json
import os
import types

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from torchkeras.layers.recurrent import (GRU, GRUCell, LSTM, LSTMCell, RNN, SimpleRNN,
                                         SimpleRNNCell, StackedRNNCells)
from torchkeras.layers.embedding import Embedding
from torchkeras.layers.bidirectional import Bidirectional
from layer_harness import run_layer_test

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')


# --------------------------------------------------------------- NumPy reference (Keras)
def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def lstm_step(weights, act=np.tanh, gate=np_sigmoid):
    kernel, recurrent, bias = weights

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent + bias
        i, f, cc, o = np.split(z, 4, axis=-1)
        c = gate(f) * c + gate(i) * act(cc)
        h = gate(o) * act(c)
        return h, [h, c]
    return step


def gru_step(weights, reset_after=True, act=np.tanh, gate=np_sigmoid):
    kernel, recurrent, bias = weights
    u = recurrent.shape[0]

    def step(x, states):
        h = states[0]
        if reset_after:
            x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
            r_z, r_r, r_h = np.split(h @ recurrent + bias[1], 3, axis=-1)
            z, r = gate(x_z + r_z), gate(x_r + r_r)
            hh = act(x_h + r * r_h)
        else:
            x_z, x_r, x_h = np.split(x @ kernel + bias, 3, axis=-1)
            z = gate(x_z + h @ recurrent[:, :u])
            r = gate(x_r + h @ recurrent[:, u:2 * u])
            hh = act(x_h + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * hh
        return h, [h]
    return step


def simple_step(weights, act=np.tanh):
    kernel, recurrent, bias = weights

    def step(x, states):
        h = act(x @ kernel + states[0] @ recurrent + bias)
        return h, [h]
    return step


def np_rnn(step, x, states, mask=None, go_backwards=False, zero_output=False):
    """Keras's backend.rnn: (outputs (B, T, u), last output, final states)."""
    x = x[:, ::-1] if go_backwards else x
    mask = None if mask is None else (mask[:, ::-1] if go_backwards else mask)
    outputs, previous = [], None
    for t in range(x.shape[1]):
        output, new_states = step(x[:, t], states)
        if previous is None:
            previous = np.zeros_like(output)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
            output = np.where(keep, output, 0.0 if zero_output else previous)
        states, previous = new_states, output
        outputs.append(output)
    return np.stack(outputs, 1), outputs[-1], states


def random_weights(kind, features, units, seed=0):
    """Keras-layout weights with a non-trivial bias."""
    rng = np.random.RandomState(seed)
    gates = {'lstm': 4, 'gru': 3, 'gru_reset_before': 3, 'simple_rnn': 1}[kind]
    kernel = rng.uniform(-0.6, 0.6, (features, gates * units)).astype('float32')
    recurrent = rng.uniform(-0.6, 0.6, (units, gates * units)).astype('float32')
    bias_shape = (2, 3 * units) if kind == 'gru' else (gates * units,)
    bias = rng.uniform(-0.3, 0.3, bias_shape).astype('float32')
    return [kernel, recurrent, bias]


def make_layer(kind, units, **kwargs):
    if kind == 'lstm':
        return LSTM(units, **kwargs)
    if kind == 'gru':
        return GRU(units, **kwargs)
    if kind == 'gru_reset_before':
        return GRU(units, reset_after=False, **kwargs)
    return SimpleRNN(units, **kwargs)


def reference_step(kind, weights, act=np.tanh, gate=np_sigmoid):
    if kind == 'lstm':
        return lstm_step(weights, act, gate)
    if kind in ('gru', 'gru_reset_before'):
        return gru_step(weights, kind == 'gru', act, gate)
    return simple_step(weights, act)


def zero_states(kind, batch, units):
    return [np.zeros((batch, units), 'float32') for _ in range(2 if kind == 'lstm' else 1)]


MASKS = {
    'right': [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]],
    'left': [[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1]],
    'hole': [[1, 1, 0, 0, 1, 1], [1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1]],
    'empty_row': [[1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]],
}
KINDS = ['lstm', 'gru', 'gru_reset_before', 'simple_rnn']


def run_torchkeras(layer, x, mask=None, weights=None, **call_kwargs):
    layer(torch.as_tensor(x[:1]))  # build
    if weights is not None:
        layer.set_weights(weights)
    layer.eval()  # torch modules start in training mode
    with torch.no_grad():
        mask_t = None if mask is None else torch.as_tensor(mask).bool()
        return layer(torch.as_tensor(x), mask=mask_t, **call_kwargs)


def data(batch=3, steps=6, features=4, seed=1):
    return np.random.RandomState(seed).standard_normal((batch, steps, features)).astype('float32')


# ------------------------------------------------------------------------ harness table
@pytest.mark.parametrize('cls,kwargs,input_shape,expected,n_weights,n_params', [
    (LSTM, dict(units=3), (None, 5, 4), (None, 3), 3, 4 * (4 * 3 + 9 + 3)),
    (LSTM, dict(units=3, return_sequences=True, use_bias=False), (2, None, 4), (2, None, 3), 2,
     4 * (4 * 3 + 9)),
    (GRU, dict(units=2), (None, 5, 4), (None, 2), 3, 3 * (4 * 2 + 4 + 2 * 2)),
    (GRU, dict(units=2, reset_after=False, return_sequences=True), (None, 5, 4), (None, 5, 2),
     3, 3 * (4 * 2 + 4 + 2)),
    (SimpleRNN, dict(units=3, activation='relu'), (None, 5, 4), (None, 3), 3, 12 + 9 + 3),
    (LSTM, dict(units=3, recurrent_activation='hard_sigmoid', go_backwards=True),
     (None, 5, 4), (None, 3), 3, 4 * (12 + 9 + 3)),
    (RNN, dict(cell=LSTMCell(3), return_sequences=True), (None, 5, 4), (None, 5, 3), 3,
     4 * (12 + 9 + 3)),
    (RNN, dict(cell=[SimpleRNNCell(3), GRUCell(2)]), (None, 5, 4), (None, 2), 6,
     (12 + 9 + 3) + 3 * (3 * 2 + 4 + 4)),
])
def test_recurrent_harness(cls, kwargs, input_shape, expected, n_weights, n_params):
    run_layer_test(cls, kwargs, input_shape, expected_output_shape=expected,
                   expected_num_weights=n_weights, expected_num_params=n_params, atol=1e-5)


def test_keras_weight_shapes_names_and_torch_parameters():
    model = torchkeras.Sequential([LSTM(5, input_shape=(7, 3), return_sequences=True),
                                   GRU(4, return_sequences=True), SimpleRNN(2)])
    shapes = [w.shape for w in model.weights]
    assert shapes == [(3, 20), (5, 20), (20,), (5, 12), (4, 12), (2, 12), (4, 2), (2, 2), (2,)]
    assert [w.name for w in model.layers[0].weights] == [
        'lstm/lstm_cell/kernel:0', 'lstm/lstm_cell/recurrent_kernel:0', 'lstm/lstm_cell/bias:0']
    assert model.layers[1].weights[0].name == 'gru/gru_cell/kernel:0'
    assert model.layers[2].weights[2].name == 'simple_rnn/simple_rnn_cell/bias:0'
    # torch's second bias is a zero buffer where Keras has one bias: the counts agree
    assert sum(p.numel() for p in model.parameters()) == model.count_params() == \
        4 * (15 + 25 + 5) + 3 * (20 + 16 + 8) + (8 + 4 + 2)
    lstm = model.layers[0].cell.torch_rnn
    assert isinstance(lstm, torch.nn.LSTM) and not lstm.bias_hh_l0.any()
    assert 'bias_hh_l0' in dict(lstm.named_buffers())


def test_lstm_unit_forget_bias_initializes_forget_slice_to_one():
    layer = LSTM(4)
    layer(torch.zeros(1, 2, 3))
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    layer = LSTM(4, unit_forget_bias=False)
    layer(torch.zeros(1, 2, 3))
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(16))


# -------------------------------------------------------------------- values vs NumPy
@pytest.mark.parametrize('kind', KINDS)
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('mask_name', [None, 'right', 'left', 'hole', 'empty_row'])
def test_values_match_numpy_reference(kind, go_backwards, mask_name):
    x, units = data(), 5
    weights = random_weights(kind, 4, units)
    mask = None if mask_name is None else np.array(MASKS[mask_name], bool)
    expected_seq, expected_last, expected_states = np_rnn(
        reference_step(kind, weights), x, zero_states(kind, 3, units), mask, go_backwards)

    seq_layer = make_layer(kind, units, return_sequences=True, return_state=True,
                           go_backwards=go_backwards)
    seq, *states = run_torchkeras(seq_layer, x, mask, weights)
    np.testing.assert_allclose(seq.numpy(), expected_seq, atol=1e-5)
    for got, want in zip(states, expected_states):
        np.testing.assert_allclose(got.numpy(), want, atol=1e-5)

    last_layer = make_layer(kind, units, go_backwards=go_backwards)
    np.testing.assert_allclose(run_torchkeras(last_layer, x, mask, weights).numpy(),
                               expected_last, atol=1e-5)


@pytest.mark.parametrize('kind', ['lstm', 'gru'])
def test_hard_sigmoid_and_other_activations_use_the_step_loop(kind):
    x, units = data(), 4
    weights = random_weights(kind, 4, units, seed=3)
    layer = make_layer(kind, units, activation='sigmoid', recurrent_activation='hard_sigmoid',
                       return_sequences=True)
    got = run_torchkeras(layer, x, None, weights)
    expected, _, _ = np_rnn(reference_step(kind, weights, np_sigmoid, np_hard_sigmoid), x,
                            zero_states(kind, 3, units))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    assert layer.last_call_path == 'loop'


@pytest.mark.parametrize('kind', KINDS)
@pytest.mark.parametrize('mask_name', ['right', 'hole'])
def test_zero_output_for_mask(kind, mask_name):
    x, units, mask = data(), 3, np.array(MASKS[mask_name], bool)
    weights = random_weights(kind, 4, units, seed=5)
    layer = make_layer(kind, units, return_sequences=True, zero_output_for_mask=True)
    got = run_torchkeras(layer, x, mask, weights)
    expected, last, _ = np_rnn(reference_step(kind, weights), x, zero_states(kind, 3, units),
                               mask, zero_output=True)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    layer = make_layer(kind, units, zero_output_for_mask=True)
    np.testing.assert_allclose(run_torchkeras(layer, x, mask, weights).numpy(), last, atol=1e-5)


def test_time_major_inputs():
    x, weights = data(), random_weights('lstm', 4, 3)
    layer = LSTM(3, return_sequences=True, time_major=True)
    got = run_torchkeras(layer, x.transpose(1, 0, 2).copy(), None, weights)
    expected, _, _ = np_rnn(lstm_step(weights), x, zero_states('lstm', 3, 3))
    np.testing.assert_allclose(got.numpy(), expected.transpose(1, 0, 2), atol=1e-5)


# ---------------------------------------------------------------------- which kernel runs
@pytest.mark.parametrize('kwargs,mask_name,expected_path', [
    (dict(), None, 'fused'),
    (dict(), 'right', 'packed'),
    (dict(), 'all_on', 'fused'),
    (dict(go_backwards=True), 'right', 'packed'),
    (dict(), 'left', 'loop'),
    (dict(), 'hole', 'loop'),
    (dict(recurrent_activation='hard_sigmoid'), None, 'loop'),
    (dict(activation='relu'), None, 'loop'),
    (dict(recurrent_dropout=0.2), None, 'fused'),  # at inference no dropout: torch's step
])
def test_which_calls_take_the_fused_kernel(kwargs, mask_name, expected_path):
    masks = dict(MASKS, all_on=np.ones((3, 6), bool))
    layer = LSTM(3, **kwargs)
    mask = None if mask_name is None else np.array(masks[mask_name], bool)
    run_torchkeras(layer, data(), mask)
    assert layer.last_call_path == expected_path


def test_fused_paths_for_gru_and_simple_rnn():
    for layer, path in [(GRU(3), 'fused'), (GRU(3, reset_after=False), 'loop'),
                        (SimpleRNN(3), 'fused'), (SimpleRNN(3, activation='relu'), 'fused'),
                        (SimpleRNN(3, activation='sigmoid'), 'loop'), (RNN(GRUCell(3)), 'fused')]:
        run_torchkeras(layer, data())
        assert layer.last_call_path == path, layer


def test_input_dropout_keeps_the_fused_kernel_in_training():
    layer = LSTM(3, dropout=0.5)
    layer(torch.zeros(1, 2, 4))
    layer.train()
    layer(torch.as_tensor(data()))
    assert layer.last_call_path == 'fused'
    layer = LSTM(3, recurrent_dropout=0.5)
    layer(torch.zeros(1, 2, 4))
    layer(torch.as_tensor(data()), training=True)
    assert layer.last_call_path == 'loop'


def test_symbolic_calls_do_not_record_a_path_and_are_cheap_for_long_sequences():
    layer = GRU(3, reset_after=False, return_sequences=True)
    out = layer(torchkeras.Input(shape=(None, 4)))
    assert out.shape == (None, None, 3)
    assert layer.last_call_path is None


# ------------------------------------------------------------------------ masks in graphs
def test_mask_flows_through_return_sequences_and_stops_after():
    ids = torchkeras.Input(shape=(6,), dtype='int32')
    emb = Embedding(20, 4, mask_zero=True)(ids)
    seq = LSTM(3, return_sequences=True)(emb)
    last = LSTM(3)(seq)
    out, h, c = LSTM(3, return_sequences=True, return_state=True)(seq)
    assert seq._keras_mask is not None and seq._keras_mask.shape == (None, 6)
    assert last._keras_mask is None
    assert out._keras_mask is not None and h._keras_mask is None and c._keras_mask is None


def test_masked_model_equals_numpy_with_embedding_mask():
    ids = np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6], [7, 0, 0, 0, 0, 0]])
    inputs = torchkeras.Input(shape=(6,), dtype='int32')
    outputs = LSTM(3)(Embedding(10, 4, mask_zero=True)(inputs))
    model = torchkeras.Model(inputs, outputs)
    table = np.random.RandomState(2).standard_normal((10, 4)).astype('float32')
    weights = random_weights('lstm', 4, 3, seed=4)
    model.set_weights([table] + weights)
    model.eval()
    with torch.no_grad():
        got = model(torch.as_tensor(ids))
    _, expected, _ = np_rnn(lstm_step(weights), table[ids], zero_states('lstm', 3, 3), ids != 0)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    assert model.layers[-1].last_call_path == 'packed'


# ---------------------------------------------------------------------- initial states
def test_initial_state_eager_list_form_and_functional():
    x, weights = data(), random_weights('lstm', 4, 3, seed=7)
    rng = np.random.RandomState(8)
    h0, c0 = rng.standard_normal((2, 3, 3)).astype('float32')
    expected, _, _ = np_rnn(lstm_step(weights), x, [h0, c0])

    layer = LSTM(3, return_sequences=True)
    got = run_torchkeras(layer, x, None, weights,
                         initial_state=[torch.as_tensor(h0), torch.as_tensor(c0)])
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    with torch.no_grad():
        got = layer([torch.as_tensor(x), torch.as_tensor(h0), torch.as_tensor(c0)])
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)

    seq_in, h_in, c_in = (torchkeras.Input(shape=(6, 4)), torchkeras.Input(shape=(3,)),
                          torchkeras.Input(shape=(3,)))
    decoder = LSTM(3, return_sequences=True)
    model = torchkeras.Model([seq_in, h_in, c_in], decoder(seq_in, initial_state=[h_in, c_in]))
    decoder.set_weights(weights)
    model.eval()
    with torch.no_grad():
        got = model(torch.as_tensor(x), torch.as_tensor(h0), torch.as_tensor(c0))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)


def test_encoder_states_feed_a_decoder():
    enc_in, dec_in = torchkeras.Input(shape=(None, 4)), torchkeras.Input(shape=(None, 4))
    _, h, c = LSTM(3, return_state=True)(enc_in)
    dec = LSTM(3, return_sequences=True)(dec_in, initial_state=[h, c])
    model = torchkeras.Model([enc_in, dec_in], dec)
    assert model.output_shape == (None, None, 3)
    w_enc, w_dec = random_weights('lstm', 4, 3, seed=1), random_weights('lstm', 4, 3, seed=2)
    model.set_weights(w_enc + w_dec)
    xe, xd = data(seed=3), data(seed=4)
    _, _, states = np_rnn(lstm_step(w_enc), xe, zero_states('lstm', 3, 3))
    expected, _, _ = np_rnn(lstm_step(w_dec), xd, states)
    model.eval()
    with torch.no_grad():
        got = model(torch.as_tensor(xe), torch.as_tensor(xd))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)


def test_wrong_number_of_initial_states_is_named():
    layer = LSTM(3)
    with pytest.raises(ValueError, match='expects 2 initial state'):
        layer(torch.zeros(2, 3, 4), initial_state=[torch.zeros(2, 3)])


# ------------------------------------------------------------------------------ stateful
def test_stateful_carries_states_across_calls_and_resets():
    x, weights = data(batch=2, steps=8), random_weights('gru', 4, 3, seed=9)
    full, _, _ = np_rnn(gru_step(weights), x, zero_states('gru', 2, 3))
    layer = GRU(3, stateful=True, return_sequences=True, batch_input_shape=(2, 4, 4))
    model = torchkeras.Sequential([layer])
    layer.set_weights(weights)
    model.eval()
    with torch.no_grad():
        first = model(torch.as_tensor(x[:, :4]))
        second = model(torch.as_tensor(x[:, 4:]))
    np.testing.assert_allclose(np.concatenate([first, second], 1), full, atol=1e-5)
    model.reset_states()
    np.testing.assert_array_equal(layer.states[0].numpy(), np.zeros((2, 3)))
    with torch.no_grad():
        again = model(torch.as_tensor(x[:, :4]))
    np.testing.assert_allclose(again.numpy(), full[:, :4], atol=1e-5)
    h = np.full((2, 3), 0.5, 'float32')
    layer.reset_states([h])
    with torch.no_grad():
        from_h = model(torch.as_tensor(x[:, :4]))
    expected, _, _ = np_rnn(gru_step(weights), x[:, :4], [h])
    np.testing.assert_allclose(from_h.numpy(), expected, atol=1e-5)


def test_stateful_states_are_not_kept_during_shape_inference():
    layer = LSTM(3, stateful=True, batch_input_shape=(2, 5, 4))
    torchkeras.Sequential([layer])
    assert layer.states is None
    with torch.no_grad():
        layer(torch.ones(2, 5, 4))
    kept = [s.clone() for s in layer.states]
    layer(torchkeras.Input(batch_shape=(2, 5, 4)))  # a second symbolic call
    for before, after in zip(kept, layer.states):
        assert torch.equal(before, after)


def test_stateful_wrong_batch_names_layer_and_both_sizes():
    layer = LSTM(3, stateful=True, batch_input_shape=(4, 5, 2), name='stateful_lstm')
    torchkeras.Sequential([layer])
    with pytest.raises(ValueError, match=r'stateful_lstm.*batch size of 4.*batch of 3 samples'):
        layer(torch.zeros(3, 5, 2))
    with pytest.raises(ValueError, match=r'State 0 is incompatible.*\(4, 3\).*\(2, 3\)'):
        layer.reset_states([np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(AttributeError, match='must be stateful'):
        LSTM(3).reset_states()


# ------------------------------------------------------------------------------- dropout
def test_dropout_mask_is_constant_over_time():
    # linear cell, no recurrence, constant input: every step's output is (x * mask) @ W + b
    layer = SimpleRNN(6, activation='linear', dropout=0.5, return_sequences=True)
    layer(torch.zeros(1, 1, 6))
    layer.set_weights([np.eye(6, dtype='float32'), np.zeros((6, 6), 'float32'),
                       np.zeros(6, 'float32')])
    torch.manual_seed(1)
    out = layer(torch.ones(4, 5, 6), training=True).detach().numpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert np.all(out == out[:, :1])          # the same mask at every step
    assert 0 < (out == 0).mean() < 1
    torch.manual_seed(1)
    np.testing.assert_array_equal(layer(torch.ones(4, 5, 6), training=True).detach().numpy(), out)
    np.testing.assert_array_equal(layer(torch.ones(4, 5, 6), training=False).detach().numpy(),
                                  np.ones((4, 5, 6)))


def test_recurrent_dropout_mask_is_constant_over_time():
    # h_t = (h_{t-1} * m) @ I + 1: units with m=0 stay 1, units with m=2 go 1, 3, 7, 15
    layer = SimpleRNN(8, activation='linear', recurrent_dropout=0.5, return_sequences=True)
    layer(torch.zeros(1, 1, 1))
    layer.set_weights([np.zeros((1, 8), 'float32'), np.eye(8, dtype='float32'),
                       np.ones(8, 'float32')])
    torch.manual_seed(3)
    out = layer(torch.zeros(5, 4, 1), training=True).detach().numpy()
    dropped = np.ones(4)
    kept = np.array([1.0, 3.0, 7.0, 15.0])
    for row in out.transpose(0, 2, 1).reshape(-1, 4):
        assert np.allclose(row, dropped) or np.allclose(row, kept), row
    assert layer.last_call_path == 'loop'


def test_lstm_gate_dropout_is_reproducible_and_off_at_inference():
    layer = LSTM(4, dropout=0.3, recurrent_dropout=0.3, return_sequences=True)
    x = torch.as_tensor(data())
    layer(x)
    torch.manual_seed(5)
    a = layer(x, training=True)
    torch.manual_seed(5)
    b = layer(x, training=True)
    torch.manual_seed(6)
    c = layer(x, training=True)
    assert torch.equal(a, b) and not torch.equal(a, c)
    expected, _, _ = np_rnn(lstm_step(layer.get_weights()), x.numpy(), zero_states('lstm', 3, 4))
    np.testing.assert_allclose(layer(x, training=False).detach().numpy(), expected, atol=1e-5)
    assert layer.cell.implementation == 1  # Keras: per-gate masks with recurrent dropout


# ------------------------------------------------------------------------- custom cells
class MinimalRNNCell(layers.Layer):
    """The Keras guide's custom cell: ``h = x @ kernel + h_prev @ recurrent_kernel``."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name='kernel')
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name='recurrent_kernel')

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self):
        config = super().get_config()
        config['units'] = self.units
        return config


def test_custom_cell_rnn_with_mask_and_stacked_cells():
    x, mask = data(), np.array(MASKS['hole'], bool)
    layer = RNN(MinimalRNNCell(3), return_sequences=True)
    got = run_torchkeras(layer, x, mask)
    kernel, recurrent = layer.get_weights()
    assert [w.name for w in layer.weights] == ['rnn/minimal_rnn_cell/kernel:0',
                                               'rnn/minimal_rnn_cell/recurrent_kernel:0']

    def step(x_t, states):
        h = x_t @ kernel + states[0] @ recurrent
        return h, [h]
    expected, _, _ = np_rnn(step, x, zero_states('gru', 3, 3), mask)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    assert layer.last_call_path == 'loop'

    stacked = RNN([LSTMCell(3), GRUCell(2)], return_state=True)
    assert isinstance(stacked.cell, StackedRNNCells)
    last, h1, c1, h2 = run_torchkeras(stacked, x)
    clone = RNN.from_config(stacked.get_config())
    assert [type(c) for c in clone.cell.cells] == [LSTMCell, GRUCell]
    weights = stacked.get_weights()
    lstm, gru = lstm_step(weights[:3]), gru_step(weights[3:])

    def both(x_t, states):
        out, s1 = lstm(x_t, states[:2])
        out, s2 = gru(out, states[2:])
        return out, s1 + s2
    _, expected_last, expected_states = np_rnn(both, x, [np.zeros((3, 3))] * 2 + [np.zeros((3, 2))])
    np.testing.assert_allclose(last.numpy(), expected_last, atol=1e-5)
    for got_state, want in zip([h1, c1, h2], expected_states):
        np.testing.assert_allclose(got_state.numpy(), want, atol=1e-5)


def test_custom_cell_config_round_trip():
    layer = RNN(MinimalRNNCell(4), return_sequences=True)
    clone = RNN.from_config(layer.get_config(), custom_objects={'MinimalRNNCell': MinimalRNNCell})
    assert clone.cell.units == 4 and clone.return_sequences
    with pytest.raises(ValueError, match='MinimalRNNCell'):
        RNN.from_config(layer.get_config())


def test_standalone_cell_call():
    cell = LSTMCell(3)
    x = torch.as_tensor(data()[:, 0])
    h, (h2, c) = cell(x, [torch.zeros(3, 3), torch.zeros(3, 3)])
    assert torch.equal(h, h2)
    expected, _ = lstm_step(cell.get_weights())(x.numpy(), zero_states('lstm', 3, 3))
    np.testing.assert_allclose(h.detach().numpy(), expected, atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='units=0'):
        LSTM(0)
    with pytest.raises(ValueError, match='state_size'):
        RNN(object())
    with pytest.raises(TypeError, match="dropout=.*'a'"):
        GRU(2, dropout='a')
    with pytest.raises(ValueError, match=r'lstm.*ndim=3, found ndim=2'):
        LSTM(2, name='lstm')(torchkeras.Input(shape=(3,)))


def test_keras2_input_dim_and_input_length_give_the_input_shape():
    model = torchkeras.Sequential([LSTM(32, input_length=10, input_dim=64)])
    assert model.input_shape == (None, 10, 64) and model.output_shape == (None, 32)


def test_regularizers_and_trainable_flag():
    layer = LSTM(3, kernel_regularizer='l2', recurrent_regularizer='l1')
    layer(torch.zeros(1, 2, 4))
    assert len(layer.losses) == 2
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    assert not layer.cell.torch_rnn.weight_ih_l0.requires_grad


@pytest.mark.gpu
def test_fused_kernel_on_cuda_matches_cpu_and_keeps_flat_weights():
    model = torchkeras.Sequential([LSTM(8, return_sequences=True, input_shape=(5, 4)),
                                   Bidirectional(GRU(6))])
    x, mask = torch.as_tensor(data(steps=5)), torch.as_tensor(np.array(MASKS['right'])[:, :5])
    model.eval()
    with torch.no_grad():
        expected = model(x).numpy()
    model.to('cuda')
    with torch.no_grad():
        got = model(x.cuda()).cpu().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)
    lstm = model.layers[0].cell.torch_rnn
    lstm.flatten_parameters()
    assert model.layers[0].last_call_path == 'fused'
    layer = LSTM(4)
    layer(torch.zeros(1, 5, 4))
    layer.to('cuda')
    with torch.no_grad():
        layer(x.cuda(), mask=mask.bool().cuda())
    assert layer.last_call_path == 'packed'


# --------------------------------------------------------------- Keras reference kit
def kit_namespace():
    """The kit's ``keras`` argument: torchkeras with every layer module's public names."""
    import importlib
    import pkgutil
    import torchkeras.layers as layer_package
    names = {}
    for info in pkgutil.iter_modules(layer_package.__path__):
        module = importlib.import_module('torchkeras.layers.' + info.name)
        names.update({n: getattr(module, n) for n in getattr(module, '__all__', [])})
    names.update({n: getattr(layer_package, n) for n in layer_package.__all__})
    return types.SimpleNamespace(layers=types.SimpleNamespace(**names),
                                 models=torchkeras.models, Input=torchkeras.Input,
                                 Model=torchkeras.Model, Sequential=torchkeras.Sequential,
                                 backend=torchkeras.backend)


def keras2_h5_weights(path):
    """The arrays of a Keras 2 weights file in get_weights() order (as the kit's run.py)."""
    import h5py

    def text(value):
        return value.decode('utf8') if isinstance(value, bytes) else str(value)
    with h5py.File(path, 'r') as f:
        group = f['model_weights'] if 'model_weights' in f else f
        return [np.asarray(group[text(layer)][text(name)])
                for layer in group.attrs['layer_names']
                for name in group[text(layer)].attrs['weight_names']]


def predict(model, inputs):
    model.eval()
    with torch.no_grad():
        out = model(*[torch.as_tensor(x) for x in inputs])
    return [o.numpy() for o in (out if isinstance(out, list) else [out])]


KIT_CASES = ['seq_lstm_input_shape', 'seq_lstm_input_length_input_dim', 'stacked_lstm_x3',
             'stateful_stacked_lstm', 'embedding_lstm_hard_sigmoid', 'embedding_mask_lstm_binary',
             'two_lstm_encoders_concat', 'image_captioning_functional', 'qa_two_input_lstm']


@pytest.mark.parametrize('case', KIT_CASES)
def test_kit_case_matches_keras(kit_dir, case):
    spec = importlib.util.spec_from_file_location('kit_cases', os.path.join(kit_dir, 'cases.py'))
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    fixture = os.path.join(kit_dir, 'fixtures', case)
    meta = json.load(open(os.path.join(fixture, 'meta.json')))
    keras = kit_namespace()
    needed = {'image_captioning_functional': ('Conv2D', 'MaxPooling2D', 'TimeDistributed')}
    missing = [n for n in needed.get(case, ()) if not hasattr(keras.layers, n)]
    if missing:
        pytest.skip('layers from other modules not available yet: %s' % missing)
    model = cases.CASES[case](keras)
    assert model.count_params() == meta['params']['total']
    model.set_weights(keras2_h5_weights(os.path.join(fixture, 'weights_keras2.h5')))
    if meta['io'].get('stateful'):
        model.reset_states()
    io = np.load(os.path.join(fixture, 'io.npz'))
    got = predict(model, [io['in_%d' % i] for i in range(len(meta['inputs']))])
    for i, out in enumerate(got):
        np.testing.assert_allclose(out, io['out_%d' % i], atol=1e-5, rtol=1e-4)


# Vendored copies of two kit cases (weights and io arrays written by tf_keras 2.21) so these
# checks run without the kit.  The builders are the kit's case functions, rewritten here.
def seq_lstm_input_shape():
    model = torchkeras.Sequential()
    model.add(LSTM(32, input_shape=(10, 64)))
    return model


def embedding_mask_lstm_binary():
    x = torchkeras.Input(shape=(100,), dtype='int32')
    embedding = Embedding(500, 64, mask_zero=True)(x)
    hidden1 = LSTM(64)(embedding)
    hidden2 = layers.Dense(32, activation='relu')(hidden1)
    output = layers.Dense(1, activation='sigmoid')(hidden2)
    return torchkeras.Model(inputs=x, outputs=output)


@pytest.mark.parametrize('build,path', [(seq_lstm_input_shape, 'fused'),
                                        (embedding_mask_lstm_binary, 'packed')])
def test_vendored_keras_fixture(build, path):
    arrays = np.load(os.path.join(DATA, build.__name__ + '.npz'))
    model = build()
    weights = [arrays[k] for k in sorted(arrays.files) if k.startswith('weight_')]
    model.set_weights(weights)
    got = predict(model, [arrays['in_0']])
    np.testing.assert_allclose(got[0], arrays['out_0'], atol=1e-5, rtol=1e-4)
    assert [layer for layer in model.layers if isinstance(layer, LSTM)][0].last_call_path == path


# --------------------------------------------------------------------------- constants
class ConditionedCell(layers.Layer):
    """Keras's conditioned-RNN pattern: every step also sees ``constants[0]`` (batch, cdim)."""

    def __init__(self, units, cdim, **kwargs):
        super().__init__(**kwargs)
        self.units, self.cdim, self.state_size = units, cdim, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name='kernel')
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name='recurrent_kernel')
        self.constant_kernel = self.add_weight(shape=(self.cdim, self.units),
                                               name='constant_kernel')

    def call(self, inputs, states, constants):
        out = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel
                         + constants[0] @ self.constant_kernel)
        return out, [out]

    def get_config(self):
        return dict(super().get_config(), units=self.units, cdim=self.cdim)


def conditioned_reference(x, c, kernel, recurrent, constant):
    h, outputs = np.zeros((x.shape[0], kernel.shape[1])), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + c @ constant)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def conditioned_model():
    x, c = torchkeras.Input((5, 3)), torchkeras.Input((4,))
    rnn = RNN(ConditionedCell(6, 4), return_sequences=True)
    return torchkeras.Model([x, c], rnn(x, constants=c)), rnn


def test_constants_reach_every_step_and_survive_saving(tmp_path):
    model, rnn = conditioned_model()
    rs = np.random.RandomState(0)
    model.set_weights([rs.standard_normal(w.shape).astype('float32') * 0.3
                       for w in model.get_weights()])
    x, c = rs.rand(2, 5, 3).astype('float32'), rs.rand(2, 4).astype('float32')
    expected = conditioned_reference(x, c, *model.get_weights())
    np.testing.assert_allclose(model.predict([x, c], verbose=0), expected, atol=1e-5)
    assert rnn.last_call_path == 'loop' and rnn.get_config()['num_constants'] == 1
    assert [len(n.inbound_layers) for n in rnn.inbound_nodes] == [2]  # constants are inputs
    # Keras's list form: the constants last, once the layer knows how many there are.
    direct = rnn([torch.as_tensor(x), torch.as_tensor(c)])
    np.testing.assert_allclose(direct.detach().numpy(), expected, atol=1e-5)
    for name in ('model.h5', 'model.keras'):
        model.save(tmp_path / name)
        loaded = torchkeras.models.load_model(tmp_path / name,
                                              custom_objects={'ConditionedCell': ConditionedCell})
        np.testing.assert_allclose(loaded.predict([x, c], verbose=0), expected, atol=1e-5)


def test_constants_train_the_constant_kernel():
    model, _ = conditioned_model()
    model.compile(optimizer='sgd', loss='mse')
    before = model.get_weights()[2].copy()
    model.fit([np.random.rand(8, 5, 3), np.random.rand(8, 4)], np.ones((8, 5, 6)), verbose=0)
    assert not np.allclose(model.get_weights()[2], before)


def test_constants_for_a_cell_without_them_is_a_clear_error():
    with pytest.raises(ValueError, match='does not support constants'):
        LSTM(3)(torch.zeros(2, 5, 4), constants=[torch.zeros(2, 4)])


# ------------------------------------------------------------------------------- ConvLSTM
import convlstm_cases  # noqa: E402

_CONVLSTM_DIR = os.path.join(os.path.dirname(__file__), 'data', 'keras3')
_CONVLSTM_REFERENCE = np.load(os.path.join(_CONVLSTM_DIR, 'convlstm_reference.npz'))


@pytest.mark.parametrize('case', convlstm_cases.CASES, ids=[c[0] for c in convlstm_cases.CASES])
def test_conv_lstm_matches_keras3(case):
    case_id, class_name, kwargs, input_shape, masked = case
    layer = getattr(layers, class_name)(**kwargs)
    layer.build(input_shape)
    x, mask, weights = convlstm_cases.arrays(case_id, input_shape,
                                             [w.shape for w in layer.weights])
    layer.set_weights(weights)
    x = torch.as_tensor(x)
    got = layer(x, mask=torch.as_tensor(mask)) if masked else layer(x)
    np.testing.assert_allclose(got.detach().numpy(), _CONVLSTM_REFERENCE[case_id], rtol=1e-4,
                               atol=1e-5)
    assert layer.count_params() == int(_CONVLSTM_REFERENCE[case_id + '/params'])


def test_conv_lstm_loads_a_keras3_weights_file_and_trains():
    case_id, _, kwargs, input_shape, _ = convlstm_cases.CASES[0]
    inputs = torchkeras.Input(input_shape[1:])
    model = torchkeras.Model(inputs, layers.ConvLSTM2D(**kwargs)(inputs))
    model.load_weights(os.path.join(_CONVLSTM_DIR, 'convlstm.weights.h5'))
    x, _, _ = convlstm_cases.arrays(case_id, input_shape, [w.shape for w in model.weights])
    np.testing.assert_allclose(model.predict(x, verbose=0), _CONVLSTM_REFERENCE[case_id],
                               rtol=1e-4, atol=1e-5)
    model.compile(optimizer='adam', loss='mse')
    history = model.fit(x, np.zeros_like(model.predict(x, verbose=0)), epochs=3, verbose=0)
    assert history.history['loss'][-1] < history.history['loss'][0]


def test_conv_lstm_states_forget_bias_config_and_errors():
    layer = layers.ConvLSTM2D(2, 3, return_state=True, padding='same')
    out, h, c = layer(torch.randn(1, 3, 4, 4, 1))
    assert out.shape == h.shape == c.shape == (1, 4, 4, 2)
    torch.testing.assert_close(out, h)
    assert layer.get_weights()[2].tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    clone = layers.ConvLSTM2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match='filters'):
        layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match='ndim=5'):
        layers.ConvLSTM2D(2, 3)(torchkeras.Input((4, 4, 1)))
