"""Training on CUDA: device placement, data movement, mixed precision (skipped without CUDA)."""
import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, mixed_precision, optimizers
from torchkeras.training import data as data_module

pytestmark = pytest.mark.gpu


def small_model():
    return torchkeras.Sequential([layers.Dense(8, input_dim=4, activation='relu'),
                                  layers.Dense(3, activation='softmax')])


def arrays(n=64, seed=0):
    """Learnable data: the class is the largest of the first three features."""
    x = np.random.RandomState(seed).rand(n, 4).astype('float32')
    return x, np.argmax(x[:, :3], axis=1).astype('int32')


def test_fit_moves_model_to_cuda_and_predict_returns_numpy():
    model = small_model()
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    x, y = arrays()
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    assert all(p.device.type == 'cuda' for p in model.parameters())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    prediction = model.predict(x)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (64, 3)
    assert isinstance(model.evaluate(x, y, verbose=0)[0], float)


def test_cuda_matches_cpu_numbers():
    x, y = arrays()
    results = []
    for device in ('cpu', 'cuda'):
        torchkeras.backend.clear_session()
        torch.manual_seed(0)
        model = small_model()
        weights = [np.full(w.shape, 0.1, 'float32') for w in model.get_weights()]
        model.set_weights(weights)
        model.to(device)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1),
                      loss='sparse_categorical_crossentropy')
        torchkeras.backend.set_default_device(device)
        try:
            history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
        finally:
            torchkeras.backend.set_default_device(None)
        results.append(history.history['loss'])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-4)


def test_a_model_the_user_moved_stays_on_its_device():
    model = small_model()
    model.to('cuda')
    model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')
    torchkeras.backend.set_default_device('cpu')
    try:
        model.fit(*arrays(), verbose=0)
    finally:
        torchkeras.backend.set_default_device(None)
    assert all(p.device.type == 'cuda' for p in model.parameters())


def test_a_model_the_user_put_on_the_cpu_is_not_moved_to_cuda():
    placed, never_placed = small_model(), small_model()
    placed.to('cpu')  # the parameters were there already: only the call tells the choice
    for model in (placed, never_placed):
        model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')
        model.fit(*arrays(), verbose=0)
    assert all(p.device.type == 'cpu' for p in placed.parameters())
    assert all(p.device.type == 'cuda' for p in never_placed.parameters())


def test_data_that_fits_moves_once_and_large_data_streams(monkeypatch):
    x, y = arrays()
    io = data_module.ModelIO(['x'], None, ['out'], [True])
    adapter = data_module.adapt(x, y, io=io, batch_size=16).to_device('cuda')
    assert adapter.xs[0].device.type == 'cuda' and not adapter._stream
    monkeypatch.setattr(data_module, '_free_memory', lambda device: 0)
    adapter = data_module.adapt(x, y, io=io, batch_size=16, shuffle=True).to_device('cuda')
    assert adapter.xs[0].device.type == 'cpu' and adapter._stream
    batches = list(adapter.epoch())
    assert all(xs[0].device.type == 'cuda' and ys[0].device.type == 'cuda'
               for xs, ys, _ in batches)
    assert sorted(torch.cat([ys[0] for _, ys, _ in batches]).tolist()) == sorted(y.tolist())
    model = small_model()
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
    assert np.isfinite(model.fit(x, y, verbose=0).history['loss'][0])


def test_jit_compile_trains_on_cuda():
    model = small_model()
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'], jit_compile=True)
    x, y = arrays(256)
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    loss = history.history['loss']
    assert all(np.isfinite(loss)) and loss[-1] < loss[0]


@pytest.mark.parametrize('policy', ['mixed_float16', 'mixed_bfloat16'])
def test_mixed_precision_trains_on_cuda(policy):
    mixed_precision.set_global_policy(policy)
    try:
        model = small_model()
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
        x, y = arrays(256)
        history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    finally:
        mixed_precision.set_global_policy(None)
    loss = history.history['loss']
    assert all(np.isfinite(loss)) and loss[-1] < loss[0]
    assert all(p.dtype == torch.float32 for p in model.parameters())
