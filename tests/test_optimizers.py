"""Optimizers: update rules against NumPy transcriptions of KERAS_FACTS 1.2 (written here, not
calling the library), defaults from the KERAS_FACTS 1.1 table, legacy arguments, clipping,
schedules computed by hand, torch interop, (de)serialization and errors."""
import pickle
import warnings

import numpy as np
import pytest

import torchkeras
import torchkeras.legacy
import torch

import torchkeras.optimizers as optimizers
from torchkeras.optimizers import legacy
from torchkeras.optimizers import schedules

SHAPES = [(3, 2), (2,)]
STEPS = 5
MISSING_GRAD = (1, 2)  # (parameter index, step) with grad None: Keras skips that update


def _gradients(seed=0, skip_one=True):
    """Per step, one gradient per parameter; the second parameter's are tiny (1e-3 scale) so
    that epsilon inside vs outside the square root makes a visible difference."""
    rng = np.random.RandomState(seed)
    steps = []
    for k in range(STEPS):
        grads = [rng.normal(size=SHAPES[0]), 1e-3 * rng.normal(size=SHAPES[1])]
        if skip_one and k == MISSING_GRAD[1]:
            grads[MISSING_GRAD[0]] = None
        steps.append(grads)
    return steps


def _initial_params(seed=1):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=shape) for shape in SHAPES]


def _run_library(opt, grads_seq, params0, dtype=torch.float64):
    params = [torch.nn.Parameter(torch.tensor(p, dtype=dtype)) for p in params0]
    opt.build(params)
    for grads in grads_seq:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g, dtype=dtype)
        opt.step()
        opt.zero_grad()
    return [p.detach().numpy() for p in params]


def _run_reference(rule, grads_seq, params0, lr=lambda k: 0.1, **hyper):
    params = [p.copy() for p in params0]
    states = [{} for _ in params]
    for k, grads in enumerate(grads_seq):
        for i, g in enumerate(grads):
            if g is not None:
                params[i] = rule(params[i], g, states[i], lr(k), k + 1, **hyper)
    return params


# ---------------------------------------------------------------- NumPy rules (KERAS_FACTS 1.2)
def np_sgd(p, g, s, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return p - lr * g
    m = s.setdefault('m', np.zeros_like(p))
    m[...] = momentum * m - lr * g
    return p + momentum * m - lr * g if nesterov else p + m


def np_rmsprop(p, g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
               eps_outside=False):
    v = s.setdefault('v', np.zeros_like(p))
    v[...] = rho * v + (1 - rho) * g ** 2
    second = v
    if centered:
        mg = s.setdefault('mg', np.zeros_like(p))
        mg[...] = rho * mg + (1 - rho) * g
        second = v - mg ** 2
    denom = np.sqrt(second) + epsilon if eps_outside else np.sqrt(second + epsilon)
    if momentum > 0:
        mom = s.setdefault('mom', np.zeros_like(p))
        mom[...] = momentum * mom + lr * g / denom
        return p - mom
    return p - lr * g / denom


def np_adam(p, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
            weight_decay=0.0):
    p = p - p * weight_decay * lr
    m = s.setdefault('m', np.zeros_like(p))
    v = s.setdefault('v', np.zeros_like(p))
    m += (g - m) * (1 - beta_1)
    v += (g ** 2 - v) * (1 - beta_2)
    if amsgrad:
        vhat = s.setdefault('vhat', np.zeros_like(p))
        vhat[...] = np.maximum(vhat, v)
        v = vhat
    return p - lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (np.sqrt(v) + epsilon)


def np_adagrad(p, g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7, eps_outside=False):
    a = s.setdefault('a', np.full_like(p, initial_accumulator_value))
    a += g ** 2
    denom = np.sqrt(a) + epsilon if eps_outside else np.sqrt(a + epsilon)
    return p - lr * g / denom


def np_adadelta(p, g, s, lr, t, rho=0.95, epsilon=1e-7):
    eg = s.setdefault('eg', np.zeros_like(p))
    edx = s.setdefault('edx', np.zeros_like(p))
    eg[...] = rho * eg + (1 - rho) * g ** 2
    d = -np.sqrt(edx + epsilon) / np.sqrt(eg + epsilon) * g
    edx[...] = rho * edx + (1 - rho) * d ** 2
    return p + lr * d


def np_adamax(p, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s.setdefault('m', np.zeros_like(p))
    u = s.setdefault('u', np.zeros_like(p))
    m += (g - m) * (1 - beta_1)
    u[...] = np.maximum(beta_2 * u, np.abs(g))
    return p - lr * m / ((1 - beta_1 ** t) * (u + epsilon))


def np_nadam(p, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, schedule_decay=1.0):
    def u(i):
        return beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * i))
    product = np.prod([u(i) for i in range(1, t + 1)])  # P_t = u_1 ... u_t
    m = s.setdefault('m', np.zeros_like(p))
    v = s.setdefault('v', np.zeros_like(p))
    m += (g - m) * (1 - beta_1)
    v += (g ** 2 - v) * (1 - beta_2)
    m_hat = u(t + 1) * m / (1 - product * u(t + 1)) + (1 - u(t)) * g / (1 - product)
    v_hat = v / (1 - beta_2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + epsilon)


