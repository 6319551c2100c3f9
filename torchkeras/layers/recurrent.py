"""Recurrent layers: SimpleRNN, GRU, LSTM, the generic RNN(cell), their cells, StackedRNNCells.

A recurrent layer is an ``RNN`` running a cell over the time axis.  The built-in cells keep
their weights in a torch recurrent module (``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``, batch first)
in torch layout; Keras sees kernel (in, k*u), recurrent_kernel (u, k*u) and bias through
``saving/weight_layouts.py``.  Where Keras has one bias and torch two (LSTM, SimpleRNN, GRU
with reset_after=False) torch's recurrent bias is a zero buffer, so parameter counts are
Keras's.  The cell owns the weights; Keras names them after the layer and the cell
('lstm/lstm_cell/kernel:0').

Each call takes one of three paths, recorded in ``layer.last_call_path``:

- ``'fused'``: torch's fused kernel (cuDNN on GPU) over the whole sequence.  Used when Keras's
  step is torch's (tanh and sigmoid, GRU reset_after=True, SimpleRNN tanh or relu, no
  recurrent dropout in training; input dropout is a mask on the inputs) and there is no
  mask, or a mask with every step on.
- ``'packed'``: the same kernel on a PackedSequence, for right-padded masks (each row: ones,
  then zeros); the outputs are then rearranged to Keras's masked-step rules.
- ``'loop'``: a Python loop over timesteps (hard_sigmoid and other activations, recurrent
  dropout in training, GRU reset_after=False, masks with holes or left padding, custom
  cells).

Keras's masked-step rules: a masked step keeps the state and outputs the previous output (so
leading masked steps output 0), or 0 with ``zero_output_for_mask`` (which Bidirectional sets
when it returns sequences).  Deciding the path for a mask costs one host transfer per batch.
"""
import inspect

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras.graph import shape_inference
from torchkeras.layers.basic import _serialize, positive_int
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.saving.weight_layouts import (DENSE_KERNEL, GRU_BIAS_SINGLE, GRU_KERNEL,
                                              IDENTITY, gru_bias)
from torchkeras.utils.generic import flatten

__all__ = ['RNN', 'SimpleRNN', 'GRU', 'LSTM', 'SimpleRNNCell', 'GRUCell', 'LSTMCell',
           'StackedRNNCells']

_TANH = (activations.tanh, torch.tanh)
_SIGMOID = (activations.sigmoid, torch.sigmoid)
_RELU = (activations.relu, torch.relu)


# ------------------------------------------------------------------------------ helpers
def _rate(value, argname, owner):
    """A dropout rate; Keras clips it to [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError('`%s` of %s must be a float between 0 and 1. Received: %s=%r'
                        % (argname, owner, argname, value))
    return min(1.0, max(0.0, float(value)))


def _fast(fn):
    """torch's own tanh/sigmoid for the per-step loop (same values, no logits bookkeeping)."""
    if fn is activations.tanh:
        return torch.tanh
    if fn is activations.sigmoid:
        return torch.sigmoid
    return fn


def _dropout_masks(count, batch, features, rate, like):
    """``count`` inverted-dropout masks (count, batch, features), drawn once per sequence."""
    keep = 1.0 - rate
    masks = torch.empty((count, batch, features), dtype=like.dtype, device=like.device)
    return masks.bernoulli_(keep).div_(keep)


def _per_gate_linear(x, masks, weight, bias):
    """Block g of ``x @ weight.T + bias`` computed from ``x * masks[g]`` (Keras's per-gate
    dropout, its implementation 1)."""
    gates = masks.shape[0]
    biases = bias.chunk(gates) if bias is not None else [None] * gates
    blocks = [F.linear(x * m, w, b) for m, w, b in zip(masks, weight.chunk(gates), biases)]
    return torch.cat(blocks, dim=-1)


def _masked_linear(x, weight, bias, masks):
    """``x @ weight.T + bias`` with dropout masks (None, one for all gates, or one per gate)."""
    if masks is None:
        return F.linear(x, weight, bias)
    if masks.shape[0] == 1:
        return F.linear(x * masks[0], weight, bias)
    return _per_gate_linear(x, masks, weight, bias)


_FUSED_OPS = {'GRU': torch.gru, 'RNN_TANH': torch.rnn_tanh, 'RNN_RELU': torch.rnn_relu}


# torch.compile runs this eagerly, as it runs nn.LSTM/nn.GRU modules (dynamo does not trace
# RNN kernels; inductor's CPU lowering of the fused RNN op fails on this call).
@torch.compiler.disable
def _fused_rnn(mode, x, hx, params, has_biases, bidirectional, batch_sizes=None):
    """torch's fused recurrent kernel (cuDNN on GPU) over a batch-first sequence, or over a
    PackedSequence's data when ``batch_sizes`` is given.  ``hx``: states (directions, batch,
    units).  Returns (outputs, final states)."""
    # cuDNN keeps what backward needs only in train mode: ask for it whenever grads flow.
    train = torch.is_grad_enabled()
    if mode == 'LSTM':
        if batch_sizes is None:
            out, h, c = torch.lstm(x, tuple(hx), params, has_biases, 1, 0.0, train,
                                   bidirectional, True)
        else:
            out, h, c = torch.lstm(x, batch_sizes, tuple(hx), params, has_biases, 1, 0.0, train,
                                   bidirectional)
        return out, [h, c]
    op = _FUSED_OPS[mode]
    if batch_sizes is None:
        out, h = op(x, hx[0], params, has_biases, 1, 0.0, train, bidirectional, True)
    else:
        out, h = op(x, batch_sizes, hx[0], params, has_biases, 1, 0.0, train, bidirectional)
    return out, [h]


