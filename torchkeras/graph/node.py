"""Node: one call of a layer on symbolic inputs.

Calling a layer on KerasTensors records a Node: which layer, the call's arguments (with
KerasTensors in place of values) and the KerasTensors it produced.  The Node wires itself
into the graph when created (``layer._inbound_nodes``, each output's ``_keras_history``),
so nothing is traced later.  A Functional model replays its nodes in depth order.
"""
import collections

from torchkeras.ops.dispatch import is_symbolic
from torchkeras.utils.generic import flatten, map_structure

__all__ = ['Node', 'KerasHistory']

# Where a KerasTensor came from: the operation, the index of its call (node) and the output.
KerasHistory = collections.namedtuple('KerasHistory', ['layer', 'node_index', 'tensor_index'])


class Node:
    """A layer called on symbolic arguments ``call_args``/``call_kwargs``, giving ``outputs``."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = dict(call_kwargs or {})
        self.outputs = outputs
        self.is_input = not self.call_args and not self.call_kwargs
        # Every KerasTensor among the arguments is an input of this node (initial_state too).
        self.keras_inputs = [x for x in flatten((self.call_args, self.call_kwargs))
                             if is_symbolic(x)]
        self.flat_outputs = [x for x in flatten(outputs) if is_symbolic(x)]
        self.node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for tensor_index, tensor in enumerate(self.flat_outputs):
            tensor._keras_history = KerasHistory(layer, self.node_index, tensor_index)
        for tensor in self.keras_inputs:
            tensor._keras_history.layer._outbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [t.node for t in self.keras_inputs]

    @property
    def inbound_layers(self):
        return [t._keras_history.layer for t in self.keras_inputs]

    def iterate_inbound(self):
        """(layer, node_index, tensor_index, tensor) for each symbolic input, in call order."""
        for tensor in self.keras_inputs:
            layer, node_index, tensor_index = tensor._keras_history
            yield layer, node_index, tensor_index, tensor

    @property
    def input_tensors(self):
        """The first positional argument: the layer's ``inputs``."""
        return self.call_args[0] if self.call_args else None

    @property
    def input_shapes(self):
        return map_structure(lambda t: t.shape if is_symbolic(t) else None,
                             self.input_tensors)

    @property
    def output_shapes(self):
        return map_structure(lambda t: t.shape, self.outputs)

    def resolve(self, values):
        """The call's args and kwargs with every KerasTensor replaced by its computed value."""
        def get(x):
            return values[id(x)] if is_symbolic(x) else x
        return map_structure(get, self.call_args), map_structure(get, self.call_kwargs)

    def __repr__(self):
        return '<Node %s[%d]>' % (self.layer.name, self.node_index)