def np_ftrl(p, g, s, lr, t, learning_rate_power=-0.5, initial_accumulator_value=0.1,
            l1_regularization_strength=0.0, l2_regularization_strength=0.0,
            l2_shrinkage_regularization_strength=0.0, beta=0.0):
    """tf_keras Ftrl docstring: z += g - sigma*w; w = (sgn(z)*l1 - z) / quadratic, or 0."""
    n = s.setdefault('n', np.full_like(p, initial_accumulator_value))
    z = s.setdefault('z', np.zeros_like(p))
    l1, l2 = l1_regularization_strength, l2_regularization_strength
    n_new = n + g ** 2
    sigma = (n_new ** -learning_rate_power - n ** -learning_rate_power) / lr
    z += g + 2 * l2_shrinkage_regularization_strength * p - sigma * p
    n[...] = n_new
    quadratic = (beta + n_new ** -learning_rate_power) / lr + 2 * l2
    return np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / quadratic)


RULE_CASES = [
    ('sgd', optimizers.SGD, {}, np_sgd, {}),
    ('sgd_momentum', optimizers.SGD, {'momentum': 0.9}, np_sgd, {'momentum': 0.9}),
    ('sgd_nesterov', optimizers.SGD, {'momentum': 0.9, 'nesterov': True}, np_sgd,
     {'momentum': 0.9, 'nesterov': True}),
    ('rmsprop', optimizers.RMSprop, {}, np_rmsprop, {}),
    ('rmsprop_centered_momentum', optimizers.RMSprop,
     {'centered': True, 'momentum': 0.5, 'rho': 0.8}, np_rmsprop,
     {'centered': True, 'momentum': 0.5, 'rho': 0.8}),
    ('rmsprop_centered', optimizers.RMSprop, {'centered': True}, np_rmsprop, {'centered': True}),
    ('adam', optimizers.Adam, {}, np_adam, {}),
    ('adam_amsgrad', optimizers.Adam, {'amsgrad': True, 'beta_2': 0.9}, np_adam,
     {'amsgrad': True, 'beta_2': 0.9}),
    ('adamw', optimizers.AdamW, {'weight_decay': 0.1}, np_adam, {'weight_decay': 0.1}),
    ('adagrad', optimizers.Adagrad, {}, np_adagrad, {}),
    ('adadelta', optimizers.Adadelta, {}, np_adadelta, {}),
    ('adamax', optimizers.Adamax, {}, np_adamax, {}),
    ('nadam_schedule_decay', optimizers.Nadam, {'schedule_decay': 0.004}, np_nadam,
     {'schedule_decay': 0.004}),
    ('ftrl', optimizers.Ftrl, {}, np_ftrl, {}),
    ('ftrl_regularized', optimizers.Ftrl,
     {'l1_regularization_strength': 0.05, 'l2_regularization_strength': 0.2,
      'l2_shrinkage_regularization_strength': 0.1, 'beta': 0.3, 'learning_rate_power': -0.7},
     np_ftrl,
     {'l1_regularization_strength': 0.05, 'l2_regularization_strength': 0.2,
      'l2_shrinkage_regularization_strength': 0.1, 'beta': 0.3, 'learning_rate_power': -0.7}),
    # tf.keras legacy OptimizerV2: epsilon outside the sqrt, Nadam's 0.96^(0.004 t).
    ('legacy_rmsprop', legacy.RMSprop, {}, np_rmsprop, {'eps_outside': True}),
    ('legacy_rmsprop_momentum', legacy.RMSprop, {'momentum': 0.5}, np_rmsprop,
     {'momentum': 0.5}),
    ('legacy_adagrad', legacy.Adagrad, {}, np_adagrad, {'eps_outside': True}),
    ('legacy_nadam', legacy.Nadam, {}, np_nadam, {'schedule_decay': 0.004}),
    ('legacy_adam', legacy.Adam, {}, np_adam, {}),
]


@pytest.mark.parametrize('case', RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_update_rule_matches_numpy_reference(case):
    _, cls, kwargs, rule, hyper = case
    params0, grads = _initial_params(), _gradients()
    got = _run_library(cls(learning_rate=0.1, **kwargs), grads, params0)
    expected = _run_reference(rule, grads, params0, **hyper)
    for g, e, p0 in zip(got, expected, params0):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)
        assert not np.allclose(g, p0)  # the parameters did move


def test_epsilon_placement_is_visible_in_the_reference():
    """Guards the test data: with 1e-3 gradients, eps inside vs outside the sqrt differ."""
    params0, grads = _initial_params(), _gradients()
    inside = _run_reference(np_rmsprop, grads, params0)
    outside = _run_reference(np_rmsprop, grads, params0, eps_outside=True)
    assert np.abs(inside[1] - outside[1]).max() > 1e-5


def test_float32_parameters_follow_the_rule():
    params0, grads = _initial_params(), _gradients()
    got = _run_library(optimizers.Adam(learning_rate=0.1), grads, params0, dtype=torch.float32)
    expected = _run_reference(np_adam, grads, params0)
    for g, e in zip(got, expected):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-5)


