"""torchkeras.ops against real Keras 3.15 (values, shapes and dtypes), the symbolic path of
ops in functional graphs, and the dispatch protocol.

The reference numbers come from tests/data/keras3/ops_reference.npz, written by Keras 3 on
its torch backend from the case table in tests/ops_cases.py.
"""
import os

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import layers, ops
from ops_cases import CASES, inputs, resolve

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), 'data', 'keras3',
                                 'ops_reference.npz'))
ARRAYS = inputs()
# Where torchkeras follows TensorFlow rather than Keras 3's torch backend (see below).
_DIFFERENT = {'average_pool_same'}


def _lookup(path):
    target = ops
    for part in path.split('.'):
        target = getattr(target, part)
    return target


def _as_numpy(value):
    return ops.convert_to_numpy(value)


def _run(case):
    _, path, args, kwargs = case
    return _lookup(path)(*resolve(args, ARRAYS, torch.as_tensor), **kwargs)


def _expected(case_id):
    if case_id in REFERENCE.files:
        return REFERENCE[case_id]
    parts, i = [], 0
    while '%s/%d' % (case_id, i) in REFERENCE.files:
        parts.append(REFERENCE['%s/%d' % (case_id, i)])
        i += 1
    assert parts, 'no Keras 3 reference for %s: rerun make_ops_reference.py' % case_id
    return parts


def _compare(got, expected, case_id):
    got = _as_numpy(got)
    assert got.shape == expected.shape, (case_id, got.shape, expected.shape)
    assert got.dtype == expected.dtype, (case_id, got.dtype, expected.dtype)
    if expected.dtype.kind in 'fc':
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6, err_msg=case_id)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=case_id)


def test_the_reference_was_written_by_keras_3_15():
    assert str(REFERENCE['__keras_version__']).startswith('3.15')


@pytest.mark.parametrize('case', [c for c in CASES if c[0] not in _DIFFERENT],
                         ids=[c[0] for c in CASES if c[0] not in _DIFFERENT])
