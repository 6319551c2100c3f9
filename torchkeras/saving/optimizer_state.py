"""Optimizer state in Keras files, shared by ``.keras`` archives (keras_v3) and legacy
full-model ``.h5`` files (hdf5).

A *layout* lists a file's optimizer variables in order.  An entry is a scalar name
('iteration', 'learning_rate', 'u_product', 'momentum_cache') or a slot ``(slot name, Keras
weight)``, as ``Optimizer.keras_variable_layout`` gives them; slots hold arrays in Keras layout
(a Dense kernel's momentum is (in, out)).  ``Unused`` marks a slot tf_keras keeps although it
never changes an update (its SGD's 'm' at momentum=0, which holds -lr * the last gradient and
is multiplied by 0): written as zeros, ignored on loading.

Legacy ``.h5`` files hold tf_keras 2.21's ``optimizer.variables``, named and ordered as it
writes them (``hdf5_format.save_optimizer_weights_to_hdf5_group``; checked against its files):

- tf_keras >= 2.11 optimizers: 'iteration:0' (int64), then the slots in the ``.keras`` order,
  named '<optimizer>/<slot>/<weight>:0' ('Adam/m/dense/kernel:0', 'Adam/v/dense/kernel:0').
  Unbuilt: 'iteration:0' alone.
- OptimizerV2 (``tf_keras.optimizers.legacy``): '<optimizer>/iter:0' (int64), Nadam's
  '<optimizer>/momentum_cache:0' (float32), then one pass over the weights per slot kind
  (Ftrl: both slots per weight), named '<optimizer>/<weight>/<slot>:0'
  ('Adam/dense/kernel/m:0').  Unbuilt: nothing.

The weight part is the weight's name without ':0'.  tf_keras reads the arrays back by
position (``optimizer.set_weights``), so order and shapes are what must match; the names are
for people (tf_keras itself leaves the '<optimizer>/' scope out when ``load_model`` built the
optimizer).
"""
import collections
import re

import numpy as np
import torch
from torchkeras.optimizers import legacy

__all__ = ['Unused', 'slot_array', 'layout_arrays', 'optimizer_arrays', 'is_legacy',
           'h5_layout', 'h5_variable_names', 'keras2_h5_values', 'layout_mismatch',
           'assign_optimizer']

# A slot tf_keras creates and never reads (its SGD's momentums when momentum=0).
Unused = collections.namedtuple('Unused', ['name', 'weight'])

# File names of torchkeras slot names, per Keras class (any other slot keeps its name).
_SLOT_NAMES = {
    'SGD': {'momentum': 'm'},
    'Adam': {'momentum': 'm', 'velocity': 'v', 'velocity_hat': 'vhat'},
    'Adamax': {'momentum': 'm', 'norm': 'u'},
    'Nadam': {'momentum': 'm', 'velocity': 'v'},
}
_LEGACY_SLOT_NAMES = {
    'RMSprop': {'velocity': 'rms', 'average_gradient': 'mg'},
    'Adam': {'momentum': 'm', 'velocity': 'v', 'velocity_hat': 'vhat'},
    'Adadelta': {'accumulated_grad': 'accum_grad', 'accumulated_delta_var': 'accum_var'},
    'Adamax': {'momentum': 'm', 'norm': 'v'},
    'Nadam': {'momentum': 'm', 'velocity': 'v'},
}
_KERAS_CLASSES = ('SGD', 'RMSprop', 'AdamW', 'Adam', 'Adagrad', 'Adadelta', 'Adamax',
                  'Nadam', 'Ftrl')


# ------------------------------------------------------------------------------ writing
def slot_array(optimizer, name, weight):
    """A slot of a Keras weight, converted like the weight (torch tensors -> Keras layout)."""
    with torch.no_grad():
        value = weight.layout.to_keras(*[optimizer.slot(t, name) for t in weight.tensors])
        return value.detach().cpu().numpy().copy()


def _scalar_array(optimizer, name):
    if name == 'iteration':
        return np.asarray(optimizer.keras_scalar(name), dtype=np.int64)
    if name == 'momentum_cache':  # OptimizerV2 Nadam's product of momentum-schedule factors
        name = 'u_product'
    return np.asarray(optimizer.keras_scalar(name), dtype=np.float32)


def layout_arrays(optimizer, layout):
    """The numpy arrays a file holds for ``layout``."""
    arrays = []
    for entry in layout:
        if isinstance(entry, str):
            arrays.append(_scalar_array(optimizer, entry))
        elif isinstance(entry, Unused):
            arrays.append(np.zeros(tuple(entry.weight.shape), dtype=np.float32))
        else:
            arrays.append(slot_array(optimizer, *entry))
    return arrays


def optimizer_arrays(model, tf_keras=False):
    """The model's optimizer variables as a ``.keras`` file holds them (numpy arrays), in
    Keras 3's order (tf_keras's with ``tf_keras=True``) and Keras layout."""
    optimizer = model.optimizer
    return layout_arrays(optimizer, optimizer.keras_variable_layout(model.trainable_weights,
                                                                    tf_keras=tf_keras))


# ------------------------------------------------------------------- legacy .h5 layout
def is_legacy(optimizer):
    """True for an OptimizerV2-style class (``torchkeras.optimizers.legacy``)."""
    return isinstance(optimizer, tuple(getattr(legacy, name) for name in legacy.__all__))