# ------------------------------------------------------------------ torch where exactly equal
def _run_torch(torch_opt_factory, grads_seq, params0):
    params = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    opt = torch_opt_factory(params)
    for grads in grads_seq:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize('name,ours,theirs', [
    ('adadelta', lambda: optimizers.Adadelta(learning_rate=0.5, rho=0.9, epsilon=1e-6),
     lambda ps: torch.optim.Adadelta(ps, lr=0.5, rho=0.9, eps=1e-6)),
    ('nadam_schedule_decay', lambda: optimizers.Nadam(learning_rate=0.1, schedule_decay=0.004),
     lambda ps: torch.optim.NAdam(ps, lr=0.1, eps=1e-7, momentum_decay=0.004)),
    ('legacy_nadam', lambda: legacy.Nadam(learning_rate=0.1),
     lambda ps: torch.optim.NAdam(ps, lr=0.1, eps=1e-7)),
    ('sgd_nesterov', lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
])
def test_matches_torch_where_keras_facts_says_exact(name, ours, theirs):
    # No skipped gradient here: torch counts steps per parameter, Keras per optimizer.
    params0, grads = _initial_params(), _gradients(skip_one=False)
    got = _run_library(ours(), grads, params0)
    expected = _run_torch(theirs, grads, params0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------ defaults
FACT_TABLE_DEFAULTS = {  # KERAS_FACTS 1.1, "tf_keras >= 2.11 default" column
    optimizers.SGD: {'learning_rate': 0.01, 'momentum': 0.0, 'nesterov': False},
    optimizers.RMSprop: {'learning_rate': 0.001, 'rho': 0.9, 'momentum': 0.0, 'epsilon': 1e-7,
                         'centered': False},
    optimizers.Adagrad: {'learning_rate': 0.001, 'initial_accumulator_value': 0.1,
                         'epsilon': 1e-7},
    optimizers.Adadelta: {'learning_rate': 0.001, 'rho': 0.95, 'epsilon': 1e-7},
    optimizers.Adam: {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-7,
                      'amsgrad': False},
    optimizers.Adamax: {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999,
                        'epsilon': 1e-7},
    optimizers.Nadam: {'learning_rate': 0.001, 'beta_1': 0.9, 'beta_2': 0.999,
                       'epsilon': 1e-7},
    optimizers.AdamW: {'learning_rate': 0.001, 'weight_decay': 0.004, 'epsilon': 1e-7},
    optimizers.Ftrl: {'learning_rate': 0.001, 'learning_rate_power': -0.5,
                      'initial_accumulator_value': 0.1, 'l1_regularization_strength': 0.0,
                      'l2_regularization_strength': 0.0, 'beta': 0.0},
}


@pytest.mark.parametrize('cls', list(FACT_TABLE_DEFAULTS), ids=lambda c: c.__name__)
def test_defaults_match_keras_facts_table(cls):
    config = cls().get_config()
    for key, value in FACT_TABLE_DEFAULTS[cls].items():
        assert config[key] == value, key
    assert config['name'] == cls.__name__
    assert config['is_legacy_optimizer'] is False
    assert 'decay' not in config


def test_legacy_defaults_match_keras_facts_table():
    assert legacy.Adadelta().get_config()['learning_rate'] == 0.001
    assert legacy.Adagrad().get_config()['initial_accumulator_value'] == 0.1
    assert legacy.Adamax().get_config()['learning_rate'] == 0.001
    nadam = legacy.Nadam().get_config()
    assert (nadam['learning_rate'], nadam['decay']) == (0.001, 0.004)
    assert legacy.SGD().get_config() == {'name': 'SGD', 'learning_rate': 0.01, 'decay': 0.0,
                                         'momentum': 0.0, 'nesterov': False}


def test_epsilon_none_means_backend_epsilon():
    assert optimizers.Adam(epsilon=None).epsilon == 1e-7
    assert legacy.RMSprop(epsilon=None).epsilon == 1e-7


# --------------------------------------------------------------------- legacy arguments
def test_lr_is_honoured_with_one_deprecation_warning_per_process(monkeypatch):
    monkeypatch.setattr(torchkeras.legacy.deprecation, '_WARNED', set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        sgd = optimizers.SGD(lr=0.5)
        adam = optimizers.Adam(lr=0.25)
        old = legacy.RMSprop(lr=0.125)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == 1
    assert 'learning_rate' in str(deprecations[0].message)
    assert deprecations[0].filename == __file__  # attributed to the caller's line
    assert (sgd.learning_rate, adam.learning_rate, old.learning_rate) == (0.5, 0.25, 0.125)
    assert adam.lr == 0.25


def test_lr_in_a_config_is_renamed_silently(monkeypatch):
    monkeypatch.setattr(torchkeras.legacy.deprecation, '_WARNED', set())
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        opt = optimizers.Adam.from_config({'lr': 0.02, 'beta_1': 0.8})
    assert (opt.learning_rate, opt.beta_1) == (0.02, 0.8)


@pytest.mark.parametrize('cls,rule,hyper', [
    (optimizers.SGD, np_sgd, {}),
    (optimizers.Adam, np_adam, {}),
    (legacy.RMSprop, np_rmsprop, {'eps_outside': True}),
])
def test_decay_is_time_based_learning_rate_decay(cls, rule, hyper):
    params0, grads = _initial_params(), _gradients()
    opt = cls(learning_rate=0.1, decay=0.5)
    got = _run_library(opt, grads, params0)
    expected = _run_reference(rule, grads, params0, lr=lambda k: 0.1 / (1 + 0.5 * k), **hyper)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)
    assert opt.get_config()['decay'] == 0.5
    assert opt.learning_rate == 0.1  # the base rate, as Keras reports it


def test_decay_equals_torch_lambda_lr():
    """KERAS_FACTS 1.4: decay == LambdaLR(lambda k: 1/(1+decay*k)) stepped once per batch."""
    params0, grads = _initial_params(), _gradients()
    got = _run_library(optimizers.SGD(learning_rate=0.1, momentum=0.0, decay=0.3), grads,
                       params0)
    params = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    sgd = torch.optim.SGD(params, lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(sgd, lambda k: 1 / (1 + 0.3 * k))
    for step in grads:
        for p, g in zip(params, step):
            p.grad = None if g is None else torch.tensor(g)
        sgd.step()
        scheduler.step()
    for g, p in zip(got, params):
        np.testing.assert_allclose(g, p.detach().numpy(), rtol=0, atol=1e-9)


def test_legacy_nadam_decay_is_the_schedule_decay():
    assert legacy.Nadam(decay=0.01).get_config()['decay'] == 0.01
    assert legacy.Nadam(schedule_decay=0.02).get_config()['decay'] == 0.02
    assert optimizers.Nadam(schedule_decay=0.004).get_config()['schedule_decay'] == 0.004


# ------------------------------------------------------------------------------- clipping
def _one_sgd_step(opt, grads):
    params = [torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64)) for g in grads]
    opt.build(params)
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float64)
    opt.step()
    return [-p.detach().numpy() for p in params]  # lr=1: minus the applied gradient


