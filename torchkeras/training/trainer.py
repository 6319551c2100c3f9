"""fit / evaluate / predict and the ``*_on_batch`` functions: the only training loops.

``fit`` in one pass, with callbacks at tf.keras's hook points (KERAS_FACTS 6.2)::

    check the model is compiled and epochs > 0; map Keras 1 arguments (nb_epoch -> epochs)
    train = batches of x / y / sample_weight (class_weight folded into the weights)
    val   = validation_data, or the LAST validation_split of the arrays (before shuffling)
    move the model, then the data (when it fits), to the device once
    callbacks = user callbacks + History + ProgbarLogger
    callbacks.on_train_begin()                                # BackupAndRestore may restore
    initial_epoch, first step = where a restored backup resumes (else initial_epoch, 0)
    for epoch in range(initial_epoch, epochs):
        reset the metrics; model.train()                      # Dropout / BatchNorm active
        callbacks.on_epoch_begin(epoch)
        for step, (x, y, w) in enumerate(train) from the first step:
            callbacks.on_train_batch_begin(step)              # } once per steps_per_execution
            forward -> loss -> backward -> optimizer.step -> zero_grad
            (the loss and the metrics accumulate on the device: no host sync)
            callbacks.on_train_batch_end(step, running means) # } steps, as in tf.keras
            if model.stop_training: break
        if no batch came: warn and stop (a generator ran dry; no epoch of zeros)
        logs = epoch means                                    # the one sync of the epoch
        if validation this epoch:                             # model.eval(), on_test_* hooks
            logs += {'val_' + name: value} from the evaluate loop (none if it ran dry)
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training: break
    callbacks.on_train_end(logs)
    return model.history

Semantics (KERAS_FACTS 5.3-6.4): the loss of a batch is ``sum_k loss_weight_k * loss_k +
sum(model.losses)`` with each ``loss_k = sum(l * w) / N``; History holds batch-size-weighted
means of the pre-update batch values, keys in tf.keras's order (``loss``, ``<out>_loss``,
metrics, then ``val_`` versions); per-output losses are unweighted; metrics ignore sample
and class weights unless given as ``weighted_metrics``; an output's Keras mask removes the
masked steps from its loss and metrics.  An output given no target (``y`` missing its key,
or ``evaluate(x)`` without ``y``) is left out of the loss and its metrics, and logs 0, as
in tf.keras; ``fit`` without any target for a compiled loss is an error.

``compile(jit_compile=True)`` runs the train step's forward pass and loss through
``torch.compile`` (its backward is compiled with it; the optimizer step, the loss trackers and
the metrics stay eager), or eagerly, with a warning, when compiling fails; its numbers are
eager's (logits and masks ride on the traced tensors as in eager mode).  Mixed precision follows
``torchkeras.mixed_precision``'s global policy.  After ``fit`` / ``train_on_batch`` the model
is left in eval mode (calling it is inference, as in Keras); ``evaluate`` / ``predict`` put
the previous mode back.

A KeyboardInterrupt during ``fit`` propagates, as in tf.keras; ``model.history`` keeps the
epochs that finished.  ``workers`` / ``use_multiprocessing`` / ``max_queue_size`` are
accepted and ignored (batches are produced in the training thread).
"""
import contextlib
import functools
import itertools
import time
import warnings

import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras import metrics as metrics_module
from torchkeras import mixed_precision
from torchkeras.callbacks import CallbackList, ProgbarLogger
from torchkeras.legacy import warn_renamed
from torchkeras.mixed_precision import LossScaleOptimizer
from torchkeras.ops.core import to_tensor
from torchkeras.training import data as data_module
from torchkeras.training.compile import check_target_shape, compile, output_keys_of
from torchkeras.utils.generic import flatten, nest_flatten, nest_paths

__all__ = ['compile', 'fit', 'evaluate', 'predict', 'train_on_batch', 'test_on_batch',
           'predict_on_batch', 'fit_generator', 'evaluate_generator', 'predict_generator',
           'metrics_names', 'metrics']

_NOT_COMPILED = ('You must compile your model before training/testing. '
                 'Use `model.compile(optimizer, loss)`.')
_PROGBAR_INTERVAL = 0.05  # seconds: Progbar redraws at most this often


# ===================================================================== public API

def _restores_target_layout(function):
    """Each call lays its targets out afresh (StepRunner.begin_call); a call made inside
    another one (a callback evaluating during fit) puts the outer call's layout back."""
    @functools.wraps(function)
    def call(model, *args, **kwargs):
        runner = getattr(model, '_training_state', None)
        saved = None if runner is None else runner.target_layout()
        try:
            return function(model, *args, **kwargs)
        finally:
            if saved is not None:
                runner.restore_target_layout(saved)
    return call


@_restores_target_layout
def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose='auto', callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
        use_multiprocessing=False, **legacy):
    """Train ``model`` for ``epochs`` epochs; returns its History (``model.history``)."""
    epochs = _fit_legacy_kwargs(legacy, epochs)
    runner = _runner(model, require_compiled=True)
    _check_positive('epochs', epochs)
    train = runner.adapt(x, y, sample_weight, batch_size, shuffle, steps_per_epoch,
                         class_weight)
    train, val = _validation_split(runner, train, validation_split, validation_data,
                                   validation_batch_size or batch_size, validation_steps)
    # One batch stream for every epoch, as tf.keras's iterator: with steps_per_epoch an
    # epoch continues where the previous one stopped.
    train.set_epochs(epochs - initial_epoch)
    runner.prepare(train, val)
    _check_known_steps(model, train, val)
    verbose = _verbose(verbose, default=1)
    cbks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model,
                        verbose=verbose, epochs=epochs, steps=train.steps)
    model.stop_training = False
    cbks.on_train_begin()
    initial_epoch, first_step = _resume_point(model, initial_epoch)
    logs = None
    try:
        for epoch in range(initial_epoch, epochs):
            epoch_logs = _train_epoch(runner, train, cbks, epoch, first_step)
            first_step = 0
            if epoch_logs is None:  # the generator ran dry
                # tf.keras notices this only inside the next epoch and logs that epoch as
                # all zeros (History gets an extra epoch, loss 0.0, which EarlyStopping
                # and ModelCheckpoint(save_best_only) would take as the best epoch); here
                # History keeps only the epochs that trained.
                _out_of_data(logs, train, epochs)
                break
            logs = epoch_logs
            if val is not None and _should_validate(epoch, validation_freq):
                val_logs = _evaluate_loop(runner, val, cbks, allow_empty=True)
                logs.update(('val_' + name, value) for name, value in val_logs.items())
            cbks.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
            if train.out_of_data:  # tf.keras ends fit after the epoch where the data ran out
                _out_of_data(logs, train, epochs - initial_epoch)
                break
    finally:
        model.eval()  # after training, calling the model is inference, as in Keras
    cbks.on_train_end(logs)
    return model.history


