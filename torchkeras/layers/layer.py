"""The Layer base class: a Keras layer that is an ``nn.Module``.

A layer writes ``__init__`` (validated config), ``build(input_shape)`` (creates its torch
modules, once, from the first input), ``call(inputs, ...)`` (the math) and ``get_config()``.

``layer(x)`` on a KerasTensor builds the layer, infers the output shape on fake tensors and
records a Node; on a torch tensor it builds if needed and computes (through
``nn.Module.__call__``, so torch hooks and torchinfo see every layer).

Weights live in torch layout inside torch modules.  Each is registered with
``track_weight`` as a ``Weight``: the Keras name, shape and layout of that tensor, used by
``get_weights``/``set_weights``, regularizers, constraints and the Keras file formats.
"""
import functools
import threading

import numpy as np
import torch
from torch import nn

from torchkeras import config
from torchkeras import constraints
from torchkeras import initializers
from torchkeras import regularizers
from torchkeras.graph import shape_inference
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.graph.operation import Operation, output_shapes
from torchkeras.legacy import translate_layer_args
from torchkeras.saving.weight_layouts import IDENTITY
from torchkeras.utils.generic import flatten, map_structure

__all__ = ['Layer', 'Weight', 'InputSpec']

# Keyword arguments every Keras layer accepts (tf.keras base_layer allowed_kwargs).
_BASE_KWARGS = ('input_shape', 'batch_input_shape', 'batch_size', 'input_dim', 'weights',
                'activity_regularizer', 'autocast', 'implementation', 'dynamic')


class Weight:
    """One Keras variable of a layer, seen through the torch tensor(s) that hold it.

    ``tensors`` are (module, attribute) references, read at each access so ``.to(device)``
    and buffer replacement never leave a stale tensor behind.
    """

    def __init__(self, layer, name, refs, layout=IDENTITY, trainable=True,
                 regularizer=None, constraint=None):
        self.layer = layer
        self.short_name = name
        self._refs = tuple(refs)
        self.layout = layout
        self._trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self.name_scope = None  # set where tf.keras names the weight after another layer

    @property
    def name(self):
        return '%s/%s:0' % (self.name_scope or self.layer.name, self.short_name)

    @property
    def tensors(self):
        return tuple(getattr(module, attr) for module, attr in self._refs)

    @property
    def value(self):
        """The weight in Keras layout, differentiable (a view where the layout allows).

        A layout that is a new view of the parameter (a Dense kernel, transposed) carries
        the parameter's gradient in Keras layout too, so ``weight.value.grad`` reads as in
        Keras 3 on torch (custom train_steps collect ``v.value.grad``)."""
        tensors = self.tensors
        value = self.layout.to_keras(*tensors)
        if value is not tensors[0] and all(t.grad is not None for t in tensors):
            with torch.no_grad():
                value.grad = self.layout.to_keras(*(t.grad for t in tensors))
        return value

    @property
    def shape(self):
        with torch.no_grad():
            return tuple(self.value.shape)

    @property
    def dtype(self):
        return str(self.tensors[0].dtype).replace('torch.', '')

    @property
    def trainable(self):
        return self._trainable and self.layer.trainable

    def numpy(self):
        with torch.no_grad():
            return self.value.detach().cpu().numpy().copy()

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def check_value(self, value):
        """The value as a float tensor of this weight's Keras shape, or a clear ValueError."""
        tensor = torch.as_tensor(
            np.asarray(value) if not isinstance(value, torch.Tensor) else value)
        if tuple(tensor.shape) != self.shape:
            raise ValueError(
                "Weight '%s' of layer '%s' expects a value of shape %s (Keras layout). "
                'Received: value with shape %s' % (self.short_name, self.layer.name, self.shape,
                                                   tuple(tensor.shape)))
        return tensor

    def assign(self, value):
        """Copy a Keras-layout value into the torch tensor(s), converting the layout."""
        tensor = self.check_value(value)
        parts = self.layout.from_keras(tensor)
        with torch.no_grad():
            for target, part in zip(self.tensors, parts):
                target.copy_(part.to(dtype=target.dtype))

    def __repr__(self):
        return '<Weight %s shape=%s dtype=%s>' % (self.name, self.shape, self.dtype)


