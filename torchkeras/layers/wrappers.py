"""Wrapper layers: the ``Wrapper`` base (a layer that holds another one) and TimeDistributed.

``TimeDistributed(layer)`` applies ``layer`` to every time step of a (batch, time, ...) input
in one call: the input is reshaped to (batch * time, ...), the inner layer (any layer, or a
whole Model) runs once, and its output is reshaped back to (batch, time, ...).  Its weights
are the inner layer's.
"""
import torch

from torchkeras import initializers
from torchkeras.layers.layer import InputSpec, Layer
from torchkeras.ops import nn as nn_ops
from torchkeras.saving import serialization
from torchkeras.utils.generic import flatten, map_structure

__all__ = ['Wrapper', 'TimeDistributed', 'SpectralNormalization', 'serialize_layer',
           'deserialize_layer']


def serialize_layer(layer):
    """``{'class_name', 'config'}`` of the wrapped layer (``torchkeras.saving.serialization``:
    registered custom layers keep their registered name, Lambdas their function)."""
    return serialization.serialize_layer(layer)


def deserialize_layer(config, custom_objects=None):
    """A layer from ``{'class_name', 'config', ...}`` in any Keras format, looking in
    ``custom_objects`` and registered objects too (``torchkeras.saving.serialization``)."""
    return serialization.deserialize_layer(config, custom_objects=custom_objects)


class Wrapper(Layer):
    """A layer that holds another layer (``self.layer``, a registered submodule) and builds it
    on first use.  Subclasses write ``call``; the wrapped layer's weights are the wrapper's."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError('Layer %r supplied to wrapper is not a supported layer type. '
                             'Please ensure wrapped layer is a valid Keras layer.' % (layer,))
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)

    def get_config(self):
        config = super().get_config()
        config['layer'] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_layer(config.pop('layer'), custom_objects)
        return cls(layer, **config)


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _map_shapes(fn, shapes):
    if _is_shape(shapes):
        return fn(shapes)
    return type(shapes)(_map_shapes(fn, s) for s in shapes)


def _flat_shapes(shapes):
    if _is_shape(shapes):
        return [shapes]
    return [shape for s in shapes for shape in _flat_shapes(s)]


def _merge_time(tensor):
    """(batch, time, ...) -> (batch * time, ...)."""
    return tensor.reshape((tensor.shape[0] * tensor.shape[1],) + tuple(tensor.shape[2:]))


def _any_beyond_time(mask):
    """A mask of rank > 2 reduced to (batch, time), as Keras does when the inner layer
    gives no mask of its own."""
    while mask.dim() > 2:
        mask = mask.any(dim=-1)
    return mask


class TimeDistributed(Wrapper):
    """Apply ``layer`` to every temporal slice (axis 1) of the input, with shared weights."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError('Please initialize `TimeDistributed` layer with a '
                             '`keras.layers.Layer` instance. Received: layer=%r' % (layer,))
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        shapes = _flat_shapes(input_shape)
        if any(len(s) < 3 for s in shapes):
            raise ValueError('`TimeDistributed` Layer should be passed an `input_shape` with '
                             'at least 3 dimensions, received: %s' % (input_shape,))
        # Neither the batch nor the time dimension is enforced.
        specs = [InputSpec(shape=(None, None) + tuple(s[2:])) for s in shapes]
        self.input_spec = specs[0] if _is_shape(input_shape) else specs
        built_here = not self.layer.built
        super().build(_map_shapes(lambda s: (None,) + tuple(s[2:]), input_shape))
        if built_here and not hasattr(self.layer, 'layers'):
            # tf.keras builds the layer in this wrapper's name scope: 'time_distributed/kernel:0'
            for weight in self.layer.weights:
                weight.name_scope = self.name

    def call(self, inputs, training=None, mask=None):
        first = flatten(inputs)[0]
        batch, steps = first.shape[0], first.shape[1]
        kwargs = {}
        if self.layer._call_takes_training:
            kwargs['training'] = training
        if mask is not None and self.layer._call_takes_mask:
            kwargs['mask'] = map_structure(_merge_time, mask)
        outputs = self.layer(map_structure(_merge_time, inputs), **kwargs)
        return map_structure(lambda y: y.reshape((batch, steps) + tuple(y.shape[1:])), outputs)

    def compute_mask(self, inputs, mask=None):
        if not _produces_masks(self.layer):
            if mask is None:
                return None
            return mask if self.layer.supports_masking else _any_beyond_time(mask)
        first = flatten(inputs)[0]
        batch, steps = first.shape[0], first.shape[1]
        inner_mask = None if mask is None else map_structure(_merge_time, mask)
        output_mask = self.layer.compute_mask(map_structure(_merge_time, inputs), inner_mask)
        if output_mask is None:
            return None if mask is None else _any_beyond_time(mask)
        return map_structure(lambda m: m.reshape((batch, steps) + tuple(m.shape[1:])),
                             output_mask)


