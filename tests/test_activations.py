"""Activations: each against its numpy formula and the values in KERAS_FACTS section 4."""
import functools
import math

import numpy as np
import pytest
import torch

from torchkeras import activations, losses

X = np.array([-25.0, -6.0, -3.0, -2.5, -1.0, -0.3, 0.0, 0.2, 0.5, 1.0, 2.5, 3.0, 7.0, 25.0])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_erf(x):
    return np.vectorize(math.erf)(x)


NUMPY_FORMULAS = {
    'relu': lambda x: np.maximum(x, 0),
    'sigmoid': _np_sigmoid,
    'tanh': np.tanh,
    'elu': _np_elu,
    'selu': lambda x: SELU_SCALE * _np_elu(x, SELU_ALPHA),
    'softplus': _np_softplus,
    'softsign': lambda x: x / (np.abs(x) + 1),
    'exponential': np.exp,
    'swish': lambda x: x * _np_sigmoid(x),
    'silu': lambda x: x * _np_sigmoid(x),
    'gelu': lambda x: 0.5 * x * (1 + _np_erf(x / math.sqrt(2))),
    'relu6': lambda x: np.clip(x, 0, 6),
    'leaky_relu': lambda x: np.where(x >= 0, x, 0.2 * x),
    'mish': lambda x: x * np.tanh(_np_softplus(x)),
    'linear': lambda x: x,
    'hard_sigmoid': lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    'hard_silu': lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    'hard_swish': lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    'celu': lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))),
    'hard_tanh': lambda x: np.clip(x, -1, 1),
    'log_sigmoid': lambda x: -_np_softplus(-x),
    'soft_shrink': lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    'hard_shrink': lambda x: np.where(np.abs(x) > 0.5, x, 0),
    'tanh_shrink': lambda x: x - np.tanh(x),
    'sparse_plus': lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    'squareplus': lambda x: (x + np.sqrt(x ** 2 + 4)) / 2,
}


@pytest.mark.parametrize('name', sorted(NUMPY_FORMULAS))
def test_elementwise_activation_matches_numpy(name):
    x64 = torch.tensor(X, dtype=torch.float64)
    expected = NUMPY_FORMULAS[name](X)
    np.testing.assert_allclose(activations.get(name)(x64).numpy(), expected, rtol=1e-7,
                               atol=1e-12)
    x32 = torch.tensor(X, dtype=torch.float32)
    result = getattr(activations, name)(x32)
    assert result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=2e-6, atol=1e-6)


def test_hard_sigmoid_is_tf_keras_2_formula():
    # KERAS_FACTS 4, verified with tf_keras 2.21 (Keras 3's x/6 + 0.5 is different)
    x = torch.tensor([-3, -2.5, -1, 0, 1, 2.5, 3.0])
    np.testing.assert_allclose(activations.hard_sigmoid(x).numpy(),
                               [0, 0, .3, .5, .7, 1, 1], atol=1e-7)


def test_hard_silu_uses_keras3_hard_sigmoid():
    x = torch.tensor([-3, -2.5, -1, 0, 1, 2.5, 3.0])
    keras3_hard_sigmoid = np.array([0, .0833333, .3333333, .5, .6666667, .9166667, 1])
    np.testing.assert_allclose(activations.hard_silu(x).numpy(), x.numpy() * keras3_hard_sigmoid,
                               atol=1e-6)


def test_leaky_relu_defaults():
    x = torch.tensor([-10.0, -1.0, 0.0, 2.0])
    # the function's default slope is 0.2 (Keras 3 activations.leaky_relu, tf.nn.leaky_relu);
    # 0.3 is the LeakyReLU *layer* default (KERAS_FACTS 4), never torch's 0.01
    assert activations.leaky_relu(x).tolist() == pytest.approx([-2.0, -0.2, 0.0, 2.0])
    assert activations.leaky_relu(x, negative_slope=0.3).tolist() == pytest.approx(
        [-3.0, -0.3, 0.0, 2.0])
    assert activations.leaky_relu(x, alpha=0.5).tolist() == pytest.approx([-5.0, -0.5, 0.0, 2.0])


def _np_keras_relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """tf.keras backend.relu written out."""
    above = np.where(x > threshold, x, 0.0) if threshold else np.maximum(x, 0.0)
    if max_value is not None:
        above = np.clip(above, 0.0, max_value)  # tf.clip_by_value(x, 0, max_value)
    return above - alpha * np.maximum(threshold - x, 0.0)


