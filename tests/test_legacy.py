"""Keras 1 spellings: each warns once, naming the Keras 2 spelling, and builds the same model as
the Keras 2 spelling (same config, output shape and parameter count, and the same outputs once
the Keras 2 model's weights are copied in).  Formulas of the Keras 1-only layers (Highway,
MaxoutDense, Merge modes) are checked against NumPy."""
import warnings

import numpy as np
import pytest
import torch

import torchkeras
from torchkeras import backend as K
from torchkeras import constraints, legacy, regularizers
from torchkeras.layers import Dense, Dropout, Input, concatenate
from torchkeras.layers import convolutional as conv
from torchkeras.layers import embedding as emb
from torchkeras.layers import normalization as norm
from torchkeras.layers import pooling, recurrent, regularization, reshaping
from torchkeras.layers.activation_layers import PReLU
from torchkeras.layers.legacy import (AtrousConvolution1D, AtrousConvolution2D, Convolution1D,
                                      Convolution2D, Convolution3D, Deconvolution2D, Highway,
                                      MaxoutDense, Merge, SeparableConvolution2D,
                                      TimeDistributedDense, merge)
from torchkeras.models import Model, Sequential


@pytest.fixture(autouse=True)
def fresh_warnings():
    """Every test sees each Keras 1 spelling for the first time."""
    legacy.reset_warnings()
    yield
    legacy.reset_warnings()


def _deprecations(record):
    return [str(w.message) for w in record if issubclass(w.category, DeprecationWarning)]


def _build(layer_fn, input_shape, dtype):
    """A fresh session, the layer called on an Input: (layer, model)."""
    K.clear_session()
    torch.manual_seed(0)
    inputs = Input(shape=input_shape, dtype=dtype)
    layer = layer_fn()
    return layer, Model(inputs, layer(inputs))


def _sample(input_shape, dtype, seed=1):
    rng = np.random.RandomState(seed)
    shape = (3,) + tuple(input_shape)
    if dtype.startswith('int'):
        return rng.randint(0, 20, size=shape).astype(dtype)
    return rng.normal(size=shape).astype('float32')


