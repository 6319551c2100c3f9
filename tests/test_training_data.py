"""torchkeras.training.data: user data -> batches (no copies, one permutation per epoch)."""
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras.training import data
from torchkeras.utils.data_utils import Sequence


def _io(inputs=('a',), outputs=('out',), sparse=None, dtypes=None):
    return data.ModelIO(list(inputs), dtypes, list(outputs), sparse)


def _batches(adapter):
    return list(adapter.epoch())


# ------------------------------------------------------------------ conversions

def test_float32_arrays_are_shared_not_copied():
    x = np.random.rand(10, 3).astype('float32')
    adapter = data.adapt(x, np.zeros((10, 1), 'float32'), io=_io(), batch_size=4)
    assert adapter.xs[0].data_ptr() == x.ctypes.data
    first = _batches(adapter)[0][0][0]
    assert first.data_ptr() == x.ctypes.data  # an unshuffled batch is a view
    x[0, 0] = 42.0
    assert float(first[0, 0]) == 42.0
    x.flags.writeable = False  # read-only arrays (mmap) are shared as well
    assert data.adapt(x, None, io=_io()).xs[0].data_ptr() == x.ctypes.data


def test_float64_becomes_float32_once_and_ints_stay_ints():
    adapter = data.adapt(np.random.rand(6, 2), np.arange(6, dtype='int32'), io=_io(),
                         batch_size=6)
    assert adapter.xs[0].dtype == torch.float32
    assert adapter.ys[0].dtype == torch.int32


def test_sparse_targets_become_int64_and_bool_targets_float():
    adapter = data.adapt(np.zeros((4, 2), 'float32'), np.array([0, 1, 2, 1], 'int32'),
                         io=_io(sparse=[True]))
    assert adapter.ys[0].dtype == torch.int64
    assert adapter.ys[0].tolist() == [0, 1, 2, 1]
    adapter = data.adapt(np.zeros((2, 2), 'float32'), np.array([[True], [False]]), io=_io())
    assert adapter.ys[0].dtype == torch.float32


def test_inputs_take_the_model_input_dtype():
    adapter = data.adapt(np.array([[1, 2]], 'int64'), None, io=_io(dtypes=[torch.float32]))
    assert adapter.xs[0].dtype == torch.float32
    # Integer ids for an integer input keep their width (no copy).
    ids = np.array([[1, 2]], 'int32')
    adapter = data.adapt(ids, None, io=_io(dtypes=[torch.int64]))
    assert adapter.xs[0].dtype == torch.int32


def test_lists_and_pandas_like_objects_are_arrays():
    class FrameLike:
        def __array__(self, dtype=None, copy=None):
            return np.ones((3, 2), 'float32')

        def __getitem__(self, key):
            raise AssertionError('must not be used as a Sequence')

        def __len__(self):
            return 3
    adapter = data.adapt(FrameLike(), [[1.0], [2.0], [3.0]], io=_io())
    assert adapter.num_samples == 3
    assert adapter.xs[0].shape == (3, 2)


def test_non_numeric_data_is_a_clear_error():
    with pytest.raises(TypeError, match='numeric'):
        data.adapt(np.array([['a', 'b']]), np.zeros((1, 1)), io=_io())


# ----------------------------------------------------------------- names and dicts

def test_dicts_are_ordered_by_input_and_output_names():
    x = {'b': np.ones((2, 1), 'float32'), 'a': np.zeros((2, 3), 'float32')}
    y = {'o2': np.ones((2, 1), 'float32'), 'o1': np.zeros((2, 1), 'float32')}
    adapter = data.adapt(x, y, io=_io(('a', 'b'), ('o1', 'o2')))
    assert [t.shape[1] for t in adapter.xs] == [3, 1]
    assert adapter.ys[0].sum() == 0 and adapter.ys[1].sum() == 2


