"""Bidirectional: a recurrent layer run forward and backward over the sequence, outputs merged.

Keras builds two layers from the wrapped one's config: ``forward_<name>`` and
``backward_<name>`` (go_backwards flipped); their weights are listed forward then backward and
named 'bidirectional/forward_lstm/lstm_cell/kernel:0'.  Here both directions of a built-in
cell keep their weights in one bidirectional torch module, so whenever the fused kernel fits
(see ``recurrent.py``) one bidirectional call (cuDNN on GPU) computes both directions: its
output is already Keras's [forward, backward reversed back to input order].  Otherwise each
direction runs its own layer.

Keras's rules kept here: with return_sequences=False the output is [forward last step,
backward first step] (torch's h_n); with a mask the backward direction runs over the valid
steps only and masked outputs of returned sequences are zeros (``force_zero_output_for_mask``).
"""
import torch

from torchkeras.graph import shape_inference
from torchkeras.layers.layer import Layer
from torchkeras.layers.recurrent import (RNN, _first_mask, _fused_rnn, _name_weights_under,
                                         _path_for_mask, _run_packed, _sequence_shape,
                                         _split_initial_state, _state_sizes, _TorchRNNCell)
from torchkeras.saving import serialization

__all__ = ['Bidirectional']

_MERGE_MODES = ('sum', 'mul', 'ave', 'concat', None)


