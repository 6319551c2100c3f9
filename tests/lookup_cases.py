"""StringLookup / IntegerLookup / TextVectorization cases that tests/test_lookup_layers.py
checks against outputs written by real Keras 3.15 (with TensorFlow, which Keras 3's string
layers need; tests/data/keras3/make_lookup_reference.py runs this table):
``(id, class name, constructor kwargs, adapt data or None, call data)``."""

__all__ = ['CASES']

TEXTS = ['The cat sat on the mat.', 'The dog, the cat!', 'A bird? No: a PLANE.']

CASES = [
    ('string_vocabulary', 'StringLookup', {'vocabulary': ['a', 'b', 'c', 'd']}, None,
     [['a', 'c', 'd'], ['d', 'z', 'b']]),
    ('string_adapt', 'StringLookup', {}, ['b', 'a', 'b', 'c', 'b', 'a', 'z'], ['a', 'q', 'z']),
    ('string_adapt_max_tokens', 'StringLookup', {'max_tokens': 3},
     ['b', 'a', 'b', 'c', 'b', 'a', 'z'], ['a', 'c']),
    ('string_multi_hot_mask', 'StringLookup',
     {'vocabulary': ['a', 'b'], 'mask_token': '', 'output_mode': 'multi_hot'}, None,
     [['a', 'b'], ['', 'q']]),
    ('string_one_hot', 'StringLookup', {'vocabulary': ['a', 'b', 'c'], 'output_mode': 'one_hot'},
     None, ['c', 'a', 'x']),
    ('string_count', 'StringLookup', {'vocabulary': ['a', 'b'], 'output_mode': 'count'}, None,
     [['a', 'a', 'b', 'q'], ['b', 'b', 'b', 'b']]),
    ('integer_vocabulary', 'IntegerLookup', {'vocabulary': [12, 36, 1138, 42]}, None,
     [[12, 1138, 42], [42, 1000, 36]]),
    ('integer_adapt', 'IntegerLookup', {}, [5, 5, 7, 7, 7, 3, 9, 9], [9, 3, 4]),
    ('integer_mask_multi_hot', 'IntegerLookup',
     {'vocabulary': [3, 4], 'mask_token': 0, 'output_mode': 'multi_hot'}, None,
     [[3, 0], [4, 8]]),
    ('text_int', 'TextVectorization', {'max_tokens': 10, 'output_sequence_length': 6}, TEXTS,
     ['the cat ate', 'A dog sat on the cat mat yes']),
    ('text_int_unpadded', 'TextVectorization', {}, TEXTS, ['the bird', 'a plane, a cat!']),
    ('text_multi_hot_bigrams', 'TextVectorization', {'output_mode': 'multi_hot', 'ngrams': 2},
     ['a b a', 'b c'], ['a b c']),
    ('text_count', 'TextVectorization', {'output_mode': 'count', 'max_tokens': 4},
     ['x y y z z z w'], ['z z y w q']),
    ('text_tf_idf', 'TextVectorization', {'output_mode': 'tf_idf'}, ['a b a', 'b c', 'a'],
     ['a a b d', 'c']),
    ('text_lower_character_split', 'TextVectorization',
     {'standardize': 'lower', 'split': 'character', 'output_sequence_length': 4}, ['AbBa'],
     ['abc', 'BAAAAB']),
]
