"""``keras.random``: random tensors from seeds, on torch generators.

As in Keras 3, ``seed`` may be None (torch's global generator, which
``keras.utils.set_random_seed`` seeds), an int (the same draw every call with that seed) or
a :class:`SeedGenerator` (a new draw on each call, reproducible from its starting seed).
A ``SeedGenerator()`` made without a seed draws its starting seed from Python's ``random``
(as Keras 3's ``make_default_seed``), which ``keras.utils.set_random_seed`` seeds, so a
script that seeds once gets the same numbers on every run.
"""
import random as python_random

import numpy as np
import torch

from torchkeras import config
from torchkeras.ops.core import to_tensor

__all__ = ['SeedGenerator', 'normal', 'uniform', 'truncated_normal', 'randint', 'shuffle',
           'dropout', 'categorical', 'gamma', 'binomial', 'beta', 'make_generator']


class SeedGenerator:
    """A stream of seeds: each draw that uses it advances its state."""

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int,
                                                                                 np.integer))):
            raise ValueError('SeedGenerator: `seed` must be an integer or None. Received: '
                             'seed=%r' % (seed,))
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        self.name = name or 'seed_generator'
        self.initial_seed = int(seed)
        self.state = int(seed)

    def next(self):
        """The seed for the next draw (the state advances)."""
        value = self.state
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % (2 ** 63)
        return value

    def get_config(self):
        return {'seed': self.initial_seed, 'name': self.name}


def make_generator(seed, device=None):
    """A torch.Generator for a Keras seed (None: the global one, so None is returned)."""
    if seed is None:
        return None
    value = seed.next() if isinstance(seed, SeedGenerator) else int(seed)
    generator = torch.Generator(device=device or 'cpu')
    generator.manual_seed(value)
    return generator


def _dtype(dtype):
    return config.torch_dtype(dtype)


def _shape(shape):
    return tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    out = torch.empty(_shape(shape), dtype=_dtype(dtype))
    return out.normal_(mean, stddev, generator=make_generator(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    out = torch.empty(_shape(shape), dtype=_dtype(dtype))
    return out.uniform_(minval, maxval, generator=make_generator(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until within two standard deviations of the mean."""
    out = torch.empty(_shape(shape), dtype=_dtype(dtype))
    torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0, generator=make_generator(seed))
    return out * stddev + mean


def randint(shape, minval, maxval, dtype='int32', seed=None):
    return torch.randint(int(minval), int(maxval), _shape(shape), dtype=_dtype(dtype),
                         generator=make_generator(seed))


def shuffle(x, axis=0, seed=None):
    x = to_tensor(x)
    order = torch.randperm(x.shape[axis], generator=make_generator(seed)).to(x.device)
    return torch.index_select(x, axis, order)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each value with probability ``rate``, scaling the kept ones by 1 / (1 - rate)."""
    inputs = to_tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError('dropout: `rate` must be in [0, 1). Received: rate=%r' % (rate,))
    shape = tuple(inputs.shape) if noise_shape is None else tuple(
        inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    keep = torch.empty(shape).uniform_(generator=make_generator(seed)) >= rate
    return inputs * keep.to(inputs.device, inputs.dtype) / (1.0 - rate)


def categorical(logits, num_samples, dtype='int32', seed=None):
    probs = torch.softmax(to_tensor(logits).float(), dim=-1)
    draws = torch.multinomial(probs.cpu(), int(num_samples), replacement=True,
                              generator=make_generator(seed))
    return draws.to(_dtype(dtype))


def gamma(shape, alpha, dtype=None, seed=None):
    generator = make_generator(seed)
    state = torch.random.get_rng_state()
    if generator is not None:  # torch's Gamma sampler has no generator argument
        torch.manual_seed(int(torch.randint(0, 2 ** 31 - 1, (), generator=generator)))
    try:
        draw = torch.distributions.Gamma(float(alpha), 1.0).sample(_shape(shape))
    finally:
        if generator is not None:
            torch.random.set_rng_state(state)
    return draw.to(_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    trials = torch.full(_shape(shape), float(counts))
    probs = torch.full(_shape(shape), float(probabilities))
    uniform_draws = torch.rand(_shape(shape) + (int(counts),), generator=make_generator(seed))
    draw = torch.sum(uniform_draws < probs.unsqueeze(-1), dim=-1).to(trials.dtype)
    return draw.to(_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    first = gamma(shape, alpha, seed=seed)
    second = gamma(shape, beta, seed=None if seed is None else (
        seed if isinstance(seed, SeedGenerator) else int(seed) + 1))
    return (first / (first + second)).to(_dtype(dtype))
