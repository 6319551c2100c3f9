"""Model and layer configs: get_config / from_config / to_json, as tf.keras 2 writes them.

Writing follows tf_keras 2.21 (the ``model_config`` of a legacy ``.h5`` file, ``to_json``):

    Functional: {'name', 'trainable', 'layers': [{'class_name', 'config', 'name',
                 'inbound_nodes': [[[layer, node, tensor, {kwargs}], ...], ...]}, ...],
                 'input_layers': [[layer, node, tensor], ...], 'output_layers': [...]}
    Sequential: {'name', 'layers': [InputLayer entry, layer entries...]}

Reading accepts every spelling real Keras wrote: Keras 1 node lists without kwargs, the
Keras 2.0-2.1 Sequential config as a bare list, class names 'Model' / 'Functional', and
Keras 3 configs (``module`` / ``registered_name`` / ``build_config`` entries, inbound nodes
as ``{'args': [...], 'kwargs': {...}}`` with ``__keras_tensor__`` dicts, DTypePolicy dtypes).

Node indices: a nested Functional/Sequential model that has its own Input owns a node
(input -> output) that Keras 2 counts, so Keras 2 configs number its calls from 1; Keras 3
numbers them from 0.  torchkeras models own no such node, so both are mapped on reading.

A Lambda layer whose config carries Python bytecode is refused unless ``safe_mode=False``:
loading never runs code from a file by default.
"""
import base64
import binascii
import contextlib
import inspect
import json
import marshal
import sys
import threading
import types
import warnings

import numpy as np
import torch

from torchkeras import activations, constraints, initializers, regularizers
from torchkeras import losses, metrics, optimizers
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.utils import object_registry
from torchkeras.utils.generic import flatten
from torchkeras.utils.generic import map_structure

__all__ = [
    'serialize_layer', 'deserialize_layer', 'layer_class', 'model_config', 'model_from_config',
    'model_from_config_dict', 'model_to_json', 'model_from_json',
    'normalize_layer_config', 'json_default', 'json_decode', 'safe_mode_scope',
    'node_index_map', 'is_nested_model', 'is_builtin', 'builtin_class',
    'serialize_compile_value', 'compile_settings',
    'compile_args_from_config', 'compile_from_config',
]

# The format written is tf_keras 2.21's.  'tensorflow' tells every Keras reader (standalone
# Keras 2.0 too, which fails on unknown names) that conv kernels are cross-correlation
# kernels, which is what torch uses too: no kernel flipping on load.
KERAS_VERSION = '2.21.0'
BACKEND_NAME = 'tensorflow'

# Keys older or newer Keras versions wrote into layer configs that change nothing here.
# They are dropped only when the layer's constructor does not name them.
_HARMLESS_KEYS = frozenset([
    'time_major', 'implementation', 'optional', 'zero_output_for_mask', 'quantization_config',
    'lora_rank', 'lora_alpha', 'lora_enabled', 'autocast', 'input_dtype', 'use_cudnn',
    'synchronized', 'seed', 'shared_object_id', 'build_config', 'compile_config',
    'gradient_checkpointing',
])

_STATE = threading.local()


# ------------------------------------------------------------------------------ safe mode
def _current_safe_mode():
    return getattr(_STATE, 'safe_mode', True)


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    """Within the block, deserialization refuses (True) or allows (False) Lambda bytecode."""
    previous = _current_safe_mode()
    _STATE.safe_mode = bool(safe_mode)
    try:
        yield
    finally:
        _STATE.safe_mode = previous


# --------------------------------------------------------------------------------- JSON
def json_default(obj):
    """``json.dumps(default=...)`` for what configs hold: numpy values, shapes, dtypes."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, torch.Size):
        return list(obj)
    if isinstance(obj, (torch.dtype, np.dtype)):
        return str(obj).replace('torch.', '')
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if hasattr(obj, 'get_config'):
        return {'class_name': type(obj).__name__, 'config': obj.get_config()}
    if callable(obj) and hasattr(obj, '__name__'):
        return obj.__name__
    raise TypeError('Not JSON serializable: %r (type %s). Layer configs must hold plain '
                    'values (numbers, strings, lists, dicts).' % (obj, type(obj).__name__))


def _decode_hook(obj):
    # tf.keras writes tuples and TensorShapes as tagged dicts in some configs.
    if obj.get('class_name') == '__tuple__' and 'items' in obj:
        return tuple(obj['items'])
    if obj.get('class_name') == 'TensorShape' and 'items' in obj:
        return tuple(obj['items'])
    if obj.get('class_name') == '__ellipsis__':
        return Ellipsis
    return obj


def json_decode(text):
    """Parse a JSON config string (bytes accepted) as tf.keras's json_utils.decode does."""
    if isinstance(text, (bytes, bytearray, np.bytes_)):
        text = bytes(text).decode('utf-8')
    return json.loads(text, object_hook=_decode_hook)


