"""Keras 3 files: ``x.weights.h5`` and the ``.keras`` zip archive.

Weights (Keras 3 ``saving_lib``): one group per layer, found by *structure*, not by name:

    /vars                          @name=<model name>   (the model's own variables)
    /layers/<key>/vars/<i>         @name=<layer name>   key = snake_case(class) + counter
    /layers/lstm/cell/vars/<i>     an RNN's weights belong to its cell
    /layers/bidirectional/forward_layer/cell/vars/<i>, .../backward_layer/...
    /layers/time_distributed/layer/...                 the wrapped layer (a model: layers/...)

Variables are numbered "0", "1", ... in the layer's order (trainable first).  Keys count
per class in container order: layers 'hidden' and 'out' (both Dense) are 'dense', 'dense_1'.

The ``.keras`` archive holds ``config.json`` (Keras 3 config: module / class_name / config /
registered_name / build_config / compile_config; inbound nodes as ``{'args', 'kwargs'}``
with ``__keras_tensor__`` dicts; dtypes as DTypePolicy objects), ``metadata.json`` and
``model.weights.h5`` (the layout above).  Readers return checked (weight, value) pairs;
``saving.api`` assigns them, all or none.

A compiled model's optimizer is saved beside the layers, as Keras 3 saves it:

    /optimizer/vars/<i>            @name=<optimizer name>
        Keras 3:   iteration (int64), learning_rate (float32; none with a schedule), the slots,
                   extras (Nadam: u_product)
        tf_keras:  iteration, the slots (no learning rate, no extras); its SGD at momentum=0
                   keeps an unused 'm' per weight (``optimizer_state.h5_layout``), ignored

The slots follow the model's trainable Keras weights, in Keras layout (a Dense kernel's
momentum is (in, out)); most optimizers interleave them per weight (Adam: m0 v0 m1 v1 ...),
RMSprop makes one pass per kind (velocities, momentums, average gradients) and AMSGrad adds
its velocity_hat pass after m, v.  The optimizer's ``keras_variable_layout`` gives the order.
An unbuilt optimizer is saved as its scalars only.  Archives are written in the Keras 3
layout (their config.json is Keras 3's, which only Keras 3 reads); both layouts are read.
An optimizer group that fits neither is skipped with Keras's warning.
"""
import datetime
import io
import json
import re
import warnings
import zipfile

import h5py
import numpy as np

from torchkeras import optimizers
from torchkeras.config import __version__
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.saving import hdf5, optimizer_state, serialization
from torchkeras.saving.optimizer_state import optimizer_arrays
from torchkeras.utils import object_registry
from torchkeras.utils.generic import map_structure

__all__ = ['KERAS3_VERSION', 'to_snake_case', 'weight_entries', 'is_keras3_weights',
           'save_weights_to_h5', 'weight_pairs_from_h5', 'keras3_config', 'save_archive',
           'read_archive', 'weight_pairs_from_archive', 'model_from_archive',
           'keras3_layer_config', 'optimizer_arrays', 'save_optimizer_to_h5',
           'optimizer_values_from_h5', 'restore_optimizer']

# The Keras 3 release whose file layout is written (the reference kit's).
KERAS3_VERSION = '3.15.1'
_CONFIG = 'config.json'
_METADATA = 'metadata.json'
_WEIGHTS = 'model.weights.h5'
_RNN_CLASSES = frozenset(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM1D', 'ConvLSTM2D',
                          'ConvLSTM3D', 'CuDNNLSTM', 'CuDNNGRU'])
_KERAS2_ONLY_KEYS = ('batch_input_shape', 'time_major', 'implementation')
# Variables Keras 3 keeps that are state, not weights (random seeds): never compared.
_IGNORED_PATH_PARTS = ('seed_generator',)
# Top-level groups that are not layers: the optimizer, and tf_keras's compiled-metric totals.
_NON_LAYER_GROUPS = ('optimizer', 'metrics')
_OPTIMIZER_VARS = 'optimizer/vars'
# Keys tf_keras optimizer configs carry that Keras 3 rejects ("Argument(s) not recognized").
_TF_KERAS_ONLY_OPTIMIZER_KEYS = ('jit_compile', 'is_legacy_optimizer')