def _path_for_mask(mask):
    """('fused', None) when every step is on, ('packed', (lengths, lengths on CPU)) when each
    row is ones then zeros, else ('loop', None).  One host transfer per batch decides it."""
    lengths = mask.sum(dim=1)
    not_right_padded = (mask[:, 1:] & ~mask[:, :-1]).any()
    summary = torch.cat([lengths, not_right_padded.view(1).to(lengths.dtype)]).cpu()
    lengths_cpu = summary[:-1]
    if bool(summary[-1]):
        return 'loop', None
    if bool((lengths_cpu == mask.shape[1]).all()):
        return 'fused', None
    return 'packed', (lengths, lengths_cpu)


def _run_packed(mode, x, hx, params, has_biases, bidirectional, lengths_cpu, pad=True):
    """The fused kernel over the valid steps of right-padded rows; outputs zero after them
    (None without ``pad``: the caller needs the final states only).  Rows with no valid step
    run one step, which callers discard."""
    packed = pack_padded_sequence(x, lengths_cpu.clamp(min=1), batch_first=True,
                                  enforce_sorted=False)
    hx = [h.index_select(1, packed.sorted_indices) for h in hx]
    data, final = _fused_rnn(mode, packed.data, hx, params, has_biases, bidirectional,
                             packed.batch_sizes)
    final = [f.index_select(1, packed.unsorted_indices) for f in final]
    if not pad:
        return None, final
    out, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                                                packed.unsorted_indices),
                                 batch_first=True, total_length=x.shape[1])
    return out, final


def _reverse_valid_steps(x, lengths):
    """Each row's first ``length`` steps in reverse order (the padding stays where it is)."""
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    lengths = lengths.unsqueeze(1)
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


def _keras_masked_sequence(out, lengths, go_backwards, zero_output):
    """Packed outputs (valid steps first, then zeros) arranged by Keras's masked-step rules.

    Forward, a masked step repeats the previous output (0 with ``zero_output``).  With
    go_backwards the reversed mask starts with the masked steps, which output 0, and row b's
    valid outputs follow from position T - length.
    """
    steps = torch.arange(out.shape[1], device=out.device).unsqueeze(0)
    lengths = lengths.unsqueeze(1)
    if go_backwards:
        source = steps - (out.shape[1] - lengths)
        valid = source >= 0
    elif zero_output:  # the packed layout already: valid steps, then zeros
        return out * (steps < lengths).unsqueeze(-1).to(out.dtype)
    else:
        source, valid = torch.minimum(steps, lengths - 1), lengths > 0
    index = source.clamp(min=0).unsqueeze(-1).expand(-1, -1, out.shape[-1])
    return out.gather(1, index) * valid.unsqueeze(-1).to(out.dtype)


def _packed_last_output(h, lengths, steps, go_backwards, zero_output):
    """The last output by Keras's rules, from the final state: the last valid step's output;
    0 for rows with no valid step, and (zero_output, forward) for rows shorter than T."""
    keep = lengths == steps if zero_output and not go_backwards else lengths > 0
    return h * keep.unsqueeze(1).to(h.dtype)


def _keep_initial_where_empty(final, initial, lengths, lengths_cpu):
    """Rows whose mask is all off never step: their final states are the initial ones."""
    if not bool((lengths_cpu == 0).any()):
        return final
    empty = (lengths == 0).view(-1, *([1] * (final[0].dim() - 1)))
    return [torch.where(empty, s0, s) for s, s0 in zip(final, initial)]


def _first_mask(mask):
    """The (batch, time) boolean mask of the sequence input, or None."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0] if mask else None
    if mask is None:
        return None
    return mask if mask.dtype == torch.bool else mask.bool()


def _split_initial_state(inputs, initial_state):
    """Keras's ``layer([x, h0, c0])`` form: the first tensor is the sequence, the rest states."""
    if isinstance(inputs, (list, tuple)):
        if initial_state is None and len(inputs) > 1:
            initial_state = list(inputs[1:])
        inputs = inputs[0]
    if initial_state is not None and not isinstance(initial_state, (list, tuple)):
        initial_state = [initial_state]
    return inputs, initial_state


def _sequence_shape(input_shape):
    """The (batch, time, features) shape, also from [sequence shape, state shapes...]."""
    if input_shape and isinstance(input_shape[0], (list, tuple)):
        return tuple(input_shape[0])
    return tuple(input_shape)


def _state_sizes(cell):
    size = cell.state_size
    return [int(s) for s in flatten(list(size) if isinstance(size, (list, tuple)) else [size])]


def _output_size(cell):
    size = getattr(cell, 'output_size', None)
    return int(size) if size is not None else _state_sizes(cell)[0]