@_restores_target_layout
def evaluate(model, x=None, y=None, batch_size=None, verbose='auto', sample_weight=None,
             steps=None, callbacks=None, max_queue_size=10, workers=1,
             use_multiprocessing=False, return_dict=False, **legacy):
    """Loss and metrics on the data: a float (loss only), a list in ``metrics_names``
    order, or a dict with ``return_dict=True``."""
    x, steps = _generator_legacy_kwargs('evaluate', legacy, steps, x)
    runner = _runner(model, require_compiled=True)
    data = runner.adapt(x, y, sample_weight, batch_size, False, steps)
    runner.prepare(data)
    _check_known_steps(model, data)
    verbose = _verbose(verbose, default=1)
    cbks = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                        epochs=1, steps=data.steps)
    logs = _evaluate_loop(runner, data, cbks)
    return _results(model, logs, return_dict)


@_restores_target_layout
def predict(model, x, batch_size=None, verbose='auto', steps=None, callbacks=None,
            max_queue_size=10, workers=1, use_multiprocessing=False, **legacy):
    """Model outputs as numpy: an array, a list (several outputs) or a dict (dict outputs)."""
    x, steps = _generator_legacy_kwargs('predict', legacy, steps, x)
    runner = _runner(model, require_compiled=False)
    data = runner.adapt(x, None, None, batch_size, False, steps)
    runner.prepare(data)
    _check_known_steps(model, data)
    verbose = _verbose(verbose, default=1)
    cbks = CallbackList(callbacks, add_progbar=verbose != 0, model=model, verbose=verbose,
                        epochs=1, steps=data.steps)
    with _eval_mode(model):
        chunks = _predict_loop(runner, data, cbks)
    if not chunks:
        raise ValueError('Unexpected result of `predict`: the input data is empty. Received: '
                         'x of type %s' % type(x).__name__)
    return runner.pack_outputs(_concatenate(chunks, runner.device))


@_restores_target_layout
def train_on_batch(model, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                   return_dict=False):
    """One update on one batch; the values are for this batch, before the update."""
    runner = _runner(model, require_compiled=True)
    data = runner.adapt(x, y, sample_weight, None, False, None, class_weight)
    data = data.with_batching(max(data.num_samples, 1))
    runner.prepare(data)
    if reset_metrics:
        runner.reset_metrics()
    model.train()
    try:
        for xs, ys, ws in data.epoch():
            runner.train_step(xs, ys, ws)
    finally:
        model.eval()  # as after fit
    return _results(model, runner.epoch_logs(), return_dict)


