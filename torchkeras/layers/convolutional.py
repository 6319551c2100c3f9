"""Convolution layers: Conv1D/2D/3D, their transposes, separable and depthwise convolutions.

Each layer wraps the torch module that does the job (``nn.Conv2d``, ``nn.ConvTranspose2d``, ...)
and adds Keras's semantics around it:

- ``data_format='channels_last'`` (Keras's default): the (B, *spatial, C) input is permuted to a
  (B, C, *spatial) *view*; for 2D/3D that view is exactly torch's ``channels_last`` memory format,
  so the convolution runs on NHWC data with no copy, and its channels_last result is permuted
  back to (B, *spatial, filters), again a view.
- ``padding='same'`` follows TensorFlow: ``out = ceil(n / s)``, the odd extra pixel goes at the
  end (bottom/right).  When the padding is symmetric torch pads by itself; otherwise the input is
  padded with ``F.pad`` (only then is a copy made).
- ``padding='causal'`` (1D): the module pads both sides by ``dilation * (k - 1)`` and the outputs
  that looked into the future are sliced off (a view), so no padded copy is made.
- Transposed 'same' convolutions crop the full result as TensorFlow does (extra crop at the end).
- Weights are seen in Keras layout through ``saving/weight_layouts.py``.
"""
import torch
import torch.nn.functional as F
from torch import nn

from torchkeras import activations, config
from torchkeras.layers.basic import _serialize
from torchkeras.layers.conv_utils import (channels_to_back, channels_to_front, is_int,
                                          normalize_padding, normalize_tuple, same_padding)
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.ops.nn import transpose_geometry
from torchkeras.saving.weight_layouts import (conv_kernel, conv_transpose_kernel,
                                              depthwise_kernel, depthwise_layout)

__all__ = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose',
           'SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv1D', 'DepthwiseConv2D',
           'Convolution1D', 'Convolution2D', 'Convolution3D', 'Convolution1DTranspose',
           'Convolution2DTranspose', 'Convolution3DTranspose', 'SeparableConvolution1D',
           'SeparableConvolution2D',
           # helpers shared with pooling.py and reshaping.py (not layers)
           'normalize_tuple', 'normalize_padding', 'same_padding', 'channels_to_front',
           'channels_to_back']

_TORCH_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_TORCH_CONV_TRANSPOSE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
_FUNCTIONAL_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
# The memory format in which a channels_last view of (B, *spatial, C) data is contiguous.
_CHANNELS_LAST_FORMAT = {2: torch.channels_last, 3: torch.channels_last_3d}


def _filters(value, layer_name):
    if isinstance(value, float):  # Keras truncates a float number of filters
        value = int(value)
    if not is_int(value) or value <= 0:
        raise ValueError('Invalid value for argument `filters` of %s. Expected a strictly '
                         'positive integer. Received: filters=%r' % (layer_name, value))
    return int(value)


def _positive(value, name, layer_name):
    if not is_int(value) or value <= 0:
        raise ValueError('Invalid value for argument `%s` of %s. Expected a positive integer. '
                         'Received: %s=%r' % (name, layer_name, name, value))
    return int(value)


# ------------------------------------------------------------------------- the base
class _BaseConv(Layer):
    """What every convolution shares: geometry, data format, padding, activation and bias."""

    rank = None
    padding_modes = ('valid', 'same')

    def _set_geometry(self, kernel_size, strides, padding, data_format, dilation_rate):
        name = type(self).__name__
        self.kernel_size = normalize_tuple(kernel_size, self.rank, 'kernel_size', name)
        self.strides = normalize_tuple(strides, self.rank, 'strides', name)
        self.padding = normalize_padding(padding, self.padding_modes, name)
        self.data_format = config.standardize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, 'dilation_rate', name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError('`strides > 1` not supported in conjunction with `dilation_rate > 1` '
                             'in %s. Received: strides=%s and dilation_rate=%s'
                             % (name, self.strides, self.dilation_rate))
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _set_output(self, activation, use_bias, bias_initializer, bias_regularizer,
                    bias_constraint):
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = bias_initializer
        self.bias_regularizer = bias_regularizer
        self.bias_constraint = bias_constraint

    def _input_channels(self, input_shape):
        """The channel count from the build shape; fixes it in the InputSpec."""
        axis = 1 if self.data_format == 'channels_first' else -1
        channels = input_shape[axis]
        if channels is None:
            raise ValueError('The channel dimension of the inputs to %s should be defined. '
                             'Found None at axis %d. Full input shape received: %s'
                             % (type(self).__name__, axis % len(input_shape), tuple(input_shape)))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        return int(channels)

    def _channels_last_memory(self, module):
        """NHWC weights for NHWC data: cuDNN/oneDNN then never convert the weight per call."""
        fmt = _CHANNELS_LAST_FORMAT.get(self.rank)
        if self.data_format == 'channels_last' and fmt is not None:
            module.to(memory_format=fmt)
        return module

    def _track_bias(self, module):
        if self.use_bias:
            self.bias = self.track_weight('bias', module, 'bias', initializer=self.bias_initializer,
                                          regularizer=self.bias_regularizer,
                                          constraint=self.bias_constraint)

    def _output(self, x):
        """Torch-layout result -> Keras layout (a view), then the activation."""
        return self.activation(channels_to_back(x, self.data_format))

    def _output_config(self):
        return dict(activation=activations.serialize(self.activation), use_bias=self.use_bias,
                    bias_initializer=_serialize('initializers', self.bias_initializer),
                    bias_regularizer=_serialize('regularizers', self.bias_regularizer),
                    activity_regularizer=_serialize('regularizers', self.activity_regularizer),
                    bias_constraint=_serialize('constraints', self.bias_constraint))