def _call_cell(cell, inputs, states, training, constants=None):
    """One step of any cell: (output, list of new states)."""
    extra = {} if constants is None else {'constants': constants}
    if isinstance(cell, Layer):
        output, new_states = cell.forward(inputs, states, training=training, **extra)
    else:
        output, new_states = cell.call(inputs, states, **extra)
    if not isinstance(new_states, (list, tuple)):
        new_states = [new_states]
    return output, list(new_states)


def _select(keep, new, old):
    """``new`` where ``keep`` (batch,) is on, else ``old``."""
    return torch.where(keep.view(-1, *([1] * (new.dim() - 1))), new, old)


def _name_weights_under(owner, sublayer):
    """Keras names an RNN's weights after the layer and its cell: 'lstm/lstm_cell/kernel:0',
    'bidirectional/forward_lstm/lstm_cell/kernel:0'.  The weights stay with the sublayer (Keras
    3 files keep them in the cell) but are named, and made trainable or not, by ``owner``."""
    for weight in sublayer.weights:
        weight.short_name = '%s/%s' % (sublayer.name, weight.short_name)
        weight.layer = owner


def _builtin_cells(cell):
    """The built-in cells in ``cell`` (itself, or inside StackedRNNCells)."""
    if isinstance(cell, _TorchRNNCell):
        return [cell]
    return [c for sub in getattr(cell, 'cells', []) for c in _builtin_cells(sub)]


def _serialize_cell(cell):
    if isinstance(cell, Layer) or hasattr(cell, 'get_config'):
        return {'class_name': type(cell).__name__, 'config': cell.get_config()}
    raise ValueError('Cannot serialize cell %r: it needs a get_config() method.' % (cell,))


def _deserialize_cell(spec, custom_objects=None):
    """A cell from ``{'class_name', 'config'}`` (built-in cells or ``custom_objects``)."""
    if isinstance(spec, (list, tuple)):
        return [_deserialize_cell(s, custom_objects) for s in spec]
    if not isinstance(spec, dict):
        return spec
    name = spec['class_name']
    cls = (custom_objects or {}).get(name) or _CELL_CLASSES.get(name)
    if cls is None:
        raise ValueError('Unknown RNN cell class %r. Pass it as custom_objects={%r: %s}.'
                         % (name, name, name))
    if 'custom_objects' in inspect.signature(cls.from_config).parameters:
        return cls.from_config(spec['config'], custom_objects=custom_objects)
    return cls.from_config(spec['config'])


