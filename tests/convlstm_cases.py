"""ConvLSTM cases that tests/test_recurrent.py checks against outputs written by real Keras
3.15 (tests/data/keras3/make_convlstm_reference.py runs this table):
``(id, class name, constructor kwargs, input shape (batch, time, ...), with a mask)``."""
import numpy as np

__all__ = ['CASES', 'arrays']

CASES = [
    ('conv2d_last', 'ConvLSTM2D', {'filters': 3, 'kernel_size': 3}, (2, 4, 6, 5, 2), False),
    ('conv2d_sequences_same', 'ConvLSTM2D',
     {'filters': 2, 'kernel_size': (3, 2), 'padding': 'same', 'return_sequences': True},
     (2, 3, 5, 4, 3), False),
    ('conv2d_strided_backwards', 'ConvLSTM2D',
     {'filters': 2, 'kernel_size': 3, 'strides': 2, 'go_backwards': True,
      'activation': 'relu'}, (1, 3, 7, 7, 2), False),
    ('conv1d_masked', 'ConvLSTM1D',
     {'filters': 3, 'kernel_size': 2, 'return_sequences': True}, (2, 5, 6, 2), True),
    ('conv3d_dilated', 'ConvLSTM3D',
     {'filters': 2, 'kernel_size': 2, 'dilation_rate': 2}, (1, 2, 5, 5, 5, 1), False),
]


def arrays(case_id, input_shape, weight_shapes):
    """The case's input, mask and weights (seeded draws; small weights keep tanh in range)."""
    rng = np.random.RandomState(len(case_id))
    x = rng.randn(*input_shape).astype('float32')
    mask = rng.rand(input_shape[0], input_shape[1]) > 0.3
    mask[:, 0] = True
    weights = [(rng.randn(*shape) * 0.3).astype('float32') for shape in weight_shapes]
    return x, mask, weights