def test_op_matches_keras3(case):
    got = _run(case)
    expected = _expected(case[0])
    if isinstance(expected, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(expected), case[0]
        for g, e in zip(got, expected):
            _compare(g, e, case[0])
    else:
        _compare(got, expected, case[0])


def test_average_pool_same_leaves_padded_cells_out_as_tensorflow_does():
    # Keras 3 on torch pads an asymmetric 'same' window by repeating the edge and averages
    # over the copies; TensorFlow (and Keras 3 on TF) leave padded cells out of the mean, as
    # the AveragePooling layers do (checked against tf.keras in the layer tests).
    image = torch.as_tensor(ARRAYS['image'])
    got = ops.average_pool(image, 3, strides=2, padding='same')
    expected = layers.AveragePooling2D(3, strides=2, padding='same')(image)
    torch.testing.assert_close(got, expected)
    assert not np.allclose(_as_numpy(got), REFERENCE['average_pool_same'], atol=1e-3)
    # where the padding is symmetric the two agree
    np.testing.assert_allclose(
        _as_numpy(ops.average_pool(image[:, :7, :5], 3, strides=2, padding='same')),
        _as_numpy(layers.AveragePooling2D(3, strides=2, padding='same')(image[:, :7, :5])),
        rtol=1e-6)


# ----------------------------------------------------------------- gradients and errors
def test_gradients_flow_through_ops():
    x = torch.randn(3, 4, requires_grad=True)
    loss = ops.sum(ops.square(ops.nn.relu(ops.matmul(x, ops.transpose(x)))))
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_split_into_unequal_parts_names_the_argument():
    with pytest.raises(ValueError, match='indices_or_sections'):
        ops.split(torch.ones(5), 2)


def test_squeeze_of_a_non_unit_axis_names_the_axis():
    with pytest.raises(ValueError, match='axis 1'):
        ops.squeeze(torch.ones(2, 3), axis=1)


@pytest.mark.parametrize('call, words', [
    (lambda: ops.sum(torch.ones(2, 3), axis=4), ['ops.sum', 'out of range', '(2, 3)']),
    (lambda: ops.matmul(torch.ones(2, 3), torch.ones(4, 5)), ['ops.matmul', '(2, 3)', '(4, 5)']),
    (lambda: ops.add(torch.ones(2, 3), torch.ones(4)), ['ops.add', 'must match']),
    (lambda: ops.concatenate([torch.ones(2, 3), torch.ones(3, 4)]), ['ops.concatenate']),
    (lambda: ops.reshape(torch.ones(6), (4, 2)), ['ops.reshape', 'invalid']),
])
def test_a_wrong_axis_or_shape_is_a_value_error_naming_the_op(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_where_with_one_branch_names_both_arguments():
    with pytest.raises(ValueError, match='x1'):
        ops.where(torch.ones(2) > 0, torch.ones(2))


# ---------------------------------------------------------------- symbolic (functional)
def test_ops_on_keras_tensors_record_nodes_and_replay():
    inp = torchkeras.Input((4,))
    hidden = layers.Dense(3, name='d')(inp)
    out = ops.mean(ops.square(hidden) + 1.0, axis=-1, keepdims=True)
    assert out.shape == (None, 1)
    model = torchkeras.Model(inp, out)
    x = torch.randn(5, 4)
    expected = torch.mean(torch.square(model.get_layer('d')(x)) + 1.0, dim=-1, keepdim=True)
    torch.testing.assert_close(model(x), expected)
    names = [layer.name for layer in model.layers]
    assert names[:2] == ['input_1', 'd'] or names[1] == 'd'
    assert any(type(layer).__name__ == 'TFOpLambda' for layer in model.layers)


def test_python_operators_are_tf_op_layers_in_the_summary():
    inp = torchkeras.Input((4,))
    out = (inp * 2.0 - 1.0)[:, :2]
    model = torchkeras.Model(inp, out)
    lines = []
    model.summary(print_fn=lines.append)
    text = '\n'.join(lines)
    assert 'tf.math.multiply (TFOpLamb' in text and 'tf.__operators__.getitem' in text
    torch.testing.assert_close(model(torch.ones(2, 4)), torch.ones(2, 2))
    assert model.count_params() == 0


def test_symbolic_op_with_unknown_dims_keeps_them_unknown():
    inp = torchkeras.Input((None, 3))
    out = ops.concatenate([inp, inp], axis=1)
    assert out.shape == (None, None, 3)


def test_a_symbolic_op_that_cannot_run_names_the_op():
    inp = torchkeras.Input((4,))
    with pytest.raises(ValueError, match='matmul'):
        ops.matmul(inp, torchkeras.Input((5,)))


def test_dispatch_leaves_plain_tensors_alone():
    from torchkeras.ops.dispatch import symbolic_argument
    assert symbolic_argument((torch.ones(1), [1.0, (2, 'a')]), {'k': None}) is None
    kt = torchkeras.Input((2,))
    assert symbolic_argument(([torch.ones(1), {'x': kt}],), {}) is kt


# ------------------------------------------------------------------------ keras.random
def test_random_is_reproducible_from_set_random_seed():
    from torchkeras import random
    torchkeras.utils.set_random_seed(7)
    first = [random.normal((3,), seed=random.SeedGenerator()) for _ in range(2)]
    torchkeras.utils.set_random_seed(7)
    second = [random.normal((3,), seed=random.SeedGenerator()) for _ in range(2)]
    for a, b in zip(first, second):
        torch.testing.assert_close(a, b)


def test_random_int_seed_gives_the_same_draw_and_seed_generator_a_new_one():
    from torchkeras import random
    torch.testing.assert_close(random.uniform((4,), seed=3), random.uniform((4,), seed=3))
    generator = random.SeedGenerator(11)
    assert not torch.equal(random.uniform((4,), seed=generator),
                           random.uniform((4,), seed=generator))
    again = random.SeedGenerator(11)
    first = random.uniform((4,), seed=again)
    torch.testing.assert_close(first, random.uniform((4,), seed=random.SeedGenerator(11)))


def test_random_draws_have_keras_shapes_and_ranges():
    from torchkeras import random
    ints = random.randint((100,), 2, 5, seed=1)
    assert ints.dtype == torch.int32 and int(ints.min()) >= 2 and int(ints.max()) < 5
    trunc = random.truncated_normal((1000,), stddev=2.0, seed=1)
    assert float(trunc.abs().max()) <= 4.0
    shuffled = random.shuffle(torch.arange(10), seed=2)
    assert sorted(shuffled.tolist()) == list(range(10))
    dropped = random.dropout(torch.ones(1000), 0.5, seed=3)
    assert set(dropped.unique().tolist()) <= {0.0, 2.0}
    with pytest.raises(ValueError, match='rate'):
        random.dropout(torch.ones(3), 1.5)
    with pytest.raises(ValueError, match='seed'):
        random.SeedGenerator('x')