CLIP_GRADS = [[3.0, 4.0], [0.0, 12.0]]  # norms 5 and 12, global norm 13


def test_clipnorm_clips_each_tensor_separately():
    got = _one_sgd_step(optimizers.SGD(learning_rate=1.0, clipnorm=1.0), CLIP_GRADS)
    np.testing.assert_allclose(got[0], [0.6, 0.8])
    np.testing.assert_allclose(got[1], [0.0, 1.0])


def test_global_clipnorm_clips_by_the_global_norm():
    got = _one_sgd_step(optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0), CLIP_GRADS)
    np.testing.assert_allclose(got[0], [3 / 13, 4 / 13])
    np.testing.assert_allclose(got[1], [0.0, 12 / 13])


def test_clipping_leaves_small_gradients_alone():
    got = _one_sgd_step(optimizers.SGD(learning_rate=1.0, clipnorm=100.0), CLIP_GRADS)
    np.testing.assert_allclose(got[1], [0.0, 12.0])


def test_clipvalue_clips_elementwise():
    got = _one_sgd_step(optimizers.SGD(learning_rate=1.0, clipvalue=3.5), CLIP_GRADS)
    np.testing.assert_allclose(got[0], [3.0, 3.5])
    np.testing.assert_allclose(got[1], [0.0, 3.5])


def test_clipnorm_wins_over_clipvalue_in_tf_keras_but_not_in_legacy():
    grads = [[3.0, 4.0]]
    new = _one_sgd_step(optimizers.SGD(learning_rate=1.0, clipnorm=1.0, clipvalue=0.5), grads)
    np.testing.assert_allclose(new[0], [0.6, 0.8])  # if/elif: only clipnorm
    old = _one_sgd_step(legacy.SGD(learning_rate=1.0, clipnorm=0.5, clipvalue=3.5), grads)
    clipped = np.array([3.0, 3.5])  # clipvalue first, then the norm of what is left
    np.testing.assert_allclose(old[0], clipped * 0.5 / np.linalg.norm(clipped))


def test_clipnorm_and_global_clipnorm_together_are_rejected():
    with pytest.raises(ValueError, match='clipnorm.*global_clipnorm'):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)