def test_missing_and_unknown_keys_name_them():
    x = {'a': np.zeros((2, 1))}
    with pytest.raises(ValueError, match=r"Missing data for x \['b'\]"):
        data.adapt(x, None, io=_io(('a', 'b')))
    with pytest.raises(ValueError, match=r"Unknown keys \['zz'\] in the `y` dict"):
        data.adapt(x, {'out': np.zeros(2), 'zz': np.zeros(2)}, io=_io())
    with pytest.raises(ValueError, match=r"Unknown keys \['zz'\] in the `sample_weight`"):
        data.adapt(x, np.zeros(2), {'zz': np.ones(2)}, io=_io())


def test_x_keys_that_match_no_input_are_ignored_with_a_warning():
    """tf.keras trains on {'a', 'b', 'c'} for inputs a, b: it warns and drops 'c', whose
    length still counts for the cardinality check (tf: "x sizes: 2, 2, 3")."""
    x = {'b': np.ones((2, 1), 'float32'), 'c': np.array(['text', 'more']),
         'a': np.zeros((2, 3), 'float32')}
    with pytest.warns(UserWarning, match=r"Input dict contained keys \['c'\] which did not "
                                         r"match any model input"):
        adapter = data.adapt(x, None, io=_io(('a', 'b')))
    assert [tuple(t.shape) for t in adapter.xs] == [(2, 3), (2, 1)]
    x['c'] = np.zeros((3, 1))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match='x sizes: a: 2, b: 2, c: 3'):
        data.adapt(x, None, io=_io(('a', 'b')))


def test_a_generator_warns_once_about_unused_x_keys():
    def gen():
        for _ in range(3):
            yield {'a': np.zeros((2, 1), 'float32'), 'c': np.zeros((2, 1))}, np.zeros((2, 1))
    adapter = data.adapt(gen(), io=_io())
    with pytest.warns(UserWarning, match='did not match any model input') as record:
        batches = _batches(adapter)
    assert len(batches) == 3 and len(batches[0][0]) == 1 and len(record) == 1


def test_a_single_array_for_a_two_input_model_is_an_error():
    with pytest.raises(ValueError, match='2 inputs'):
        data.adapt(np.zeros((2, 1)), None, io=_io(('a', 'b')))


def test_cardinality_error_lists_every_array():
    with pytest.raises(ValueError) as info:
        data.adapt(np.zeros((10, 2)), np.zeros((9, 1)), io=_io())
    message = str(info.value)
    assert 'Data cardinality is ambiguous' in message
    assert 'x sizes: 10' in message and 'y sizes: 9' in message


def test_one_sample_weight_array_weights_every_output():
    adapter = data.adapt(np.zeros((3, 1)), [np.zeros((3, 1)), np.zeros((3, 1))],
                         np.array([1.0, 2.0, 3.0]), io=_io(outputs=('p', 'q')))
    assert [w.tolist() for w in adapter.ws] == [[1.0, 2.0, 3.0]] * 2


# --------------------------------------------------------------------- batching

def test_batches_keep_the_last_partial_batch():
    adapter = data.adapt(np.arange(50, dtype='float32').reshape(50, 1), None, io=_io(),
                         batch_size=20)
    sizes = [len(xs[0]) for xs, _, _ in adapter.epoch()]
    assert sizes == [20, 20, 10] and adapter.steps == 3


def test_shuffle_draws_one_new_permutation_per_epoch():
    torch.manual_seed(0)
    x = np.arange(30, dtype='float32').reshape(30, 1)
    adapter = data.adapt(x, x.copy(), io=_io(), batch_size=7, shuffle=True)
    orders = []
    for _ in range(2):
        seen = torch.cat([xs[0] for xs, _, _ in adapter.epoch()]).flatten().tolist()
        assert sorted(seen) == list(range(30))
        orders.append(seen)
    assert orders[0] != orders[1] and orders[0] != list(range(30))
    for xs, ys, _ in adapter.epoch():  # x and y stay paired
        assert torch.equal(xs[0], ys[0])


def test_shuffle_batch_keeps_samples_together_within_a_batch():
    x = np.arange(12, dtype='float32').reshape(12, 1)
    adapter = data.adapt(x, None, io=_io(), batch_size=4, shuffle='batch')
    for xs, _, _ in adapter.epoch():
        values = xs[0].flatten().tolist()
        assert values == list(range(int(values[0]), int(values[0]) + 4))