@pytest.mark.parametrize('kwargs', [
    {}, {'alpha': 0.1}, {'max_value': 6}, {'max_value': 2.5}, {'threshold': 1.0},
    {'alpha': 0.1, 'max_value': 2.0}, {'alpha': 0.2, 'threshold': 0.5},
    {'alpha': 0.3, 'max_value': 4.0, 'threshold': -1.0}, {'threshold': 1.0, 'max_value': 6},
])
def test_relu_arguments(kwargs):
    expected = _np_keras_relu(X, **kwargs)
    result = activations.relu(torch.tensor(X), **kwargs)
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-12)


def test_relu_accepts_keras3_negative_slope():
    x = torch.tensor([-2.0, 3.0])
    assert activations.relu(x, negative_slope=0.5).tolist() == [-1.0, 3.0]
    assert activations.relu(x, 0.5).tolist() == [-1.0, 3.0]


def test_elu_alpha_and_gelu_approximate():
    x = torch.tensor(X)
    np.testing.assert_allclose(activations.elu(x, alpha=0.5).numpy(), _np_elu(X, 0.5))
    tanh_form = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), tanh_form,
                               atol=1e-12)


def _np_softmax(x, axis):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize('axis', [-1, 0, 1, (1, 2)])
def test_softmax_and_log_softmax(axis):
    values = np.random.RandomState(0).randn(2, 3, 4) * 5
    x = torch.tensor(values)
    expected = _np_softmax(values, axis)
    np.testing.assert_allclose(activations.softmax(x, axis=axis).numpy(), expected, atol=1e-12)
    if isinstance(axis, int):
        np.testing.assert_allclose(activations.log_softmax(x, axis=axis).numpy(),
                                   np.log(expected), atol=1e-10)


def test_softmax_rejects_1d():
    with pytest.raises(ValueError, match='1D'):
        activations.softmax(torch.ones(3))


@pytest.mark.parametrize('name, kind', [('softmax', 'softmax'), ('sigmoid', 'sigmoid')])
def test_softmax_and_sigmoid_keep_their_logits(name, kind):
    logits = torch.randn(4, 3, requires_grad=True)
    output = activations.get(name)(logits)
    assert output._keras_logits is logits
    assert output._keras_logits_kind == kind
    output.sum().backward()  # the attribute does not disturb autograd
    assert logits.grad is not None


def test_other_activations_attach_nothing():
    output = activations.relu(torch.randn(2, 2))
    assert not hasattr(output, '_keras_logits')


def test_logits_reach_the_loss_inside_a_compiled_graph():
    """Saturated softmax: from the logits the loss is 100, from clipped probabilities 16.1."""
    def loss(logits, target):
        return losses.categorical_crossentropy(target, activations.softmax(logits))

    logits, target = torch.tensor([[100.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    compiled = torch.compile(loss, backend='eager', fullgraph=True)  # fullgraph: no break
    assert float(compiled(logits, target)) == pytest.approx(100.0)
    assert float(loss(logits, target)) == pytest.approx(100.0)


# --- get / serialize ------------------------------------------------------------------------

def test_get_none_is_linear_and_callables_pass_through():
    assert activations.get(None) is activations.linear

    def custom(x):
        return x * 2

    assert activations.get(custom) is custom
    assert activations.get(torch.tanh) is torch.tanh


@pytest.mark.parametrize('name', sorted(NUMPY_FORMULAS) + ['softmax', 'log_softmax', 'glu'])
def test_get_and_serialize_round_trip(name):
    function = activations.get(name)
    assert function is getattr(activations, name)
    assert activations.serialize(function) == name


def test_get_from_config_dict():
    assert activations.get({'class_name': 'tanh', 'config': {}}) is activations.tanh
    bound = activations.get({'class_name': 'leaky_relu', 'config': {'negative_slope': 0.4}})
    assert isinstance(bound, functools.partial)
    assert bound(torch.tensor([-1.0])).tolist() == pytest.approx([-0.4])
    assert activations.serialize(bound) == 'leaky_relu'


def test_serialize_user_function_and_none():
    def my_activation(x):
        return x

    assert activations.serialize(my_activation) == 'my_activation'
    assert activations.serialize(None) == 'linear'


def test_unknown_identifiers_are_named_in_the_error():
    with pytest.raises(ValueError, match='rleu'):
        activations.get('rleu')
    with pytest.raises(ValueError, match='nope'):
        activations.get({'class_name': 'nope', 'config': {}})
    with pytest.raises(ValueError, match='42'):
        activations.get(42)
    with pytest.raises(ValueError):
        activations.serialize(42)
