"""From what the user gives ``fit`` / ``evaluate`` / ``predict`` to batches on the device.

    adapter = adapt(x, y, sample_weight, io, batch_size=32, shuffle=True)
    adapter.set_epochs(epochs)           # fit only: its epochs share one stream of batches
    adapter.to_device(device)            # arrays: the whole dataset moves once if it fits
    for xs, ys, ws in adapter.epoch():   # lists in model input / output order, on device
        ...
    adapter.on_epoch_end()
    if adapter.out_of_data: stop         # fewer batches than steps_per_epoch came

Accepted data (``x``, and ``y`` / ``sample_weight`` for arrays):

- numpy arrays, torch tensors, nested Python lists, pandas objects (anything ``np.asarray``
  reads), as one array, a list in input order or a dict keyed by input / output name;
- a ``torch.utils.data.DataLoader`` or ``Dataset`` (batched with ``batch_size``), a Python
  generator / iterator, or a ``keras.utils.Sequence`` (anything with ``__getitem__`` and
  ``__len__`` serving whole batches), each giving ``x``, ``(x, y)`` or ``(x, y, w)``.

Arrays are not copied: numpy arrays become ``torch.from_numpy`` views and batches are
slices (or, when shuffling, one ``index_select`` per array with one permutation per pass
over the data).  The only conversions are made once per fit: float64 / float16 / bool data
to float32 (or to the dtype of the model input), and integer class ids of a sparse
cross-entropy output to int64.  On CUDA the whole dataset is moved once when it takes
less than half the free memory; otherwise each batch is gathered on the host, pinned, and
copied with ``non_blocking=True``.
"""
import inspect
import math
import warnings

import numpy as np
import torch

from torchkeras.utils.data_utils import Sequence

__all__ = ['ModelIO', 'adapt', 'ArrayAdapter', 'IterableAdapter', 'unpack_x_y_sample_weight',
           'is_iterable_source', 'class_weight_table', 'apply_class_weight', 'check_cardinality']

_FLOAT_KINDS = ('f', 'b')  # numpy kinds converted to floatx (bool labels too)
_NUMERIC_KINDS = ('b', 'i', 'u', 'f')


class ModelIO:
    """What the data side needs to know about the model's inputs and outputs.

    Args:
        input_names: names in input order (None: inputs are taken positionally).
        input_dtypes: torch dtype per input (None: keep the data's dtype).
        output_names: names in output order (None: not known yet, taken positionally).
        sparse_outputs: per output, whether its targets are class ids (cast to int64).
    """

    def __init__(self, input_names=None, input_dtypes=None, output_names=None,
                 sparse_outputs=None):
        self.input_names = input_names
        self.input_dtypes = input_dtypes
        self.output_names = output_names
        self.sparse_outputs = sparse_outputs or []

    def input_dtype(self, index):
        if self.input_dtypes is None or index >= len(self.input_dtypes):
            return None
        return self.input_dtypes[index]

    def sparse(self, index):
        return index < len(self.sparse_outputs) and bool(self.sparse_outputs[index])

    def outputs_for(self, targets):
        """Output names, or positional names ('output_1', ...) while the model's are unknown."""
        if self.output_names is not None:
            return self.output_names
        count = len(targets) if targets is not None else 1
        return ['output_%d' % (k + 1) for k in range(count)]


# --------------------------------------------------------------------- conversions

def is_tf_dataset(value):
    """A ``tf.data.Dataset`` (only where TensorFlow is installed; recognised by its type,
    so TensorFlow is never imported here)."""
    return (type(value).__module__.startswith('tensorflow')
            and hasattr(value, 'as_numpy_iterator') and hasattr(value, 'cardinality'))


