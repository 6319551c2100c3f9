"""StringLookup, IntegerLookup and TextVectorization against outputs and vocabularies written
by real Keras 3.15 (tests/lookup_cases.py, tests/data/keras3/lookup_reference.json), and their
configs, inversion and errors."""
import json
import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers
from lookup_cases import CASES

with open(os.path.join(os.path.dirname(__file__), 'data', 'keras3',
                       'lookup_reference.json')) as _f:
    REFERENCE = json.load(_f)


def _layer(case):
    _, class_name, kwargs, adapt_data, _ = case
    layer = getattr(layers, class_name)(**kwargs)
    if adapt_data is not None:
        layer.adapt(np.array(adapt_data))
    return layer


def test_the_reference_was_written_by_keras_3_15():
    assert REFERENCE['keras_version'].startswith('3.15')


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_lookup_layer_matches_keras3(case):
    expected = REFERENCE['cases'][case[0]]
    layer = _layer(case)
    assert layer.get_vocabulary() == expected['vocabulary']
    got = layer(np.array(case[4]))
    assert isinstance(got, torch.Tensor)
    if expected['dtype'].startswith('float'):
        np.testing.assert_allclose(got.numpy(), expected['output'], rtol=1e-6, atol=1e-6)
    else:
        assert got.tolist() == expected['output']


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_lookup_layer_config_round_trip(case):
    layer = _layer(case)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    assert clone(np.array(case[4])).tolist() == layer(np.array(case[4])).tolist()


def test_invert_maps_indices_back_to_tokens():
    lookup = layers.StringLookup(vocabulary=['a', 'b', 'c'])
    back = layers.StringLookup(vocabulary=['a', 'b', 'c'], invert=True)
    ids = lookup(np.array([['c', 'a', 'zz']]))
    assert back(ids).tolist() == [['c', 'a', '[UNK]']]
    assert layers.IntegerLookup(vocabulary=[7, 8], invert=True)(torch.tensor([2, 0])).tolist() \
        == [8, -1]


def test_vocabulary_from_a_file_and_lookup_layers_feed_a_model(tmp_path):
    path = tmp_path / 'vocab.txt'
    path.write_text('red\ngreen\nblue\n')
    lookup = layers.StringLookup(vocabulary=str(path))
    ids = lookup(np.array([['blue', 'red'], ['green', 'pink']]))
    assert ids.tolist() == [[3, 1], [2, 0]]
    model = torchkeras.Sequential([torchkeras.Input((2,), dtype='int64'),
                                   layers.Embedding(lookup.vocabulary_size(), 4),
                                   layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile(optimizer='sgd', loss='mse')
    history = model.fit(ids.numpy(), np.ones((2, 1)), epochs=2, verbose=0)
    assert len(history.history['loss']) == 2


def test_text_vectorization_pads_cuts_and_standardizes_with_a_callable():
    vectorize = layers.TextVectorization(standardize=lambda t: t.upper(),
                                         output_sequence_length=3)
    vectorize.adapt(['x y z z'])
    assert vectorize.get_vocabulary() == ['', '[UNK]', 'Z', 'Y', 'X']
    assert vectorize(['z', 'z y x w q']).tolist() == [[2, 0, 0], [2, 3, 4]]


@pytest.mark.parametrize('make, message', [
    (lambda: layers.StringLookup()(np.array(['a'])), 'no vocabulary'),
    (lambda: layers.StringLookup(output_mode='bag'), 'output_mode'),
    (lambda: layers.StringLookup(num_oov_indices=3), 'num_oov_indices'),
    (lambda: layers.StringLookup(vocabulary=['a', 'a']), 'repeated'),
    (lambda: layers.StringLookup(vocabulary=['a'], num_oov_indices=0)(np.array(['b'])),
     'not in the vocabulary'),
    (lambda: layers.StringLookup(vocabulary=['a'], output_mode='tf_idf'), 'idf_weights'),
    (lambda: layers.TextVectorization(split='comma'), 'split'),
    (lambda: layers.TextVectorization(ragged=True), 'ragged'),
])
def test_bad_lookup_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()