@_restores_target_layout
def test_on_batch(model, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
    """Loss and metrics of one batch (no update)."""
    runner = _runner(model, require_compiled=True)
    data = runner.adapt(x, y, sample_weight, None, False, None)
    data = data.with_batching(max(data.num_samples, 1))
    runner.prepare(data)
    if reset_metrics:
        runner.reset_metrics()
    with _eval_mode(model):
        for xs, ys, ws in data.epoch():
            runner.test_step(xs, ys, ws)
    return _results(model, runner.epoch_logs(), return_dict)


@_restores_target_layout
def predict_on_batch(model, x):
    """Predictions for one batch (all of ``x`` at once) as numpy."""
    runner = _runner(model, require_compiled=False)
    data = runner.adapt(x, None, None, None, False, None)
    data = data.with_batching(max(data.num_samples, 1))
    runner.prepare(data)
    with _eval_mode(model):
        chunks = [[_to_host(o) for o in runner.predict_step(xs)] for xs, _, _ in data.epoch()]
    return runner.pack_outputs(_concatenate(chunks, runner.device))


def fit_generator(model, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                  validation_data=None, validation_steps=None, validation_freq=1,
                  class_weight=None, max_queue_size=10, workers=1, use_multiprocessing=False,
                  shuffle=True, initial_epoch=0, **legacy):
    """Keras 1/2 ``fit_generator`` (``samples_per_epoch``, ``nb_epoch``, ``nb_val_samples``,
    ``nb_worker``, ``pickle_safe``, ``max_q_size`` accepted) -> ``fit``."""
    samples = _take_legacy(legacy, 'fit_generator', 'samples_per_epoch', 'steps_per_epoch')
    val_samples = _take_legacy(legacy, 'fit_generator', 'nb_val_samples', 'validation_steps')
    epochs = _take_legacy(legacy, 'fit_generator', 'nb_epoch', 'epochs', epochs)
    _drop_worker_kwargs('fit_generator', legacy)
    if legacy:
        raise TypeError('fit_generator() got unexpected keyword arguments: %s' % sorted(legacy))
    if samples is not None:
        generator = _SamplesPerEpoch(generator, samples)
    if val_samples is not None and validation_data is not None and \
            data_module.is_iterable_source(validation_data):
        validation_data = _SamplesPerEpoch(validation_data, val_samples)
    return fit(model, generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
               callbacks=callbacks, validation_data=validation_data,
               validation_steps=validation_steps, validation_freq=validation_freq,
               class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch)


def evaluate_generator(model, generator, steps=None, callbacks=None, max_queue_size=10,
                       workers=1, use_multiprocessing=False, verbose=0, **legacy):
    """Keras 1/2 ``evaluate_generator`` (``val_samples`` accepted) -> ``evaluate``."""
    return evaluate(model, generator, steps=steps, callbacks=callbacks, verbose=verbose, **legacy)


def predict_generator(model, generator, steps=None, callbacks=None, max_queue_size=10,
                      workers=1, use_multiprocessing=False, verbose=0, **legacy):
    """Keras 1/2 ``predict_generator`` (``val_samples`` accepted) -> ``predict``."""
    return predict(model, generator, steps=steps, callbacks=callbacks, verbose=verbose, **legacy)


def metrics_names(model):
    """'loss', the per-output losses, then the metrics, as History and evaluate() name them;
    [] until the model has trained or evaluated on a batch, as in tf.keras."""
    return [metric.name for metric in metrics(model)]


def metrics(model):
    """The loss trackers and metric objects (after the first batch, as in tf.keras)."""
    runner = getattr(model, '_training_state', None)
    if runner is None or not runner.ready:
        return []
    return [tracker for _, tracker in runner.trackers] + \
        [entry[2] for entry in runner.config.metric_entries]


# ======================================================================== loops

def _train_epoch(runner, data, cbks, epoch, first_step=0):
    """One epoch of training steps from ``first_step``; returns the epoch logs (None: no
    batch came)."""
    model = runner.model
    runner.reset_metrics()
    model.train()
    cbks.on_epoch_begin(epoch)
    batch_logs = _BatchLogs(cbks, 'train', runner)
    groups = _Executions(model, data, first_step)
    step = -1
    batches = enumerate(data.epoch())
    if first_step:  # resumed in the middle of this epoch: skip the batches already trained
        batches = itertools.islice(batches, first_step, None)
    for step, (xs, ys, ws) in batches:
        if groups.begins(step):
            cbks.on_train_batch_begin(step)
        runner.train_step(xs, ys, ws)
        if groups.ends(step):
            cbks.on_train_batch_end(step, batch_logs.logs())
            if model.stop_training:
                break
    data.on_epoch_end()
    return None if step < 0 else runner.epoch_logs()


def _evaluate_loop(runner, data, cbks, allow_empty=False):
    """One pass of test steps (evaluate, or validation inside fit); returns the logs.

    ``allow_empty``: validation data that ran dry (a finite generator without
    ``validation_steps``, used up by an earlier epoch) gives no logs and a warning, and
    training goes on, as in tf.keras; ``evaluate`` on no data is an error.
    """
    runner.reset_metrics()
    cbks.on_test_begin()
    batch_logs = _BatchLogs(cbks, 'test', runner)
    groups = _Executions(runner.model, data)
    step = -1
    with _eval_mode(runner.model):
        for step, (xs, ys, ws) in enumerate(data.epoch()):
            if groups.begins(step):
                cbks.on_test_batch_begin(step)
            runner.test_step(xs, ys, ws)
            if groups.ends(step):
                cbks.on_test_batch_end(step, batch_logs.logs())
    data.on_epoch_end()
    if step < 0 and not allow_empty:
        raise ValueError('Expected input data to evaluate to be non-empty: no batch came from '
                         'the data (steps=%s).' % (data.steps,))
    if step < 0:
        warnings.warn('The validation data ran out of data: no validation this epoch (its '
                      'logs have no val_ entries). Pass `validation_steps`, or data that '
                      'can be read again every epoch (arrays, a Sequence, a DataLoader).',
                      stacklevel=4)
    logs = runner.epoch_logs() if step >= 0 else {}
    cbks.on_test_end(logs)
    return logs


def _predict_loop(runner, data, cbks):
    """One pass of predict steps; returns per batch the outputs queued to the host."""
    cbks.on_predict_begin()
    batch_logs = _BatchLogs(cbks, 'predict', runner)
    groups = _Executions(runner.model, data)
    chunks, group = [], []
    for step, (xs, _, _) in enumerate(data.epoch()):
        if groups.begins(step):
            cbks.on_predict_batch_begin(step)
        outputs = runner.predict_step(xs)
        chunks.append([_to_host(o) for o in outputs])
        if groups.size > 1 and batch_logs.needed:
            group.append(outputs)  # the hook sees the outputs of the whole group
        if groups.ends(step):
            if group:
                outputs, group = [torch.cat(column) for column in zip(*group)], []
            cbks.on_predict_batch_end(step, batch_logs.outputs(outputs))
    data.on_epoch_end()
    cbks.on_predict_end()
    return chunks


class _Executions:
    """tf.keras's ``steps_per_execution`` as callbacks see it: the batch hooks come once
    per group of ``size`` steps, ``begin`` with the group's first step and ``end`` with its
    last (the last group is shorter when the steps run out), so callbacks, the progress
    bar and ``stop_training`` act between groups.  The steps themselves still run one by
    one: torch has no multi-step graph to gain from."""

    def __init__(self, model, data, first_step=0):
        self.size = _execution_size(model)
        self.steps = data.steps
        self.first = first_step

    def begins(self, step):
        return (step - self.first) % self.size == 0

    def ends(self, step):
        return (step - self.first + 1) % self.size == 0 or step + 1 == self.steps


@contextlib.contextmanager
def _eval_mode(model):
    """Inference mode (Dropout off, BatchNorm moving statistics), then the previous mode
    back: a callback may evaluate or predict in the middle of fit."""
    previous = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(previous)


class _BatchLogs:
    """The logs handed to batch hooks, computed only when someone reads them.

    When the only batch-hook user is the progress bar, the running means are recomputed at
    most once per redraw interval: the bar cannot show them more often, and this keeps
    result kernels out of most steps.  Any other callback gets fresh logs every batch.
    """

    def __init__(self, cbks, mode, runner):
        users = [cb for cb in cbks.callbacks if getattr(cb, '_implements_%s_batch_hooks' % mode)()]
        self.needed = bool(users)
        self.every_step = any(not isinstance(cb, ProgbarLogger) for cb in users)
        self.runner = runner
        self._last, self._time = None, 0.0

    def logs(self):
        if not self.needed:
            return None
        if self.every_step:
            return self.runner.logs()
        now = time.monotonic()
        if self._last is None or now - self._time >= _PROGBAR_INTERVAL:
            self._last, self._time = self.runner.logs(), now
        return self._last

    def outputs(self, outputs):
        if not self.needed:
            return None
        return {'outputs': outputs[0] if len(outputs) == 1 else outputs}


def _resume_point(model, initial_epoch):
    """(first epoch, first step) of fit: BackupAndRestore's ``on_train_begin`` leaves where an
    interrupted fit stopped on the model (tf.keras's _maybe_load_initial_counters_from_ckpt)."""
    resume = getattr(model, '_resume_from', None)
    if resume is None:
        return initial_epoch, 0
    del model._resume_from  # read once: a later fit without the callback starts as asked
    return resume


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _out_of_data(logs, data, epochs):
    if logs is None:
        raise ValueError('Unexpected result of `train_function` (Empty logs): the training data '
                         'produced no batch. Check that the generator or dataset is not empty.')
    data_module.warn_out_of_data(None if data.steps is None else data.steps * epochs)


def _results(model, logs, return_dict):
    """evaluate / *_on_batch return values: float, list in metrics_names order, or dict."""
    if return_dict:
        return dict(logs)
    values = [logs[name] for name in metrics_names(model) if name in logs]
    return values[0] if len(values) == 1 else values


def _verbose(verbose, default):
    # tf.keras's 'auto' is 1 except under ParameterServerStrategy or with interactive
    # logging turned off (then 2); torchkeras has neither.
    return default if verbose == 'auto' else verbose


def _check_positive(name, value):
    if value <= 0:
        raise ValueError('Expected %s to be positive. Received: %s=%r' % (name, name, value))


def _execution_size(model):
    return getattr(model, '_steps_per_execution', None) or 1


def _check_known_steps(model, *adapters):
    """tf.keras needs the number of steps to group them for steps_per_execution > 1."""
    if _execution_size(model) == 1:
        return
    if any(a is not None and a.steps is None for a in adapters):
        raise ValueError('Could not infer the size of the data. With `steps_per_execution > '
                         '1`, you must specify the number of steps to run. Received: '
                         'steps_per_execution=%d' % model._steps_per_execution)


def _to_host(tensor):
    # Device -> host copies are queued without waiting; one sync at the end of predict.
    if tensor.device.type == 'cuda':
        return tensor.detach().to('cpu', non_blocking=True)
    return tensor.detach()


def _concatenate(chunks, device):
    if device is not None and device.type == 'cuda':
        torch.cuda.synchronize(device)
    columns = list(zip(*chunks))
    arrays = [torch.cat(column) if len(column) > 1 else column[0] for column in columns]
    # numpy has no bfloat16: mixed_bfloat16 predictions come back as float32.
    return [(a.float() if a.dtype == torch.bfloat16 else a).numpy() for a in arrays]


# ================================================================ argument handling

def _fit_legacy_kwargs(legacy, epochs):
    """Keras 1's ``fit(nb_epoch=...)``; anything else unknown is an error."""
    if 'nb_epoch' in legacy:
        warn_renamed('fit', 'nb_epoch', 'epochs')
        epochs = legacy.pop('nb_epoch')
    if legacy:
        raise TypeError('fit() got unexpected keyword arguments: %s' % sorted(legacy))
    return epochs


def _take_legacy(legacy, owner, old, new, default=None):
    if old not in legacy:
        return default
    warn_renamed(owner, old, new)
    return legacy.pop(old)


def _drop_worker_kwargs(owner, legacy):
    for old, new in (('nb_worker', 'workers'), ('pickle_safe', 'use_multiprocessing'),
                     ('max_q_size', 'max_queue_size')):
        _take_legacy(legacy, owner, old, new)


def _generator_legacy_kwargs(owner, legacy, steps, x):
    """Keras 1's ``val_samples`` (a number of samples) for evaluate / predict generators."""
    samples = _take_legacy(legacy, owner + '_generator', 'val_samples', 'steps')
    _drop_worker_kwargs(owner, legacy)
    if legacy:
        raise TypeError('%s() got unexpected keyword arguments: %s' % (owner, sorted(legacy)))
    if samples is not None and data_module.is_iterable_source(x):
        x = _SamplesPerEpoch(x, samples)
    return x, steps


class _SamplesPerEpoch:
    """Keras 1 generators counted in samples: batches until ``samples`` have been seen."""

    def __init__(self, source, samples):
        self.source = source
        self.samples = int(samples)
        self._iterator = iter(source) if not hasattr(source, '__next__') else source
        self._seen = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._seen >= self.samples:
            self._seen = 0
            raise StopIteration
        batch = next(self._iterator)
        x, _, _ = data_module.unpack_x_y_sample_weight(batch)
        self._seen += len(flatten(x)[0])
        return batch


def _validation_split(runner, train, validation_split, validation_data, batch_size, steps):
    """(train, validation adapter or None); validation_data wins over validation_split."""
    if validation_data is not None:
        if data_module.is_iterable_source(validation_data):
            return train, runner.adapt(validation_data, None, None, batch_size, False, steps)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError('`validation_data` should be a tuple `(x_val, y_val)` or '
                             '`(x_val, y_val, val_sample_weights)`, or a generator / Sequence / '
                             'DataLoader. Received: validation_data of type %s'
                             % type(validation_data).__name__)
        vx, vy, vw = data_module.unpack_x_y_sample_weight(tuple(validation_data))
        return train, runner.adapt(vx, vy, vw, batch_size, False, steps)
    if validation_split and 0.0 < validation_split < 1.0:
        train_part, val_part = train.split(validation_split)
        # No validation batch size given: tf.keras's default 32, not the training one
        # (which steps_per_epoch may have derived from the data size).
        return train_part, val_part.with_batching(batch_size, False, steps)
    if validation_split:
        raise ValueError('`validation_split` must be a float between 0 and 1. Received: '
                         'validation_split=%r' % (validation_split,))
    return train, None


def default_step(method):
    """Mark Model's own train_step / test_step: a subclass that defines another one is
    trained through it (``fit`` calls ``model.train_step(data)``, Keras 3's contract)."""
    method.keras_default_step = True
    return method


def _overrides(model, name):
    method = getattr(type(model), name, None)
    return method is not None and not getattr(method, 'keras_default_step', False)


def pack_data(xs, ys, ws):
    """One batch as Keras 3 hands it to ``train_step``: ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``; a single input or output is the tensor itself."""
    def single(values):
        values = [v for v in values] if values is not None else []
        if not values or all(v is None for v in values):
            return None
        return values[0] if len(values) == 1 else values
    x, y, w = single(xs), single(ys), single(ws)
    if y is None:
        return x if not isinstance(x, (list, tuple)) else (x,)
    return (x, y) if w is None else (x, y, w)


def unpack_data(data):
    """``data`` of Keras 3's train_step -> (inputs list, targets list, weights list)."""
    if isinstance(data, tuple) and 1 <= len(data) <= 3:
        x, y, w = (list(data) + [None, None])[:3]
    else:
        x, y, w = data, None, None

    return _as_list(x), _as_list(y), _as_list(w)


def _as_list(value, count=1):
    """A list or tuple as a list; a single value as a list of ``count`` (None after it)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] + [None] * (count - 1)


def default_train_step(model, data):
    """Model.train_step: the compiled step on Keras 3's ``data``; returns the logs."""
    runner = _runner(model, require_compiled=True)
    runner.compiled_train_step(*unpack_data(data))
    return runner.logs()


def default_test_step(model, data):
    runner = _runner(model, require_compiled=True)
    runner.compiled_test_step(*unpack_data(data))
    return runner.logs()


def compute_loss(model, x=None, y=None, y_pred=None, sample_weight=None):
    return _runner(model, require_compiled=True).compute_loss(x, y, y_pred, sample_weight)


def _runner(model, require_compiled):
    config = getattr(model, '_compile_config', None)
    if require_compiled and config is None:
        raise RuntimeError(_NOT_COMPILED)
    runner = getattr(model, '_training_state', None)
    if runner is None or runner.config is not config:
        runner = StepRunner(model, config)
        model._training_state = runner
    runner.begin_call()
    return runner


# =================================================================== the steps

class _BatchMean(metrics_module.Metric):
    """Batch-size-weighted mean of per-batch values (the 'loss' trackers).

    The count is a Python number (batch sizes are known on the host), so an update is one
    in-place kernel and a result one division.
    """

    def __init__(self, name):
        super().__init__(name=name)
        self.add_weight('total')
        self._seen = 0

    def add(self, value, batch_size):
        # The state was placed on the training device beforehand: no device check per step.
        self.total.add_(value.detach(), alpha=batch_size)
        self._seen += batch_size

    def update_state(self, values, sample_weight=None):
        values = torch.as_tensor(values, dtype=torch.float32)
        self._place_states(values.device)
        self.add(values.mean(), 1 if sample_weight is None else float(sample_weight))

    def result(self):
        return self.total / max(self._seen, 1)

    def reset_state(self):
        self.total.zero_()
        self._seen = 0


class _ScalerTarget:
    """What ``GradScaler.step`` needs from an optimizer: the param groups and ``step()``."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    @property
    def param_groups(self):
        return self.optimizer.torch_optimizer.param_groups

    def step(self, *args, **kwargs):
        return self.optimizer.step()


class StepRunner:
    """The per-batch math of one compiled model: train / test / predict steps.

    Built once per compile (``model._training_state``); ``prepare`` is called at the start
    of every fit / evaluate / predict (device, data, per-model flags), and the first batch
    finishes the setup that needs real tensors (deferred build, metric resolution, target
    checks, optimizer slots).
    """

    def __init__(self, model, config):
        self.model = model
        self.config = config
        self.device = None
        self.ready = False             # metrics resolved, trackers created
        self._optimizer_ready = False
        self.trackers = []             # [(log name, _BatchMean)]
        self.loss_specs = []           # OutputSpecs that have a loss
        self._forward = None
        self._structure = None         # how predict packs the outputs
        self._metric_entries = None
        self._metric_updates = None    # [(output index, Metric, weighted, match rank)]
        self._single_loss = None
        self._forward_loss = self._eager_forward_loss  # compiled by jit_compile=True
        self._jit = False
        self._scaler = None
        self._target_keys = None       # see io()
        self._target_order = None      # see _order_targets()
        # Keras 3 subclassing: a model class that writes its own train_step / test_step
        self._own_steps = {kind: _overrides(model, kind) for kind in ('train_step', 'test_step')}
        self._own_logs = None          # the dict the model's own step returned last

    # --------------------------------------------------------------- preparation
    def begin_call(self):
        """A new fit / evaluate / predict / *_on_batch: its data is laid out afresh."""
        self._target_keys = None
        self._target_order = None

    def target_layout(self):
        return self._target_keys, self._target_order

    def restore_target_layout(self, layout):
        self._target_keys, self._target_order = layout

    def io(self, y=None, sample_weight=None):
        """What the data side needs: input names / dtypes, output keys, sparse targets."""
        model, config = self.model, self.config
        input_names = model._input_keys() if _has_graph(model) else None
        inputs = getattr(model, 'inputs', None) if _has_graph(model) else None
        output_keys = output_keys_of(model)
        sparse = None
        if config is not None and config.conformed:
            output_keys = [spec.key for spec in config.outputs]
            sparse = [spec.fused == 'sparse_ce' or spec.sparse_targets for spec in config.outputs]
        if output_keys is None:
            output_keys = self._keys_before_outputs(y, sample_weight)
        return data_module.ModelIO(input_names or None,
                                   [t.torch_dtype for t in inputs] if inputs else None,
                                   output_keys, sparse)

    def _keys_before_outputs(self, y, sample_weight):
        """A subclassed model's outputs are known only after its first call, but a ``y`` /
        ``sample_weight`` dict must be laid out before: in tf.nest's order (sorted keys,
        the order of a returned dict's outputs).  ``_order_targets`` matches this layout
        with the outputs at the first step; one layout serves the whole call."""
        if self._target_keys is None:
            keys = [k for value in (y, sample_weight) if isinstance(value, dict) for k in value]
            self._target_keys = sorted(set(keys)) or None
        return self._target_keys

    def adapt(self, x, y, sample_weight, batch_size, shuffle, steps, class_weight=None):
        return data_module.adapt(x, y, sample_weight, self.io(y, sample_weight), batch_size,
                                 shuffle, steps, class_weight)

    def prepare(self, *adapters):
        """Once per call: the device, the model on it, the data on it, static checks."""
        model = self.model
        self.device = _model_device(model)
        _move_model(model, self.device)
        for adapter in adapters:
            if adapter is not None:
                _check_inputs(model, adapter)
                if self.config is not None:
                    _check_targets(model, self.config, adapter)
                adapter.to_device(self.device)
        self._refresh_model_info()
        self._choose_step_function()
        for _, tracker in self.trackers:
            tracker._place_states(self.device)
        policy = self.config.policy if self.config is not None else _global_policy()
        self._amp = _autocast(policy, self.device)
        if self.config is not None and self._scaler is None:
            self._make_scaler(policy)

    def _make_scaler(self, policy):
        """Loss scaling for a LossScaleOptimizer, or under 'mixed_float16' (tf.keras wraps the
        optimizer in one with its defaults: scale 2**15, doubled every 2000 finite steps).
        One scaler per compile, so its scale carries over from one fit to the next."""
        wrapper = self.config.loss_scale_optimizer
        if wrapper is None and policy.uses_loss_scaling:
            wrapper = self.config.loss_scale_optimizer = LossScaleOptimizer(self.config.optimizer)
        if wrapper is not None:
            self._scaler = wrapper.make_scaler(self.device.type)
            self._scaler_target = _ScalerTarget(self.config.optimizer)

    def _refresh_model_info(self):
        """Which per-step extras this model needs, decided once (no checks per step)."""
        model = self.model
        layers = list(model._flatten_layers())
        weights = [w for layer in layers for w in layer._own_weights]
        self._has_constraints = any(w.constraint is not None for w in weights)
        self._penalized = [w for w in weights if w.regularizer is not None]
        # Layers that may add losses during the forward pass: activity regularizers, and
        # user-written layers (their call() may use add_loss).
        self._loss_layers = [layer for layer in layers
                             if layer.activity_regularizer is not None
                             or not type(layer).__module__.startswith('torchkeras.')]
        model._clear_activity_losses()
        if self.ready:
            self._choose_loss_path()
        if _has_graph(model) or not _is_unbuilt_sequential(model):
            self._forward = _make_forward(model, self)

    def _first_batch_setup(self, xs):
        """Before the first forward: finish a deferred Sequential build on the device."""
        model = self.model
        if _is_unbuilt_sequential(model):
            model._ensure_built(xs[0] if len(xs) == 1 else xs)
            _move_model(model, self.device)
            self._refresh_model_info()
        if self._forward is None:
            self._forward = _make_forward(model, self)

    def _first_outputs(self, outputs, ys, ws):
        """After the first forward: outputs known -> conform, check targets, make metrics.
        Returns the targets and weights in output order."""
        config = self.config
        if not config.conformed:
            names = _pseudo_output_names(self._structure, len(outputs))
            config.conform(names, names)
        if len(outputs) != len(config.outputs):
            raise ValueError('The model returned %d outputs but was compiled for %d outputs %s.'
                             % (len(outputs), len(config.outputs),
                                [spec.name for spec in config.outputs]))
        ys, ws = self._order_targets(ys, ws)
        for spec in config.outputs:
            y = ys[spec.index]
            check_target_shape(spec.name, spec.loss, None if y is None else y.shape,
                               outputs[spec.index].shape)
        if config.metric_entries is None:
            config.resolve_metrics([None if y is None else tuple(y.shape) for y in ys],
                                   [tuple(o.shape) for o in outputs])
        self.loss_specs = [spec for spec in config.outputs if spec.loss is not None]
        self.trackers = [('loss', _BatchMean('loss'))]
        if config.multi_output:
            self.trackers += [('%s_loss' % s.name, _BatchMean('%s_loss' % s.name))
                              for s in self.loss_specs]
        for _, tracker in self.trackers:
            tracker._place_states(self.device)
        self._metric_entries = config.metric_entries
        # torchmetrics metrics take the targets as given ((N,) class ids for a multiclass
        # Accuracy); Keras metrics see (N,) targets of an (N, C) output as (N, 1).
        self._metric_updates = [
            (k, metric, weighted, not isinstance(metric, metrics_module.TorchMetricWrapper))
            for _, k, metric, weighted in self._metric_entries]
        self.ready = True
        self._choose_loss_path()
        return ys, ws

    def _order_targets(self, ys, ws):
        """The targets in output order.  Only those laid out before the outputs were known
        (by the keys of a ``y`` dict, see io(), or ``y=None`` for several outputs) need
        it; the order is found at the first step of the call."""
        if self._target_keys is None and len(ys) == len(self.config.outputs):
            return ys, ws
        if self._target_order is None:
            self._target_order = _target_order(self._target_keys, ys,
                                               [spec.key for spec in self.config.outputs])
        order = self._target_order
        return ([None if i is None else ys[i] for i in order],
                [None if i is None else ws[i] for i in order])

    def _choose_step_function(self):
        """The train step compiled by jit_compile=True, unless run_eagerly; both are
        settable model attributes, so this is decided again at every call."""
        jit = bool(getattr(self.model, '_jit_compile', None)) and \
            not getattr(self.model, '_run_eagerly', None)
        if jit != self._jit:
            self._jit = jit
            self._forward_loss = _compiled(self._eager_forward_loss) if jit \
                else self._eager_forward_loss

    def _require_targets(self, ys):
        """fit / train_on_batch without any target for the compiled losses: tf.keras's error
        (evaluate(x) alone is allowed and reports the losses as 0)."""
        if self.loss_specs and all(ys[spec.index] is None for spec in self.loss_specs):
            raise ValueError('Target data is missing. Your model was compiled with loss=%r, '
                             'and therefore expects target data to be provided in `fit()`.'
                             % (self.config.raw['loss'],))

    def _choose_loss_path(self):
        only = self.loss_specs[0] if len(self.loss_specs) == 1 else None
        plain = only is not None and only.loss_weight == 1.0 and \
            not self.config.multi_output and not self._penalized and not self._loss_layers
        self._single_loss = only if plain else None

    def _build_optimizer(self):
        optimizer = self.config.optimizer
        optimizer.build(list(self.model.parameters()))
        optimizer.zero_grad(set_to_none=True)
        self._optimizer_ready = True

    # ---------------------------------------------------------------- the steps
    def train_step(self, xs, ys, ws):
        """forward -> loss -> backward -> optimizer step -> zero_grad; metrics on device
        (or the model's own ``train_step(data)``, Keras 3's subclassing contract)."""
        if self._own_steps['train_step']:
            return self._own_step('train_step', xs, ys, ws)
        return self.compiled_train_step(xs, ys, ws)

    def compiled_train_step(self, xs, ys, ws):
        if not self._optimizer_ready:
            return self._first_train_step(xs, ys, ws)
        ys, ws = self._order_targets(ys, ws)
        self._require_targets(ys)
        outputs, masks, total, per_output = self._forward_loss(xs, ys, ws)
        self._apply_gradients(total)
        self._track(total, per_output, xs[0].shape[0])
        self._update_metrics(outputs, masks, ys, ws)

    def _eager_forward_loss(self, xs, ys, ws):
        """The part jit_compile=True compiles (and so, through AOTAutograd, its backward).
        The optimizer step and the trackers stay eager: they keep Python counters
        (iterations, seen samples) that a compiled graph would freeze as constants."""
        with self._amp:
            outputs, masks = self._forward(xs)
            total, per_output = self._losses(outputs, masks, ys, ws)
        return outputs, masks, total, per_output

    def _first_train_step(self, xs, ys, ws):
        self._first_batch_setup(xs)
        with self._amp:
            outputs, masks = self._forward(xs)
        if not self.ready:
            ys, ws = self._first_outputs(outputs, ys, ws)
        else:
            ys, ws = self._order_targets(ys, ws)
        self._require_targets(ys)
        self._build_optimizer()
        with self._amp:
            total, per_output = self._losses(outputs, masks, ys, ws)
        self._apply_gradients(total)
        self._track(total, per_output, xs[0].shape[0])
        self._update_metrics(outputs, masks, ys, ws)

    def test_step(self, xs, ys, ws):
        """forward -> loss; loss and metrics accumulate (no update)."""
        if self._own_steps['test_step']:
            return self._own_step('test_step', xs, ys, ws)
        return self.compiled_test_step(xs, ys, ws)

    def compiled_test_step(self, xs, ys, ws):
        if not self.ready:
            self._first_batch_setup(xs)
        with torch.no_grad(), self._amp:
            outputs, masks = self._forward(xs)
            if not self.ready:
                ys, ws = self._first_outputs(outputs, ys, ws)
            else:
                ys, ws = self._order_targets(ys, ws)
            total, per_output = self._losses(outputs, masks, ys, ws)
        self._track(total, per_output, xs[0].shape[0])
        self._update_metrics(outputs, masks, ys, ws)

    def predict_step(self, xs):
        """The model outputs (flat list) for one batch, without gradients."""
        if self._forward is None or _is_unbuilt_sequential(self.model):
            self._first_batch_setup(xs)
        with torch.no_grad(), self._amp:
            outputs, _ = self._forward(xs)
        return outputs

    def _own_step(self, name, xs, ys, ws):
        """The model's own step on Keras 3's ``data``; its returned dict is the logs."""
        if self._forward is None:
            self._first_batch_setup(xs)
        logs = getattr(self.model, name)(pack_data(xs, ys, ws))
        if not isinstance(logs, dict):
            raise TypeError('%s.%s(data) must return a dict of logs (metric name -> value), '
                            'as in Keras. Received: %s' % (type(self.model).__name__, name,
                                                           type(logs).__name__))
        self._own_logs = logs

    def compute_loss(self, x, y, y_pred, sample_weight):
        """Keras 3's ``Model.compute_loss``: the compiled losses (each output's loss times
        its weight) plus ``model.losses``, on outputs the caller computed."""
        outputs = [t for t in flatten(y_pred)]
        ys, ws = _as_list(y, len(outputs)), _as_list(sample_weight, len(outputs))
        ys = [None if t is None else to_tensor(t, device=self.device) for t in ys]
        ws = [None if t is None else to_tensor(t, device=self.device) for t in ws]
        masks = [getattr(t, '_keras_mask', None) for t in outputs]
        if not self.ready:
            ys, ws = self._first_outputs(outputs, ys, ws)
        else:
            ys, ws = self._order_targets(ys, ws)
        total, _ = self._losses(outputs, masks, ys, ws)
        return total

    # --------------------------------------------------------------- pieces
    def _losses(self, outputs, masks, ys, ws):
        """(total, per-output unweighted losses): sum_k w_k * loss_k + sum(model.losses).

        An output without a target is left out and its per-output loss is None (not
        tracked: it logs 0), as tf.keras's LossesContainer skips it.
        """
        single = self._single_loss
        if single is not None:  # one output, weight 1, no penalties: the loss itself
            k = single.index
            if ys[k] is None:  # evaluate(x) without y (fit raised before)
                return outputs[k].new_zeros((), dtype=torch.float32), ()
            return _loss_value(single, ys[k], outputs[k], ws[k], masks[k]), ()
        total, per_output = None, []
        for spec in self.loss_specs:
            k = spec.index
            if ys[k] is None:
                per_output.append(None)
                continue
            value = _loss_value(spec, ys[k], outputs[k], ws[k], masks[k])
            per_output.append(value)
            term = value if spec.loss_weight == 1.0 else value * spec.loss_weight
            total = term if total is None else total + term
        extra = self._extra_losses()
        if extra:
            penalty = sum(term.sum() for term in extra)
            total = penalty if total is None else total + penalty
        if total is None and not self.loss_specs:
            raise ValueError('No loss to optimize: compile the model with a `loss` (or add '
                             'losses with `add_loss`).')
        if total is None:  # no target for any output (evaluate): tf.keras reports 0
            total = outputs[0].new_zeros((), dtype=torch.float32)
        return total, per_output

    def _extra_losses(self):
        """Weight regularization terms and losses added during the forward pass."""
        if not self._penalized and not self._loss_layers:
            return None
        terms = [w.regularizer(w.value) for w in self._penalized if w.trainable]
        for layer in self._loss_layers:
            if layer._activity_losses:
                terms.extend(layer._activity_losses)
                layer._activity_losses = []
        return terms

    def _apply_gradients(self, total):
        optimizer = self.config.optimizer
        if self._scaler is None:
            total.backward()
            optimizer.step()
        else:
            self._scaler.scale(total).backward()
            self._scaler.step(self._scaler_target)
            self._scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if self._has_constraints:
            self.model.apply_constraints()

    def _track(self, total, per_output, batch_size):
        trackers = self.trackers
        trackers[0][1].add(total, batch_size)
        for (_, tracker), value in zip(trackers[1:], per_output):
            if value is not None:
                tracker.add(value, batch_size)

    def _update_metrics(self, outputs, masks, ys, ws):
        if not self._metric_updates:
            return
        with torch.no_grad():
            for k, metric, weighted, match_rank in self._metric_updates:
                if ys[k] is None:
                    continue  # no target: the metric is not updated (tf.keras)
                weights = ws[k] if weighted else None
                if masks[k] is not None:
                    mask = masks[k].to(torch.float32)
                    weights = mask if weights is None else _broadcast_product(weights, mask)
                y = _match_target_rank(ys[k], outputs[k]) if match_rank else ys[k]
                metric.update_state(y, outputs[k], sample_weight=weights)

    # ------------------------------------------------------------------ logs
    def reset_metrics(self):
        for _, tracker in self.trackers:
            tracker.reset_state()
        for _, _, metric, _ in self._metric_entries or ():
            metric.reset_state()
        self._own_logs = None
        if any(self._own_steps.values()):  # Keras 3 resets model.metrics every epoch
            for metric in self.model.metrics:
                metric.reset_state()

    def logs(self):
        """Running means as 0-d tensors (no sync), in History order."""
        if self._own_logs is not None:
            return dict(self._own_logs)
        logs = {name: tracker.result() for name, tracker in self.trackers}
        for name, _, metric, _ in self._metric_entries or ():
            logs[name] = metric.result()
        return logs

    def epoch_logs(self):
        """The running means as Python numbers (one read of the device)."""
        return {name: _to_python(value) for name, value in self.logs().items()}

    def pack_outputs(self, arrays):
        """Predictions as tf.keras returns them: one array for a single output (even given
        as a one-element list), a dict for dict outputs (in the model's key order), else a
        list."""
        if _has_graph(self.model):
            nested = self.model._nested_outputs
            keys = output_keys_of(self.model)
        else:
            nested = self._structure
            keys = sorted(nested) if isinstance(nested, dict) else None  # tf.nest order
        if isinstance(nested, dict) and keys is not None and len(keys) == len(arrays):
            by_key = dict(zip(keys, arrays))
            return {key: by_key[key] for key in nested}
        return arrays[0] if len(arrays) == 1 else arrays


# ------------------------------------------------------------------ step helpers

def _loss_value(spec, y, output, weights, mask):
    """One output's reduced loss; the fused kernel when the output carries its logits."""
    if spec.fused is not None and weights is None and mask is None:
        logits = getattr(output, '_keras_logits', None)
        if logits is not None and getattr(output, '_keras_logits_kind', None) == spec.fused_logits:
            return _fused_loss(spec.fused, logits, y)
    if mask is not None:
        output._keras_mask = mask  # losses.Loss honours y_pred._keras_mask
    return spec.loss(y, output, weights)


def _fused_loss(kind, logits, y):
    """Keras's cross-entropy from logits with sum_over_batch_size, as one torch kernel.

    sparse: -log_softmax[y]; categorical: -sum(y * log_softmax); binary: BCE with logits,
    each averaged over every element (the per-sample mean over the last axis, then / N).
    """
    if kind == 'sparse_ce':
        target = y if y.dim() == logits.dim() - 1 else y.reshape(logits.shape[:-1])
        if target.dtype != torch.int64:
            target = target.long()
        if logits.dim() > 2:
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
        return F.cross_entropy(logits, target)
    if y.dtype != logits.dtype:
        y = y.to(logits.dtype)
    if kind == 'categorical_ce':
        if logits.dim() > 2:
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   y.reshape(-1, logits.shape[-1]))
        return F.cross_entropy(logits, y)
    if y.shape != logits.shape:
        y = y.reshape(logits.shape)
    return F.binary_cross_entropy_with_logits(logits, y)