def test_validation_split_takes_the_last_fraction():
    x = np.arange(50, dtype='float32').reshape(50, 1)
    train, val = data.adapt(x, x, io=_io(), batch_size=8, shuffle=True).split(0.2)
    assert train.num_samples == 40 and val.num_samples == 10
    assert val.xs[0].flatten().tolist() == list(range(40, 50))
    with pytest.raises(ValueError, match='not sufficient to split'):
        data.adapt(x[:1], x[:1], io=_io()).split(0.5)


def _firsts(adapter):
    """The first sample of each batch of one epoch (x = arange, so the sample's index)."""
    return [int(xs[0][0, 0]) for xs, _, _ in adapter.epoch()]


def test_steps_beyond_the_data_stop_at_the_end_of_the_data():
    """tf.keras (evaluate, predict, validation, fit with epochs=1): one pass over the data,
    never wrapping around; ``out_of_data`` tells fit to stop.  (It used to wrap around and
    draw 5 batches.)"""
    x = np.arange(10, dtype='float32').reshape(10, 1)
    adapter = data.adapt(x, None, io=_io(), batch_size=4, steps=5)
    assert _firsts(adapter) == [0, 4, 8] and adapter.out_of_data
    # Without set_epochs every epoch starts again at the first batch (validation data).
    adapter = data.adapt(x, None, io=_io(), batch_size=4, steps=2)
    assert [_firsts(adapter), _firsts(adapter)] == [[0, 4], [0, 4]]
    assert not adapter.out_of_data


def test_fit_epochs_continue_where_the_previous_one_stopped():
    """tf.keras repeats arrays ``epochs`` times in one dataset with one iterator: 10 samples,
    batch 2, steps_per_epoch=2, 3 epochs -> batches 0-1, 2-3, then 4 and 0 again."""
    x = np.arange(10, dtype='float32').reshape(10, 1)
    adapter = data.adapt(x, x, io=_io(), batch_size=2, steps=2).set_epochs(3)
    assert [_firsts(adapter) for _ in range(3)] == [[0, 2], [4, 6], [8, 0]]
    assert not adapter.out_of_data
    # steps_per_epoch=7 > 5 batches, 2 epochs: 10 batches in all, 7 then 3, then no more.
    adapter = data.adapt(x, x, io=_io(), batch_size=2, steps=7).set_epochs(2)
    assert _firsts(adapter) == [0, 2, 4, 6, 8, 0, 2] and not adapter.out_of_data
    assert _firsts(adapter) == [4, 6, 8] and adapter.out_of_data
    assert _firsts(adapter) == []


def test_fit_shuffles_once_per_pass_over_the_data_not_once_per_epoch():
    """The permutation is redrawn when a pass over the data begins, which with
    steps_per_epoch can be in the middle of an epoch (tf: one permutation per repeat)."""
    x = np.arange(10, dtype='float32').reshape(10, 1)
    torch.manual_seed(3)
    first, second = torch.randperm(10).tolist(), torch.randperm(10).tolist()
    torch.manual_seed(3)
    adapter = data.adapt(x, x, io=_io(), batch_size=2, steps=3, shuffle=True).set_epochs(2)
    seen = [torch.cat([xs[0] for xs, _, _ in adapter.epoch()]).flatten().int().tolist()
            for _ in range(2)]
    assert seen == [first[:6], first[6:] + second[:2]]


def test_batch_size_defaults_to_the_data_split_into_steps():
    # tf.keras: batch_size = ceil(samples / steps) when only steps is given.
    adapter = data.adapt(np.zeros((10, 1)), None, io=_io(), steps=3)
    assert [len(xs[0]) for xs, _, _ in adapter.epoch()] == [4, 4, 2]
    assert data.adapt(np.zeros((10, 1)), None, io=_io()).batch_size == 32