# ------------------------------------------------------------------------ class lookup
def builtin_class(class_name):
    """The torchkeras class Keras calls ``class_name`` (models, layers, Keras 1 names): the
    layers and models packages register their classes by name (saving/ imports neither)."""
    return object_registry.builtin_object(class_name)


def is_builtin(value, class_name):
    """``isinstance`` (or, for a class, ``issubclass``) against a registered built-in class."""
    cls = object_registry.builtin_object(class_name)
    if cls is None:
        return False
    return issubclass(value, cls) if inspect.isclass(value) else isinstance(value, cls)


def layer_class(class_name, custom_objects=None, registered_name=None):
    """The class a config names: custom objects first (as Keras), then torchkeras's own."""
    for name in (registered_name, class_name):
        if name:
            found = object_registry.get_registered_object(name, custom_objects)
            if found is not None:
                return found
    found = builtin_class(class_name)
    if found is not None:
        return found
    raise ValueError(
        "Unknown layer: '%s'. Please ensure you are using a `keras.utils.custom_object_scope` "
        'and that this object is included in the scope (or pass it in `custom_objects`, or '
        'register it with `@keras.saving.register_keras_serializable()`). torchkeras.layers '
        'has no layer of that name either.' % (registered_name or class_name,))


# ----------------------------------------------------------------------- layer configs
def _dtype_name(dtype):
    """A dtype from any Keras spelling: 'float32', Keras 3 DTypePolicy or tf.keras Policy."""
    if isinstance(dtype, dict):
        inner = dtype.get('config') or {}
        dtype = inner.get('name', 'float32')
    if isinstance(dtype, str) and dtype.startswith('mixed_'):
        return 'float32'  # mixed precision keeps float32 variables
    return dtype


def _accepted_names(cls):
    """Argument names cls's constructor takes, following ``**kwargs`` up the class chain."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names.update(p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            break
    return names | set(getattr(cls, 'BASE_KWARGS', ()))


def normalize_layer_config(cls, config):
    """A copy of ``config`` the torchkeras class accepts: dtype names, harmless keys dropped."""
    config = {key: _normalize_nested(_revive_setting(key, value))
              for key, value in config.items()}
    if 'dtype' in config:
        config['dtype'] = _dtype_name(config['dtype'])
    accepted = _accepted_names(cls)
    for key in list(config):
        if key in _HARMLESS_KEYS and key not in accepted:
            del config[key]
    return config


_SETTING_MODULES = (('_initializer', initializers), ('_regularizer', regularizers),
                    ('_constraint', constraints))


def _custom_setting(value):
    """A user's own activation/initializer/... named in a config, from custom objects."""
    found = object_registry.get_registered_object(value)
    if found is None:
        return value
    return found() if inspect.isclass(found) else found


def _revive_setting(key, value):
    """An initializer/regularizer/constraint given as a config dict, as an object: layers
    keep what they are given, and an object serializes back the way Keras writes it.
    Names of the user's own functions (custom objects) become those functions."""
    settings = ('activation',) + tuple(suffix for suffix, _ in _SETTING_MODULES)
    if isinstance(value, str) and key.endswith(settings):
        return _custom_setting(value)
    if not isinstance(value, dict) or 'class_name' not in value:
        return value
    for suffix, module in _SETTING_MODULES:
        if key.endswith(suffix):
            try:
                return module.deserialize(
                    value, custom_objects=object_registry.active_custom_objects())
            except (ValueError, TypeError):
                return value  # the layer reports what it cannot use
    return value