def assert_same_layer(legacy_fn, modern_fn, input_shape, expect, dtype='float32'):
    """The legacy spelling warns (once) with ``expect`` in a message and equals the modern one."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        old_layer, old_model = _build(legacy_fn, input_shape, dtype)
    messages = _deprecations(record)
    for text in expect:
        assert any(text in m for m in messages), (text, messages)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter('always')
        legacy_fn()
    assert _deprecations(again) == [], 'second use must be silent'

    new_layer, new_model = _build(modern_fn, input_shape, dtype)
    assert old_layer.get_config() == new_layer.get_config()
    assert old_model.output_shape == new_model.output_shape
    assert old_model.count_params() == new_model.count_params()
    old_model.set_weights(new_model.get_weights())
    x = _sample(input_shape, dtype)
    old_model.eval()
    new_model.eval()
    with torch.no_grad():
        got = old_model(torch.as_tensor(x)).numpy()
        want = new_model(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    return old_layer


# ------------------------------------------------------------------------------ table
L2, MAXN = regularizers.l2(0.01), constraints.MaxNorm(2.0)

CASES = [
    ('Dense', lambda: Dense(output_dim=4, init='uniform', W_regularizer=L2, b_regularizer=L2,
                            W_constraint=MAXN, b_constraint=MAXN, bias=True),
     lambda: Dense(units=4, kernel_initializer='uniform', kernel_regularizer=L2,
                   bias_regularizer=L2, kernel_constraint=MAXN, bias_constraint=MAXN,
                   use_bias=True),
     (5,), ['`units`', '`kernel_initializer`', '`kernel_regularizer`', '`bias_regularizer`',
            '`kernel_constraint`', '`bias_constraint`', '`use_bias`']),
    ('Dense bias=False', lambda: Dense(3, bias=False), lambda: Dense(3, use_bias=False), (5,),
     ['`use_bias`']),
    ('Convolution2D positional', lambda: Convolution2D(8, 3, 3, border_mode='same',
                                                       subsample=(2, 2), dim_ordering='tf'),
     lambda: conv.Conv2D(8, (3, 3), padding='same', strides=(2, 2),
                         data_format='channels_last'),
     (9, 9, 3), ['`kernel_size`', '`padding`', '`strides`', '`data_format`']),
    ('Convolution2D th', lambda: Convolution2D(nb_filter=4, nb_row=2, nb_col=3, dim_ordering='th',
                                               init='he_normal'),
     lambda: conv.Conv2D(4, (2, 3), data_format='channels_first', kernel_initializer='he_normal'),
     (3, 7, 8), ['`filters`', '`kernel_size`', '`data_format`', '`kernel_initializer`']),
    ('Convolution1D', lambda: Convolution1D(nb_filter=4, filter_length=3, subsample_length=2,
                                            border_mode='same'),
     lambda: conv.Conv1D(4, 3, strides=2, padding='same'), (10, 5),
     ['`filters`', '`kernel_size`', '`strides`', '`padding`']),
    ('Convolution3D', lambda: Convolution3D(4, 2, 2, 2, border_mode='same'),
     lambda: conv.Conv3D(4, (2, 2, 2), padding='same'), (4, 5, 6, 2),
     ['`kernel_size`', '`padding`']),
    ('AtrousConvolution1D', lambda: AtrousConvolution1D(4, 3, atrous_rate=2),
     lambda: conv.Conv1D(4, 3, dilation_rate=2), (12, 3), ['`dilation_rate`']),
    ('AtrousConvolution2D', lambda: AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2)),
     lambda: conv.Conv2D(4, (3, 3), dilation_rate=(2, 2)), (9, 9, 2),
     ['`kernel_size`', '`dilation_rate`']),
    ('Deconvolution2D', lambda: Deconvolution2D(4, 3, 3, (None, 5, 5, 4), border_mode='same'),
     lambda: conv.Conv2DTranspose(4, (3, 3), padding='same'), (5, 5, 2),
     ['output_shape', '`kernel_size`', '`padding`']),
    ('SeparableConvolution2D', lambda: SeparableConvolution2D(8, 3, 3, depth_multiplier=2,
                                                              init='he_uniform'),
     lambda: conv.SeparableConv2D(8, (3, 3), depth_multiplier=2,
                                  depthwise_initializer='he_uniform',
                                  pointwise_initializer='he_uniform'),
     (7, 7, 3), ['`kernel_size`', 'depthwise_initializer']),
    ('MaxPooling1D', lambda: pooling.MaxPooling1D(pool_length=2, stride=1, border_mode='same'),
     lambda: pooling.MaxPooling1D(pool_size=2, strides=1, padding='same'), (7, 3),
     ['`pool_size`', '`strides`', '`padding`']),
    ('AveragePooling2D', lambda: pooling.AveragePooling2D(pool_size=(2, 2), border_mode='same',
                                                          dim_ordering='th'),
     lambda: pooling.AveragePooling2D(pool_size=(2, 2), padding='same',
                                      data_format='channels_first'),
     (2, 5, 5), ['`padding`', '`data_format`']),
    ('GlobalAveragePooling2D', lambda: pooling.GlobalAveragePooling2D(dim_ordering='th'),
     lambda: pooling.GlobalAveragePooling2D(data_format='channels_first'), (2, 4, 4),
     ['`data_format`']),
    ('UpSampling1D', lambda: reshaping.UpSampling1D(length=3),
     lambda: reshaping.UpSampling1D(size=3), (4, 2), ['`size`']),
    ('UpSampling2D', lambda: reshaping.UpSampling2D(size=(2, 2), dim_ordering='th'),
     lambda: reshaping.UpSampling2D(size=(2, 2), data_format='channels_first'), (2, 3, 3),
     ['`data_format`']),
    ('ZeroPadding1D dict', lambda: reshaping.ZeroPadding1D(padding={'left_pad': 1,
                                                                    'right_pad': 2}),
     lambda: reshaping.ZeroPadding1D((1, 2)), (4, 2), ['padding=(1, 2)']),
    ('ZeroPadding2D dict', lambda: reshaping.ZeroPadding2D(
        padding={'top_pad': 1, 'bottom_pad': 2, 'left_pad': 0, 'right_pad': 3}),
     lambda: reshaping.ZeroPadding2D(((1, 2), (0, 3))), (4, 4, 2),
     ['padding=((1, 2), (0, 3))']),
    ('Cropping2D', lambda: reshaping.Cropping2D(cropping=((1, 1), (0, 1)), dim_ordering='tf'),
     lambda: reshaping.Cropping2D(cropping=((1, 1), (0, 1)), data_format='channels_last'),
     (5, 5, 2), ['`data_format`']),
    ('Dropout', lambda: Dropout(p=0.3), lambda: Dropout(rate=0.3), (4,), ['`rate`']),
    ('SpatialDropout1D', lambda: regularization.SpatialDropout1D(p=0.2),
     lambda: regularization.SpatialDropout1D(rate=0.2), (4, 3), ['`rate`']),
    ('SpatialDropout2D', lambda: regularization.SpatialDropout2D(p=0.2, dim_ordering='th'),
     lambda: regularization.SpatialDropout2D(rate=0.2, data_format='channels_first'),
     (2, 3, 3), ['`rate`', '`data_format`']),
    ('GaussianDropout', lambda: regularization.GaussianDropout(p=0.4),
     lambda: regularization.GaussianDropout(rate=0.4), (4,), ['`rate`']),
    ('GaussianNoise', lambda: regularization.GaussianNoise(sigma=0.5),
     lambda: regularization.GaussianNoise(stddev=0.5), (4,), ['`stddev`']),
    ('Embedding', lambda: emb.Embedding(30, 4, init='normal', W_regularizer=L2,
                                        W_constraint=MAXN),
     lambda: emb.Embedding(30, 4, embeddings_initializer='normal',
                           embeddings_regularizer=L2, embeddings_constraint=MAXN),
     (6,), ['`embeddings_initializer`', '`embeddings_regularizer`', '`embeddings_constraint`'],
     'int32'),
    ('LSTM', lambda: recurrent.LSTM(output_dim=6, init='glorot_normal', inner_init='orthogonal',
                                    forget_bias_init='one', inner_activation='sigmoid',
                                    W_regularizer=L2, U_regularizer=L2, b_regularizer=L2,
                                    dropout_W=0.1, dropout_U=0.1, consume_less='gpu'),
     lambda: recurrent.LSTM(units=6, kernel_initializer='glorot_normal',
                            recurrent_initializer='orthogonal', unit_forget_bias=True,
                            recurrent_activation='sigmoid', kernel_regularizer=L2,
                            recurrent_regularizer=L2, bias_regularizer=L2, dropout=0.1,
                            recurrent_dropout=0.1, implementation=2),
     (5, 3), ['`units`', '`recurrent_initializer`', '`unit_forget_bias`',
              '`recurrent_activation`', '`recurrent_regularizer`', '`dropout`',
              '`recurrent_dropout`', '`implementation`']),
    ('GRU', lambda: recurrent.GRU(output_dim=4, inner_activation='hard_sigmoid',
                                  consume_less='mem'),
     lambda: recurrent.GRU(4, recurrent_activation='hard_sigmoid', implementation=1), (5, 3),
     ['`units`', '`recurrent_activation`', '`implementation`']),
    ('SimpleRNN', lambda: recurrent.SimpleRNN(output_dim=4, init='he_normal',
                                              inner_init='identity'),
     lambda: recurrent.SimpleRNN(4, kernel_initializer='he_normal',
                                 recurrent_initializer='identity'),
     (5, 3), ['`units`', '`kernel_initializer`', '`recurrent_initializer`']),
    ('BatchNormalization', lambda: norm.BatchNormalization(mode=0, beta_init='zero',
                                                           gamma_init='one', epsilon=1e-3),
     lambda: norm.BatchNormalization(beta_initializer='zero', gamma_initializer='one',
                                     epsilon=1e-3),
     (4,), ['mode=0', '`beta_initializer`', '`gamma_initializer`']),
    ('BatchNormalization positional epsilon', lambda: norm.BatchNormalization(1e-4),
     lambda: norm.BatchNormalization(epsilon=1e-4), (4,), ['keywords (epsilon)']),
    ('PReLU', lambda: PReLU(init='zero'), lambda: PReLU(alpha_initializer='zero'), (4,),
     ['`alpha_initializer`']),
]


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_keras1_spelling_builds_the_keras2_layer(case):
    _, legacy_fn, modern_fn, input_shape, expect = case[:5]
    dtype = case[5] if len(case) > 5 else 'float32'
    assert_same_layer(legacy_fn, modern_fn, input_shape, expect, dtype=dtype)


def test_embedding_dropout_is_dropped_with_advice():
    layer = assert_same_layer(lambda: emb.Embedding(30, 4, dropout=0.2),
                              lambda: emb.Embedding(30, 4), (6,), ['SpatialDropout1D'],
                              dtype='int32')
    assert not hasattr(layer, 'dropout') or not layer.get_config().get('dropout')


def test_dim_ordering_default_follows_image_dim_ordering():
    previous = K.image_data_format()
    try:
        K.set_image_dim_ordering('th')
        assert_same_layer(lambda: Convolution2D(4, 3, 3, dim_ordering='default'),
                          lambda: conv.Conv2D(4, (3, 3), data_format='channels_first'),
                          (2, 6, 6), ['`data_format`'])
        K.set_image_data_format('channels_last')
        layer = Convolution2D(4, 3, 3)
        assert layer.data_format == 'channels_last'
    finally:
        K.set_image_data_format(previous)


def test_keras2_positional_strides_are_not_taken_for_keras1():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        layer = conv.Conv2D(16, 3, 2, padding='same')  # tf.keras: kernel 3, strides 2
    assert layer.kernel_size == (3, 3) and layer.strides == (2, 2)
    assert _deprecations(record) == []
    assert conv.Conv2D(16, 3, 3).kernel_size == (3, 3)  # Keras 1 reading: nb_row, nb_col


def test_recurrent_input_dim_and_input_length_give_the_input_shape():
    # Sequential LSTM(32, input_length=10, input_dim=64): the kit's
    # seq_lstm_input_length_input_dim case, 4 * (64*32 + 32*32 + 32) = 12416 parameters.
    model = Sequential()
    model.add(recurrent.LSTM(32, input_length=10, input_dim=64))
    assert model.input_shape == (None, 10, 64)
    assert model.count_params() == 4 * (64 * 32 + 32 * 32 + 32)
    model = Sequential([recurrent.GRU(output_dim=8, input_dim=3)])
    assert model.input_shape == (None, None, 3)
    model = Sequential([Convolution1D(4, 3, input_dim=5, input_length=9)])
    assert model.input_shape == (None, 9, 5) and model.output_shape == (None, 7, 4)


def test_conflicting_and_unsupported_legacy_values_raise():
    with pytest.raises(TypeError, match='units'):
        Dense(units=4, output_dim=4)
    with pytest.raises(ValueError, match="border_mode='full'"):
        Convolution2D(4, 3, 3, border_mode='full')
    with pytest.raises(ValueError, match='dim_ordering'):
        Convolution2D(4, 3, 3, dim_ordering='xy')
    with pytest.raises(ValueError, match='mode=2'):
        norm.BatchNormalization(mode=2)
    with pytest.raises(TypeError, match='nb_col'):
        Convolution2D(4, nb_row=3)


def test_keras1_initializer_names():
    K.clear_session()
    model = Sequential([Dense(3, input_dim=4, init='zero'), Dense(2, init='one')])
    kernel_0, _, kernel_1, _ = model.get_weights()
    np.testing.assert_array_equal(kernel_0, np.zeros((4, 3)))
    np.testing.assert_array_equal(kernel_1, np.ones((3, 2)))
    uniform = Sequential([Dense(200, input_dim=200, init='uniform')]).get_weights()[0]
    assert np.abs(uniform).max() <= 0.05 and np.abs(uniform).max() > 0.04


def test_keras1_regularizers_in_the_loss():
    K.clear_session()
    model = Sequential([Dense(2, input_dim=3, W_regularizer=regularizers.l1l2(0.1, 0.2),
                              activity_regularizer=regularizers.activity_l2(0.5))])
    kernel = model.get_weights()[0]
    weight_terms = [float(t) for t in model.losses]
    assert weight_terms[0] == pytest.approx(0.1 * np.abs(kernel).sum() + 0.2 * (kernel ** 2).sum(),
                                            rel=1e-5)


def test_model_input_output_keywords_warn_once():
    inputs = Input(shape=(3,))
    outputs = Dense(2)(inputs)
    with pytest.warns(DeprecationWarning, match='`inputs`'):
        model = Model(input=inputs, output=outputs)
    assert model.inputs == [inputs]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        Model(input=inputs, output=outputs)
    assert _deprecations(record) == []


def test_fit_nb_epoch():
    K.clear_session()
    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer='sgd', loss='mse')
    with pytest.warns(DeprecationWarning, match='epochs'):
        history = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), nb_epoch=3, verbose=0)
    assert history.epoch == [0, 1, 2]


def test_objectives_module_is_losses():
    from torchkeras import losses, objectives
    assert objectives.categorical_crossentropy is losses.categorical_crossentropy
    assert objectives.mean_squared_error is losses.mean_squared_error


# ----------------------------------------------------------------- Merge and merge()
def _two_inputs():
    rng = np.random.RandomState(0)
    return rng.normal(size=(4, 3)).astype('float32'), rng.normal(size=(4, 3)).astype('float32')


@pytest.mark.parametrize('mode, expected', [
    ('sum', lambda a, b: a + b),
    ('mul', lambda a, b: a * b),
    ('ave', lambda a, b: (a + b) / 2),
    ('max', np.maximum),
    ('concat', lambda a, b: np.concatenate([a, b], axis=-1)),
    ('dot', lambda a, b: (a * b).sum(axis=1, keepdims=True)),
    ('cos', lambda a, b: (a * b).sum(axis=1, keepdims=True) /
     (np.linalg.norm(a, axis=1, keepdims=True) * np.linalg.norm(b, axis=1, keepdims=True))),
])
def test_merge_modes(mode, expected):
    a_value, b_value = _two_inputs()
    a, b = Input(shape=(3,)), Input(shape=(3,))
    with pytest.warns(DeprecationWarning, match='deprecated'):
        functional = Model([a, b], merge([a, b], mode=mode, dot_axes=1))
    layer_model = Model([a, b], Merge(mode=mode, dot_axes=1)([a, b]))
    want = expected(a_value, b_value)
    for model in (functional, layer_model):
        got = model([torch.tensor(a_value), torch.tensor(b_value)]).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert model.output_shape == (None,) + want.shape[1:]


def test_merge_function_builds_the_keras2_layer():
    a, b = Input(shape=(3,)), Input(shape=(2,))
    out = merge([a, b], mode='concat', concat_axis=-1)
    assert type(out._keras_history.layer).__name__ == 'Concatenate'
    assert out.shape == (None, 5)


def test_merge_callable_mode():
    a_value, b_value = _two_inputs()
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b], Merge(mode=lambda x: x[0] - x[1])([a, b]))
    got = model([torch.tensor(a_value), torch.tensor(b_value)]).detach().numpy()
    np.testing.assert_allclose(got, a_value - b_value, rtol=1e-6)


def _branches():
    left_branch = Sequential()
    left_branch.add(Dense(32, input_dim=784))
    right_branch = Sequential()
    right_branch.add(Dense(32, input_dim=784))
    return left_branch, right_branch


def test_merge_of_two_sequential_branches_as_first_layer():
    """Seed 001's two-branch model equals the kit's Keras 2 rewrite (merge_two_dense_branches,
    50890 parameters) and trains on a list of two inputs."""
    K.clear_session()
    left_branch, right_branch = _branches()
    final_model = Sequential()
    with pytest.warns(DeprecationWarning, match='Merge'):
        final_model.add(Merge([left_branch, right_branch], mode='concat'))
    final_model.add(Dense(10, activation='softmax'))
    assert len(final_model.inputs) == 2
    assert final_model.input_shape == [(None, 784), (None, 784)]
    assert final_model.output_shape == (None, 10)
    assert final_model.count_params() == 2 * (784 * 32 + 32) + 64 * 10 + 10 == 50890

    # The Keras 2 spelling of the same model (the kit's case), weights copied across.
    left, right = _branches()
    input_1, input_2 = Input(shape=(784,)), Input(shape=(784,))
    merged = concatenate([left(input_1), right(input_2)])
    modern = Model([input_1, input_2], Dense(10, activation='softmax')(merged))
    final_model.set_weights(modern.get_weights())
    rng = np.random.RandomState(0)
    x1, x2 = rng.random_sample((5, 784)), rng.random_sample((5, 784))
    np.testing.assert_allclose(final_model.predict([x1, x2], verbose=0),
                               modern.predict([x1, x2], verbose=0), rtol=1e-5, atol=1e-6)

    final_model.compile(optimizer='rmsprop', loss='categorical_crossentropy')
    targets = np.eye(10)[rng.randint(10, size=64)]
    history = final_model.fit([rng.random_sample((64, 784)), rng.random_sample((64, 784))],
                              targets, epochs=2, verbose=0)
    assert len(history.history['loss']) == 2
    # the branches are trained too: they are the Merge layer's sublayers
    assert len(final_model.trainable_weights) == 6


def test_merge_of_models_needs_built_branches():
    with pytest.raises(ValueError, match='no input shape'):
        Merge([Sequential([Dense(2)]), Sequential([Dense(2)])], mode='sum')
    with pytest.raises(TypeError, match='merge\\(\\[a, b\\]'):
        Merge([Dense(2), Dense(2)])


# ------------------------------------------------------- Keras 1-only layers: formulas
def test_highway_formula_and_weights():
    K.clear_session()
    model = Sequential([Highway(input_dim=4, activation='relu')])
    assert [w.name for w in model.weights] == ['highway/W:0', 'highway/W_carry:0', 'highway/b:0',
                                               'highway/b_carry:0']
    w, w_carry, b, b_carry = model.get_weights()
    np.testing.assert_array_equal(b_carry, np.ones(4))   # the carry bias starts at 1
    assert model.count_params() == 2 * 4 * 4 + 2 * 4
    rng = np.random.RandomState(0)
    model.set_weights([rng.normal(size=(4, 4)), rng.normal(size=(4, 4)), rng.normal(size=4),
                       rng.normal(size=4)])
    w, w_carry, b, b_carry = model.get_weights()
    x = rng.normal(size=(3, 4)).astype('float32')
    gate = 1 / (1 + np.exp(-(x @ w_carry + b_carry)))
    want = np.maximum(x @ w + b, 0) * gate + (1 - gate) * x
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)


def test_maxout_dense_formula_and_weights():
    K.clear_session()
    model = Sequential([MaxoutDense(3, nb_feature=2, input_dim=4)])
    w, b = model.get_weights()
    assert w.shape == (2, 4, 3) and b.shape == (2, 3)
    rng = np.random.RandomState(1)
    model.set_weights([rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))])
    w, b = model.get_weights()
    x = rng.normal(size=(5, 4)).astype('float32')
    want = np.max(np.einsum('bd,fdo->bfo', x, w) + b, axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)


def test_time_distributed_dense_equals_time_distributed_of_dense():
    from torchkeras.layers.wrappers import TimeDistributed
    K.clear_session()
    with pytest.warns(DeprecationWarning, match='TimeDistributed'):
        old = Sequential([TimeDistributedDense(output_dim=5, input_dim=3, input_length=7,
                                               init='uniform')])
    new = Sequential([TimeDistributed(Dense(5), input_shape=(7, 3))])
    assert old.input_shape == new.input_shape == (None, 7, 3)
    assert old.output_shape == new.output_shape == (None, 7, 5)
    assert old.count_params() == new.count_params() == 3 * 5 + 5
    old.set_weights(new.get_weights())
    x = np.random.RandomState(0).normal(size=(2, 7, 3))
    np.testing.assert_allclose(old.predict(x, verbose=0), new.predict(x, verbose=0), rtol=1e-6)


def test_input_dtype_of_a_first_layer():
    with pytest.warns(DeprecationWarning, match='`dtype`'):
        layer = Dense(2, input_dtype='float64')
    assert layer.dtype == 'float64'
    with pytest.warns(DeprecationWarning, match='Input\\(shape, dtype'):
        layer = Dropout(0.1, input_dtype='int32')  # not a layer dtype: dropped with advice
    assert layer.dtype == 'float32'


def test_keras1_class_names_are_the_keras2_classes():
    """tf.keras exports Convolution2D & co. as other names of the same classes, so summaries
    and configs show Conv2D, as Keras 2 running a Keras 1 script does."""
    assert Convolution2D is conv.Conv2D and Convolution1D is conv.Conv1D
    assert Deconvolution2D is conv.Conv2DTranspose
    assert SeparableConvolution2D is conv.SeparableConv2D
    assert AtrousConvolution2D is conv.Conv2D
    assert torchkeras.layers.legacy.merge is merge
