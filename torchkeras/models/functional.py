"""Functional: a Model defined by a graph of layer calls, run as one loop over its nodes.

``Functional(inputs, outputs)`` walks the graph back from the outputs (tf.keras's
``_map_graph_network``) to find the nodes, their depths and the layer order Keras reports
(``model.layers``, the summary, weight files).  Layers are registered once as submodules
under their Keras names.  ``forward`` replays the nodes from the deepest to depth 0 with a
dict of computed values; an error names the layer it happened in (torch.fx's run_node).
"""
import collections
import contextlib

import torch

from torchkeras import config
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.layers.input_layer import InputLayer
from torchkeras.legacy import warn_renamed
from torchkeras.models.model import Model
from torchkeras.utils.generic import flatten, map_structure, nest_flatten

__all__ = ['Functional', 'map_graph_network', 'module_key']


def _build_map(outputs):
    """DFS from the outputs: nodes in post-order and each layer's first-visit index."""
    finished, in_progress, ordered, layer_indices = set(), set(), [], {}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node in finished:
            return
        if node in in_progress:
            raise ValueError('The tensor %s at layer "%s" is part of a cycle.'
                             % (tensor, layer.name))
        layer_indices.setdefault(layer, len(layer_indices))
        in_progress.add(node)
        for parent in node.keras_inputs:
            visit(parent)
        finished.add(node)
        in_progress.remove(node)
        ordered.append(node)

    for output in outputs:
        visit(output)
    return ordered, layer_indices


def map_graph_network(inputs, outputs):
    """(nodes_by_depth, layers in Keras order, layers_by_depth) for a graph, as tf.keras."""
    ordered, layer_indices = _build_map(outputs)
    nodes_depths, layers_depths = {}, {}
    for node in reversed(ordered):
        depth = nodes_depths.setdefault(node, 0)
        depth = max(depth, layers_depths.get(node.layer, 0))
        layers_depths[node.layer] = depth
        nodes_depths[node] = depth
        for parent in node.parent_nodes:
            nodes_depths[parent] = max(depth + 1, nodes_depths.get(parent, 0))
    for tensor in inputs:
        layer = tensor._keras_history.layer
        if layer not in layers_depths:  # an input no output depends on
            layers_depths[layer] = 0
            layer_indices[layer] = -1
            nodes_depths[layer._inbound_nodes[0]] = 0
    nodes_by_depth = collections.defaultdict(list)
    for node, depth in nodes_depths.items():
        nodes_by_depth[depth].append(node)
    layers_by_depth = collections.defaultdict(list)
    for layer, depth in layers_depths.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda lyr: layer_indices[lyr]))
    _check_computable(inputs, nodes_by_depth)
    _check_unique_names(layers)
    return dict(nodes_by_depth), layers, dict(layers_by_depth)


def _check_computable(inputs, nodes_by_depth):
    computable = {id(t) for t in inputs}
    done = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input:
                continue
            for tensor in node.keras_inputs:
                if id(tensor) not in computable:
                    raise ValueError(
                        'Graph disconnected: cannot obtain value for tensor %s at layer "%s". '
                        'The following previous layers were accessed without issue: %s. '
                        'Add the input that produces it (layer "%s") to the model inputs.'
                        % (tensor, node.layer.name, done, _source_input(tensor)))
            computable.update(id(t) for t in node.flat_outputs)
            done.append(node.layer.name)


def _source_input(tensor):
    """The name of the InputLayer a tensor ultimately comes from (first found)."""
    node = tensor.node
    while not node.is_input:
        node = node.keras_inputs[0].node
    return node.layer.name


def _check_unique_names(layers):
    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise ValueError('The name "%s" is used %d times in the model. All layer names '
                             'should be unique.' % (name, names.count(name)))


def _standardize_io(value, argname):
    """(nested structure as given, flat list in tf.nest order: dict keys sorted)."""
    if isinstance(value, KerasTensor):
        return value, [value]
    if isinstance(value, (dict, list, tuple)):
        flat = nest_flatten(value)
    else:
        raise TypeError('Model `%s` must be KerasTensors (from Input() or layer calls), as a '
                        'single tensor, a list or a dict. Received: %s=%r'
                        % (argname, argname, value))
    for tensor in flat:
        if not isinstance(tensor, KerasTensor):
            raise TypeError('All elements of `%s` must be KerasTensors. Received: %r'
                            % (argname, tensor))
    if isinstance(value, tuple):
        value = list(value)
    return value, flat