class Bidirectional(Layer):
    """``Bidirectional(LSTM(32))``: forward and backward outputs merged by ``merge_mode``
    ('concat' (default), 'sum', 'mul', 'ave', or None for the list [forward, backward])."""

    def __init__(self, layer, merge_mode='concat', weights=None, backward_layer=None, **kwargs):
        _check_wrapped(layer, 'layer')
        if merge_mode not in _MERGE_MODES:
            raise ValueError('Invalid merge mode. Merge mode should be one of {"sum", "mul", '
                             '"ave", "concat", None}. Received: merge_mode=%r' % (merge_mode,))
        super().__init__(weights=weights, **kwargs)
        self._wrapped = [layer]  # a list: the original stays outside the module tree
        self.forward_layer = _recreate(layer, 'forward_' + layer.name, layer.go_backwards)
        if backward_layer is None:
            backward_layer = _recreate(layer, 'backward_' + layer.name, not layer.go_backwards)
            self._backward_config = None
        else:
            _check_wrapped(backward_layer, 'backward_layer')
            _check_backward_layer(layer, backward_layer)
            self._backward_config = _serialize_layer(backward_layer)
            backward_layer.name = 'backward_' + backward_layer.name
        self.backward_layer = backward_layer
        for direction in (self.forward_layer, self.backward_layer):
            # Keras's force_zero_output_for_mask: masked steps of returned sequences are 0.
            direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self.last_call_path = None  # 'fused' / 'packed' (one bidirectional kernel) or 'separate'

    @property
    def layer(self):
        return self._wrapped[0]

    def build(self, input_shape):
        forward, backward = self.forward_layer, self.backward_layer
        storage = _shared_storage(forward.cell, backward.cell, _sequence_shape(input_shape)[-1])
        if storage is not None:
            self.torch_rnn = storage
            forward._cell_storage = (storage, '')
            backward._cell_storage = (storage, '_reverse')
        forward._maybe_build(input_shape)
        backward._maybe_build(input_shape)
        _name_weights_under(self, forward)
        _name_weights_under(self, backward)

    # ------------------------------------------------------------------------ call
    def call(self, inputs, mask=None, training=None, initial_state=None):
        inputs, initial_state = _split_initial_state(inputs, initial_state)
        mask = _first_mask(mask)
        forward_init, backward_init = self._split_states(initial_state)
        result = None
        if self._one_kernel_fits(training):
            result = self._call_one_kernel(inputs, mask, forward_init, backward_init)
        if result is None:
            result = self._call_each_direction(inputs, mask, training, forward_init,
                                               backward_init)
        return self._merge(*result)

    def _split_states(self, initial_state):
        if initial_state is None:
            return None, None
        if len(initial_state) % 2:
            raise ValueError('When passing `initial_state` to a Bidirectional RNN, the state '
                             'should be a list containing the states of the underlying RNNs '
                             '(forward states, then backward states). Received: %d states'
                             % len(initial_state))
        half = len(initial_state) // 2
        return list(initial_state[:half]), list(initial_state[half:])

    def _one_kernel_fits(self, training):
        """Both directions in one bidirectional fused call: shared weights, fused math, and
        no dropout in training (each direction draws its own masks)."""
        forward, backward = self.forward_layer, self.backward_layer
        if getattr(self, 'torch_rnn', None) is None or forward.go_backwards \
                or not backward.go_backwards:
            return False
        mode = forward.cell._fused_mode()
        if mode is None or backward.cell._fused_mode() != mode:
            return False
        dropping = any(0.0 < layer.cell.dropout < 1.0 or layer.cell._needs_loop(training)
                       for layer in (forward, backward))
        return not (training and dropping)

    def _call_one_kernel(self, inputs, mask, forward_init, backward_init):
        """(forward output, backward output, states) from one bidirectional kernel, or None
        when the mask has holes or left padding (then each direction loops)."""
        forward, backward = self.forward_layer, self.backward_layer
        x = inputs.transpose(0, 1) if forward.time_major else inputs
        if mask is not None and forward.time_major:
            mask = mask.transpose(0, 1)
        steps, inferring = x.shape[1], shape_inference.is_inferring()
        if inferring:
            x, mask = x[:, :1], None
        path, lengths = ('fused', None) if mask is None else _path_for_mask(mask)
        if path == 'loop':
            return None
        initial = [torch.stack(pair) for pair in zip(forward._initial_states(x, forward_init),
                                                     backward._initial_states(x, backward_init))]
        out, final = self._run_kernel(x, initial, lengths)
        forward_states, backward_states = [f[0] for f in final], [f[1] for f in final]
        y, y_rev = self._direction_outputs(out, forward_states[0], backward_states[0], lengths,
                                           steps if inferring else None)
        forward._remember_states(forward_states)
        backward._remember_states(backward_states)
        if not inferring:
            self.last_call_path = path
        return y, y_rev, forward_states + backward_states

    def _direction_outputs(self, out, forward_h, backward_h, lengths, stretch_to):
        """The kernel's (forward, backward) outputs as Keras returns them: the sequences (the
        backward one already in input order), or the last forward and first backward step."""
        if not self.return_sequences:
            if lengths is not None:  # rows with no valid step output 0, as in Keras
                nonempty = (lengths[0] > 0).unsqueeze(1).to(forward_h.dtype)
                return forward_h * nonempty, backward_h * nonempty
            return forward_h, backward_h
        units = self.forward_layer.cell.units
        y, y_rev = out[..., :units], out[..., units:]
        if stretch_to is not None:  # shape inference ran one step
            y, y_rev = y.expand(-1, stretch_to, -1), y_rev.expand(-1, stretch_to, -1)
        if self.forward_layer.time_major:
            y, y_rev = y.transpose(0, 1), y_rev.transpose(0, 1)
        return y, y_rev

    def _run_kernel(self, x, initial, lengths):
        """(outputs, final states (2, batch, units)) of the bidirectional fused kernel; packed
        for right-padded masks (no padded outputs when only the last step is returned)."""
        cell = self.forward_layer.cell
        mode = cell._fused_mode()
        params = cell._params() + self.backward_layer.cell._params()
        if lengths is None:
            return _fused_rnn(mode, x, initial, params, cell.use_bias, True)
        lengths, lengths_cpu = lengths
        out, final = _run_packed(mode, x, initial, params, cell.use_bias, True, lengths_cpu,
                                 pad=self.return_sequences)
        if bool((lengths_cpu == 0).any()):
            # Rows with no valid step ran one step: zero their output, keep their states.
            if out is not None:
                steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
                out = out * (steps < lengths.unsqueeze(1)).unsqueeze(-1).to(out.dtype)
            empty = (lengths == 0).view(1, -1, 1)
            final = [torch.where(empty, s0, s) for s, s0 in zip(final, initial)]
        return out, final

    def _call_each_direction(self, inputs, mask, training, forward_init, backward_init):
        y = self.forward_layer.call(inputs, mask=mask, training=training,
                                    initial_state=forward_init)
        y_rev = self.backward_layer.call(inputs, mask=mask, training=training,
                                         initial_state=backward_init)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            # The backward layer's outputs come in reversed time order: put them back.
            y_rev = y_rev.flip(0 if self.forward_layer.time_major else 1)
        if not shape_inference.is_inferring():
            self.last_call_path = 'separate'
        return y, y_rev, states

    def _merge(self, y, y_rev, states):
        if self.merge_mode == 'concat':
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == 'sum':
            output = y + y_rev
        elif self.merge_mode == 'ave':
            output = (y + y_rev) / 2
        elif self.merge_mode == 'mul':
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + list(states)
        return output

    # ----------------------------------------------------------------- masks, state
    def compute_mask(self, inputs, mask=None):
        mask = _first_mask(mask)
        output_mask = mask if self.return_sequences else None
        if self.merge_mode is None:
            output_mask = [output_mask, output_mask]
        if self.return_state:
            state_masks = [None] * (len(_state_sizes(self.forward_layer.cell))
                                    + len(_state_sizes(self.backward_layer.cell)))
            return (output_mask if self.merge_mode is None else [output_mask]) + state_masks
        return output_mask

    def reset_states(self, states=None):
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    reset_state = reset_states

    def get_config(self):
        config = super().get_config()
        config['layer'] = _serialize_layer(self.layer)
        config['merge_mode'] = self.merge_mode
        if self._backward_config is not None:
            config['backward_layer'] = self._backward_config
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = _deserialize_layer(config.pop('layer'), custom_objects)
        backward = config.pop('backward_layer', None)
        if backward is not None:
            backward = _deserialize_layer(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)