# ----------------------------------------------------------------------------- schedules
def test_schedule_values_by_hand():
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert exp(0) == pytest.approx(0.1)
    assert exp(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    stair = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert (stair(9), stair(10)) == (pytest.approx(0.1), pytest.approx(0.05))
    inverse = schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    assert inverse(2) == pytest.approx(0.05)
    piecewise = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [piecewise(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    cosine = schedules.CosineDecay(1.0, decay_steps=10, alpha=0.1)
    assert (cosine(0), cosine(5), cosine(20)) == (pytest.approx(1.0), pytest.approx(0.55),
                                                  pytest.approx(0.1))
    warm = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    assert (warm(2), warm(4), warm(9)) == (pytest.approx(0.5), pytest.approx(1.0),
                                           pytest.approx(0.5))
    poly = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    assert (poly(5), poly(15)) == (pytest.approx(0.25), pytest.approx(0.0))
    cyclic = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0, cycle=True)
    assert cyclic(15) == pytest.approx(0.0625)  # decay_steps becomes 20: (1 - 0.75)^2
    restarts = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    assert (restarts(5), restarts(10)) == (pytest.approx(0.5), pytest.approx(1.0))


@pytest.mark.parametrize('schedule', [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.InverseTimeDecay(0.1, 3, 0.5),
    schedules.PiecewiseConstantDecay([2, 4], [0.3, 0.2, 0.1]),
    schedules.CosineDecay(0.1, 10, alpha=0.2, warmup_target=0.3, warmup_steps=2),
    schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=0.5, cycle=True),
    schedules.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5),
], ids=lambda s: type(s).__name__)
def test_schedule_config_round_trip(schedule):
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule)
    assert again.get_config() == schedule.get_config()
    assert [again(s) for s in range(12)] == [schedule(s) for s in range(12)]


def test_optimizer_uses_the_schedule_at_the_step_number():
    schedule = schedules.PiecewiseConstantDecay([1, 3], [0.3, 0.2, 0.1])
    params0, grads = _initial_params(), _gradients()
    opt = optimizers.SGD(learning_rate=schedule)
    got = _run_library(opt, grads, params0)
    expected = _run_reference(np_sgd, grads, params0, lr=schedule)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-12)
    assert opt.learning_rate == 0.1  # the rate for the next step, schedule(5)
    assert opt.get_config()['learning_rate']['class_name'] == 'PiecewiseConstantDecay'
    with pytest.raises(TypeError, match='LearningRateSchedule'):
        opt.learning_rate = 0.5
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(again._learning_rate, schedules.PiecewiseConstantDecay)


# --------------------------------------------------------------- learning rate / torch interop
def test_learning_rate_setter_changes_the_next_steps():
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build([p])
    p.grad = torch.ones(2, dtype=torch.float64)
    opt.step()
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.lr == 0.5
    opt.step()
    opt.lr = 0.25
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [-0.85, -0.85])
    assert opt.iterations == 3 and isinstance(opt.iterations, int)


