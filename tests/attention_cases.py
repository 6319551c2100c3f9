"""Attention / AdditiveAttention cases that tests/test_attention.py checks against outputs
written by real Keras 3.15 (tests/data/keras3/make_attention_reference.py runs this table)."""
import numpy as np

__all__ = ['CASES', 'inputs']

# (id, class, constructor kwargs, call kwargs, weights to set or None)
CASES = [
    ('dot', 'Attention', {}, {}, None),
    ('dot_scaled_causal', 'Attention', {'use_scale': True}, {'use_causal_mask': True}, [1.7]),
    ('concat', 'Attention', {'score_mode': 'concat', 'use_scale': True}, {}, [0.6, 1.3]),
    ('dot_masked', 'Attention', {}, {'masks': True}, None),
    ('additive', 'AdditiveAttention', {}, {}, [[0.5, -1.0, 2.0, 0.25]]),
    ('additive_masked', 'AdditiveAttention', {}, {'masks': True}, [[0.5, -1.0, 2.0, 0.25]]),
]


def inputs():
    rng = np.random.RandomState(5)
    return {'query': rng.randn(2, 3, 4).astype('float32'),
            'value': rng.randn(2, 5, 4).astype('float32'),
            'key': rng.randn(2, 5, 4).astype('float32'),
            'query_mask': np.array([[1, 1, 0], [1, 0, 1]], dtype=bool),
            'value_mask': np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], dtype=bool)}