# ------------------------------------------------------------------------------ helpers
def _check_wrapped(layer, argname):
    if not isinstance(layer, Layer):
        raise ValueError('Please initialize `Bidirectional` layer with a `Layer` instance. '
                         'Received: %s=%r' % (argname, layer))
    if not isinstance(layer, RNN):
        raise ValueError('`Bidirectional` wraps a recurrent layer (RNN, LSTM, GRU or SimpleRNN). '
                         'Received: %s of type %s' % (argname, type(layer).__name__))


def _check_backward_layer(layer, backward_layer):
    if backward_layer.go_backwards == layer.go_backwards:
        raise ValueError('Forward layer and backward layer should have different `go_backwards` '
                         'value. Received: go_backwards=%s for both' % (layer.go_backwards,))
    for attr in ('stateful', 'return_sequences', 'return_state'):
        forward_value, backward_value = getattr(layer, attr), getattr(backward_layer, attr)
        if forward_value != backward_value:
            raise ValueError('Forward layer and backward layer are expected to have the same '
                             'value for attribute "%s", got "%s" for forward layer and "%s" for '
                             'backward layer' % (attr, forward_value, backward_value))


def _cell_classes(cell):
    found = {type(cell).__name__: type(cell)}
    for sub in getattr(cell, 'cells', []):
        found.update(_cell_classes(sub))
    return found


def _recreate(layer, name, go_backwards):
    """A fresh copy of ``layer`` from its config (Keras's _recreate_layer_from_config)."""
    config = dict(layer.get_config(), name=name, go_backwards=go_backwards)
    return type(layer).from_config(config, custom_objects=_cell_classes(layer.cell))


def _serialize_layer(layer):
    return serialization.serialize_layer(layer)


def _deserialize_layer(spec, custom_objects=None):
    """An RNN layer from ``{'class_name', 'config'}``: the recurrent classes or custom_objects."""
    if isinstance(spec, Layer):
        return spec
    layer = serialization.deserialize_layer(spec, custom_objects=custom_objects)
    if not isinstance(layer, RNN):
        raise ValueError('Bidirectional wraps a recurrent layer; its config names %r.'
                         % (spec.get('class_name'),))
    return layer


def _shared_storage(forward_cell, backward_cell, input_dim):
    """One bidirectional torch module for two like built-in cells (None otherwise)."""
    if not (isinstance(forward_cell, _TorchRNNCell) and isinstance(backward_cell, _TorchRNNCell)):
        return None
    if forward_cell.built or backward_cell.built or input_dim is None:
        return None
    if forward_cell._storage_signature() != backward_cell._storage_signature():
        return None
    return forward_cell._make_torch_rnn(input_dim, bidirectional=True)