def test_torch_lr_scheduler_can_drive_the_rule():
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = optimizers.SGD(learning_rate=1.0)
    opt.build([p])
    scheduler = torch.optim.lr_scheduler.StepLR(opt.torch_optimizer, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(p.detach().numpy(), [-(1 + 0.5 + 0.25)])
    assert opt.learning_rate == 0.125


def test_wrapping_a_torch_optimizer_instance():
    model = torch.nn.Linear(2, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    opt = optimizers.get(sgd)
    assert isinstance(opt, optimizers.Optimizer) and opt.torch_optimizer is sgd
    opt.build(model.parameters())
    assert opt.torch_optimizer is sgd  # build does nothing
    assert opt.learning_rate == pytest.approx(0.1)
    opt.learning_rate = 0.05
    assert sgd.param_groups[0]['lr'] == 0.05
    before = model.weight.detach().clone()
    model(torch.ones(4, 2)).sum().backward()
    opt.step()
    opt.zero_grad()
    assert model.weight.grad is None
    expected = before - 0.05 * 4.0  # d(sum)/dW = 4 inputs of 1
    torch.testing.assert_close(model.weight.detach(), expected)
    assert opt.iterations == 1


def test_wrapping_a_torch_optimizer_class_builds_it():
    model = torch.nn.Linear(2, 1)
    opt = optimizers.get(torch.optim.Adam)
    assert opt.learning_rate == 0.001
    opt.build(model.parameters())
    assert isinstance(opt.torch_optimizer, torch.optim.Adam)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    assert len(opt.variables()) >= 2


# --------------------------------------------------------------------- state / variables
def test_build_again_is_a_no_op_and_grad_none_is_skipped():
    w = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    b = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([w, b])
    w.grad = torch.ones(2, dtype=torch.float64)
    opt.step()
    m_before = opt.torch_optimizer.state[w]['momentum'].clone()
    opt.build([w, b])
    assert torch.equal(opt.torch_optimizer.state[w]['momentum'], m_before)
    assert torch.equal(b.detach(), torch.ones(1, dtype=torch.float64))  # never had a grad
    assert torch.count_nonzero(opt.torch_optimizer.state[b]['momentum']) == 0


def test_torch_state_dict_round_trip_keeps_the_step_count():
    w = torch.nn.Parameter(torch.ones(2))
    opt = optimizers.Nadam()
    opt.build([w])
    for _ in range(3):
        w.grad = torch.ones(2)
        opt.step()
    state = opt.torch_optimizer.state_dict()
    again = optimizers.Nadam()
    again.build([w])
    again.torch_optimizer.load_state_dict(state)
    assert again.iterations == 3
    torch.testing.assert_close(again.variables()[-1], opt.variables()[-1])  # u_product
    torch.testing.assert_close(again.torch_optimizer.state[w]['velocity'],
                               opt.torch_optimizer.state[w]['velocity'])


def test_step_with_no_gradients_is_not_counted():
    w = torch.nn.Parameter(torch.ones(2))
    opt = optimizers.SGD()
    opt.build([w])
    opt.step()
    assert opt.iterations == 0


def test_build_on_an_empty_parameter_list():
    opt = optimizers.Adam()
    opt.build([])
    opt.step()
    assert opt.iterations == 0
    assert len(opt.variables()) == 2


def test_adam_variables_are_in_keras_3_order():
    w = torch.nn.Parameter(torch.zeros(3, 2, dtype=torch.float64))
    b = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([w, b])
    w.grad = torch.full((3, 2), 2.0, dtype=torch.float64)
    b.grad = torch.full((2,), 3.0, dtype=torch.float64)
    opt.step()
    iteration, lr, m_w, v_w, m_b, v_b = opt.variables()
    assert int(iteration) == 1 and float(lr) == pytest.approx(0.1)
    np.testing.assert_allclose(m_w.numpy(), np.full((3, 2), 0.2))  # (1 - 0.9) * 2
    np.testing.assert_allclose(v_w.numpy(), np.full((3, 2), 0.004))  # (1 - 0.999) * 4
    np.testing.assert_allclose(m_b.numpy(), np.full(2, 0.3))
    np.testing.assert_allclose(v_b.numpy(), np.full(2, 0.009))
    assert opt.variables == opt.variables()  # Keras 3 property and tf.keras call both work


def test_rmsprop_variables_group_each_slot_kind():
    w = torch.nn.Parameter(torch.zeros(3))
    b = torch.nn.Parameter(torch.zeros(1))
    opt = optimizers.RMSprop(momentum=0.5, centered=True)
    opt.build([w, b])
    shapes = [tuple(v.shape) for v in opt.variables()]
    assert shapes == [(), (), (3,), (1,), (3,), (1,), (3,), (1,)]  # v, v, mom, mom, mg, mg


def test_sgd_variables_have_momentum_slots_only_with_momentum():
    w = torch.nn.Parameter(torch.zeros(3))
    plain, heavy = optimizers.SGD(), optimizers.SGD(momentum=0.9)
    plain.build([w])
    heavy.build([w])
    assert len(plain.variables()) == 2 and len(heavy.variables()) == 3


@pytest.mark.parametrize('make', [
    lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    lambda: optimizers.Adam(learning_rate=0.1),
    lambda: optimizers.RMSprop(learning_rate=0.1, momentum=0.5, centered=True),
    lambda: optimizers.Nadam(learning_rate=0.1),
    lambda: legacy.Nadam(learning_rate=0.1),
], ids=['sgd', 'adam', 'rmsprop', 'nadam', 'legacy_nadam'])
def test_set_variables_restores_the_optimizer_state(make):
    params0, grads = _initial_params(), _gradients()
    first, second = make(), make()
    a = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    b = [torch.nn.Parameter(torch.tensor(p)) for p in params0]
    first.build(a)
    for step in grads[:3]:
        for p, g in zip(a, step):
            p.grad = None if g is None else torch.tensor(g)
        first.step()
    second.build(b)
    second.set_variables([v.clone() for v in first.variables()])
    with torch.no_grad():
        for pa, pb in zip(a, b):
            pb.copy_(pa)
    assert second.iterations == 3
    for step in grads[3:]:
        for pa, pb, g in zip(a, b, step):
            pa.grad = pb.grad = None if g is None else torch.tensor(g)
        first.step()
        second.step()
    for pa, pb in zip(a, b):
        # learning_rate travels as float32, as the Keras variable is
        np.testing.assert_allclose(pb.detach().numpy(), pa.detach().numpy(), rtol=0,
                                   atol=1e-7)


def test_set_variables_with_the_wrong_count_names_what_it_expects():
    opt = optimizers.Adam()
    opt.build([torch.nn.Parameter(torch.zeros(2))])
    with pytest.raises(ValueError, match='expects 4 variables'):
        opt.set_variables([np.array(0)])


# --------------------------------------------------------------------- other Keras features
def test_ema_matches_the_tf_keras_docstring_example():
    var = torch.nn.Parameter(torch.tensor(2.0))
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5,
                         ema_overwrite_frequency=3)
    opt.build([var])
    values = []
    for _ in range(3):
        var.grad = torch.tensor(1.0)
        opt.step()
        values.append(float(var.detach()))
    assert values == [1.0, 0.0, -0.125]


def test_exclude_from_weight_decay():
    w = torch.nn.Parameter(torch.full((2,), 2.0))
    b = torch.nn.Parameter(torch.full((2,), 2.0))
    opt = optimizers.SGD(learning_rate=1.0, weight_decay=0.004)
    opt.exclude_from_weight_decay(var_list=[b])
    opt.build([w, b])
    w.grad, b.grad = torch.zeros(2), torch.zeros(2)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1.992, 1.992], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [2.0, 2.0])
    with pytest.raises(ValueError, match='before the optimizer is built'):
        opt.exclude_from_weight_decay(var_list=[w])