def _normalize_nested(value):
    """Layer configs nested in a config (a wrapper's 'layer', an RNN's 'cell', 'cells'),
    normalized too, so each layer's own from_config reads Keras 3 files as well."""
    if isinstance(value, list):
        return [_normalize_nested(v) for v in value]
    if not (isinstance(value, dict) and 'class_name' in value and 'config' in value):
        return value
    cls = builtin_class(value['class_name'])
    if cls is None or not isinstance(value['config'], dict):
        return value
    if is_builtin(cls, 'Model'):
        return value
    return dict(value, config=normalize_layer_config(cls, value['config']))


def serialize_layer(layer):
    """``{'class_name', 'config'}`` of a layer as tf.keras 2 writes it."""
    config = layer.get_config()
    if is_builtin(layer, 'Lambda'):
        config = _lambda_config(layer, config)
    class_name = object_registry.get_registered_name(type(layer))
    return {'class_name': class_name, 'config': config}


def deserialize_layer(config, custom_objects=None, safe_mode=None):
    """A new layer (or model) from ``{'class_name', 'config'}`` in any Keras's format."""
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("A layer config must be a dict with 'class_name' and 'config'. "
                         'Received: config=%r' % (config,))
    scope = safe_mode_scope(safe_mode) if safe_mode is not None else contextlib.nullcontext()
    with scope, object_registry.CustomObjectScope(custom_objects or {}):
        cls = layer_class(config['class_name'], custom_objects, config.get('registered_name'))
        inner = config.get('config') or {}
        if is_builtin(cls, 'Lambda'):
            layer = _lambda_from_config(cls, inner, custom_objects)
        elif is_builtin(cls, 'Model'):
            layer = _model_from_config(cls, inner, custom_objects)
        else:
            layer = _plain_layer_from_config(cls, inner, custom_objects)
        _apply_build_config(layer, config.get('build_config'))
        return layer


def _plain_layer_from_config(cls, config, custom_objects):
    if not hasattr(cls, 'from_config'):
        raise TypeError('Cannot deserialize %r: it has no from_config().' % (cls,))
    config = normalize_layer_config(cls, config) if inspect.isclass(cls) else dict(config)
    params = inspect.signature(cls.from_config).parameters
    if 'custom_objects' in params:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def _model_from_config(cls, config, custom_objects):
    params = inspect.signature(cls.from_config).parameters
    if 'custom_objects' in params:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def _apply_build_config(layer, build_config):
    """Keras 3's build_config: build a layer no call will build (e.g. a lone Sequential)."""
    if not build_config or getattr(layer, 'built', True):
        return
    shape = build_config.get('input_shape')
    if shape is None:
        return
    try:
        if is_builtin(layer, 'Model') and not is_builtin(layer, 'Functional'):
            _call_on_zeros(layer, _to_shape(shape))  # a subclassed model builds by running
        else:
            layer._maybe_build(_to_shape(shape))
    except Exception as error:  # noqa: BLE001 - the graph will build it on the first call
        warnings.warn('Could not build layer %r from its build_config (%s); it will be built '
                      'on its first call.' % (getattr(layer, 'name', layer), error))