class Functional(Model):
    """A model built from ``inputs`` and ``outputs`` KerasTensors."""

    _is_graph_network = True  # tf.keras's flag; code below models/ reads it

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        inputs, outputs = _legacy_io(inputs, outputs, kwargs)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    def _default_name(self):
        return config.unique_object_name('model')

    def _init_graph(self, inputs, outputs):
        self._nested_inputs, self._flat_inputs = _standardize_io(inputs, 'inputs')
        self._nested_outputs, self._flat_outputs = _standardize_io(outputs, 'outputs')
        for tensor in self._flat_inputs:
            if not isinstance(tensor._keras_history.layer, InputLayer):
                raise ValueError('Input tensors to a Functional model must come from '
                                 '`Input()`. Received: %r (created by layer "%s")'
                                 % (tensor, tensor._keras_history.layer.name))
        nodes_by_depth, layers, layers_by_depth = map_graph_network(self._flat_inputs,
                                                                    self._flat_outputs)
        self._nodes_by_depth = nodes_by_depth
        self._layers_by_depth = layers_by_depth
        self._network_nodes = {n for nodes in nodes_by_depth.values() for n in nodes}
        self._register_layers(layers)
        self._execution = [n for d in sorted(nodes_by_depth, reverse=True)
                           for n in nodes_by_depth[d] if not n.is_input]
        self._plan = [_plan_step(node) for node in self._execution]
        self._activity_layers = [n.layer for n in self._execution
                                 if n.layer.activity_regularizer is not None]
        self.built = True

    def _register_layers(self, layers):
        for old in list(self._modules):
            del self._modules[old]
        self._layers = list(layers)
        for layer in self._layers:
            if not isinstance(layer, InputLayer):
                self.add_module(module_key(self, layer.name), layer)

    @property
    def layers(self):
        return list(self._layers)

    def _sublayers(self):
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input_names(self):
        return [t._keras_history.layer.name for t in self._flat_inputs]

    @property
    def output_names(self):
        return [t._keras_history.layer.name for t in self._flat_outputs]

    @property
    def input(self):
        return self._nested_inputs

    @property
    def output(self):
        return self._nested_outputs

    @property
    def input_shape(self):
        return map_structure(lambda t: t.shape, self._nested_inputs)

    @property
    def output_shape(self):
        return map_structure(lambda t: t.shape, self._nested_outputs)

    def _input_keys(self):
        """How a dict of input data names the inputs, in ``inputs`` order: the keys of a
        model built on a dict of inputs (as tf.keras), else the input layers' names."""
        nested = self._nested_inputs
        if isinstance(nested, dict) and all(isinstance(t, KerasTensor) for t in nested.values()):
            return sorted(nested)
        return self.input_names

    # ----------------------------------------------------------------------- running
    def _flatten_call_inputs(self, args):
        """Positional tensors, one list, or a dict by input key -> the inputs in order."""
        if len(args) == 1 and isinstance(args[0], dict):
            given, keys = args[0], self._input_keys()
            missing = [n for n in keys if n not in given]
            if missing:
                raise KeyError('Missing data for input(s) %s. The model expects inputs %s; '
                               'received keys %s' % (missing, keys, list(given)))
            return [given[n] for n in keys]
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        if len(args) != len(self._flat_inputs):
            raise ValueError('Model "%s" expects %d input(s), but it received %d input tensors.'
                             % (self.name, len(self._flat_inputs), len(args)))
        return list(args)

    def call(self, *args, training=None, mask=None):
        outputs, _ = self._run_graph(self._flatten_call_inputs(args), mask)
        return outputs

    def forward(self, *args, **kwargs):
        # The torch module's mode (train()/eval()) decides unless the call names `training`.
        training = kwargs.pop('training', None)
        with _call_mode(self, training):
            return self.call(*args, mask=kwargs.pop('mask', None), **kwargs)

    def _run_graph(self, flat_inputs, masks=None):
        values, out_masks = {}, {}
        masks = masks if isinstance(masks, (list, tuple)) else [masks] * len(flat_inputs)
        for layer in self._activity_layers:  # each call reports only its own penalties
            layer._activity_losses = []
        for tensor, value, mask in zip(self._flat_inputs, flat_inputs, masks):
            values[id(tensor)] = _as_input(value, tensor)
            if mask is not None:
                out_masks[id(tensor)] = mask
        for step in self._plan:
            self._run_step(step, values, out_masks)
        outputs = map_structure(lambda t: values[id(t)], self._nested_outputs)
        return outputs, [out_masks.get(id(t)) for t in self._flat_outputs]

    def _run_step(self, step, values, out_masks):
        node, kind, ids, takes_mask, need_mask, out_ids, argument_masks = step
        if kind == _SINGLE:
            args, kwargs = (values[ids],), {}
        elif kind == _LIST:
            args, kwargs = ([values[i] for i in ids],), {}
        else:
            if argument_masks:
                _attach_argument_masks(node, values, out_masks)
            args, kwargs = node.resolve(values)
        mask = _input_mask(kind, ids, node, out_masks) if takes_mask else None
        try:
            outputs, out_mask = node.layer._call_with_mask(args, kwargs, mask, need_mask)
        except Exception as error:
            if hasattr(error, 'add_note'):
                error.add_note('(raised in layer "%s" of model "%s")'
                               % (node.layer.name, self.name))
            raise
        if len(out_ids) == 1 and isinstance(outputs, torch.Tensor):
            values[out_ids[0]] = outputs
            if out_mask is not None:
                out_masks[out_ids[0]] = out_mask
            return
        flat_values = flatten(outputs)
        flat_masks = flatten(out_mask) if isinstance(out_mask, (list, tuple)) else [out_mask]
        if len(flat_masks) == 1 and len(flat_values) > 1:
            flat_masks = flat_masks * len(flat_values)
        for key, value, m in zip(out_ids, flat_values, flat_masks):
            values[key] = value
            if m is not None:
                out_masks[key] = m

    def _call_with_mask(self, args, kwargs, mask, need_mask):
        # A nested model computes its outputs and their masks in one pass.
        inputs = self._flatten_call_inputs(args)
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(inputs)
        with _call_mode(self, kwargs.get('training')):
            outputs, out_masks = self._run_graph(inputs, masks)
        return outputs, (_unpack(out_masks) if need_mask else None)

    def compute_mask(self, inputs, mask=None):
        inputs = self._flatten_call_inputs((inputs,))
        _, out_masks = self._run_graph(inputs, mask)
        return _unpack(out_masks)


