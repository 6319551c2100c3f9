"""Keras 1 layers that Keras 2 removed or renamed: ``Merge``/``merge``, ``Highway``,
``MaxoutDense``, ``TimeDistributedDense`` (``keras.legacy.layers`` in Keras 2.0-2.2).

The Keras 1 *arguments* of every layer are translated by the one renames table in
``torchkeras.legacy``; this module holds the Keras 1 *classes* that have no Keras 2 class of
the same name.  Keras 1's convolution names (``Convolution2D``, ``AtrousConvolution2D``,
``Deconvolution2D``...) are other names of the Keras 2 classes, defined beside them in
``layers/convolutional.py``.

## Highway, MaxoutDense, TimeDistributedDense

Keras 1 core layers that Keras 2 removed: Highway, MaxoutDense, TimeDistributedDense.

They keep their Keras 1 signatures (``init``, ``W_regularizer``, ``bias``...) and formulas
(Keras 1.2.2 ``keras/layers/core.py``; Keras 2.2.4 kept the first two in
``keras/legacy/layers.py``), and warn once that they are deprecated.  Initializers given by
name use Keras 1's formulas (``torchkeras.initializations``: ``uniform`` is U(-0.05, 0.05),
fans of a rank-3 kernel are ``sqrt(prod(shape))``).

## Merge and merge()

Keras 1's ``Merge`` layer and ``merge()`` function.

``Merge([left_branch, right_branch], mode='concat')`` merges the outputs of models (usually
two Sequential branches).  Used as the first layer of a Sequential, that Sequential takes the
branches' inputs, in order, as its inputs::

    final_model = Sequential()
    final_model.add(Merge([left_branch, right_branch], mode='concat'))
    final_model.add(Dense(10, activation='softmax'))
    final_model.fit([input_data_1, input_data_2], targets)

Here the Merge layer owns the branch models (their weights are its weights) and runs them on
its inputs; the merge itself is done by the Keras 2 layer of the same mode, so the numbers are
those of ``concatenate([left_branch(a), right_branch(b)])``:

=========  ===================================
Keras 1    Keras 2
=========  ===================================
sum        Add()
mul        Multiply()
concat     Concatenate(axis=concat_axis)
ave        Average()
max        Maximum()
dot        Dot(axes=dot_axes)
cos        Dot(axes=dot_axes, normalize=True)
callable   mode(inputs, **arguments)
=========  ===================================

Source: Keras 1.2.2 ``keras/engine/topology.py`` (``Merge``, ``merge``).
"""
import torch
from torch import nn

from torchkeras import activations, initializations
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.layers.basic import Dense, positive_int
from torchkeras.layers.input_layer import Input
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Multiply)
from torchkeras.legacy import warn_once
from torchkeras.saving.weight_layouts import DENSE_KERNEL
from torchkeras.utils.generic import flatten

__all__ = ['Highway', 'MaxoutDense', 'TimeDistributedDense', 'Merge', 'merge',
           'AtrousConvolution1D', 'AtrousConvolution2D', 'Convolution1D', 'Convolution2D',
           'Convolution3D', 'Deconvolution2D', 'SeparableConvolution2D']


def _last_dim(layer, input_shape):
    dim = input_shape[-1]
    if dim is None:
        raise ValueError('The last dimension of the inputs to %s should be defined. Found None. '
                         'Full input shape received: %s' % (type(layer).__name__, input_shape))
    return int(dim)