class TFDatasetSource:
    """A tf.data.Dataset read batch by batch as NumPy arrays, once per epoch (what Keras 3's
    torch backend does with one)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __iter__(self):
        return iter(self.dataset.as_numpy_iterator())

    def __len__(self):
        count = int(self.dataset.cardinality())
        if count < 0:  # tf.data.INFINITE_CARDINALITY / UNKNOWN_CARDINALITY
            raise TypeError('the dataset has no known length')
        return count


def is_iterable_source(value):
    """True for DataLoaders, Datasets, generators / iterators, Sequences and tf.data."""
    if value is None or isinstance(value, (np.ndarray, torch.Tensor, list, tuple, dict, str)):
        return False
    if is_tf_dataset(value):
        return True
    if isinstance(value, (torch.utils.data.DataLoader, torch.utils.data.Dataset)):
        return True
    if inspect.isgenerator(value) or hasattr(value, '__next__'):
        return True
    if hasattr(value, '__array__'):
        return False  # pandas, h5py datasets: array data
    return hasattr(value, '__getitem__') and hasattr(value, '__len__')


def _numpy_of(value, what):
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError('Failed to convert `%s` to a tensor: %s. Received: %s of type %s'
                        % (what, error, what, type(value).__name__)) from error
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError('Failed to convert `%s` to a tensor: expected numeric data (float, int '
                        'or bool), received an array of dtype %s (e.g. %r). Convert strings or '
                        'objects to numbers first.'
                        % (what, array.dtype, array.flat[0] if array.size else None))
    return array


def to_tensor(value, what, dtype=None):
    """A torch tensor sharing memory with ``value`` where possible, converted once:
    float64 / float16 / bool -> float32 (or ``dtype`` when given)."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        array = _numpy_of(value, what)
        if array.dtype.kind == 'u' and array.dtype.itemsize > 1:
            array = array.astype(np.int64)  # torch has few kernels for uint16/32/64
        elif array.dtype.byteorder == '>':
            array = array.astype(array.dtype.newbyteorder('='))
        with warnings.catch_warnings():
            # Read-only arrays (np.load mmap, broadcast views) are shared too: training
            # never writes to its input data.
            warnings.simplefilter('ignore', UserWarning)
            tensor = torch.from_numpy(array)
    if tensor.is_complex():
        raise TypeError('Failed to convert `%s`: complex data is not supported. Received dtype '
                        '%s' % (what, tensor.dtype))
    return tensor.to(_target_dtype(tensor.dtype, dtype))


def _target_dtype(current, wanted):
    """The dtype data is converted to (once): the model input's, or float32 for floats."""
    is_float = current.is_floating_point or current == torch.bool
    if wanted is not None:
        if wanted.is_floating_point or wanted == torch.bool:
            return wanted
        return current if not is_float else wanted  # ints keep their width
    if is_float and current != torch.float32:
        return torch.float32
    return current


def _target_tensor(value, what, sparse):
    tensor = to_tensor(value, what)
    if sparse and tensor.dtype != torch.int64:
        tensor = tensor.to(torch.int64)  # class ids, as the fused cross-entropy wants them
    return tensor


def _flatten_named(value, names, what, allow_missing=False):
    """One array, a list in order or a dict by name -> a list in ``names`` order."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _from_dict(value, names, what, allow_missing)
    if isinstance(value, (list, tuple)) and _is_list_of_arrays(value):
        if names is not None and len(value) != len(names):
            raise ValueError('The model expects %d %s array(s) %s, but `%s` holds %d arrays.'
                             % (len(names), _kind(what), names, what, len(value)))
        return list(value)
    if names is not None and len(names) > 1:
        raise ValueError('The model has %d %ss %s: pass `%s` as a list or a dict of %d arrays. '
                         'Received a single array.' % (len(names), _kind(what), names, what,
                                                       len(names)))
    return [value]


def _from_dict(value, names, what, allow_missing):
    """A dict by name -> a list in ``names`` order.  Keys of ``x`` that name no input are
    ignored (see unused_inputs); unknown ``y`` / ``sample_weight`` keys are an error, as in
    tf.keras, since they most likely misspell an output."""
    if names is None:
        return list(value.values())
    unknown = [k for k in value if k not in names]
    if unknown and _kind(what) == 'output':
        raise ValueError('Unknown keys %s in the `%s` dict: the model has no output with these '
                         'names. Expected keys: %s' % (unknown, what, names))
    missing = [n for n in names if n not in value]
    if missing and not allow_missing:
        raise ValueError('Missing data for %s %s: the model expects keys %s, received keys '
                         '%s' % (what, missing, names, list(value)))
    return [value.get(n) for n in names]


def unused_inputs(x, input_names):
    """The (key, value) pairs of an ``x`` dict that match no model input: tf.keras warns
    and ignores them (a dataset often carries more columns than a model reads)."""
    if not isinstance(x, dict) or input_names is None:
        return []
    unused = [(k, v) for k, v in x.items() if k not in input_names]
    if unused:
        warnings.warn('Input dict contained keys %s which did not match any model input. '
                      'They will be ignored by the model.' % [k for k, _ in unused],
                      stacklevel=4)
    return unused


def _kind(what):
    return 'input' if what.startswith('x') else 'output'


def _is_list_of_arrays(value):
    return len(value) > 0 and all(
        v is None or isinstance(v, (np.ndarray, torch.Tensor, dict)) or hasattr(v, '__array__')
        for v in value)


def _sample_weights(sample_weight, output_names):
    """None, one array for every output, a list or a dict by output name."""
    if sample_weight is None:
        return [None] * len(output_names)
    if isinstance(sample_weight, dict) or (
            isinstance(sample_weight, (list, tuple)) and _is_list_of_arrays(sample_weight)):
        return _flatten_named(sample_weight, output_names, 'sample_weight', allow_missing=True)
    return [sample_weight] * len(output_names)  # tf.keras: one array weights every output


def check_cardinality(groups):
    """Raise the tf.keras error when arrays disagree on the number of samples.

    ``groups`` is a list of (label, [(name, value)]), each value a tensor, an array-like
    or None.
    """
    sizes = [[(name, _sample_count(t)) for name, t in items] for _, items in groups]
    distinct = {n for items in sizes for _, n in items if n is not None}
    if len(distinct) <= 1:
        return distinct.pop() if distinct else 0
    lines = ['Data cardinality is ambiguous:']
    for (label, _), items in zip(groups, sizes):
        shown = [('%s: %d' % (name, n) if len(items) > 1 else '%d' % n)
                 for name, n in items if n is not None]
        if shown:
            lines.append('  %s sizes: %s' % (label, ', '.join(shown)))
    lines.append('Make sure all arrays contain the same number of samples.')
    raise ValueError('\n'.join(lines))


def _sample_count(value):
    """The first dimension of a tensor or array-like (None for None and scalars)."""
    if value is None:
        return None
    shape = value.shape if hasattr(value, 'shape') else np.shape(value)
    return int(shape[0]) if len(shape) else None


def unpack_x_y_sample_weight(data):
    """A batch from a generator / loader: x, (x,), (x, y) or (x, y, w) (tf.keras rule)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError('Data is expected to be in format `x`, `(x,)`, `(x, y)`, or '
                     '`(x, y, sample_weight)`, found a tuple of %d elements.' % len(data))


# ------------------------------------------------------------------- class weights

def class_weight_table(class_weight, output_names):
    """``class_weight`` -> per output a float32 tensor indexed by class id (or None)."""
    if not class_weight:  # None, or Keras 1's default {}
        return [None] * len(output_names)
    if not isinstance(class_weight, dict):
        raise TypeError('`class_weight` must be a dict mapping class ids to weights. Received: '
                        'class_weight=%r' % (class_weight,))
    if class_weight and all(k in output_names for k in class_weight) and \
            all(isinstance(v, dict) for v in class_weight.values()):
        return [None if class_weight.get(n) is None else _one_table(class_weight[n])
                for n in output_names]  # Keras 2.2: one dict per output name
    if len(output_names) > 1:
        raise ValueError('`class_weight` is only supported for Models with a single output '
                         '(or as a dict of dicts keyed by output name). Received: '
                         'class_weight=%r' % (class_weight,))
    return [_one_table(class_weight)]


def _one_table(class_weight):
    # tf.keras compares the sorted keys with range(n): numpy ints and 0.0 pass, '0' does not.
    try:
        keys = sorted(class_weight)
    except TypeError:
        keys = None  # keys of mixed types
    if keys is None or keys != list(range(len(keys))):
        raise ValueError('Expected `class_weight` to be a dict with keys from 0 to one less '
                         'than the number of classes, found %r' % (class_weight,))
    return torch.tensor([float(class_weight[k]) for k in keys], dtype=torch.float32)


def _class_ids(y):
    """The class of each target, as tf.keras picks it: argmax over the last axis of one-hot
    or probability targets, the rounded value of a single label (0.9 is class 1; ties go
    to even, as tf.round).  Targets of rank 3+ give one class per timestep."""
    if y.dim() >= 2 and y.shape[-1] > 1:
        return torch.argmax(y, dim=-1)
    if y.dim() >= 2:
        y = y.squeeze(-1)
    if y.is_floating_point():
        y = torch.round(y)
    return y.to(torch.int64)


def apply_class_weight(table, y, weights):
    """Per-sample (or per-timestep) weights ``table[class]``, times ``weights`` when given."""
    class_weights = table[_class_ids(y)]
    if weights is None:
        return class_weights
    weights = weights.to(class_weights.dtype)
    # Trailing 1s on the lower-rank side, so (N,) and (N, 1) weights both pair with row n.
    while weights.dim() < class_weights.dim():
        weights = weights.unsqueeze(-1)
    while class_weights.dim() < weights.dim():
        class_weights = class_weights.unsqueeze(-1)
    return class_weights * weights


def _check_classes_in_table(table, y, name):
    """On host data, before any step: every class id needs a weight."""
    if table is None or y is None or y.device.type != 'cpu' or not y.numel():
        return
    classes = _class_ids(y)
    low, high = int(classes.min()), int(classes.max())
    if low < 0 or high >= len(table):
        raise ValueError('`class_weight` must contain all classes in the data: output "%s" has '
                         'class %d, but class_weight has entries for classes 0..%d only.'
                         % (name, high if high >= len(table) else low, len(table) - 1))


# --------------------------------------------------------------------- array data

def adapt(x, y=None, sample_weight=None, io=None, batch_size=None, shuffle=False, steps=None,
          class_weight=None):
    """The adapter for any accepted data (see the module docstring)."""
    io = io or ModelIO()
    _check_steps(steps)
    if is_iterable_source(x):
        for name, value in (('y', y), ('sample_weight', sample_weight)):
            if value is not None:
                raise ValueError('`%s` argument is not supported when `x` is a generator, '
                                 'Sequence, Dataset or DataLoader: it yields `%s` itself. '
                                 'Received: x of type %s and %s of type %s'
                                 % (name, name, type(x).__name__, name, type(value).__name__))
        return IterableAdapter(x, io, batch_size, shuffle, steps, class_weight)
    if x is None:
        raise ValueError('No input data: pass `x` (arrays, a dict of arrays, a generator, a '
                         'Sequence or a DataLoader). Received: x=None')
    return ArrayAdapter.from_arrays(x, y, sample_weight, io, batch_size, shuffle, steps,
                                    class_weight)


def _check_steps(steps):
    # -1 is tf.keras's "no limit" (draw until the data ends).
    if steps is not None and steps != -1 and (isinstance(steps, bool) or steps <= 0):
        raise ValueError('`steps_per_epoch` / `steps` / `validation_steps` must be positive, '
                         'None or -1. Received: %r' % (steps,))


class ArrayAdapter:
    """In-memory tensors, batched by slicing (or a new permutation per pass).

    ``epoch()`` serves ``steps`` batches (one pass when no steps were given).  By default
    every epoch starts at the first batch and ends where the data ends (evaluate, predict,
    validation).  After ``set_epochs(n)`` (fit) the epochs draw from one stream of ``n``
    passes, so with ``steps_per_epoch`` an epoch continues where the last one stopped; when
    the stream ends early ``out_of_data`` is set and fit stops after that epoch.
    """

    def __init__(self, xs, ys, ws, io, batch_size, shuffle, steps=None, tables=None,
                 unused=()):
        self.xs, self.ys, self.ws, self.io = xs, ys, ws, io
        self.shuffle = shuffle
        self.tables = tables or [None] * len(ys)
        self.num_samples = check_cardinality(self._named_groups(unused))
        self._batch_size_arg, self._steps_arg = batch_size, steps
        self.batch_size = _batch_size_for(batch_size, steps, self.num_samples)
        self.steps = _steps_for(steps, self.num_samples, self.batch_size)
        self.epochs = None  # see set_epochs
        self.out_of_data = False
        self.device = torch.device('cpu')
        self._stream = False  # True: batches are copied to the device one by one
        self._cursor = None  # fit's stream of batch positions, shared by its epochs

    @classmethod
    def from_arrays(cls, x, y, sample_weight, io, batch_size, shuffle, steps, class_weight):
        raw_x = _flatten_named(x, io.input_names, 'x')
        xs = [to_tensor(v, _label('x', io.input_names, i, raw_x), io.input_dtype(i))
              for i, v in enumerate(raw_x)]
        raw_y = _flatten_named(y, io.output_names, 'y', allow_missing=True)
        names = io.outputs_for(raw_y)
        raw_y = raw_y or [None] * len(names)
        ys = [None if v is None else
              _target_tensor(v, _label('y', names, k, raw_y), io.sparse(k))
              for k, v in enumerate(raw_y)]
        raw_w = _sample_weights(sample_weight, names)
        ws = [None if v is None else
              to_tensor(v, _label('sample_weight', names, k, raw_w), torch.float32)
              for k, v in enumerate(raw_w)]
        tables = class_weight_table(class_weight, names)
        for k, name in enumerate(names):
            _check_classes_in_table(tables[k], ys[k], name)
        if isinstance(batch_size, bool) or batch_size is not None and int(batch_size) < 1:
            raise ValueError('`batch_size` must be a positive integer. Received: batch_size=%r'
                             % (batch_size,))
        return cls(xs, ys, ws, io, batch_size, shuffle, steps, tables,
                   unused=unused_inputs(x, io.input_names))

    def _named_groups(self, unused=()):
        names_in = self.io.input_names or ['x%d' % i for i in range(len(self.xs))]
        names_out = self.io.outputs_for(self.ys)
        # Ignored x keys still count, as in tf.keras: they are usually a column too many.
        return [('x', list(zip(names_in, self.xs)) + list(unused)),
                ('y', list(zip(names_out, self.ys))),
                ('sample_weight', list(zip(names_out, self.ws)))]

    def split(self, validation_split):
        """(train, validation): the LAST fraction is validation, taken before shuffling."""
        n = self.num_samples
        split_at = int(math.floor(n * (1.0 - validation_split)))
        if split_at == 0 or split_at == n:
            raise ValueError('Training data contains %d samples, which is not sufficient to '
                             'split it into a validation and training set as specified by '
                             '`validation_split=%s`. Either provide more data, or a different '
                             'value for the `validation_split` argument.' % (n, validation_split))

        def part(sl, steps, tables):
            return ArrayAdapter([t[sl] for t in self.xs],
                                [None if t is None else t[sl] for t in self.ys],
                                [None if t is None else t[sl] for t in self.ws],
                                self.io, self._batch_size_arg, self.shuffle, steps, tables)
        # steps_per_epoch and class_weight apply to training only, as in tf.keras.
        train = part(slice(0, split_at), self._steps_arg, self.tables)
        if self.epochs is not None:
            train.set_epochs(self.epochs)
        return train, part(slice(split_at, n), None, None)

    def with_batching(self, batch_size, shuffle=False, steps=None):
        """The same arrays with other batching (validation data, evaluate)."""
        return ArrayAdapter(self.xs, self.ys, self.ws, self.io, batch_size, shuffle, steps,
                            self.tables)

    def set_epochs(self, epochs):
        """For fit: all epochs draw from one stream of ``epochs`` passes over the data.

        tf.keras 2 repeats array data ``epochs - initial_epoch`` times in one dataset and
        keeps one iterator for the whole fit: an epoch of ``steps_per_epoch`` batches goes
        on where the previous one stopped (a pass may end mid-epoch; the next pass starts
        with a new shuffle), and fit runs out of data after that many passes.
        """
        self.epochs = int(epochs)
        self.out_of_data = False
        self._cursor = None
        return self

    # ------------------------------------------------------------------ device
    def to_device(self, device):
        """Move the whole dataset once when it fits; otherwise stream pinned batches."""
        device = torch.device(device)
        self.device = device
        tensors = [t for t in self.xs + self.ys + self.ws if t is not None]
        if device.type == 'cpu' or all(t.device == device for t in tensors):
            self._stream = False
        elif device.type == 'cuda' and _nbytes(tensors) > 0.5 * _free_memory(device):
            self._stream = True
        else:
            self._stream = False
        target = torch.device('cpu') if self._stream else device
        self.xs = [_move(t, target) for t in self.xs]
        self.ys = [_move(t, target) for t in self.ys]
        self.ws = [_move(t, target) for t in self.ws]
        self._merge_class_weights()
        return self

    def _merge_class_weights(self):
        # Once per fit: class weights become per-sample weights (no per-step cost).
        for k, table in enumerate(self.tables):
            if table is not None and self.ys[k] is not None:
                self.ws[k] = apply_class_weight(table.to(self.ys[k].device), self.ys[k],
                                                self.ws[k])
        self.tables = [None] * len(self.tables)

    # ----------------------------------------------------------------- batches
    def epoch(self):
        """Yield (xs, ys, ws) for one epoch: ``steps`` batches, fewer where the data ends."""
        if self.epochs is None:
            positions = self._passes(1)  # from the first batch every time
        else:
            if self._cursor is None:
                self._cursor = self._passes(self.epochs)
            positions = self._cursor
        produced = 0
        while self.steps is None or produced < self.steps:
            position = next(positions, None)
            if position is None:
                self.out_of_data = self.steps is not None
                return
            produced += 1
            yield self._batch(*position)

    def _passes(self, count):
        """(start, index) of each batch of ``count`` passes; each pass shuffles anew."""
        for _ in range(count):
            yield from self._one_pass()

    def _one_pass(self):
        n, size = self.num_samples, self.batch_size
        starts = range(0, n, size)
        if self.shuffle == 'batch':
            order = torch.randperm(len(starts)).tolist()
            return [(starts[i], None) for i in order]
        if self.shuffle:
            perm = torch.randperm(n, device=self._index_device())
            return [(s, perm[s:s + size]) for s in starts]
        return [(s, None) for s in starts]

    def _index_device(self):
        return torch.device('cpu') if self._stream else self.device

    def _batch(self, start, index):
        if index is None:
            stop = start + self.batch_size
            xs = [t[start:stop] for t in self.xs]
            ys = [None if t is None else t[start:stop] for t in self.ys]
            ws = [None if t is None else t[start:stop] for t in self.ws]
        else:
            xs = [t.index_select(0, index) for t in self.xs]
            ys = [None if t is None else t.index_select(0, index) for t in self.ys]
            ws = [None if t is None else t.index_select(0, index) for t in self.ws]
        if self._stream:
            xs, ys, ws = (_stream_all(part, self.device) for part in (xs, ys, ws))
        return xs, ys, ws

    def on_epoch_end(self):
        pass


