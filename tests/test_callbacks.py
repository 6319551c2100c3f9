"""Callbacks driven by a small simulated fit loop (the hook order of KERAS_FACTS 6.2).

Expected values are worked out by hand from the Keras rules stated in each test.
"""
import glob
import http.server
import json
import logging
import os
import socket
import sys
import threading
import types
import urllib.parse

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import callbacks as cbks
from torchkeras import layers
from terminal import render

BAR_FULL = '[' + '=' * 30 + ']'


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeModel:
    """The members of the model contract the callbacks use."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros(2), np.zeros(1)]
        self.saved = []

    def get_weights(self):
        return self.weights  # deliberately not copies: callbacks must copy themselves

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def _write(self, kind, path):
        with open(path, 'w') as f:
            f.write(kind)
        self.saved.append((kind, os.path.basename(path)))

    def save(self, path):
        self._write('model', path)

    def save_weights(self, path):
        self._write('weights', path)


def fit(model, callbacks, epoch_logs, steps=2, verbose=0, batch_loss=None,
        validation=False, initial_epoch=0):
    """A minimal fit: the weights are filled with the epoch index during that epoch."""
    callback_list = cbks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                      model=model, verbose=verbose,
                                      epochs=initial_epoch + len(epoch_logs), steps=steps)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = None
    for epoch, logs in enumerate(epoch_logs, start=initial_epoch):
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps):
            callback_list.on_train_batch_begin(batch)
            for w in model.weights:
                w[...] = epoch  # in place, as an optimizer step would do
            loss = logs.get('loss', 0.5) if batch_loss is None else batch_loss(epoch, batch)
            callback_list.on_train_batch_end(batch, {'loss': loss})
        if validation:
            callback_list.on_test_begin()
            callback_list.on_test_batch_begin(0)
            callback_list.on_test_batch_end(0, {'loss': logs['val_loss']})
            callback_list.on_test_end({'loss': logs['val_loss']})
        callback_list.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


def val_losses(*values):
    return [{'loss': 1.0, 'val_loss': v} for v in values]


# ----------------------------------------------------------------- hook order, CallbackList

class Recorder(cbks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def _record(self, name, *args, logs=None):
        keys = sorted(logs) if logs else []
        self.calls.append((name,) + args + ((tuple(keys),) if keys else ()))

    def on_train_begin(self, logs=None):
        self._record('on_train_begin', logs=logs)

    def on_train_end(self, logs=None):
        self._record('on_train_end', logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._record('on_epoch_begin', epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._record('on_epoch_end', epoch, logs=logs)

    def on_batch_begin(self, batch, logs=None):  # Keras 1/2 alias, reached through the base
        self._record('on_batch_begin', batch)

    def on_batch_end(self, batch, logs=None):
        self._record('on_batch_end', batch)

    def on_test_begin(self, logs=None):
        self._record('on_test_begin')

    def on_test_end(self, logs=None):
        self._record('on_test_end')

    def on_test_batch_begin(self, batch, logs=None):
        self._record('on_test_batch_begin', batch)

    def on_test_batch_end(self, batch, logs=None):
        self._record('on_test_batch_end', batch)


def test_hook_order_matches_keras():
    recorder = Recorder()
    logs = {'loss': 0.7, 'accuracy': 0.5, 'val_loss': 0.8, 'val_accuracy': 0.4}
    fit(FakeModel(), [recorder], [logs, logs], steps=2, validation=True)
    epoch_keys = ('accuracy', 'loss', 'val_accuracy', 'val_loss')

    def epoch(i):
        return [('on_epoch_begin', i),
                ('on_batch_begin', 0), ('on_batch_end', 0),
                ('on_batch_begin', 1), ('on_batch_end', 1),
                ('on_test_begin',), ('on_test_batch_begin', 0), ('on_test_batch_end', 0),
                ('on_test_end',),
                ('on_epoch_end', i, epoch_keys)]

    expected = [('on_train_begin',)] + epoch(0) + epoch(1) + [('on_train_end', epoch_keys)]
    assert recorder.calls == expected


def test_defaults_are_appended_after_user_callbacks():
    user = cbks.Callback()
    callback_list = cbks.CallbackList([user], add_history=True, add_progbar=True,
                                      verbose=1, epochs=1, steps=1)
    kinds = [type(cb) for cb in callback_list]
    assert kinds == [cbks.Callback, cbks.History, cbks.ProgbarLogger]


def test_existing_history_and_progbar_are_not_duplicated():
    history, progbar = cbks.History(), cbks.ProgbarLogger()
    callback_list = cbks.CallbackList([[progbar], history], add_history=True, add_progbar=True)
    assert list(callback_list) == [progbar, history]
    model = FakeModel()
    callback_list.set_model(model)
    assert model.history is history


def test_params_and_model_reach_every_callback():
    user = cbks.Callback()
    model = FakeModel()
    callback_list = cbks.CallbackList([user], model=model, verbose=1, epochs=2, steps=3)
    assert user.model is model
    assert user.params == {'verbose': 1, 'epochs': 2, 'steps': 3}
    late = cbks.Callback()
    callback_list.append(late)
    assert late.model is model and late.params['steps'] == 3


def test_train_batch_hooks_skipped_when_nobody_implements_them():
    class EpochOnly(cbks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            raise AssertionError('not expected')

    callback_list = cbks.CallbackList([cbks.History()], model=FakeModel())
    assert callback_list._batch_hook_flags['train'] == (False, False)
    callback_list.append(EpochOnly())
    assert callback_list._batch_hook_flags['train'] == (True, True)


def test_batch_logs_are_synced_only_for_callbacks_that_need_numbers():
    seen = {}

    class WantsNumbers(cbks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen['plain'] = logs['loss']

    class TakesTensors(cbks.Callback):
        _supports_tf_logs = True

        def on_train_batch_end(self, batch, logs=None):
            seen['tensor'] = logs['loss']

    only_tensors = cbks.CallbackList([TakesTensors()], model=FakeModel())
    only_tensors.on_train_batch_end(0, {'loss': torch.tensor(0.25)})
    assert isinstance(seen['tensor'], torch.Tensor)
    mixed = cbks.CallbackList([TakesTensors(), WantsNumbers()], model=FakeModel())
    mixed.on_train_batch_end(0, {'loss': torch.tensor(0.25)})
    assert type(seen['plain']) is float and seen['plain'] == 0.25


def test_epoch_logs_reach_callbacks_as_python_numbers():
    got = {}
    callback = cbks.LambdaCallback(on_epoch_end=lambda epoch, logs: got.update(logs))
    callback_list = cbks.CallbackList([callback], model=FakeModel())
    callback_list.on_epoch_end(0, {'loss': torch.tensor(0.5), 'acc': np.float32(0.25)})
    assert got == {'loss': 0.5, 'acc': 0.25}
    assert all(type(v) is float for v in got.values())


def test_lambda_callback():
    events = []
    callback = cbks.LambdaCallback(
        on_train_begin=lambda logs: events.append('train_begin'),
        on_epoch_end=lambda epoch, logs: events.append(('epoch_end', epoch, logs['loss'])),
        on_batch_end=lambda batch, logs: events.append(('batch_end', batch)),
        on_test_end=lambda logs: events.append('test_end'))
    fit(FakeModel(), [callback], [{'loss': 0.5, 'val_loss': 0.5}], steps=2, validation=True)
    assert events == ['train_begin', ('batch_end', 0), ('batch_end', 1), 'test_end',
                      ('epoch_end', 0, 0.5)]


# ----------------------------------------------------------------- History

def test_history_keys_in_first_appearance_order():
    model = FakeModel()
    history = fit(model, [], [{'loss': torch.tensor(0.5), 'accuracy': 0.25},
                              {'loss': 0.375, 'accuracy': 0.5, 'val_loss': 0.75}])
    assert isinstance(history, cbks.History) and model.history is history
    assert list(history.history) == ['loss', 'accuracy', 'val_loss']
    assert history.history == {'loss': [0.5, 0.375], 'accuracy': [0.25, 0.5],
                               'val_loss': [0.75]}
    assert type(history.history['loss'][0]) is float
    assert history.epoch == [0, 1]
    assert history.params == {'verbose': 0, 'epochs': 2, 'steps': 2}


def test_history_epochs_start_at_initial_epoch():
    history = fit(FakeModel(), [], [{'loss': 1.0}, {'loss': 0.5}], initial_epoch=1)
    assert history.epoch == [1, 2]


def test_reused_history_resets_only_epoch():
    history = cbks.History()
    model = FakeModel()
    fit(model, [history], [{'loss': 1.0}])
    fit(model, [history], [{'loss': 0.5}])
    assert history.epoch == [0]
    assert history.history == {'loss': [1.0, 0.5]}


# ----------------------------------------------------------------- EarlyStopping

def test_early_stopping_stops_after_patience_and_restores_best():
    # best 0.8 at epoch 1; epochs 2 and 3 do not improve -> wait reaches 2 at epoch 3.
    model = FakeModel()
    stopper = cbks.EarlyStopping(patience=2, restore_best_weights=True)
    history = fit(model, [stopper], val_losses(1.0, 0.8, 0.9, 0.85, 0.7))
    assert history.epoch == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3 and stopper.best == 0.8 and stopper.best_epoch == 1
    assert all(np.all(w == 1) for w in model.weights)


def test_early_stopping_messages(capsys):
    stopper = cbks.EarlyStopping(patience=1, verbose=1, restore_best_weights=True)
    fit(FakeModel(), [stopper], val_losses(0.5, 0.6, 0.4))
    assert capsys.readouterr().out == (
        'Epoch 2: early stopping\n'
        'Restoring model weights from the end of the best epoch: 1.\n')


def test_early_stopping_patience_zero_never_stops_on_first_epoch():
    # wait >= 0 always holds, but Keras only checks after the first epoch.
    history = fit(FakeModel(), [cbks.EarlyStopping(monitor='loss')],
                  [{'loss': 1.0}, {'loss': 1.0}, {'loss': 0.5}])
    assert history.epoch == [0, 1]


def test_early_stopping_min_delta():
    # 0.95 is better than 1.0 but not by min_delta=0.1: no improvement.
    stopper = cbks.EarlyStopping(min_delta=0.1, patience=1)
    history = fit(FakeModel(), [stopper], val_losses(1.0, 0.95, 0.5))
    assert history.epoch == [0, 1] and stopper.best == 1.0


@pytest.mark.parametrize('monitor, greater', [
    ('val_loss', False), ('loss', False), ('val_accuracy', True), ('acc', True),
    ('val_acc', True), ('auc', True), ('val_auc', True), ('mae', False)])
def test_early_stopping_mode_inference(monitor, greater):
    stopper = cbks.EarlyStopping(monitor=monitor)
    assert (stopper.monitor_op is np.greater) == greater


def test_early_stopping_max_mode_on_accuracy():
    logs = [{'loss': 1.0, 'val_accuracy': a} for a in (0.5, 0.7, 0.6, 0.65, 0.9)]
    stopper = cbks.EarlyStopping(monitor='val_accuracy', patience=2)
    history = fit(FakeModel(), [stopper], logs)
    assert history.epoch == [0, 1, 2, 3] and stopper.best == 0.7


def test_early_stopping_baseline():
    # Nothing beats baseline 0.5, so patience is never restarted: wait is 1, 2, 3.
    stopper = cbks.EarlyStopping(patience=2, baseline=0.5)
    history = fit(FakeModel(), [stopper], val_losses(0.6, 0.55, 0.58, 0.4))
    assert history.epoch == [0, 1, 2]


def test_early_stopping_start_from_epoch():
    stopper = cbks.EarlyStopping(patience=1, start_from_epoch=2)
    history = fit(FakeModel(), [stopper], val_losses(0.1, 0.2, 0.3, 0.4, 0.5))
    assert history.epoch == [0, 1, 2, 3]  # epochs 0-1 ignored; best 0.3, epoch 3 stops


def test_early_stopping_missing_monitor_warns(caplog):
    history = fit(FakeModel(), [cbks.EarlyStopping(patience=0)], [{'loss': 1.0}] * 2)
    assert history.epoch == [0, 1]
    assert 'Early stopping conditioned on metric `val_loss` which is not available' in caplog.text


def test_early_stopping_can_be_reused():
    stopper = cbks.EarlyStopping(patience=1)
    fit(FakeModel(), [stopper], val_losses(0.1, 0.2, 0.3))
    history = fit(FakeModel(), [stopper], val_losses(0.9, 0.8, 0.7))
    assert history.epoch == [0, 1, 2] and stopper.stopped_epoch == 0


# ----------------------------------------------------------------- ModelCheckpoint

def test_checkpoint_best_only_writes_formatted_names_on_improvement(tmp_path, capsys):
    path = str(tmp_path / 'weights.{epoch:02d}-{val_loss:.2f}.h5')
    model = FakeModel()
    checkpoint = cbks.ModelCheckpoint(path, save_best_only=True, verbose=1)
    fit(model, [checkpoint], val_losses(0.5, 0.6, 0.4))
    assert sorted(os.listdir(tmp_path)) == ['weights.01-0.50.h5', 'weights.03-0.40.h5']
    assert model.saved == [('model', 'weights.01-0.50.h5'), ('model', 'weights.03-0.40.h5')]
    out = capsys.readouterr().out
    assert out == (
        f'\nEpoch 1: val_loss improved from inf to 0.50000, saving model to '
        f'{tmp_path}/weights.01-0.50.h5\n'
        f'\nEpoch 2: val_loss did not improve from 0.50000\n'
        f'\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to '
        f'{tmp_path}/weights.03-0.40.h5\n')


def test_checkpoint_every_epoch_weights_only(tmp_path, capsys):
    path = str(tmp_path / 'sub' / 'w.{epoch}.h5')  # missing folders are created
    model = FakeModel()
    fit(model, [cbks.ModelCheckpoint(path, save_weights_only=True, verbose=1)],
        val_losses(0.5, 0.6))
    assert model.saved == [('weights', 'w.1.h5'), ('weights', 'w.2.h5')]
    assert capsys.readouterr().out == (f'\nEpoch 1: saving model to {tmp_path}/sub/w.1.h5\n'
                                       f'\nEpoch 2: saving model to {tmp_path}/sub/w.2.h5\n')


def test_checkpoint_max_mode_and_threshold(tmp_path):
    logs = [{'loss': 1.0, 'val_acc': a} for a in (0.5, 0.7, 0.8)]
    model = FakeModel()
    checkpoint = cbks.ModelCheckpoint(str(tmp_path / 'm{epoch}.h5'), monitor='val_acc',
                                      save_best_only=True, initial_value_threshold=0.6)
    fit(model, [checkpoint], logs)
    assert model.saved == [('model', 'm2.h5'), ('model', 'm3.h5')]


def test_checkpoint_save_freq_in_batches(tmp_path):
    # 3 batches per epoch, save every 2: after batches 2, 4 and 6 counted over the fit.
    model = FakeModel()
    checkpoint = cbks.ModelCheckpoint(str(tmp_path / 'c-{epoch}-{batch}.h5'), save_freq=2)
    fit(model, [checkpoint], val_losses(0.5, 0.4), steps=3)
    assert [name for _, name in model.saved] == ['c-1-2.h5', 'c-2-1.h5', 'c-2-3.h5']


def test_checkpoint_legacy_period(tmp_path):
    model = FakeModel()
    checkpoint = cbks.ModelCheckpoint(str(tmp_path / 'p{epoch:02d}.h5'), period=2)
    fit(model, [checkpoint], val_losses(0.5, 0.4, 0.3, 0.2))
    assert [name for _, name in model.saved] == ['p02.h5', 'p04.h5']


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match='save_freq'):
        cbks.ModelCheckpoint('x.h5', save_freq='batch')
    checkpoint = cbks.ModelCheckpoint(str(tmp_path / '{missing}.h5'))
    with pytest.raises(KeyError, match='Failed to format this callback filepath'):
        fit(FakeModel(), [checkpoint], val_losses(0.5))


# ----------------------------------------------------------------- BackupAndRestore

X_SMALL = np.arange(40, dtype='float32').reshape(10, 4) / 40
Y_SMALL = np.arange(10, dtype='float32').reshape(10, 1) / 10


def small_model(learning_rate=0.01):
    """Dense(3) -> Dense(1) with fixed weights and a fresh Adam (whose slots must be restored)."""
    model = torchkeras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(1)])
    rng = np.random.RandomState(0)
    model.set_weights([rng.uniform(-1, 1, w.shape).astype('float32')
                       for w in model.get_weights()])
    model.compile(torchkeras.optimizers.Adam(learning_rate), 'mse')
    return model


def fit_small(model, callbacks=(), epochs=5):
    # 10 samples in batches of 4: 3 steps per epoch, the same batches every epoch.
    return model.fit(X_SMALL, Y_SMALL, batch_size=4, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=list(callbacks))


class Interrupt(cbks.Callback):
    """Raises at the start of (epoch, batch), or of the epoch when batch is None."""

    def __init__(self, epoch, batch=None):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if self.at == (epoch, None):
            raise RuntimeError('interrupted')

    def on_train_batch_begin(self, batch, logs=None):
        if self.at == (self.epoch, batch):
            raise RuntimeError('interrupted')


def interrupted_fit(backup_dir, interrupt, **kwargs):
    with pytest.raises(RuntimeError, match='interrupted'):
        fit_small(small_model(), [cbks.BackupAndRestore(backup_dir, **kwargs), interrupt])


def assert_same_weights(model, reference):
    for got, expected in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_backup_and_restore_resumes_after_the_last_finished_epoch(tmp_path):
    reference = small_model()
    expected = fit_small(reference).history['loss']
    backup_dir = str(tmp_path / 'backup')
    interrupted_fit(backup_dir, Interrupt(epoch=3))  # epochs 0-2 finished and backed up
    assert os.listdir(backup_dir) == ['training_state.pt']
    # A new process: the same model code, a fresh optimizer, the same fit call.
    model = small_model()
    history = fit_small(model, [cbks.BackupAndRestore(backup_dir)])
    assert history.epoch == [3, 4]  # as tf_keras: only the remaining epochs
    assert history.history['loss'] == pytest.approx(expected[3:], rel=1e-6)
    assert_same_weights(model, reference)
    assert model.optimizer.iterations == reference.optimizer.iterations == 15
    assert os.listdir(backup_dir) == []  # deleted at the end, the folder stays (tf_keras)


def test_backup_and_restore_batch_save_freq_resumes_mid_epoch(tmp_path):
    # Backups after every 2 batches: the last one before the interruption at (2, 2) is at
    # (2, 1), so the resumed fit starts at epoch 2, batch 2, with that batch's data.
    reference = small_model()
    expected = fit_small(reference).history['loss']
    backup_dir = str(tmp_path / 'backup')
    interrupted_fit(backup_dir, Interrupt(epoch=2, batch=2), save_freq=2)
    model = small_model()
    batches = []
    recorder = cbks.LambdaCallback(on_train_batch_begin=lambda b, logs: batches.append(b))
    history = fit_small(model, [cbks.BackupAndRestore(backup_dir, save_freq=2), recorder])
    assert history.epoch == [2, 3, 4]
    assert batches[:2] == [2, 0]  # epoch 2 runs only its last batch
    assert history.history['loss'][1:] == pytest.approx(expected[3:], rel=1e-6)
    assert_same_weights(model, reference)
    assert model.optimizer.iterations == 15


def test_backup_at_an_epochs_last_batch_resumes_at_the_next_epoch(tmp_path):
    # save_freq=3 = steps per epoch: every backup is at an epoch's last batch.
    backup_dir = str(tmp_path / 'backup')
    interrupted_fit(backup_dir, Interrupt(epoch=2, batch=1), save_freq=3)
    history = fit_small(small_model(), [cbks.BackupAndRestore(backup_dir, save_freq=3)])
    assert history.epoch == [2, 3, 4]


class UnsizedSamples(torch.utils.data.IterableDataset):
    """X_SMALL / Y_SMALL one sample at a time, without a length: fit cannot count the steps."""

    def __iter__(self):
        return iter(zip(X_SMALL, Y_SMALL))


def test_backup_at_the_last_batch_of_an_epoch_of_unknown_length(tmp_path):
    # Epoch 0's third and last batch is backed up; only at the epoch's end is it known to be
    # the last, so the backup is marked as the end of epoch 0 and the fit resumes at epoch 1.
    backup_dir = str(tmp_path / 'backup')
    with pytest.raises(RuntimeError, match='interrupted'):
        small_model().fit(UnsizedSamples(), batch_size=4, epochs=3, verbose=0, callbacks=[
            cbks.BackupAndRestore(backup_dir, save_freq=3), Interrupt(epoch=1)])
    state = torch.load(os.path.join(backup_dir, 'training_state.pt'), weights_only=True)
    assert (state['epoch'], state['batch']) == (0, -1)
    history = small_model().fit(UnsizedSamples(), batch_size=4, epochs=3, verbose=0,
                                callbacks=[cbks.BackupAndRestore(backup_dir, save_freq=3)])
    assert history.epoch == [1, 2]


def test_backup_restores_the_learning_rate(tmp_path):
    backup_dir = str(tmp_path / 'backup')
    halve = cbks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch == 1 else lr)
    with pytest.raises(RuntimeError):
        fit_small(small_model(), [halve, cbks.BackupAndRestore(backup_dir), Interrupt(epoch=2)])
    seen = []
    model = small_model()
    fit_small(model, [cbks.BackupAndRestore(backup_dir), cbks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate))])
    assert seen[0] == pytest.approx(0.005)


def test_backup_file_is_plain_tensors_and_kept_on_request(tmp_path):
    backup_dir = str(tmp_path / 'backup')
    model = small_model()
    fit_small(model, [cbks.BackupAndRestore(backup_dir, delete_checkpoint=False)], epochs=2)
    state = torch.load(os.path.join(backup_dir, 'training_state.pt'), weights_only=True)
    assert (state['epoch'], state['batch']) == (1, -1)
    assert len(state['model']) == 4 and state['optimizer']['iterations'] == 6
    # As tf_keras: a later fit with the kept backup resumes after epoch 1, here at the end.
    history = fit_small(model, [cbks.BackupAndRestore(backup_dir)], epochs=2)
    assert history.epoch == [] and history.history == {}
    assert fit_small(model, epochs=1).epoch == [0]  # without the callback: as asked


def test_backup_and_restore_argument_errors():
    with pytest.raises(ValueError, match='Either `save_freq` or `save_before_preemption`'):
        cbks.BackupAndRestore('dir', save_freq=False)
    with pytest.raises(ValueError, match="Received: save_freq='batch'"):
        cbks.BackupAndRestore('dir', save_freq='batch')
    with pytest.raises(ValueError, match='Received: save_freq=-2'):
        cbks.BackupAndRestore('dir', save_freq=-2)


def test_backup_needs_a_built_model_to_restore(tmp_path, caplog):
    backup_dir = str(tmp_path / 'backup')
    interrupted_fit(backup_dir, Interrupt(epoch=1))
    model = torchkeras.Sequential([layers.Dense(3), layers.Dense(1)])
    model.compile('adam', 'mse')
    with pytest.raises(ValueError, match='the model is not built'):
        fit_small(model, [cbks.BackupAndRestore(backup_dir)])
    assert 'you model must be built before you call `fit()`' in caplog.text


def test_backup_of_another_model_or_a_damaged_file_is_refused(tmp_path):
    backup_dir = tmp_path / 'backup'
    interrupted_fit(str(backup_dir), Interrupt(epoch=1))
    other = torchkeras.Sequential([layers.Dense(2, input_shape=(4,)), layers.Dense(1)])
    other.compile('adam', 'mse')
    with pytest.raises(ValueError, match='does not fit model'):
        fit_small(other, [cbks.BackupAndRestore(str(backup_dir))])
    (backup_dir / 'training_state.pt').write_bytes(b'not a backup')
    with pytest.raises(ValueError, match='truncated or corrupted'):
        fit_small(small_model(), [cbks.BackupAndRestore(str(backup_dir))])


# ----------------------------------------------------------------- learning rate

def test_reduce_lr_on_plateau_after_patience():
    # Plateau from epoch 1: wait hits 2 at epochs 2 and 4, each time lr *= 0.5.
    model = FakeModel(learning_rate=0.1)
    reduce = cbks.ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0)
    history = fit(model, [reduce], val_losses(1.0, 1.0, 1.0, 1.0, 1.0, 0.5))
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    # 'lr' is logged before the reduction, and History (after it) records it.
    assert history.history['lr'] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])


def test_reduce_lr_cooldown_min_lr_and_message(capsys):
    # patience 1: epoch 1 reduces 0.01 -> max(0.001, 0.005) and starts a 1-epoch cooldown;
    # from epoch 2 on it would reduce again, but lr already equals min_lr (in float32).
    model = FakeModel(learning_rate=0.01)
    reduce = cbks.ReduceLROnPlateau(monitor='loss', factor=0.1, patience=1, cooldown=1,
                                    min_lr=0.005, verbose=1)
    fit(model, [reduce], [{'loss': 1.0}] * 5)
    assert model.optimizer.learning_rate == 0.005
    assert capsys.readouterr().out == (
        '\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.005.\n')


def test_reduce_lr_legacy_epsilon_and_bad_factor():
    assert cbks.ReduceLROnPlateau(epsilon=0.25).min_delta == 0.25
    with pytest.raises(ValueError, match='factor=1.5'):
        cbks.ReduceLROnPlateau(factor=1.5)


def test_reduce_lr_accuracy_is_maximized():
    model = FakeModel(learning_rate=1.0)
    reduce = cbks.ReduceLROnPlateau(monitor='val_acc', factor=0.5, patience=1)
    fit(model, [reduce], [{'val_acc': a} for a in (0.5, 0.6, 0.7)])
    assert model.optimizer.learning_rate == 1.0  # always improving


def test_learning_rate_scheduler_two_argument_schedule(capsys):
    model = FakeModel(learning_rate=0.5)
    scheduler = cbks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2,
                                           verbose=1)
    history = fit(model, [scheduler], [{'loss': 1.0}] * 3)
    assert model.optimizer.learning_rate == 0.125
    assert history.history['lr'] == [0.5, 0.25, 0.125]
    assert capsys.readouterr().out == ''.join(
        f'\nEpoch {i + 1}: LearningRateScheduler setting learning rate to {lr}.\n'
        for i, lr in enumerate([0.5, 0.25, 0.125]))


def test_learning_rate_scheduler_keras1_schedule_and_validation():
    model = FakeModel()
    fit(model, [cbks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))],
        [{'loss': 1.0}] * 2)
    assert model.optimizer.learning_rate == 0.05
    with pytest.raises(ValueError, match='should be float'):
        fit(FakeModel(), [cbks.LearningRateScheduler(lambda epoch: 1)], [{'loss': 1.0}])


def test_learning_rate_on_plain_torch_optimizer():
    model = FakeModel()
    model.optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    fit(model, [cbks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)], [{'loss': 1.0}])
    assert model.optimizer.param_groups[0]['lr'] == 0.25


# ----------------------------------------------------------------- CSVLogger, TerminateOnNaN

def test_csv_logger_content(tmp_path):
    path = tmp_path / 'log.csv'
    logs = [{'loss': 0.5, 'accuracy': 0.25, 'val_loss': torch.tensor(0.75),
             'val_accuracy': 0.5},
            {'loss': 0.25, 'accuracy': 0.5, 'val_loss': 0.5, 'val_accuracy': 0.75}]
    fit(FakeModel(), [cbks.CSVLogger(path)], logs)
    # Sorted columns; the csv module's '\r\n' line ends, as Keras files have.
    assert path.read_bytes() == (b'epoch,accuracy,loss,val_accuracy,val_loss\r\n'
                                 b'0,0.25,0.5,0.5,0.75\r\n'
                                 b'1,0.5,0.25,0.75,0.5\r\n')


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / 'log.csv'
    logger = cbks.CSVLogger(str(path), separator=';', append=True)
    fit(FakeModel(), [logger], [{'loss': 0.5}])
    fit(FakeModel(), [cbks.CSVLogger(str(path), separator=';', append=True)], [{'loss': 0.25}])
    # Without val_ keys in the first epoch, val_ columns are reserved and filled with NA.
    assert path.read_bytes() == b'epoch;loss;val_loss\r\n0;0.5;NA\r\n0;0.25;NA\r\n'


def test_terminate_on_nan(capsys):
    model = FakeModel()
    nan = torch.tensor(float('nan'))
    history = fit(model, [cbks.TerminateOnNaN()], [{'loss': 1.0}] * 3, steps=3,
                  batch_loss=lambda epoch, batch: nan if (epoch, batch) == (1, 1) else 0.5)
    assert model.stop_training is True
    assert history.epoch == [0, 1]
    assert capsys.readouterr().out == 'Batch 1: Invalid loss, terminating training\n'


def test_terminate_on_inf():
    model = FakeModel()
    fit(model, [cbks.TerminateOnNaN()], [{'loss': 1.0}], batch_loss=lambda e, b: float('inf'))
    assert model.stop_training is True


def test_base_logger_averages_by_batch_size():
    logger = cbks.BaseLogger()
    logger.set_params({'metrics': ['loss']})
    logger.on_epoch_begin(0)
    logger.on_train_batch_end(0, {'loss': 1.0, 'size': 3})
    logger.on_train_batch_end(1, {'loss': 2.0, 'size': 1})
    logs = {}
    logger.on_epoch_end(0, logs)
    assert logs == {'loss': 1.25}  # (1*3 + 2*1) / 4


# ----------------------------------------------------------------- RemoteMonitor

class RecordingHandler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length'])).decode('utf-8')
        self.requests.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def http_server():
    RecordingHandler.requests = []
    server = http.server.HTTPServer(('127.0.0.1', 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1], RecordingHandler.requests
    server.shutdown()
    server.server_close()


def test_remote_monitor_posts_a_form_field(http_server):
    root, requests = http_server
    monitor = cbks.RemoteMonitor(root=root, headers={'X-Run': 'a'})
    fit(FakeModel(), [monitor], [{'loss': torch.tensor(0.5), 'acc': np.float32(0.25)}])
    (path, headers, body), = requests
    assert path == '/publish/epoch/end/'
    assert headers['Content-Type'] == 'application/x-www-form-urlencoded'
    assert headers['X-Run'] == 'a'
    form = urllib.parse.parse_qs(body)
    assert json.loads(form['data'][0]) == {'epoch': 0, 'loss': 0.5, 'acc': 0.25}


def test_remote_monitor_sends_json(http_server):
    root, requests = http_server
    monitor = cbks.RemoteMonitor(root=root, path='/events', send_as_json=True)
    fit(FakeModel(), [monitor], [{'loss': 1.0}, {'loss': 0.5}])
    assert [(path, headers['Content-Type']) for path, headers, _ in requests] == \
        [('/events', 'application/json')] * 2
    assert [json.loads(body) for _, _, body in requests] == [{'epoch': 0, 'loss': 1.0},
                                                             {'epoch': 1, 'loss': 0.5}]


def test_remote_monitor_warns_when_the_server_is_unreachable(caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    monitor = cbks.RemoteMonitor(root='http://127.0.0.1:%d' % port)
    with caplog.at_level(logging.WARNING):
        history = fit(FakeModel(), [monitor], [{'loss': 1.0}])
    assert history.epoch == [0]
    assert 'could not reach RemoteMonitor root server at http://127.0.0.1' in caplog.text


# ----------------------------------------------------------------- TensorBoard

def test_tensorboard_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    with pytest.raises(ImportError,
                       match='TensorBoard needs the tensorboard package: pip install tensorboard'):
        cbks.TensorBoard()


class FakeSummaryWriter:
    events = []

    def __init__(self, log_dir):
        self.log_dir = os.path.basename(log_dir)

    def add_scalar(self, tag, value, step):
        self.events.append((self.log_dir, tag, value, step))

    def add_histogram(self, tag, values, step):
        self.events.append((self.log_dir, tag, tuple(values.shape), step))

    def add_images(self, tag, images, step, dataformats='NCHW'):
        self.events.append((self.log_dir, tag, (tuple(images.shape), dataformats), step))

    def add_graph(self, model, example, use_strict_trace=True):
        model(*example)  # what tracing does
        self.events.append((self.log_dir, 'graph', [tuple(x.shape) for x in example]))

    def flush(self):
        pass

    def close(self):
        self.events.append((self.log_dir, 'closed'))


@pytest.fixture
def fake_tensorboard(monkeypatch):
    FakeSummaryWriter.events = []
    module = types.ModuleType('torch.utils.tensorboard')
    module.SummaryWriter = FakeSummaryWriter
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', module)
    return FakeSummaryWriter.events


def test_tensorboard_epoch_scalars(fake_tensorboard, tmp_path):
    logs = [{'loss': 0.5, 'val_loss': 0.75}, {'loss': 0.25, 'val_loss': 0.5}]
    fit(FakeModel(), [cbks.TensorBoard(log_dir=str(tmp_path))], logs)
    assert fake_tensorboard == [
        ('train', 'epoch_loss', 0.5, 0), ('validation', 'epoch_loss', 0.75, 0),
        ('train', 'epoch_loss', 0.25, 1), ('validation', 'epoch_loss', 0.5, 1),
        ('train', 'closed'), ('validation', 'closed')]


def test_tensorboard_batch_scalars_and_histograms(fake_tensorboard, tmp_path):
    model = FakeModel()
    model.named_parameters = torch.nn.Linear(2, 3).named_parameters
    board = cbks.TensorBoard(log_dir=str(tmp_path), update_freq=2, histogram_freq=1)
    fit(model, [board], [{'loss': 0.5}], steps=4, batch_loss=lambda e, b: b / 4)
    assert fake_tensorboard == [
        ('train', 'batch_loss', 0.25, 2), ('train', 'batch_loss', 0.75, 4),
        ('train', 'epoch_loss', 0.5, 0),
        ('train', 'weight/histogram', (3, 2), 0), ('train', 'bias/histogram', (3,), 0),
        ('train', 'closed')]


def test_tensorboard_rejects_unknown_arguments(fake_tensorboard, caplog):
    cbks.TensorBoard(write_grads=True, batch_size=32)  # Keras 1/2 arguments are accepted
    assert '`write_grads` will be ignored' in caplog.text
    with pytest.raises(ValueError, match='Unrecognized arguments'):
        cbks.TensorBoard(bogus=1)


def test_tensorboard_steps_per_second(fake_tensorboard, tmp_path):
    board = cbks.TensorBoard(log_dir=str(tmp_path), update_freq=2, write_steps_per_second=True)
    fit(FakeModel(), [board], [{'loss': 0.5}], steps=4, batch_loss=lambda e, b: 0.25)
    assert [event[1:2] + event[3:] for event in fake_tensorboard] == [
        ('batch_steps_per_second', 2), ('batch_loss', 2),
        ('batch_steps_per_second', 4), ('batch_loss', 4),
        ('epoch_loss', 0), ('epoch_steps_per_second', 0), ('closed',)]
    speeds = [e[2] for e in fake_tensorboard if e[1].endswith('steps_per_second')]
    assert all(speed > 0 for speed in speeds)


def trace_files(log_dir):
    return glob.glob(os.path.join(log_dir, 'plugins', 'profile', '*', '*.pt.trace.json'))


@pytest.mark.parametrize('profile_batch, last', [((2, 3), 3), ('2,3', 3), ((2, 100), 100)])
def test_tensorboard_profiles_a_range_of_batches(fake_tensorboard, tmp_path, profile_batch,
                                                 last):
    # Batches are counted from 1 over the fit: 2-3 are epoch 0's second and epoch 1's first;
    # a range past the end is closed when training ends.
    board = cbks.TensorBoard(log_dir=str(tmp_path), profile_batch=profile_batch)
    assert (board._start_batch, board._stop_batch) == (2, last)
    fit(FakeModel(), [board], [{'loss': 0.5}] * 2, steps=2)
    trace, = trace_files(str(tmp_path))
    with open(trace) as f:
        assert 'traceEvents' in json.load(f)
    assert not board._is_tracing


@pytest.mark.parametrize('profile_batch', [-1, (3, 2), (1, 2, 3), 'a', 1.5])
def test_tensorboard_bad_profile_batch(fake_tensorboard, profile_batch):
    with pytest.raises(ValueError, match='profile_batch must be a non-negative integer'):
        cbks.TensorBoard(profile_batch=profile_batch)


def test_tensorboard_no_profiling_by_default(fake_tensorboard, tmp_path):
    board = cbks.TensorBoard(log_dir=str(tmp_path))
    assert not board._implements_train_batch_hooks()
    fit(FakeModel(), [board], [{'loss': 0.5}], steps=2)
    assert trace_files(str(tmp_path)) == []


def dense_model(**compile_kwargs):
    model = torchkeras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(1)])
    model.compile(compile_kwargs.pop('optimizer', 'sgd'), 'mse', **compile_kwargs)
    return model


def test_tensorboard_histograms_and_images_use_keras_names_and_layout(fake_tensorboard,
                                                                      tmp_path):
    board = cbks.TensorBoard(log_dir=str(tmp_path), histogram_freq=2, write_images=True,
                             write_graph=False)
    dense_model().fit(X_SMALL, Y_SMALL, epochs=3, verbose=0, callbacks=[board])
    weights = [e for e in fake_tensorboard if e[1].endswith(('/histogram', '/image'))]
    epoch0 = [
        # The (4, 3) kernel is drawn wider than tall; (3,) and the (3, 1) kernel as one row;
        # the (1,) bias squeezes to a scalar, which tf.keras does not draw either.
        ('train', 'dense/kernel_0/histogram', (4, 3), 0),
        ('train', 'dense/kernel_0/image', ((1, 3, 4, 1), 'NHWC'), 0),
        ('train', 'dense/bias_0/histogram', (3,), 0),
        ('train', 'dense/bias_0/image', ((1, 3, 1, 1), 'NHWC'), 0),
        ('train', 'dense_1/kernel_0/histogram', (3, 1), 0),
        ('train', 'dense_1/kernel_0/image', ((1, 3, 1, 1), 'NHWC'), 0),
        ('train', 'dense_1/bias_0/histogram', (1,), 0)]
    assert weights == epoch0 + [event[:3] + (2,) for event in epoch0]


@pytest.mark.parametrize('shape, image_shape', [
    ((3, 3, 1, 8), (8, 3, 3, 1)),   # Conv2D kernel, one input channel: one image per filter
    ((5, 2, 4), (4, 5, 2, 1)),      # Conv1D kernel: one image per output channel
    ((3, 3, 16, 3), (3, 3, 16, 3)),  # four dimensions ending in 3: drawn as RGB, as tf.keras
    ((3, 3, 3, 16), None),          # a general Conv2D kernel is not drawn
    ((2, 2, 2, 2, 2), None)])
def test_weight_as_image(shape, image_shape):
    image = cbks._weight_as_image(np.ones(shape, dtype='float32'))
    assert (None if image is None else image.shape) == image_shape


def test_tensorboard_epoch_learning_rate_of_a_schedule(fake_tensorboard, tmp_path):
    schedule = torchkeras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3,
                                                                decay_rate=0.5)
    model = dense_model(optimizer=torchkeras.optimizers.SGD(schedule))
    model.fit(X_SMALL, Y_SMALL, batch_size=4, epochs=2, verbose=0,
              callbacks=[cbks.TensorBoard(log_dir=str(tmp_path), write_graph=False)])
    rates = [e[2:] for e in fake_tensorboard if e[1] == 'epoch_learning_rate']
    assert rates == [(pytest.approx(0.05), 0), (pytest.approx(0.025), 1)]  # after 3, 6 steps


def test_tensorboard_graph_of_a_functional_model(fake_tensorboard, tmp_path):
    # Traced on zeros shaped like the Input, once, after the first epoch (no batch hooks).
    dense_model().fit(X_SMALL, Y_SMALL, batch_size=4, epochs=2, verbose=0,
                      callbacks=[cbks.TensorBoard(log_dir=str(tmp_path))])
    assert [e for e in fake_tensorboard if e[1] == 'graph'] == [('train', 'graph', [(1, 4)])]


class SubclassedModel(torchkeras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(3)
        self.out = layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def test_tensorboard_graph_of_a_subclassed_model_uses_the_first_batch(fake_tensorboard,
                                                                      tmp_path):
    model = SubclassedModel()
    model.compile('sgd', 'mse')
    board = cbks.TensorBoard(log_dir=str(tmp_path), update_freq='batch')
    model.fit(X_SMALL, Y_SMALL, batch_size=4, epochs=2, verbose=0, callbacks=[board])
    graphs = [e for e in fake_tensorboard if e[1] == 'graph']
    assert graphs == [('train', 'graph', [(4, 4)])]
    assert fake_tensorboard.index(graphs[0]) == 0  # at the end of the first batch
    assert not model._forward_pre_hooks  # the capturing hook is gone


def test_tensorboard_graph_failure_is_a_warning(fake_tensorboard, tmp_path, monkeypatch, caplog):
    def broken_add_graph(self, model, example, use_strict_trace=True):
        raise RuntimeError('cannot trace\nmore detail')

    monkeypatch.setattr(FakeSummaryWriter, 'add_graph', broken_add_graph)
    history = dense_model().fit(X_SMALL, Y_SMALL, epochs=2, verbose=0,
                                callbacks=[cbks.TensorBoard(log_dir=str(tmp_path))])
    assert history.epoch == [0, 1]
    assert 'could not write the graph of model sequential (RuntimeError: cannot trace)' in \
        caplog.text


def test_tensorboard_writes_real_event_files(tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    model = torchkeras.Sequential([layers.Conv1D(2, 3, input_shape=(6, 1)), layers.Flatten(),
                                   layers.Dense(1)])
    model.compile('sgd', 'mse')
    board = cbks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, write_images=True,
                             write_steps_per_second=True, update_freq=2)
    x, y = np.random.rand(8, 6, 1).astype('float32'), np.random.rand(8, 1).astype('float32')
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[board])
    train = EventAccumulator(str(tmp_path / 'train'), size_guidance={'images': 0}).Reload()
    tags = train.Tags()
    assert {'epoch_loss', 'epoch_steps_per_second', 'batch_loss',
            'batch_steps_per_second'} <= set(tags['scalars'])
    assert [event.step for event in train.Scalars('batch_loss')] == [2, 4]
    assert 'conv1d/kernel_0/histogram' in tags['histograms']
    assert {'conv1d/kernel_0/image', 'dense/kernel_0/image'} <= set(tags['images'])
    assert tags['graph']
    validation = EventAccumulator(str(tmp_path / 'validation')).Reload()
    assert {'epoch_loss', 'evaluation_loss_vs_iterations'} <= set(validation.Tags()['scalars'])
    assert [e.step for e in validation.Scalars('evaluation_loss_vs_iterations')] == [2, 4]


# tf_keras 2.21's tf.keras.callbacks, and the names deliberately left out (the module
# docstring says why): SidecarEvaluatorModelExport and the `experimental` namespace.
TF_KERAS_CALLBACKS = [
    'BackupAndRestore', 'BaseLogger', 'CSVLogger', 'Callback', 'CallbackList', 'EarlyStopping',
    'History', 'LambdaCallback', 'LearningRateScheduler', 'ModelCheckpoint', 'ProgbarLogger',
    'ReduceLROnPlateau', 'RemoteMonitor', 'SidecarEvaluatorModelExport', 'TensorBoard',
    'TerminateOnNaN', 'experimental']
LEFT_OUT = {'SidecarEvaluatorModelExport', 'experimental'}


def test_every_tf_keras_callback_is_exported():
    expected = [name for name in TF_KERAS_CALLBACKS if name not in LEFT_OUT]
    assert sorted(set(expected) - set(cbks.__all__)) == []
    assert all(isinstance(getattr(cbks, name), type) for name in expected)


# ----------------------------------------------------------------- ProgbarLogger


def run_timed_fit(clock, verbose, batch_times, end_time, epochs=2):
    """A fit of `epochs` epochs of 3 batches; each epoch's clock restarts at 0."""
    logs = {'loss': 0.74458, 'accuracy': 0.5375, 'val_loss': 0.7697, 'val_accuracy': 0.45}
    callback_list = cbks.CallbackList(None, add_history=True, add_progbar=True,
                                      model=FakeModel(), verbose=verbose, epochs=epochs,
                                      steps=3)
    callback_list.on_train_begin()
    for epoch in range(epochs):
        clock.now = 0.0
        callback_list.on_epoch_begin(epoch)
        for batch, t in enumerate(batch_times):
            callback_list.on_train_batch_begin(batch)
            clock.now = t
            callback_list.on_train_batch_end(batch, {'loss': torch.tensor(0.74458),
                                                     'accuracy': torch.tensor(0.5375)})
        callback_list.on_test_begin()
        callback_list.on_test_batch_end(0, {'loss': 0.7697, 'accuracy': 0.45})
        callback_list.on_test_end({'loss': 0.7697, 'accuracy': 0.45})
        clock.now = end_time
        callback_list.on_epoch_end(epoch, logs)
    callback_list.on_train_end(logs)