class _ForwardConv(_BaseConv):
    """Padding machinery of forward (not transposed) convolutions, depthwise ones included."""

    def _module_padding(self):
        """Padding fixed in the torch module, or None when it depends on the input size."""
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        if self.padding == 'valid':
            return (0,) * self.rank
        if self.padding == 'causal':  # both sides; the future-looking outputs are sliced off
            return (effective[0] - 1,)
        if all(s == 1 for s in self.strides) and all(e % 2 == 1 for e in effective):
            return tuple((e - 1) // 2 for e in effective)  # symmetric 'same'
        return None

    def _make_conv(self, in_channels, out_channels, groups, bias, kernel_size=None):
        padding = self._module_padding()
        module = _TORCH_CONV[self.rank](
            in_channels, out_channels, kernel_size or self.kernel_size, stride=self.strides,
            padding=padding or 0, dilation=self.dilation_rate, groups=groups, bias=bias)
        self._fixed_padding = padding is not None
        return self._channels_last_memory(module)

    def _convolve(self, module, x):
        """Run ``module`` on torch-layout ``x`` with Keras's padding."""
        if self.padding == 'causal':
            steps = -(-x.shape[-1] // self.strides[0])
            return module(x)[..., :steps]
        if self._fixed_padding:
            return module(x)
        pads = [same_padding(n, k, s, d) for n, k, s, d in
                zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        if all(lo == hi for lo, hi in pads):
            return _FUNCTIONAL_CONV[self.rank](x, module.weight, module.bias, module.stride,
                                               tuple(lo for lo, _ in pads), module.dilation,
                                               module.groups)
        # TensorFlow's asymmetric padding (extra at the end): only here is the input copied.
        flat = [p for lo, hi in reversed(pads) for p in (lo, hi)]
        return module(F.pad(x, flat))


# --------------------------------------------------------------------------- Conv
class _Conv(_ForwardConv):
    """``activation(conv(inputs, kernel) + bias)``; kernel (k1..kN, in/groups, filters)."""

    def __init__(self, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.filters = _filters(filters, name)
        self.groups = _positive(groups or 1, 'groups', name)
        if self.filters % self.groups:
            raise ValueError('The number of filters must be evenly divisible by the number of '
                             'groups in %s. Received: groups=%d, filters=%d'
                             % (name, self.groups, self.filters))
        self._set_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self._set_output(activation, use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError('The number of input channels must be evenly divisible by the number '
                             'of groups. Received: groups=%d, but the input has %d channels '
                             '(full input shape is %s)'
                             % (self.groups, channels, tuple(input_shape)))
        self.conv = self._make_conv(channels, self.filters, self.groups, self.use_bias)
        self.kernel = self.track_weight('kernel', self.conv, 'weight', conv_kernel(self.rank),
                                        self.kernel_initializer, self.kernel_regularizer,
                                        self.kernel_constraint)
        self._track_bias(self.conv)

    def call(self, inputs):
        return self._output(self._convolve(self.conv, channels_to_front(inputs, self.data_format)))

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, data_format=self.data_format,
                      dilation_rate=self.dilation_rate, groups=self.groups)
        config.update(self._output_config())
        config.update(kernel_initializer=_serialize('initializers', self.kernel_initializer),
                      kernel_regularizer=_serialize('regularizers', self.kernel_regularizer),
                      kernel_constraint=_serialize('constraints', self.kernel_constraint))
        return config


class Conv1D(_Conv):
    """1D convolution over (batch, steps, channels); ``padding='causal'`` allowed."""

    rank = 1
    padding_modes = ('valid', 'same', 'causal')

    def __init__(self, filters, kernel_size, strides=1, padding='valid',
                 data_format='channels_last', dilation_rate=1, groups=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, groups=groups,
                         **kwargs)


class Conv2D(_Conv):
    """2D convolution over (batch, rows, cols, channels) (or channels_first)."""

    rank = 2


class Conv3D(_Conv):
    """3D convolution over (batch, d1, d2, d3, channels) (or channels_first)."""

    rank = 3


# ------------------------------------------------------------------ Conv transpose
class _ConvTranspose(_BaseConv):
    """Transposed convolution; kernel (k1..kN, filters, in) as Keras keeps it."""

    def __init__(self, filters, kernel_size, strides=1, padding='valid', output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, groups=1, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.filters = _filters(filters, name)
        if groups not in (None, 1):
            raise ValueError('%s does not support grouped convolution (as in Keras). '
                             'Received: groups=%r' % (name, groups))
        self.groups = 1
        self._set_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self.output_padding = self._check_output_padding(output_padding)
        self._set_output(activation, use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = kernel_regularizer
        self.kernel_constraint = kernel_constraint

    def _check_output_padding(self, output_padding):
        if output_padding is None:
            return None
        value = normalize_tuple(output_padding, self.rank, 'output_padding', type(self).__name__,
                                allow_zero=True)
        if any(p >= s for p, s in zip(value, self.strides)):
            raise ValueError('Strides must be greater than output padding in %s. Received: '
                             'strides=%s, output_padding=%s' % (type(self).__name__, self.strides,
                                                                value))
        return value

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        paddings = [None] * self.rank if self.output_padding is None else self.output_padding
        geometry = [transpose_geometry(k, s, d, self.padding, p) for k, s, d, p in
                    zip(self.kernel_size, self.strides, self.dilation_rate, paddings)]
        self._crop_end = tuple(g[2] for g in geometry)
        self.conv = _TORCH_CONV_TRANSPOSE[self.rank](
            channels, self.filters, self.kernel_size, stride=self.strides,
            padding=tuple(g[0] for g in geometry), output_padding=tuple(g[1] for g in geometry),
            dilation=self.dilation_rate, bias=self.use_bias)
        self._channels_last_memory(self.conv)
        self.kernel = self.track_weight('kernel', self.conv, 'weight',
                                        conv_transpose_kernel(self.rank), self.kernel_initializer,
                                        self.kernel_regularizer, self.kernel_constraint)
        self._track_bias(self.conv)

    def call(self, inputs):
        x = self.conv(channels_to_front(inputs, self.data_format))
        for axis, crop in enumerate(self._crop_end):
            if crop:  # a view: TF's 'same' drops the last step torch kept
                x = x.narrow(axis + 2, 0, x.shape[axis + 2] - crop)
        return self._output(x)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, data_format=self.data_format,
                      dilation_rate=self.dilation_rate, groups=self.groups)
        config.update(self._output_config())
        config.update(kernel_initializer=_serialize('initializers', self.kernel_initializer),
                      kernel_regularizer=_serialize('regularizers', self.kernel_regularizer),
                      kernel_constraint=_serialize('constraints', self.kernel_constraint),
                      output_padding=self.output_padding)
        return config


class Conv1DTranspose(_ConvTranspose):
    """1D transposed convolution (deconvolution) over (batch, steps, channels)."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """2D transposed convolution (deconvolution) over (batch, rows, cols, channels)."""

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """3D transposed convolution (deconvolution) over (batch, d1, d2, d3, channels)."""

    rank = 3

    def get_config(self):
        config = super().get_config()
        config.pop('dilation_rate')  # tf.keras's Conv3DTranspose config has no dilation_rate
        return config


# --------------------------------------------------------------------- depthwise
class _DepthwiseConv(_ForwardConv):
    """Each input channel convolved with its own ``depth_multiplier`` filters (groups=in)."""

    def __init__(self, kernel_size, strides=1, padding='valid', depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, groups=1, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        if groups not in (None, 1):  # Keras's config carries groups=1; nothing else is valid
            raise ValueError('%s takes no `groups` other than 1. Received: groups=%r'
                             % (name, groups))
        self.depth_multiplier = _positive(depth_multiplier, 'depth_multiplier', name)
        self._set_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self._set_output(activation, use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.depthwise_constraint = depthwise_constraint

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.conv = self._make_conv(channels, channels * self.depth_multiplier, channels,
                                    self.use_bias)
        self.depthwise_kernel = self.track_weight(
            'depthwise_kernel', self.conv, 'weight', _depthwise_layout(self.rank,
                                                                       self.depth_multiplier),
            self.depthwise_initializer, self.depthwise_regularizer, self.depthwise_constraint)
        self._track_bias(self.conv)

    def call(self, inputs):
        return self._output(self._convolve(self.conv, channels_to_front(inputs, self.data_format)))

    def get_config(self):
        config = super().get_config()
        config.update(kernel_size=self.kernel_size, strides=self.strides, padding=self.padding,
                      data_format=self.data_format, dilation_rate=self.dilation_rate, groups=1)
        config.update(self._output_config())
        config.update(depth_multiplier=self.depth_multiplier,
                      depthwise_initializer=_serialize('initializers', self.depthwise_initializer),
                      depthwise_regularizer=_serialize('regularizers', self.depthwise_regularizer),
                      depthwise_constraint=_serialize('constraints', self.depthwise_constraint))
        return config


def _depthwise_layout(rank, multiplier):
    return depthwise_layout(multiplier) if rank == 2 else depthwise_kernel(rank, multiplier)


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution over (batch, steps, channels)."""

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution over (batch, rows, cols, channels)."""

    rank = 2


# --------------------------------------------------------------------- separable
class _SeparableConv(_ForwardConv):
    """A depthwise convolution (no bias) followed by a 1x1 pointwise convolution with bias."""

    def __init__(self, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', pointwise_initializer='glorot_uniform',
                 bias_initializer='zeros', depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, groups=1,
                 kernel_initializer='glorot_uniform', kernel_regularizer=None,
                 kernel_constraint=None, **kwargs):
        # groups and kernel_*: Keras writes them into SeparableConv configs and ignores them.
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        name = type(self).__name__
        self.filters = _filters(filters, name)
        if groups not in (None, 1):
            raise ValueError('%s takes no `groups` other than 1. Received: groups=%r'
                             % (name, groups))
        self.depth_multiplier = _positive(depth_multiplier, 'depth_multiplier', name)
        self._set_geometry(kernel_size, strides, padding, data_format, dilation_rate)
        self._set_output(activation, use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self._ignored_kernel_args = (kernel_initializer, kernel_regularizer, kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        middle = channels * self.depth_multiplier
        self.depthwise = self._make_conv(channels, middle, channels, bias=False)
        self.pointwise = self._channels_last_memory(
            _TORCH_CONV[self.rank](middle, self.filters, 1, bias=self.use_bias))
        self.depthwise_kernel = self.track_weight(
            'depthwise_kernel', self.depthwise, 'weight',
            _depthwise_layout(self.rank, self.depth_multiplier), self.depthwise_initializer,
            self.depthwise_regularizer, self.depthwise_constraint)
        self.pointwise_kernel = self.track_weight(
            'pointwise_kernel', self.pointwise, 'weight', conv_kernel(self.rank),
            self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint)
        self._track_bias(self.pointwise)

    def call(self, inputs):
        x = self._convolve(self.depthwise, channels_to_front(inputs, self.data_format))
        return self._output(self.pointwise(x))

    def get_config(self):
        config = super().get_config()
        initializer, regularizer, constraint = self._ignored_kernel_args
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                      padding=self.padding, data_format=self.data_format,
                      dilation_rate=self.dilation_rate, groups=1,
                      kernel_initializer=_serialize('initializers', initializer),
                      kernel_regularizer=_serialize('regularizers', regularizer),
                      kernel_constraint=_serialize('constraints', constraint))
        config.update(self._output_config())
        config.update(
            depth_multiplier=self.depth_multiplier,
            depthwise_initializer=_serialize('initializers', self.depthwise_initializer),
            pointwise_initializer=_serialize('initializers', self.pointwise_initializer),
            depthwise_regularizer=_serialize('regularizers', self.depthwise_regularizer),
            pointwise_regularizer=_serialize('regularizers', self.pointwise_regularizer),
            depthwise_constraint=_serialize('constraints', self.depthwise_constraint),
            pointwise_constraint=_serialize('constraints', self.pointwise_constraint))
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1D convolution; ``padding='causal'`` allowed, as in Keras."""

    rank = 1
    padding_modes = ('valid', 'same', 'causal')


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2D convolution."""

    rank = 2


# Keras 2 aliases (the same classes, so auto-names stay 'conv2d', ...).
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D


# Keras 1 and 2 scripts import pooling, upsampling and padding layers and the Keras 1
# convolution names from keras.layers.convolutional too.
from torchkeras.layers.pooling import (AveragePooling1D, AveragePooling2D,  # noqa: E402
                                       AveragePooling3D, MaxPooling1D, MaxPooling2D,
                                       MaxPooling3D)
from torchkeras.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D,  # noqa: E402
                                         UpSampling1D, UpSampling2D, UpSampling3D,
                                         ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)

# Keras 1 names of the same classes (their Keras 1 arguments go through the renames table).
AtrousConvolution1D = Conv1D
AtrousConvolution2D = Conv2D
Deconvolution2D = Conv2DTranspose

__all__ += ['AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D', 'MaxPooling1D',
            'MaxPooling2D', 'MaxPooling3D', 'Cropping1D', 'Cropping2D', 'Cropping3D',
            'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding2D',
            'ZeroPadding3D', 'AtrousConvolution1D', 'AtrousConvolution2D', 'Deconvolution2D']
