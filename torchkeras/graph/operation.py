"""Operation: anything that can be called on tensors and sit on a node of a graph.

One ``__call__`` with two short paths: on torch tensors it computes (``call``); on
KerasTensors it runs the same code on fake tensors to find the output shapes (no data, no
compute) and records a ``Node``.  ``Layer`` (layers/) extends it with weights and ``build``;
``TFOpLambda`` (below) is the operation a KerasTensor operator or a ``keras.ops`` function
records, so graph/ needs nothing from layers/ (Keras 3's Operation -> Layer split).

An Operation owns no weights: the weight lists, ``count_params`` and ``get_weights`` below
are the empty answers every model-level walk over ``model.layers`` can rely on.
"""
import inspect

import torch
from torch import nn
from torch.nn.modules import module as _module_mod

from torchkeras import config
from torchkeras.graph import shape_inference
from torchkeras.graph.node import Node
from torchkeras.ops.dispatch import is_symbolic, symbolic_argument
from torchkeras.utils.generic import flatten, map_structure

__all__ = ['Operation', 'TFOpLambda']


def _accepts(method, name):
    params = inspect.signature(method).parameters
    return name in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class Operation(nn.Module):
    """Base of every node of a functional graph: layers, models and recorded ops."""

    # Class flags that code below the classes that set them reads (tf.keras's own flags).
    _is_graph_network = False   # a Functional model
    _is_sequential = False      # a Sequential model
    _is_input_layer = False     # the layer behind Input()
    _is_model = False           # a Model (functional, sequential or subclassed)
    supports_masking = False
    stateful = False
    activity_regularizer = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Which call arguments this class's call() takes, decided once per class (unless
        # the class says so itself).
        if '_call_takes_training' not in cls.__dict__:
            cls._call_takes_training = _accepts(cls.call, 'training')
        if '_call_takes_mask' not in cls.__dict__:
            cls._call_takes_mask = _accepts(cls.call, 'mask')

    def __init__(self, name=None):
        super().__init__()
        # Keras calls a model in inference mode unless told otherwise (fit sets training):
        # an operation starts in eval mode, so model(x) and predict() never apply Dropout.
        self.training = False
        self.name = name or self._default_name()
        self.built = True
        self._trainable = True
        self._own_weights = []
        self._activity_losses = []
        self._inbound_nodes = []
        self._outbound_nodes = []

    def _default_name(self):
        return config.unique_object_name(config.to_snake_case(type(self).__name__))

    def call(self, *args, **kwargs):
        raise NotImplementedError('%s does not implement call()' % type(self).__name__)

    def get_config(self):
        return {'name': self.name, 'trainable': self.trainable}

    # ------------------------------------------------------------------------- calling
    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor):
            return self._eager_call(args, kwargs)  # the common case, checked cheaply
        if symbolic_argument(args, kwargs) is not None:
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def forward(self, *args, **kwargs):
        if self._call_takes_training and kwargs.get('training') is None:
            kwargs['training'] = self.training
        elif not self._call_takes_training:
            kwargs.pop('training', None)
        if not self._call_takes_mask:
            kwargs.pop('mask', None)
        return self.call(*args, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """The output mask: the input mask for operations that support masking, else None."""
        if not self.supports_masking:
            return None
        return mask

    def _call_with_mask(self, args, kwargs, mask, need_mask):
        """One call on real tensors inside a graph: (outputs, output mask or None)."""
        if mask is not None and self._call_takes_mask and 'mask' not in kwargs:
            kwargs = dict(kwargs, mask=mask)
        if self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or \
                self._backward_pre_hooks or _hooks_or_tracing():
            outputs = nn.Module.__call__(self, *args, **kwargs)
        else:  # nothing observes this call: skip nn.Module.__call__'s hook machinery
            outputs = self.forward(*args, **kwargs)
        first = args[0] if args else None
        out_mask = self.compute_mask(first, mask) if need_mask else None
        if self.activity_regularizer is not None and not shape_inference.is_inferring():
            # kept in inference too: Keras adds it to val_loss and evaluate()
            self._activity_losses.append(_activity_penalty(self.activity_regularizer, outputs))
        return outputs, out_mask

    def _run_for_inference(self, args, kwargs, masks):
        return self._call_with_mask(args, kwargs, masks, need_mask=True)

    def _build_for_eager(self, inputs):
        """Hook: create what the first real input decides (Layer builds its weights)."""

    def _build_for_symbolic(self, input_shape):
        """Hook: create what the first symbolic input decides, or check it fits."""

    def _eager_call(self, args, kwargs):
        inputs = args[0] if args else kwargs.get('inputs')
        if not self.built:
            self._build_for_eager(inputs)
        mask = kwargs.pop('mask', None)
        if mask is None:
            masks = [getattr(x, '_keras_mask', None) for x in flatten(inputs)]
            if any(m is not None for m in masks):
                mask = masks[0] if len(masks) == 1 else masks
        need_mask = mask is not None or type(self).compute_mask is not Operation.compute_mask
        outputs, out_mask = self._call_with_mask(args, kwargs, mask, need_mask)
        if out_mask is not None and isinstance(outputs, torch.Tensor):
            outputs._keras_mask = out_mask
        return outputs

    def _symbolic_call(self, args, kwargs):
        inputs = args[0] if args else kwargs.get('inputs')
        if not args:
            args, kwargs = (kwargs.pop('inputs'),), kwargs
        input_shape = map_structure(lambda t: t.shape if is_symbolic(t) else None, inputs)
        self._build_for_symbolic(input_shape)
        symbolic_type = type(symbolic_argument(args, kwargs))  # outputs are of the inputs' kind
        mask = kwargs.pop('mask', None)
        if mask is None:
            masks = map_structure(lambda t: getattr(t, '_keras_mask', None), inputs)
            mask = None if all(m is None for m in flatten(masks)) else masks
        try:
            specs, mask_specs = shape_inference.infer_outputs(
                self._run_for_inference, args, kwargs, mask)
        except Exception as error:
            raise _incompatible(self, input_shape, error) from error
        outputs = _leaf_map(lambda spec: symbolic_type(spec[0], spec[1]), _spec_tree(specs))
        node = Node(self, args, kwargs, outputs)
        node.input_mask = mask
        _attach_masks(outputs, mask_specs, symbolic_type)
        return outputs

    # ------------------------------------------------------- weights (an op has none)
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def dtype(self):
        return config.floatx()

    def _flatten_layers(self):
        yield self

    def _sublayers(self):
        return []

    @property
    def trainable_weights(self):
        return []

    @property
    def non_trainable_weights(self):
        return []

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    @property
    def losses(self):
        return []

    def count_params(self):
        return 0

    def get_weights(self):
        return []

    def set_weights(self, weights):
        if len(list(weights)) != 0:
            raise ValueError('Operation "%s" has no weights. Received: %d weight arrays'
                             % (self.name, len(list(weights))))

    # ------------------------------------------------------------ shapes and history
    def _node_attr(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError('The layer "%s" has never been called and thus has no defined %s.'
                                 % (self.name, what))
        values = [getattr(node, attr) for node in self._inbound_nodes]
        if all(v == values[0] for v in values):
            return values[0]
        raise AttributeError('The layer "%s" has multiple inbound nodes, with different %ss. '
                             'Hence the notion of "%s" is ill-defined for the layer.'
                             % (self.name, what, what))

    @property
    def input_shape(self):
        return self._node_attr('input_shapes', 'input shape')

    @property
    def output_shape(self):
        return self._node_attr('output_shapes', 'output shape')

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError('Layer %s is not connected, no input to return.' % self.name)
        return self._inbound_nodes[0].input_tensors

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError('Layer %s has no inbound nodes.' % self.name)
        return self._inbound_nodes[0].outputs

    @property
    def inbound_nodes(self):
        """The graph nodes where this layer was called (Keras 2's ``inbound_nodes``)."""
        return self._inbound_nodes

    @property
    def outbound_nodes(self):
        """The graph nodes that consume this layer's outputs."""
        return self._outbound_nodes

    def get_input_at(self, node_index):
        return self._inbound_nodes[node_index].input_tensors

    def get_output_at(self, node_index):
        return self._inbound_nodes[node_index].outputs

    def get_input_shape_at(self, node_index):
        return self._inbound_nodes[node_index].input_shapes

    def get_output_shape_at(self, node_index):
        return self._inbound_nodes[node_index].output_shapes

    @property
    def input_mask(self):
        return self._inbound_nodes[0].input_mask if self._inbound_nodes else None

    @property
    def output_mask(self):
        out = self.output
        return map_structure(lambda t: t._keras_mask, out)

    def __getattr__(self, name):
        # nn.Module turns an AttributeError raised inside a property into "no attribute";
        # re-run the property so the caller sees Keras's own message.
        if name in _SHAPE_PROPERTIES:
            return getattr(type(self), name).fget(self)
        return super().__getattr__(name)

    def extra_repr(self):
        return 'name=%r' % self.name

    def __repr__(self):
        return nn.Module.__repr__(self)


class TFOpLambda(Operation):
    """One call of a tensor op recorded in a functional graph: ``x + y`` on KerasTensors, or
    ``keras.ops.mean(x, axis=1)``.  tf.keras 2 records these as ``TFOpLambda`` layers (and
    lists them in ``model.layers`` and ``summary()``); this is that node.  ``function`` is
    the op's torch implementation, called with the node's arguments at every replay."""

    # The recorded function takes exactly the node's arguments: no training= or mask=.
    _call_takes_training = False
    _call_takes_mask = False

    def __init__(self, function, name=None, op_name=None):
        self.function = function
        self.op_name = op_name or getattr(function, '__name__', 'op')
        super().__init__(name=name or config.unique_object_name(self.op_name))

    def call(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def get_config(self):
        return dict(super().get_config(), function=self.op_name)


# ------------------------------------------------------------------------- helpers
def _hooks_or_tracing():
    """True when global module hooks or TorchScript tracing need nn.Module.__call__."""
    return bool(_module_mod._global_forward_hooks or _module_mod._global_forward_pre_hooks
                or _module_mod._global_backward_hooks
                or _module_mod._global_backward_pre_hooks or torch._C._get_tracing_state())


_SHAPE_PROPERTIES = frozenset(['input_shape', 'output_shape', 'input', 'output', 'input_mask',
                               'output_mask'])


def _activity_penalty(regularizer, outputs):
    # Keras divides the activity penalty by the batch size.
    first = flatten(outputs)[0]
    return regularizer(first) / first.shape[0]


def _spec_tree(specs):
    """map_structure over (shape, dtype) leaves: turn each leaf into a marker object."""
    if shape_inference.is_spec(specs):
        return _Leaf(specs)
    if isinstance(specs, (list, tuple)):
        return type(specs)(_spec_tree(s) for s in specs)
    if isinstance(specs, dict):
        return {k: _spec_tree(v) for k, v in specs.items()}
    return specs


class _Leaf(tuple):
    def __new__(cls, spec):
        return tuple.__new__(cls, spec)


def _leaf_map(fn, tree):
    if isinstance(tree, _Leaf):
        return fn(tree)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_leaf_map(fn, t) for t in tree)
    if isinstance(tree, dict):
        return {k: _leaf_map(fn, v) for k, v in tree.items()}
    return tree


def output_shapes(specs):
    """The shapes of inferred output specs, nested as the outputs are."""
    return _leaf_map(lambda spec: tuple(spec[0]), _spec_tree(specs))


def _attach_masks(outputs, mask_specs, symbolic_type):
    flat_out = flatten(outputs)
    flat_masks = _flat_specs(mask_specs)
    if len(flat_masks) == 1 and len(flat_out) > 1:
        flat_masks = flat_masks * len(flat_out)
    for tensor, spec in zip(flat_out, flat_masks):
        if spec is not None:
            tensor._keras_mask = symbolic_type(spec[0], spec[1])


def _flat_specs(specs):
    if specs is None or shape_inference.is_spec(specs):
        return [specs]
    if isinstance(specs, (list, tuple)):
        return [leaf for s in specs for leaf in _flat_specs(s)]
    if isinstance(specs, dict):
        return [leaf for s in specs.values() for leaf in _flat_specs(s)]
    return [specs]


def _incompatible(layer, input_shape, error):
    if isinstance(error, (ValueError, TypeError)) and 'incompatible with the layer' in str(error):
        return error
    return ValueError('Exception encountered when calling layer "%s" (type %s) on inputs of '
                      'shape %s: %s' % (layer.name, type(layer).__name__, input_shape,
                                        str(error).split('\n')[0]))
