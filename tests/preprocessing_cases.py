"""Preprocessing-layer cases that tests/test_preprocessing_layers.py checks against outputs
written by real Keras 3.15 (tests/data/keras3/make_preprocessing_reference.py runs the same
table).  ``(id, layer class name, constructor kwargs, input name, adapt input name or None)``.
"""
import numpy as np

__all__ = ['inputs', 'CASES']


def inputs():
    rng = np.random.RandomState(99)
    return {
        'features': rng.randn(6, 4).astype('float32') * 3 + 1,
        'images': (rng.rand(2, 9, 7, 3) * 255).astype('float32'),
        'small_images': (rng.rand(2, 3, 4, 3) * 255).astype('float32'),
        'ids': rng.randint(0, 5, size=(4, 3)).astype('int32'),
        'one_id': rng.randint(0, 5, size=(6,)).astype('int32'),
        'values': rng.randn(3, 5).astype('float32'),
    }


CASES = [
    ('rescaling', 'Rescaling', {'scale': 1 / 255.0, 'offset': -0.5}, 'images', None),
    ('normalization_adapt', 'Normalization', {}, 'features', 'features'),
    ('normalization_axis_none', 'Normalization', {'axis': None}, 'features', 'features'),
    ('normalization_given', 'Normalization', {'mean': [1.0, 2.0, 0.0, -1.0],
                                              'variance': [4.0, 1.0, 9.0, 0.25]},
     'features', None),
    ('normalization_invert', 'Normalization', {'mean': 2.0, 'variance': 4.0, 'invert': True},
     'features', None),
    ('center_crop', 'CenterCrop', {'height': 5, 'width': 4}, 'images', None),
    ('center_crop_upsizes', 'CenterCrop', {'height': 6, 'width': 5}, 'small_images', None),
    ('resizing_bilinear', 'Resizing', {'height': 4, 'width': 10}, 'images', None),
    ('resizing_nearest', 'Resizing', {'height': 12, 'width': 3, 'interpolation': 'nearest'},
     'images', None),
    ('resizing_crop', 'Resizing', {'height': 4, 'width': 4, 'crop_to_aspect_ratio': True},
     'images', None),
    ('category_one_hot', 'CategoryEncoding', {'num_tokens': 5, 'output_mode': 'one_hot'},
     'one_id', None),
    ('category_multi_hot', 'CategoryEncoding', {'num_tokens': 6, 'output_mode': 'multi_hot'},
     'ids', None),
    ('category_count', 'CategoryEncoding', {'num_tokens': 5, 'output_mode': 'count'}, 'ids',
     None),
    ('discretization_int', 'Discretization', {'bin_boundaries': [-0.5, 0.0, 0.7]}, 'values',
     None),
    ('discretization_one_hot', 'Discretization', {'bin_boundaries': [-0.5, 0.0, 0.7],
                                                  'output_mode': 'one_hot'}, 'one_id', None),
]
