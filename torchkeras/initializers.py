"""Keras weight initializers, producing torch tensors.

An initializer is called as ``init(shape, dtype=None)`` with ``shape`` in the **Keras layout**
(Dense kernel ``(in, out)``, conv kernel ``(kh, kw, in, out)``, LSTM kernel ``(in, 4*units)``)
and returns a CPU ``torch.Tensor``; the layer converts it to its torch layout.  Fans follow
Keras's ``compute_fans`` (rank 2: ``(shape[0], shape[1])``; rank > 2: receptive field =
``prod(shape[:-2])``), so the distributions match Keras exactly.

Random draws use torch's global RNG, so ``torch.manual_seed`` makes model builds reproducible.
An initializer given a ``seed`` uses a private ``torch.Generator`` seeded afresh on each call,
so it returns the same values every call (as tf.keras 2 does).
"""
import inspect
import math

import numpy as np
import torch

from torchkeras import config
from torchkeras import random as keras_random

__all__ = [
    'Initializer', 'Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal',
    'TruncatedNormal', 'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeUniform',
    'HeNormal', 'LecunUniform', 'LecunNormal', 'Orthogonal', 'Identity',
    'zeros', 'zero', 'ones', 'one', 'constant', 'uniform', 'random_uniform', 'normal',
    'random_normal', 'truncated_normal', 'glorot_uniform', 'glorot_normal', 'he_uniform',
    'he_normal', 'lecun_uniform', 'lecun_normal', 'orthogonal', 'identity', 'variance_scaling',
    'compute_fans', 'get', 'serialize', 'deserialize',
]

# stddev of a unit normal truncated to [-2, 2]; Keras divides by it so the truncated draw keeps
# the requested variance (K3 random_initializers.py, TF init_ops_v2).
_TRUNCATED_STDDEV_FACTOR = 0.87962566103423978
_FLOAT_SAMPLING_DTYPES = (torch.float32, torch.float64)


def compute_fans(shape):
    """(fan_in, fan_out) of a Keras-layout shape, as Keras's ``compute_fans``."""
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _normalize_shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError('An initializer needs a fully defined shape (a tuple of ints). '
                         'Received: shape=%r' % (shape,)) from None


def _sampling_dtype(dtype):
    """Draw half-precision values in float32 and cast after, as torch's CPU RNG prefers."""
    return dtype if dtype in _FLOAT_SAMPLING_DTYPES else torch.float32


class Initializer:
    """Base class: ``__call__(shape, dtype=None) -> torch.Tensor`` (CPU, Keras layout)."""

    def __call__(self, shape, dtype=None, **kwargs):
        raise NotImplementedError('Initializer subclasses must implement `__call__`.')

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop('dtype', None)  # tf.keras 1.x configs carried a dtype
        return cls(**config)

    def __repr__(self):
        args = ', '.join('%s=%r' % item for item in self.get_config().items())
        return '%s(%s)' % (type(self).__name__, args)


class _RandomInitializer(Initializer):
    """Shared seed handling: global RNG unless a seed was given."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError('`seed` must be an integer or None. Received: seed=%r' % (seed,))
        self.seed = None if seed is None else int(seed)

    def _generator(self):
        return keras_random.make_generator(self.seed)  # seeded afresh: the same draw each call

    def get_config(self):
        return {'seed': self.seed}


def _uniform(shape, minval, maxval, dtype, generator):
    values = torch.rand(shape, dtype=_sampling_dtype(dtype), generator=generator)
    return (values * (maxval - minval) + minval).to(dtype)


def _normal(shape, mean, stddev, dtype, generator):
    values = torch.randn(shape, dtype=_sampling_dtype(dtype), generator=generator)
    return (values * stddev + mean).to(dtype)


def _truncated_normal(shape, mean, stddev, dtype, generator):
    """Normal(mean, stddev) truncated to mean +- 2 stddev, by the inverse CDF (as torch's
    ``trunc_normal_``) so the cost is one draw whatever the shape."""
    low_cdf = 0.5 * (1.0 + math.erf(-2.0 / math.sqrt(2.0)))
    high_cdf = 0.5 * (1.0 + math.erf(2.0 / math.sqrt(2.0)))
    values = torch.rand(shape, dtype=torch.float64 if dtype == torch.float64 else torch.float32,
                        generator=generator)
    values = values.mul_(high_cdf - low_cdf).add_(low_cdf).mul_(2.0).sub_(1.0)
    values = values.erfinv_().mul_(math.sqrt(2.0)).clamp_(-2.0, 2.0)
    return (values * stddev + mean).to(dtype)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None, **kwargs):
        return torch.zeros(_normalize_shape(shape), dtype=config.torch_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None, **kwargs):
        return torch.ones(_normalize_shape(shape), dtype=config.torch_dtype(dtype))


class Constant(Initializer):
    """Every value equal to ``value`` (a scalar; an array is broadcast to the shape)."""

    def __init__(self, value=0):
        self.value = value

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _normalize_shape(shape)
        dtype = config.torch_dtype(dtype)
        if np.ndim(self.value) == 0:
            return torch.full(shape, float(self.value), dtype=dtype)
        return torch.as_tensor(np.asarray(self.value)).to(dtype).expand(shape).clone()

    def get_config(self):
        value = self.value
        if np.ndim(value) > 0:
            value = np.asarray(value).tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        return {'value': value}


class RandomUniform(_RandomInitializer):
    """Uniform on ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = config.torch_dtype(dtype)
        shape = _normalize_shape(shape)
        if not dtype.is_floating_point:
            # tf.keras allows integer uniform draws on [minval, maxval)
            return torch.randint(int(self.minval), int(self.maxval), shape, dtype=dtype,
                                 generator=self._generator())
        return _uniform(shape, self.minval, self.maxval, dtype, self._generator())

    def get_config(self):
        return {'minval': self.minval, 'maxval': self.maxval, 'seed': self.seed}


class RandomNormal(_RandomInitializer):
    """Normal with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None, **kwargs):
        return _normal(_normalize_shape(shape), self.mean, self.stddev,
                       config.torch_dtype(dtype), self._generator())

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class TruncatedNormal(_RandomInitializer):
    """Normal with ``mean`` and ``stddev``, values beyond 2 stddev from the mean redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape, dtype=None, **kwargs):
        return _truncated_normal(_normalize_shape(shape), self.mean, self.stddev,
                                 config.torch_dtype(dtype), self._generator())

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class VarianceScaling(_RandomInitializer):
    """Samples with variance ``scale / n``, n = fan_in, fan_out or their average (``mode``).

    distribution 'truncated_normal' (stddev corrected by 0.8796...), 'untruncated_normal', or
    'uniform' (limit ``sqrt(3 * scale / n)``).  'normal' means 'truncated_normal' (tf.keras).
    """
    _MODES = ('fan_in', 'fan_out', 'fan_avg')
    _DISTRIBUTIONS = ('truncated_normal', 'untruncated_normal', 'uniform')

    def __init__(self, scale=1.0, mode='fan_in', distribution='truncated_normal', seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError('Argument `scale` must be positive float. Received: scale=%r'
                             % (scale,))
        mode = str(mode).lower()
        if mode not in self._MODES:
            raise ValueError('Argument `mode` should be one of %s. Received: mode=%r'
                             % (self._MODES, mode))
        distribution = str(distribution).lower()
        if distribution == 'normal':  # keras-team/keras compatibility, as tf.keras does
            distribution = 'truncated_normal'
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError('Argument `distribution` should be one of %s. Received: '
                             'distribution=%r' % (self._DISTRIBUTIONS, distribution))
        if input_axes is not None or output_axes is not None:
            # Keras 3.15 configs carry these (null by default); only the default is supported.
            raise ValueError('Custom fan axes are not supported. Received: input_axes=%r, '
                             'output_axes=%r' % (input_axes, output_axes))
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def _variance(self, shape):
        fan_in, fan_out = compute_fans(shape)
        fan = {'fan_in': fan_in, 'fan_out': fan_out, 'fan_avg': (fan_in + fan_out) / 2.0}
        return self.scale / max(1.0, fan[self.mode])

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _normalize_shape(shape)
        dtype = config.torch_dtype(dtype)
        variance = self._variance(shape)
        generator = self._generator()
        if self.distribution == 'truncated_normal':
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV_FACTOR
            return _truncated_normal(shape, 0.0, stddev, dtype, generator)
        if self.distribution == 'untruncated_normal':
            return _normal(shape, 0.0, math.sqrt(variance), dtype, generator)
        limit = math.sqrt(3.0 * variance)
        return _uniform(shape, -limit, limit, dtype, generator)

    def get_config(self):
        return {'scale': self.scale, 'mode': self.mode, 'distribution': self.distribution,
                'seed': self.seed}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling (Glorot, He, LeCun) whose config is only the seed."""
    _SCALE, _MODE, _DISTRIBUTION = 1.0, 'fan_in', 'truncated_normal'

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(scale=self._SCALE, mode=self._MODE, distribution=self._DISTRIBUTION,
                         seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {'seed': self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / (fan_in + fan_out))``."""
    _SCALE, _MODE, _DISTRIBUTION = 1.0, 'fan_avg', 'uniform'


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out))`` (before truncation)."""
    _SCALE, _MODE, _DISTRIBUTION = 1.0, 'fan_avg', 'truncated_normal'


class HeUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / fan_in)``."""
    _SCALE, _MODE, _DISTRIBUTION = 2.0, 'fan_in', 'uniform'


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / fan_in)`` (before truncation)."""
    _SCALE, _MODE, _DISTRIBUTION = 2.0, 'fan_in', 'truncated_normal'


class LecunUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(3 / fan_in)``."""
    _SCALE, _MODE, _DISTRIBUTION = 1.0, 'fan_in', 'uniform'


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(1 / fan_in)`` (before truncation)."""
    _SCALE, _MODE, _DISTRIBUTION = 1.0, 'fan_in', 'truncated_normal'


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``; rank > 2 shapes are flattened to
    ``(prod(shape[:-1]), shape[-1])`` as Keras does (QR of a normal draw, sign-corrected)."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _normalize_shape(shape)
        dtype = config.torch_dtype(dtype)
        if len(shape) < 2:
            raise ValueError('The tensor to initialize must be at least two-dimensional. '
                             'Received: shape=%s of rank %d.' % (shape, len(shape)))
        num_rows = int(np.prod(shape[:-1]))
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))
        sampling_dtype = torch.float64 if dtype == torch.float64 else torch.float32
        matrix = torch.randn(flat_shape, dtype=sampling_dtype, generator=self._generator())
        q, r = torch.linalg.qr(matrix)
        # Make the decomposition unique (and Q uniformly distributed): sign of diag(R).
        diagonal_sign = torch.sign(torch.diagonal(r))
        diagonal_sign[diagonal_sign == 0] = 1.0
        q = q * diagonal_sign
        if num_rows < num_cols:
            q = q.t()
        return (self.gain * q.reshape(shape)).to(dtype).contiguous()

    def get_config(self):
        return {'gain': self.gain, 'seed': self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (rank 2 only; non-square shapes get a partial one)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _normalize_shape(shape)
        if len(shape) != 2:
            raise ValueError('Identity matrix initializer can only be used for 2D matrices. '
                             'Received: shape=%s of rank %d.' % (shape, len(shape)))
        return self.gain * torch.eye(*shape, dtype=config.torch_dtype(dtype))

    def get_config(self):
        return {'gain': self.gain}


class _FunctionInitializer(Initializer):
    """A user function ``fn(shape, dtype=...)`` (or Keras 1 ``fn(shape, name=None)``) whose
    result (torch tensor, numpy array, list) is converted to a torch tensor of ``dtype``."""

    def __init__(self, function):
        self.function = function
        self.__name__ = getattr(function, '__name__', type(function).__name__)
        self._takes_dtype = _accepts_keyword(function, 'dtype')

    def __call__(self, shape, dtype=None, **kwargs):
        shape = _normalize_shape(shape)
        dtype = config.torch_dtype(dtype)
        if self._takes_dtype:
            # a dtype *name* ('float32'): numpy, torchkeras.backend and user code all accept it
            result = self.function(shape, dtype=str(dtype).replace('torch.', ''))
        else:
            result = self.function(shape)
        tensor = _to_torch(result, dtype)
        if tuple(tensor.shape) != shape:
            raise ValueError('Initializer %r returned a value of shape %s; expected shape %s.'
                             % (self.__name__, tuple(tensor.shape), shape))
        return tensor

    def get_config(self):
        return {}


def _accepts_keyword(function, name):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == name or p.kind == p.VAR_KEYWORD for p in parameters)


def _to_torch(value, dtype):
    if isinstance(value, torch.Tensor):
        return value.detach().to(device='cpu', dtype=dtype)
    if hasattr(value, 'numpy'):  # a tf / jax array-like from user code
        value = value.numpy()
    return torch.as_tensor(np.asarray(value)).to(dtype)


# Function-style aliases are the classes themselves (tf.keras: glorot_uniform = GlorotUniform).
zeros = zero = Zeros
ones = one = Ones
constant = Constant
uniform = random_uniform = RandomUniform
normal = random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity

_CLASSES = (Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
            Orthogonal, Identity)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({
    'zeros': Zeros, 'zero': Zeros, 'ones': Ones, 'one': Ones, 'constant': Constant,
    'uniform': RandomUniform, 'random_uniform': RandomUniform, 'normal': RandomNormal,
    'random_normal': RandomNormal, 'truncated_normal': TruncatedNormal,
    'variance_scaling': VarianceScaling, 'glorot_uniform': GlorotUniform,
    'glorot_normal': GlorotNormal, 'he_uniform': HeUniform, 'he_normal': HeNormal,
    'lecun_uniform': LecunUniform, 'lecun_normal': LecunNormal, 'orthogonal': Orthogonal,
    'identity': Identity,
    # tf.keras 2 compatibility spellings found in saved configs
    'Zero': Zeros, 'One': Ones, 'Identity': Identity, 'ConstantV2': Constant,
    'ZerosV2': Zeros, 'OnesV2': Ones, 'RandomUniformV2': RandomUniform,
    'RandomNormalV2': RandomNormal, 'TruncatedNormalV2': TruncatedNormal,
    'VarianceScalingV2': VarianceScaling, 'GlorotUniformV2': GlorotUniform,
    'GlorotNormalV2': GlorotNormal, 'OrthogonalV2': Orthogonal, 'IdentityV2': Identity,
})


def serialize(initializer):
    """``{'module', 'class_name', 'config', 'registered_name'}`` as tf.keras 2.13+ / Keras 3."""
    if initializer is None:
        return None
    if isinstance(initializer, _FunctionInitializer):
        return initializer.__name__
    if not isinstance(initializer, Initializer):
        if callable(initializer) and hasattr(initializer, '__name__'):
            return initializer.__name__
        raise ValueError('Cannot serialize initializer: expected an Initializer. Received: '
                         'initializer=%r' % (initializer,))
    return {'module': 'keras.initializers', 'class_name': type(initializer).__name__,
            'config': initializer.get_config(), 'registered_name': None}


def deserialize(config, custom_objects=None):
    """A class name, a Keras name ('glorot_uniform') or ``{'class_name', 'config'}``."""
    if isinstance(config, str):
        return _lookup(config, custom_objects)()
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError('Could not interpret initializer identifier: %r' % (config,))
    cls = _lookup(config['class_name'], custom_objects)
    options = config.get('config') or {}
    if hasattr(cls, 'from_config'):
        return cls.from_config(options)
    return cls(**options)


def _lookup(name, custom_objects):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise ValueError('Could not interpret initializer identifier: %r. Expected one of the '
                     'Keras initializer names (e.g. "glorot_uniform", "zeros").' % (name,))


def get(identifier):
    """An Initializer from a name, a config dict, an instance, a class or a function.

    A plain function is wrapped so that it too returns a torch tensor of the asked dtype.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return _FunctionInitializer(identifier)
    raise ValueError('Could not interpret initializer identifier: %r' % (identifier,))