def test_validation_split_keeps_steps_per_epoch_for_the_training_part():
    x = np.arange(10, dtype='float32').reshape(10, 1)
    train, val = data.adapt(x, x, io=_io(), batch_size=2, steps=2).split(0.4)
    assert train.steps == 2 and val.steps == 2  # val: 4 samples in batches of 2
    train, val = data.adapt(x, x, io=_io(), steps=2).split(0.4)
    assert train.batch_size == 3 and val.batch_size == 32


def test_steps_must_be_positive_none_or_minus_one():
    for steps in (0, -2):
        with pytest.raises(ValueError, match='must be positive, None or -1. Received: %d'
                           % steps):
            data.adapt(np.zeros((4, 1)), None, io=_io(), steps=steps)
    adapter = data.adapt(np.zeros((4, 1)), None, io=_io(), batch_size=3, steps=-1)
    assert adapter.steps is None and len(_batches(adapter)) == 2


# ------------------------------------------------------------------ class weights

def test_class_weight_becomes_per_sample_weights_once():
    y = np.array([[1, 0], [0, 1], [0, 1]], 'float32')  # one-hot: classes 0, 1, 1
    adapter = data.adapt(np.zeros((3, 1)), y, np.array([1.0, 2.0, 1.0]), io=_io(),
                         class_weight={0: 0.5, 1: 3.0}).to_device('cpu')
    assert adapter.ws[0].tolist() == [0.5, 6.0, 3.0]


def test_class_weight_rounds_soft_binary_labels():
    """tf.keras picks the class of a single label with tf.round: 0.9 is class 1 (it used to
    be truncated to class 0), and 0.5 / 2.5 round to even."""
    y = np.array([[0.9], [0.1], [0.6], [0.4]], 'float32')
    cw = {0: 1.0, 1: 10.0}
    for target in (y, y[:, 0]):
        adapter = data.adapt(np.zeros((4, 1)), target, io=_io(), class_weight=cw)
        assert adapter.to_device('cpu').ws[0].tolist() == [10.0, 1.0, 10.0, 1.0]
    adapter = data.adapt(np.zeros((4, 1)), np.array([0.5, 1.5, 2.5, 1.4]), io=_io(),
                         class_weight={0: 1.0, 1: 10.0, 2: 100.0})
    assert adapter.to_device('cpu').ws[0].tolist() == [1.0, 100.0, 100.0, 10.0]


def test_class_weight_takes_the_argmax_of_probabilities_and_weights_timesteps():
    probs = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]], 'float32')
    adapter = data.adapt(np.zeros((3, 1)), probs, io=_io(),
                         class_weight={0: 1.0, 1: 10.0, 2: 100.0})
    assert adapter.to_device('cpu').ws[0].tolist() == [10.0, 1.0, 100.0]
    # Rank 3 targets: one class per timestep, so (N, T) weights (tf.keras 2 does the same).
    labels = np.array([[[0.9], [0.2]], [[0.0], [1.0]]], 'float32')
    one_hot = np.eye(2, dtype='float32')[[[1, 0], [0, 1]]]
    for target in (labels, one_hot):
        adapter = data.adapt(np.zeros((2, 2, 1)), target, np.array([1.0, 2.0]), io=_io(),
                             class_weight={0: 1.0, 1: 10.0})
        assert adapter.to_device('cpu').ws[0].tolist() == [[10.0, 1.0], [2.0, 20.0]]


def test_class_weight_times_column_sample_weights_keeps_one_weight_per_sample():
    adapter = data.adapt(np.zeros((3, 1)), np.array([[0], [1], [1]]), np.array([[1.], [2.], [3.]]),
                         io=_io(), class_weight={0: 0.5, 1: 3.0})
    assert adapter.to_device('cpu').ws[0].tolist() == [[0.5], [6.0], [9.0]]


def test_class_weight_keys_are_checked_like_tf_keras():
    y = np.array([0, 1, 1])
    for keys in ((np.int64(0), np.int32(1)), (0.0, 1.0)):
        adapter = data.adapt(np.zeros((3, 1)), y, io=_io(),
                             class_weight={keys[0]: 0.5, keys[1]: np.float32(3.0)})
        assert adapter.to_device('cpu').ws[0].tolist() == [0.5, 3.0, 3.0]
    for bad in ({'0': 0.5, '1': 3.0}, {0: 0.5, '1': 3.0}):
        with pytest.raises(ValueError, match='keys from 0 to one less than the number of '
                                             'classes'):
            data.adapt(np.zeros((3, 1)), y, io=_io(), class_weight=bad)