def test_progbar_logger_fit_verbose1(clock, capsys):
    run_timed_fit(clock, 1, batch_times=[0.874, 0.95, 0.99], end_time=1.0)
    line = ('3/3 ' + BAR_FULL + ' - 1s 63ms/step - loss: 0.7446 - accuracy: 0.5375'
            ' - val_loss: 0.7697 - val_accuracy: 0.4500')
    assert render(capsys.readouterr().out) == ['Epoch 1/2', line, 'Epoch 2/2', line]


def test_progbar_logger_fit_verbose2(clock, capsys):
    run_timed_fit(clock, 2, batch_times=[0.1, 0.2, 0.3], end_time=0.393)
    line = ('3/3 - 0s - loss: 0.7446 - accuracy: 0.5375 - val_loss: 0.7697'
            ' - val_accuracy: 0.4500 - 393ms/epoch - 131ms/step')
    assert capsys.readouterr().out == f'Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n'


def test_progbar_logger_single_epoch_has_no_epoch_header(clock, capsys):
    run_timed_fit(clock, 1, batch_times=[0.874, 0.95, 0.99], end_time=1.0, epochs=1)
    assert render(capsys.readouterr().out)[0].startswith('3/3 [')


def test_progbar_logger_verbose2_skips_batch_hooks():
    logger = cbks.ProgbarLogger()
    logger.set_params({'verbose': 2, 'epochs': 1, 'steps': 3})
    assert not logger._implements_train_batch_hooks()
    logger.set_params({'verbose': 1, 'epochs': 1, 'steps': 3})
    assert logger._implements_train_batch_hooks()


