"""Optimizer lookup and (de)serialization: ``get``, ``serialize``, ``deserialize``.

Which class a config dict becomes follows tf_keras 2.21 ``optimizers/__init__.py``: a config
flagged ``is_legacy_optimizer`` (or without the flag but non-empty, as Keras 2 and TF <= 2.10
wrote them) gets the legacy class; Keras 3 dicts (they carry a ``module``) and the flag set to
False get the current class.  Class names are case-insensitive.
"""
import inspect

import torch

from torchkeras.optimizers import legacy
from torchkeras.optimizers import optimizer
from torchkeras.optimizers.loss_scale import LossScaleOptimizer
from torchkeras.optimizers.optimizer import serialize

__all__ = ['get', 'serialize', 'deserialize']

_CLASSES = {cls.__name__.lower(): cls for cls in (
    optimizer.Adadelta, optimizer.Adagrad, optimizer.Adam, optimizer.AdamW, optimizer.Adamax,
    optimizer.Ftrl, optimizer.Nadam, optimizer.RMSprop, optimizer.SGD)}
_LEGACY_CLASSES = {cls.__name__.lower(): cls for cls in (
    legacy.Adadelta, legacy.Adagrad, legacy.Adam, legacy.Adamax, legacy.Ftrl, legacy.Nadam,
    legacy.RMSprop, legacy.SGD)}


def _wants_legacy_class(config, use_legacy_optimizer):
    inner = config.get('config') or {}
    if 'legacy' in str(config.get('module') or ''):
        return True
    if 'is_legacy_optimizer' in inner:
        return bool(inner['is_legacy_optimizer'])
    if inner and 'module' not in config:
        return True  # a Keras 2 / TF <= 2.10 config: tf_keras rebuilds it as a legacy optimizer
    return use_legacy_optimizer


def _lookup(config, custom_objects, use_legacy_optimizer):
    class_name = config['class_name']
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    # tf_keras 2.13+ writes its own optimizers as registered names such as 'Custom>Adam'
    # (and Keras 3 may write 'keras.optimizers>Adam'): the part after '>' is the class.
    key = str(class_name).rsplit('>', 1)[-1].lower()
    if key == 'lossscaleoptimizer':  # tf.keras writes it under mixed_float16
        return LossScaleOptimizer
    if _wants_legacy_class(config, use_legacy_optimizer) and key in _LEGACY_CLASSES:
        return _LEGACY_CLASSES[key]
    if key in _CLASSES:
        return _CLASSES[key]
    raise ValueError('Unknown optimizer: %r. Expected one of %s (any capitalization) or a class '
                     'passed in `custom_objects`. Received: class_name=%r'
                     % (class_name, ', '.join(sorted(_CLASSES)), class_name))


def deserialize(config, custom_objects=None, use_legacy_optimizer=False, **kwargs):
    """Inverse of ``serialize``; also reads Keras 1/2 ``{'class_name', 'config'}`` dicts."""
    kwargs.pop('use_legacy_format', None)
    if kwargs:
        raise TypeError('Invalid keyword arguments: %r' % (kwargs,))
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("An optimizer config must be a dict with 'class_name' and 'config'. "
                         "Received: config=%r" % (config,))
    cls = _lookup(config, custom_objects, use_legacy_optimizer)
    inner = dict(config.get('config') or {})
    if cls is LossScaleOptimizer and isinstance(inner.get('inner_optimizer'), dict):
        inner['inner_optimizer'] = deserialize(inner['inner_optimizer'], custom_objects)
    if 'custom_objects' in inspect.signature(cls.from_config).parameters:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def get(identifier, **kwargs):
    """An optimizer from a name ('adam', 'RMSprop', ...), a config dict, an instance (returned
    as is), or a ``torch.optim.Optimizer`` instance or class (wrapped in ``TorchOptimizer``)."""
    use_legacy_optimizer = kwargs.pop('use_legacy_optimizer', False)
    if kwargs:
        raise TypeError('Invalid keyword arguments: %r' % (kwargs,))
    if isinstance(identifier, (optimizer.Optimizer, LossScaleOptimizer)):
        return identifier
    if isinstance(identifier, torch.optim.Optimizer) or (
            isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer)):
        return optimizer.TorchOptimizer(identifier)
    if isinstance(identifier, type) and issubclass(identifier, optimizer.Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier, use_legacy_optimizer=use_legacy_optimizer)
    if isinstance(identifier, str):
        table = _LEGACY_CLASSES if use_legacy_optimizer else _CLASSES
        if identifier.lower() in table:
            return table[identifier.lower()]()
    raise ValueError('Could not interpret optimizer identifier: %r. Expected an optimizer name '
                     '(one of %s, any capitalization), a config dict, an Optimizer instance, or '
                     'a torch.optim.Optimizer instance or class. Received: identifier=%r'
                     % (identifier, ', '.join(repr(n) for n in sorted(_CLASSES)), identifier))