class InputSpec:
    """What a layer accepts: rank bounds, dtype and fixed axis sizes (Keras's InputSpec)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name

    def check(self, layer, index, shape):
        """Raise ValueError naming the layer and both shapes when ``shape`` does not fit."""
        def fail(what):
            raise ValueError('Input %d of layer "%s" is incompatible with the layer: %s. '
                             'Full shape received: %s' % (index, layer.name, what, shape))
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            fail('expected ndim=%d, found ndim=%d' % (self.ndim, rank))
        if self.max_ndim is not None and rank > self.max_ndim:
            fail('expected max_ndim=%d, found ndim=%d' % (self.max_ndim, rank))
        if self.min_ndim is not None and rank < self.min_ndim:
            fail('expected min_ndim=%d, found ndim=%d' % (self.min_ndim, rank))
        for axis, value in self.axes.items():
            if value is not None and -rank <= axis < rank and shape[axis] not in (value, None):
                fail('expected axis %d of input shape to have value %d' % (axis, value))
        if self.shape is not None:
            for expected, got in zip(self.shape, shape):
                if expected is not None and got is not None and expected != got:
                    fail('expected shape=%s' % (tuple(self.shape),))


# add_weight's positional arguments in Keras 2 and in Keras 3.
_KERAS2_ADD_WEIGHT = ('name', 'shape', 'dtype', 'initializer', 'regularizer', 'trainable',
                      'constraint')
_KERAS3_ADD_WEIGHT = ('shape', 'initializer', 'dtype', 'trainable', 'autocast', 'regularizer',
                      'constraint', 'aggregation', 'name')

_TRANSLATING = threading.local()


def _translating_init(init):
    """Wrap a layer's __init__ so Keras 1 arguments are renamed once per instance.

    The renames live in one table (``torchkeras.legacy``).  ``super().__init__`` calls of the
    same instance see the already-translated arguments; a layer built inside another layer's
    constructor is a different instance and is translated on its own.
    """
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        active = _TRANSLATING.__dict__.setdefault('ids', set())
        if id(self) in active:
            return init(self, *args, **kwargs)
        args, kwargs = translate_layer_args(type(self), args, kwargs)
        active.add(id(self))
        try:
            init(self, *args, **kwargs)
        finally:
            active.discard(id(self))
    return wrapper


def _marking_build(build):
    """A layer whose build() the user called directly is built, as in Keras."""
    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        self.built = True
        self.train(self.training)  # the torch modules build() made follow the layer's mode
        return result
    return wrapper


class Layer(Operation):
    """Base class of every torchkeras layer and model: an Operation with weights."""

    BASE_KWARGS = _BASE_KWARGS  # read by saving/, which imports no layer class

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if '__init__' in cls.__dict__:
            cls.__init__ = _translating_init(cls.__dict__['__init__'])
        if 'build' in cls.__dict__:
            cls.build = _marking_build(cls.__dict__['build'])

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        unknown = [k for k in kwargs if k not in _BASE_KWARGS]
        if unknown:
            raise TypeError('Keyword argument not understood by %s: %s'
                            % (type(self).__name__, ', '.join(repr(k) for k in unknown)))
        if name is not None and not isinstance(name, str):
            raise TypeError('Layer name must be a string. Received: name=%r' % (name,))
        super().__init__(name=name)
        self._trainable = bool(trainable)
        self._dtype = None if dtype is None else config.dtype_name(dtype)
        self.built = False
        self.supports_masking = getattr(self, 'supports_masking', False)
        self.input_spec = None
        self.stateful = getattr(self, 'stateful', False)
        self.activity_regularizer = _get_regularizer(kwargs.get('activity_regularizer'))
        self._initial_weights = kwargs.get('weights')
        self._batch_input_shape = _batch_input_shape_from(kwargs)
        self._build_input_shape = None

    # ------------------------------------------------------------------ the four methods
    def build(self, input_shape):
        """Create the layer's torch modules from the input shape (None for unknown dims)."""

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError('Layer %s does not implement call()' % type(self).__name__)

    def get_config(self):
        config = {'name': self.name, 'trainable': self.trainable, 'dtype': self.dtype}
        if self._batch_input_shape is not None:
            config['batch_input_shape'] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---------------------------------------------------------------------- properties
    @property
    def dtype(self):
        return self._dtype or config.floatx()

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        # As in Keras, setting it on a container sets it on every layer inside.
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
            for weight in layer._own_weights:
                for tensor in weight.tensors:
                    if isinstance(tensor, nn.Parameter):
                        tensor.requires_grad_(weight.trainable)

    def _flatten_layers(self):
        yield self
        for sub in self._sublayers():
            yield from sub._flatten_layers()

    def _sublayers(self):
        """Direct child layers, in the order they were assigned."""
        seen = []
        for module in self._modules.values():
            if isinstance(module, Layer) and module not in seen:
                seen.append(module)
        return seen

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        own = [w for w in self._own_weights if w._trainable]
        return _dedup_weights(own + [w for sub in self._sublayers() for w in sub.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            own = list(self._own_weights)
            return _dedup_weights(own + [w for sub in self._sublayers() for w in sub.weights])
        own = [w for w in self._own_weights if not w._trainable]
        return _dedup_weights(
            own + [w for sub in self._sublayers() for w in sub.non_trainable_weights])

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def count_params(self):
        if not self.built:
            raise ValueError('You tried to call `count_params` on layer %s, but the layer '
                             "isn't built. You can build it manually via: "
                             "`%s.build(batch_input_shape)`."
                             % (self.name, self.name))
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    def get_weights(self):
        """The weights as NumPy arrays, in Keras layout and order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Set from NumPy arrays in Keras layout and order; checks every shape before writing."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                'You called `set_weights(weights)` on layer "%s" with a weight list of length '
                '%d, but the layer was expecting %d weights. Provided weights: %s...'
                % (self.name, len(weights), len(params), str(weights)[:50]))
        checked = [p.check_value(w) for p, w in zip(params, weights)]
        for param, value in zip(params, checked):
            param.assign(value)

    @property
    def losses(self):
        """Regularization terms of this layer and its sublayers (recomputed on each access)."""
        terms = []
        for layer in self._flatten_layers():
            for weight in layer._own_weights:
                if weight.regularizer is not None and weight.trainable:
                    terms.append(weight.regularizer(weight.value))
            terms.extend(layer._activity_losses)
        return terms

    def add_loss(self, loss):
        self._activity_losses.append(loss)

    def _clear_activity_losses(self):
        for layer in self._flatten_layers():
            layer._activity_losses = []

    def apply_constraints(self):
        """Project constrained weights after an optimizer step (Keras applies them there)."""
        with torch.no_grad():
            for layer in self._flatten_layers():
                for weight in layer._own_weights:
                    if weight.constraint is not None:
                        weight.assign(weight.constraint(weight.value))

    # ---------------------------------------------------------------- weight creation
    def track_weight(self, name, module, attr, layout=IDENTITY, initializer=None,
                     regularizer=None, constraint=None, trainable=True):
        """Register ``module.attr`` (a torch Parameter or buffer) as the Keras weight ``name``.

        The initializer is run in Keras layout (so fans are Keras's) and converted.
        """
        refs = [(module, a) for a in ([attr] if isinstance(attr, str) else attr)]
        weight = Weight(self, name, refs, layout, trainable,
                        _get_regularizer(regularizer), _get_constraint(constraint))
        if initializer is not None:
            init = initializers.get(initializer)
            weight.assign(init(weight.shape, dtype=self.dtype))
        for tensor in weight.tensors:
            if isinstance(tensor, nn.Parameter):
                tensor.requires_grad_(weight.trainable)
        self._own_weights.append(weight)
        return weight

    def add_weight(self, *args, **kwargs):
        """Keras's custom-layer API: a new tensor in Keras layout, returned for use in call().

        Either Keras's argument order: Keras 2 ``add_weight(name, shape, dtype, initializer,
        regularizer, trainable, constraint)`` or Keras 3 ``add_weight(shape, initializer,
        dtype, trainable, autocast, regularizer, constraint, aggregation, name)``; a first
        positional argument that is a string is a name, anything else a shape."""
        order = (_KERAS3_ADD_WEIGHT if args and not isinstance(args[0], str)
                 else _KERAS2_ADD_WEIGHT)
        if len(args) > len(order):
            raise TypeError('add_weight() takes at most %d positional arguments. Received: %d'
                            % (len(order), len(args)))
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError('add_weight() got two values for argument %r' % (key,))
            kwargs[key] = value
        return self._add_weight(**kwargs)

    def _add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                    trainable=True, constraint=None, **unused):
        if shape is None:
            raise ValueError('add_weight() needs a shape. Received: shape=None for weight %r'
                             % name)
        name = name or 'weight_%d' % len(self._own_weights)
        attr = name.replace('/', '_').replace('.', '_').replace(':', '_')
        shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
        tensor = torch.zeros(tuple(int(d) for d in shape),
                             dtype=config.torch_dtype(dtype or self.dtype))
        trainable = True if trainable is None else bool(trainable)
        if trainable:
            self.register_parameter(attr, nn.Parameter(tensor))
        else:
            self.register_buffer(attr, tensor)
        if initializer is None:
            initializer = 'glorot_uniform' if tensor.is_floating_point() else 'zeros'
        self.track_weight(name, self, attr, initializer=initializer, regularizer=regularizer,
                          constraint=constraint, trainable=trainable)
        return getattr(self, attr)

    add_variable = add_weight

    # ------------------------------------------------------------------------- building
    def compute_output_shape(self, input_shape):
        """Output shape for an input shape, from a fake-tensor run of call()."""
        if _is_shape(input_shape):
            inputs = KerasTensor(input_shape, self.dtype)
        else:
            inputs = [KerasTensor(s, self.dtype) for s in input_shape]
        self._maybe_build(input_shape)
        specs, _ = shape_inference.infer_outputs(self._run_for_inference, (inputs,), {}, None)
        return output_shapes(specs)

    def _maybe_build(self, input_shape, device=None):
        if self.built:
            return
        self._check_inputs(input_shape)
        # A sublayer first called inside another layer's symbolic run builds here: its
        # weights are real tensors, made outside the fake-tensor mode of shape inference.
        with shape_inference.real_tensors(), torch.no_grad():
            self.build(input_shape)
        self.built = True
        self._build_input_shape = input_shape
        if device is not None and device.type != 'cpu':
            self.to(device)
        if self._dtype is not None and self._dtype not in ('float32',) and \
                config.torch_dtype(self._dtype).is_floating_point:
            self.to(config.torch_dtype(self._dtype))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _check_inputs(self, input_shape):
        for index, (spec, shape) in enumerate(_specs_for(self.input_spec, input_shape)):
            spec.check(self, index, shape)

    def _build_for_eager(self, inputs):
        first = next((x for x in flatten(inputs) if isinstance(x, torch.Tensor)), None)
        shapes = map_structure(_shape_of, inputs)
        self._maybe_build(shapes, first.device if first is not None else None)

    def _build_for_symbolic(self, input_shape):
        if not self.built:
            self._maybe_build(input_shape)
        else:
            self._check_inputs(input_shape)


# ------------------------------------------------------------------------- helpers
def _dedup_weights(weights):
    """Each weight once, first occurrence kept: a layer shared by nested models (tf.keras)."""
    seen = set()
    return [w for w in weights if not (id(w) in seen or seen.add(id(w)))]


def _batch_input_shape_from(kwargs):
    """The batch input shape a first layer declares, from any of Keras's spellings."""
    if kwargs.get('batch_input_shape') is not None:
        return tuple(kwargs['batch_input_shape'])
    if kwargs.get('input_shape') is not None:
        return (kwargs.get('batch_size'),) + tuple(kwargs['input_shape'])
    if kwargs.get('input_dim') is not None:
        return (kwargs.get('batch_size'), kwargs['input_dim'])
    return None


def _get_regularizer(identifier):
    if identifier is None:
        return None
    return regularizers.get(identifier)


def _get_constraint(identifier):
    if identifier is None:
        return None
    return constraints.get(identifier)


def _shape_of(x):
    if isinstance(x, torch.Tensor):
        if shape_inference.is_inferring():  # the fill sizes of unknown dims stay unknown
            return (None,) + tuple(None if d in shape_inference.FILL_SIZES else d
                                   for d in x.shape[1:])
        return (None,) + tuple(x.shape[1:])
    if isinstance(x, np.ndarray):
        return (None,) + tuple(x.shape[1:])
    return None


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer))
                                                for d in x)


def _specs_for(input_spec, input_shape):
    """Pairs (InputSpec, shape) to check, one per input."""
    if input_spec is None:
        return []
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    shapes = [input_shape] if _is_shape(input_shape) else list(flatten_shapes(input_shape))
    return [(s, shape) for s, shape in zip(specs, shapes) if s is not None and shape is not None]


def flatten_shapes(shapes):
    if _is_shape(shapes):
        yield tuple(shapes)
    elif isinstance(shapes, dict):
        for value in shapes.values():
            yield from flatten_shapes(value)
    elif isinstance(shapes, (list, tuple)):
        for value in shapes:
            yield from flatten_shapes(value)