def _keras_class(optimizer):
    """The built-in Keras class an optimizer is (or derives from), or None."""
    for cls in type(optimizer).__mro__:
        if cls.__name__ in _KERAS_CLASSES:
            return 'Adam' if cls.__name__ == 'AdamW' else cls.__name__
    return None


def h5_layout(optimizer, weights):
    """The optimizer's variables in tf_keras 2.21's order (its ``optimizer.variables``, which
    a legacy ``.h5`` file's ``optimizer_weights`` holds); ``weights=None``: unbuilt."""
    kind = _keras_class(optimizer)
    if is_legacy(optimizer):
        if weights is None or not optimizer.built:
            return []  # OptimizerV2 creates even its step counter on the first update
        slots = optimizer.keras_variable_layout(weights, tf_keras=True)[1:]
        if kind == 'Ftrl':  # OptimizerV2's Ftrl creates both slots per variable
            slots = [(name, weight) for weight in weights for name in ('accumulator', 'linear')]
        return ['iteration'] + (['momentum_cache'] if kind == 'Nadam' else []) + slots
    layout = optimizer.keras_variable_layout(weights, tf_keras=True)
    if kind == 'SGD' and not optimizer.momentum and weights is not None and optimizer.built:
        layout += [Unused('momentum', weight) for weight in weights]  # tf_keras's SGD.build
    return layout


def keras2_h5_values(optimizer, layout, values):
    """Values of a Keras 1/2-era file (tf_keras ``optimizer_v1``: standalone Keras <= 2.3)
    made to fit an OptimizerV2 ``layout``, as tf_keras's legacy ``set_weights`` does: Adam
    files hold a (1,) 'vhat' per variable even without amsgrad (dropped); RMSprop, Adagrad
    and Adadelta files hold no step count (0 is put first).  Other values are returned as is."""
    if not is_legacy(optimizer):
        return values
    kind = _keras_class(optimizer)
    if kind == 'Adam' and len(values) == 3 * ((len(layout) - 1) // 2) + 1:
        return values[:len(layout)]
    if kind in ('RMSprop', 'Adagrad', 'Adadelta') and len(layout) == len(values) + 1:
        return [np.array(0, dtype=np.int64)] + list(values)
    return values


def _weight_base_name(weight):
    return re.sub(r':\d+$', '', weight.name)


def h5_variable_names(optimizer, layout):
    """The dataset names tf_keras gives ``layout``'s variables ('Adam/m/dense/kernel:0')."""
    prefix = optimizer.name
    kind = _keras_class(optimizer)
    if is_legacy(optimizer):
        renames = _LEGACY_SLOT_NAMES.get(kind, {})
        scalars = {'iteration': prefix + '/iter:0', 'momentum_cache': prefix + '/momentum_cache:0'}
        return [scalars[entry] if isinstance(entry, str) else '%s/%s/%s:0' % (
            prefix, _weight_base_name(entry[1]), renames.get(entry[0], entry[0]))
            for entry in layout]
    renames = _SLOT_NAMES.get(kind, {})
    return [entry + ':0' if isinstance(entry, str) else '%s/%s/%s:0' % (
        prefix, renames.get(entry[0], entry[0]), _weight_base_name(entry[1]))
        for entry in layout]


# ------------------------------------------------------------------------------ reading
def _entry_shape(entry):
    return () if isinstance(entry, str) else tuple(entry[1].shape)


def _entry_label(entry):
    return entry if isinstance(entry, str) else '%s of %s' % (entry[0], entry[1].name)


def layout_mismatch(layout, values):
    """Why ``values`` cannot fill ``layout``: 'count', a shape message, or None if they can."""
    if len(layout) != len(values):
        return 'count'
    for index, (entry, value) in enumerate(zip(layout, values)):
        if tuple(np.shape(value)) != _entry_shape(entry):
            return ('saved variable %d has shape %s, but %s has shape %s'
                    % (index, tuple(np.shape(value)), _entry_label(entry), _entry_shape(entry)))
    return None


def _slot_assignments(optimizer, name, weight, value):
    """(slot tensor, new value) pairs for one Keras-layout slot value."""
    parts = weight.layout.from_keras(torch.as_tensor(np.asarray(value)))
    pairs = []
    for param, part in zip(weight.tensors, parts):
        target = optimizer.slot(param, name)
        if tuple(part.shape) != tuple(target.shape):
            raise ValueError('slot %s of %s converts to shape %s, expected %s'
                             % (name, weight.name, tuple(part.shape), tuple(target.shape)))
        pairs.append((target, part))
    return pairs


def assign_optimizer(optimizer, layout, values):
    """Check every value, then assign them (iteration first: Nadam derives state from it)."""
    scalars, slots = {}, []
    for entry, value in zip(layout, values):
        if isinstance(entry, str):
            scalars[entry] = np.asarray(value)
        elif not isinstance(entry, Unused):
            slots += _slot_assignments(optimizer, entry[0], entry[1], value)
    optimizer.iterations = int(scalars['iteration'])
    saved_rate = scalars.get('learning_rate')
    # the file keeps float32: keep the exact rate unless the saved one is really different
    if saved_rate is not None and np.float32(optimizer.learning_rate) != np.float32(saved_rate):
        optimizer.learning_rate = float(saved_rate)
    with torch.no_grad():
        for target, value in slots:
            target.copy_(value.to(device=target.device, dtype=target.dtype))
    # extras such as Nadam's u_product (momentum_cache) follow from the iteration count
