"""np_utils, data_utils and keras.preprocessing; expected values are worked out by hand."""
import hashlib
import json
import math
import os
import tarfile
import warnings
import zipfile

import numpy as np
import pytest

import torchkeras.legacy

from torchkeras.preprocessing import image, sequence, text
from torchkeras.utils import data_utils, np_utils


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))
    (tmp_path / 'datasets').mkdir()
    return tmp_path


@pytest.fixture
def fresh_deprecations(monkeypatch):
    """Forget which renamed arguments were already warned about in this process."""
    monkeypatch.setattr(torchkeras.legacy.deprecation, '_WARNED', set())


# ---------------------------------------------------------------- to_categorical, normalize

def test_to_categorical_one_hot_rows():
    out = np_utils.to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize('shape, expected', [
    ((6,), (6, 4)),
    ((6, 1), (6, 4)),        # a trailing 1 is squeezed, as Keras does
    ((2, 3), (2, 3, 4)),
    ((2, 3, 1), (2, 3, 4)),
])
def test_to_categorical_shapes(shape, expected):
    y = np.array([0, 1, 2, 3, 2, 1]).reshape(shape)
    out = np_utils.to_categorical(y, 4)
    assert out.shape == expected
    np.testing.assert_array_equal(out.reshape(-1, 4).argmax(-1), [0, 1, 2, 3, 2, 1])


def test_to_categorical_num_classes_and_dtype():
    out = np_utils.to_categorical(np.array([1.0, 0.0]), num_classes=3, dtype='int64')
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0]])
    assert out.dtype == np.int64


def test_to_categorical_keras1_nb_classes_warns_once(fresh_deprecations):
    with pytest.warns(DeprecationWarning, match='num_classes'):
        out = np_utils.to_categorical([1], nb_classes=3)
    np.testing.assert_array_equal(out, [[0, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np_utils.to_categorical([2], nb_classes=3)  # second use: silent


def test_to_categorical_rejects_labels_outside_range():
    with pytest.raises(ValueError, match='num_classes=2'):
        np_utils.to_categorical([0, 2], num_classes=2)
    with pytest.raises(ValueError, match='num_classes'):
        np_utils.to_categorical([0, -1], num_classes=2)
    with pytest.raises(TypeError, match='classes'):
        np_utils.to_categorical([0], classes=2)


def test_normalize_l2_rows_leaves_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])


def test_normalize_other_axis_and_order():
    x = np.array([[1.0, 2.0], [3.0, 2.0]])
    np.testing.assert_allclose(np_utils.normalize(x, axis=0, order=1),
                               [[0.25, 0.5], [0.75, 0.5]])


def test_keras1_probas_to_classes():
    np.testing.assert_array_equal(
        np_utils.probas_to_classes(np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.2], [0.9]])), [0, 1])
    np.testing.assert_array_equal(np_utils.categorical_probas_to_classes([[0.0, 1.0]]), [1])


# ---------------------------------------------------------------- Sequence

class _Squares(data_utils.Sequence):
    def __init__(self, n, batch_size):
        self.x = np.arange(n)
        self.batch_size = batch_size
        self.epochs_ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        batch = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        return batch, batch ** 2

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_sequence_subclass_iterates_batches():
    seq = _Squares(5, 2)  # Keras 2 style: never calls super().__init__
    assert len(seq) == seq.num_batches == 3
    batches = list(seq)
    np.testing.assert_array_equal(batches[2][0], [4])
    np.testing.assert_array_equal(batches[1][1], [4, 9])
    assert seq.workers == 1 and seq.use_multiprocessing is False
    seq.on_epoch_end()
    assert seq.epochs_ended == 1


def test_sequence_base_needs_getitem_and_len():
    seq = data_utils.Sequence(workers=2)  # Keras 3 PyDataset arguments are accepted
    assert seq.workers == 2
    with pytest.raises(NotImplementedError, match='__len__'):
        len(seq)
    with pytest.raises(NotImplementedError, match='__getitem__'):
        seq[0]
    assert data_utils.Sequence.on_epoch_end(seq) is None


def test_iter_sequence_infinite_restarts():
    stream = data_utils.iter_sequence_infinite(_Squares(3, 2))
    firsts = [next(stream)[0].tolist() for _ in range(4)]
    assert firsts == [[0, 1], [2], [0, 1], [2]]


