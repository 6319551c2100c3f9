import os
import sys
import types

import pytest
import torch

import torchkeras

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # the shared layer harness: `from layer_harness import run_layer_test`

# Test tensors are tiny: one thread avoids oversubscribing CI's two cores (LAPACK's QR for
# orthogonal initializers is much slower with several threads on a busy machine).
TORCH_DEFAULT_THREADS = torch.get_num_threads()
torch.set_num_threads(1)

KIT = os.path.join(os.path.dirname(HERE), '..', 'shared', 'keras_reference')


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason='needs a CUDA device')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True)
def _fresh_session():
    """Every test starts with fresh auto-names and a fixed seed, as run.py does per case."""
    torchkeras.backend.clear_session()
    torch.manual_seed(0)
    yield


@pytest.fixture
def run_py_threads():
    """The kit's training cases under run.py's conditions: torch's default thread count.

    With one thread the CPU kernels sum in another order, and the age regression of
    three_output_age_income_gender drifts past run.py's rtol of 1e-3 by its third epoch
    (0.41268 against tf.keras's 0.4142); run.py itself, at the default count, matches."""
    torch.set_num_threads(TORCH_DEFAULT_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(1)


@pytest.fixture
def kit_dir():
    """The Keras reference kit beside the project (skipped cleanly when absent)."""
    path = os.path.abspath(KIT)
    if not os.path.isdir(path):
        pytest.skip('Keras reference kit not found at %s' % path)
    return path


@pytest.fixture
def clock(monkeypatch):
    """The progress bar's clock, set by the test (``clock.now = 1.0``)."""
    from terminal import FakeClock
    from torchkeras.utils import progbar as progbar_module
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, 'time', types.SimpleNamespace(time=fake.time))
    return fake
