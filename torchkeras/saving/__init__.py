"""Keras file formats, the Keras <-> torch weight layouts, and serialization
(``keras.saving`` / ``keras.models.load_model``)."""
from torchkeras.saving.api import load_model, load_weights, save_model, save_weights
from torchkeras.utils import object_registry  # its home moved below saving/; old path kept
from torchkeras.utils.object_registry import (CustomObjectScope, custom_object_scope,
                                              get_custom_objects, get_registered_name,
                                              get_registered_object,
                                              register_keras_serializable)

__all__ = ['load_model', 'save_model', 'load_weights', 'save_weights', 'CustomObjectScope',
           'custom_object_scope', 'get_custom_objects', 'get_registered_name',
           'get_registered_object', 'register_keras_serializable', 'object_registry']
