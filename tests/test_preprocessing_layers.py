"""Preprocessing and augmentation layers: outputs and parameter counts against real Keras 3.15
(tests/preprocessing_cases.py, tests/data/keras3/preprocessing_reference.npz), adapt() from
arrays and from batches, augmentation only in training, configs, and errors."""
import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from preprocessing_cases import CASES, inputs

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), 'data', 'keras3',
                                 'preprocessing_reference.npz'))
ARRAYS = inputs()


def _layer(case):
    _, class_name, kwargs, _, adapt_name = case
    layer = getattr(layers, class_name)(**kwargs)
    if adapt_name is not None:
        layer.adapt(ARRAYS[adapt_name])
    return layer


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_preprocessing_layer_matches_keras3(case):
    layer = _layer(case)
    got = layer(torch.as_tensor(ARRAYS[case[3]]))
    expected = REFERENCE[case[0]]
    got = got.detach().numpy()
    assert got.shape == expected.shape
    if expected.dtype.kind == 'f':
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    else:
        np.testing.assert_array_equal(got, expected)
    assert layer.count_params() == int(REFERENCE[case[0] + '/params'])


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_preprocessing_layer_config_round_trip(case):
    layer = _layer(case)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_normalization_adapts_from_batches_as_from_the_array():
    whole = layers.Normalization()
    whole.adapt(ARRAYS['features'])
    batched = layers.Normalization()
    batched.adapt(torch.utils.data.DataLoader(torch.as_tensor(ARRAYS['features']), batch_size=4))
    np.testing.assert_allclose(batched.get_weights()[0], whole.get_weights()[0], rtol=1e-6)
    np.testing.assert_allclose(batched.get_weights()[1], whole.get_weights()[1], rtol=1e-5)
    assert int(batched.get_weights()[2]) == 6


def test_normalization_in_a_model_saves_its_statistics(tmp_path):
    norm = layers.Normalization()
    norm.adapt(ARRAYS['features'])
    inp = torchkeras.Input((4,))
    model = torchkeras.Model(inp, layers.Dense(2)(norm(inp)))
    path = str(tmp_path / 'norm.keras')
    model.save(path)
    again = torchkeras.models.load_model(path)
    x = torch.as_tensor(ARRAYS['features'])
    torch.testing.assert_close(again(x), model(x))


def test_discretization_adapt_learns_quantile_bins():
    layer = layers.Discretization(num_bins=4)
    layer.adapt(np.arange(100.0))
    assert layer.bin_boundaries == pytest.approx([24.75, 49.5, 74.25])
    assert layer(torch.tensor([0.0, 30.0, 99.0])).tolist() == [0, 1, 3]


@pytest.mark.parametrize('make, message', [
    (lambda: layers.Normalization()(torch.ones(2, 3)), 'adapt'),
    (lambda: layers.Discretization(num_bins=3)(torch.ones(2)), 'adapt'),
    (lambda: layers.Normalization(mean=1.0), 'variance'),
    (lambda: layers.CategoryEncoding(num_tokens=3)(torch.tensor([[0, 5]])), 'every id'),
    (lambda: layers.CategoryEncoding(num_tokens=3, output_mode='tf_idf'), 'output_mode'),
    (lambda: layers.RandomFlip(mode='diagonal'), 'mode'),
    (lambda: layers.RandomBrightness(2.0), 'factor'),
])
def test_bad_preprocessing_input_names_the_layer_or_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


AUGMENTATIONS = [
    (layers.RandomFlip, {}),
    (layers.RandomTranslation, {'height_factor': 0.2, 'width_factor': 0.2}),
    (layers.RandomRotation, {'factor': 0.2}),
    (layers.RandomZoom, {'height_factor': 0.3}),
    (layers.RandomContrast, {'factor': 0.5}),
    (layers.RandomBrightness, {'factor': 0.3}),
]


@pytest.mark.parametrize('cls, kwargs', AUGMENTATIONS, ids=[c.__name__ for c, _ in AUGMENTATIONS])
def test_augmentation_is_active_only_in_training(cls, kwargs):
    images = torch.as_tensor(ARRAYS['images'])
    inp = torchkeras.Input((9, 7, 3))
    model = torchkeras.Model(inp, cls(seed=3, **kwargs)(inp))
    torch.testing.assert_close(model(images), images)          # inference: unchanged
    torch.testing.assert_close(model.predict(images.numpy(), verbose=0), images.numpy())
    model.train()
    changed = model(images)
    assert changed.shape == images.shape and not torch.allclose(changed, images)
    assert float(changed.min()) >= -1e-3 and float(changed.max()) <= 255 + 1e-3


def test_random_crop_crops_randomly_in_training_and_centrally_in_inference():
    images = torch.as_tensor(ARRAYS['images'])
    crop = layers.RandomCrop(5, 4, seed=1)
    torch.testing.assert_close(crop(images), layers.CenterCrop(5, 4)(images))
    windows = {tuple(crop(images, training=True)[0, 0, 0].tolist()) for _ in range(10)}
    assert crop(images, training=True).shape == (2, 5, 4, 3) and len(windows) > 1


def test_augmentation_is_reproducible_from_its_seed():
    images = torch.as_tensor(ARRAYS['images'])
    first = layers.RandomRotation(0.3, seed=11)(images, training=True)
    second = layers.RandomRotation(0.3, seed=11)(images, training=True)
    torch.testing.assert_close(first, second)


def test_rotation_by_a_half_turn_reverses_the_image():
    images = torch.as_tensor(ARRAYS['images'])
    half = layers.RandomRotation((0.5, 0.5), fill_mode='constant')(images, training=True)
    torch.testing.assert_close(half, images.flip(1).flip(2), rtol=1e-4, atol=1e-3)
