"""keras.utils's dataset utilities (image/text directories, timeseries windows) and image
helpers, as Keras defines them, and fit on what they return."""
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, utils


def test_timeseries_windows_and_targets_as_keras_documents():
    data = np.arange(100)
    # Keras's docstring example: windows of 10 steps, sampling rate 2, targets 20 ahead
    dataset = utils.timeseries_dataset_from_array(data[:-20], data[20:], sequence_length=10,
                                                  sampling_rate=2, batch_size=8)
    x, y = dataset[0]
    assert x.shape == (8, 10) and x[0].tolist() == list(range(0, 20, 2))
    assert y[0] == 20 and y[1] == 21
    total = sum(len(dataset[i][0]) for i in range(len(dataset)))
    assert total == 80 - 9 * 2


def test_timeseries_stride_bounds_and_shuffle():
    data = np.arange(50).reshape(50, 1).astype('float32')
    dataset = utils.timeseries_dataset_from_array(data, None, sequence_length=5,
                                                  sequence_stride=3, start_index=10,
                                                  end_index=40, batch_size=100)
    windows = dataset[0]
    assert windows[0, :, 0].tolist() == [10, 11, 12, 13, 14]
    assert windows[1, 0, 0] == 13 and windows[-1, -1, 0] <= 39
    shuffled = utils.timeseries_dataset_from_array(data, None, 5, shuffle=True, seed=1,
                                                   batch_size=100)[0]
    ordered = utils.timeseries_dataset_from_array(data, None, 5, batch_size=100)[0]
    assert not np.array_equal(shuffled, ordered)
    assert sorted(shuffled[:, 0, 0].tolist()) == ordered[:, 0, 0].tolist()
    with pytest.raises(ValueError, match='sequence_length'):
        utils.timeseries_dataset_from_array(data, None, 0)
    with pytest.raises(ValueError, match='end_index'):
        utils.timeseries_dataset_from_array(data, None, 5, start_index=30, end_index=20)


def test_fit_takes_a_timeseries_dataset():
    data = np.random.RandomState(0).rand(200, 3).astype('float32')
    dataset = utils.timeseries_dataset_from_array(data, data[:, 0], sequence_length=8,
                                                  batch_size=32)
    model = torchkeras.Sequential([torchkeras.Input((8, 3)), layers.LSTM(4), layers.Dense(1)])
    model.compile(optimizer='adam', loss='mse')
    history = model.fit(dataset, epochs=2, verbose=0)
    assert list(history.history) == ['loss'] and len(history.history['loss']) == 2


def _image_tree(root, sizes=((12, 10), (8, 16))):
    from PIL import Image
    rng = np.random.RandomState(0)
    for label in ('cats', 'dogs'):
        (root / label).mkdir(parents=True)
        for i in range(5):
            h, w = sizes[i % 2]
            pixels = (rng.rand(h, w, 3) * 255).astype('uint8')
            Image.fromarray(pixels).save(root / label / ('%d.png' % i))
        (root / label / 'notes.txt').write_text('not an image')
    return root


def test_image_dataset_from_directory_labels_sizes_and_split(tmp_path):
    pytest.importorskip('PIL')
    root = _image_tree(tmp_path / 'images')
    dataset = utils.image_dataset_from_directory(str(root), image_size=(6, 7), batch_size=4,
                                                 shuffle=False, verbose=False)
    assert dataset.class_names == ['cats', 'dogs'] and len(dataset) == 3
    images, labels = dataset[0]
    assert images.shape == (4, 6, 7, 3) and images.dtype == np.float32
    assert labels.tolist() == [0, 0, 0, 0] and dataset[2][1].tolist() == [1, 1]
    train, val = utils.image_dataset_from_directory(
        str(root), image_size=(6, 7), batch_size=20, validation_split=0.2, subset='both',
        seed=3, label_mode='categorical', verbose=False)
    assert len(train.file_paths) == 8 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    assert train[0][1].shape == (8, 2)
    grey = utils.image_dataset_from_directory(str(root), image_size=(4, 4), label_mode=None,
                                              color_mode='grayscale', verbose=False)
    assert grey[0].shape[1:] == (4, 4, 1)


def test_image_dataset_feeds_fit_and_bad_arguments_are_named(tmp_path):
    pytest.importorskip('PIL')
    root = _image_tree(tmp_path / 'images')
    dataset = utils.image_dataset_from_directory(str(root), image_size=(8, 8), batch_size=5,
                                                 seed=1, verbose=False)
    model = torchkeras.Sequential([torchkeras.Input((8, 8, 3)), layers.Rescaling(1 / 255.0),
                                   layers.Flatten(), layers.Dense(2, activation='softmax')])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
    assert len(model.fit(dataset, epochs=2, verbose=0).history['loss']) == 2
    with pytest.raises(ValueError, match='label_mode'):
        utils.image_dataset_from_directory(str(root), label_mode='sparse')
    with pytest.raises(ValueError, match='seed'):
        utils.image_dataset_from_directory(str(root), validation_split=0.2, subset='training')
    with pytest.raises(ValueError, match='directory'):
        utils.image_dataset_from_directory(str(tmp_path / 'missing'))


def test_text_dataset_from_directory(tmp_path):
    for label, texts in (('neg', ['bad', 'awful film']), ('pos', ['good', 'great', 'fine'])):
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / ('%d.txt' % i)).write_text(text)
    dataset = utils.text_dataset_from_directory(str(tmp_path), batch_size=10, shuffle=False,
                                                max_length=4, verbose=False)
    texts, labels = dataset[0]
    assert texts.tolist() == ['bad', 'awfu', 'good', 'grea', 'fine']
    assert labels.tolist() == [0, 0, 1, 1, 1] and dataset.class_names == ['neg', 'pos']


def test_image_helpers_are_keras_utils_names(tmp_path):
    pytest.importorskip('PIL')
    array = (np.random.RandomState(1).rand(5, 4, 3) * 255).astype('float32')
    path = str(tmp_path / 'one.png')
    utils.save_img(path, array)
    loaded = utils.img_to_array(utils.load_img(path))
    assert loaded.shape == (5, 4, 3)
    np.testing.assert_allclose(loaded, utils.img_to_array(utils.array_to_img(array)), atol=1)
    import torchkeras.preprocessing.image
    assert utils.load_img is torchkeras.preprocessing.image.load_img


def test_set_random_seed_seeds_the_keras_random_stream():
    utils.set_random_seed(5)
    first = torchkeras.random.normal((3,), seed=torchkeras.random.SeedGenerator())
    utils.set_random_seed(5)
    again = torchkeras.random.normal((3,), seed=torchkeras.random.SeedGenerator())
    torch.testing.assert_close(first, again)