def _batch_size_for(batch_size, steps, num_samples):
    """The user's batch size; else, with ``steps``, the data split into that many batches
    (tf.keras: ceil(samples / steps)); else 32."""
    if batch_size:
        return int(batch_size)
    if steps is not None and steps > 0:
        return max(math.ceil(num_samples / steps), 1)
    return 32


def _steps_for(steps, num_samples, batch_size):
    if steps == -1:
        return None  # until the data ends
    if steps:
        return int(steps)
    return math.ceil(num_samples / batch_size)


def _label(what, names, index, values):
    if len(values) == 1 or names is None:
        return what if len(values) == 1 else '%s[%d]' % (what, index)
    return "%s['%s']" % (what, names[index])


def _nbytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors)


def _free_memory(device):
    try:
        free, _ = torch.cuda.mem_get_info(device)
    except (RuntimeError, AssertionError):
        return 0
    return free


def _move(tensor, device):
    if tensor is None or tensor.device == device:
        return tensor
    return tensor.to(device)


def _stream_all(tensors, device):
    return [None if t is None else t.pin_memory().to(device, non_blocking=True) for t in tensors]


# ----------------------------------------------------------------- iterable data

class IterableAdapter:
    """Generators, Sequences, Datasets and DataLoaders: one conversion per batch."""

    def __init__(self, source, io, batch_size, shuffle, steps, class_weight):
        self.io = io
        self.shuffle = shuffle
        self.batch_size = batch_size
        self.tables = class_weight_table(class_weight, io.outputs_for(None))
        self.device = torch.device('cpu')
        self.exhausted = False
        self.out_of_data = False
        self._iterator = None
        self._steps_given = steps not in (None, -1)
        self._unused_checked = False
        if is_tf_dataset(source):
            self.kind, self.source = 'loader', TFDatasetSource(source)
        elif isinstance(source, torch.utils.data.Dataset):
            self.kind, self.dataset, self.source = 'dataset', source, None
        elif isinstance(source, torch.utils.data.DataLoader):
            self.kind, self.source = 'loader', source
        elif isinstance(source, Sequence):
            # before the generator test: Keras iterators (ImageDataGenerator.flow) are
            # Sequences that also have __next__, and their epoch length is len(source)
            self.kind, self.source = 'sequence', source
        elif inspect.isgenerator(source) or hasattr(source, '__next__'):
            self.kind, self.source = 'generator', source
        else:
            self.kind, self.source = 'sequence', source
        if self.kind == 'dataset':
            self.source = self._loader_for(source, pin=False)
            self.kind = 'loader'
        self.steps = int(steps) if self._steps_given else self._natural_length()

    def _loader_for(self, dataset, pin):
        map_style = not isinstance(dataset, torch.utils.data.IterableDataset)
        return torch.utils.data.DataLoader(dataset, batch_size=int(self.batch_size or 32),
                                           shuffle=bool(self.shuffle) and map_style,
                                           pin_memory=pin)

    def _natural_length(self):
        try:
            return len(self.source) if self.kind in ('loader', 'sequence') else None
        except TypeError:
            return None  # an iterable-style loader has no length

    def set_epochs(self, epochs):
        """Nothing to do: generators go on across epochs and Sequences / loaders restart
        (see ``_raw_batches``); kept so fit can treat every adapter alike."""
        return self

    def to_device(self, device):
        self.device = torch.device(device)
        if getattr(self, 'dataset', None) is not None and self.device.type == 'cuda':
            self.source = self._loader_for(self.dataset, pin=True)
        self.tables = [None if t is None else t.to(self.device) for t in self.tables]
        return self

    def epoch(self):
        """Yield (xs, ys, ws) on the device; stops after ``steps`` or when the data ends."""
        produced = 0
        for raw in self._raw_batches():
            yield self.convert(raw)
            produced += 1
            if self.steps is not None and produced >= self.steps:
                return
        # Fewer batches than steps_per_epoch: tf.keras stops fit after this epoch.
        self.out_of_data = self._steps_given

    def _raw_batches(self):
        if self.kind == 'sequence':
            return self._sequence_batches()
        if self.kind == 'loader' and not self._steps_given:
            return iter(self.source)
        return self._persistent_batches()

    def _sequence_batches(self):
        length = len(self.source)
        order = torch.randperm(length).tolist() if self.shuffle else range(length)
        for index in order:
            yield self.source[index]

    def _persistent_batches(self):
        # Generators continue where the last epoch stopped; a loader restarts when it ends.
        while True:
            if self._iterator is None:
                self._iterator = iter(self.source)
            try:
                yield next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self.kind == 'generator':
                    self.exhausted = True
                    return

    def convert(self, raw):
        x, y, w = unpack_x_y_sample_weight(raw)
        if not self._unused_checked:  # warn once, not once per batch
            self._unused_checked = True
            unused_inputs(x, self.io.input_names)
        xs = [_to_device(to_tensor(v, 'x', self.io.input_dtype(i)), self.device)
              for i, v in enumerate(_flatten_named(x, self.io.input_names, 'x'))]
        raw_y = _flatten_named(y, self.io.output_names, 'y', allow_missing=True)
        names_out = self.io.outputs_for(raw_y)
        raw_y = raw_y or [None] * len(names_out)
        ys = [None if v is None else
              _to_device(_target_tensor(v, 'y', self.io.sparse(k)), self.device)
              for k, v in enumerate(raw_y)]
        ws = [None if v is None else
              _to_device(to_tensor(v, 'sample_weight', torch.float32), self.device)
              for v in _sample_weights(w, names_out)]
        for k, table in enumerate(self.tables):
            if table is not None and ys[k] is not None:
                ws[k] = apply_class_weight(table, ys[k], ws[k])
        return xs, ys, ws

    def on_epoch_end(self):
        if self.kind == 'sequence' and hasattr(self.source, 'on_epoch_end'):
            self.source.on_epoch_end()

    def split(self, validation_split):
        raise ValueError('`validation_split` is only supported for Tensors or NumPy arrays, '
                         'found input of type %s. Pass `validation_data` instead.'
                         % type(self.source).__name__)


def _to_device(tensor, device):
    if tensor.device == device:
        return tensor
    return tensor.to(device, non_blocking=True)


def warn_out_of_data(steps):
    warnings.warn('Your input ran out of data; interrupting training. Make sure that your '
                  'dataset or generator can generate at least `steps_per_epoch * epochs` '
                  'batches (in this case, %s batches).' % steps, stacklevel=3)