class Highway(Layer):
    """``y = act(x·W + b)·T + (1 - T)·x`` with the transform gate ``T = sigmoid(x·W_carry +
    b_carry)``; ``b_carry`` starts at 1.  Weights (Keras 1 order): W (d, d), W_carry (d, d),
    b (d,), b_carry (d,)."""

    def __init__(self, init='glorot_uniform', activation=None, weights=None, W_regularizer=None,
                 b_regularizer=None, activity_regularizer=None, W_constraint=None,
                 b_constraint=None, bias=True, input_dim=None, **kwargs):
        if 'transform_bias' in kwargs:
            kwargs.pop('transform_bias')
            warn_once(('Highway', 'transform_bias'), 'The `transform_bias` argument of Highway '
                      'was removed in Keras 1.2 and is ignored: b_carry starts at 1.')
        super().__init__(weights=weights, activity_regularizer=activity_regularizer,
                         input_dim=input_dim, **kwargs)
        warn_once(('Highway', 'class'), 'Keras 1 layer `Highway` is deprecated (removed in '
                  'Keras 2.3); write it with Dense layers: T = Dense(d, "sigmoid")(x), '
                  'y = T * Dense(d, activation)(x) + (1 - T) * x.')
        self.init = init
        self.activation = activations.get(activation)
        self.W_regularizer, self.b_regularizer = W_regularizer, b_regularizer
        self.W_constraint, self.b_constraint = W_constraint, b_constraint
        self.bias = bool(bias)
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        dim = _last_dim(self, input_shape)
        init = initializations.get(self.init)
        self.transform = nn.Linear(dim, dim, bias=self.bias)
        self.gate = nn.Linear(dim, dim, bias=self.bias)
        self.W = self.track_weight('W', self.transform, 'weight', DENSE_KERNEL, init,
                                   self.W_regularizer, self.W_constraint)
        self.W_carry = self.track_weight('W_carry', self.gate, 'weight', DENSE_KERNEL, init)
        if self.bias:
            self.b = self.track_weight('b', self.transform, 'bias', initializer='zeros',
                                       regularizer=self.b_regularizer,
                                       constraint=self.b_constraint)
            self.b_carry = self.track_weight('b_carry', self.gate, 'bias', initializer='ones')
        self.input_spec = InputSpec(ndim=2, axes={-1: dim})

    def call(self, inputs):
        transform_gate = torch.sigmoid(self.gate(inputs))
        return self.activation(self.transform(inputs)) * transform_gate + \
            (1 - transform_gate) * inputs

    def get_config(self):
        config = super().get_config()
        config.update(init=_name_of(self.init), activation=activations.serialize(self.activation),
                      W_regularizer=_name_of(self.W_regularizer),
                      b_regularizer=_name_of(self.b_regularizer),
                      W_constraint=_name_of(self.W_constraint),
                      b_constraint=_name_of(self.b_constraint), bias=self.bias)
        return config


