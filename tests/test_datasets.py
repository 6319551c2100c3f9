"""Dataset loaders read tiny fake copies of Keras's cached files from a temporary KERAS_HOME."""
import gzip
import json
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest

import torchkeras.legacy

from torchkeras import config
from torchkeras.datasets import (boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                                 pima, reuters)


@pytest.fixture
def datasets_dir(tmp_path, monkeypatch):
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))
    folder = tmp_path / 'datasets'
    folder.mkdir()
    return folder


def _ragged(lists):
    """An object array of lists, as imdb.npz / reuters.npz store their sequences."""
    out = np.empty(len(lists), dtype=object)
    out[:] = [list(seq) for seq in lists]
    return out


def _shuffled(n, seed=113, rng=None):
    order = np.arange(n)
    (rng or np.random.RandomState(seed)).shuffle(order)
    return order


# ---------------------------------------------------------------- images

def test_mnist_reads_npz(datasets_dir):
    x_train = np.arange(3 * 28 * 28, dtype='uint8').reshape(3, 28, 28)
    np.savez(datasets_dir / 'mnist.npz', x_train=x_train, y_train=np.array([5, 0, 4], 'uint8'),
             x_test=np.zeros((2, 28, 28), 'uint8'), y_test=np.array([7, 2], 'uint8'))
    (xt, yt), (xs, ys) = mnist.load_data()
    assert xt.shape == (3, 28, 28) and xs.shape == (2, 28, 28)
    assert xt.dtype == np.uint8
    np.testing.assert_array_equal(xt, x_train)
    np.testing.assert_array_equal(yt, [5, 0, 4])
    np.testing.assert_array_equal(ys, [7, 2])


def _write_idx(path, array, magic):
    header = struct.pack('>II', magic, len(array))
    if array.ndim == 3:
        header += struct.pack('>II', *array.shape[1:])
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype('uint8').tobytes())


def test_fashion_mnist_reads_idx_gz(datasets_dir):
    folder = datasets_dir / 'fashion-mnist'
    folder.mkdir()
    images = np.random.RandomState(0).randint(0, 256, (4, 28, 28))
    _write_idx(folder / 'train-images-idx3-ubyte.gz', images, 2051)
    _write_idx(folder / 'train-labels-idx1-ubyte.gz', np.array([9, 0, 0, 3]), 2049)
    _write_idx(folder / 't10k-images-idx3-ubyte.gz', images[:1], 2051)
    _write_idx(folder / 't10k-labels-idx1-ubyte.gz', np.array([9]), 2049)
    (xt, yt), (xs, ys) = fashion_mnist.load_data()
    assert xt.shape == (4, 28, 28) and xs.shape == (1, 28, 28)
    np.testing.assert_array_equal(xt, images)
    np.testing.assert_array_equal(yt, [9, 0, 0, 3])
    np.testing.assert_array_equal(ys, [9])


def _cifar_images(n, offset):
    """Images whose pixel (c, h, w) of image i is (i*7 + c*3 + h + w + offset) % 256."""
    i, c, h, w = np.ogrid[:n, :3, :32, :32]
    return ((i * 7 + c * 3 + h + w + offset) % 256).astype('uint8')


def _write_cifar_batch(path, images, labels):
    # Same keys as the real files; protocol 2 like the Python 2 originals.
    batch = {b'batch_label': b'fake', b'labels': list(labels),
             b'data': images.reshape(len(images), 3072),
             b'filenames': [b'img.png'] * len(images)}
    with open(path, 'wb') as f:
        pickle.dump(batch, f, protocol=2)


def _write_cifar_folder(folder):
    folder.mkdir()
    for i in range(1, 6):
        _write_cifar_batch(folder / ('data_batch_%d' % i), _cifar_images(2, i), [i, 9 - i])
    _write_cifar_batch(folder / 'test_batch', _cifar_images(3, 0), [0, 1, 2])