def _call_on_zeros(model, shape):
    """Run a subclassed model once on zeros of ``shape`` (unknown dims 1) to create weights."""
    def zeros(s):
        return torch.zeros(tuple(1 if d is None else int(d) for d in s))
    inputs = [zeros(s) for s in shape] if isinstance(shape, list) else [zeros(shape)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        model.train(was_training)


def _to_shape(shape):
    if isinstance(shape, (list, tuple)) and shape and all(
            isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape)


# ------------------------------------------------------------------------------ Lambda
def _func_dump(function):
    """tf.keras's func_dump: (base64 marshal of the code, defaults, closure values)."""
    code = base64.b64encode(marshal.dumps(function.__code__)).decode('ascii')
    closure = None
    if function.__closure__:
        closure = tuple(cell.cell_contents for cell in function.__closure__)
    return code, function.__defaults__, closure


def _lambda_config(layer, config):
    """tf.keras 2's Lambda config: bytecode for a lambda, the name for a named function."""
    function = layer.function
    config = dict(config)
    is_named = getattr(function, '__name__', '<lambda>') != '<lambda>'
    if is_named:
        config.update(function=function.__name__, function_type='function')
    else:
        config.update(function=list(_func_dump(function)), function_type='lambda')
    config['module'] = getattr(function, '__module__', None)
    config.setdefault('output_shape_type', 'raw')
    config.setdefault('output_shape_module', None)
    return config


def _lambda_from_config(cls, config, custom_objects):
    config = normalize_layer_config(cls, config)
    function_config = config.pop('function', None)
    function_type = config.pop('function_type', 'function')
    module = config.pop('module', None)
    output_shape = config.pop('output_shape', None)
    output_shape_type = config.pop('output_shape_type', 'raw')
    config.pop('output_shape_module', None)
    function = _resolve_function(function_config, function_type, module, custom_objects,
                                 config.get('name'))
    if output_shape_type != 'raw' or isinstance(output_shape, dict):
        output_shape = None  # a function: torchkeras infers output shapes itself
    config.pop('mask', None)
    return cls(function, output_shape=output_shape, **config)


def _is_bytecode(function_config, function_type):
    if isinstance(function_config, dict):
        return function_config.get('class_name') == '__lambda__'
    return function_type == 'lambda' or isinstance(function_config, (list, tuple))


def _resolve_function(function_config, function_type, module, custom_objects, layer_name):
    if _is_bytecode(function_config, function_type):
        if _current_safe_mode():
            raise ValueError(
                "Refusing to deserialize the Lambda layer '%s': its config holds Python "
                'bytecode, and loading it would run code from the file. If you trust the '
                'file, pass `safe_mode=False` to `load_model` (or use '
                '`torchkeras.saving.serialization.safe_mode_scope(False)`).' % (layer_name,))
        return _func_load(function_config, module, custom_objects)
    return _named_function(function_config, module, custom_objects, layer_name)


def _named_function(name, module, custom_objects, layer_name):
    """A function found by name: custom/registered objects, K.*, activations, or (only with
    safe_mode=False) the module the config names, if it is already imported."""
    if isinstance(name, dict):
        name = name.get('config') if isinstance(name.get('config'), str) else name.get('class_name')
    found = object_registry.get_registered_object(name, custom_objects)
    if found is None:
        found = (getattr(_LAMBDA_NAMESPACE.get('K'), name, None)
                 or getattr(activations, name, None))
    if found is None and not _current_safe_mode() and module in sys.modules:
        found = getattr(sys.modules[module], name, None)
    if not callable(found):
        raise ValueError("Unknown function '%s' for Lambda layer '%s': pass it in "
                         '`custom_objects` (module %s).' % (name, layer_name, module))
    return found


def _func_load(function_config, module, custom_objects):
    """Decode tf.keras's (or Keras 3's) marshalled lambda; only with safe_mode=False."""
    if isinstance(function_config, dict):  # Keras 3: {'class_name': '__lambda__', 'config'}
        inner = function_config.get('config') or {}
        code, defaults, closure = inner.get('code'), inner.get('defaults'), inner.get('closure')
    else:
        code, defaults, closure = (list(function_config) + [None, None])[:3]
    try:
        raw = base64.b64decode(code.encode('ascii'))
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode('raw_unicode_escape')
    try:
        code_object = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as error:
        raise ValueError('Cannot decode the Lambda function: its bytecode was written by another '
                         'Python version (%s). Rebuild the Lambda in code and load the weights '
                         'instead.' % (error,)) from error
    namespace = _lambda_globals(module, custom_objects)
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    return types.FunctionType(code_object, namespace, code_object.co_name,
                              tuple(defaults) if defaults else None, cells)


# The globals a Lambda function loaded from bytecode sees, besides its own module's.  The
# user-facing names (``K``, ``backend``, ``keras``) are handed down by torchkeras/__init__.py
# through provide_lambda_namespace(): saving/ stands below them and never imports them.
_LAMBDA_NAMESPACE = {'np': np, 'numpy': np, 'torch': torch}


def provide_lambda_namespace(**names):
    """Add names (``K=torchkeras.backend``, ...) to what loaded Lambda functions can see."""
    _LAMBDA_NAMESPACE.update(names)


def _lambda_globals(module, custom_objects):
    namespace = dict(_LAMBDA_NAMESPACE)
    if module in sys.modules:
        namespace.update(vars(sys.modules[module]))
    namespace.update(object_registry.active_custom_objects(custom_objects))
    return namespace


# ------------------------------------------------------------------------ model configs
def is_nested_model(layer):
    """A Functional/Sequential model that owns an Input (Keras counts an extra node for it)."""
    if is_builtin(layer, 'Sequential'):
        return layer._input is not None
    return is_builtin(layer, 'Functional')


def node_index_map(model, first_call_index):
    """{(id(layer), torch node index): index in the saved config} for the model's nodes.

    ``first_call_index(layer)`` gives where a layer's numbering starts (1 for nested models
    in Keras 2 configs, 0 otherwise).
    """
    mapping = {}
    for layer in model.layers:
        kept = first_call_index(layer)
        for index, node in enumerate(layer._inbound_nodes):
            if node in model._network_nodes:
                mapping[(id(layer), index)] = 0 if node.is_input else kept
                if not node.is_input:
                    kept += 1
    return mapping


def _keras2_first_index(layer):
    return 1 if is_nested_model(layer) else 0


def model_config(model):
    """The model's config in tf.keras 2's format (what ``model.get_config()`` returns)."""
    if is_builtin(model, 'Sequential'):
        return _sequential_config(model)
    if is_builtin(model, 'Functional'):
        return _functional_config(model)
    raise NotImplementedError(
        'Model "%s" is a subclassed model (%s): its config is not known. Implement '
        '`get_config()` (and `from_config()`) in the subclass, or use save_weights().'
        % (model.name, type(model).__name__))


def _input_layer_entry(layer):
    config = layer.get_config()
    config = {'batch_input_shape': list(config['batch_input_shape']), 'dtype': config['dtype'],
              'sparse': config.get('sparse', False), 'ragged': config.get('ragged', False),
              'name': config['name'], 'optional': False}
    return {'class_name': 'InputLayer', 'config': config}


def _sequential_config(model):
    layers = []
    if model._input is not None:
        layers.append(_input_layer_entry(model._input._keras_history.layer))
    layers.extend(serialize_layer(layer) for layer in model.layers)
    return {'name': model.name, 'layers': layers}


def _functional_config(model):
    mapping = node_index_map(model, _keras2_first_index)
    entries = []
    for layer in model.layers:
        entry = (_input_layer_entry(layer) if is_builtin(layer, 'InputLayer')
                 else serialize_layer(layer))
        entry['name'] = layer.name
        entry['inbound_nodes'] = [_keras2_node_data(node, mapping)
                                  for node in layer._inbound_nodes
                                  if node in model._network_nodes and not node.is_input]
        entries.append(entry)
    return {'name': model.name, 'trainable': model.trainable, 'layers': entries,
            'input_layers': _io_config(model._nested_inputs, model.inputs, mapping),
            'output_layers': _io_config(model._nested_outputs, model.outputs, mapping)}


def _io_config(nested, flat, mapping):
    """A dict of inputs/outputs stays a dict of refs, as tf.keras writes it; else a list."""
    if isinstance(nested, dict):
        return map_structure(lambda t: _tensor_ref(t, mapping), nested)
    return [_tensor_ref(t, mapping) for t in flat]


def _tensor_ref(tensor, mapping):
    layer, node_index, tensor_index = tensor._keras_history
    return [layer.name, mapping.get((id(layer), node_index), 0), tensor_index]


def _call_kwargs(node):
    """Every call argument after the first, by name (tf.keras turns them all into kwargs)."""
    kwargs = {}
    extra = node.call_args[1:]
    if extra:
        params = [p for p in inspect.signature(node.layer.call).parameters.values()
                  if p.name != 'self'][1:]
        kwargs.update({p.name: value for p, value in zip(params, extra)})
    kwargs.update(node.call_kwargs)
    return kwargs


def _keras2_node_data(node, mapping):

    def ref(value):
        if isinstance(value, KerasTensor):
            return _tensor_ref(value, mapping)
        return value.tolist() if isinstance(value, (np.ndarray, torch.Tensor)) else value
    kwargs = map_structure(ref, _call_kwargs(node))
    first = node.call_args[0] if node.call_args else []

    def entry(value):
        if isinstance(value, KerasTensor):
            return _tensor_ref(value, mapping) + [kwargs]
        return ['_CONSTANT_VALUE', -1, ref(value), kwargs]
    data = [entry(t) for t in first] if isinstance(first, (list, tuple)) else [entry(first)]
    return data


def model_to_json(model, **kwargs):
    """tf.keras 2's ``to_json``: {'class_name', 'config', 'keras_version', 'backend'}."""
    payload = {'class_name': _model_class_name(model), 'config': model_config(model),
               'keras_version': KERAS_VERSION, 'backend': BACKEND_NAME}
    return json.dumps(payload, default=json_default, **kwargs)


def _model_class_name(model):
    """'Sequential' / 'Functional' for those classes, else the registered name."""
    return object_registry.get_registered_name(type(model))


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new model from the JSON of ``to_json()`` (any Keras version's)."""
    return model_from_config(json_decode(json_string), custom_objects=custom_objects,
                             safe_mode=safe_mode)


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A new model (or layer) from ``{'class_name', 'config'}``."""
    if isinstance(config, list):
        raise TypeError('`model_from_config` expects a dictionary, not a list. Received: '
                        'config=%r... Did you meant to use `Sequential.from_config(config)`?'
                        % (str(config)[:80],))
    return deserialize_layer(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_config_dict(cls, config, custom_objects=None):
    """``cls.from_config(config)`` for Model classes (Functional, Sequential, Model)."""
    with object_registry.CustomObjectScope(custom_objects or {}):
        if is_builtin(cls, 'Sequential') or isinstance(config, list):
            sequential = cls if is_builtin(cls, 'Sequential') else builtin_class('Sequential')
            return _sequential_from_config(sequential, config, custom_objects)
        if isinstance(config, dict) and 'layers' in config and 'input_layers' in config:
            functional = cls if is_builtin(cls, 'Functional') else builtin_class('Functional')
            return reconstruct_functional(config, custom_objects, functional_cls=functional)
    try:
        return cls(**config)
    except TypeError as error:
        raise TypeError('Unable to revive model %s from its config: %s. A subclassed model must '
                        'implement `get_config()` and `from_config()`.'
                        % (cls.__name__, error)) from error


def _sequential_from_config(cls, config, custom_objects):
    if isinstance(config, list):  # Keras 2.0-2.1: a bare list of layer configs
        name, layer_configs, build_shape = None, config, None
    else:
        name, layer_configs = config.get('name'), config['layers']
        build_shape = config.get('build_input_shape')
    model = cls(name=name)
    for layer_config in layer_configs:
        model.add(deserialize_layer(layer_config, custom_objects))
    if model._input is None and isinstance(build_shape, (list, tuple)):
        model.build(tuple(build_shape))
    return model


# ------------------------------------------------------------- functional reconstruction
def _is_keras3_tensor(value):
    return isinstance(value, dict) and value.get('class_name') == '__keras_tensor__'


def _is_ref(value):
    """A Keras 1/2 tensor reference: [layer_name, node_index, tensor_index(, kwargs)]."""
    return (isinstance(value, (list, tuple)) and len(value) in (3, 4)
            and isinstance(value[0], str) and isinstance(value[1], int)
            and (len(value) == 3 or isinstance(value[3], dict)))


class _Pending(Exception):
    """A node refers to a layer call not made yet; retry it after the others."""


class _Reconstruction:
    """Rebuilds a Functional graph by calling each layer on its inbound tensors, in the
    order the config lists the nodes, deferring a node until its inputs exist (tf.keras's
    ``reconstruct_from_config``)."""

    def __init__(self, config, custom_objects, created_layers=None):
        self.config = config
        self.custom_objects = custom_objects
        self.layers = dict(created_layers or {})
        self.node_map = {}      # (layer name, config node index) -> torch node index
        self.node_count = {}    # layer name -> next config node index
        self.operations = {}    # Keras 3 op entries (e.g. the mask's 'not_equal') -> class

    def run(self):
        pending = []
        for entry in self.config['layers']:
            if _is_keras3_operation(entry):
                self.operations[entry.get('name')] = entry.get('class_name')
                continue
            name, layer = self._layer_for(entry)
            self.node_count[name] = self._first_index(layer, entry)
            pending.extend((name, layer, node) for node in entry.get('inbound_nodes') or [])
        while pending:
            remaining = [item for item in pending if not self._try_node(*item)]
            if len(remaining) == len(pending):
                names = sorted({name for name, _, _ in remaining})
                raise ValueError('Invalid model config: the inbound nodes of layers %s refer to '
                                 'layer calls that do not exist.' % (names,))
            pending = remaining
        return self.layers

    def _layer_for(self, entry):
        """(the name the config uses, the layer): reused if given, else deserialized."""
        name = entry.get('name') or (entry.get('config') or {}).get('name')
        if name not in self.layers:
            self.layers[name] = deserialize_layer(entry, self.custom_objects)
        return name, self.layers[name]

    @staticmethod
    def _first_index(layer, entry):
        nodes = entry.get('inbound_nodes') or []
        keras3 = bool(nodes) and isinstance(nodes[0], dict)
        return 0 if keras3 else _keras2_first_index(layer)

    def tensor(self, layer_name, node_index, tensor_index):
        if layer_name in self.operations:
            raise ValueError("The model config feeds the output of the Keras 3 operation '%s' "
                             "(%s) into a layer; torchkeras rebuilds layers, not Keras ops. "
                             'Wrap that computation in a layer.'
                             % (layer_name, self.operations[layer_name]))
        if layer_name not in self.layers:
            raise ValueError("Invalid model config: unknown layer '%s'." % (layer_name,))
        layer = self.layers[layer_name]
        is_input = is_builtin(layer, 'InputLayer')
        index = 0 if is_input else self.node_map.get((layer_name, node_index))
        if index is None:
            raise _Pending()
        return flatten(layer._inbound_nodes[index].outputs)[tensor_index]

    def _try_node(self, name, layer, node_data):
        try:
            args, kwargs = (_keras3_call(self, node_data) if isinstance(node_data, dict)
                            else _keras2_call(self, node_data))
        except _Pending:
            return False
        outputs = layer(*args, **kwargs)
        torch_index = flatten(outputs)[0]._keras_history.node_index
        self.node_map[(name, self.node_count[name])] = torch_index
        self.node_count[name] += 1
        return True


def _is_keras3_operation(entry):
    """A Keras 3 op in a Functional config (module keras.src.ops.*), not a layer."""
    module = str(entry.get('module') or '')
    return module.startswith(('keras.src.ops', 'keras.ops'))


def _keras2_call(rebuild, node_data):
    """(args, kwargs) of a Keras 1/2 node: a structure of [layer, node, tensor, kwargs]."""
    refs = []

    def collect(value):
        if _is_ref(value):
            refs.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
    collect(node_data)
    if not refs:
        raise ValueError('Improperly formatted model config: node %r' % (node_data,))
    kwargs = _resolve_refs(rebuild, refs[-1][3] if len(refs[-1]) == 4 else {})
    tensors = [_ref_value(rebuild, ref) for ref in refs]
    return [tensors[0] if len(tensors) == 1 else tensors], kwargs


def _ref_value(rebuild, ref):
    if ref[0] == '_CONSTANT_VALUE':
        return ref[2]
    return rebuild.tensor(ref[0], ref[1], ref[2])


def _resolve_refs(rebuild, value):
    """Keras tensors inside call kwargs (``initial_state=[[name, node, tensor]]``)."""
    if _is_keras3_tensor(value):
        history = value['config']['keras_history']
        return rebuild.tensor(*history)
    if isinstance(value, dict):
        return {k: _resolve_refs(rebuild, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int) \
                and isinstance(value[2], int):
            return rebuild.tensor(*value)
        return [_resolve_refs(rebuild, v) for v in value]
    return value


def _keras3_call(rebuild, node_data):
    """(args, kwargs) of a Keras 3 node ``{'args': [...], 'kwargs': {...}}``."""
    def resolve(value):
        if _is_keras3_tensor(value):
            return rebuild.tensor(*value['config']['keras_history'])
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [resolve(v) for v in value]
        return value
    args = [resolve(a) for a in node_data.get('args', [])]
    kwargs = {}
    for key, value in (node_data.get('kwargs') or {}).items():
        if key == 'mask' and _is_keras3_tensor(value) and \
                value['config']['keras_history'][0] not in rebuild.layers:
            # Keras 3 records the mask as the output of an op (e.g. 'not_equal') that is no
            # layer of the model; torchkeras propagates that same mask by itself.
            continue
        kwargs[key] = resolve(value)
    return args, kwargs


def _io_tensors(rebuild, spec):
    """Model inputs/outputs from input_layers/output_layers (list, single ref or dict)."""
    if isinstance(spec, dict):
        return {k: _io_tensors(rebuild, v) for k, v in spec.items()}
    if _is_ref(spec) or _is_keras3_tensor(spec):
        return _ref_or_tensor(rebuild, spec)
    tensors = [_io_tensors(rebuild, item) for item in spec]
    return tensors[0] if len(tensors) == 1 else tensors


def _ref_or_tensor(rebuild, spec):
    if _is_keras3_tensor(spec):
        return rebuild.tensor(*spec['config']['keras_history'])
    return rebuild.tensor(spec[0], spec[1], spec[2])


def reconstruct_functional(config, custom_objects=None, created_layers=None,
                           functional_cls=None):
    """A Functional model from its config; ``created_layers`` (name -> layer) are reused."""
    rebuild = _Reconstruction(config, custom_objects, created_layers)
    rebuild.run()
    inputs = _io_tensors(rebuild, config['input_layers'])
    outputs = _io_tensors(rebuild, config['output_layers'])
    cls = functional_cls or builtin_class('Functional')
    model = cls(inputs=inputs, outputs=outputs, name=config.get('name'))
    if config.get('trainable') is False:
        model.trainable = False
    return model


# ------------------------------------------------------------------------ compile state
def serialize_compile_value(value):
    """A loss/metric/optimizer setting as JSON-able data: names stay names."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {k: serialize_compile_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [serialize_compile_value(v) for v in value]
    if hasattr(value, 'get_config'):
        return {'class_name': object_registry.get_registered_name(type(value)),
                'config': value.get_config()}
    return getattr(value, '__name__', str(value))


def compile_settings(model):
    """The arguments the model was compiled with (optimizer, loss, metrics, ...), or None."""
    getter = getattr(model, 'get_compile_config', None)
    if callable(getter):
        try:
            settings = getter()
        except Exception:  # noqa: BLE001 - an uncompiled model has nothing to save
            settings = None
        if settings:
            return dict(settings)
    settings = getattr(model, '_compile_config', None)
    if isinstance(settings, dict):
        return dict(settings)
    if isinstance(getattr(settings, 'raw', None), dict):  # the trainer's CompileConfig
        return dict(settings.raw, optimizer=getattr(settings, 'optimizer', model.optimizer))
    if getattr(model, 'optimizer', None) is None:
        return None
    return {'optimizer': model.optimizer, 'loss': getattr(model, 'loss', None)}


def _deserialize_compile_value(value, deserialize, custom_objects=None):
    if isinstance(value, str):
        found = object_registry.get_registered_object(value, custom_objects)
        if found is not None:
            return found() if inspect.isclass(found) else found
        return value
    if isinstance(value, dict) and 'class_name' in value:
        return deserialize(value)
    if isinstance(value, dict):
        return {k: _deserialize_compile_value(v, deserialize, custom_objects)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_deserialize_compile_value(v, deserialize, custom_objects) for v in value]
    return value


def compile_args_from_config(config, custom_objects=None):
    """``model.compile`` arguments from a Keras 2 training_config or Keras 3 compile_config."""
    optimizer = config.get('optimizer_config', config.get('optimizer'))
    if isinstance(optimizer, dict):
        optimizer = optimizers.deserialize(optimizer, custom_objects=custom_objects)
    args = {'optimizer': optimizer}
    if config.get('loss') is not None:
        args['loss'] = _deserialize_compile_value(
            config['loss'], lambda c: losses.deserialize(c, custom_objects=custom_objects),
            custom_objects)
    for key in ('metrics', 'weighted_metrics'):
        if config.get(key) is not None:
            args[key] = _deserialize_compile_value(
                config[key], lambda c: metrics.deserialize(c, custom_objects=custom_objects),
                custom_objects)
    if config.get('loss_weights') is not None:
        args['loss_weights'] = config['loss_weights']
    # a .keras compile_config's execution settings (Keras 3: resolved values; tf_keras: None)
    for key in ('run_eagerly', 'steps_per_execution', 'jit_compile'):
        if config.get(key) is not None:
            args[key] = config[key]
    if args.get('run_eagerly') and args.get('jit_compile'):
        args['jit_compile'] = False  # as Keras 3's compile does (it warns and disables it)
    return args


def compile_from_config(model, config, custom_objects=None):
    """Compile a loaded model as it was saved; warn (do not fail) if that is impossible."""
    if not config:
        return
    try:
        args = compile_args_from_config(config, custom_objects)
        model.compile(**args)
    except ImportError as error:
        warnings.warn('The model was saved compiled but could not be compiled now (%s); '
                      'call `model.compile(...)` yourself.' % (error,))
    except (ValueError, TypeError) as error:
        warnings.warn('Could not restore the compile settings saved with the model (%s); '
                      'the model was *not* compiled. Compile it manually.' % (error,))
