"""InputLayer and Input(): where a functional graph starts."""
from torchkeras import config
from torchkeras.graph.keras_tensor import KerasTensor
from torchkeras.graph.node import Node
from torchkeras.layers.layer import Layer

__all__ = ['InputLayer', 'Input']


class InputLayer(Layer):
    """The layer behind ``Input()``: no weights, one node that produces a KerasTensor."""

    _is_input_layer = True  # read by code below layers/ (plot_model, saving, training)

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=False, name=None, ragged=False, batch_input_shape=None, batch_shape=None,
                 **kwargs):
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None and input_shape is None and input_tensor is None:
            raise ValueError('Please provide to Input a `shape` or a `batch_shape` argument. '
                             'Note that `shape` does not include the batch dimension. '
                             'Received: shape=None, batch_shape=None')
        if batch_shape is not None and input_shape is not None:
            raise ValueError('Only provide the `shape` OR `batch_shape` argument to Input, not '
                             'both. Received: shape=%s, batch_shape=%s'
                             % (input_shape, batch_shape))
        if name is None:
            name = config.unique_object_name('input', zero_based=False)
        kwargs.pop('input_dtype', None)
        super().__init__(name=name, dtype=dtype or config.floatx(), **kwargs)
        if batch_shape is None:
            shape = input_shape if input_tensor is None else input_tensor.shape[1:]
            batch_shape = (batch_size,) + _as_shape(shape, 'shape')
        self._batch_input_shape = tuple(_as_shape(batch_shape, 'batch_shape'))
        self.sparse = sparse
        self.ragged = ragged
        self.built = True
        tensor = KerasTensor(self._batch_input_shape, self.dtype, name=self.name)
        Node(self, (), {}, [tensor])

    def call(self, inputs):
        return inputs

    @property
    def output_shape(self):
        # tf.keras reports an InputLayer's output shape as a one-element list.
        return [self._batch_input_shape]

    def get_config(self):
        return {'batch_input_shape': self._batch_input_shape, 'dtype': self.dtype,
                'sparse': self.sparse, 'ragged': self.ragged, 'name': self.name,
                'optional': False}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if 'batch_shape' in config:  # Keras 3 spelling
            config['batch_input_shape'] = config.pop('batch_shape')
        if isinstance(config.get('dtype'), dict):  # Keras 3 DTypePolicy object
            config['dtype'] = config['dtype'].get('config', {}).get('name', 'float32')
        config.pop('optional', None)
        return cls(**config)


def _as_shape(shape, argname):
    if isinstance(shape, int):
        shape = (shape,)
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except TypeError:
        raise TypeError('`%s` must be a tuple of integers or None. Received: %s=%r'
                        % (argname, argname, shape)) from None


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None,
          ragged=False, batch_shape=None, **kwargs):
    """A symbolic input: ``Input(shape=(784,))`` is a KerasTensor of shape (None, 784)."""
    if 'input_dtype' in kwargs:  # Keras 1 spelling
        dtype = dtype or kwargs.pop('input_dtype')
    if 'batch_input_shape' in kwargs:
        batch_shape = kwargs.pop('batch_input_shape')
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                       sparse=sparse, input_tensor=tensor, ragged=ragged,
                       batch_shape=batch_shape, **kwargs)
    return layer._inbound_nodes[0].outputs[0]
