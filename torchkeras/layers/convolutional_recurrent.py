"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D: an LSTM whose gates are convolutions.

Keras's cell, step by step (gates i, f, c, o in that order along the kernels' last axis)::

    x_g = conv(x_t, kernel_g, strides, padding, dilation_rate) + bias_g
    h_g = conv(h_{t-1}, recurrent_kernel_g, strides=1, padding='same')
    i, f, o = recurrent_activation(x_i + h_i), ...(x_f + h_f), ...(x_o + h_o)
    c_t = f * c_{t-1} + i * activation(x_c + h_c);   h_t = o * activation(c_t)

Weights in Keras layout: ``kernel`` (*kernel_size, in, 4 * filters), ``recurrent_kernel``
(*kernel_size, filters, 4 * filters), ``bias`` (4 * filters,), the forget part starting at 1
with ``unit_forget_bias``.  A masked step keeps the previous state and output, as Keras's
RNN does.  Dropout masks are drawn once per sequence and shared by the four gates.
"""
import torch
import torch.nn.functional as F

from torchkeras import activations, config, initializers
from torchkeras.layers.basic import _serialize, kernel_bias_config
from torchkeras.layers.conv_utils import normalize_padding, normalize_tuple
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.ops import nn as nn_ops

__all__ = ['ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']


class _ConvLSTM(Layer):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 dilation_rate=1, activation='tanh', recurrent_activation='sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError('%s: `filters` must be a positive integer. Received: filters=%r'
                             % (name, filters))
        for arg, value in (('dropout', dropout), ('recurrent_dropout', recurrent_dropout)):
            if not 0 <= value < 1:
                raise ValueError('%s: `%s` must be in [0, 1). Received: %s=%r'
                                 % (name, arg, arg, value))
        if stateful:
            raise ValueError('%s: `stateful=True` is not supported by torchkeras. Received: '
                             'stateful=True' % name)
        self.filters = filters
        self.kernel_size = normalize_tuple(kernel_size, self.rank, 'kernel_size', name)
        self.strides = normalize_tuple(strides, self.rank, 'strides', name)
        self.padding = normalize_padding(padding, ('valid', 'same'), name)
        self.data_format = config.standardize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, 'dilation_rate', name)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.recurrent_initializer = recurrent_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.recurrent_constraint = recurrent_constraint
        self.dropout, self.recurrent_dropout, self.seed = dropout, recurrent_dropout, seed
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, input_shape):
        channel_axis = -1 if self.data_format == 'channels_last' else 2
        channels = input_shape[channel_axis]
        if channels is None:
            raise ValueError('%s: the channel dimension of the inputs must be defined. '
                             'Received: input_shape=%s' % (type(self).__name__, input_shape))
        gates = 4 * self.filters
        self.kernel = torch.nn.Parameter(torch.empty(self.kernel_size + (channels, gates)))
        self.track_weight('kernel', self, 'kernel', initializer=self.kernel_initializer,
                          regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = torch.nn.Parameter(
            torch.empty(self.kernel_size + (self.filters, gates)))
        self.track_weight('recurrent_kernel', self, 'recurrent_kernel',
                          initializer=self.recurrent_initializer,
                          regularizer=self.recurrent_regularizer,
                          constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = torch.nn.Parameter(torch.empty(gates))
            self.track_weight('bias', self, 'bias', initializer=self._bias_init(),
                              regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = initializers.get(self.bias_initializer)
        filters = self.filters

        def forget_bias_one(shape, dtype=None):
            values = base((filters,), dtype=dtype)
            return torch.cat([values, torch.ones(filters), base((2 * filters,), dtype=dtype)])
        return forget_bias_one

    # ------------------------------------------------------------------------ the step
    def _step(self, x, h, c):
        """One time step on channels-last tensors: the new (h, c)."""
        gates = nn_ops.conv.eager(x, self.kernel, self.strides, self.padding,
                                  self.data_format, self.dilation_rate)
        if self.bias is not None:
            gates = gates + (self.bias if self.data_format == 'channels_last' else
                             self.bias.reshape((-1,) + (1,) * self.rank))
        gates = gates + nn_ops.conv.eager(h, self.recurrent_kernel, 1, 'same', self.data_format)
        axis = -1 if self.data_format == 'channels_last' else 1
        x_i, x_f, x_c, x_o = torch.chunk(gates, 4, dim=axis)
        i, f, o = (self.recurrent_activation(g) for g in (x_i, x_f, x_o))
        c = f * c + i * self.activation(x_c)
        return o * self.activation(c), c

    def _initial_state(self, inputs):
        """Zeros of the output's shape at one step: (batch, *spatial out, filters)."""
        with torch.no_grad():
            first = nn_ops.conv.eager(inputs[:, 0], self.kernel[..., :self.filters],
                                      self.strides, self.padding, self.data_format,
                                      self.dilation_rate)
        return torch.zeros_like(first)

    def call(self, inputs, mask=None, training=None, initial_state=None):
        steps = range(inputs.shape[1])
        order = reversed(steps) if self.go_backwards else steps
        if initial_state is not None:
            h, c = initial_state
        else:
            h = self._initial_state(inputs)
            c = torch.zeros_like(h)
        drop_x = _dropout_mask(inputs[:, 0], self.dropout, training)
        drop_h = _dropout_mask(h, self.recurrent_dropout, training)
        outputs, output = [], torch.zeros_like(h)
        for t in order:
            x = inputs[:, t] if drop_x is None else inputs[:, t] * drop_x
            new_h, new_c = self._step(x, h if drop_h is None else h * drop_h, c)
            if mask is not None:  # a masked step keeps the state and repeats the output
                keep = mask[:, t].reshape((-1,) + (1,) * (h.dim() - 1)).bool()
                new_h, new_c = torch.where(keep, new_h, h), torch.where(keep, new_c, c)
                output = torch.where(keep, new_h, output)
            else:
                output = new_h
            h, c = new_h, new_c
            outputs.append(output)
        result = torch.stack(outputs, dim=1) if self.return_sequences else output
        return [result, h, c] if self.return_state else result

    def compute_mask(self, inputs, mask=None):
        if mask is None or not self.return_sequences:
            return [None, None, None] if self.return_state else None
        return [mask, None, None] if self.return_state else mask

    def get_config(self):
        config_ = super().get_config()
        config_.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias, unit_forget_bias=self.unit_forget_bias,
            recurrent_initializer=_serialize('initializers', self.recurrent_initializer),
            recurrent_regularizer=_serialize('regularizers', self.recurrent_regularizer),
            recurrent_constraint=_serialize('constraints', self.recurrent_constraint),
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=self.stateful, unroll=self.unroll,
            **kernel_bias_config(self))
        return config_


def _dropout_mask(like, rate, training):
    if not training or not rate:
        return None
    return F.dropout(torch.ones_like(like), rate, training=True)


class ConvLSTM1D(_ConvLSTM):
    """ConvLSTM over sequences of 1D feature maps: (batch, time, steps, channels)."""
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """ConvLSTM over sequences of images: (batch, time, rows, cols, channels)."""
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """ConvLSTM over sequences of volumes: (batch, time, d1, d2, d3, channels)."""
    rank = 3
