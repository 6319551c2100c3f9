"""save_weights / load_weights / save_model / load_model: pick the format, keep files safe.

Formats, chosen by suffix when writing and by content (then suffix) when reading:

    x.weights.h5               Keras 3 weights            (keras_v3)
    x.h5 / .hdf5               Keras 2 weights / model    (hdf5; tf.keras, Keras 1 read too)
    x.keras                    Keras 3 zip archive        (keras_v3; save_weights: Keras 2 h5,
                                                           as tf.keras does)
    x.pt / .pth                torch state_dict           (torch_format)
    x.safetensors              safetensors state_dict     (torch_format, optional package)

Reliability, as DESIGN.md asks:
- every write goes to a temporary file in the target folder, renamed into place
  (``os.replace``), so an interrupted save never leaves a half-written file under the name;
- every load reads and checks all arrays (counts, shapes) before assigning any, and
  assignment restores the old values if anything fails, so a failed load changes nothing;
- loading never executes code: no pickle (``torch.load(weights_only=True)``), and Lambda
  bytecode is refused unless ``safe_mode=False``.
"""
import os
import sys
import uuid
import warnings
import zipfile

import h5py
import torch

from torchkeras.saving import hdf5, keras_v3, serialization, torch_format

__all__ = ['save_weights', 'load_weights', 'save_model', 'load_model', 'sniff_format',
           'assign_pairs']

_HDF5_SIGNATURE = b'\x89HDF\r\n\x1a\n'
_SUPPORTED = ("'.weights.h5' (Keras 3), '.h5'/'.hdf5' (Keras 2), '.keras' (Keras 3 archive), "
              "'.pt'/'.pth' (torch), '.safetensors'")


# ----------------------------------------------------------------------------- formats
def _suffix_format(path, for_model=False):
    lower = path.lower()
    if lower.endswith('.weights.h5'):
        return 'keras3_weights'
    if lower.endswith(('.h5', '.hdf5')):
        return 'h5'
    if lower.endswith('.keras'):
        return 'keras_archive' if for_model else 'h5'
    if lower.endswith(('.pt', '.pth')):
        return 'torch'
    if lower.endswith('.safetensors'):
        return 'safetensors'
    return None


def sniff_format(path):
    """'hdf5', 'keras_archive', 'torch', 'safetensors' or None, from the file's bytes."""
    with open(path, 'rb') as f:
        head = f.read(16)
    if head.startswith(_HDF5_SIGNATURE) or h5py.is_hdf5(path):
        return 'hdf5'
    if head.startswith(b'PK'):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        return 'keras_archive' if 'config.json' in names else 'torch'
    if len(head) >= 9 and head[8:9] == b'{':
        return 'safetensors'
    if head[:1] == b'\x80':  # a pickle (legacy torch.save): weights_only loading refuses code
        return 'torch'
    return None


def _require_file(path):
    if os.path.isdir(path):
        raise ValueError("'%s' is a directory (a TensorFlow SavedModel?). torchkeras reads "
                         "Keras files: %s." % (path, _SUPPORTED))
    if not os.path.exists(path):
        raise FileNotFoundError("No file or directory found at '%s'." % (path,))


# ---------------------------------------------------------------------- atomic writes
def _confirm_overwrite(path):
    if not sys.stdin or not sys.stdin.isatty():
        raise FileExistsError("'%s' already exists and overwrite=False. Pass overwrite=True to "
                              'replace it.' % (path,))
    answer = input('[WARNING] %s already exists - overwrite? [y/n] ' % path).strip().lower()
    return answer.startswith('y')


