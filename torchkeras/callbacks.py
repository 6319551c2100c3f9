"""Keras callbacks: hooks called by ``fit`` / ``evaluate`` / ``predict``.

Behaviour, argument names and printed messages follow tf.keras 2 (``tf_keras/callbacks.py``);
Keras 1/2 spellings (``on_batch_begin``/``on_batch_end``, ``period=``, ``epsilon=``) still work.

How the trainer drives them (tf.keras order, see KERAS_FACTS 6.2)::

    callbacks = CallbackList(user_callbacks, add_history=True, add_progbar=verbose != 0,
                             model=model, verbose=verbose, epochs=epochs, steps=steps)
    callbacks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callbacks.on_epoch_begin(epoch)
        for batch in ...:
            callbacks.on_train_batch_begin(batch)
            logs = train_step(...)                    # running averages, may be 0-d tensors
            callbacks.on_train_batch_end(batch, logs)
        validation: on_test_begin, on_test_batch_begin/end, on_test_end(val_logs)
        callbacks.on_epoch_end(epoch, epoch_logs)     # {'loss', ..., 'val_loss', ...}
        if model.stop_training: break
    callbacks.on_train_end(last_epoch_logs)

Model members used here: ``stop_training``, ``optimizer.learning_rate`` (a float, read and
written), ``get_weights()`` / ``set_weights()``, ``save(path)`` / ``save_weights(path)``;
BackupAndRestore also ``state_dict()`` / ``load_state_dict()`` and the optimizer's
``torch_optimizer``, and leaves ``model._resume_from = (epoch, step)`` in ``on_train_begin``
for fit to start there (tf.keras's ``_maybe_load_initial_counters_from_ckpt``).

Of tf.keras's callbacks, two names are not provided: ``SidecarEvaluatorModelExport`` (it
exports what ``keras.utils.SidecarEvaluator`` reads from TensorFlow checkpoints, which
torchkeras has no counterpart for) and ``experimental`` (a deprecated ``BackupAndRestore``
alias and ``UpdateEmbeddingCallback``, which serves ParameterServerStrategy only).

Logs may hold 0-d torch tensors.  As in tf.keras, CallbackList turns them into Python numbers
for epoch-level hooks (once per epoch), and for batch-level hooks only when a callback that
implements them asks for plain numbers (``_supports_tf_logs = False``), so the built-in
callbacks cause no per-step host-device sync.
"""
import collections
import csv
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import torch

from torchkeras import config
from torchkeras.optimizers import schedules
from torchkeras.utils.progbar import Progbar

__all__ = [
    'Callback', 'CallbackList', 'BaseLogger', 'History', 'ProgbarLogger', 'EarlyStopping',
    'ModelCheckpoint', 'BackupAndRestore', 'ReduceLROnPlateau', 'LearningRateScheduler',
    'CSVLogger', 'RemoteMonitor', 'TerminateOnNaN', 'LambdaCallback', 'TensorBoard',
]

_logger = logging.getLogger('torchkeras')

_TENSORBOARD_MISSING = 'TensorBoard needs the tensorboard package: pip install tensorboard'


# --------------------------------------------------------------------------- helpers