def test_apply_gradients_updates_only_the_given_variables():
    w = torch.nn.Parameter(torch.zeros(2))
    b = torch.nn.Parameter(torch.zeros(2))
    opt = optimizers.SGD(learning_rate=0.5)
    opt.build([w, b])
    b.grad = torch.ones(2)
    opt.apply_gradients([(torch.ones(2), w)])
    np.testing.assert_allclose(w.detach().numpy(), [-0.5, -0.5])
    np.testing.assert_allclose(b.detach().numpy(), [0.0, 0.0])
    assert b.grad is not None  # the caller's other gradients are left as they were


# ------------------------------------------------------------------ get / (de)serialization
ALL_CLASSES = [optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW,
               optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam,
               optimizers.Ftrl, legacy.SGD, legacy.RMSprop, legacy.Adam, legacy.Adagrad,
               legacy.Adadelta, legacy.Adamax, legacy.Nadam, legacy.Ftrl]


@pytest.mark.parametrize('cls', ALL_CLASSES, ids=lambda c: c.__module__.split('.')[-1] + '.' +
                         c.__name__)
def test_serialize_deserialize_round_trip(cls):
    opt = cls(learning_rate=0.05, clipvalue=2.0)
    config = optimizers.serialize(opt)
    assert config['class_name'] == cls.__name__
    again = optimizers.deserialize(config)
    assert type(again) is cls
    assert again.get_config() == opt.get_config()
    assert type(cls.from_config(opt.get_config())) is cls


@pytest.mark.parametrize('name,cls', [
    ('adam', optimizers.Adam), ('Adam', optimizers.Adam), ('ADAM', optimizers.Adam),
    ('rmsprop', optimizers.RMSprop), ('RMSprop', optimizers.RMSprop), ('sgd', optimizers.SGD),
    ('adamw', optimizers.AdamW), ('nadam', optimizers.Nadam), ('ftrl', optimizers.Ftrl),
])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_passes_instances_through_and_reads_dicts():
    adam = optimizers.Adam()
    assert optimizers.get(adam) is adam
    keras2 = optimizers.get({'class_name': 'Adam', 'config': {'lr': 0.01, 'decay': 0.0,
                                                              'epsilon': 1e-7}})
    assert type(keras2) is legacy.Adam and keras2.learning_rate == 0.01
    tf_keras = optimizers.get({'class_name': 'Adam', 'config': {
        'learning_rate': 0.02, 'is_legacy_optimizer': False}})
    assert type(tf_keras) is optimizers.Adam and tf_keras.learning_rate == 0.02
    keras3 = optimizers.get({'module': 'keras.optimizers', 'class_name': 'SGD', 'config': {
        'name': 'SGD', 'learning_rate': 0.1, 'momentum': 0.9, 'loss_scale_factor': None,
        'gradient_accumulation_steps': None}, 'registered_name': None})
    assert type(keras3) is optimizers.SGD and keras3.momentum == 0.9


def test_keras1_lowercase_aliases():
    assert optimizers.adam is optimizers.Adam and optimizers.sgd is optimizers.SGD


def test_unknown_optimizer_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'adamz'.*'adadelta'.*'sgd'"):
        optimizers.get('adamz')
    with pytest.raises(ValueError, match='Unknown optimizer'):
        optimizers.deserialize({'class_name': 'Foo', 'config': {}})
    with pytest.raises(ValueError, match='Could not interpret'):
        optimizers.get(42)


def test_custom_objects_are_used_by_deserialize():
    class MySGD(optimizers.SGD):
        pass
    opt = optimizers.deserialize({'class_name': 'MySGD', 'config': {'learning_rate': 0.3}},
                                 custom_objects={'MySGD': MySGD})
    assert type(opt) is MySGD and opt.learning_rate == 0.3


# ----------------------------------------------------------------------------------- errors
def test_unknown_keyword_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="'betta_1'"):
        optimizers.Adam(betta_1=0.9)
    with pytest.raises(TypeError, match="'weight_decay'"):
        legacy.Adam(weight_decay=0.1)  # OptimizerV2 has no weight decay


@pytest.mark.parametrize('make,match', [
    (lambda: optimizers.SGD(momentum=1.5), 'momentum=1.5'),
    (lambda: optimizers.SGD(decay=-1.0), 'decay=-1.0'),
    (lambda: optimizers.Adam(learning_rate='fast'), "learning_rate='fast'"),
    (lambda: optimizers.Adam(clipnorm=-1.0), 'clipnorm=-1.0'),
    (lambda: optimizers.AdamW(weight_decay=None), 'weight_decay=None'),
    (lambda: optimizers.SGD(0.01, 0.9, 1e-6, True), 'weight_decay=True'),  # Keras 1 positional
    (lambda: optimizers.Ftrl(learning_rate_power=0.5), 'learning_rate_power=0.5'),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-0.1), 'initial_accumulator_value'),
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), 'decay_steps=0'),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1]), 'boundaries'),
    (lambda: legacy.Nadam(learning_rate=schedules.InverseTimeDecay(0.1, 1, 1)), 'Nadam'),
])
def test_bad_values_are_value_errors_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_step_before_build_is_a_clear_error():
    with pytest.raises(RuntimeError, match='build'):
        optimizers.Adam().step()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('cls', [optimizers.SGD, optimizers.RMSprop, optimizers.Adam,
                                 optimizers.Nadam, optimizers.Ftrl])
