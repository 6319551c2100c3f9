"""Where classes and functions are found when a config names them.

A saved model names its layers, losses and other objects by class name.  The built-in
layer and model classes are registered here by their packages (``torchkeras.layers`` and
``torchkeras.models`` hand their public classes to :func:`register_builtins` when they are
imported), so ``torchkeras.saving``, which stands below both, finds them by name without
importing them.  A user's own ones are found, in this order, in the
``custom_objects`` passed to the loading function, in an active ``custom_object_scope``,
and in the objects registered with ``@register_keras_serializable``, under the name
``'Package>ClassName'`` that Keras 2.13+ and Keras 3 write as ``registered_name``.
"""
import inspect
import threading

__all__ = ['register_keras_serializable', 'get_registered_object', 'get_registered_name',
           'get_custom_objects', 'active_custom_objects', 'CustomObjectScope',
           'custom_object_scope', 'register_builtins', 'builtin_object']

# 'Package>Name' -> object, filled by @register_keras_serializable (and get_custom_objects()).
_GLOBAL_CUSTOM_OBJECTS = {}
# object -> 'Package>Name', so serialization can write the registered name.
_GLOBAL_CUSTOM_NAMES = {}
_SCOPES = threading.local()
# Keras class name (Keras 1 aliases included) -> torchkeras's built-in layer or model class.
_BUILTIN_OBJECTS = {}


def _scope_stack():
    if not hasattr(_SCOPES, 'stack'):
        _SCOPES.stack = []
    return _SCOPES.stack


def get_custom_objects():
    """The global dict of registered objects; adding to it registers an object by that name."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package='Custom', name=None):
    """Decorator: register a class or function so a saved config can name it.

    ``@register_keras_serializable(package='my_pkg')`` on ``class MyLayer`` registers it as
    ``'my_pkg>MyLayer'``.  A class must define ``get_config``.
    """
    if not isinstance(package, str) or '>' in package:
        raise ValueError("`package` must be a string without '>'. Received: package=%r"
                         % (package,))

    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered_name = package + '>' + class_name
        if inspect.isclass(arg) and not hasattr(arg, 'get_config'):
            raise ValueError('Cannot register a class that does not have a get_config() '
                             'method. Received: %s' % (arg.__name__,))
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg
    return decorator


def get_registered_name(obj):
    """``'Package>Name'`` for a registered object, else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, '__name__', None)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called ``name``: custom_objects, then active scopes, then registered ones,
    then ``module_objects``; None when it is nowhere."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    for scope in reversed(_scope_stack()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def active_custom_objects(custom_objects=None):
    """One dict of every custom object visible now (scopes, registered, then the argument)."""
    merged = dict(_GLOBAL_CUSTOM_OBJECTS)
    for scope in _scope_stack():
        merged.update(scope)
    merged.update(custom_objects or {})
    return merged


class CustomObjectScope:
    """``with CustomObjectScope({'MyLayer': MyLayer}):`` makes the names visible to loading."""

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if not isinstance(objects, dict):
                raise TypeError('CustomObjectScope expects dicts of name -> object. '
                                'Received: %r' % (objects,))
            self.custom_objects.update(objects)

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def register_builtins(objects):
    """Make torchkeras's own classes findable by name: ``{'Dense': Dense, ...}``.

    Called once by each package that defines serializable classes above ``saving/``."""
    _BUILTIN_OBJECTS.update(objects)


def builtin_object(name):
    """The built-in class a config calls ``name`` (models, layers, Keras 1 names), or None."""
    return _BUILTIN_OBJECTS.get(name)