def test_keras1_empty_class_weight_means_none():
    adapter = data.adapt(np.zeros((2, 1)), np.array([0, 1]), io=_io(), class_weight={})
    assert adapter.to_device('cpu').ws == [None]


def test_class_weight_errors():
    with pytest.raises(ValueError, match='keys from 0'):
        data.adapt(np.zeros((2, 1)), np.array([0, 2]), io=_io(), class_weight={0: 1, 2: 1})
    with pytest.raises(ValueError, match='class 2'):
        data.adapt(np.zeros((2, 1)), np.array([0, 2]), io=_io(), class_weight={0: 1, 1: 1})
    with pytest.raises(ValueError, match='single output'):
        data.adapt(np.zeros((2, 1)), [np.zeros(2), np.zeros(2)],
                   io=_io(outputs=('p', 'q')), class_weight={0: 1.0})


# --------------------------------------------------------------- iterable sources

def test_unpack_follows_the_tf_keras_rule():
    assert data.unpack_x_y_sample_weight('x') == ('x', None, None)
    assert data.unpack_x_y_sample_weight(('x',)) == ('x', None, None)
    assert data.unpack_x_y_sample_weight(['x', 'y']) == ('x', 'y', None)
    assert data.unpack_x_y_sample_weight(('x', 'y', 'w')) == ('x', 'y', 'w')
    with pytest.raises(ValueError):
        data.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_generator_continues_across_epochs_and_reports_exhaustion():
    def gen():
        for i in range(5):
            yield np.full((2, 1), i, 'float32'), np.zeros((2, 1), 'float32')
    adapter = data.adapt(gen(), io=_io(), steps=2)
    firsts = [[float(xs[0][0, 0]) for xs, _, _ in adapter.epoch()] for _ in range(3)]
    assert firsts == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    assert adapter.exhausted


def test_sequence_batches_shuffle_their_order_and_end_epochs():
    class Batches(Sequence):
        ended = 0

        def __len__(self):
            return 4

        def __getitem__(self, index):
            return np.full((3, 1), index, 'float32'), np.zeros((3, 1), 'float32')

        def on_epoch_end(self):
            self.ended += 1
    torch.manual_seed(1)
    seq = Batches()
    adapter = data.adapt(seq, io=_io(), shuffle=True)
    order = [int(xs[0][0, 0]) for xs, _, _ in adapter.epoch()]
    adapter.on_epoch_end()
    assert sorted(order) == [0, 1, 2, 3] and adapter.steps == 4 and seq.ended == 1


def test_torch_dataset_is_batched_and_dataloader_used_as_is():
    dataset = torch.utils.data.TensorDataset(torch.arange(10.0).reshape(10, 1),
                                             torch.zeros(10, 1))
    adapter = data.adapt(dataset, io=_io(), batch_size=4).to_device('cpu')
    assert [len(xs[0]) for xs, _, _ in adapter.epoch()] == [4, 4, 2]
    loader = torch.utils.data.DataLoader(dataset, batch_size=5)
    adapter = data.adapt(loader, io=_io()).to_device('cpu')
    assert adapter.steps == 2 and len(_batches(adapter)) == 2


def test_y_with_a_generator_is_an_error_naming_both_types():
    def gen():
        yield np.zeros((2, 1))
    with pytest.raises(ValueError, match='`y` argument is not supported when `x` is a '
                       'generator.*Received: x of type generator and y of type ndarray'):
        data.adapt(gen(), np.zeros(3), io=_io())
    with pytest.raises(ValueError, match='Received: x of type list_iterator and '
                                         'sample_weight of type list'):
        data.adapt(iter([]), None, [1.0], io=_io())


