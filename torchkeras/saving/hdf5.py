"""Keras 2 HDF5 files: ``save_weights('w.h5')`` and the legacy full model ``save('m.h5')``.

Weights layout (tf_keras 2.21 ``saving/legacy/hdf5_format.py``, unchanged since Keras 2.0):

    /  @layer_names=[...]  @backend  @keras_version      (model.layers order)
      <layer>/  @weight_names=['<layer>/kernel:0', ...]  (trainable, then non-trainable)
        <layer>/kernel:0   the array, in Keras layout    (a '/' in a name nests groups)
      top_level_model_weights/  @weight_names=[]

A full model file adds root attrs ``model_config`` and ``training_config`` (JSON) and puts
the layout above under ``model_weights/``.  A compiled model's optimizer goes in
``optimizer_weights/`` (``@weight_names``, one dataset per variable, a '/' nesting groups) as
tf_keras writes ``optimizer.variables``: 'iteration:0' then slots such as
'Adam/m/dense/kernel:0' in Keras layout, or for OptimizerV2 classes 'Adam/iter:0' and
'Adam/dense/kernel/m:0' (``optimizer_state`` has the order).  Loading takes them by position,
as tf_keras does; a mismatch loads the weights and warns with tf_keras's words.
Attribute lists over 64512 bytes are split into ``name0``, ``name1``, ...

Files without ``keras_version`` come from Keras 1 and are converted as Keras 2 converts them
(``preprocess_weights_for_loading``).  Readers here only return checked (weight, value)
pairs; ``saving.api`` assigns them, all or none.
"""
import json
import warnings

import numpy as np

from torchkeras import optimizers
from torchkeras.config import __version__
from torchkeras.saving import optimizer_state, serialization
from torchkeras.saving.serialization import BACKEND_NAME, KERAS_VERSION

__all__ = ['KERAS_VERSION', 'BACKEND_NAME', 'HDF5_OBJECT_HEADER_LIMIT', 'save_attributes',
           'load_attributes', 'legacy_weights', 'save_weights_to_group', 'is_keras2_weights',
           'weight_pairs_from_group', 'preprocess_weights_for_loading', 'save_model_to_file',
           'model_from_file', 'check_pairs', 'optimizer_values', 'restore_optimizer']