def _to_python(value):
    """0-d tensors/arrays -> Python numbers, other tensors -> numpy (tf.keras's log sync)."""
    if isinstance(value, dict):
        return {key: _to_python(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_python(item) for item in value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0:
        return value.item()
    return value


def _process_logs(logs):
    return {} if logs is None else _to_python(logs)


def _snapshot(weights):
    """An independent copy of ``model.get_weights()``, safe against later in-place updates."""
    return [w.detach().clone() if isinstance(w, torch.Tensor) else np.array(w, copy=True)
            for w in weights]


def _get_learning_rate(optimizer):
    for name in ('learning_rate', 'lr'):
        if hasattr(optimizer, name):
            return float(getattr(optimizer, name))
    if hasattr(optimizer, 'param_groups'):  # a plain torch.optim optimizer
        return float(optimizer.param_groups[0]['lr'])
    raise ValueError('The optimizer must have a "learning_rate" attribute. '
                     f'Received: optimizer={optimizer!r}')


def _set_learning_rate(optimizer, value):
    value = float(value)
    if hasattr(optimizer, 'learning_rate'):
        optimizer.learning_rate = value
    elif hasattr(optimizer, 'lr'):
        optimizer.lr = value
    elif hasattr(optimizer, 'param_groups'):
        for group in optimizer.param_groups:
            group['lr'] = value
    else:
        raise ValueError('The optimizer must have a "learning_rate" attribute. '
                         f'Received: optimizer={optimizer!r}')


def _overrides(callback, hook_name):
    """True when ``callback`` replaces the base class's no-op ``hook_name``."""
    if hook_name in vars(callback):  # LambdaCallback stores hooks on the instance
        return True
    return getattr(type(callback), hook_name) is not getattr(Callback, hook_name)


def _check_mode(mode, owner):
    if mode in ('auto', 'min', 'max'):
        return mode
    _logger.warning('%s mode %s is unknown, fallback to auto mode.', owner, mode)
    return 'auto'


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    flat = []
    for item in callbacks:
        flat.extend(_flatten(item))
    return flat


# --------------------------------------------------------------------------- base classes

class Callback:
    """Base class of callbacks; every hook is a no-op.

    Attributes:
        params: dict of training parameters (``verbose``, ``epochs``, ``steps``).
        model: the model being trained.
    """

    # False: this callback wants Python numbers in its logs, not tensors.
    _supports_tf_logs = False

    def __init__(self):
        self.validation_data = None
        self.model = None
        self.params = {}

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    # Keras 1/2 names of the training batch hooks.
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_end`."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (training only)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its metrics (``val_`` ones included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before a training batch; calls `on_batch_begin`."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the running metrics; calls `on_batch_end`."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of `evaluate` or of validation."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of `evaluate` or of validation."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of `predict`."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of `predict`."""

    def on_train_begin(self, logs=None):
        """Called at the beginning of training."""

    def on_train_end(self, logs=None):
        """Called at the end of training with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the beginning of evaluation or validation."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluation or validation."""

    def on_predict_begin(self, logs=None):
        """Called at the beginning of prediction."""

    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""

    def _implements_train_batch_hooks(self):
        return any(_overrides(self, name) for name in (
            'on_batch_begin', 'on_batch_end', 'on_train_batch_begin', 'on_train_batch_end'))

    def _implements_test_batch_hooks(self):
        return any(_overrides(self, name)
                   for name in ('on_test_batch_begin', 'on_test_batch_end'))

    def _implements_predict_batch_hooks(self):
        return any(_overrides(self, name)
                   for name in ('on_predict_batch_begin', 'on_predict_batch_end'))


class CallbackList:
    """Calls every hook on a list of callbacks, in order.

    Args:
        callbacks: list (possibly nested) of `Callback` instances.
        add_history: append a `History` unless the list already has one.
        add_progbar: append a `ProgbarLogger` (after History) unless the list has one.
        model: the model the callbacks see.
        **params: passed to every callback's `set_params` (``verbose``, ``epochs``, ``steps``).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        self.callbacks = _flatten(callbacks)
        self._add_default_callbacks(add_history, add_progbar)
        self.model = None
        self.params = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._refresh_batch_hook_flags()

    def _add_default_callbacks(self, add_history, add_progbar):
        """History then ProgbarLogger go after the user's callbacks, as in tf.keras."""
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)),
                             None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode='steps')
            self.callbacks.append(self._progbar)

    def _refresh_batch_hook_flags(self):
        """Skip batch hooks nobody implements; sync tensors only for those who need it."""
        flags = {}
        for mode in ('train', 'test', 'predict'):
            users = [cb for cb in self.callbacks
                     if getattr(cb, f'_implements_{mode}_batch_hooks')()]
            flags[mode] = (bool(users),
                           any(not getattr(cb, '_supports_tf_logs', False) for cb in users))
        self._batch_hook_flags = flags

    def append(self, callback):
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh_batch_hook_flags()

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)
        self._refresh_batch_hook_flags()  # ProgbarLogger's choice depends on verbose

    def set_model(self, model):
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def _call_hook(self, hook_name, *args, logs=None):
        logs = _process_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook_name)(*args, logs)

    def _call_batch_hook(self, mode, hook_name, batch, logs):
        has_users, needs_numbers = self._batch_hook_flags[mode]
        if not has_users:
            return
        if logs is None:
            logs = {}
        elif needs_numbers:
            logs = _to_python(logs)
        for callback in self.callbacks:
            getattr(callback, hook_name)(batch, logs)

    # ---- training
    def on_train_begin(self, logs=None):
        self._call_hook('on_train_begin', logs=logs)

    def on_train_end(self, logs=None):
        self._call_hook('on_train_end', logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_hook('on_epoch_begin', epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call_hook('on_epoch_end', epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch_hook('train', 'on_train_batch_begin', batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch_hook('train', 'on_train_batch_end', batch, logs)

    on_batch_begin = on_train_batch_begin  # Keras 1/2 names
    on_batch_end = on_train_batch_end

    # ---- evaluation (also validation inside fit)
    def on_test_begin(self, logs=None):
        self._call_hook('on_test_begin', logs=logs)

    def on_test_end(self, logs=None):
        self._call_hook('on_test_end', logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch_hook('test', 'on_test_batch_begin', batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch_hook('test', 'on_test_batch_end', batch, logs)

    # ---- prediction
    def on_predict_begin(self, logs=None):
        self._call_hook('on_predict_begin', logs=logs)

    def on_predict_end(self, logs=None):
        self._call_hook('on_predict_end', logs=logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch_hook('predict', 'on_predict_batch_begin', batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch_hook('predict', 'on_predict_batch_end', batch, logs)


# --------------------------------------------------------------------------- loggers

class BaseLogger(Callback):
    """Averages batch metrics over an epoch, weighted by ``logs['size']`` (Keras 1/2).

    tf.keras 2 fit no longer adds it (its logs already hold running averages).

    Args:
        stateful_metrics: names logged as-is (last value) instead of averaged.
    """

    def __init__(self, stateful_metrics=None):
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or [])
        self.seen = 0
        self.totals = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get('size', 0)
        self.seen += batch_size * logs.get('num_steps', 1)
        for key, value in logs.items():
            if key in self.stateful_metrics:
                self.totals[key] = value
            else:
                self.totals[key] = self.totals.get(key, 0) + value * batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for key in self.params.get('metrics', list(self.totals)):
            if key not in self.totals:
                continue
            if key in self.stateful_metrics:
                logs[key] = self.totals[key]
            elif self.seen:
                logs[key] = self.totals[key] / self.seen


class History(Callback):
    """Records the epoch logs; ``fit`` returns it.

    ``history`` maps each metric name to its per-epoch values, in the order the names first
    appeared; ``epoch`` lists the epoch indices.  Like tf.keras, ``on_train_begin`` resets
    only ``epoch``: a History reused across fits keeps extending its lists.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(_to_python(value))
        # The model always points at the History of its latest fit.
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints the progress bar of fit / evaluate / predict (see `Progbar`).

    Args:
        count_mode: 'steps' (count batches, what fit uses) or 'samples' (count
            ``logs['size']``, the Keras 1/2 way).
        stateful_metrics: names shown as given instead of averaged.  The trainer's logs
            already hold running averages, so every logged name is treated as stateful.
    """

    _supports_tf_logs = True  # Progbar reads tensors only when it prints

    def __init__(self, count_mode='steps', stateful_metrics=None):
        super().__init__()
        if count_mode not in ('steps', 'samples'):
            raise ValueError(f'Unknown `count_mode`: {count_mode}. '
                             'Expected values are ["samples", "steps"]')
        self.use_steps = count_mode == 'steps'
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get('verbose', 1)
        self.verbose = 1 if verbose == 'auto' else verbose
        self.epochs = params.get('epochs', 1)
        self.target = params.get('steps' if self.use_steps else 'samples')

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation inside fit prints nothing

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print(f'Epoch {epoch + 1}/{self.epochs}', flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._batch_update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update_progbar(batch, None)  # predictions are not shown

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _implements_train_batch_hooks(self):
        # verbose=2 only prints at the end, unless the batches must be counted.
        return self.verbose == 1 or self.target is None

    _implements_test_batch_hooks = _implements_train_batch_hooks
    _implements_predict_batch_hooks = _implements_train_batch_hooks

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self, logs=None):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose,
                                   stateful_metrics=self.stateful_metrics,
                                   unit_name='step' if self.use_steps else 'sample')
        self.progbar._update_stateful_metrics(self.stateful_metrics.union(logs or ()))

    def _batch_update_progbar(self, batch, logs=None):
        logs = dict(logs or {})
        if self.use_steps:
            self.seen = batch + 1  # batch is 0-based
        else:
            self.seen += logs.pop('size', 0) * logs.pop('num_steps', 1)
            logs.pop('batch', None)
        self._maybe_init_progbar(logs)
        if self.verbose == 1:
            self.progbar.update(self.seen, list(logs.items()), finalize=False)

    def _finalize_progbar(self, logs):
        logs = dict(logs or {})
        if self.progbar is None:
            self._maybe_init_progbar()
        if self.target is None:  # unknown length: what was seen is the length
            self.target = self.seen
            self.progbar.target = self.target
        self._maybe_init_progbar(logs)
        self.progbar.update(self.target, list(logs.items()), finalize=True)


# --------------------------------------------------------------------------- monitors

class EarlyStopping(Callback):
    """Stops training when the monitored quantity stops improving.

    Args:
        monitor: quantity to watch, e.g. 'val_loss'.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        verbose: 1 prints 'Epoch N: early stopping' at the end of training.
        mode: 'min', 'max' or 'auto' ('max' when the name ends in acc/accuracy/auc).
        baseline: training stops unless the quantity beats this value.
        restore_best_weights: put back the weights of the best epoch at the end.
        start_from_epoch: epochs of warm-up during which nothing is monitored.
    """

    def __init__(self, monitor='val_loss', min_delta=0, patience=0, verbose=0, mode='auto',
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        mode = _check_mode(mode, 'EarlyStopping')
        if mode == 'max' or (mode == 'auto' and monitor.endswith(('acc', 'accuracy', 'auc'))):
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.less
        # Stored signed so that `current - min_delta` must beat the best in either direction.
        self.min_delta = abs(min_delta) * (1 if self.monitor_op is np.greater else -1)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # Reset, so an instance can be reused by another fit.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Without any improvement the first monitored epoch is the one restored.
            self.best_weights = _snapshot(self.model.get_weights())
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model.get_weights())
            # Patience restarts only when both the baseline and the best are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f'Epoch {self.stopped_epoch + 1}: early stopping', flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print('Restoring model weights from the end of the best epoch: '
                      f'{self.best_epoch + 1}.', flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            _logger.warning('Early stopping conditioned on metric `%s` which is not '
                            'available. Available metrics are: %s',
                            self.monitor, ','.join(logs.keys()))
            return None
        return float(value)

    def _is_improvement(self, monitor_value, reference_value):
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


class ModelCheckpoint(Callback):
    """Saves the model or its weights after every epoch (or every ``save_freq`` batches).

    Args:
        filepath: path, may contain ``{epoch:02d}`` (1-based) and log names such as
            ``{val_loss:.2f}``.
        monitor: quantity compared when ``save_best_only``.
        verbose: 1 prints a line for each decision.
        save_best_only: save only when the monitored quantity improves.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        mode: 'min', 'max' or 'auto' ('max' when 'acc' is in the name or it starts with
            'fmeasure').
        save_freq: 'epoch' or a number of batches.
        initial_value_threshold: the best value to beat at the start.
        period: Keras 1/2: save every ``period`` epochs.
    """

    def __init__(self, filepath, monitor='val_loss', verbose=0, save_best_only=False,
                 save_weights_only=False, mode='auto', save_freq='epoch', options=None,
                 initial_value_threshold=None, period=1):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != 'epoch' and not isinstance(save_freq, int):
            raise ValueError(f'Unrecognized save_freq: {save_freq}. '
                             'Expected save_freq are "epoch" or integer')
        self.save_freq = save_freq
        self.options = options  # accepted for tf.keras compatibility; unused
        self.period = period
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._current_epoch = 0
        mode = _check_mode(mode, 'ModelCheckpoint')
        if mode == 'max' or (mode == 'auto' and ('acc' in monitor
                                                 or monitor.startswith('fmeasure'))):
            self.monitor_op = np.greater
            default_best = -np.inf
        else:
            self.monitor_op = np.less
            default_best = np.inf
        self.best = default_best if initial_value_threshold is None else initial_value_threshold

    def _implements_train_batch_hooks(self):
        return self.save_freq != 'epoch'  # batch hooks are only needed to save on batches

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == 'epoch':
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == 'epoch':
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs):
        if not isinstance(self.save_freq, int) and self.epochs_since_last_save < self.period:
            return
        logs = _process_logs(logs)
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, batch, logs)
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if os.path.isdir(filepath):
            raise IOError('Please specify a non-directory filepath for ModelCheckpoint. '
                          f'Filepath used is an existing directory: {filepath}')
        if self.save_best_only:
            self._save_if_improved(epoch, filepath, logs)
        else:
            self._print(f'\nEpoch {epoch + 1}: saving model to {filepath}')
            self._save_handler(filepath)

    def _save_if_improved(self, epoch, filepath, logs):
        current = logs.get(self.monitor)
        if current is None:
            _logger.warning('Can save best model only with %s available, skipping.',
                            self.monitor)
            return
        current = float(current)
        if self.monitor_op(current, self.best):
            self._print(f'\nEpoch {epoch + 1}: {self.monitor} improved from '
                        f'{self.best:.5f} to {current:.5f}, saving model to {filepath}')
            self.best = current
            self._save_handler(filepath)
        else:
            self._print(f'\nEpoch {epoch + 1}: {self.monitor} did not improve '
                        f'from {self.best:.5f}')

    def _print(self, message):
        if self.verbose > 0:
            print(message, flush=True)

    def _save_handler(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or 'batch' in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f'Reason: {e}') from e


_BACKUP_FILE = 'training_state.pt'
_BACKUP_FORMAT = 'torchkeras.BackupAndRestore/1'


class BackupAndRestore(Callback):
    """Backs up the training state during ``fit`` and resumes an interrupted fit from it.

    At the end of every epoch (or every ``save_freq`` batches) the model's ``state_dict()``
    tensors (in order, so the same model code built again fits them even where its
    auto-generated layer names differ), the optimizer's state (slots, step count, learning
    rate) and the position (epoch, batch) go to ``backup_dir/training_state.pt``: one file,
    replaced atomically, plain tensors and numbers read back with
    ``torch.load(weights_only=True)``.  Not saved: the mixed-precision loss scale (it
    restarts from its initial value) and the random generators' state.

    When ``fit`` starts with this callback and a backup exists, ``on_train_begin`` restores
    it and fit resumes as in tf.keras: at the epoch after the saved one, or, with an integer
    ``save_freq``, at the batch after the saved one (the next epoch when that was the
    epoch's last batch).  The fit's ``initial_epoch`` is then ignored, and its History
    covers only the epochs it runs (``history.epoch`` starts at the resumed epoch).  At the
    end of a fit that was not interrupted by an exception the file is deleted when
    ``delete_checkpoint``; ``backup_dir`` itself stays, as in tf.keras.

    Differences from tf.keras: resuming in the middle of an epoch skips the batches the
    backup already covers, so the run continues with the data it stopped at (tf.keras
    counts steps from the saved batch but restarts the data at the epoch's first batch);
    ``save_before_preemption`` is accepted but does nothing (it needs TensorFlow's
    multi-worker preemption notices).  The model must be built before a fit that restores.

    Args:
        backup_dir: folder for the backup; not to be shared with another run or callback.
        save_freq: 'epoch', or a number of batches between backups; False with
            ``save_before_preemption`` only.
        delete_checkpoint: delete the backup when fit finishes.
        save_before_preemption: accepted for compatibility; has no effect.
    """

    _supports_tf_logs = True  # never reads the logs: no per-batch sync for it

    def __init__(self, backup_dir, save_freq='epoch', delete_checkpoint=True,
                 save_before_preemption=False):
        super().__init__()
        _check_backup_freq(save_freq, save_before_preemption)
        if save_before_preemption:
            _logger.warning('BackupAndRestore: `save_before_preemption=True` has no effect in '
                            'torchkeras (it needs TensorFlow multi-worker preemption notices).')
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.save_before_preemption = save_before_preemption
        self._save_every_batches = save_freq if _is_batch_count(save_freq) else None
        self._batches_count = 0   # as tf.keras: counted across fits, not reset per fit
        self._current_epoch = 0
        self._current_batch = -1
        self._last_backup = None  # (epoch, batch) of this fit's latest backup

    @property
    def _backup_path(self):
        return os.path.join(self.backup_dir, _BACKUP_FILE)

    def _implements_train_batch_hooks(self):
        return self._save_every_batches is not None  # epoch backups need no batch hooks

    def on_train_begin(self, logs=None):
        self._last_backup = None
        state = self._read_backup()
        built = _is_built(self.model)
        if not built:
            _logger.warning('To use the BackupAndRestore callback, you model must be built '
                            'before you call `fit()`. Model %s is unbuilt. You can build it '
                            'beforehand by calling it on a batch of data.',
                            getattr(self.model, 'name', self.model))
        if state is None:
            return
        if not built:
            raise ValueError(f'BackupAndRestore found a backup in {self.backup_dir!r} but the '
                             'model is not built, so its weights cannot be restored. Build '
                             'the model before fit (give its first layer an input shape, or '
                             'call it on a batch of data).')
        self._restore(state)
        self.model._resume_from = _resume_point(state['epoch'], state['batch'],
                                                self.params.get('steps'))

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self._current_batch = batch

    def on_train_batch_end(self, batch, logs=None):
        if self._save_every_batches is None:  # called because another callback wants batches
            return
        self._batches_count += 1
        if self._batches_count >= self._save_every_batches:
            self._batches_count = 0
            self._backup(self._current_epoch, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == 'epoch':
            self._backup(epoch, batch=-1)
        elif self._last_backup == (epoch, self._current_batch) and \
                self.params.get('steps') is None:
            # The epoch's length was unknown when its last batch was backed up: mark the
            # epoch complete, or the resumed fit would look for batches after the last one.
            self._backup(epoch, batch=-1)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            for path in (self._backup_path, self._backup_path + '.tmp'):
                if os.path.exists(path):
                    os.remove(path)

    def _backup(self, epoch, batch):
        """Write the state to a temporary name, then rename it over the previous backup."""
        state = {'format': _BACKUP_FORMAT, 'epoch': int(epoch), 'batch': int(batch),
                 'model': list(self.model.state_dict().values()),
                 'optimizer': _optimizer_state(getattr(self.model, 'optimizer', None))}
        os.makedirs(self.backup_dir, exist_ok=True)
        temporary = self._backup_path + '.tmp'
        torch.save(state, temporary)
        os.replace(temporary, self._backup_path)
        self._last_backup = (epoch, batch)

    def _read_backup(self):
        path = self._backup_path
        if not os.path.exists(path):
            return None
        try:
            state = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as error:  # noqa: BLE001 - unpickling errors have many types
            raise ValueError(f'BackupAndRestore cannot read the backup {path!r}: it is '
                             f'truncated or corrupted ({str(error).splitlines()[0]}). Delete '
                             'it to start the training from the beginning.') from None
        if not isinstance(state, dict) or state.get('format') != _BACKUP_FORMAT:
            raise ValueError(f'BackupAndRestore: {path!r} is not a torchkeras backup. '
                             f'Expected a file written by BackupAndRestore '
                             f'({_BACKUP_FORMAT}).')
        return state

    def _restore(self, state):
        """Model weights and optimizer state, all checked before anything is changed."""
        model_state = _match_model_state(self.model, state['model'], self._backup_path)
        _load_optimizer_state(self.model, state['optimizer'])
        self.model.load_state_dict(model_state)


def _is_batch_count(save_freq):
    return isinstance(save_freq, (int, np.integer)) and not isinstance(save_freq, bool) and \
        save_freq > 0


def _check_backup_freq(save_freq, save_before_preemption):
    if not save_freq and not save_before_preemption:
        raise ValueError('Either `save_freq` or `save_before_preemption` must be set. '
                         f'Received: save_freq={save_freq!r}, '
                         f'save_before_preemption={save_before_preemption!r}')
    if save_freq and save_freq != 'epoch' and not _is_batch_count(save_freq):
        raise ValueError("Unrecognized save_freq. Expected 'epoch', a positive number of "
                         f'batches or False. Received: save_freq={save_freq!r}')


def _is_built(model):
    """Built, with its parameters created (a Sequential without input shape is not)."""
    if not getattr(model, 'built', True):
        return False
    return next(iter(model.parameters()), None) is not None


def _resume_point(epoch, batch, steps_per_epoch):
    """(first epoch, first step) after a backup taken at (epoch, batch); batch -1 marks an
    end-of-epoch backup (tf.keras's ``maybe_load_initial_counters_from_ckpt``)."""
    if batch < 0 or (steps_per_epoch is not None and batch >= steps_per_epoch - 1):
        return epoch + 1, 0
    return epoch, batch + 1


def _match_model_state(model, saved, path):
    """The saved tensors under the model's own ``state_dict`` names, matched by position:
    like tf.keras's object-graph checkpoints, a backup fits a model built by the same code
    even when its auto-generated layer names differ (dense_3 instead of dense)."""
    expected = model.state_dict()
    shapes = [tuple(tensor.shape) for tensor in expected.values()]
    saved_shapes = [tuple(tensor.shape) for tensor in saved]
    if shapes != saved_shapes:
        raise ValueError(f'BackupAndRestore: the backup {path!r} does not fit model '
                         f'{getattr(model, "name", "")!r}: expected {len(shapes)} tensors of '
                         f'shapes {shapes[:10]}, the backup holds {len(saved_shapes)} of shapes '
                         f'{saved_shapes[:10]}. Use another backup_dir for another model.')
    return dict(zip(expected, saved))


def _torch_optimizer(optimizer):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    return getattr(optimizer, 'torch_optimizer', None)


def _optimizer_state(optimizer):
    """The optimizer's torch ``state_dict()`` (slots and learning rate), its step count and
    the slots of a custom ``update_step`` optimizer; None before it is built."""
    torch_optimizer = _torch_optimizer(optimizer)
    if torch_optimizer is None:
        return None
    custom = getattr(optimizer, '_custom_variables', None) or []
    return {'torch': torch_optimizer.state_dict(),
            'iterations': int(getattr(optimizer, 'iterations', 0)),
            'custom': [variable.detach().cpu() for variable in custom]}


def _load_optimizer_state(model, state):
    optimizer = getattr(model, 'optimizer', None)
    if state is None or optimizer is None:
        return
    if hasattr(optimizer, 'build'):
        # Built on the same parameter list as the trainer builds it, so the trainer's own
        # build before the first step keeps the restored slots.
        optimizer.build(list(model.parameters()))
    _torch_optimizer(optimizer).load_state_dict(state['torch'])
    if hasattr(optimizer, 'iterations') and not isinstance(optimizer, torch.optim.Optimizer):
        optimizer.iterations = state['iterations']
    with torch.no_grad():
        for variable, value in zip(getattr(optimizer, '_custom_variables', None) or [],
                                   state['custom']):
            variable.copy_(value)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when the quantity stops improving.

    Args:
        monitor: quantity to watch.
        factor: ``new_lr = lr * factor``, below 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints each reduction.
        mode: 'min', 'max' or 'auto' ('max' when 'acc' is in the name).
        min_delta: threshold for a new optimum (Keras 2.0 called it ``epsilon``).
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound on the learning rate.
    """

    def __init__(self, monitor='val_loss', factor=0.1, patience=10, verbose=0, mode='auto',
                 min_delta=1e-4, cooldown=0, min_lr=0, **kwargs):
        super().__init__()
        if factor >= 1.0:
            raise ValueError('ReduceLROnPlateau does not support a factor >= 1.0. '
                             f'Received: factor={factor}')
        if 'epsilon' in kwargs:
            min_delta = kwargs.pop('epsilon')
            _logger.warning('`epsilon` argument is deprecated and will be removed, '
                            'use `min_delta` instead.')
        if kwargs:
            raise TypeError(f'Unrecognized keyword arguments: {sorted(kwargs)}')
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = _check_mode(mode, 'Learning rate reduction')
        self._reset()

    def _reset(self):
        if self.mode == 'min' or (self.mode == 'auto' and 'acc' not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs['lr'] = _get_learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            _logger.warning('Learning rate reduction is conditioned on metric `%s` which is '
                            'not available. Available metrics are: %s',
                            self.monitor, ','.join(logs.keys()))
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        old_lr = _get_learning_rate(self.model.optimizer)
        # Keras keeps the lr in float32: compare there, so an lr already at min_lr (say
        # 0.005, a little above float32(0.005)) is not "reduced" again.
        if np.float32(old_lr) > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            _set_learning_rate(self.model.optimizer, new_lr)
            if self.verbose > 0:
                print(f'\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to '
                      f'{new_lr}.', flush=True)
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from ``schedule``.

    Args:
        schedule: ``schedule(epoch, lr) -> float`` (epoch 0-based), or the Keras 1/2
            ``schedule(epoch) -> float``.
        verbose: 1 prints each change.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:  # the Keras 2 signature
            lr = self.schedule(epoch, _get_learning_rate(optimizer))
        except TypeError:  # the Keras 1 signature, schedule(epoch)
            lr = self.schedule(epoch)
        if isinstance(lr, torch.Tensor):
            if not lr.is_floating_point():
                raise ValueError(f'The dtype of `lr` Tensor should be float. Got: {lr.dtype}')
        elif not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f'The output of the "schedule" function should be float. Got: {lr}')
        _set_learning_rate(optimizer, lr)
        if self.verbose > 0:
            print(f'\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.',
                  flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs['lr'] = _get_learning_rate(self.model.optimizer)


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch loss is NaN or infinite."""

    _supports_tf_logs = True  # reads only the loss

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get('loss')
        if loss is None:
            return
        loss = _to_python(loss)  # the one sync this callback exists for
        if np.isnan(loss) or np.isinf(loss):
            print(f'Batch {batch}: Invalid loss, terminating training', flush=True)
            self.model.stop_training = True


# --------------------------------------------------------------------------- writers

class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: an ``epoch`` column, then the sorted log names.

    Args:
        filename: path of the CSV file.
        separator: one-character field separator.
        append: append to an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename, separator=',', append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = 'a'
        else:
            mode = 'w'
        # newline='' lets the csv module write its own '\r\n' line ends, as Keras files have.
        self.csv_file = open(self.filename, mode, newline='')

    def on_epoch_end(self, epoch, logs=None):
        logs = _process_logs(logs)
        if self.keys is None:
            self.keys = sorted(logs.keys())
            # With validation_freq > 1 the first epoch has no val_ keys: reserve columns.
            if not any(key.startswith('val_') for key in self.keys):
                self.keys.extend(['val_' + key for key in self.keys])
        if not self.writer:
            self.writer = self._make_writer()
        row = collections.OrderedDict({'epoch': epoch})
        row.update((key, self._handle_value(logs.get(key, 'NA'))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def _make_writer(self):
        class CustomDialect(csv.excel):
            delimiter = self.sep

        writer = csv.DictWriter(self.csv_file, fieldnames=['epoch'] + self.keys,
                                dialect=CustomDialect)
        if self.append_header:
            writer.writeheader()
        return writer

    @staticmethod
    def _handle_value(value):
        is_zero_dim_ndarray = isinstance(value, np.ndarray) and value.ndim == 0
        if isinstance(value, str):
            return value
        if isinstance(value, collections.abc.Iterable) and not is_zero_dim_ndarray:
            return f"\"[{', '.join(map(str, value))}]\""
        return value

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = None


# tf.keras (through `requests`) waits without limit; a hung server should not stall training.
_REMOTE_MONITOR_TIMEOUT = 10.0


class RemoteMonitor(Callback):
    """POSTs the epoch logs to a server at the end of every epoch (standard library only).

    The payload is ``{'epoch': epoch, <log name>: value, ...}`` as JSON, sent in the form
    field ``field`` (``application/x-www-form-urlencoded``) or, with ``send_as_json``, as the
    request body (``application/json``), to ``root + path``.  When the server cannot be
    reached a warning is logged and training goes on, as in tf.keras; an HTTP error status is
    ignored, as tf.keras (``requests``) ignores it.  Requests give up after 10 seconds.

    Args:
        root: root URL of the server.
        path: path, relative to ``root``, the events are sent to.
        field: form field holding the JSON (unused with ``send_as_json``).
        headers: extra HTTP headers (dict).
        send_as_json: send the JSON itself as the body.
    """

    def __init__(self, root='http://localhost:9000', path='/publish/epoch/end/', field='data',
                 headers=None, send_as_json=False):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch, logs=None):
        send = {'epoch': epoch}
        for key, value in _process_logs(logs).items():
            send[key] = value.tolist() if isinstance(value, np.ndarray) else value
        try:
            with urllib.request.urlopen(self._request(send), timeout=_REMOTE_MONITOR_TIMEOUT):
                pass
        except urllib.error.HTTPError as error:  # the server answered: not a reach failure
            error.close()
        except (urllib.error.URLError, OSError, ValueError):  # ValueError: malformed URL
            _logger.warning('Warning: could not reach RemoteMonitor root server at %s',
                            self.root)

    def _request(self, send):
        if self.send_as_json:
            body, content_type = json.dumps(send), 'application/json'
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)})
            content_type = 'application/x-www-form-urlencoded'
        headers = {'Content-Type': content_type}
        headers.update(self.headers or {})  # the caller's headers win, as with requests
        return urllib.request.Request(self.root + self.path, data=body.encode('utf-8'),
                                      headers=headers, method='POST')


class LambdaCallback(Callback):
    """A callback made of plain functions.

    ``on_epoch_begin/end(epoch, logs)``, ``on_batch_begin/end(batch, logs)``,
    ``on_train_begin/end(logs)``; other hooks (e.g. ``on_train_batch_end``) as keywords.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {'on_epoch_begin': on_epoch_begin, 'on_epoch_end': on_epoch_end,
                 'on_batch_begin': on_batch_begin, 'on_batch_end': on_batch_end,
                 'on_train_begin': on_train_begin, 'on_train_end': on_train_end}
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)


_TENSORBOARD_LEGACY_KWARGS = {
    # Keras 1/2 arguments: accepted, with tf.keras's warnings (reworded for torchkeras).
    'write_grads': '`write_grads` will be ignored by the `TensorBoard` Callback.',
    'batch_size': '`batch_size` is no longer needed in the `TensorBoard` Callback and will '
                  'be ignored.',
    'embeddings_layer_names': '`embeddings_layer_names` will be ignored: the `TensorBoard` '
                              'Callback does not write embeddings in torchkeras.',
    'embeddings_data': '`embeddings_data` will be ignored: the `TensorBoard` Callback does '
                       'not write embeddings in torchkeras.',
}


class TensorBoard(Callback):
    """Writes logs for TensorBoard through ``torch.utils.tensorboard.SummaryWriter``.

    Layout and names as in tf.keras:

    - ``log_dir/train`` and ``log_dir/validation``; epoch scalars ``epoch_<metric>`` (the
      ``val_`` prefix dropped in validation), plus ``epoch_learning_rate`` when the
      optimizer follows a ``LearningRateSchedule`` and ``epoch_steps_per_second`` with
      ``write_steps_per_second``;
    - with ``update_freq`` 'batch' or N: ``batch_<metric>`` (and ``batch_steps_per_second``)
      every N batches, counted over the whole fit;
    - ``evaluation_<metric>_vs_iterations`` at the end of every evaluation or validation,
      against the optimizer's step count;
    - every ``histogram_freq`` epochs, ``<weight>/histogram`` for each weight under its
      Keras name ('dense/kernel_0') in Keras layout, and with ``write_images`` also
      ``<weight>/image`` (biases, Dense and convolution kernels drawn as tf.keras draws
      them; images need ``histogram_freq``, as in tf.keras);
    - ``write_graph``: the traced model graph (``SummaryWriter.add_graph``), once per fit,
      after the first batch at the earliest.  A subclassed model is traced on its first
      training batch, a functional or Sequential model on zeros shaped like its Inputs
      (the graph does not depend on the values; unknown sizes become 8).  A model that
      cannot be traced gets a warning, and training goes on;
    - ``profile_batch``: batch N, or batches N to M (``(N, M)`` or 'N,M'), counted from 1
      over the fit, run under ``torch.profiler``; the Chrome trace goes to
      ``log_dir/plugins/profile/<date_time>/<host>.pt.trace.json``, which the
      torch-tb-profiler TensorBoard plugin reads.  0 turns profiling off.

    Not written: tf.keras's Keras model config summary (the 'keras' tag beside the graph),
    the TensorFlow trace graph of profiled batches, and embeddings (``embeddings_freq`` and
    ``embeddings_metadata`` are accepted and ignored).  Batch timings measure the time
    between the batch hooks, without waiting for queued GPU work.
    """

    _supports_tf_logs = True

    def __init__(self, log_dir='logs', histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq='epoch', profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        _check_tensorboard_kwargs(kwargs)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ImportError(_TENSORBOARD_MISSING) from e
        self._summary_writer_class = SummaryWriter
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == 'batch' else update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._should_trace = (self._start_batch, self._stop_batch) != (0, 0)
        self._profiler = None
        self._is_tracing = False
        self._global_train_batch = 0
        self._epoch_batches = 0
        self._epoch_start_time = time.perf_counter()
        self._batch_start_time = 0.0
        self._graph_pending = False
        self._graph_inputs = None
        self._graph_hook = None
        self._writers = {}  # created on first use, so no empty event files

    def _writer(self, name):
        if name not in self._writers:
            subdir = 'train' if name == 'train' else 'validation'
            self._writers[name] = self._summary_writer_class(os.path.join(self.log_dir, subdir))
        return self._writers[name]

    def _implements_train_batch_hooks(self):
        return self.update_freq != 'epoch' or self._should_trace or self.write_steps_per_second

    # ---- hooks
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._graph_pending = bool(self.write_graph)
        if self._graph_pending:
            self._watch_first_call()

    def on_train_end(self, logs=None):
        if self._is_tracing:
            self._stop_trace()
        self._remove_graph_hook()
        self._graph_inputs = None
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_batches = 0
        self._epoch_start_time = time.perf_counter()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()
        if self._should_trace and self._global_train_batch == self._start_batch:
            self._start_trace()

    def on_train_batch_end(self, batch, logs=None):
        self._maybe_write_graph()
        if self.update_freq != 'epoch' and self._global_train_batch % self.update_freq == 0:
            self._log_batch_scalars(logs)
        if self._is_tracing and self._global_train_batch >= self._stop_batch:
            self._stop_trace()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, 'optimizer', None)
        if optimizer is None:
            return
        # tf.keras logs evaluation results against the optimizer's step count.
        step = getattr(optimizer, 'iterations', None)
        step = self._global_train_batch if step is None else int(step)
        for name, value in _process_logs(logs).items():
            self._writer('val').add_scalar(f'evaluation_{name}_vs_iterations', float(value),
                                           step)

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, _process_logs(logs))
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        self._maybe_write_graph()
        for writer in self._writers.values():
            writer.flush()

    # ---- scalars
    def _log_batch_scalars(self, logs):
        writer, step = self._writer('train'), self._global_train_batch
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start_time
            writer.add_scalar('batch_steps_per_second', 1.0 / max(elapsed, 1e-9), step)
        for name, value in (logs or {}).items():
            writer.add_scalar('batch_' + name, float(value), step)

    def _log_epoch_metrics(self, epoch, logs):
        """Training scalars (with the learning rate and speed) first, then validation."""
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith('val_')}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith('val_')}
        learning_rate = _scheduled_learning_rate(getattr(self.model, 'optimizer', None))
        if learning_rate is not None:
            train_logs['learning_rate'] = learning_rate
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start_time
            train_logs['steps_per_second'] = self._epoch_batches / max(elapsed, 1e-9)
        for name, value in train_logs.items():
            self._writer('train').add_scalar('epoch_' + name, float(value), epoch)
        for name, value in val_logs.items():
            self._writer('val').add_scalar('epoch_' + name, float(value), epoch)

    # ---- weights
    def _log_weights(self, epoch):
        writer = self._writer('train')
        for name, value in _weights_for_summaries(self.model):
            writer.add_histogram(name + '/histogram', value, epoch)
            image = _weight_as_image(value) if self.write_images else None
            if image is not None:
                writer.add_images(name + '/image', image, epoch, dataformats='NHWC')

    # ---- graph
    def _watch_first_call(self):
        """Keep the inputs of the model's first call: a subclassed model is traced on them
        (the trainer runs a graph model's layers directly, so no call is seen there)."""
        self._graph_inputs = None
        register = getattr(self.model, 'register_forward_pre_hook', None)
        if register is not None and self._graph_hook is None:
            self._graph_hook = register(self._keep_graph_inputs)

    def _keep_graph_inputs(self, module, args):
        self._graph_inputs = args
        self._remove_graph_hook()

    def _remove_graph_hook(self):
        if self._graph_hook is not None:
            self._graph_hook.remove()
            self._graph_hook = None

    def _maybe_write_graph(self):
        if not self._graph_pending:
            return
        self._graph_pending = False
        self._remove_graph_hook()
        example = self._graph_inputs or _zeros_like_inputs(self.model)
        self._graph_inputs = None
        if example is None:
            _logger.warning('TensorBoard: write_graph=True but model %s has no Keras Inputs '
                            'and was not called during training, so there is no input to '
                            'trace; the graph is not written.', getattr(self.model, 'name', ''))
            return
        self._add_graph(example)

    def _add_graph(self, example):
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter('ignore')  # tracer notes about a graph only drawn
                self._writer('train').add_graph(self.model, example, use_strict_trace=False)
        except Exception as error:  # noqa: BLE001 - tracing fails in many ways; it is optional
            _logger.warning('TensorBoard: could not write the graph of model %s (%s: %s).',
                            getattr(self.model, 'name', ''), type(error).__name__,
                            (str(error).splitlines() or [''])[0])
        finally:
            # The traced call may have added activity losses that no step should count.
            clear = getattr(self.model, '_clear_activity_losses', None)
            if clear is not None:
                clear()

    # ---- profiler
    def _start_trace(self):
        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        try:
            profiler = torch.profiler.profile(activities=activities)
            profiler.start()
        except Exception as error:  # noqa: BLE001 - as tf.keras: profiler errors are not fatal
            _logger.error('Failed to start profiler: %s', error)
            return
        self._profiler = profiler
        self._is_tracing = True

    def _stop_trace(self):
        profiler, self._profiler = self._profiler, None
        self._is_tracing = False
        try:
            profiler.stop()
            path = self._profile_path()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            profiler.export_chrome_trace(path + '.tmp')
            os.replace(path + '.tmp', path)
        except Exception as error:  # noqa: BLE001 - as tf.keras: profiler errors are not fatal
            _logger.error('Failed to stop profiler: %s', error)

    def _profile_path(self):
        # tf.keras's layout: log_dir/plugins/profile/<run date>/<host>.<format>
        run = time.strftime('%Y_%m_%d_%H_%M_%S')
        return os.path.join(self.log_dir, 'plugins', 'profile', run,
                            socket.gethostname() + '.pt.trace.json')


def _check_tensorboard_kwargs(kwargs):
    for name, message in _TENSORBOARD_LEGACY_KWARGS.items():
        if kwargs.get(name):
            _logger.warning(message)
    unrecognized = set(kwargs) - set(_TENSORBOARD_LEGACY_KWARGS)
    if unrecognized:
        raise ValueError(f'Unrecognized arguments in `TensorBoard` Callback: {unrecognized}. '
                         f'Supported kwargs are: {set(_TENSORBOARD_LEGACY_KWARGS)}')


def _profile_range(profile_batch):
    """(first, last) batch to profile, 1-based over the fit; (0, 0) turns profiling off."""
    message = ('profile_batch must be a non-negative integer or 2-tuple of positive '
               'integers. A pair of positive integers signifies a range of batches to '
               f'profile. Found: {profile_batch}')
    value = profile_batch
    if isinstance(value, str):  # the legacy 'start,stop' spelling
        try:
            value = [int(part) for part in value.split(',')]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _scheduled_learning_rate(optimizer):
    """The current rate of an optimizer driven by a LearningRateSchedule (tf.keras logs it
    as 'learning_rate'); None for a constant rate."""
    schedule = getattr(optimizer, '_learning_rate', None)
    if not isinstance(schedule, schedules.LearningRateSchedule):
        return None
    return float(schedule(optimizer.iterations))


def _weights_for_summaries(model):
    """(name, numpy value) per weight: Keras names ('dense/kernel_0') and layout, as tf.keras
    writes them; torch parameter names for a model without Keras weights."""
    weights = list(getattr(model, 'weights', None) or [])
    if weights and all(isinstance(getattr(w, 'name', None), str) and hasattr(w, 'numpy')
                       for w in weights):
        return [(w.name.replace(':', '_'), w.numpy()) for w in weights]
    named_parameters = getattr(model, 'named_parameters', None)
    if named_parameters is None:
        return []
    return [(name, p.detach().float().cpu().numpy()) for name, p in named_parameters()]


def _weight_as_image(value):
    """A Keras-layout weight as an NHWC image batch, as tf.keras draws it; None when it
    cannot be drawn (e.g. 3-D convolution kernels)."""
    image = np.squeeze(np.asarray(value, dtype=np.float32))
    if image.ndim == 1:  # a bias: one row
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:  # a Dense kernel, drawn wider than tall
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:  # a 1-D convolution kernel: one image per output channel
        if config.image_data_format() == 'channels_last':
            image = np.transpose(image, (2, 0, 1))
        image = image.reshape(image.shape + (1,))
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None


def _zeros_like_inputs(model):
    """Zeros shaped like the model's Keras Inputs (batch 1, unknown sizes 8), on its device."""
    inputs = getattr(model, 'inputs', None)
    if not inputs or not all(hasattr(t, 'shape') and hasattr(t, 'torch_dtype')
                             for t in inputs):
        return None
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else torch.device('cpu')
    return tuple(torch.zeros([1] + [size or 8 for size in t.shape[1:]], dtype=t.torch_dtype,
                             device=device) for t in inputs)
