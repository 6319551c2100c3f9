"""Embedding (integer ids -> vectors, ``nn.Embedding``) and Masking (mask timesteps by value).

Both layers are where Keras masks start: ``Embedding(mask_zero=True)`` masks the id 0 and
``Masking(mask_value)`` masks every timestep whose features all equal ``mask_value``.  The
mask then flows beside the values to the layers that take it (recurrent layers, losses).
"""
import torch
from torch import nn

from torchkeras import constraints, initializers, regularizers
from torchkeras.layers.basic import _serialize, positive_int
from torchkeras.layers.layer import Layer
from torchkeras.saving.weight_layouts import IDENTITY

__all__ = ['Embedding', 'Masking']


class Embedding(Layer):
    """``output[..., :] = embeddings[inputs[...]]``: (batch, ...) ids -> (batch, ..., output_dim).

    ``input_dim`` is the vocabulary size (largest id + 1), not an input shape.  As a first
    layer the input is (batch, input_length) integer ids (tf.keras: ``input_length=None``
    means a sequence of any length).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer='uniform',
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, sparse=False,
                 **kwargs):
        # input_dim is a named argument here, so the base class never mistakes it for the
        # Dense-style `input_dim` (an input shape).
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = positive_int(input_dim, 'input_dim', 'Embedding')
        self.output_dim = positive_int(output_dim, 'output_dim', 'Embedding')
        # Resolved now, as Keras does: a config read from a file may hold dicts here.
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.input_length = _as_length(input_length)
        self.sparse = bool(sparse)
        if self._batch_input_shape is None:
            # tf.keras: input_shape=(input_length,) or (None,) when no input shape is given.
            length = self.input_length if self.input_length is not None else (None,)
            self._batch_input_shape = (kwargs.get('batch_size'),) + length
        self._input_dtype = 'int32'

    def build(self, input_shape):
        # tf.keras's sparse=True returns a SparseTensor; torch's sparse=True means sparse
        # gradients, which most optimizers reject: the output stays dense here.
        self.embedding = nn.Embedding(self.input_dim, self.output_dim)
        self.embeddings = self.track_weight('embeddings', self.embedding, 'weight', IDENTITY,
                                            self.embeddings_initializer,
                                            self.embeddings_regularizer,
                                            self.embeddings_constraint)

    def call(self, inputs):
        if inputs.dtype != torch.int64:
            # Keras casts float (or int32) ids to integers; torch's embedding wants int64.
            inputs = inputs.long()
        return self.embedding(inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=_serialize('initializers',
                                                        self.embeddings_initializer),
                      embeddings_regularizer=_serialize('regularizers',
                                                        self.embeddings_regularizer),
                      activity_regularizer=_serialize('regularizers', self.activity_regularizer),
                      embeddings_constraint=_serialize('constraints', self.embeddings_constraint),
                      mask_zero=self.mask_zero, input_length=_config_length(self.input_length))
        return config


def _as_length(input_length):
    """None, an int or a tuple of ints (``input_length`` of a multi-axis id input)."""
    if input_length is None:
        return None
    if isinstance(input_length, (list, tuple)):
        return tuple(None if d is None else int(d) for d in input_length)
    return (positive_int(input_length, 'input_length', 'Embedding'),)


def _config_length(length):
    if length is None:
        return None
    return length[0] if len(length) == 1 else length


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``; those steps are zeroed.

    ``output = inputs * any(inputs != mask_value, axis=-1)``; the output mask is that ``any``.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs):
        keep = torch.any(inputs != self.mask_value, dim=-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return torch.any(inputs != self.mask_value, dim=-1)

    def get_config(self):
        config = super().get_config()
        config['mask_value'] = self.mask_value
        return config