def _atomic_write(path, write, overwrite=True):
    """``write(temporary_path)`` then rename into place; the temporary goes on failure."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite and not _confirm_overwrite(path):
        return False
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, '.%s.%s.tmp' % (os.path.basename(path), uuid.uuid4().hex))
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return True


def _write_h5(path, fill):
    with h5py.File(path, 'w') as h5file:
        fill(h5file)


def _write_binary(path, fill):
    with open(path, 'wb') as f:
        fill(f)
        f.flush()
        os.fsync(f.fileno())


# -------------------------------------------------------------------------- assignment
def assign_pairs(pairs):
    """Assign checked (weight, value) pairs; on any failure put every old value back."""
    saved = [(weight, [t.detach().clone() for t in weight.tensors]) for weight, _ in pairs]
    try:
        for weight, value in pairs:
            weight.assign(value)
    except BaseException:
        with torch.no_grad():
            for weight, tensors in saved:
                for target, old in zip(weight.tensors, tensors):
                    target.copy_(old)
        raise


def _load_state_dict(model, state_dict):
    backup = {k: v.detach().clone() for k, v in model.state_dict().items()}
    try:
        model.load_state_dict(state_dict, strict=False)
    except BaseException:
        model.load_state_dict(backup, strict=False)
        raise


# -------------------------------------------------------------------------------- weights
def _check_built(model, action):
    unbuilt_sequential = getattr(model, '_input', False) is None and not model.weights
    if not getattr(model, 'built', False) or unbuilt_sequential:
        raise ValueError('Model "%s" is not built yet, so it has no weights to %s. Build it '
                         'first: call it on data, or give its first layer an input shape '
                         '(or call `model.build(input_shape)`).' % (model.name, action))


def _weights_format(path, save_format):
    if save_format in ('h5', 'hdf5', 'keras2'):
        return 'h5'
    if save_format in ('torch', 'pt', 'pth', 'safetensors'):
        return 'safetensors' if save_format == 'safetensors' else 'torch'
    kind = _suffix_format(path)
    if kind is None or save_format == 'tf':
        warnings.warn("'%s': TensorFlow checkpoints cannot be written by torchkeras; writing a "
                      'Keras 2 HDF5 weights file instead (supported: %s).' % (path, _SUPPORTED))
        return 'h5'
    return kind


def save_weights(model, filepath, overwrite=True, save_format=None, **kwargs):
    """Save the model's weights; the format follows the suffix (see the module docstring)."""
    kwargs.pop('options', None)
    if kwargs:
        raise TypeError('save_weights() got unexpected arguments: %s' % sorted(kwargs))
    path = os.fspath(filepath)
    _check_built(model, 'save')
    kind = _weights_format(path, save_format)
    if kind == 'keras3_weights':
        _atomic_write(path, lambda p: _write_h5(
            p, lambda f: keras_v3.save_weights_to_h5(f, model)), overwrite)
    elif kind == 'h5':
        _atomic_write(path, lambda p: _write_h5(
            p, lambda f: hdf5.save_weights_to_group(f, model)), overwrite)
    elif kind == 'safetensors':
        _atomic_write(path, lambda p: torch_format.save_safetensors(model, p), overwrite)
    else:
        _atomic_write(path, lambda p: _write_binary(
            p, lambda f: torch_format.save_state_dict(model, f)), overwrite)


def _open_h5(path):
    try:
        return h5py.File(path, 'r')
    except OSError as error:
        raise ValueError("Cannot open the HDF5 file '%s': it is truncated or corrupted (%s)."
                         % (path, str(error).split('\n')[0])) from None


def _h5_weight_pairs(model, path, by_name, skip_mismatch):
    with _open_h5(path) as h5file:
        try:
            if hdf5.is_keras2_weights(h5file):
                if skip_mismatch and not by_name:
                    raise ValueError('When passing `skip_mismatch=True`, `by_name` must be set '
                                     'to True (Keras 2 weights files).')
                return hdf5.weight_pairs_from_group(h5file, model, path, by_name, skip_mismatch)
            if keras_v3.is_keras3_weights(h5file):
                _no_by_name(by_name, path)
                return keras_v3.weight_pairs_from_h5(h5file, model, path, skip_mismatch)
        except (OSError, KeyError, RuntimeError) as error:
            raise ValueError("Cannot read the weights in '%s': the file is truncated or "
                             'corrupted (%s).' % (path, str(error).split('\n')[0])) from None
    raise ValueError("'%s' is an HDF5 file but not a Keras weights file: it has neither "
                     "Keras 2's `layer_names` attribute nor Keras 3's `layers` group." % (path,))


def _no_by_name(by_name, path):
    if by_name:
        raise ValueError("by_name=True needs a Keras 2 HDF5 weights file (layers matched by "
                         "name); '%s' is not one." % (path,))