def test_a_cuda_step_never_syncs_with_the_host(cls):
    params = [torch.nn.Parameter(torch.randn(64, 32, device='cuda')),
              torch.nn.Parameter(torch.randn(32, device='cuda'))]
    opt = cls(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5), global_clipnorm=1.0,
              weight_decay=0.01, use_ema=True)
    opt.build(params)
    for p in params:
        p.grad = torch.randn_like(p)
    opt.step()  # warm-up (allocations)
    torch.cuda.set_sync_debug_mode('error')
    try:
        for _ in range(3):
            opt.step()
    finally:
        torch.cuda.set_sync_debug_mode('default')
    assert opt.iterations == 4


def _run_tf_keras_nadam(grads_seq, params0, lr=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """tf_keras 2.11+ Nadam as its update_step runs: the schedule product is multiplied by
    u_t once per updated variable, so variable k of a step sees P * u_t**(k+1)."""
    def u(i):
        return beta_1 * (1 - 0.5 * 0.96 ** i)
    params = [p.copy() for p in params0]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    product = 1.0
    for step, grads in enumerate(grads_seq):
        t = step + 1
        for i, g in enumerate(grads):
            if g is None:
                continue
            product *= u(t)
            ms[i] += (g - ms[i]) * (1 - beta_1)
            vs[i] += (g ** 2 - vs[i]) * (1 - beta_2)
            m_hat = u(t + 1) * ms[i] / (1 - product * u(t + 1)) + (1 - u(t)) * g / (1 - product)
            v_hat = vs[i] / (1 - beta_2 ** t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return params


def test_nadam_reproduces_tf_keras_per_variable_schedule_product():
    params0, grads = _initial_params(), _gradients()
    got = _run_library(optimizers.Nadam(learning_rate=0.1), grads, params0)
    expected = _run_tf_keras_nadam(grads, params0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-6)


def test_nadam_single_variable_equals_torch_nadam():
    """With one variable the tf_keras product quirk vanishes: torch NAdam(momentum_decay=1)."""
    params0, grads = _initial_params()[:1], [g[:1] for g in _gradients(skip_one=False)]
    got = _run_library(optimizers.Nadam(learning_rate=0.1), grads, params0)
    expected = _run_torch(lambda ps: torch.optim.NAdam(ps, lr=0.1, eps=1e-7, momentum_decay=1.0),
                          grads, params0)
    np.testing.assert_allclose(got[0], expected[0], rtol=0, atol=1e-6)


def test_deserialize_reads_registered_names_written_by_tf_keras():
    # tf_keras 2.21 writes training_config optimizers as {'class_name': 'Custom>Adam', ...}
    opt = optimizers.deserialize({'class_name': 'Custom>Adam',
                                  'config': {'learning_rate': 0.01, 'is_legacy_optimizer': False}})
    assert isinstance(opt, optimizers.Adam) and opt.learning_rate == pytest.approx(0.01)


# ------------------------------------------------------- the learning rate as Keras 2 code reads it
def dense_model(optimizer):
    model = torchkeras.Sequential([torchkeras.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer, 'mse')
    return model


def one_step(model):
    model.train_on_batch(np.zeros((1, 3), 'float32'), np.ones((1, 1), 'float32'))


def test_lr_takes_the_tf_variable_calls_of_keras_2_code():
    model = dense_model(optimizers.Adam(0.01))
    lr = model.optimizer.lr
    assert isinstance(lr, float) and lr == pytest.approx(0.01)
    assert torchkeras.backend.get_value(lr) == np.float32(0.01) and lr.numpy().dtype == np.float32
    torchkeras.backend.set_value(model.optimizer.lr, 0.5)  # the Keras 2 callback idiom
    assert model.optimizer.learning_rate == 0.5
    model.optimizer.lr.assign(0.25)
    one_step(model)
    group_lr = model.optimizer.torch_optimizer.param_groups[0]['lr']
    assert group_lr == 0.25 and type(group_lr) is float
    # Arithmetic, copies, configs and pickles are plain floats (no optimizer reference kept).
    assert type(model.optimizer.lr * 2) is float
    assert type(pickle.loads(pickle.dumps(model.optimizer.lr))) is float
    assert type(model.optimizer.get_config()['learning_rate']) is float


def test_scheduled_lr_reads_as_the_rate_of_the_last_step():
    """tf.keras's ``current_learning_rate``: schedule(0) before any step, then the rate the
    last step used; a value set with set_value reads back until the next step."""
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    model = dense_model(optimizers.SGD(schedule))
    assert model.optimizer.lr == pytest.approx(0.1)
    one_step(model)
    assert model.optimizer.lr == pytest.approx(0.1)
    torchkeras.backend.set_value(model.optimizer.lr, 0.5)
    assert model.optimizer.lr == 0.5
    one_step(model)
    assert model.optimizer.lr == pytest.approx(0.1 * 0.5 ** 0.5)
    with pytest.raises(TypeError, match='not settable'):
        model.optimizer.learning_rate = 0.3