def test_iterables_that_end_before_steps_are_out_of_data():
    def gen():
        for i in range(3):
            yield np.full((2, 1), i, 'float32'), np.zeros((2, 1), 'float32')
    adapter = data.adapt(gen(), io=_io(), steps=2)
    assert _firsts(adapter) == [0, 1] and not adapter.out_of_data
    assert _firsts(adapter) == [2] and adapter.out_of_data
    endless = data.adapt(gen(), io=_io())  # no steps: running dry ends the epoch, no more
    assert _firsts(endless) == [0, 1, 2] and not endless.out_of_data


def test_sequence_of_weighted_batches_and_dataloader_of_dicts():
    class Weighted(Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return ({'a': np.full((2, 1), index, 'float32')}, np.zeros((2, 1), 'float32'),
                    np.full((2, 1), index + 1.0))
    adapter = data.adapt(Weighted(), io=_io(), steps=3).to_device('cpu')
    assert [ws[0].tolist() for _, _, ws in adapter.epoch()] == [[[1.0], [1.0]], [[2.0], [2.0]]]
    assert adapter.out_of_data  # tf.keras: a Sequence shorter than steps ends fit

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {'b': np.float32([i]), 'a': np.float32([i, i])}, np.float32([i])
    loader = torch.utils.data.DataLoader(Rows(), batch_size=2)
    adapter = data.adapt(loader, io=_io(('a', 'b'))).to_device('cpu')
    xs, ys, _ = _batches(adapter)[0]
    assert [tuple(t.shape) for t in xs] == [(2, 2), (2, 1)] and ys[0].tolist() == [[0.], [1.]]


def test_fit_on_image_data_generator_flow_runs_one_epoch_of_len_batches():
    """An ImageDataGenerator iterator is a Sequence that also has __next__: its epoch is
    len(iterator) batches (it would never end if treated as a generator)."""
    import torchkeras
    from torchkeras import layers
    from torchkeras.preprocessing.image import ImageDataGenerator
    x = np.random.rand(40, 8, 8, 3).astype('float32')
    y = torchkeras.utils.to_categorical(np.random.randint(0, 2, 40), 2)
    model = torchkeras.Sequential([layers.Flatten(input_shape=(8, 8, 3)),
                                   layers.Dense(2, activation='softmax')])
    model.compile('adam', 'categorical_crossentropy')
    seen = []
    callback = torchkeras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(ImageDataGenerator(horizontal_flip=True).flow(x, y, batch_size=10), epochs=2,
              verbose=0, callbacks=[callback])
    assert seen == [0, 1, 2, 3] * 2


# -------------------------------------------------------------------------- tf.data
class _FakeTFDataset:
    """What fit reads of a tf.data.Dataset: as_numpy_iterator() and cardinality()."""

    def __init__(self, batches):
        self.batches = batches
        self.iterations = 0

    def as_numpy_iterator(self):
        self.iterations += 1
        return iter(self.batches)

    def cardinality(self):
        return len(self.batches)


_FakeTFDataset.__module__ = 'tensorflow.python.data.ops.dataset_ops'  # as tf's own class


def test_a_tf_data_dataset_is_read_batch_by_batch_every_epoch():
    rng = np.random.RandomState(0)
    batches = [(rng.rand(8, 3).astype('float32'), rng.rand(8, 1).astype('float32'))
               for _ in range(4)]
    dataset = _FakeTFDataset(batches)
    model = torchkeras.Sequential([torchkeras.Input((3,)), torchkeras.layers.Dense(1)])
    model.compile(optimizer='sgd', loss='mse')
    history = model.fit(dataset, epochs=3, verbose=0)
    assert dataset.iterations == 3 and len(history.history['loss']) == 3
    assert model.predict(dataset, verbose=0).shape == (32, 1)


def test_a_real_tf_data_dataset_when_tensorflow_is_installed():
    tf = pytest.importorskip('tensorflow')
    x = np.random.RandomState(1).rand(20, 3).astype('float32')
    dataset = tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(5)
    model = torchkeras.Sequential([torchkeras.Input((3,)), torchkeras.layers.Dense(1)])
    model.compile(optimizer='sgd', loss='mse')
    assert len(model.fit(dataset, epochs=2, verbose=0).history['loss']) == 2