_SINGLE, _LIST, _GENERIC = 0, 1, 2


@contextlib.contextmanager
def _call_mode(model, training):
    """``model(x, training=True/False)`` runs that call in that mode, as in tf.keras."""
    if training is None or bool(training) == model.training:
        yield
        return
    was_training = model.training
    model.train(bool(training))
    try:
        yield
    finally:
        model.train(was_training)


def _plan_step(node):
    """What replaying a node needs, decided once: how to fetch its arguments and masks."""
    args, kwargs = node.call_args, node.call_kwargs
    if not kwargs and len(args) == 1 and isinstance(args[0], KerasTensor):
        kind, ids = _SINGLE, id(args[0])
    elif not kwargs and len(args) == 1 and isinstance(args[0], list) and \
            all(isinstance(t, KerasTensor) for t in args[0]):
        kind, ids = _LIST, [id(t) for t in args[0]]
    else:
        kind, ids = _GENERIC, None
    takes_mask = any(t._keras_mask is not None for t in flatten(args[:1])
                     if isinstance(t, KerasTensor))
    need_mask = any(t._keras_mask is not None for t in node.flat_outputs)
    # A call with several tensor arguments sees each one's mask on the tensor, as in eager
    # mode (MultiHeadAttention reads value._keras_mask); decided once, for masked inputs.
    argument_masks = kind == _GENERIC and any(t._keras_mask is not None
                                              for t in node.keras_inputs)
    return (node, kind, ids, takes_mask, need_mask, [id(t) for t in node.flat_outputs],
            argument_masks)


def _input_mask(kind, ids, node, out_masks):
    if kind == _SINGLE:
        return out_masks.get(ids)
    if kind == _LIST:
        return [out_masks.get(i) for i in ids]
    return map_structure(lambda t: out_masks.get(id(t)) if isinstance(t, KerasTensor) else None,
                         node.call_args[0])


def _attach_argument_masks(node, values, out_masks):
    """Put each symbolic argument's mask on its computed tensor, as eager tensors carry it."""
    for tensor in node.keras_inputs:
        mask = out_masks.get(id(tensor))
        if mask is not None:
            values[id(tensor)]._keras_mask = mask


def _unpack(masks):
    return masks[0] if len(masks) == 1 else masks


def _as_input(value, tensor):
    if isinstance(value, torch.Tensor):
        return value
    return torch.as_tensor(value, dtype=tensor.torch_dtype)


def module_key(model, name):
    """The submodule name of a layer: its Keras name, unless torch forbids it ('.' inside) or
    the model class already has that attribute (a layer named 'output', 'input', 'train')."""
    key = name.replace('.', '_')
    while hasattr(type(model), key):
        key += '_'
    return key


def _legacy_io(inputs, outputs, kwargs):
    """Keras 1's Model(input=..., output=...) spelling."""
    if inputs is None and 'input' in kwargs:
        warn_renamed('Model', 'input', 'inputs')
        inputs = kwargs.pop('input')
    if outputs is None and 'output' in kwargs:
        warn_renamed('Model', 'output', 'outputs')
        outputs = kwargs.pop('output')
    if inputs is None or outputs is None:
        raise ValueError('A functional Model needs `inputs` and `outputs`. Received: '
                         'inputs=%r, outputs=%r' % (inputs, outputs))
    return inputs, outputs
