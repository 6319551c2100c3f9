"""Keras layers (``keras.layers``): every public layer class and functional merge form.

Importing this package registers its classes by name with the object registry, where
``torchkeras.saving`` (which stands below layers/) finds them when a config names them.
"""
import inspect as _inspect

from torchkeras.layers.activation_layers import (ELU, LeakyReLU, PReLU, ReLU, Softmax,
                                                 ThresholdedReLU)
from torchkeras.layers.attention import (AdditiveAttention, Attention, EinsumDense,
                                         MultiHeadAttention)
from torchkeras.layers.bidirectional import Bidirectional
from torchkeras.layers.convolutional import (
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, Convolution1D,
    Convolution1DTranspose, Convolution2D, Convolution2DTranspose, Convolution3D,
    Convolution3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
    SeparableConvolution1D, SeparableConvolution2D)
from torchkeras.layers.basic import (Activation, Dense, Dropout, Flatten, Identity, Lambda,
                                     Permute, RepeatVector, Reshape)
from torchkeras.layers.convolutional_recurrent import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from torchkeras.layers.embedding import Embedding, Masking
from torchkeras.layers.input_layer import Input, InputLayer
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.layers.lookup import IntegerLookup, StringLookup, TextVectorization
from torchkeras.layers.normalization import (BatchNormalization, GroupNormalization,
                                             LayerNormalization, UnitNormalization)
from torchkeras.layers.preprocessing import (CategoryEncoding, CenterCrop, Discretization,
                                             Normalization, RandomBrightness, RandomContrast,
                                             RandomCrop, RandomFlip, RandomRotation,
                                             RandomTranslation, RandomZoom, Rescaling,
                                             Resizing)
from torchkeras.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D, AvgPool3D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D,
    GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
    MaxPooling1D, MaxPooling2D, MaxPooling3D)
from torchkeras.layers.recurrent import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN,
                                         SimpleRNNCell, StackedRNNCells)
from torchkeras.layers.regularization import (ActivityRegularization, AlphaDropout,
                                              GaussianDropout, GaussianNoise, SpatialDropout1D,
                                              SpatialDropout2D, SpatialDropout3D)
from torchkeras.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, UpSampling1D,
                                         UpSampling2D, UpSampling3D, ZeroPadding1D,
                                         ZeroPadding2D, ZeroPadding3D)
from torchkeras.layers.wrappers import SpectralNormalization, TimeDistributed, Wrapper
from torchkeras.layers import merge as _merge_module  # noqa: F401  (before the merge function)
from torchkeras.layers.legacy import (AtrousConvolution1D, AtrousConvolution2D, Deconvolution2D,
                                      Highway, MaxoutDense, Merge, TimeDistributedDense, merge)
from torchkeras.utils.object_registry import register_builtins as _register_builtins
from torchkeras.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum,
                                       Multiply, Subtract, add, average, concatenate, dot,
                                       maximum, minimum, multiply, subtract)

__all__ = [
    'Layer', 'InputSpec', 'Input', 'InputLayer',
    'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Lambda',
    'Identity', 'EinsumDense', 'MultiHeadAttention', 'Attention', 'AdditiveAttention',
    'Rescaling', 'Normalization', 'CenterCrop', 'Resizing', 'CategoryEncoding', 'Discretization',
    'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom', 'RandomContrast',
    'RandomBrightness', 'RandomCrop', 'StringLookup', 'IntegerLookup', 'TextVectorization',
    'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot',
    'add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concatenate', 'dot',
    'Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose',
    'SeparableConv1D', 'SeparableConv2D', 'DepthwiseConv1D', 'DepthwiseConv2D',
    'Convolution1D', 'Convolution2D', 'Convolution3D', 'Convolution1DTranspose',
    'Convolution2DTranspose', 'Convolution3DTranspose', 'SeparableConvolution1D',
    'SeparableConvolution2D',
    'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D',
    'AveragePooling3D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalMaxPooling3D',
    'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D',
    'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D', 'AvgPool3D',
    'GlobalMaxPool1D', 'GlobalMaxPool2D', 'GlobalMaxPool3D', 'GlobalAvgPool1D',
    'GlobalAvgPool2D', 'GlobalAvgPool3D',
    'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'ZeroPadding1D', 'ZeroPadding2D',
    'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D',
    'Wrapper', 'TimeDistributed', 'Bidirectional', 'SpectralNormalization',
    'Embedding', 'Masking',
    'RNN', 'SimpleRNN', 'GRU', 'LSTM', 'SimpleRNNCell', 'GRUCell', 'LSTMCell', 'StackedRNNCells',
    'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D',
    'BatchNormalization', 'LayerNormalization', 'GroupNormalization', 'UnitNormalization',
    'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise',
    'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
    'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
    'AtrousConvolution1D', 'AtrousConvolution2D', 'Deconvolution2D', 'Highway', 'MaxoutDense',
    'Merge', 'TimeDistributedDense', 'merge',
]

_register_builtins({name: value for name, value in globals().items()
                    if name in __all__ and _inspect.isclass(value) and issubclass(value, Layer)})
