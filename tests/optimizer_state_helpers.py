"""Shared pieces of the optimizer-state tests (.keras and .h5): data, models, training and
loading that records the optimizer warnings."""
import warnings

import numpy as np

import torchkeras
from torchkeras import layers

RNG = np.random.RandomState(0)
X = RNG.rand(24, 5, 3).astype('float32')
Y = RNG.rand(24, 2).astype('float32')
X_FLAT = RNG.rand(16, 3).astype('float32')
Y_FLAT = RNG.rand(16, 2).astype('float32')


def recurrent_model():
    """Conv1D, GRU, LSTM, BatchNormalization, Dense: every slot needs a layout conversion."""
    inputs = torchkeras.Input((5, 3))
    x = layers.Conv1D(4, 2)(inputs)
    x = layers.GRU(3, return_sequences=True)(x)
    x = layers.LSTM(3)(x)
    x = layers.BatchNormalization()(x)
    return torchkeras.Model(inputs, layers.Dense(2)(x))


def fit(model, epochs, x=X, y=Y):
    model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)


def compiled(build, make_optimizer, weights=None):
    model = build()
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=make_optimizer(), loss='mse')
    return model


def max_difference(a, b):
    return max(float(np.abs(p - q).max()) for p, q in zip(a, b))


def load_recording_optimizer_warnings(path, **kwargs):
    """load_model, returning the model and the optimizer warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = torchkeras.models.load_model(path, **kwargs)
    return model, [str(w.message) for w in caught if 'optimizer' in str(w.message)]
