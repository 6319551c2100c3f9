"""Every ``from keras.X import Y`` an old Keras script writes works as
``from torchkeras.X import Y``.

One case per (module, name).  A case is skipped, with the reason, only when the module that
defines the name has not landed yet; a module that exists but lacks the name fails.
"""
import importlib
import importlib.util

import pytest

# (Keras module path under torchkeras, names imported from it, module that defines them)
PATHS = [
    ('torchkeras', ['Input', 'Model', 'Sequential', 'layers', 'models', 'backend', 'utils',
                    'optimizers', 'losses', 'metrics', 'callbacks', 'initializers',
                    'regularizers', 'constraints', 'activations', 'install_as_keras'], None),
    ('torchkeras.models', ['Sequential', 'Model', 'load_model', 'save_model', 'model_from_json',
                           'clone_model'], None),
    ('torchkeras.layers', ['Input', 'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape',
                           'Permute', 'RepeatVector', 'Lambda', 'Layer', 'InputSpec',
                           'Concatenate', 'Add', 'Dot', 'concatenate', 'add', 'dot', 'multiply',
                           'average', 'maximum'], None),
    ('torchkeras.layers', ['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'SeparableConv2D',
                           'Convolution1D', 'Convolution2D', 'Convolution3D'],
     'torchkeras.layers.convolutional'),
    ('torchkeras.layers', ['MaxPooling1D', 'MaxPooling2D', 'AveragePooling2D',
                           'GlobalMaxPooling1D', 'GlobalAveragePooling2D'],
     'torchkeras.layers.pooling'),
    ('torchkeras.layers', ['UpSampling2D', 'ZeroPadding2D', 'Cropping2D'],
     'torchkeras.layers.reshaping'),
    ('torchkeras.layers', ['LSTM', 'GRU', 'SimpleRNN'], 'torchkeras.layers.recurrent'),
    ('torchkeras.layers', ['Embedding', 'Masking'], 'torchkeras.layers.embedding'),
    ('torchkeras.layers', ['TimeDistributed'], 'torchkeras.layers.wrappers'),
    ('torchkeras.layers', ['Bidirectional'], 'torchkeras.layers.bidirectional'),
    ('torchkeras.layers', ['BatchNormalization'], 'torchkeras.layers.normalization'),
    ('torchkeras.layers', ['LeakyReLU', 'PReLU', 'ELU'], 'torchkeras.layers.activation_layers'),
    ('torchkeras.layers', ['SpatialDropout1D', 'GaussianNoise', 'GaussianDropout'],
     'torchkeras.layers.regularization'),
    # Keras 1 names (torchkeras.legacy), exported from keras.layers as Keras 1/2 did
    ('torchkeras.layers', ['Merge', 'merge', 'Highway', 'MaxoutDense', 'TimeDistributedDense',
                           'AtrousConvolution1D', 'AtrousConvolution2D', 'Deconvolution2D',
                           'SeparableConvolution2D'], 'torchkeras.layers.legacy'),
    ('torchkeras.layers.core', ['Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'Permute',
                                'RepeatVector', 'Lambda'], 'torchkeras.layers.basic'),
    ('torchkeras.layers.core', ['Merge', 'Highway', 'MaxoutDense', 'TimeDistributedDense'],
     'torchkeras.layers.legacy'),
    ('torchkeras.layers.core', ['Masking'], 'torchkeras.layers.embedding'),
    ('torchkeras.layers.core', ['SpatialDropout1D'], 'torchkeras.layers.regularization'),
    ('torchkeras.layers.convolutional', ['Conv1D', 'Conv2D', 'Convolution1D', 'Convolution2D',
                                         'Convolution3D', 'SeparableConvolution2D'],
     'torchkeras.layers.convolutional'),
    ('torchkeras.layers.convolutional', ['AtrousConvolution2D', 'Deconvolution2D'],
     'torchkeras.layers.legacy'),
    ('torchkeras.layers.convolutional', ['MaxPooling2D', 'UpSampling2D', 'ZeroPadding2D'],
     'torchkeras.layers.convolutional'),
    ('torchkeras.layers.pooling', ['MaxPooling1D', 'MaxPooling2D', 'AveragePooling1D',
                                   'GlobalMaxPooling1D', 'GlobalAveragePooling2D'],
     'torchkeras.layers.pooling'),
    ('torchkeras.layers.recurrent', ['LSTM', 'GRU', 'SimpleRNN'], 'torchkeras.layers.recurrent'),
    ('torchkeras.layers.embeddings', ['Embedding'], 'torchkeras.layers.embedding'),
    ('torchkeras.layers.merge', ['Concatenate', 'Add', 'Multiply', 'Average', 'Maximum', 'Dot',
                                 'concatenate', 'add', 'multiply', 'dot', 'Merge', 'merge'], None),
    ('torchkeras.layers.wrappers', ['TimeDistributed'], 'torchkeras.layers.wrappers'),
    ('torchkeras.layers.wrappers', ['Bidirectional'], 'torchkeras.layers.bidirectional'),
    ('torchkeras.layers.normalization', ['BatchNormalization'], 'torchkeras.layers.normalization'),
    ('torchkeras.layers.advanced_activations', ['LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU'],
     'torchkeras.layers.activation_layers'),
    ('torchkeras.layers.noise', ['GaussianNoise', 'GaussianDropout'],
     'torchkeras.layers.regularization'),
    ('torchkeras.optimizers', ['SGD', 'RMSprop', 'Adam', 'Adagrad', 'Adadelta', 'Adamax',
                               'Nadam'], 'torchkeras.optimizers'),
    ('torchkeras.losses', ['categorical_crossentropy', 'binary_crossentropy', 'mse',
                           'mean_squared_error', 'sparse_categorical_crossentropy'],
     'torchkeras.losses'),
    ('torchkeras.objectives', ['categorical_crossentropy', 'binary_crossentropy', 'mse'],
     'torchkeras.objectives'),
    ('torchkeras.metrics', ['categorical_accuracy', 'binary_accuracy',
                            'top_k_categorical_accuracy'],
     'torchkeras.metrics'),
    ('torchkeras.callbacks', ['Callback', 'History', 'EarlyStopping', 'ModelCheckpoint',
                              'ReduceLROnPlateau', 'LearningRateScheduler', 'CSVLogger'], None),
    ('torchkeras.initializers', ['RandomNormal', 'RandomUniform', 'glorot_uniform', 'Constant'],
     None),
    ('torchkeras.initializations', ['uniform', 'normal', 'glorot_uniform', 'zero', 'one'], None),
    ('torchkeras.regularizers', ['l1', 'l2', 'l1_l2', 'l1l2', 'activity_l2', 'WeightRegularizer'],
     None),
    ('torchkeras.constraints', ['max_norm', 'maxnorm', 'non_neg', 'nonneg', 'unit_norm'], None),
    ('torchkeras.activations', ['relu', 'softmax', 'sigmoid', 'tanh', 'hard_sigmoid'], None),
    ('torchkeras.utils', ['to_categorical', 'normalize', 'plot_model', 'model_to_dot', 'Sequence',
                          'np_utils', 'vis_utils'], None),
    ('torchkeras.utils.np_utils', ['to_categorical', 'normalize', 'probas_to_classes'], None),
    ('torchkeras.utils.vis_utils', ['plot_model', 'model_to_dot'], None),
    ('torchkeras.backend', ['clear_session', 'mean', 'sum', 'epsilon', 'image_data_format',
                            'image_dim_ordering', 'set_image_dim_ordering'], None),
    ('torchkeras.preprocessing.sequence', ['pad_sequences'], None),
    ('torchkeras.preprocessing.text', ['Tokenizer'], None),
    ('torchkeras.preprocessing.image', ['ImageDataGenerator'], 'torchkeras.preprocessing.image'),
    ('torchkeras.datasets', ['mnist', 'imdb', 'cifar10', 'reuters', 'boston_housing',
                             'fashion_mnist'], None),
    ('torchkeras.datasets.mnist', ['load_data'], None),
    ('torchkeras.datasets.imdb', ['load_data', 'get_word_index'], None),
]

