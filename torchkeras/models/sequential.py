"""Sequential: a Functional model whose graph is a chain of single-input layers.

The input comes from the first layer's ``input_shape`` / ``input_dim`` (+ ``input_length``)
/ ``batch_input_shape`` / ``batch_size``, from an ``Input``/``InputLayer`` added first, or,
without any, from the first real call (or ``fit``/``build``).  Its ``layers`` exclude the
InputLayer, as in Keras.
"""
import torch

from torchkeras import config
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.layers.input_layer import Input, InputLayer
from torchkeras.layers.layer import Layer
from torchkeras.models.functional import Functional, module_key
from torchkeras.models.model import Model
from torchkeras.utils.generic import flatten

__all__ = ['Sequential']


class Sequential(Functional):
    """A linear stack of layers: ``Sequential([Dense(32, input_dim=784), Activation('relu')])``."""

    _is_sequential = True  # read by utils.summary, which imports no model class

    def __init__(self, layers=None, name=None, **kwargs):
        Model.__init__(self, name=name, **kwargs)
        self._stack = []          # the layers, in order (excludes the InputLayer)
        self._input = None        # the KerasTensor the chain starts from, once known
        self._output = None
        for layer in layers or []:
            self.add(layer)

    def _default_name(self):
        return config.unique_object_name('sequential')

    def add(self, layer):
        """Append a layer; builds the graph as soon as the input shape is known."""
        if isinstance(layer, KerasTensor):  # Sequential().add(Input(...))
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError('The added layer must be an instance of class Layer. '
                            'Received: layer=%r of type %s.' % (layer, type(layer)))
        if isinstance(layer, InputLayer):
            if self._stack or self._input is not None:
                raise ValueError('An InputLayer can only be the first layer of a Sequential '
                                 'model. Received it after %d layers.' % len(self._stack))
            self._input = self._output = layer._inbound_nodes[0].outputs[0]
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError('All layers added to a Sequential model should have unique names. '
                             'Name "%s" is already the name of a layer in this model. Update '
                             'the `name` argument to pass a unique name.' % layer.name)
        if self._input is None and not self._stack:
            self._input = self._output = _first_input(layer)
        self._stack.append(layer)
        if self._output is not None:
            self._output = _single_output(layer, layer(self._output))
            self._init_graph(self._input, self._output)
        else:
            self.add_module(module_key(self, layer.name), layer)

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError('There are no layers in the model.')
        layer = self._stack.pop()
        if self._input is not None:
            self._rebuild_chain()
        else:
            del self._modules[module_key(self, layer.name)]
        return layer

    def _rebuild_chain(self):
        output = self._input
        for layer in self._stack:
            output = _single_output(layer, layer(output))
        self._output = output
        if self._stack:
            self._init_graph(self._input, output)
        else:
            self._layers = []
            self.built = False

    @property
    def layers(self):
        return list(self._stack)

    def _sublayers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        """Build from a batch input shape, e.g. ``model.build((None, 784))``."""
        if self._input is not None:
            return
        if input_shape is None:
            raise ValueError('You must provide an `input_shape` argument to build a '
                             'Sequential model without an input.')
        self._input = Input(batch_shape=tuple(input_shape), name=self._input_name())
        self._rebuild_chain()
        self.built = True

    def _input_name(self):
        return (self._stack[0].name + '_input') if self._stack else None

    def _ensure_built(self, x):
        """Deferred build: the first real input gives the input shape (batch dim unknown)."""
        if self._input is not None:
            return
        first = flatten(x)[0]
        dtype = first.dtype if isinstance(first, torch.Tensor) else None
        self._input = Input(shape=tuple(first.shape[1:]), dtype=dtype, name=self._input_name())
        self._rebuild_chain()

    def call(self, *args, training=None, mask=None):
        if self._input is None:
            self._ensure_built(args[0] if len(args) == 1 else list(args))
        return super().call(*args, training=training, mask=mask)

    def _call_with_mask(self, args, kwargs, mask, need_mask):
        if self._input is None:
            self._ensure_built(args[0])
        return super()._call_with_mask(args, kwargs, mask, need_mask)

    @property
    def input_shape(self):
        if self._input is None:
            raise AttributeError('The Sequential model "%s" has no input shape yet: it is '
                                 'built on its first call.' % self.name)
        return super().input_shape

    @property
    def output_shape(self):
        if self._input is None:
            raise AttributeError('The Sequential model "%s" is not built yet.' % self.name)
        return super().output_shape

    @property
    def inputs(self):
        return [] if self._input is None else super().inputs

    @property
    def outputs(self):
        return [] if self._input is None else super().outputs


def _first_input(layer):
    """The Input a first layer declares (input_shape, input_dim, batch_input_shape...), or None.

    A first layer that merges several models (Keras 1's ``Merge([left, right])``) declares one
    Input per branch: the Sequential then takes a list of inputs."""
    several = getattr(layer, '_sequential_inputs', None)
    inputs = several() if several is not None else None
    if inputs is not None:
        return inputs
    batch_shape = getattr(layer, '_batch_input_shape', None)
    if batch_shape is not None:
        return Input(batch_shape=batch_shape, dtype=_input_dtype(layer),
                     name=layer.name + '_input')
    if isinstance(layer, Functional) and not isinstance(layer, Sequential) or \
            (isinstance(layer, Sequential) and layer._input is not None):
        # A model as first layer: take its input signature.
        inputs = layer.inputs
        if len(inputs) == 1:
            return Input(batch_shape=inputs[0].shape, dtype=inputs[0].dtype,
                         name=layer.name + '_input')
    return None


def _input_dtype(layer):
    # Embedding's first-layer input is integer ids; other layers take floatx.
    return getattr(layer, '_input_dtype', None) or layer.dtype


def _single_output(layer, output):
    if not isinstance(output, KerasTensor):
        raise ValueError('All layers in a Sequential model should have a single output '
                         'tensor. For multi-output layers, use the functional API. Layer "%s" '
                         'returned %d outputs.' % (layer.name, len(flatten(output))))
    return output