# ---------------------------------------------------------------- pad_sequences

SEQS = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize('padding, truncating, expected', [
    ('pre', 'pre', [[0, 1], [2, 3], [5, 6]]),
    ('pre', 'post', [[0, 1], [2, 3], [4, 5]]),
    ('post', 'pre', [[1, 0], [2, 3], [5, 6]]),
    ('post', 'post', [[1, 0], [2, 3], [4, 5]]),
])
def test_pad_sequences_every_padding_truncating_pair(padding, truncating, expected):
    out = sequence.pad_sequences(SEQS, maxlen=2, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.int32


@pytest.mark.parametrize('padding, expected', [
    ('pre', [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ('post', [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
])
def test_pad_sequences_default_maxlen_is_longest(padding, expected):
    np.testing.assert_array_equal(sequence.pad_sequences(SEQS, padding=padding), expected)


def test_pad_sequences_value_dtype_empty_and_longer_maxlen():
    out = sequence.pad_sequences([[1.5], [], [2, 3]], maxlen=4, dtype='float32', value=-1)
    np.testing.assert_array_equal(out, [[-1, -1, -1, 1.5], [-1, -1, -1, -1], [-1, -1, 2, 3]])
    assert out.dtype == np.float32
    assert sequence.pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    assert sequence.pad_sequences([]).shape == (0, 0)


def test_pad_sequences_vector_steps_and_strings():
    out = sequence.pad_sequences([[[1, 2]], [[3, 4], [5, 6]]], padding='post')
    np.testing.assert_array_equal(out, [[[1, 2], [0, 0]], [[3, 4], [5, 6]]])
    words = sequence.pad_sequences([['a'], ['b', 'c']], dtype=object, value='<pad>')
    assert words.tolist() == [['<pad>', 'a'], ['b', 'c']]


def test_pad_sequences_errors_name_the_argument():
    with pytest.raises(ValueError, match="padding='middle'"):
        sequence.pad_sequences(SEQS, padding='middle')
    with pytest.raises(ValueError, match="truncating='both'"):
        sequence.pad_sequences(SEQS, truncating='both')
    with pytest.raises(ValueError, match='dtype=object'):
        sequence.pad_sequences([['a']], value='x')
    with pytest.raises(ValueError, match='non-iterable'):
        sequence.pad_sequences([1, 2])
    assert data_utils.pad_sequences is sequence.pad_sequences


# ---------------------------------------------------------------- TimeseriesGenerator etc.

def test_timeseries_generator_keras_docstring_example():
    data = np.array([[i] for i in range(50)])
    gen = sequence.TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20  # rows 10..49 in batches of 2
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])
    x_last, y_last = gen[19]
    np.testing.assert_array_equal(y_last, [[48], [49]])


def test_timeseries_generator_stride_reverse_and_errors():
    data = np.arange(10)
    gen = sequence.TimeseriesGenerator(data, data * 10, length=3, stride=2, batch_size=2,
                                       reverse=True)
    assert len(gen) == 2  # rows 3, 5 | 7, 9
    x, y = gen[1]
    np.testing.assert_array_equal(x, [[6, 5, 4], [8, 7, 6]])
    np.testing.assert_array_equal(y, [70, 90])
    assert json.loads(gen.to_json())['config']['start_index'] == 3
    with pytest.raises(ValueError, match='same length'):
        sequence.TimeseriesGenerator(data, data[:5], length=3)
    with pytest.raises(ValueError, match='end_index'):
        sequence.TimeseriesGenerator(data, data, length=12)


def test_skipgrams_positive_pairs_in_window():
    couples, labels = sequence.skipgrams([1, 0, 2, 3], vocabulary_size=4, window_size=2,
                                         negative_samples=0, shuffle=False)
    # index 0 is padding: it is neither a centre word nor a context word
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [1, 1, 1, 1]


def test_skipgrams_negatives_and_shuffle_keep_pairs_aligned():
    couples, labels = sequence.skipgrams([1, 2, 3], vocabulary_size=10, window_size=1,
                                         categorical=True, seed=3)
    positives = {tuple(c) for c, lab in zip(couples, labels) if lab == [0, 1]}
    assert positives == {(1, 2), (2, 1), (2, 3), (3, 2)}
    assert sum(lab == [1, 0] for lab in labels) == 4
    assert all(1 <= c[1] <= 9 for c, lab in zip(couples, labels) if lab == [1, 0])


def test_make_sampling_table_formula():
    table = sequence.make_sampling_table(3, sampling_factor=1e-2)
    f2 = 1e-2 * (2 * (math.log(2) + 0.577) + 0.5 - 1 / 24)
    assert table[2] == pytest.approx(min(1.0, math.sqrt(f2)))
    assert table.shape == (3,)


# ---------------------------------------------------------------- text

CORPUS = ['The cat sat on the mat.', 'The dog ate my homework!', 'the cat']
# counts: the 4, cat 2, then the words seen once in first-seen order
WORD_INDEX = {'the': 1, 'cat': 2, 'sat': 3, 'on': 4, 'mat': 5, 'dog': 6, 'ate': 7, 'my': 8,
              'homework': 9}


def test_text_to_word_sequence_filters_and_lowercases():
    assert text.text_to_word_sequence('Hello, World!\tIt\'s  me.') == ['hello', 'world', "it's",
                                                                       'me']
    assert text.text_to_word_sequence('a-b', filters='', lower=False, split='-') == ['a', 'b']


def test_hashing_trick_md5_and_one_hot_range():
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in ('red', 'fox')]
    assert text.hashing_trick('Red fox', 10, hash_function='md5') == expected
    indices = text.one_hot('a b c a', 5)
    assert len(indices) == 4 and all(1 <= i <= 4 for i in indices)
    assert indices[0] == indices[3]


def test_tokenizer_vocabulary():
    tok = text.Tokenizer()
    tok.fit_on_texts(CORPUS)
    assert tok.word_index == WORD_INDEX
    assert tok.index_word[2] == 'cat'
    assert tok.word_counts['the'] == 4 and tok.word_counts['cat'] == 2
    assert tok.word_docs['the'] == 3 and tok.word_docs['cat'] == 2
    assert tok.document_count == 3


def test_tokenizer_sequences_num_words_and_oov():
    tok = text.Tokenizer()
    tok.fit_on_texts(CORPUS)
    assert tok.texts_to_sequences(['The cat ate the fish']) == [[1, 2, 7, 1]]
    assert tok.sequences_to_texts([[1, 2, 3, 42]]) == ['the cat sat']
    top = text.Tokenizer(num_words=3)  # keeps indices 1 and 2 only
    top.fit_on_texts(CORPUS)
    assert top.texts_to_sequences(['The cat ate the fish']) == [[1, 2, 1]]
    oov = text.Tokenizer(num_words=4, oov_token='<OOV>')
    oov.fit_on_texts(CORPUS)
    assert oov.word_index['<OOV>'] == 1 and oov.word_index['the'] == 2
    assert oov.texts_to_sequences(['The cat ate the fish']) == [[2, 3, 1, 2, 1]]
    assert oov.sequences_to_texts([[2, 3, 7]]) == ['the cat <OOV>']


def test_tokenizer_matrix_modes():
    tok = text.Tokenizer()
    tok.fit_on_texts(CORPUS)
    docs = ['the cat the']
    expected = {
        'binary': {1: 1.0, 2: 1.0},
        'count': {1: 2.0, 2: 1.0},
        'freq': {1: 2 / 3, 2: 1 / 3},
        # tf = 1 + ln(count); idf = ln(1 + documents / (1 + documents containing the word))
        'tfidf': {1: (1 + math.log(2)) * math.log(1 + 3 / 4), 2: math.log(1 + 3 / 3)},
    }
    for mode, cells in expected.items():
        row = np.zeros(10)
        for index, value in cells.items():
            row[index] = value
        np.testing.assert_allclose(tok.texts_to_matrix(docs, mode=mode), [row], err_msg=mode)
    with pytest.raises(ValueError, match="mode='tf'"):
        tok.texts_to_matrix(docs, mode='tf')
    with pytest.raises(ValueError, match='num_words'):
        text.Tokenizer().texts_to_matrix(docs)


def test_tokenizer_char_level_token_lists_and_keras1_name(fresh_deprecations):
    chars = text.Tokenizer(char_level=True)
    chars.fit_on_texts(['abca'])
    assert chars.word_index == {'a': 1, 'b': 2, 'c': 3}
    tokens = text.Tokenizer()
    tokens.fit_on_texts([['New', 'York'], ['york']])
    assert tokens.word_index == {'york': 1, 'new': 2}
    with pytest.warns(DeprecationWarning, match='num_words'):
        assert text.Tokenizer(nb_words=5).num_words == 5


def test_tokenizer_json_round_trip():
    tok = text.Tokenizer(num_words=6, oov_token='?')
    tok.fit_on_texts(CORPUS)
    config = json.loads(tok.to_json())
    assert config['class_name'] == 'Tokenizer'
    assert json.loads(config['config']['word_index'])['the'] == 2
    back = text.tokenizer_from_json(tok.to_json())
    assert back.word_index == tok.word_index and back.index_word == tok.index_word
    assert back.texts_to_sequences(['the dog sat']) == tok.texts_to_sequences(['the dog sat'])
    np.testing.assert_allclose(back.texts_to_matrix(['cat on'], 'tfidf'),
                               tok.texts_to_matrix(['cat on'], 'tfidf'))


# ---------------------------------------------------------------- image

def test_img_to_array_layouts():
    rgb = np.arange(24).reshape(2, 4, 3)
    assert image.img_to_array(rgb).shape == (2, 4, 3)
    first = image.img_to_array(rgb, data_format='channels_first')
    assert first.shape == (3, 2, 4) and first[2, 1, 3] == rgb[1, 3, 2]
    assert image.img_to_array(np.zeros((2, 4))).shape == (2, 4, 1)
    assert image.img_to_array(np.zeros((2, 4)), 'channels_first').shape == (1, 2, 4)
    assert image.img_to_array(rgb).dtype == np.float32
    with pytest.raises(ValueError, match=r'\(2,\)'):
        image.img_to_array(np.zeros(2))


# ---------------------------------------------------------------- get_file

def test_get_file_missing_names_file_and_folder(keras_home):
    folder = os.path.join(str(keras_home), 'datasets')
    with pytest.raises(FileNotFoundError) as info:
        data_utils.get_file('weights.h5', origin='https://example.com/weights.h5')
    message = str(info.value)
    assert "'weights.h5'" in message and folder in message
    assert 'never downloads' in message and 'https://example.com/weights.h5' in message


def test_get_file_returns_cached_copy_and_checks_hash(keras_home, tmp_path):
    path = keras_home / 'datasets' / 'notes.txt'
    path.write_bytes(b'hello')
    assert data_utils.get_file('notes.txt') == str(path)
    # the name can come from the origin URL, and cache_dir overrides KERAS_HOME
    assert data_utils.get_file(origin='http://x.org/a/notes.txt') == str(path)
    sha = hashlib.sha256(b'hello').hexdigest()
    assert data_utils.get_file('notes.txt', file_hash=sha) == str(path)
    assert data_utils.get_file('notes.txt', md5_hash=hashlib.md5(b'hello').hexdigest())
    with pytest.raises(ValueError, match='file_hash'):
        data_utils.get_file('notes.txt', file_hash='0' * 64)
    other = tmp_path / 'elsewhere'
    (other / 'models').mkdir(parents=True)
    (other / 'models' / 'm.h5').write_bytes(b'')
    assert data_utils.get_file('m.h5', cache_subdir='models', cache_dir=str(other)) == \
        str(other / 'models' / 'm.h5')


def test_get_file_untar_and_extract(keras_home, tmp_path):
    source = tmp_path / 'src' / 'corpus'
    source.mkdir(parents=True)
    (source / 'a.txt').write_text('A')
    with tarfile.open(keras_home / 'datasets' / 'corpus.tar.gz', 'w:gz') as archive:
        archive.add(source, arcname='corpus')
    folder = data_utils.get_file('corpus', untar=True)
    assert open(os.path.join(folder, 'a.txt')).read() == 'A'
    with zipfile.ZipFile(keras_home / 'datasets' / 'pack.zip', 'w') as archive:
        archive.writestr('pack/b.txt', 'B')
    zipped = data_utils.get_file('pack.zip', extract=True)
    assert zipped.endswith('pack.zip')
    assert (keras_home / 'datasets' / 'pack' / 'b.txt').read_text() == 'B'
    with pytest.raises(FileNotFoundError, match="'other' or 'other.tar.gz'"):
        data_utils.get_file('other', untar=True)