def test_cifar10_reads_batches_channels_last(datasets_dir):
    _write_cifar_folder(datasets_dir / 'cifar-10-batches-py')
    (xt, yt), (xs, ys) = cifar10.load_data()
    assert xt.shape == (10, 32, 32, 3) and xs.shape == (3, 32, 32, 3)
    assert yt.shape == (10, 1) and ys.shape == (3, 1)
    assert xt.dtype == yt.dtype == np.uint8
    np.testing.assert_array_equal(yt[:, 0], [1, 8, 2, 7, 3, 6, 4, 5, 5, 4])
    # image 3 is batch 2's second image: pixel (c=2, h=5, w=1) moves to [5, 1, 2]
    assert xt[3, 5, 1, 2] == (1 * 7 + 2 * 3 + 5 + 1 + 2) % 256
    np.testing.assert_array_equal(xs.transpose(0, 3, 1, 2), _cifar_images(3, 0))


def test_cifar10_channels_first_and_original_tarball(datasets_dir, tmp_path, monkeypatch):
    source = tmp_path / 'build'
    source.mkdir()
    _write_cifar_folder(source / 'cifar-10-batches-py')
    with tarfile.open(datasets_dir / 'cifar-10-python.tar.gz', 'w:gz') as archive:
        archive.add(source / 'cifar-10-batches-py', arcname='cifar-10-batches-py')
    monkeypatch.setattr(config, '_IMAGE_DATA_FORMAT', 'channels_first')
    (xt, _), (xs, _) = cifar10.load_data()
    assert xt.shape == (10, 3, 32, 32) and xs.shape == (3, 3, 32, 32)
    assert (datasets_dir / 'cifar-10-batches-py' / 'test_batch').exists()


def test_cifar_pickle_cannot_run_code(datasets_dir):
    folder = datasets_dir / 'cifar-10-batches-py'
    folder.mkdir()

    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))

    with open(folder / 'data_batch_1', 'wb') as f:
        pickle.dump({b'data': Evil()}, f)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        cifar10.load_data()


# ---------------------------------------------------------------- word sequences

IMDB_TRAIN = [[1, 2, 3], [4, 5], [6], [1, 1, 7, 2]]
IMDB_TEST = [[2, 7], [3, 3, 3], [5]]


def _write_imdb(folder):
    np.savez(folder / 'imdb.npz', x_train=_ragged(IMDB_TRAIN), y_train=np.array([1, 0, 1, 0]),
             x_test=_ragged(IMDB_TEST), y_test=np.array([0, 1, 1]))


def test_imdb_defaults_shift_indices_and_add_start(datasets_dir):
    _write_imdb(datasets_dir)
    (xt, yt), (xs, ys) = imdb.load_data()
    assert xt.shape == (4,) and xs.shape == (3,) and xt.dtype == object
    rng = np.random.RandomState(113)
    train_order, test_order = _shuffled(4, rng=rng), _shuffled(3, rng=rng)
    np.testing.assert_array_equal(yt, np.array([1, 0, 1, 0])[train_order])
    np.testing.assert_array_equal(ys, np.array([0, 1, 1])[test_order])
    # start_char 1, words + 3; num_words defaults to the largest index (7 + 3 = 10), and
    # Keras keeps only w < num_words, so word 7 itself becomes oov_char 2.
    shifted = {0: [1, 4, 5, 6], 1: [1, 7, 8], 2: [1, 9], 3: [1, 4, 4, 2, 5]}
    assert [xt[i] for i in range(4)] == [shifted[j] for j in train_order]
    assert all(isinstance(seq, list) for seq in xs)


def test_imdb_num_words_skip_top_maxlen_and_no_oov(datasets_dir):
    _write_imdb(datasets_dir)
    (xt, yt), (xs, _) = imdb.load_data(num_words=7, skip_top=2, maxlen=3, oov_char=None,
                                       start_char=None, index_from=0, seed=1)
    rng = np.random.RandomState(1)
    train_order, test_order = _shuffled(4, rng=rng), _shuffled(3, rng=rng)
    # maxlen=3 keeps sequences of length < 3; then words outside [2, 7) are dropped.
    kept_train = [j for j in train_order if len(IMDB_TRAIN[j]) < 3]
    assert [list(s) for s in xt] == [[w for w in IMDB_TRAIN[j] if 2 <= w < 7]
                                     for j in kept_train]
    np.testing.assert_array_equal(yt, np.array([1, 0, 1, 0])[kept_train])
    kept_test = [j for j in test_order if len(IMDB_TEST[j]) < 3]
    assert [list(s) for s in xs] == [[w for w in IMDB_TEST[j] if 2 <= w < 7] for j in kept_test]


def test_imdb_keras1_nb_words_and_bad_maxlen(datasets_dir, monkeypatch):
    _write_imdb(datasets_dir)
    monkeypatch.setattr(torchkeras.legacy.deprecation, '_WARNED', set())
    with pytest.warns(DeprecationWarning, match='num_words'):
        (xt, _), _ = imdb.load_data(nb_words=5)
    assert max(max(seq) for seq in xt) < 5
    with pytest.raises(ValueError, match='maxlen=1'):
        imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match='num_wrds'):
        imdb.load_data(num_wrds=5)


def test_imdb_word_index(datasets_dir):
    (datasets_dir / 'imdb_word_index.json').write_text(json.dumps({'the': 1, 'and': 2}))
    assert imdb.get_word_index() == {'the': 1, 'and': 2}


def test_reuters_split_after_shuffle(datasets_dir):
    xs = [[1, 2], [3], [4, 5, 6], [2, 2], [7]]
    np.savez(datasets_dir / 'reuters.npz', x=_ragged(xs), y=np.array([3, 4, 3, 1, 0]))
    (xt, yt), (xv, yv) = reuters.load_data(test_split=0.4)
    order = _shuffled(5)
    assert xt.shape == (3,) and xv.shape == (2,)  # int(5 * 0.6) = 3 training wires
    np.testing.assert_array_equal(np.concatenate([yt, yv]), np.array([3, 4, 3, 1, 0])[order])
    # largest index 7 + 3 = 10 is num_words, so it becomes oov 2; the rest shift by 3
    expected = [[1] + [w + 3 if w + 3 < 10 else 2 for w in xs[j]] for j in order]
    assert [list(s) for s in np.concatenate([xt, xv])] == expected
    (datasets_dir / 'reuters_word_index.json').write_text('{"said": 1}')
    assert reuters.get_word_index() == {'said': 1}
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == 'earn'


def test_boston_housing_split(datasets_dir):
    x = np.arange(10 * 13, dtype='float64').reshape(10, 13)
    y = np.arange(10, dtype='float64') * 1.5
    np.savez(datasets_dir / 'boston_housing.npz', x=x, y=y)
    (xt, yt), (xs, ys) = boston_housing.load_data()
    order = _shuffled(10)
    assert xt.shape == (8, 13) and xs.shape == (2, 13) and yt.shape == (8,)
    np.testing.assert_array_equal(np.concatenate([xt, xs]), x[order])
    np.testing.assert_array_equal(np.concatenate([yt, ys]), y[order])
    with pytest.raises(ValueError, match='test_split=1'):
        boston_housing.load_data(test_split=1)


def test_object_arrays_refuse_code(datasets_dir):
    class Evil:
        def __reduce__(self):
            return (os.system, ('echo pwned',))

    np.savez(datasets_dir / 'reuters.npz', x=np.array([Evil()], dtype=object), y=np.array([0]))
    with pytest.raises(pickle.UnpicklingError, match='system'):
        reuters.load_data()


# ---------------------------------------------------------------- missing files

@pytest.mark.parametrize('load, wanted, subfolder', [
    (mnist.load_data, 'mnist.npz', 'datasets'),
    (fashion_mnist.load_data, 'train-labels-idx1-ubyte.gz', os.path.join('datasets',
                                                                         'fashion-mnist')),
    (cifar10.load_data, 'cifar-10-batches-py', 'datasets'),
    (imdb.load_data, 'imdb.npz', 'datasets'),
    (imdb.get_word_index, 'imdb_word_index.json', 'datasets'),
    (reuters.load_data, 'reuters.npz', 'datasets'),
    (boston_housing.load_data, 'boston_housing.npz', 'datasets'),
])
def test_missing_file_error_names_file_and_folder(datasets_dir, load, wanted, subfolder):
    with pytest.raises(FileNotFoundError) as info:
        load()
    message = str(info.value)
    assert repr(wanted) in message
    assert os.path.join(str(datasets_dir.parent), subfolder) in message
    assert 'never downloads' in message and 'http' not in message