def test_progbar_logger_evaluate_and_predict(clock, capsys):
    for mode in ('test', 'predict'):
        callback_list = cbks.CallbackList(None, add_progbar=True, model=FakeModel(),
                                          verbose=1, epochs=1, steps=4)
        clock.now = 0.0
        getattr(callback_list, f'on_{mode}_begin')()
        for batch, t in enumerate([0.002, 0.003, 0.004, 0.0056]):
            clock.now = t
            getattr(callback_list, f'on_{mode}_batch_end')(
                batch, {'loss': 0.745, 'accuracy': 0.52})
        logs = {'loss': 0.745, 'accuracy': 0.52} if mode == 'test' else None
        getattr(callback_list, f'on_{mode}_end')(logs)
    # 1.2 ms per step after the first.
    assert render(capsys.readouterr().out) == [
        '4/4 ' + BAR_FULL + ' - 0s 1ms/step - loss: 0.7450 - accuracy: 0.5200',
        '4/4 ' + BAR_FULL + ' - 0s 1ms/step']


def test_progbar_logger_unknown_steps(clock, capsys):
    callback_list = cbks.CallbackList(None, add_progbar=True, model=FakeModel(), verbose=1,
                                      epochs=1, steps=None)
    callback_list.on_train_begin()
    callback_list.on_epoch_begin(0)
    for batch in range(5):
        clock.now = batch + 1.0
        callback_list.on_train_batch_end(batch, {'loss': 0.5})
    callback_list.on_epoch_end(0, {'loss': 0.5})
    assert render(capsys.readouterr().out)[-1] == '5/5 ' + BAR_FULL + ' - 5s 1s/step - loss: 0.5000'


def test_progbar_logger_bad_count_mode():
    with pytest.raises(ValueError, match='count_mode'):
        cbks.ProgbarLogger(count_mode='epochs')
