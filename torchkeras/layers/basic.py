"""The layers Keras calls core: Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector, Lambda (``keras.layers.core``, the Keras path, is ``layers/core.py``)."""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torchkeras import activations, config, constraints, initializers, regularizers
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.saving.weight_layouts import DENSE_KERNEL

__all__ = ['Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'Permute', 'RepeatVector',
           'Lambda', 'Identity', 'positive_int']


def positive_int(value, argname, layer_name):
    """Validate a positive integer argument; the error names it and the value received."""
    if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer))
            or value <= 0):
        raise ValueError('Received an invalid value for `%s`, expected a positive integer '
                         'in %s. Received: %s=%r' % (argname, layer_name, argname, value))
    return int(value)


class Dense(Layer):
    """``output = activation(dot(input, kernel) + bias)`` on the last axis, any input rank."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(units, 'units', 'Dense')
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        last_dim = input_shape[-1]
        if last_dim is None:
            raise ValueError('The last dimension of the inputs to a Dense layer should be '
                             'defined. Found None. Full input shape received: %s' % (input_shape,))
        self.linear = nn.Linear(last_dim, self.units, bias=self.use_bias)
        self.kernel = self.track_weight('kernel', self.linear, 'weight', DENSE_KERNEL,
                                        self.kernel_initializer, self.kernel_regularizer,
                                        self.kernel_constraint)
        if self.use_bias:
            self.bias = self.track_weight('bias', self.linear, 'bias',
                                          initializer=self.bias_initializer,
                                          regularizer=self.bias_regularizer,
                                          constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last_dim})

    def call(self, inputs):
        return self.activation(self.linear(inputs))

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=activations.serialize(self.activation),
                      use_bias=self.use_bias, **kernel_bias_config(self))
        return config


def kernel_bias_config(layer):
    """The config entries of a layer's kernel/bias initializers, regularizers and constraints
    (and its activity regularizer), as Keras writes them."""
    return dict(kernel_initializer=_serialize('initializers', layer.kernel_initializer),
                bias_initializer=_serialize('initializers', layer.bias_initializer),
                kernel_regularizer=_serialize('regularizers', layer.kernel_regularizer),
                bias_regularizer=_serialize('regularizers', layer.bias_regularizer),
                activity_regularizer=_serialize('regularizers', layer.activity_regularizer),
                kernel_constraint=_serialize('constraints', layer.kernel_constraint),
                bias_constraint=_serialize('constraints', layer.bias_constraint))


_SETTING_MODULES = {'initializers': initializers, 'regularizers': regularizers,
                    'constraints': constraints}


def _serialize(module_name, obj):
    """Config form of an initializer/regularizer/constraint given by name or object."""
    if obj is None or isinstance(obj, dict):
        return obj
    module = _SETTING_MODULES[module_name]
    if isinstance(obj, str):  # tf.keras's get_config holds the object's config, not its name
        obj = module.get(obj)
    serialize = getattr(module, 'serialize', None)
    if serialize is not None:
        return serialize(obj)
    return {'class_name': type(obj).__name__, 'config': obj.get_config()}


class Activation(Layer):
    """Applies an activation function by name or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        config = super().get_config()
        config['activation'] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Inverted dropout during training; the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError('Invalid value received for argument `rate`. Expected a float '
                             'value between 0 and 1. Received: rate=%r' % (rate,))
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = [inputs.shape[i] if d is None else d for i, d in enumerate(self.noise_shape)]
        keep = torch.empty(shape, device=inputs.device,
                           dtype=inputs.dtype).bernoulli_(1 - self.rate)
        return inputs * keep / (1 - self.rate)

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config


class Flatten(Layer):
    """(batch, ...) -> (batch, prod(...)); channels_first inputs are flattened in NHWC order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        if self.data_format == 'channels_first' and inputs.dim() > 2:
            inputs = inputs.permute(0, *range(2, inputs.dim()), 1)
        if inputs.dim() == 1:
            return inputs.unsqueeze(1)
        return inputs.reshape(inputs.shape[0], -1)

    def get_config(self):
        config = super().get_config()
        config['data_format'] = self.data_format
        return config


class Reshape(Layer):
    """Reshape to ``target_shape`` (batch excluded; one -1 allowed)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError('There must be at most one unknown dimension (-1) in '
                             'target_shape. Received: target_shape=%s' % (self.target_shape,))

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self.target_shape)

    def get_config(self):
        config = super().get_config()
        config['target_shape'] = self.target_shape
        return config


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` is 1-based, as in Keras."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError('Invalid permutation argument `dims` for Permute Layer. The set of '
                             'indices in `dims` must be consecutive and start from 1. '
                             'Received: dims=%s' % (self.dims,))
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def get_config(self):
        config = super().get_config()
        config['dims'] = self.dims
        return config


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(n, 'n', 'RepeatVector')
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def get_config(self):
        config = super().get_config()
        config['n'] = self.n
        return config


class Lambda(Layer):
    """Wrap a function of tensors as a layer: ``Lambda(lambda x: x ** 2)``."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError('Lambda expects a callable `function`. Received: function=%r'
                            % (function,))
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self._mask = mask
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None, training=None):
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self._mask):
            return self._mask(inputs, mask)
        return self._mask

    def get_config(self):
        config = super().get_config()
        config.update(function=getattr(self.function, '__name__', 'lambda'),
                      function_type='lambda', output_shape=self._output_shape,
                      arguments=self.arguments)
        return config


class Identity(Layer):
    """Returns its input unchanged (Keras 3's placeholder layer); masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs
