"""The one table of Keras 1 layer arguments and their Keras 2 spellings.

``RULES`` maps a layer class name to the rules for its Keras 1 arguments.  A layer's class
and every base class in its MRO are looked up by name, most specific first, so a rule for
``Conv2D`` also applies to ``Convolution2D`` (the same class) and to any subclass.  Each rule
rewrites ``(args, kwargs)`` and warns once, naming the modern spelling:

- ``Renamed(old, new, values=None)``: ``old=v`` -> ``new=v`` (``values`` maps or converts v);
- ``Combined(olds, new)``: ``nb_row=3, nb_col=3`` -> ``kernel_size=(3, 3)``;
- ``Dropped(old, advice)``: removed, with the advice in the warning;
- ``Keras1Positional(names, kernel)``: Keras 1 positional signatures such as
  ``Convolution2D(32, 3, 3)`` (filters, nb_row, nb_col) become keywords first;
- small rule classes for the few arguments that need more (``mode`` of BatchNormalization,
  ``forget_bias_init``, dict ``padding`` of ZeroPadding, ``input_dim``/``input_length`` of
  recurrent layers).

Sources: Keras 2.2.4 ``keras/legacy/interfaces.py`` (the converters Keras itself shipped) and
the Keras 1.2.2 layer signatures; KERAS_FACTS section 9.
"""
import numbers

from torchkeras import config
from torchkeras.legacy.deprecation import warn_once, warn_renamed

__all__ = ['RULES', 'translate', 'Renamed', 'Combined', 'Dropped', 'Keras1Positional']


def _warn(owner, old, new):
    warn_renamed(owner, old, new)


def _advise(owner, old, advice):
    warn_once((owner, old), 'Keras 1 argument `%s` of %s is deprecated; %s' % (old, owner, advice))


def _both_given(owner, old, new):
    return TypeError('%s got both the Keras 1 argument `%s` and its Keras 2 spelling `%s`; '
                     'pass only `%s`.' % (owner, old, new, new))


# ------------------------------------------------------------------------- rule kinds
class Renamed:
    """``old=v`` becomes ``new=values(v)``."""

    def __init__(self, old, new, values=None):
        self.old, self.new, self.values = old, new, values

    def apply(self, owner, args, kwargs):
        if self.old not in kwargs:
            return args, kwargs
        if self.new in kwargs:
            raise _both_given(owner, self.old, self.new)
        value = kwargs.pop(self.old)
        if isinstance(self.values, dict):
            value = _lookup_value(owner, self.old, self.values, value)
        elif callable(self.values):
            value = self.values(owner, value)
        kwargs[self.new] = value
        _warn(owner, self.old, self.new)
        return args, kwargs


def _lookup_value(owner, argname, values, value):
    if value not in values:
        raise ValueError('Unsupported value for the Keras 1 argument `%s` of %s: expected one '
                         'of %s. Received: %s=%r'
                         % (argname, owner, sorted(values), argname, value))
    return values[value]


class Combined:
    """Several Keras 1 scalars (``nb_row``, ``nb_col``) become one Keras 2 tuple argument."""

    def __init__(self, olds, new):
        self.olds, self.new = tuple(olds), new

    def apply(self, owner, args, kwargs):
        present = [old for old in self.olds if old in kwargs]
        if not present:
            return args, kwargs
        if self.new in kwargs:
            raise _both_given(owner, present[0], self.new)
        missing = [old for old in self.olds if old not in kwargs]
        if missing:
            raise TypeError('%s got the Keras 1 argument(s) %s without %s: Keras 1 needs all of %s '
                            '(Keras 2: `%s`).'
                            % (owner, present, missing, list(self.olds), self.new))
        kwargs[self.new] = tuple(kwargs.pop(old) for old in self.olds)
        _warn(owner, '/'.join(self.olds), self.new)
        return args, kwargs


class Dropped:
    """A Keras 1 argument with no Keras 2 counterpart: removed, the warning says what to do."""

    def __init__(self, old, advice):
        self.old, self.advice = old, advice

    def apply(self, owner, args, kwargs):
        if self.old in kwargs:
            kwargs.pop(self.old)
            _advise(owner, self.old, self.advice)
        return args, kwargs


class Keras1Positional:
    """A Keras 1 positional signature, recognised by the integer kernel sizes that follow the
    filter count: ``Convolution2D(32, 3, 3)`` is ``Conv2D(filters=32, kernel_size=(3, 3))``,
    whereas Keras 2 reads a third positional int as ``strides``.  The call is taken as Keras 1
    when the ``kernel`` ints are all there and no Keras 2-only keyword is given (Keras 2.2.4's
    ``conv2d_args_preprocessor`` made the same call).  The positional arguments after the filter
    count then become keywords under their Keras 1 names (``names``), for the keyword rules to
    rename."""

    KERAS2_KEYWORDS = frozenset([
        'kernel_size', 'padding', 'strides', 'data_format', 'dilation_rate', 'groups',
        'kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer',
        'kernel_constraint', 'bias_constraint', 'use_bias', 'depthwise_initializer',
        'pointwise_initializer', 'output_padding'])

    def __init__(self, names, kernel):
        self.names, self.kernel = tuple(names), int(kernel)

    def apply(self, owner, args, kwargs):
        sizes = args[1:1 + self.kernel]
        if len(args) < 1 + self.kernel or not all(_is_int(s) for s in sizes):
            return args, kwargs
        if self.KERAS2_KEYWORDS & set(kwargs):
            return args, kwargs
        if len(args) > 1 + len(self.names):
            raise TypeError('%s takes at most %d positional arguments in Keras 1 (filters, %s). '
                            'Received: %d' % (owner, 1 + len(self.names), ', '.join(self.names),
                                              len(args)))
        for name, value in zip(self.names, args[1:]):
            if name in kwargs:
                raise TypeError('%s got multiple values for the Keras 1 argument `%s`'
                                % (owner, name))
            kwargs[name] = value
        return tuple(args[:1]), kwargs


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# ------------------------------------------------------------- rules needing more
class RecurrentInputShape:
    """``input_dim``/``input_length`` of a recurrent (or Conv1D) first layer declare the input
    shape ``(input_length, input_dim)``.  tf.keras 2 still accepts this spelling for RNNs, so
    no warning."""

    def apply(self, owner, args, kwargs):
        if 'input_dim' not in kwargs and 'input_length' not in kwargs:
            return args, kwargs
        if 'input_shape' in kwargs or 'batch_input_shape' in kwargs:
            raise TypeError('%s got `input_dim`/`input_length` together with `input_shape`/'
                            '`batch_input_shape`; pass only `input_shape=(input_length, '
                            'input_dim)`.' % owner)
        kwargs['input_shape'] = (kwargs.pop('input_length', None), kwargs.pop('input_dim', None))
        return args, kwargs


class ForgetBiasInit:
    """LSTM ``forget_bias_init='one'`` is Keras 2's ``unit_forget_bias=True`` ('zero': False)."""

    def apply(self, owner, args, kwargs):
        if 'forget_bias_init' not in kwargs:
            return args, kwargs
        value = kwargs.pop('forget_bias_init')
        if value in ('one', 'ones', 'zero', 'zeros'):
            if 'unit_forget_bias' in kwargs:
                raise _both_given(owner, 'forget_bias_init', 'unit_forget_bias')
            kwargs['unit_forget_bias'] = value in ('one', 'ones')
            _warn(owner, 'forget_bias_init', 'unit_forget_bias')
        else:
            _advise(owner, 'forget_bias_init', 'only `unit_forget_bias=True` (forget bias 1) '
                    'is supported; forget_bias_init=%r is ignored.' % (value,))
        return args, kwargs


class BatchNormMode:
    """Keras 1 BatchNormalization ``mode``: 0 is Keras 2's only behaviour; 1 and 2 are gone."""

    def apply(self, owner, args, kwargs):
        if 'mode' not in kwargs:
            return args, kwargs
        mode = kwargs.pop('mode')
        if mode != 0:
            raise ValueError('BatchNormalization(mode=%r) of Keras 1 has no Keras 2 equivalent: '
                             'only mode=0 (feature-wise normalization) is supported. '
                             'Received: mode=%r' % (mode, mode))
        _advise(owner, 'mode', 'mode=0 is the only behaviour of Keras 2; remove it.')
        return args, kwargs


class BatchNormPositional:
    """Keras 1 ``BatchNormalization(epsilon=1e-3, mode=0, axis=-1, momentum=0.99, ...)``: a float
    first positional argument is Keras 1's epsilon (Keras 2's first one is the int axis)."""

    NAMES = ('epsilon', 'mode', 'axis', 'momentum', 'weights', 'beta_init', 'gamma_init',
             'gamma_regularizer', 'beta_regularizer')

    def apply(self, owner, args, kwargs):
        if not args or not isinstance(args[0], float):
            return args, kwargs
        return _positional_to_keywords(owner, self.NAMES, args, kwargs)


def _positional_to_keywords(owner, names, args, kwargs):
    if len(args) > len(names):
        raise TypeError('%s takes at most %d positional arguments in Keras 1. Received: %d'
                        % (owner, len(names), len(args)))
    for name, value in zip(names, args):
        if name in kwargs:
            raise TypeError('%s got multiple values for argument `%s`' % (owner, name))
        kwargs[name] = value
    _advise(owner, 'positional arguments', 'pass them as keywords (%s).'
            % ', '.join(names[:len(args)]))
    return (), kwargs


class DictPadding:
    """Keras 1 ZeroPadding1D/2D ``padding={'top_pad': 1, ...}`` -> nested tuples."""

    def __init__(self, keys):
        self.keys = tuple(keys)  # ((lo, hi) key pairs per spatial axis)

    def apply(self, owner, args, kwargs):
        if args and isinstance(args[0], dict):
            kwargs = dict(kwargs, padding=args[0])
            args = tuple(args[1:])
        padding = kwargs.get('padding')
        if not isinstance(padding, dict):
            return args, kwargs
        allowed = {key for pair in self.keys for key in pair}
        if not set(padding) <= allowed:
            raise ValueError('Unexpected key(s) in the Keras 1 dict `padding` of %s: expected '
                             'some of %s. Received: padding=%r' % (owner, sorted(allowed), padding))
        pairs = tuple((padding.get(lo, 0), padding.get(hi, 0)) for lo, hi in self.keys)
        kwargs['padding'] = pairs[0] if len(pairs) == 1 else pairs
        _advise(owner, 'padding (dict)', 'pass `padding=%r` instead.' % (kwargs['padding'],))
        return args, kwargs


class SeparableInit:
    """Keras 1 SeparableConvolution2D ``init`` initialized both the depthwise and pointwise
    kernels."""

    def apply(self, owner, args, kwargs):
        if 'init' not in kwargs:
            return args, kwargs
        value = kwargs.pop('init')
        for new in ('depthwise_initializer', 'pointwise_initializer'):
            if new in kwargs:
                raise _both_given(owner, 'init', new)
            kwargs[new] = value
        _warn(owner, 'init', 'depthwise_initializer` and `pointwise_initializer')
        return args, kwargs


class InputDtype:
    """Keras 1 ``input_dtype`` of a first layer.  A float dtype is the layer's ``dtype`` (as
    Keras 2.2.4 read it); an integer one cannot be a layer dtype here, and the layers that take
    integer inputs (Embedding) already declare it, so it is dropped with a warning."""

    def apply(self, owner, args, kwargs):
        if 'input_dtype' not in kwargs:
            return args, kwargs
        value = kwargs.pop('input_dtype')
        if config.torch_dtype(value).is_floating_point and 'dtype' not in kwargs:
            kwargs['dtype'] = value
            _warn(owner, 'input_dtype', 'dtype')
        else:
            _advise(owner, 'input_dtype', 'declare the input with `Input(shape, dtype=%r)` '
                    'instead; input_dtype=%r is ignored here.' % (value, value))
        return args, kwargs


# ------------------------------------------------------------------ value converters
def _border_mode(owner, value):
    if value == 'full':
        raise ValueError("border_mode='full' of Keras 1 (Theano only) has no Keras 2 equivalent "
                         "in %s: use ZeroPadding before a 'valid' convolution. "
                         "Received: border_mode='full'" % owner)
    return value


def _dim_ordering(owner, value):
    """'tf' -> channels_last, 'th' -> channels_first, 'default' -> image_dim_ordering() now
    (keras.json's ``image_dim_ordering``, or set_image_dim_ordering/set_image_data_format)."""
    if value == 'default':
        return config.image_data_format()
    return _lookup_value(owner, 'dim_ordering',
                         {'tf': 'channels_last', 'th': 'channels_first'}, value)


# Keras 1 consume_less chose the RNN kernel layout.  tf.keras 2 has implementation 1 and 2
# only (0 is deprecated there), and the numbers are the same either way.
_CONSUME_LESS = {'cpu': 1, 'mem': 1, 'gpu': 2}

DIM_ORDERING = Renamed('dim_ordering', 'data_format', _dim_ordering)
BORDER_MODE = Renamed('border_mode', 'padding', _border_mode)

# Dense-style weight arguments (Dense, Convolution*, Embedding is separate).
_KERNEL_ARGS = (
    Renamed('init', 'kernel_initializer'),
    Renamed('W_regularizer', 'kernel_regularizer'),
    Renamed('b_regularizer', 'bias_regularizer'),
    Renamed('W_constraint', 'kernel_constraint'),
    Renamed('b_constraint', 'bias_constraint'),
    Renamed('bias', 'use_bias'),
)
_CONV_ARGS = (
    Renamed('nb_filter', 'filters'),
    BORDER_MODE,
    Renamed('atrous_rate', 'dilation_rate'),
) + _KERNEL_ARGS

_CONV2D_K1 = ('nb_row', 'nb_col', 'init', 'activation', 'weights', 'border_mode',
              'subsample', 'dim_ordering', 'W_regularizer', 'b_regularizer',
              'activity_regularizer', 'W_constraint', 'b_constraint', 'bias')
_CONV2D = (Keras1Positional(_CONV2D_K1, kernel=2), Combined(('nb_row', 'nb_col'), 'kernel_size'),
           Renamed('subsample', 'strides'), DIM_ORDERING) + _CONV_ARGS

_RECURRENT = (
    Renamed('output_dim', 'units'),
    Renamed('init', 'kernel_initializer'),
    Renamed('inner_init', 'recurrent_initializer'),
    Renamed('inner_activation', 'recurrent_activation'),
    Renamed('W_regularizer', 'kernel_regularizer'),
    Renamed('U_regularizer', 'recurrent_regularizer'),
    Renamed('b_regularizer', 'bias_regularizer'),
    Renamed('W_constraint', 'kernel_constraint'),
    Renamed('U_constraint', 'recurrent_constraint'),
    Renamed('b_constraint', 'bias_constraint'),
    Renamed('dropout_W', 'dropout'),
    Renamed('dropout_U', 'recurrent_dropout'),
    Renamed('consume_less', 'implementation', _CONSUME_LESS),
    RecurrentInputShape(),
)

_POOL1D = (Renamed('pool_length', 'pool_size'), Renamed('stride', 'strides'), BORDER_MODE)
_POOL_ND = (BORDER_MODE, DIM_ORDERING)
_DROPOUT = (Renamed('p', 'rate'),)

RULES = {
    'Layer': (InputDtype(),),
    'Functional': (Renamed('input', 'inputs'), Renamed('output', 'outputs')),
    'Dense': (Renamed('output_dim', 'units'),) + _KERNEL_ARGS,
    # Convolutions
    'Conv1D': (Renamed('filter_length', 'kernel_size'), Renamed('subsample_length', 'strides'),
               RecurrentInputShape()) + _CONV_ARGS,
    'Conv2D': _CONV2D,
    'Conv3D': (Keras1Positional(('kernel_dim1', 'kernel_dim2', 'kernel_dim3', 'init',
                                 'activation', 'weights', 'border_mode', 'subsample',
                                 'dim_ordering'), kernel=3),
               Combined(('kernel_dim1', 'kernel_dim2', 'kernel_dim3'), 'kernel_size'),
               Renamed('subsample', 'strides'), DIM_ORDERING) + _CONV_ARGS,
    'Conv2DTranspose': (Keras1Positional(('nb_row', 'nb_col', 'output_shape', 'init',
                                          'activation', 'weights', 'border_mode', 'subsample',
                                          'dim_ordering'), kernel=2),
                        Dropped('output_shape', 'Keras 2 infers the output shape of '
                                'Conv2DTranspose (Deconvolution2D) from its input; it is ignored.'),
                        ) + _CONV2D[1:],
    'SeparableConv2D': (Keras1Positional(('nb_row', 'nb_col', 'init', 'activation',
                                          'weights', 'border_mode', 'subsample',
                                          'depth_multiplier', 'dim_ordering'), kernel=2),
                        SeparableInit()) + _CONV2D[1:],
    'LocallyConnected1D': (Renamed('filter_length', 'kernel_size'),
                           Renamed('subsample_length', 'strides'),
                           RecurrentInputShape()) + _CONV_ARGS,
    'LocallyConnected2D': _CONV2D,
    # Pooling, padding, cropping, upsampling
    'MaxPooling1D': _POOL1D,
    'AveragePooling1D': _POOL1D,
    'MaxPooling2D': _POOL_ND,
    'AveragePooling2D': _POOL_ND,
    'MaxPooling3D': _POOL_ND,
    'AveragePooling3D': _POOL_ND,
    'GlobalMaxPooling2D': (DIM_ORDERING,),
    'GlobalAveragePooling2D': (DIM_ORDERING,),
    'GlobalMaxPooling3D': (DIM_ORDERING,),
    'GlobalAveragePooling3D': (DIM_ORDERING,),
    'UpSampling1D': (Renamed('length', 'size'),),
    'UpSampling2D': (DIM_ORDERING,),
    'UpSampling3D': (DIM_ORDERING,),
    'ZeroPadding1D': (DictPadding([('left_pad', 'right_pad')]),),
    'ZeroPadding2D': (DictPadding([('top_pad', 'bottom_pad'), ('left_pad', 'right_pad')]),
                      DIM_ORDERING),
    'ZeroPadding3D': (DIM_ORDERING,),
    'Cropping2D': (DIM_ORDERING,),
    'Cropping3D': (DIM_ORDERING,),
    # Dropout and noise
    'Dropout': _DROPOUT,  # SpatialDropout1D/2D/3D subclass Dropout
    'SpatialDropout2D': (DIM_ORDERING,),
    'SpatialDropout3D': (DIM_ORDERING,),
    'GaussianDropout': _DROPOUT,
    'GaussianNoise': (Renamed('sigma', 'stddev'),),
    # Embedding
    'Embedding': (
        Renamed('init', 'embeddings_initializer'),
        Renamed('W_regularizer', 'embeddings_regularizer'),
        Renamed('W_constraint', 'embeddings_constraint'),
        Dropped('dropout', 'Keras 2 has no Embedding dropout: add a SpatialDropout1D layer '
                'right after the Embedding for the same effect; it is ignored here.'),
    ),
    # Recurrent
    'RNN': (RecurrentInputShape(),),
    'SimpleRNN': _RECURRENT,
    'GRU': _RECURRENT,
    'LSTM': (ForgetBiasInit(),) + _RECURRENT,
    # Normalization and advanced activations
    'BatchNormalization': (BatchNormPositional(), BatchNormMode(),
                           Renamed('beta_init', 'beta_initializer'),
                           Renamed('gamma_init', 'gamma_initializer')),
    'PReLU': (Renamed('init', 'alpha_initializer'),),
}


def _rules_for(cls):
    """Every rule of the class and its bases, most specific class first."""
    rules = []
    for klass in cls.__mro__:
        rules.extend(RULES.get(klass.__name__, ()))
    return rules


_CACHE = {}


def translate(cls, args, kwargs):
    """Apply the Keras 1 rules of ``cls`` to a constructor call; returns (args, kwargs)."""
    rules = _CACHE.get(cls)
    if rules is None:
        rules = _CACHE[cls] = tuple(_rules_for(cls))
    if not rules:
        return args, kwargs
    kwargs = dict(kwargs)
    owner = cls.__name__
    for rule in rules:
        args, kwargs = rule.apply(owner, args, kwargs)
    return args, kwargs
