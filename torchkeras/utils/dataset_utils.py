"""Keras's dataset utilities: ``image_dataset_from_directory``, ``text_dataset_from_directory``
and ``timeseries_dataset_from_array``.

Keras returns a ``tf.data.Dataset``; here each returns a ``keras.utils.Sequence`` of batches
(NumPy arrays), which ``fit`` / ``evaluate`` / ``predict`` take as they take any Sequence
and a PyTorch user can iterate or wrap in a DataLoader.  Files are read when their batch is
asked for.  With ``shuffle`` the order is drawn from ``seed`` and drawn again every epoch
(tf.data's default ``reshuffle_each_iteration``).
"""
import os

import numpy as np

from torchkeras.utils.data_utils import Sequence
from torchkeras.utils.image_utils import img_to_array, load_img

__all__ = ['image_dataset_from_directory', 'text_dataset_from_directory',
           'timeseries_dataset_from_array', 'BatchSequence']

IMAGE_EXTENSIONS = ('.bmp', '.gif', '.jpeg', '.jpg', '.png')


class BatchSequence(Sequence):
    """Batches of samples ``load(indices)`` returns, over ``count`` samples in an order that a
    seeded shuffle redraws every epoch.  ``class_names`` / ``file_paths`` as Keras sets them."""

    def __init__(self, count, batch_size, load, shuffle=False, seed=None, class_names=None,
                 file_paths=None):
        super().__init__()
        self.count, self.batch_size, self.load = count, batch_size, load
        self.shuffle = shuffle
        self._rng = np.random.RandomState(seed if seed is not None else
                                          np.random.randint(1e6))
        self.order = self._rng.permutation(count) if shuffle else np.arange(count)
        self.class_names = class_names
        self.file_paths = file_paths

    def __len__(self):
        if self.batch_size is None:
            return self.count
        return -(-self.count // self.batch_size)

    def __getitem__(self, index):
        if index < 0 or index >= len(self):
            raise IndexError('batch %d out of range (%d batches)' % (index, len(self)))
        if self.batch_size is None:  # unbatched: one sample at a time
            return _single(self.load(self.order[index:index + 1]))
        return self.load(self.order[index * self.batch_size:(index + 1) * self.batch_size])

    def on_epoch_end(self):
        if self.shuffle:
            self.order = self._rng.permutation(self.count)


def _single(batch):
    if isinstance(batch, tuple):
        return tuple(part[0] for part in batch)
    return batch[0]


# -------------------------------------------------------------------- from a directory
def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError('`%s` must be one of %s. Received: %s=%r'
                         % (name, ', '.join(repr(a) for a in allowed), name, value))


def _index_directory(directory, labels, formats, class_names, follow_links):
    """(file paths, integer labels or None, class names) as Keras lists them: class
    subdirectories in alphanumeric order, files sorted inside each."""
    if not os.path.isdir(directory):
        raise ValueError('`directory` must be an existing folder. Received: directory=%r'
                         % (directory,))
    if labels == 'inferred':
        found = sorted(d for d in os.listdir(directory)
                       if os.path.isdir(os.path.join(directory, d)))
        if class_names is not None:
            missing = [c for c in class_names if c not in found]
            if missing:
                raise ValueError('The `class_names` passed did not match the names of the '
                                 'subdirectories of the target directory. Expected: %s, '
                                 'but received: %s' % (found, list(class_names)))
            found = list(class_names)
        folders = [(os.path.join(directory, name), index) for index, name in enumerate(found)]
    else:
        found, folders = None, [(directory, None)]
    paths, ids = [], []
    for folder, label in folders:
        for root, _, files in sorted(os.walk(folder, followlinks=follow_links)):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    ids.append(label)
    if labels not in ('inferred', None):  # an explicit list, in the files' sorted order
        if len(labels) != len(paths):
            raise ValueError('Expected the lengths of `labels` to match the number of files in '
                             'the target directory. len(labels) is %d while we found %d files '
                             'in directory %s.' % (len(labels), len(paths), directory))
        ids = list(labels)
    return paths, (None if labels is None else np.asarray(ids)), found


def _split(paths, labels, validation_split, subset, shuffle, seed):
    """Keras's order: a seeded shuffle of the file list, then the last fraction validates."""
    if validation_split is not None and subset is None:
        raise ValueError('If `validation_split` is set, `subset` must be "training", '
                         '"validation" or "both". Received: subset=None')
    if subset is not None and not validation_split:
        raise ValueError('`subset` needs a `validation_split`. Received: subset=%r' % (subset,))
    if validation_split and shuffle and seed is None:
        raise ValueError('With `validation_split` and `shuffle`, pass a `seed` so the two '
                         'subsets do not overlap. Received: seed=None')
    if validation_split:
        order = np.random.RandomState(seed).permutation(len(paths)) if shuffle else \
            np.arange(len(paths))
        paths = [paths[i] for i in order]
        labels = None if labels is None else labels[order]
    if not validation_split:
        return {'all': (paths, labels)}
    cut = len(paths) - int(validation_split * len(paths))
    return {'training': (paths[:cut], None if labels is None else labels[:cut]),
            'validation': (paths[cut:], None if labels is None else labels[cut:])}


def _encode_labels(labels, label_mode, num_classes):
    if label_mode == 'int':
        return labels.astype('int32')
    if label_mode == 'binary':
        return labels.astype('float32').reshape(-1, 1)
    return np.eye(num_classes, dtype='float32')[labels]  # categorical


def _datasets(splits, subset, make):
    if subset == 'both':
        return make(*splits['training']), make(*splits['validation'])
    return make(*splits[subset if subset else 'all'])


def image_dataset_from_directory(directory, labels='inferred', label_mode='int',
                                 class_names=None, color_mode='rgb', batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation='bilinear',
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, verbose=True):
    """Batches of (images, labels) from ``directory/<class>/<image files>``: float32 images
    of ``image_size``, labels as ``label_mode`` says ('int', 'categorical', 'binary', None)."""
    _check_choice('label_mode', label_mode, ('int', 'categorical', 'binary', None))
    _check_choice('color_mode', color_mode, ('rgb', 'rgba', 'grayscale'))
    _check_choice('subset', subset, ('training', 'validation', 'both', None))
    if pad_to_aspect_ratio:
        raise ValueError('image_dataset_from_directory: `pad_to_aspect_ratio` is not '
                         'supported by torchkeras. Received: pad_to_aspect_ratio=True')
    paths, ids, names = _index_directory(directory, labels, IMAGE_EXTENSIONS, class_names,
                                         follow_links)
    if label_mode == 'binary' and names is not None and len(names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         'class_names. Received: class_names=%s' % (names,))
    if labels is None:
        label_mode = None
    num_classes = len(names) if names is not None else int(max(ids) + 1 if len(ids) else 0)
    if verbose:
        print('Found %d files belonging to %d classes.' % (len(paths), num_classes))
    channels_first = data_format == 'channels_first'

    def make(files, file_ids):
        def load(indices):
            images = np.stack([_read_image(files[i], color_mode, image_size, interpolation,
                                           crop_to_aspect_ratio) for i in indices])
            if channels_first:
                images = images.transpose(0, 3, 1, 2)
            if label_mode is None:
                return images
            return images, _encode_labels(file_ids[indices], label_mode, num_classes)
        return BatchSequence(len(files), batch_size, load, shuffle, seed, names, list(files))
    return _datasets(_split(paths, ids, validation_split, subset, shuffle, seed), subset, make)


def _read_image(path, color_mode, image_size, interpolation, crop_to_aspect_ratio):
    image = load_img(path, color_mode=color_mode, target_size=tuple(image_size),
                     interpolation=interpolation, keep_aspect_ratio=crop_to_aspect_ratio)
    return img_to_array(image, data_format='channels_last', dtype='float32')


def text_dataset_from_directory(directory, labels='inferred', label_mode='int',
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """Batches of (texts, labels) from ``directory/<class>/*.txt``: texts as a NumPy array of
    Python strings (truncated to ``max_length`` characters)."""
    _check_choice('label_mode', label_mode, ('int', 'categorical', 'binary', None))
    _check_choice('subset', subset, ('training', 'validation', 'both', None))
    paths, ids, names = _index_directory(directory, labels, ('.txt',), class_names,
                                         follow_links)
    if labels is None:
        label_mode = None
    num_classes = len(names) if names is not None else 0
    if verbose:
        print('Found %d files belonging to %d classes.' % (len(paths), num_classes))

    def make(files, file_ids):
        def load(indices):
            texts = np.array([_read_text(files[i], max_length) for i in indices], dtype=object)
            if label_mode is None:
                return texts
            return texts, _encode_labels(file_ids[indices], label_mode, num_classes)
        return BatchSequence(len(files), batch_size, load, shuffle, seed, names, list(files))
    return _datasets(_split(paths, ids, validation_split, subset, shuffle, seed), subset, make)


def _read_text(path, max_length):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


# ---------------------------------------------------------------------- timeseries
def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Batches of windows over ``data`` (and, when ``targets`` is given, ``targets[i]`` for
    the window starting at step ``i``), as Keras's timeseries_dataset_from_array: windows of
    ``sequence_length`` steps ``sampling_rate`` apart, one every ``sequence_stride`` steps,
    inside ``data[start_index:end_index]``."""
    for name, value in (('sequence_length', sequence_length),
                        ('sequence_stride', sequence_stride), ('sampling_rate', sampling_rate)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError('`%s` must be a positive integer. Received: %s=%r'
                             % (name, name, value))
    data = np.asarray(data)
    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    if not 0 <= start < end <= len(data):
        raise ValueError('`start_index` and `end_index` must satisfy 0 <= start_index < '
                         'end_index <= len(data) = %d. Received: start_index=%r, end_index=%r'
                         % (len(data), start_index, end_index))
    window = data[start:end]
    labels = None if targets is None else np.asarray(targets)[start:end]
    count = len(window) - (sequence_length - 1) * sampling_rate
    if labels is not None:
        count = min(count, len(labels))
    positions = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        np.random.RandomState(seed if seed is not None else np.random.randint(1e6)).shuffle(
            positions)
    steps = np.arange(sequence_length) * sampling_rate

    def load(indices):
        starts = positions[indices]
        sequences = window[starts[:, None] + steps[None, :]]
        return sequences if labels is None else (sequences, labels[starts])
    return BatchSequence(len(positions), batch_size, load)