# ------------------------------------------------------------------------------- cells
class _TorchRNNCell(Layer):
    """What the built-in cells share: weights in one torch recurrent module (shared by both
    directions inside a Bidirectional), the fused kernel, the input projection of a whole
    sequence, and the single step (``_step``, in torch gate order) for the loop path."""
    _GATES = 1
    _KERNEL_LAYOUT = DENSE_KERNEL

    def __init__(self, units, activation='tanh', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, **kwargs):
        implementation = kwargs.pop('implementation', 2)
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = positive_int(units, 'units', owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        # Resolved now, as Keras does: a config read from a file may hold dicts here.
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _rate(dropout, 'dropout', owner)
        self.recurrent_dropout = _rate(recurrent_dropout, 'recurrent_dropout', owner)
        # Keras switches to per-gate dropout masks (implementation 1) with recurrent dropout.
        self.implementation = 1 if self.recurrent_dropout != 0 else int(implementation)
        self.state_size = self.units
        self.output_size = self.units
        self._storage_request = None  # (module, direction suffix) lent by a Bidirectional
        self._mask_cache = None       # per-sequence dropout masks when run step by step

    # ------------------------------------------------------------------- weights
    def _torch_module(self, input_dim, bidirectional):
        raise NotImplementedError

    def _keeps_recurrent_bias(self):
        return False

    def _make_torch_rnn(self, input_dim, bidirectional=False):
        """The torch module holding this cell's weights (both directions for Bidirectional)."""
        module = self._torch_module(input_dim, bidirectional)
        if self.use_bias and not self._keeps_recurrent_bias():
            # Keras has a single bias here: torch's recurrent bias stays zero, as a buffer.
            for suffix in ('', '_reverse')[:2 if bidirectional else 1]:
                name = 'bias_hh_l0' + suffix
                zeros = torch.zeros_like(getattr(module, name)).detach()
                delattr(module, name)
                module.register_buffer(name, zeros)
            module._init_flat_weights()  # torch caches its weight list: refresh it
        return module

    def _storage_signature(self):
        """Cells with equal signatures can share one bidirectional torch module."""
        return (type(self), self.units, self.use_bias, getattr(self, 'reset_after', None))

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError('The last dimension of the inputs to %s should be defined. Found '
                             'None. Full input shape received: %s' % (self.name, input_shape))
        if self._storage_request is None:
            self.torch_rnn = self._make_torch_rnn(input_dim)
            self._storage = (self.torch_rnn, '')
        else:
            self._storage = self._storage_request
        module, suffix = self._storage
        self.kernel = self.track_weight('kernel', module, 'weight_ih_l0' + suffix,
                                        self._KERNEL_LAYOUT, self.kernel_initializer,
                                        self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = self.track_weight(
            'recurrent_kernel', module, 'weight_hh_l0' + suffix, self._KERNEL_LAYOUT,
            self.recurrent_initializer, self.recurrent_regularizer, self.recurrent_constraint)
        if self.use_bias:
            attrs, layout = self._bias_refs(suffix)
            self.bias = self.track_weight('bias', module, attrs, layout, self._bias_initial(),
                                          self.bias_regularizer, self.bias_constraint)

    def _bias_refs(self, suffix):
        return 'bias_ih_l0' + suffix, IDENTITY

    def _bias_initial(self):
        return self.bias_initializer

    def _params(self):
        """This cell's tensors in torch order: weight_ih, weight_hh[, bias_ih, bias_hh]."""
        module, suffix = self._storage
        names = ('weight_ih_l0', 'weight_hh_l0')
        if self.use_bias:
            names += ('bias_ih_l0', 'bias_hh_l0')
        return [getattr(module, name + suffix) for name in names]

    def _fused_mode(self):
        """torch's fused kernel when its step is Keras's (activations, GRU reset_after)."""
        raise NotImplementedError

    def _needs_loop(self, training):
        """In training, recurrent dropout (or per-gate input dropout, implementation 1)
        changes the step: then the loop runs."""
        per_gate_inputs = self.implementation == 1 and self._GATES > 1 and 0.0 < self.dropout < 1.0
        return bool(training) and (0.0 < self.recurrent_dropout < 1.0 or per_gate_inputs)

    # ------------------------------------------------------------------- compute
    def _dropout_masks(self, batch, like, training):
        """Keras's dropout masks for one sequence: (count, batch, features) for the inputs
        and (count, batch, units) for the state; count = 1, or one per gate in
        implementation 1 (Keras's choice with recurrent dropout)."""
        if not training:
            return None, None
        count = self._GATES if self.implementation == 1 else 1
        in_masks = rec_masks = None
        if 0.0 < self.dropout < 1.0:
            in_masks = _dropout_masks(count, batch, like.shape[-1], self.dropout, like)
        if 0.0 < self.recurrent_dropout < 1.0:
            rec_masks = _dropout_masks(count, batch, self.units, self.recurrent_dropout, like)
        return in_masks, rec_masks

    def _input_projection(self, x, params, masks):
        """``x @ kernel + bias`` for every step at once: (batch, [time,] gates*units)."""
        if masks is not None and x.dim() == 3:
            masks = masks.unsqueeze(2)
        return _masked_linear(x, params[0], params[2] if self.use_bias else None, masks)

    def _step(self, projected, states, params, rec_masks):
        raise NotImplementedError

    def call(self, inputs, states, training=None):
        """One step, Keras's cell API: (output, new states)."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        params = self._params()
        if self._mask_cache is None:
            in_masks, rec_masks = self._dropout_masks(inputs.shape[0], inputs, training)
        else:  # inside a sequence: the masks drawn at its first step
            if 'masks' not in self._mask_cache:
                self._mask_cache['masks'] = self._dropout_masks(inputs.shape[0], inputs, training)
            in_masks, rec_masks = self._mask_cache['masks']
        projected = self._input_projection(inputs, params, in_masks)
        return self._step(projected, states, params, rec_masks)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """Zero states (batch, size) for a batch like ``inputs`` (or of ``batch_size``)."""
        if inputs is not None:
            return [inputs.new_zeros((inputs.shape[0], size)) for size in _state_sizes(self)]
        return [torch.zeros((batch_size, size)) for size in _state_sizes(self)]

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias,
                      kernel_initializer=_serialize('initializers', self.kernel_initializer),
                      recurrent_initializer=_serialize('initializers', self.recurrent_initializer),
                      bias_initializer=_serialize('initializers', self.bias_initializer),
                      kernel_regularizer=_serialize('regularizers', self.kernel_regularizer),
                      recurrent_regularizer=_serialize('regularizers', self.recurrent_regularizer),
                      bias_regularizer=_serialize('regularizers', self.bias_regularizer),
                      kernel_constraint=_serialize('constraints', self.kernel_constraint),
                      recurrent_constraint=_serialize('constraints', self.recurrent_constraint),
                      bias_constraint=_serialize('constraints', self.bias_constraint),
                      dropout=self.dropout, recurrent_dropout=self.recurrent_dropout)
        return config


class SimpleRNNCell(_TorchRNNCell):
    """``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``; torch ``nn.RNN``."""

    def _torch_module(self, input_dim, bidirectional):
        nonlinearity = 'relu' if self.activation in _RELU else 'tanh'
        return nn.RNN(input_dim, self.units, nonlinearity=nonlinearity, bias=self.use_bias,
                      batch_first=True, bidirectional=bidirectional)

    def _fused_mode(self):
        if self.activation in _TANH:
            return 'RNN_TANH'
        return 'RNN_RELU' if self.activation in _RELU else None

    def _step(self, projected, states, params, rec_masks):
        h = projected + _masked_linear(states[0], params[1], None, rec_masks)
        h = _fast(self.activation)(h)
        return h, [h]


class GRUCell(_TorchRNNCell):
    """Gated recurrent unit.  Keras gates z, r, h; torch r, z, n (the layouts swap them).

    reset_after=True (default; torch's formula): ``n = tanh(x W_n + b_n + r * (h U_n + c_n))``
    with two biases, Keras bias (2, 3u).  reset_after=False (Keras 1, standalone Keras 2):
    ``n = tanh(x W_n + (r * h) U_n + b_n)`` with one bias (3u,), computed step by step.
    """
    _GATES = 3
    _KERNEL_LAYOUT = GRU_KERNEL

    def __init__(self, units, activation='tanh', recurrent_activation='sigmoid', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _torch_module(self, input_dim, bidirectional):
        return nn.GRU(input_dim, self.units, bias=self.use_bias, batch_first=True,
                      bidirectional=bidirectional)

    def _keeps_recurrent_bias(self):
        return self.reset_after

    def _bias_refs(self, suffix):
        if self.reset_after:
            return ['bias_ih_l0' + suffix, 'bias_hh_l0' + suffix], gru_bias()
        return 'bias_ih_l0' + suffix, GRU_BIAS_SINGLE

    def _fused_mode(self):
        fits = (self.reset_after and self.activation in _TANH
                and self.recurrent_activation in _SIGMOID)
        return 'GRU' if fits else None

    def _step(self, projected, states, params, rec_masks):
        h = states[0]
        act, gate = _fast(self.activation), _fast(self.recurrent_activation)
        x_r, x_z, x_n = projected.chunk(3, dim=-1)
        if self.reset_after:
            b_hh = params[3] if self.use_bias else None
            h_r, h_z, h_n = _masked_linear(h, params[1], b_hh, rec_masks).chunk(3, dim=-1)
            r, z = gate(x_r + h_r), gate(x_z + h_z)
            n = act(x_n + r * h_n)
        else:
            u = self.units
            rz_masks = None if rec_masks is None else rec_masks[:2]
            h_r, h_z = _masked_linear(h, params[1][:2 * u], None, rz_masks).chunk(2, dim=-1)
            r, z = gate(x_r + h_r), gate(x_z + h_z)
            h_dropped = h if rec_masks is None else h * rec_masks[-1]
            n = act(x_n + F.linear(r * h_dropped, params[1][2 * u:]))
        h = z * h + (1.0 - z) * n
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      implementation=self.implementation, reset_after=self.reset_after)
        return config


class LSTMCell(_TorchRNNCell):
    """Long short-term memory, gates i, f, c, o (torch's i, f, g, o: the same order).

    ``c = f * c_prev + i * tanh(x W_c + h U_c + b_c)``, ``h = o * tanh(c)``, gates
    ``sigmoid(x W + h U + b)``; one bias (4u,), whose forget slice starts at 1
    (``unit_forget_bias``).
    """
    _GATES = 4

    def __init__(self, units, activation='tanh', recurrent_activation='sigmoid', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _torch_module(self, input_dim, bidirectional):
        return nn.LSTM(input_dim, self.units, bias=self.use_bias, batch_first=True,
                       bidirectional=bidirectional)

    def _bias_initial(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, units = initializers.get(self.bias_initializer), self.units

        def forget_bias_one(shape, dtype=None):
            # Keras: bias_initializer on the i and (c, o) slices, ones on the forget slice.
            input_gate = init((units,), dtype=dtype)
            return torch.cat([input_gate, torch.ones_like(input_gate),
                              init((2 * units,), dtype=dtype)])
        return forget_bias_one

    def _fused_mode(self):
        fits = self.activation in _TANH and self.recurrent_activation in _SIGMOID
        return 'LSTM' if fits else None

    def _step(self, projected, states, params, rec_masks):
        h, c = states
        act, gate = _fast(self.activation), _fast(self.recurrent_activation)
        gates = projected + _masked_linear(h, params[1], None, rec_masks)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = gate(f) * c + gate(i) * act(g)
        h = gate(o) * act(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias, implementation=self.implementation)
        return config


class StackedRNNCells(Layer):
    """Cells run one after the other at each step, as one cell (``RNN([cell1, cell2])``)."""

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if not hasattr(cell, 'call') or not hasattr(cell, 'state_size'):
                raise ValueError('All cells must have a `call` method and a `state_size` '
                                 'attribute. Received: cell=%r' % (cell,))
        super().__init__(**kwargs)
        self.cells = list(cells)
        for index, cell in enumerate(self.cells):
            if isinstance(cell, nn.Module):
                self.add_module('cell_%d' % index, cell)

    @property
    def state_size(self):
        return [size for cell in self.cells for size in _state_sizes(cell)]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def build(self, input_shape):
        batch, features = input_shape[0], input_shape[-1]
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build((batch, features))
                _name_weights_under(self, cell)
            elif hasattr(cell, 'build'):
                cell.build((batch, features))
            features = _output_size(cell)

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        new_states, offset = [], 0
        for cell in self.cells:
            count = len(_state_sizes(cell))
            inputs, cell_states = _call_cell(cell, inputs, states[offset:offset + count], training)
            new_states.extend(cell_states)
            offset += count
        return inputs, new_states

    def get_config(self):
        config = super().get_config()
        config['cells'] = [_serialize_cell(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = _deserialize_cell(config.pop('cells'), custom_objects)
        return cls(cells, **config)


_CELL_CLASSES = {'SimpleRNNCell': SimpleRNNCell, 'GRUCell': GRUCell, 'LSTMCell': LSTMCell,
                 'StackedRNNCells': StackedRNNCells}


# ------------------------------------------------------------------------------ layers
def _sequence_input_kwargs(kwargs):
    """Keras 2's ``RNN(input_dim=, input_length=)``: the input shape (input_length, input_dim)."""
    if 'input_shape' not in kwargs and ('input_dim' in kwargs or 'input_length' in kwargs):
        kwargs['input_shape'] = (kwargs.pop('input_length', None), kwargs.pop('input_dim', None))
    return kwargs


class RNN(Layer):
    """Runs a cell over the time axis of (batch, time, features) inputs.

    ``cell``: an object with ``call(inputs, states)`` and ``state_size`` (a list of cells is
    stacked).  Output: the last output (batch, units), or every output (batch, time, units)
    with ``return_sequences``; with ``return_state`` a list [output, *final states].
    ``stateful`` carries the final states of a batch into the next one (fixed batch size).
    ``unroll`` is accepted and ignored: the fused kernel or the step loop runs either way.
    """
    _CONFIG_FROM_CELL = False   # LSTM/GRU/SimpleRNN list the cell's arguments as their own

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, zero_output_for_mask=False,
                 **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        num_constants = kwargs.pop('num_constants', 0)  # written by get_config, as tf.keras
        if not hasattr(cell, 'call') or not hasattr(cell, 'state_size'):
            raise ValueError('Argument `cell` should have a `call` method and a `state_size` '
                             'attribute. Received: cell=%r' % (cell,))
        super().__init__(**_sequence_input_kwargs(kwargs))
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)
        self.states = None          # stateful: the states carried to the next batch
        self.last_call_path = None  # 'fused' | 'packed' | 'loop': what the last call ran
        self._stateful_batch = None
        self._cell_storage = None   # set by Bidirectional: one torch module for both directions
        self._num_constants = int(num_constants or 0)

    def build(self, input_shape):
        shape = _sequence_shape(input_shape)
        batch = shape[1] if self.time_major else shape[0]
        cell = self.cell
        if isinstance(cell, _TorchRNNCell):
            cell._storage_request = self._cell_storage
        if isinstance(cell, Layer):
            cell._maybe_build((batch, shape[-1]))
            _name_weights_under(self, cell)
        elif hasattr(cell, 'build'):
            cell.build((batch, shape[-1]))
        self._stateful_batch = batch
        self.input_spec = InputSpec(ndim=3, axes={-1: shape[-1]})

    # ------------------------------------------------------------------------ call
    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        inputs, constants = self._split_constants(inputs, constants)
        inputs, initial_state = _split_initial_state(inputs, initial_state)
        mask = _first_mask(mask)
        if self.time_major:
            inputs = inputs.transpose(0, 1)
            mask = None if mask is None else mask.transpose(0, 1)
        states = self._initial_states(inputs, initial_state)
        sequence, last, states = self._run(inputs, mask, states, training, constants)
        self._remember_states(states)
        output = sequence if self.return_sequences else last
        if self.return_sequences and self.time_major:
            output = output.transpose(0, 1)
        if self.return_state:
            return [output] + list(states)
        return output

    def _split_constants(self, inputs, constants):
        """Keras's ``constants=``: tensors every step of the cell receives as
        ``cell.call(inputs, states, constants=[...])``.  A layer called with them once (or
        loaded with ``num_constants``) also takes them at the end of a list of inputs."""
        if constants is None and self._num_constants and isinstance(inputs, (list, tuple)):
            count = self._num_constants
            inputs, constants = list(inputs[:-count]), list(inputs[-count:])
            inputs = inputs[0] if len(inputs) == 1 else inputs
        if constants is None:
            return inputs, None
        constants = list(constants) if isinstance(constants, (list, tuple)) else [constants]
        if 'constants' not in inspect.signature(self.cell.call).parameters:
            raise ValueError('RNN cell %r does not support constants: its call() takes no '
                             '`constants` argument. Received: constants=%r'
                             % (self.cell, constants))
        self._num_constants = len(constants)
        return inputs, constants

    def _run(self, x, mask, states, training, constants=None):
        """(every output, last output, final states) of batch-first ``x`` by Keras's rules;
        the packed path leaves out the sequence when the layer returns the last output."""
        steps = x.shape[1]
        inferring = shape_inference.is_inferring()
        if inferring:
            # Shapes only: one step of the same code, its output stretched to the length.
            x, mask = x[:, :1], None
        in_masks, rec_masks = self._dropout_masks(x, training)
        path, lengths = self._choose_path(mask, training, constants)
        if path == 'loop':
            sequence, last, states = self._run_loop(x, mask, states, in_masks, rec_masks, training,
                                                    constants)
        else:
            sequence, last, states = self._run_fused(x, states, in_masks, lengths)
        if inferring and sequence is not None:
            sequence = sequence.expand(-1, steps, -1)
        elif not inferring:
            self.last_call_path = path
        return sequence, last, states

    def _dropout_masks(self, x, training):
        if isinstance(self.cell, _TorchRNNCell):
            return self.cell._dropout_masks(x.shape[0], x, training)
        return None, None

    def _choose_path(self, mask, training, constants=None):
        cell = self.cell
        if constants is not None or not isinstance(cell, _TorchRNNCell) \
                or cell._fused_mode() is None or cell._needs_loop(training):
            return 'loop', None
        if mask is None:
            return 'fused', None
        return _path_for_mask(mask)

    def _run_fused(self, x, states, in_masks, lengths):
        """torch's fused kernel: whole sequences, or right-padded ones packed."""
        cell = self.cell
        if in_masks is not None:
            x = x * in_masks[0].unsqueeze(1)
        hx = [s.unsqueeze(0) for s in states]
        mode, params = cell._fused_mode(), cell._params()
        if lengths is None:
            if self.go_backwards:
                x = x.flip(1)
            sequence, final = _fused_rnn(mode, x, hx, params, cell.use_bias, False)
            final = [f[0] for f in final]
            # The final h equals the last output; taking it rather than sequence[:, -1] keeps
            # backward from filling a zero gradient for the whole sequence (~10% of a step).
            return sequence, final[0], final
        lengths, lengths_cpu = lengths
        if self.go_backwards:
            x = _reverse_valid_steps(x, lengths)
        out, final = _run_packed(mode, x, hx, params, cell.use_bias, False, lengths_cpu,
                                 pad=self.return_sequences)
        final = _keep_initial_where_empty([f[0] for f in final], states, lengths, lengths_cpu)
        if out is None:  # the last output only: no padded sequence to build
            return None, _packed_last_output(final[0], lengths, x.shape[1], self.go_backwards,
                                             self.zero_output_for_mask), final
        sequence = _keras_masked_sequence(out, lengths, self.go_backwards,
                                          self.zero_output_for_mask)
        return sequence, sequence[:, -1], final

    def _run_loop(self, x, mask, states, in_masks, rec_masks, training, constants=None):
        """Step by step; masked steps keep the state and repeat the previous output."""
        if self.go_backwards:
            x = x.flip(1)
            mask = None if mask is None else mask.flip(1)
        step = self._step_function(x, in_masks, rec_masks, training, constants)
        outputs, previous, zeros = [], None, None
        cells = _builtin_cells(self.cell)
        for cell in cells:  # stacked/custom cells: one dropout mask per sequence, as in Keras
            cell._mask_cache = {}
        try:
            for t in range(x.shape[1]):
                output, new_states = step(t, states)
                if mask is not None:
                    keep = mask[:, t]
                    if zeros is None:
                        zeros = torch.zeros_like(output)
                        previous = zeros
                    new_states = [_select(keep, n, s) for n, s in zip(new_states, states)]
                    output = _select(keep, output, zeros if self.zero_output_for_mask else previous)
                states, previous = new_states, output
                outputs.append(output)
        finally:
            for cell in cells:
                cell._mask_cache = None
        return torch.stack(outputs, dim=1), outputs[-1], states

    def _step_function(self, x, in_masks, rec_masks, training, constants=None):
        cell = self.cell
        if constants is not None:
            return lambda t, states: _call_cell(cell, x[:, t], states, training, constants)
        if isinstance(cell, _TorchRNNCell):
            params = cell._params()
            projected = cell._input_projection(x, params, in_masks)  # one matmul for all steps
            return lambda t, states: cell._step(projected[:, t], states, params, rec_masks)
        return lambda t, states: _call_cell(cell, x[:, t], states, training)

    # ---------------------------------------------------------------------- states
    def _initial_states(self, x, initial_state):
        """Given initial states, the carried ones (stateful), or zeros; x is batch first."""
        sizes = _state_sizes(self.cell)
        if initial_state is not None:
            if len(initial_state) != len(sizes):
                raise ValueError('Layer "%s" expects %d initial state(s) (state_size=%s), but it '
                                 'received %d.'
                                 % (self.name, len(sizes), sizes, len(initial_state)))
            return [torch.as_tensor(s).to(device=x.device, dtype=x.dtype) for s in initial_state]
        if self.stateful and not shape_inference.is_inferring():
            return self._carried_states(x, sizes)
        return [x.new_zeros((x.shape[0], size)) for size in sizes]

    def _carried_states(self, x, sizes):
        batch = x.shape[0]
        if self._stateful_batch is None:
            self._stateful_batch = batch
        if batch != self._stateful_batch:
            raise ValueError(
                'Layer "%s" is stateful with a fixed batch size of %d (its states carry over to '
                'the next batch), but it received a batch of %d samples. Feed batches of exactly '
                '%d samples (e.g. predict(x, batch_size=%d)) or use stateful=False.'
                % (self.name, self._stateful_batch, batch, self._stateful_batch,
                   self._stateful_batch))
        if self.states is None:
            return [x.new_zeros((batch, size)) for size in sizes]
        return [s.to(device=x.device, dtype=x.dtype) for s in self.states]

    def _remember_states(self, states):
        if self.stateful and not shape_inference.is_inferring():
            self.states = [s.detach() for s in states]

    def reset_states(self, states=None):
        """Stateful layers: states back to zeros, or to the given values (batch, size)."""
        if not self.stateful:
            raise AttributeError('Layer "%s" must be stateful to reset its states. Received: '
                                 'stateful=False' % self.name)
        sizes = _state_sizes(self.cell)
        reference = next(self.parameters(), None)
        options = dict(device=reference.device, dtype=reference.dtype) if reference is not None \
            else {}
        if states is None:
            batch = self._stateful_batch
            self.states = None if batch is None else \
                [torch.zeros((batch, size), **options) for size in sizes]
            return
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if len(states) != len(sizes):
            raise ValueError('Layer "%s" expects %d state(s), but it received %d state value(s).'
                             % (self.name, len(sizes), len(states)))
        values = [torch.as_tensor(np.asarray(s) if not isinstance(s, torch.Tensor) else s)
                  .to(**options) for s in states]
        for index, (value, size) in enumerate(zip(values, sizes)):
            expected = (self._stateful_batch or value.shape[0], size)
            if tuple(value.shape) != expected:
                raise ValueError('State %d is incompatible with layer "%s": expected shape=%s '
                                 'but found shape=%s' % (index, self.name, expected,
                                                         tuple(value.shape)))
        self._stateful_batch = values[0].shape[0]
        self.states = values

    reset_state = reset_states  # Keras 3 spelling

    def get_initial_state(self, inputs):
        batch = inputs.shape[1] if self.time_major else inputs.shape[0]
        return [inputs.new_zeros((batch, size)) for size in _state_sizes(self.cell)]

    # ----------------------------------------------------------------- masks, config
    def compute_mask(self, inputs, mask=None):
        mask = _first_mask(mask)
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def get_config(self):
        config = super().get_config()
        if self._CONFIG_FROM_CELL:
            cell_config = self.cell.get_config()
            for key in ('name', 'trainable', 'dtype', 'batch_input_shape'):
                cell_config.pop(key, None)
            config.update(cell_config)
            config['activity_regularizer'] = _serialize('regularizers', self.activity_regularizer)
        else:
            config['cell'] = _serialize_cell(self.cell)
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      unroll=self.unroll, time_major=self.time_major)
        if self._num_constants:
            config['num_constants'] = self._num_constants
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if 'cell' in config:
            config['cell'] = _deserialize_cell(config['cell'], custom_objects)
        return cls(**config)


def _cell_attribute(name):
    """Keras exposes the cell's arguments on the layer (``lstm.units``)."""
    return property(lambda self: getattr(self.cell, name),
                    doc="The cell's `%s`." % name)


class _CellLayer(RNN):
    """LSTM, GRU and SimpleRNN: an RNN over their own built-in cell, with its arguments."""
    _CONFIG_FROM_CELL = True
    units = _cell_attribute('units')
    activation = _cell_attribute('activation')
    use_bias = _cell_attribute('use_bias')
    kernel_initializer = _cell_attribute('kernel_initializer')
    recurrent_initializer = _cell_attribute('recurrent_initializer')
    bias_initializer = _cell_attribute('bias_initializer')
    kernel_regularizer = _cell_attribute('kernel_regularizer')
    recurrent_regularizer = _cell_attribute('recurrent_regularizer')
    bias_regularizer = _cell_attribute('bias_regularizer')
    kernel_constraint = _cell_attribute('kernel_constraint')
    recurrent_constraint = _cell_attribute('recurrent_constraint')
    bias_constraint = _cell_attribute('bias_constraint')
    dropout = _cell_attribute('dropout')
    recurrent_dropout = _cell_attribute('recurrent_dropout')

    @staticmethod
    def _cell_kwargs(kwargs):
        """The base-layer arguments a cell shares with its layer (dtype, trainable)."""
        return dict(dtype=kwargs.get('dtype'), trainable=kwargs.get('trainable', True),
                    implementation=kwargs.pop('implementation', 2))


class SimpleRNN(_CellLayer):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + b)``."""

    def __init__(self, units, activation='tanh', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False, **kwargs):
        cell_kwargs = self._cell_kwargs(kwargs)
        cell_kwargs.pop('implementation')
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, name='simple_rnn_cell',
                             **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al. 2014); reset_after=True is torch's (and cuDNN's) GRU."""
    recurrent_activation = _cell_attribute('recurrent_activation')
    implementation = _cell_attribute('implementation')
    reset_after = _cell_attribute('reset_after')

    def __init__(self, units, activation='tanh', recurrent_activation='sigmoid', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False,
                 reset_after=True, **kwargs):
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                       dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, name='gru_cell', **self._cell_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)


class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter 1997), Keras weights (in, 4u), (u, 4u), (4u,)."""
    recurrent_activation = _cell_attribute('recurrent_activation')
    implementation = _cell_attribute('implementation')
    unit_forget_bias = _cell_attribute('unit_forget_bias')

    def __init__(self, units, activation='tanh', recurrent_activation='sigmoid', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, time_major=False,
                 unroll=False, **kwargs):
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint,
                        bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, name='lstm_cell',
                        **self._cell_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         time_major=time_major, activity_regularizer=activity_regularizer,
                         **kwargs)