def test_cifar_missing_error_mentions_both_archive_names(datasets_dir):
    with pytest.raises(FileNotFoundError) as info:
        cifar10.load_data()
    assert 'cifar-10-batches-py.tar.gz' in str(info.value)
    assert 'cifar-10-python.tar.gz' in str(info.value)


# ---------------------------------------------------------------- pima

def test_pima_csv_loads_like_the_tutorial():
    dataset = np.loadtxt(pima.DATA_PATH, delimiter=',')
    assert dataset.shape == (768, 9)
    x, y = pima.load_data()
    assert x.shape == (768, 8) and y.shape == (768,)
    np.testing.assert_array_equal(x, dataset[:, :8])
    assert set(np.unique(y)) == {0.0, 1.0}
    assert 0.25 < y.mean() < 0.45
    with open(pima.DATA_PATH) as f:
        first = f.readline().strip().split(',')
    assert len(first) == 9 and all(field.replace('.', '').isdigit() for field in first)


def test_pima_columns_in_real_ranges():
    x, y = pima.load_data()
    upper = [17, 199, 122, 99, 846, 67.1, 2.42, 81]
    assert (x >= 0).all() and (x <= upper).all()
    assert x[:, 7].min() >= 21 and x[:, 6].min() >= 0.078
    np.testing.assert_array_equal(x[:, [0, 1, 2, 3, 4, 7]] % 1, 0)  # integer columns
    assert 0.3 < (x[:, 4] == 0).mean() < 0.7  # insulin often missing, as in the real file
    # the label follows glucose and BMI, so a model has something to learn
    assert np.corrcoef(x[:, 1], y)[0, 1] > 0.25
    assert np.corrcoef(x[:, 5], y)[0, 1] > 0.1


def test_pima_csv_is_the_seeded_generator_output(tmp_path):
    rows = pima.make_synthetic_pima()
    np.testing.assert_allclose(rows, np.loadtxt(pima.DATA_PATH, delimiter=','), atol=1e-9)
    assert pima.make_synthetic_pima(n=10, seed=1).shape == (10, 9)
    assert not np.array_equal(pima.make_synthetic_pima(n=10, seed=1),
                              pima.make_synthetic_pima(n=10, seed=2))
    pima.write_csv(tmp_path / 'copy.csv', rows)
    with open(pima.DATA_PATH) as f:
        assert (tmp_path / 'copy.csv').read_text() == f.read()


def test_cifar100_reads_fine_and_coarse_labels(datasets_dir):
    folder = datasets_dir / 'cifar-100-python'
    folder.mkdir()
    for name, n, offset in (('train', 4, 1), ('test', 2, 0)):
        batch = {b'fine_labels': list(range(90, 90 + n)), b'coarse_labels': list(range(n)),
                 b'data': _cifar_images(n, offset).reshape(n, 3072)}
        with open(folder / name, 'wb') as f:
            pickle.dump(batch, f, protocol=2)
    (xt, yt), (xs, ys) = cifar100.load_data()
    assert xt.shape == (4, 32, 32, 3) and xs.shape == (2, 32, 32, 3)
    assert yt[:, 0].tolist() == [90, 91, 92, 93] and yt.dtype == np.uint8
    (_, coarse), _ = cifar100.load_data(label_mode='coarse')
    assert coarse[:, 0].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match='label_mode'):
        cifar100.load_data(label_mode='medium')


def test_cifar100_missing_file_names_it(datasets_dir):
    with pytest.raises(FileNotFoundError, match='cifar100.load_data'):
        cifar100.load_data()
