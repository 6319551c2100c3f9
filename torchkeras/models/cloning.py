"""``keras.models.clone_model``: the same architecture with new layers (fresh weights).

Each layer is cloned by ``clone_function`` (by default through its config, as Keras does);
a Functional graph is then rebuilt from the model's config on the cloned layers.
"""
from torchkeras.layers.input_layer import InputLayer
from torchkeras.models.functional import Functional
from torchkeras.models.sequential import Sequential
from torchkeras.saving.serialization import (deserialize_layer, model_config,
                                             reconstruct_functional, serialize_layer)

__all__ = ['clone_model']


def _default_clone(layer):
    return deserialize_layer(serialize_layer(layer))


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and new layers (fresh weights), as Keras."""
    clone_function = clone_function or _default_clone
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function)
    raise ValueError('Expected `model` argument to be a functional `Model` instance or a '
                     '`Sequential` model, but got a subclassed model instead: %r' % (model,))


def _clone_sequential(model, input_tensors, clone_function):
    layers = [clone_function(layer) for layer in model.layers]
    clone = Sequential(name=model.name)
    if input_tensors is not None:
        tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != 1:
            raise ValueError('To clone a Sequential model, pass a single input tensor. '
                             'Received: %d tensors' % len(tensors))
        clone.add(tensors[0])
    elif model._input is not None:
        original = model._input._keras_history.layer
        clone.add(InputLayer.from_config(original.get_config()))
    for layer in layers:
        clone.add(layer)
    return clone


def _clone_functional(model, input_tensors, clone_function):
    created = {}
    if input_tensors is not None:
        tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != len(model.inputs):
            raise ValueError('`input_tensors` must hold one tensor per model input (%d). '
                             'Received: %d' % (len(model.inputs), len(tensors)))
        for original, tensor in zip(model.inputs, tensors):
            layer = tensor._keras_history.layer
            if not isinstance(layer, InputLayer):
                raise ValueError('`input_tensors` must come from `Input()`. Received: %r'
                                 % (tensor,))
            created[original._keras_history.layer.name] = layer
    for layer in model.layers:
        if layer.name in created:
            continue
        if isinstance(layer, InputLayer):
            created[layer.name] = InputLayer.from_config(layer.get_config())
        else:
            created[layer.name] = clone_function(layer)
    return reconstruct_functional(model_config(model), created_layers=created,
                                  functional_cls=type(model))