def _produces_masks(layer):
    """Whether the layer can make a mask of its own (Masking, Embedding, a model holding one);
    otherwise TimeDistributed passes the input mask on without running the layer again."""
    if type(layer).compute_mask is Layer.compute_mask:
        return False
    outputs = getattr(layer, '_flat_outputs', None)  # a built Functional/Sequential model
    if outputs is not None:
        return any(t._keras_mask is not None for t in outputs)
    return True


class SpectralNormalization(Wrapper):
    """Keras 3's SpectralNormalization: in training, the wrapped layer's kernel (or
    embeddings) is divided by its largest singular value, estimated by ``power_iterations``
    steps of power iteration from ``vector_u`` (a non-trainable weight kept across steps),
    before the layer runs; in inference the layer runs on the kernel as it stands."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int) or \
                power_iterations <= 0:
            raise ValueError('`power_iterations` should be greater than zero. Received: '
                             'power_iterations=%r' % (power_iterations,))
        self.power_iterations = power_iterations

    def build(self, input_shape=None):
        super().build(input_shape)
        names = [w.short_name for w in self.layer._own_weights]
        name = 'kernel' if 'kernel' in names else 'embeddings' if 'embeddings' in names else None
        if name is None:
            raise ValueError('%s object has no attribute "kernel" nor "embeddings": '
                             'SpectralNormalization needs a layer with one. Received: %s'
                             % (type(self.layer).__name__, self.layer.name))
        self._kernel = self.layer._own_weights[names.index(name)]
        self.vector_u = self._add_weight(name='vector_u', shape=(1, self._kernel.shape[-1]),
                                         initializer=initializers.TruncatedNormal(stddev=0.02),
                                         trainable=False)

    def call(self, inputs, training=None):
        if training:
            with torch.no_grad():
                self._normalize_kernel()
        return self.layer(inputs)

    def _normalize_kernel(self):
        kernel = self._kernel.value
        if not bool(torch.any(kernel != 0)):
            return  # Keras leaves an all-zero kernel (and vector_u) as it is
        weights = kernel.reshape(-1, kernel.shape[-1])
        vector_u = self.vector_u
        for _ in range(self.power_iterations):
            vector_v = nn_ops.normalize.eager(vector_u @ weights.t(), axis=None)
            vector_u = nn_ops.normalize.eager(vector_v @ weights, axis=None)
        sigma = (vector_v @ weights) @ vector_u.t()
        self.vector_u.copy_(vector_u)
        self._kernel.assign(kernel / sigma)

    def get_config(self):
        config = super().get_config()
        config['power_iterations'] = self.power_iterations
        return config


# keras.layers.wrappers.Bidirectional is where Keras 2 scripts import it from.
from torchkeras.layers.bidirectional import Bidirectional  # noqa: E402

__all__ += ['Bidirectional']