def to_snake_case(name):
    """Keras 3's naming.to_snake_case: 'MaxPooling2D' -> 'max_pooling2d'."""
    name = re.sub(r'\W+', '', name)
    name = re.sub('(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub('([a-z])([A-Z])', r'\1_\2', name).lower()


def _join(path, part):
    return part if not path else path + '/' + part


# ------------------------------------------------------------------ structure of a model
class _Entry:
    """One ``<path>/vars`` group: the layer it belongs to and its variables, in order."""

    def __init__(self, path, layer, weights, name):
        self.path = path
        self.layer = layer
        self.weights = weights
        self.name = name

    @property
    def vars_path(self):
        return _join(self.path, 'vars')


def _own_variables(layer):
    own = list(getattr(layer, '_own_weights', []))
    return [w for w in own if w._trainable] + [w for w in own if not w._trainable]


def _is_layer(value):
    return serialization.is_builtin(value, 'Layer')


def _is_cellless_rnn(layer):
    return type(layer).__name__ in _RNN_CLASSES and not _is_layer(getattr(layer, 'cell', None))


def _attribute_order(name):
    """Keras 3 visits attributes in sorted order, private ones ('_x') last."""
    return '~' + name if name.startswith('_') else name


def _children(layer):
    """(attribute, child layer or list of layers) in Keras 3's walk order."""
    if serialization.is_builtin(layer, 'Functional'):
        return [('layers', list(layer.layers))]
    for attrs in (('backward_layer', 'forward_layer'), ('cell',), ('layer',)):
        found = [(a, getattr(layer, a, None)) for a in attrs]
        found = [(a, child) for a, child in found if _is_layer(child)]
        if found:
            return found
    children = []
    for attr, module in sorted(layer._modules.items(), key=lambda item: _attribute_order(item[0])):
        if _is_layer(module):
            children.append((attr, module))
        elif module is not None and all(_is_layer(m) for m in module.children()) and \
                len(list(module.children())):
            children.append((attr, list(module.children())))
    return children


def _visit(layer, path, entries, visited):
    if id(layer) in visited:
        return
    visited.add(id(layer))
    own = _own_variables(layer)
    if _is_cellless_rnn(layer):
        entries.append(_Entry(path, layer, [], layer.name))
        cell_name = to_snake_case(type(layer).__name__) + '_cell'
        entries.append(_Entry(_join(path, 'cell'), layer, own, cell_name))
    else:
        entries.append(_Entry(path, layer, own, layer.name))
    for attr, child in _children(layer):
        if isinstance(child, list):
            _visit_container(child, _join(path, attr), entries, visited)
        else:
            _visit(child, _join(path, attr), entries, visited)


def _visit_container(layers, path, entries, visited):
    used = {}
    for layer in layers:
        if not _is_layer(layer):
            continue
        key = to_snake_case(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = '%s_%d' % (key, used[key])
        else:
            used[key] = 0
        _visit(layer, _join(path, key), entries, visited)


def weight_entries(model):
    """Every ``vars`` group of the model's Keras 3 weights file, in Keras 3's order."""
    entries = []
    _visit(model, '', entries, set())
    return entries


# ----------------------------------------------------------------------- weights files
def is_keras3_weights(h5file):
    return 'layers' in h5file or ('vars' in h5file and 'layer_names' not in h5file.attrs)


def save_weights_to_h5(h5file, model):
    """Write the model's weights into an open h5py.File in Keras 3's layout."""
    for entry in weight_entries(model):
        group = h5file.require_group(entry.vars_path)
        group.attrs['name'] = entry.name
        for index, weight in enumerate(entry.weights):
            group.create_dataset(str(index), data=weight.numpy())


def _variable_order(key):
    """Datasets '0', '1', ..., '10' in numeric order (anything else after them)."""
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)


def _vars_groups(h5file):
    """{path of a 'vars' group: its datasets in numeric order} for the whole file."""
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.split('/')[-1] == 'vars':
            keys = sorted(obj.keys(), key=_variable_order)
            found[name] = [obj[k] for k in keys if isinstance(obj[k], h5py.Dataset)]
    h5file.visititems(visit)
    return found


def _read(datasets, entry, filepath):
    values = []
    for dataset in datasets:
        try:
            values.append(np.asarray(dataset))
        except (OSError, KeyError, RuntimeError) as error:
            raise ValueError("Cannot read '%s' from '%s' (layer '%s'): the file is truncated or "
                             'corrupted (%s).' % (dataset.name, filepath, entry.layer.name,
                                                  error)) from error
    return values


def weight_pairs_from_h5(h5file, model, filepath, skip_mismatch=False):
    """Read and check every array of a Keras 3 weights file; [(weight, value)] to assign."""
    groups = _vars_groups(h5file)
    pairs = []
    for entry in weight_entries(model):
        values = _read(groups.get(entry.vars_path, []), entry, filepath)
        try:
            pairs += hdf5.check_pairs(entry.weights, values, filepath, entry.layer,
                                      entry.vars_path, where='at')
        except ValueError as error:
            if not skip_mismatch:
                raise
            warnings.warn('Skipping loading weights for layer %s: %s' % (entry.layer.name, error))
    _check_no_extra_weights(groups, model, filepath)
    return pairs


def _check_no_extra_weights(groups, model, filepath):
    known = {entry.vars_path for entry in weight_entries(model)}
    extra = sorted(path for path, datasets in groups.items()
                   if datasets and path not in known
                   and path.split('/')[0] not in _NON_LAYER_GROUPS
                   and not any(part in path for part in _IGNORED_PATH_PARTS))
    if extra:
        raise ValueError("The weights file '%s' holds weights at %s, which model '%s' has no "
                         'layer for: the file was saved from a different model.'
                         % (filepath, extra, model.name))


# ---------------------------------------------------------------------------- configs
def _dtype_policy(dtype):
    return {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': dtype},
            'registered_name': None}


def _input_layer_config(config):
    shape = config.get('batch_input_shape', config.get('batch_shape'))
    return {'batch_shape': list(shape), 'dtype': serialization._dtype_name(config['dtype']),
            'sparse': config.get('sparse', False), 'ragged': config.get('ragged', False),
            'name': config['name'], 'optional': False}


def keras3_layer_config(class_name, config):
    """A tf.keras 2 style layer config turned into what Keras 3 writes and accepts."""
    if class_name == 'InputLayer':
        return _input_layer_config(config)
    config = {k: _keras3_nested(v) for k, v in config.items() if k not in _KERAS2_ONLY_KEYS}
    if isinstance(config.get('dtype'), str):
        config['dtype'] = _dtype_policy(config['dtype'])
    if class_name == 'Lambda':
        config = _keras3_lambda(config)
    axis = config.get('axis')
    if class_name == 'BatchNormalization' and isinstance(axis, (list, tuple)) and len(axis) == 1:
        config['axis'] = axis[0]  # Keras 3's BatchNormalization takes an int axis only
    return config


def _keras3_nested(value):
    """Nested layer configs (wrappers, cells) in Keras 3's object form."""
    if isinstance(value, dict) and 'class_name' in value and 'config' in value \
            and 'module' not in value and serialization.builtin_class(value['class_name']):
        return {'module': 'keras.layers', 'class_name': value['class_name'],
                'config': keras3_layer_config(value['class_name'], value['config']),
                'registered_name': None}
    return value


def _keras3_lambda(config):
    function = config.get('function')
    if config.get('function_type') == 'lambda' and isinstance(function, (list, tuple)):
        code, defaults, closure = (list(function) + [None, None])[:3]
        config['function'] = {'class_name': '__lambda__', 'config': {
            'code': code, 'defaults': defaults, 'closure': closure}}
    elif isinstance(function, str):
        config['function'] = {'module': config.get('module'), 'class_name': 'function',
                              'config': function, 'registered_name': function}
    for key in ('function_type', 'module', 'output_shape_type', 'output_shape_module'):
        config.pop(key, None)
    return config


def _class_identity(layer):
    """(module, class_name, registered_name) as Keras 3 writes them."""
    cls = type(layer)
    if cls is serialization.builtin_class('Sequential'):
        return 'keras', 'Sequential', None
    if cls is serialization.builtin_class('Functional'):
        return 'keras.src.models.functional', 'Functional', 'Functional'
    registered = object_registry._GLOBAL_CUSTOM_NAMES.get(cls)
    if registered is not None:
        return cls.__module__, cls.__name__, registered
    return 'keras.layers', cls.__name__, None


def _build_config(layer):
    if serialization.is_builtin(layer, 'Sequential'):
        shape = None if layer._input is None else layer._input.shape
        return {'input_shape': _plain(shape)}
    if _is_model(layer):
        return {'input_shape': None}  # Keras 3 builds a Functional from its config alone
    shape = getattr(layer, '_build_input_shape', None)
    if shape is None:
        return None
    return {'input_shape': _plain(shape)}


def _plain(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_plain(s) for s in shape]
    return None if shape is None else list(shape)


def _entry(layer):
    module, class_name, registered = _class_identity(layer)
    if _is_model(layer):
        config = _model_config(layer)
    else:
        tk2 = serialization.serialize_layer(layer)
        config = keras3_layer_config(class_name, tk2['config'])
    entry = {'module': module, 'class_name': class_name, 'config': config,
             'registered_name': registered}
    build = _build_config(layer)
    if build is not None:
        entry['build_config'] = build
    if _is_model(layer):
        entry['compile_config'] = {}
    return entry


def _is_model(layer):
    return serialization.is_builtin(layer, 'Functional')


def _model_config(model):
    if serialization.is_builtin(model, 'Sequential'):
        return _sequential_config(model)
    return _functional_config(model)


def _input_entry(layer):
    return {'module': 'keras.layers', 'class_name': 'InputLayer',
            'config': _input_layer_config(layer.get_config()), 'registered_name': None}


def _sequential_config(model):
    layers = []
    if model._input is not None:
        layers.append(_input_entry(model._input._keras_history.layer))
    layers.extend(_entry(layer) for layer in model.layers)
    config = {'name': model.name, 'trainable': model.trainable,
              'dtype': _dtype_policy(model.dtype), 'layers': layers}
    if model._input is not None:
        config['build_input_shape'] = list(model._input.shape)
    return config


def _functional_config(model):
    mapping = serialization.node_index_map(model, lambda layer: 0)
    entries = []
    for layer in model.layers:
        entry = (_input_entry(layer) if serialization.is_builtin(layer, 'InputLayer')
                 else _entry(layer))
        entry['name'] = layer.name
        entry['inbound_nodes'] = [_node_config(node, mapping) for node in layer._inbound_nodes
                                  if node in model._network_nodes and not node.is_input]
        entries.append(entry)
    return {'name': model.name, 'trainable': model.trainable, 'layers': entries,
            'input_layers': _io_refs(model._nested_inputs, mapping),
            'output_layers': _io_refs(model._nested_outputs, mapping)}


def _io_refs(structure, mapping):
    return map_structure(lambda t: serialization._tensor_ref(t, mapping), structure)


def _node_config(node, mapping):

    def tensor(value):
        if not isinstance(value, KerasTensor):
            return value.tolist() if hasattr(value, 'tolist') else value
        return {'class_name': '__keras_tensor__', 'config': {
            'shape': list(value.shape), 'dtype': value.dtype,
            'keras_history': serialization._tensor_ref(value, mapping)}}
    args = [map_structure(tensor, a) for a in node.call_args]
    kwargs = {k: map_structure(tensor, v) for k, v in node.call_kwargs.items()}
    return {'args': args, 'kwargs': kwargs}


def _compile_config(model):
    settings = serialization.compile_settings(model)
    if not settings:
        return None
    optimizer = settings.get('optimizer')
    if optimizer is not None and not isinstance(optimizer, (str, dict)):
        optimizer = optimizers.serialize(optimizer)
    config = {'optimizer': _keras3_optimizer_config(optimizer)}
    for key in ('loss', 'loss_weights', 'metrics', 'weighted_metrics'):
        config[key] = serialization.serialize_compile_value(settings.get(key))
    config.update(_execution_settings(model))
    return config


def _execution_settings(model):
    """run_eagerly, steps_per_execution and jit_compile as Keras 3 writes them (resolved:
    booleans and a count; ``run_eagerly`` turns ``jit_compile`` off there)."""
    run_eagerly = bool(getattr(model, 'run_eagerly', False))
    steps = getattr(model, 'steps_per_execution', None)
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0 else 1
    jit_compile = bool(getattr(model, 'jit_compile', None)) and not run_eagerly
    return {'run_eagerly': run_eagerly, 'steps_per_execution': steps, 'jit_compile': jit_compile}


def _keras3_optimizer_config(optimizer):
    """A torchkeras (tf_keras-style) optimizer config without the keys Keras 3 rejects."""
    if not isinstance(optimizer, dict) or 'legacy' in str(optimizer.get('module') or ''):
        return optimizer
    inner = {k: v for k, v in (optimizer.get('config') or {}).items()
             if k not in _TF_KERAS_ONLY_OPTIMIZER_KEYS}
    return dict(optimizer, config=inner)


def keras3_config(model):
    """The model's ``config.json`` object, as Keras 3 writes it."""
    entry = _entry(model)
    entry['compile_config'] = _compile_config(model) or {}
    return entry


# ------------------------------------------------------------------------- optimizer
def save_optimizer_to_h5(h5file, model):
    """Write ``optimizer/vars/<i>`` for a compiled model; warn (and skip) if impossible."""
    optimizer = getattr(model, 'optimizer', None)
    if optimizer is None or not hasattr(optimizer, 'keras_variable_layout'):
        return
    try:
        arrays = optimizer_arrays(model)
    except (NotImplementedError, KeyError, RuntimeError, ValueError) as error:
        warnings.warn('The optimizer state was not saved, so a model loaded from this file '
                      'starts with a fresh optimizer. Reason: %s' % (error,))
        return
    group = h5file.require_group(_OPTIMIZER_VARS)
    group.attrs['name'] = str(getattr(optimizer, 'name', type(optimizer).__name__))
    for index, array in enumerate(arrays):
        group.create_dataset(str(index), data=array)


def optimizer_values_from_h5(h5file):
    """The arrays of ``optimizer/vars`` in numeric order; None when the file has none."""
    group = h5file.get(_OPTIMIZER_VARS)
    if not isinstance(group, h5py.Group):
        return None
    keys = sorted(group.keys(), key=_variable_order)
    return [np.asarray(group[k]) for k in keys if isinstance(group[k], h5py.Dataset)]


def _matching_layout(optimizer, weights, values):
    """The layout ``values`` were saved in: Keras 3, tf_keras, or either one unbuilt.

    Returns (layout, None) or (None, the reason for Keras's skip warning)."""
    candidates = [optimizer.keras_variable_layout(weights),
                  optimizer.keras_variable_layout(weights, tf_keras=True),
                  optimizer.keras_variable_layout(None),
                  optimizer.keras_variable_layout(None, tf_keras=True)]
    if not optimizer_state.is_legacy(optimizer):
        # tf_keras's own variables, as a .h5 holds them: its SGD at momentum=0 adds unused 'm's
        candidates.insert(2, optimizer_state.h5_layout(optimizer, weights))
    shape_reasons = []
    for layout in candidates:
        mismatch = optimizer_state.layout_mismatch(layout, values)
        if mismatch is None:
            return layout, None
        if mismatch != 'count':
            shape_reasons.append(mismatch)
    if shape_reasons:
        return None, shape_reasons[0]
    return None, ('because it has %d variables whereas the saved optimizer has %d variables'
                  % (len(candidates[0]), len(values)))


def restore_optimizer(model, values, filepath):
    """Put a ``.keras`` file's optimizer variables into the compiled model's optimizer.

    Never raises: variables that do not fit (count or shape) are skipped with Keras's
    warning, and the model keeps its freshly built optimizer."""
    optimizer = getattr(model, 'optimizer', None)
    if not values or optimizer is None or not hasattr(optimizer, 'keras_variable_layout'):
        return
    name = getattr(optimizer, 'name', type(optimizer).__name__)
    try:
        optimizer.build(list(model.parameters()))  # as the trainer builds it
        layout, reason = _matching_layout(optimizer, model.trainable_weights, values)
        if layout is not None:
            optimizer_state.assign_optimizer(optimizer, layout, values)
            return
    except Exception as error:  # noqa: BLE001 - the weights are loaded; the optimizer is extra
        reason = 'because its variables could not be restored (%s)' % (error,)
    warnings.warn("Skipping variable loading for optimizer '%s' from '%s', %s. The model starts "
                  'with a freshly initialized optimizer.' % (name, filepath, reason),
                  stacklevel=3)


# ---------------------------------------------------------------------------- archive
def _weights_bytes(model, include_optimizer=True):
    buffer = io.BytesIO()
    with h5py.File(buffer, 'w') as h5file:
        save_weights_to_h5(h5file, model)
        if include_optimizer:
            save_optimizer_to_h5(h5file, model)
    return buffer.getvalue()


def save_archive(model, fileobj, include_optimizer=True):
    """Write the ``.keras`` zip (config, metadata, weights) into a binary file object."""
    config = json.dumps(keras3_config(model), default=serialization.json_default)
    metadata = json.dumps({'keras_version': KERAS3_VERSION, 'torchkeras_version': __version__,
                           'date_saved': datetime.datetime.now().strftime('%Y-%m-%d@%H:%M:%S')})
    with zipfile.ZipFile(fileobj, 'w', compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_METADATA, metadata)
        archive.writestr(_CONFIG, config)
        archive.writestr(_WEIGHTS, _weights_bytes(model, include_optimizer))


def read_archive(filepath):
    """(config dict, weights h5 bytes) of a ``.keras`` zip, checked for what is needed."""
    try:
        with zipfile.ZipFile(filepath, 'r') as archive:
            names = set(archive.namelist())
            missing = [n for n in (_CONFIG, _WEIGHTS) if n not in names]
            if missing:
                raise ValueError("'%s' is not a Keras 3 `.keras` archive: it lacks %s."
                                 % (filepath, missing))
            config_text = archive.read(_CONFIG)
            weights = archive.read(_WEIGHTS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as error:
        raise ValueError("Cannot read the `.keras` archive '%s': it is truncated or "
                         'corrupted (%s).' % (filepath, error)) from error
    try:
        config = serialization.json_decode(config_text)
    except ValueError as error:
        raise ValueError("The config.json in '%s' is not valid JSON (%s)."
                         % (filepath, error)) from error
    return config, weights


def _open_weights(weights_bytes, filepath):
    try:
        return h5py.File(io.BytesIO(weights_bytes), 'r')
    except OSError as error:
        raise ValueError("The weights inside '%s' are not a readable HDF5 file (%s)."
                         % (filepath, error)) from error


def weight_pairs_from_archive(filepath, model, skip_mismatch=False):
    _, weights = read_archive(filepath)
    with _open_weights(weights, filepath) as h5file:
        return weight_pairs_from_h5(h5file, model, filepath, skip_mismatch)


def model_from_archive(filepath, custom_objects=None, safe_mode=True):
    """(model, weight pairs, compile config, optimizer values or None) from a ``.keras``."""
    config, weights = read_archive(filepath)
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("The config.json in '%s' does not describe a model." % (filepath,))
    model = serialization.model_from_config(config, custom_objects=custom_objects,
                                            safe_mode=safe_mode)
    with _open_weights(weights, filepath) as h5file:
        pairs = weight_pairs_from_h5(h5file, model, filepath)
        try:
            optimizer_values = optimizer_values_from_h5(h5file)
        except (OSError, KeyError, RuntimeError, ValueError) as error:
            warnings.warn("Skipping variable loading for the optimizer from '%s': its "
                          'variables cannot be read (%s).' % (filepath, error))
            optimizer_values = None
    return model, pairs, config.get('compile_config'), optimizer_values