def _match_target_rank(y, output):
    """(N,) targets of an (N, C) output become (N, 1), as tf.keras's compiled metrics
    see them (``compile_utils.match_dtype_and_rank``): 'mse' on sparse labels broadcasts."""
    if y is not None and y.dim() == 1 and output.dim() == 2:
        return y.unsqueeze(-1)
    return y


def _broadcast_product(weights, mask):
    while weights.dim() < mask.dim():
        weights = weights.unsqueeze(-1)
    return weights * mask


def _to_python(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.item() if value.dim() == 0 else value.numpy()
    return value


def _compiled(step):
    """torch.compile the train step; on failure warn and keep the eager step."""
    try:
        compiled = torch.compile(step, dynamic=False)
    except Exception as error:  # noqa: BLE001 - any backend failure means eager
        warnings.warn('jit_compile=True: torch.compile is unavailable (%s); training eagerly.'
                      % error, stacklevel=4)
        return step
    state = {'fn': compiled, 'tried': False}

    def run(xs, ys, ws):
        if state['tried']:
            return state['fn'](xs, ys, ws)
        state['tried'] = True
        try:
            return compiled(xs, ys, ws)
        except Exception as error:  # noqa: BLE001
            warnings.warn('jit_compile=True: torch.compile failed (%s: %s); training eagerly.'
                          % (type(error).__name__, str(error).split('\n')[0]), stacklevel=4)
            state['fn'] = step
            return step(xs, ys, ws)
    return run


def _autocast(policy, device):
    dtype = policy.autocast_dtype
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _global_policy():
    return mixed_precision.global_policy()


# ------------------------------------------------------------------- model helpers

def _has_graph(model):
    return getattr(model, '_execution', None) is not None and \
        hasattr(model, '_run_graph')


def _is_unbuilt_sequential(model):
    return getattr(model, '_is_sequential', False) and model._input is None


def _make_forward(model, runner):
    """xs (list in input order) -> (flat outputs, their Keras masks)."""
    if _has_graph(model):
        run_graph = model._run_graph

        def forward(xs):
            outputs, masks = run_graph(xs)
            if isinstance(outputs, torch.Tensor):
                return [outputs], masks
            return nest_flatten(outputs), masks  # model.outputs order (dict keys sorted)
        return forward

    def forward(xs):
        outputs = model(xs[0] if len(xs) == 1 else list(xs))
        if runner._structure is None:
            runner._structure = outputs
        flat = nest_flatten(outputs)  # tf.keras's order for a subclassed model's outputs
        return flat, [getattr(o, '_keras_mask', None) for o in flat]
    return forward


def _pseudo_output_names(structure, count):
    """tf.keras's names for outputs without layer names (compile_utils
    create_pseudo_output_names): a dict's keys ('cls'), else 'output_1', 'output_2', ..."""
    if structure is None:
        return ['output_%d' % (k + 1) for k in range(count)]
    names = []
    for path, _ in nest_paths(structure):
        parts = [str(p + 1) if isinstance(p, int) else str(p) for p in path]
        name = '_'.join(parts) if parts else '1'
        names.append('output_' + name if not path or isinstance(path[0], int) else name)
    return names


def _target_order(given_keys, ys, output_keys):
    """For targets laid out before the outputs were known (by ``given_keys`` when they
    came as a dict, else by position): per output, the index of its target (None: none)."""
    if given_keys is None:
        if all(y is None for y in ys):  # y=None for a model found to have several outputs
            return [None] * len(output_keys)
        raise ValueError('The model has %d outputs %s, but %d target arrays were given.'
                         % (len(output_keys), output_keys, len(ys)))
    unknown = [k for k in given_keys if k not in output_keys]
    if unknown:
        raise ValueError('Unknown keys %s in the `y` dict: the model has no output with these '
                         'names. Expected keys: %s' % (unknown, output_keys))
    return [given_keys.index(k) if k in given_keys else None for k in output_keys]


def _model_device(model):
    """Where the model trains: where the user put it with ``model.to`` / ``cuda`` / ``cpu``
    (as placed; a later move by other means is where its tensors are), else the device of
    a tensor not on the CPU (moved by other means), else the default device (CUDA when
    available: a model never placed is moved there)."""
    first = next(_model_tensors(model), None)
    placed = getattr(model, '_user_device', None)
    if placed is not None:
        return _with_index(first.device if first is not None else placed)
    for tensor in _model_tensors(model):
        if tensor.device.type != 'cpu':
            return tensor.device
    return _with_index(config.default_device())


def _with_index(device):
    if device.type == 'cuda' and device.index is None:
        # 'cuda' -> 'cuda:N', so comparisons with tensors' devices hold.
        device = torch.device('cuda', torch.cuda.current_device())
    return device


def _model_tensors(model):
    yield from model.parameters()
    yield from model.buffers()


def _move_model(model, device):
    if any(t.device != device for t in _model_tensors(model)):
        # nn.Module.to, not Model.to: the trainer's move is no placement by the user.
        torch.nn.Module.to(model, device)


def _check_inputs(model, adapter):
    """Array inputs against the model's Input shapes, before any step."""
    if not _has_graph(model) or not isinstance(adapter, data_module.ArrayAdapter):
        return
    for index, (tensor, keras_input) in enumerate(zip(adapter.xs, model.inputs)):
        expected = keras_input.shape
        got = tuple(tensor.shape)
        bad = len(got) != len(expected) or any(
            e is not None and e != g for e, g in zip(expected[1:], got[1:]))
        if bad:
            raise ValueError('Input %d ("%s") of model "%s" expects data of shape %s; received '
                             'an array of shape %s.'
                             % (index, model.input_names[index], model.name, expected, got))


def _check_targets(model, config, adapter):
    """Targets against the compiled losses and the static output shapes, before any step."""
    if not isinstance(adapter, data_module.ArrayAdapter) or not config.conformed:
        return
    shapes = [t.shape for t in model.outputs] if _has_graph(model) else None
    for spec in config.outputs:
        y = adapter.ys[spec.index] if spec.index < len(adapter.ys) else None
        if y is None:
            continue
        out_shape = shapes[spec.index] if shapes else None
        check_target_shape(spec.name, spec.loss, y.shape, out_shape)
        if spec.sparse_targets and out_shape and out_shape[-1] and y.numel() and \
                y.device.type == 'cpu':
            low, high = int(y.min()), int(y.max())
            if low < 0 or high >= out_shape[-1]:
                raise ValueError('Received a label value of %d which is outside the valid '
                                 'range of [0, %d) for output "%s" (sparse class ids).'
                                 % (high if high >= out_shape[-1] else low, out_shape[-1],
                                    spec.name))
