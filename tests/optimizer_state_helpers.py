"""Shared pieces of the optimizer-state tests (.keras and .h5): data, models, training and
loading that records the optimizer warnings."""
import warnings

import numpy as np

import torchkeras
from torchkeras import layers, optimizers

RNG = np.random.RandomState(0)
X = RNG.rand(24, 5, 3).astype('float32')
Y = RNG.rand(24, 2).astype('float32')
X_FLAT = RNG.rand(16, 3).astype('float32')
Y_FLAT = RNG.rand(16, 2).astype('float32')

# The optimizer settings whose state both file formats must carry.
OPTIMIZERS = {
    'sgd_momentum': lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
    'sgd_nesterov': lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    'rmsprop': lambda: optimizers.RMSprop(learning_rate=0.01),
    'rmsprop_centered_momentum': lambda: optimizers.RMSprop(momentum=0.5, centered=True),
    'adam': lambda: optimizers.Adam(learning_rate=0.01),
    'adam_amsgrad': lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    'adamw': lambda: optimizers.AdamW(learning_rate=0.01),
    'adagrad': lambda: optimizers.Adagrad(learning_rate=0.05),
    'adadelta': lambda: optimizers.Adadelta(learning_rate=1.0),
    'adamax': lambda: optimizers.Adamax(learning_rate=0.01),
    'nadam': lambda: optimizers.Nadam(learning_rate=0.01),
    'ftrl': lambda: optimizers.Ftrl(learning_rate=0.05),
    'adam_schedule': lambda: optimizers.Adam(
        optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.9)),
    'adam_ema': lambda: optimizers.Adam(learning_rate=0.01, use_ema=True),
    'sgd_legacy_decay': lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9, decay=0.01),
}


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
