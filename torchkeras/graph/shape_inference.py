"""Output shapes from the layer's own torch code, run on fake tensors.

An operation called on KerasTensors is run once on FakeTensors (shapes and dtypes only, no data,
no compute), the same code that runs on real data.  Unknown dims (None) are filled with
two different sizes in two runs; an output dim that differs between the runs is unknown
too (Keras 3's ``compute_output_spec`` does the same on the meta device).
"""
import contextlib
import threading

import torch

from torchkeras.ops.dispatch import is_symbolic
from torchkeras.utils.generic import flatten, map_structure

__all__ = ['infer_outputs', 'is_inferring', 'is_spec', 'real_tensors', 'FILL_SIZES']

# Large, coprime sizes: fake tensors cost nothing, and a big size keeps a deep stack of
# 'valid' convolutions and poolings from running out of length.
FILL_SIZES = (1031, 1523)
_BATCH_FILL = (3, 5)
_STATE = threading.local()


def is_inferring():
    """True inside a shape-inference run: stateful layers must not keep what they compute."""
    return getattr(_STATE, 'depth', 0) > 0


@contextlib.contextmanager
def _inferring():
    _STATE.depth = getattr(_STATE, 'depth', 0) + 1
    try:
        yield
    finally:
        _STATE.depth -= 1


@contextlib.contextmanager
def real_tensors():
    """Inside a shape-inference run, make real tensors again (a sublayer built during the run
    needs real weights); elsewhere it changes nothing."""
    if not is_inferring():
        yield
        return
    from torch._subclasses.fake_tensor import unset_fake_temporarily
    with unset_fake_temporarily():
        yield


def _fake_mode():
    from torch._subclasses.fake_tensor import FakeTensorMode
    return FakeTensorMode(allow_non_fake_inputs=True)


def _fill(shape, run):
    dims = []
    for axis, dim in enumerate(shape):
        if dim is not None:
            dims.append(dim)
        else:
            dims.append(_BATCH_FILL[run] if axis == 0 else FILL_SIZES[run])
    return dims


def _concrete(structure, run, mode):
    def make(x):
        if is_symbolic(x):
            with mode:
                return torch.empty(_fill(x.shape, run), dtype=x.torch_dtype)
        return x
    return map_structure(make, structure)


def _has_unknown(structure):
    return any(d is None for x in flatten(structure) if is_symbolic(x) for d in x.shape)


def _spec(value):
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        raise TypeError('A layer must return torch tensors (or lists/dicts of them). '
                        'Received: %r' % (type(value),))
    return (tuple(value.shape), value.dtype)


def _merge(first, second):
    """Two runs' (shape, dtype) specs -> shape with None where they differ."""
    if first is None or second is None:
        return first
    shape = tuple(a if a == b else None for a, b in zip(first[0], second[0]))
    return (shape, first[1])


def infer_outputs(run_fn, args, kwargs, masks):
    """Specs of ``run_fn(args, kwargs, masks) -> (outputs, out_masks)`` on fake tensors.

    Returns (output specs, mask specs): the same structure as the outputs, each leaf a
    ``(shape, torch dtype)`` pair (or None for an absent mask).
    """
    runs = 2 if _has_unknown((args, kwargs, masks)) else 1
    results = []
    for run in range(runs):
        mode = _fake_mode()
        fake_args = _concrete(args, run, mode)
        fake_kwargs = _concrete(kwargs, run, mode)
        fake_masks = _concrete(masks, run, mode)
        with mode, _inferring(), torch.no_grad():
            outputs, out_masks = run_fn(fake_args, fake_kwargs, fake_masks)
        results.append((map_structure(_spec, outputs), map_structure(_spec, out_masks)))
    if runs == 1:
        return results[0]
    (out_a, mask_a), (out_b, mask_b) = results
    return _zip_merge(out_a, out_b), _zip_merge(mask_a, mask_b)


def _zip_merge(a, b):
    if isinstance(a, (list, tuple)) and not is_spec(a):
        return type(a)(_zip_merge(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _zip_merge(a[k], b[k]) for k in a}
    return _merge(a, b)


def is_spec(x):
    """A ``(shape, torch dtype)`` leaf of inferred output specs."""
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], torch.dtype)