CASES = [(module, name, owner) for module, names, owner in PATHS for name in names]


def _landed(owner):
    try:
        return importlib.util.find_spec(owner) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize('module, name, owner', CASES,
                         ids=['%s.%s' % (m, n) for m, n, _ in CASES])
def test_keras_import_path(module, name, owner):
    if owner is not None and not _landed(owner):
        pytest.skip('%s is not in the tree yet (another developer is writing it)' % owner)
    imported = importlib.import_module(module)
    assert hasattr(imported, name), \
        '`from %s import %s` fails: %s does not export %s' % (module, name, module, name)
    if hasattr(imported, '__all__') and not name.startswith('_') and \
            not isinstance(getattr(imported, name), type(importlib)):
        assert name in imported.__all__, '%s.%s is not listed in its __all__' % (module, name)


def test_star_free_alias_modules_list_their_names():
    """The Keras-path alias modules written for old scripts re-export explicitly."""
    for module in ('torchkeras.layers.embeddings', 'torchkeras.layers.merge',
                   'torchkeras.layers.advanced_activations', 'torchkeras.layers.noise',
                   'torchkeras.utils.vis_utils'):
        imported = importlib.import_module(module)
        assert imported.__all__ and all(hasattr(imported, n) for n in imported.__all__)


def test_merge_function_survives_importing_the_merge_module():
    """``keras.layers.merge`` is a module and ``keras.layers.merge`` the Keras 1 function:
    importing the module must not replace the function exported by ``keras.layers``."""
    layers = importlib.import_module('torchkeras.layers')
    importlib.import_module('torchkeras.layers.merge')
    if not hasattr(layers, 'Merge'):
        pytest.skip('torchkeras.layers does not export the Keras 1 names yet')
    assert callable(layers.merge), 'torchkeras.layers.merge is the module, not the function'
