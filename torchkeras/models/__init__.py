"""Model classes and model-level functions (``keras.models``)."""
from torchkeras.layers.input_layer import Input
from torchkeras.models.cloning import clone_model
from torchkeras.models.functional import Functional
from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential
from torchkeras.saving import api
from torchkeras.saving import serialization
from torchkeras.utils.object_registry import register_builtins as _register_builtins

__all__ = ['Model', 'Sequential', 'Functional', 'Input', 'load_model', 'save_model',
           'model_from_json', 'model_from_config', 'clone_model']

# tf.keras 2 writes a functional model as 'Functional' (older files: 'Model').
_register_builtins({'Functional': Functional, 'Model': Model, 'Sequential': Sequential})


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """Load a model saved by Keras or torchkeras (.keras zip or legacy .h5)."""
    return api.load_model(filepath, custom_objects=custom_objects, compile=compile,
                          safe_mode=safe_mode, **kwargs)


def save_model(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    return model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer, **kwargs)


def model_from_json(json_string, custom_objects=None):
    return serialization.model_from_json(json_string, custom_objects=custom_objects)


def model_from_config(config, custom_objects=None):
    return serialization.model_from_config(config, custom_objects=custom_objects)