HDF5_OBJECT_HEADER_LIMIT = 64512
_CONV_LAYERS = ('Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'ConvLSTM2D')
# tf_keras's words when a file's optimizer state does not fit (hdf5_format.load_model_from_hdf5)
_OPTIMIZER_WARNING = ('Error in loading the saved optimizer state. As a result, your model is '
                      'starting with a freshly initialized optimizer.')


# --------------------------------------------------------------------------- attributes
def save_attributes(group, name, data):
    """``group.attrs[name] = data``, split into name0, name1, ... past the header limit."""
    too_big = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_big:
        raise RuntimeError('The following attributes cannot be saved to HDF5 file because '
                           'they are larger than %d bytes: %s'
                           % (HDF5_OBJECT_HEADER_LIMIT, too_big))
    array = np.asarray(data)
    chunks = 1
    split = np.array_split(array, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in split):
        chunks += 1
        split = np.array_split(array, chunks)
    if chunks > 1:
        for index, part in enumerate(split):
            group.attrs['%s%d' % (name, index)] = part
    else:
        group.attrs[name] = data


def _decode(value):
    return value.decode('utf8') if isinstance(value, (bytes, np.bytes_)) else value


def load_attributes(group, name):
    """The list stored under ``name`` (or split over name0, name1, ...), decoded to str."""
    if name in group.attrs:
        return [_decode(v) for v in np.atleast_1d(group.attrs[name])]
    data, chunk = [], 0
    while '%s%d' % (name, chunk) in group.attrs:
        data.extend(_decode(v) for v in np.atleast_1d(group.attrs['%s%d' % (name, chunk)]))
        chunk += 1
    return data


def _has_attribute(group, name):
    return name in group.attrs or ('%s0' % name) in group.attrs


def is_keras2_weights(h5file):
    """True for a Keras 1/2 weights group (or a full model file holding one)."""
    if _has_attribute(h5file, 'layer_names'):
        return True
    return 'model_weights' in h5file and _has_attribute(h5file['model_weights'], 'layer_names')


# ------------------------------------------------------------------------------ writing
def legacy_weights(layer):
    """The layer's weights as Keras 2 files order them: trainable, then non-trainable."""
    seen, out = set(), []
    for weight in list(layer.trainable_weights) + list(layer.non_trainable_weights):
        if id(weight) not in seen:
            seen.add(id(weight))
            out.append(weight)
    return out


def _unique_names(names):
    """Dataset names; a repeated name gets a suffix so that datasets never clash."""
    unique, used = [], set()
    for name in names:
        base, count = name, 1
        while name in used:
            name = (base.replace(':0', '_%d:0' % count) if base.endswith(':0')
                    else '%s_%d' % (base, count))
            count += 1
        used.add(name)
        unique.append(name)
    return unique


def _save_subset(group, weights):
    names = _unique_names([weight.name for weight in weights])
    save_attributes(group, 'weight_names', [n.encode('utf8') for n in names])
    for name, weight in zip(names, weights):
        value = weight.numpy()
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def save_weights_to_group(group, model):
    """Write the model's weights into an open h5py group, exactly as tf_keras 2.21 does."""
    save_attributes(group, 'layer_names', [layer.name.encode('utf8') for layer in model.layers])
    group.attrs['backend'] = BACKEND_NAME.encode('utf8')
    group.attrs['keras_version'] = KERAS_VERSION.encode('utf8')
    group.attrs['torchkeras_version'] = str(__version__).encode('utf8')
    # Sorted by name so that no group name is a prefix of one created before it.
    for layer in sorted(model.layers, key=lambda x: x.name):
        _save_subset(group.create_group(layer.name), legacy_weights(layer))
    _save_subset(group.create_group('top_level_model_weights'), _top_level_weights(model))


def _top_level_weights(model):
    return list(getattr(model, '_own_weights', []))


# ------------------------------------------------------------------------------ reading
def _file_versions(group):
    version = _decode(group.attrs['keras_version']) if 'keras_version' in group.attrs else '1'
    backend = _decode(group.attrs['backend']) if 'backend' in group.attrs else None
    return str(version), backend


def _layer_group(group, name, filepath):
    if name not in group:
        raise ValueError("The weights file '%s' is damaged: it lists layer '%s' in its "
                         '`layer_names` but holds no group for it.' % (filepath, name))
    return group[name]


def _read_values(group, layer_name, filepath):
    """The arrays of one layer group, in its weight_names order, read fully now."""
    values = []
    for weight_name in load_attributes(group, 'weight_names'):
        if weight_name not in group:
            raise ValueError("The weights file '%s' is damaged: layer '%s' lists weight '%s' "
                             'but holds no dataset for it.' % (filepath, layer_name, weight_name))
        try:
            values.append(np.asarray(group[weight_name]))
        except (OSError, KeyError, RuntimeError) as error:
            raise ValueError("Cannot read weight '%s' of layer '%s' from '%s': the file is "
                             'truncated or corrupted (%s).' % (weight_name, layer_name, filepath,
                                                               error)) from error
    return values


def check_pairs(weights, values, filepath, layer, file_layer_name, where='named'):
    """[(weight, tensor)] after checking count and every shape; errors name file and layer.

    ``where`` says how the file identifies the layer: 'named' (Keras 2) or 'at' (a Keras 3
    group path).
    """
    in_file = "%s '%s' in the file" % (where, file_layer_name)
    if len(values) != len(weights):
        raise ValueError(
            "Weight count mismatch loading '%s': layer '%s' (%s) expects %d weight(s) %s, the "
            'file holds %d with shapes %s.'
            % (filepath, layer.name, in_file, len(weights), [w.shape for w in weights],
               len(values), [tuple(np.shape(v)) for v in values]))
    pairs = []
    for weight, value in zip(weights, values):
        try:
            pairs.append((weight, weight.check_value(value)))
        except ValueError as error:
            raise ValueError("Shape mismatch loading '%s' into layer '%s' (%s): %s"
                             % (filepath, layer.name, in_file, error)) from None
    return pairs


def _layers_with_weights(model):
    return [layer for layer in model.layers if legacy_weights(layer)]


def _file_layers_with_weights(group, filepath):
    names = load_attributes(group, 'layer_names')
    return [n for n in names if load_attributes(_layer_group(group, n, filepath), 'weight_names')]


def weight_pairs_from_group(group, model, filepath, by_name=False, skip_mismatch=False):
    """Read and check every array of a Keras 1/2 weights group against the model.

    Returns [(weight, value)] to assign; raises before anything is assigned.
    """
    if 'model_weights' in group and not _has_attribute(group, 'layer_names'):
        group = group['model_weights']
    if not _has_attribute(group, 'layer_names'):
        raise ValueError("'%s' is not a Keras 2 weights file: it has no `layer_names` "
                         'attribute.' % (filepath,))
    if by_name:
        return _pairs_by_name(group, model, filepath, skip_mismatch)
    return _pairs_topological(group, model, filepath)


def _pairs_topological(group, model, filepath):
    version, backend = _file_versions(group)
    layers = _layers_with_weights(model)
    names = _file_layers_with_weights(group, filepath)
    if len(names) != len(layers):
        raise ValueError(
            "Layer count mismatch when loading weights from file '%s'. Model expected %d layers "
            'with weights %s, found %d saved layers %s.'
            % (filepath, len(layers), [layer.name for layer in layers], len(names), names))
    pairs = []
    for layer, name in zip(layers, names):
        values = _read_values(group[name], name, filepath)
        values = preprocess_weights_for_loading(layer, values, version, backend)
        pairs += check_pairs(legacy_weights(layer), values, filepath, layer, name)
    pairs += _top_level_pairs(group, model, filepath)
    return pairs


def _top_level_pairs(group, model, filepath):
    if 'top_level_model_weights' not in group:
        return []
    values = _read_values(group['top_level_model_weights'], 'top_level_model_weights', filepath)
    weights = _top_level_weights(model)
    if not values and not weights:
        return []
    return check_pairs(weights, values, filepath, model, 'top_level_model_weights')


def _pairs_by_name(group, model, filepath, skip_mismatch):
    version, backend = _file_versions(group)
    index = {}
    for layer in model.layers:
        index.setdefault(layer.name, []).append(layer)
    pairs = []
    for name in load_attributes(group, 'layer_names'):
        layers = [layer for layer in index.get(name, []) if legacy_weights(layer)]
        if not layers:
            continue
        values = _read_values(_layer_group(group, name, filepath), name, filepath)
        for layer in layers:
            converted = preprocess_weights_for_loading(layer, list(values), version, backend)
            try:
                pairs += check_pairs(legacy_weights(layer), converted, filepath, layer, name)
            except ValueError as error:
                if not skip_mismatch:
                    raise
                warnings.warn('Skipping loading weights for layer %s: %s' % (layer.name, error))
    return pairs


# ------------------------------------------------------------- Keras 1 -> 2 conversion
def _convert_kernel(kernel):
    """Theano's true convolution -> cross-correlation: flip every spatial axis."""
    slices = [slice(None, None, -1)] * (kernel.ndim - 2) + [slice(None), slice(None)]
    return np.copy(kernel[tuple(slices)])


def _concat_gates(weights, order):
    """Keras 1 per-gate arrays [W_a, U_a, b_a, W_b, ...] -> fused [kernel, recurrent, bias]."""
    return [np.concatenate([weights[3 * g + part] for g in order], axis=-1) for part in range(3)]


def _keras1_conv1d(layer, kernel):
    expected = _expected_shape(layer, 0)
    if kernel.ndim != 4 or expected is None:
        return kernel
    k, filters = expected[0], expected[-1]
    if kernel.shape[:2] != (k, 1) or kernel.shape[3] != filters:
        kernel = np.transpose(kernel, (2, 3, 1, 0))  # Keras 1.0: (filters, in, length, 1)
    return kernel[:, 0, :, :]


def _keras1_conversions(layer, weights):
    """Keras 1 layouts -> Keras 2 (tf_keras preprocess_weights_for_loading, version '1')."""
    kind = type(layer).__name__
    channels_first = getattr(layer, 'data_format', None) == 'channels_first'
    if kind == 'Conv1D' and weights:
        weights[0] = _keras1_conv1d(layer, weights[0])
    if kind == 'Conv2D' and channels_first and weights:
        weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
    if kind == 'Conv2DTranspose' and weights:
        weights[0] = np.transpose(weights[0], (2, 3, 0, 1) if channels_first else (0, 1, 3, 2))
    if kind == 'Conv3D' and channels_first and weights:
        weights[0] = np.transpose(weights[0], (2, 3, 4, 1, 0))
    if kind == 'GRU' and len(weights) == 9:
        weights = _concat_gates(weights, (0, 1, 2))       # z, r, h
    if kind in ('LSTM', 'ConvLSTM2D') and len(weights) == 12:
        weights = _concat_gates(weights, (0, 2, 1, 3))    # file i, c, f, o -> i, f, c, o
        if kind == 'ConvLSTM2D' and channels_first:
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
            weights[1] = np.transpose(weights[1], (2, 3, 1, 0))
    return weights


def _expected_shape(layer, index):
    own = legacy_weights(layer)
    return tuple(own[index].shape) if index < len(own) else None


def _conv_kernel_fixes(layer, weights, backend):
    if type(layer).__name__ not in _CONV_LAYERS or not weights:
        return weights
    if backend == 'theano':  # standalone Keras 2.2's _need_convert_kernel
        weights[0] = _convert_kernel(weights[0])
        if type(layer).__name__ == 'ConvLSTM2D' and len(weights) > 1:
            weights[1] = _convert_kernel(weights[1])
    expected = _expected_shape(layer, 0)
    if expected is not None and expected != weights[0].shape and weights[0].ndim == 4:
        weights[0] = np.transpose(weights[0], (3, 2, 0, 1))
        if type(layer).__name__ == 'ConvLSTM2D' and len(weights) > 1:
            weights[1] = np.transpose(weights[1], (3, 2, 0, 1))
    return weights


def preprocess_weights_for_loading(layer, weights, original_keras_version=None,
                                   original_backend=None):
    """File arrays -> the layer's Keras 2 layout: nested wrappers and models are split per
    sublayer; Keras 1 layouts, Theano kernels and cuDNN RNN weights are converted."""
    weights = [np.asarray(w) for w in weights]
    kind = type(layer).__name__
    if kind == 'Bidirectional' and hasattr(layer, 'forward_layer'):
        half = len(weights) // 2
        weights = (preprocess_weights_for_loading(layer.forward_layer, weights[:half],
                                                  original_keras_version, original_backend)
                   + preprocess_weights_for_loading(layer.backward_layer, weights[half:],
                                                    original_keras_version, original_backend))
    elif kind == 'TimeDistributed' and hasattr(layer, 'layer'):
        weights = preprocess_weights_for_loading(layer.layer, weights, original_keras_version,
                                                 original_backend)
    elif _is_model(layer):
        weights = _convert_nested_model(layer, weights, original_keras_version, original_backend)
    if _is_keras1(original_keras_version):
        weights = _keras1_conversions(layer, weights)
    weights = _conv_kernel_fixes(layer, weights, original_backend)
    return _convert_cudnn_weights(layer, weights)


def _is_keras1(version):
    # Keras 1 never wrote keras_version into weights groups ('1' is what readers assume).
    return version is not None and (str(version) == '1' or str(version).startswith('1.'))


def _is_model(layer):
    return serialization.is_builtin(layer, 'Model')


def _convert_nested_model(model, weights, version, backend):
    """Split a nested model's arrays by sublayer (trainable first, as the file orders them)."""
    n_trainable = len(model.trainable_weights)
    trainable, non_trainable = weights[:n_trainable], weights[n_trainable:]
    new_trainable, new_non_trainable = [], []
    for sublayer in model.layers:
        n_t, n_nt = len(sublayer.trainable_weights), len(sublayer.non_trainable_weights)
        if not n_t + n_nt:
            continue
        converted = preprocess_weights_for_loading(
            sublayer, trainable[:n_t] + non_trainable[:n_nt], version, backend)
        new_trainable += converted[:n_t]
        new_non_trainable += converted[n_t:]
        trainable, non_trainable = trainable[n_t:], non_trainable[n_nt:]
    # Whatever was not consumed stays, so the count check reports the mismatch.
    return new_trainable + trainable + new_non_trainable + non_trainable


def _transform_gates(kernel, function, n_gates):
    return np.hstack([function(k) for k in np.hsplit(kernel, n_gates)])


def _from_cudnn_input(kernel):
    return kernel.T.reshape(kernel.shape, order='F')


def _convert_cudnn_weights(layer, weights):
    """CuDNNLSTM / CuDNNGRU files (biases doubled, Fortran-order kernels) -> LSTM / GRU."""
    kind = type(layer).__name__
    if kind not in ('LSTM', 'GRU') or len(weights) != 3 or weights[1].ndim != 2:
        return weights
    units = weights[1].shape[0]
    gates = 4 if kind == 'LSTM' else 3
    if weights[2].shape != (2 * units * gates,):
        return weights  # not a cuDNN layout; shape checks report anything else
    kernel = _transform_gates(weights[0], _from_cudnn_input, gates)
    recurrent = _transform_gates(weights[1], lambda k: k.T, gates)
    if kind == 'LSTM':
        bias = np.sum(np.split(weights[2], 2, axis=0), axis=0)
    else:
        if not getattr(layer, 'reset_after', True):
            raise ValueError('CuDNNGRU weights are not compatible with GRU(reset_after=False) '
                             "(layer '%s')." % layer.name)
        bias = np.asarray(weights[2]).reshape((2, -1))
    return [kernel, recurrent, bias]


# --------------------------------------------------------------------------- full model
def _model_class_name(model):
    return serialization._model_class_name(model)


def _training_config(model):
    settings = serialization.compile_settings(model)
    if not settings:
        return None
    optimizer = settings.get('optimizer')
    config = {key: serialization.serialize_compile_value(settings.get(key))
              for key in ('loss', 'metrics', 'weighted_metrics', 'loss_weights')}
    if optimizer is not None and not isinstance(optimizer, (str, dict)):
        serialized = optimizers.serialize(optimizer)
        optimizer = {'class_name': serialized['class_name'], 'config': serialized['config']}
    config['optimizer_config'] = optimizer
    return config


def save_model_to_file(h5file, model, include_optimizer=True):
    """Legacy ``model.save('m.h5')`` into an open, empty h5py.File."""
    config = {'class_name': _model_class_name(model),
              'config': serialization.model_config(model)}
    h5file.attrs['backend'] = BACKEND_NAME.encode('utf8')
    h5file.attrs['keras_version'] = KERAS_VERSION.encode('utf8')
    h5file.attrs['model_config'] = json.dumps(
        config, default=serialization.json_default).encode('utf8')
    training_config = _training_config(model)
    if training_config is not None:
        h5file.attrs['training_config'] = json.dumps(
            training_config, default=serialization.json_default).encode('utf8')
    save_weights_to_group(h5file.create_group('model_weights'), model)
    if include_optimizer and getattr(model, 'optimizer', None) is not None:
        _save_optimizer_weights(h5file, model)


def _save_optimizer_weights(h5file, model):
    """``optimizer_weights/`` as tf_keras writes it; skipped (with a warning) if impossible."""
    optimizer = model.optimizer
    try:
        layout = optimizer_state.h5_layout(optimizer, model.trainable_weights)
        names = _unique_names(optimizer_state.h5_variable_names(optimizer, layout))
        arrays = optimizer_state.layout_arrays(optimizer, layout)
    except (AttributeError, NotImplementedError, KeyError, RuntimeError, ValueError) as error:
        warnings.warn('The optimizer state was not saved, so a model loaded from this file '
                      'starts with a fresh optimizer. Reason: %s' % (error,))
        return
    if not layout:
        return  # as tf_keras: an OptimizerV2 that never stepped has no variables
    group = h5file.create_group('optimizer_weights')
    save_attributes(group, 'weight_names', [name.encode('utf8') for name in names])
    for name, array in zip(names, arrays):
        group.create_dataset(name, data=array)


def model_from_file(h5file, filepath, custom_objects=None, safe_mode=True):
    """(model, weight pairs, training config) from a legacy full-model HDF5 file."""
    raw = h5file.attrs.get('model_config')
    if raw is None:
        raise ValueError("No model config found in the file at '%s'. It holds weights only: "
                         'build the model in code and call `model.load_weights(%r)`.'
                         % (filepath, filepath))
    try:
        config = serialization.json_decode(raw)
    except ValueError as error:
        raise ValueError("The model config in '%s' is not valid JSON (%s)."
                         % (filepath, error)) from error
    model = serialization.model_from_config(config, custom_objects=custom_objects,
                                            safe_mode=safe_mode)
    if 'model_weights' not in h5file:
        raise ValueError("The model file '%s' has no `model_weights` group." % (filepath,))
    pairs = weight_pairs_from_group(h5file['model_weights'], model, filepath)
    training = h5file.attrs.get('training_config')
    training = serialization.json_decode(training) if training is not None else None
    return model, pairs, training


def optimizer_values(h5file, filepath=None):
    """The arrays of ``optimizer_weights/`` in their saved order; [] if there are none, None
    (with a warning) if they cannot be read: the model's weights still load."""
    group = h5file.get('optimizer_weights')
    if group is None:
        return []
    try:
        return [np.asarray(group[name]) for name in load_attributes(group, 'weight_names')]
    except (OSError, KeyError, RuntimeError, ValueError, TypeError) as error:
        warnings.warn('%s (%r: the saved optimizer variables cannot be read: %s)'
                      % (_OPTIMIZER_WARNING, filepath, error), stacklevel=4)
        return None


def restore_optimizer(model, values, filepath):
    """Put a file's ``optimizer_weights`` into the compiled model's optimizer.

    As tf_keras: the optimizer is built on the model's trainable weights and takes the arrays
    by position (a file from an unbuilt optimizer holds the step count alone).  Never raises:
    arrays that do not fit (count, shape) leave the fresh optimizer and warn as tf_keras does."""
    optimizer = getattr(model, 'optimizer', None)
    if not values or optimizer is None:
        return
    try:
        if not hasattr(optimizer, 'keras_variable_layout'):
            raise NotImplementedError('%r keeps no Keras variables' % (optimizer,))
        optimizer.build(list(model.parameters()))  # as the trainer builds it
        reason = _restore_matching_layout(optimizer, model.trainable_weights, values)
    except Exception as error:  # noqa: BLE001 - the weights are loaded; the optimizer is extra
        reason = 'its variables could not be restored: %s' % (error,)
    if reason is not None:
        warnings.warn('%s (%r: %s)' % (_OPTIMIZER_WARNING, filepath, reason), stacklevel=4)


def _restore_matching_layout(optimizer, weights, values):
    """Assign ``values`` if they fill the built or the unbuilt layout; else say why not."""
    built = optimizer_state.h5_layout(optimizer, weights)
    for layout in (built, optimizer_state.h5_layout(optimizer, None)):
        fitted = optimizer_state.keras2_h5_values(optimizer, layout, values)
        mismatch = optimizer_state.layout_mismatch(layout, fitted)
        if mismatch is None:
            optimizer_state.assign_optimizer(optimizer, layout, fitted)
            return None
        if mismatch != 'count':
            return mismatch
    return ('the file holds %d optimizer variables, %s %r has %d'
            % (len(values), type(optimizer).__name__, optimizer.name, len(built)))
