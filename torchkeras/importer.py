"""Serve ``import keras`` (and ``tensorflow.keras``) from torchkeras, so an unmodified Keras
script runs: ``python -m torchkeras script.py`` or ``torchkeras.install_as_keras()``.

A finder at the front of ``sys.meta_path`` answers for

- ``keras`` and ``keras.*`` (also ``tf_keras.*``): the torchkeras module of the same path
  (``keras.layers.core`` -> ``torchkeras.layers.core``; a few Keras-internal paths old scripts
  import, such as ``keras.engine.topology``, have an entry in ``_PATH_ALIASES``);
- ``tensorflow``: a stub module whose only content is ``keras`` (so ``import tensorflow as tf``
  then ``tf.keras.layers.Dense`` works); any other TensorFlow name raises an error that names
  it, as does importing any ``tensorflow.*`` module other than ``tensorflow.keras``.

The served module *is* the torchkeras module (``sys.modules['keras.layers'] is
torchkeras.layers``), so classes and isinstance checks are shared.  ``uninstall()`` removes the
finder and the aliases it added.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

__all__ = ['install', 'uninstall', 'is_installed', 'KerasAliasFinder', 'TensorFlowStub',
           'TensorFlowNotServed']

# Keras paths whose torchkeras module has another name.
_PATH_ALIASES = {
    'engine': 'layers',  # keras.engine.{topology,base_layer}: Layer, InputSpec, Input
    'engine.topology': 'layers',
    'engine.base_layer': 'layers',
    'engine.input_layer': 'layers',
    'engine.training': 'models',
    'engine.sequential': 'models',
    'engine.functional': 'models',
    'legacy.layers': 'layers.legacy',  # Keras 2.0-2.2's home of the Keras 1 layer classes
}
# What `import keras` makes reachable as attributes in Keras (keras/__init__.py imports them).
_KERAS_SUBMODULES = ('activations', 'backend', 'callbacks', 'constraints', 'datasets',
                     'initializers', 'layers', 'losses', 'metrics', 'models', 'optimizers',
                     'preprocessing', 'regularizers', 'utils')
_KERAS_ROOTS = ('keras', 'tf_keras')
# The stub passes a version string: scripts print it; it names the Keras API served.
_TF_STUB_VERSION = '2.21.0+torchkeras'


class TensorFlowNotServed(ImportError):
    """A TensorFlow module outside ``tf.keras`` was imported under torchkeras."""


def _not_served_message(name):
    return ('torchkeras serves only the Keras API of TensorFlow; `%s` is not available. Use its '
            'torch or numpy counterpart, or a Keras API (tf.keras.*, keras.backend.*).' % name)


def _not_served(name):
    return TensorFlowNotServed(_not_served_message(name), name=name)


class TensorFlowStub(types.ModuleType):
    """``tensorflow`` with ``keras`` only: ``tf.keras`` is torchkeras; other names raise."""

    def __init__(self, keras_module):
        super().__init__('tensorflow', 'Stub installed by torchkeras: only tf.keras is served.')
        self.keras = keras_module
        self.__version__ = _TF_STUB_VERSION
        self.__path__ = []  # a package, so `import tensorflow.keras.layers` resolves

    def __getattr__(self, name):
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(name)
        raise AttributeError(_not_served_message('tf.' + name))


def _torchkeras_name(fullname):
    """The torchkeras module serving a Keras module path, or None if it is not a Keras path."""
    for root in _KERAS_ROOTS + ('tensorflow.keras',):
        if fullname == root:
            return 'torchkeras'
        if fullname.startswith(root + '.'):
            rest = fullname[len(root) + 1:]
            return 'torchkeras.' + _PATH_ALIASES.get(rest, rest)
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands back an existing module object (a torchkeras module or the TensorFlow stub)."""

    def __init__(self, module_factory):
        self._module_factory = module_factory

    def create_module(self, spec):
        return self._module_factory()

    def exec_module(self, module):
        """The module is already executed (it is the torchkeras module itself)."""


def _import_keras_root():
    module = importlib.import_module('torchkeras')
    for name in _KERAS_SUBMODULES:  # `import keras; keras.optimizers.SGD` works in Keras
        importlib.import_module('torchkeras.' + name)
    return module


class KerasAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``keras.*``/``tensorflow.keras.*`` as torchkeras modules, ``tensorflow`` as a stub."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'tensorflow':
            return importlib.machinery.ModuleSpec(
                fullname, _AliasLoader(lambda: TensorFlowStub(_import_keras_root())),
                is_package=True)
        target_name = _torchkeras_name(fullname)
        if target_name is None:
            if fullname.startswith('tensorflow.'):
                raise _not_served(fullname)
            return None
        module = _import_target(fullname, target_name)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(lambda: module),
                                              is_package=hasattr(module, '__path__'))


def _import_target(fullname, target_name):
    """The torchkeras module for a Keras path; a clear error when torchkeras has none."""
    if target_name == 'torchkeras':
        return _import_keras_root()
    try:
        return importlib.import_module(target_name)
    except ModuleNotFoundError as error:
        if error.name is not None and target_name.startswith(error.name):
            raise ModuleNotFoundError('No module named %r: torchkeras has no module %r for this '
                                      'Keras path.' % (fullname, target_name),
                                      name=fullname) from None
        raise


_FINDER = None


def _is_served(fullname):
    return fullname == 'tensorflow' or _torchkeras_name(fullname) is not None


def install():
    """Serve ``keras``, ``keras.*``, ``tensorflow.keras.*`` and a ``tensorflow`` stub from
    torchkeras for the rest of this process (until :func:`uninstall`)."""
    global _FINDER
    if _FINDER is not None:
        return
    real = sorted(name for name in sys.modules if _is_served(name) and
                  not getattr(sys.modules[name], '__name__', '').startswith('torchkeras') and
                  not isinstance(sys.modules[name], TensorFlowStub))
    if real:
        raise RuntimeError('install_as_keras(): %s is already imported from another package; '
                           'call install_as_keras() before importing Keras or TensorFlow.'
                           % ', '.join(real[:3]))
    _FINDER = KerasAliasFinder()
    sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Remove the finder and the ``keras``/``tensorflow`` entries it put in ``sys.modules``."""
    global _FINDER
    if _FINDER is None:
        return
    sys.meta_path.remove(_FINDER)
    _FINDER = None
    for name in [n for n in sys.modules if _is_served(n)]:
        module = sys.modules[name]
        if isinstance(module, TensorFlowStub) or \
                getattr(module, '__name__', '').startswith('torchkeras'):
            del sys.modules[name]


def is_installed():
    return _FINDER is not None