class MaxoutDense(Layer):
    """``y = max_k (x·W[k] + b[k])`` over ``nb_feature`` linear pieces (no activation).
    Weights: W (nb_feature, input_dim, output_dim), b (nb_feature, output_dim)."""

    def __init__(self, output_dim, nb_feature=4, init='glorot_uniform', weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        super().__init__(weights=weights, activity_regularizer=activity_regularizer,
                         input_dim=input_dim, **kwargs)
        warn_once(('MaxoutDense', 'class'), 'Keras 1 layer `MaxoutDense` is deprecated (removed '
                  'in Keras 2.3): take the maximum of nb_feature Dense layers instead.')
        self.output_dim = positive_int(output_dim, 'output_dim', 'MaxoutDense')
        self.nb_feature = positive_int(nb_feature, 'nb_feature', 'MaxoutDense')
        self.init = init
        self.W_regularizer, self.b_regularizer = W_regularizer, b_regularizer
        self.W_constraint, self.b_constraint = W_constraint, b_constraint
        self.bias = bool(bias)
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        dim = _last_dim(self, input_shape)
        # No torch module computes a maxout, so the kernel is a plain tensor in Keras layout.
        self.W = self.add_weight('W', (self.nb_feature, dim, self.output_dim),
                                 initializer=initializations.get(self.init),
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        if self.bias:
            self.b = self.add_weight('b', (self.nb_feature, self.output_dim), initializer='zeros',
                                     regularizer=self.b_regularizer, constraint=self.b_constraint)
        self.input_spec = InputSpec(ndim=2, axes={-1: dim})

    def call(self, inputs):
        pieces = torch.einsum('bd,fdo->bfo', inputs, self.W)
        if self.bias:
            pieces = pieces + self.b
        return pieces.max(dim=1).values

    def get_config(self):
        config = super().get_config()
        config.update(output_dim=self.output_dim, nb_feature=self.nb_feature,
                      init=_name_of(self.init), W_regularizer=_name_of(self.W_regularizer),
                      b_regularizer=_name_of(self.b_regularizer),
                      W_constraint=_name_of(self.W_constraint),
                      b_constraint=_name_of(self.b_constraint), bias=self.bias)
        return config


class TimeDistributedDense(Dense):
    """Keras 1's Dense applied to every timestep of a (batch, steps, features) input: the same
    as Keras 2's ``TimeDistributed(Dense(units))`` (or ``Dense`` on a 3D input).  Keras 1
    arguments (``output_dim``, ``init``...) go through the Dense rules of the renames table;
    ``input_dim``/``input_length`` declare the input shape ``(input_length, input_dim)``."""

    def __init__(self, units, input_length=None, **kwargs):
        if kwargs.get('input_dim') is not None and 'input_shape' not in kwargs:
            kwargs['input_shape'] = (input_length, kwargs.pop('input_dim'))
        super().__init__(units, **kwargs)
        warn_once(('TimeDistributedDense', 'class'), 'Keras 1 layer `TimeDistributedDense` is '
                  'deprecated; use `TimeDistributed(Dense(units))` (or `Dense` on the 3D input).')
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(ndim=3, axes={-1: input_shape[-1]})


def _name_of(obj):
    """Config form of a Keras 1 argument given as a name or an object."""
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, 'get_config'):
        return {'class_name': type(obj).__name__, 'config': obj.get_config()}
    return getattr(obj, '__name__', repr(obj))


_MODES = ('sum', 'mul', 'concat', 'ave', 'max', 'dot', 'cos')
_MODERN_SPELLING = {
    'sum': 'add([...]) / Add()', 'mul': 'multiply([...]) / Multiply()',
    'concat': 'concatenate([...], axis=concat_axis) / Concatenate(axis)',
    'ave': 'average([...]) / Average()', 'max': 'maximum([...]) / Maximum()',
    'dot': 'dot([...], axes=dot_axes) / Dot(axes)',
    'cos': 'dot([...], axes=dot_axes, normalize=True) / Dot(axes, normalize=True)',
}


def _check_mode(mode):
    if callable(mode) or mode in _MODES:
        return mode
    raise ValueError('Invalid merge mode: expected one of %s or a callable. Received: mode=%r'
                     % (', '.join(_MODES), mode))


def _dot_axes(dot_axes):
    """Keras 1 ``dot_axes``: an int (the same axis of both inputs) or a pair."""
    if isinstance(dot_axes, (list, tuple)):
        if len(dot_axes) != 2:
            raise ValueError('`dot_axes` must be an int or a list of 2 ints. Received: '
                             'dot_axes=%r' % (dot_axes,))
        return tuple(int(a) for a in dot_axes)
    return (int(dot_axes), int(dot_axes))


def _modern_merge_layer(mode, concat_axis, dot_axes, name):
    """The Keras 2 layer computing a Keras 1 merge mode (None for a callable mode)."""
    if mode == 'sum':
        return Add(name=name)
    if mode == 'mul':
        return Multiply(name=name)
    if mode == 'ave':
        return Average(name=name)
    if mode == 'max':
        return Maximum(name=name)
    if mode == 'concat':
        return Concatenate(axis=concat_axis, name=name)
    if mode in ('dot', 'cos'):
        return Dot(axes=_dot_axes(dot_axes), normalize=(mode == 'cos'), name=name)
    return None


class Merge(Layer):
    """Keras 1 merge of a list of tensors, or of the outputs of a list of models (``layers``)."""

    def __init__(self, layers=None, mode='sum', concat_axis=-1, dot_axes=-1, output_shape=None,
                 output_mask=None, arguments=None, node_indices=None, tensor_indices=None,
                 name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        warn_once(('Merge', 'class'), 'Keras 1 layer `Merge` is deprecated; use the functional '
                  'API with the Keras 2 merge layers instead (%s).'
                  % _MODERN_SPELLING.get(mode, 'a Lambda layer for a custom merge function'))
        self.mode = _check_mode(mode)
        self.concat_axis = int(concat_axis)
        self.dot_axes = dot_axes
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self._output_mask = output_mask
        self.supports_masking = output_mask is not None
        self._merger = _modern_merge_layer(mode, self.concat_axis, dot_axes,
                                           name=self.name + '_' + str(mode))
        self._branches = []
        for branch in layers or []:
            self._add_branch(branch)

    def _add_branch(self, branch):
        if not isinstance(branch, Layer) or not hasattr(branch, 'inputs'):
            raise TypeError('Merge(layers=...) takes models (e.g. Sequential branches) whose '
                            'outputs it merges; to merge tensors call `merge([a, b], mode=...)`. '
                            'Received: %r' % (branch,))
        if not branch.inputs:
            raise ValueError('Merge: the branch model "%s" has no input shape yet. Give its first '
                             'layer an `input_shape` (or `input_dim`).' % branch.name)
        self._branches.append(branch)
        self.add_module(branch.name.replace('.', '_'), branch)

    @property
    def layers(self):
        """The merged branch models (Keras 1's ``Merge.layers``)."""
        return list(self._branches)

    def _sequential_inputs(self):
        """New Inputs for a Sequential that starts with this Merge: one per branch input, in
        order (the Sequential's ``fit`` then takes one array per branch)."""
        if not self._branches:
            return None
        return [Input(batch_shape=tensor.shape, dtype=tensor.dtype)
                for branch in self._branches for tensor in branch.inputs]

    def build(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError('A Merge layer should be called on a list of at least 2 inputs. '
                             'Received: input_shape=%s' % (input_shape,))
        expected = sum(len(branch.inputs) for branch in self._branches)
        if self._branches and len(input_shape) != expected:
            raise ValueError('Merge of %d branch models expects %d inputs (one per branch input). '
                             'Received: %d inputs' % (len(self._branches), expected,
                                                      len(input_shape)))

    def call(self, inputs):
        inputs = list(inputs)
        if self._branches:
            inputs = self._run_branches(inputs)
        if self._merger is None:
            return self.mode(inputs, **self.arguments)
        return self._merger.call(inputs)

    def _run_branches(self, inputs):
        outputs = []
        for branch in self._branches:
            count = len(branch.inputs)
            taken, inputs = inputs[:count], inputs[count:]
            outputs.append(branch(taken[0] if count == 1 else taken))
        return outputs

    def compute_mask(self, inputs, mask=None):
        if callable(self._output_mask):
            return self._output_mask(mask)
        return self._output_mask

    def get_config(self):
        config = super().get_config()
        config.update(mode=self.mode if isinstance(self.mode, str) else
                      getattr(self.mode, '__name__', 'lambda'),
                      concat_axis=self.concat_axis, dot_axes=self.dot_axes,
                      output_shape=self._output_shape, arguments=self.arguments)
        return config


def merge(inputs, mode='sum', concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
          arguments=None, name=None):
    """Keras 1 functional merge of tensors: the Keras 2 merge layer of that mode, called on
    ``inputs`` (``merge([a, b], mode='concat')`` is ``Concatenate()([a, b])``).  A callable
    ``mode`` gives a Merge layer."""
    _check_mode(mode)
    warn_once(('merge', mode if isinstance(mode, str) else 'callable'),
              'Keras 1 function `merge(mode=%r)` is deprecated; use %s instead.'
              % (mode if isinstance(mode, str) else 'callable',
                 _MODERN_SPELLING.get(mode, 'a Lambda layer')))
    if not isinstance(inputs, (list, tuple)) or \
            not all(isinstance(x, KerasTensor) or hasattr(x, 'shape') for x in flatten(inputs)):
        raise TypeError('merge() takes a list of tensors. Received: inputs=%r' % (inputs,))
    layer = _modern_merge_layer(mode, int(concat_axis), dot_axes, name)
    if layer is None:
        layer = Merge(mode=mode, output_shape=output_shape, output_mask=output_mask,
                      arguments=arguments, name=name)
    return layer(list(inputs))


# Keras 1 convolution names: the Keras 2 classes themselves (layers/convolutional.py).
from torchkeras.layers.convolutional import (AtrousConvolution1D, AtrousConvolution2D,  # noqa: E402,F401,E501
                                             Convolution1D, Convolution2D, Convolution3D,
                                             Deconvolution2D, SeparableConvolution2D)