def load_weights(model, filepath, by_name=False, skip_mismatch=False, **kwargs):
    """Load weights from any supported file; all checked first, then all assigned."""
    kwargs.pop('options', None)
    if kwargs:
        raise TypeError('load_weights() got unexpected arguments: %s' % sorted(kwargs))
    path = os.fspath(filepath)
    _require_file(path)
    _check_built(model, 'load into')
    kind = sniff_format(path) or _suffix_format(path)
    if kind == 'hdf5':
        assign_pairs(_h5_weight_pairs(model, path, by_name, skip_mismatch))
    elif kind == 'keras_archive':
        _no_by_name(by_name, path)
        assign_pairs(keras_v3.weight_pairs_from_archive(path, model, skip_mismatch))
    elif kind in ('torch', 'safetensors'):
        _no_by_name(by_name, path)
        reader = (torch_format.read_safetensors if kind == 'safetensors'
                  else torch_format.read_state_dict)
        checked = torch_format.check_state_dict(model, reader(path), path, skip_mismatch)
        _load_state_dict(model, checked)
    else:
        raise ValueError("Cannot tell the format of '%s': expected %s." % (path, _SUPPORTED))


# --------------------------------------------------------------------------------- models
def _model_format(path, save_format):
    if save_format in ('h5', 'hdf5'):
        return 'h5'
    if save_format in ('keras', 'keras_v3'):
        return 'keras_archive'
    kind = _suffix_format(path, for_model=True)
    if kind in ('h5', 'keras_archive'):
        return kind
    if kind == 'keras3_weights':
        raise ValueError("'%s' names a weights file; save the model as '.keras' or '.h5', or "
                         'call save_weights().' % (path,))
    warnings.warn("'%s': TensorFlow SavedModel directories cannot be written by torchkeras; "
                  'writing a Keras 3 `.keras` archive at that path instead.' % (path,))
    return 'keras_archive'


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               **kwargs):
    """``model.save``: '.keras' -> Keras 3 archive, '.h5' -> tf.keras 2 legacy HDF5."""
    for ignored in ('options', 'signatures', 'save_traces', 'zipped'):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError('save() got unexpected arguments: %s' % sorted(kwargs))
    path = os.fspath(filepath)
    if _model_format(path, save_format) == 'h5':
        _atomic_write(path, lambda p: _write_h5(
            p, lambda f: hdf5.save_model_to_file(f, model, include_optimizer)), overwrite)
    else:
        _atomic_write(path, lambda p: _write_binary(
            p, lambda f: keras_v3.save_archive(model, f, include_optimizer)), overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """A model from a '.keras' archive or a legacy '.h5' file, weights loaded."""
    kwargs.pop('options', None)
    if kwargs:
        raise TypeError('load_model() got unexpected arguments: %s' % sorted(kwargs))
    path = os.fspath(filepath)
    _require_file(path)
    kind = sniff_format(path)
    if kind == 'keras_archive':
        model, pairs, compile_config, optimizer_values = keras_v3.model_from_archive(
            path, custom_objects, safe_mode)
        assign_pairs(pairs)
        if compile:
            serialization.compile_from_config(model, compile_config, custom_objects)
            keras_v3.restore_optimizer(model, optimizer_values, path)
        return model
    if kind == 'hdf5':
        return _load_h5_model(path, custom_objects, compile, safe_mode)
    raise ValueError("Cannot load a model from '%s': expected a '.keras' archive or a '.h5' "
                     'model file (weights-only files need the model built in code and '
                     '`model.load_weights`).' % (path,))


def _load_h5_model(path, custom_objects, compile, safe_mode):
    with _open_h5(path) as h5file:
        try:
            model, pairs, training = hdf5.model_from_file(h5file, path, custom_objects, safe_mode)
            optimizer_values = hdf5.optimizer_values(h5file, path) if compile else []
        except (OSError, KeyError, RuntimeError) as error:
            raise ValueError("Cannot read the model in '%s': the file is truncated or "
                             'corrupted (%s).' % (path, str(error).split('\n')[0])) from None
    assign_pairs(pairs)
    if compile and training:
        serialization.compile_from_config(model, training, custom_objects)
        hdf5.restore_optimizer(model, optimizer_values, path)
    return model
