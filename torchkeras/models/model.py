"""Model: a Layer with the training API (compile/fit/evaluate/predict) and model I/O.

``Model(inputs, outputs)`` returns a Functional model; subclassing Model and writing
``call`` gives a subclassed model.  Training and saving live in ``torchkeras.training`` and
``torchkeras.saving``; the methods here are thin delegations so the loops exist once.
"""
import numpy as np
import torch

from torchkeras import config
from torchkeras.layers.layer import Layer
from torchkeras.ops.dispatch import is_symbolic
from torchkeras.saving import api, serialization
from torchkeras.training import trainer
from torchkeras.training.compile import steps_per_execution_or_one
from torchkeras.utils.summary import print_summary

__all__ = ['Model']


class Model(Layer):
    """A trainable graph of layers (or a subclass with its own ``call``)."""

    _is_model = True
    _functional_class = None  # set when functional.py defines Functional (a subclass)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The class that Model(inputs, outputs) builds makes itself known here as it is
        # defined (functional.py imports this module, not the other way round).
        if cls.__dict__.get('_is_graph_network'):
            Model._functional_class = cls

    def __new__(cls, *args, **kwargs):
        # Model(inputs, outputs) is the functional API, as in Keras; a subclass called so
        # (class MyModel(Model) with its own train_step) becomes a Functional subclass.
        if args or 'inputs' in kwargs or 'input' in kwargs:
            if cls is Model:
                return super().__new__(Model._functional_class)
            if _builds_a_graph(args, kwargs) and \
                    not issubclass(cls, Model._functional_class):
                _inject_functional(cls)
        return super().__new__(cls)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.stop_training = False
        self.history = None
        self.optimizer = None
        self.compiled = False
        self.built = False
        self._run_eagerly = None          # compile() sets these three, as in tf.keras
        self._jit_compile = None
        self._steps_per_execution = None
        self._user_device = None          # where model.to / cuda / cpu put the model

    def _default_name(self):
        # A subclass is named after its class (MyModel -> my_model); Model() itself 'model'.
        if type(self) is Model:
            return config.unique_object_name('model')
        return super()._default_name()

    @property
    def layers(self):
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """The layer with this name, or at this index of ``model.layers``."""
        if index is not None and name is not None:
            raise ValueError('Provide only a layer name or a layer index. Received: '
                             'index=%r, name=%r' % (index, name))
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError('Was asked to retrieve layer at index %d but model only has %d '
                                 'layers.' % (index, len(self.layers)))
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError('No such layer: %s. Existing layers are: %s.'
                             % (name, [layer.name for layer in self.layers]))
        raise ValueError('Provide either a layer name or layer index at `get_layer`.')

    @property
    def weights(self):
        # A model lists its weights layer by layer (tf.keras Model.weights), not trainable first.
        seen, out = set(), []
        for layer in self._sublayers():
            for weight in layer.weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    out.append(weight)
        return out

    def reset_states(self):
        """Reset the state of every stateful layer (Keras 2's model.reset_states())."""
        for layer in self._flatten_layers():
            if layer is not self and getattr(layer, 'stateful', False) and \
                    hasattr(layer, 'reset_states'):
                layer.reset_states()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print tf.keras 2's summary table (see torchkeras.utils.summary)."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # ------------------------------------------------------------------ device
    # fit() moves a model to the default device (CUDA when available) unless the user
    # placed it: a model.to('cpu') on a CUDA machine is a choice that leaves the
    # parameters where they were, so it is recorded here rather than read off them.
    def to(self, *args, **kwargs):
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        moved = super().to(*args, **kwargs)
        if device is not None:
            self._user_device = torch.device(device)
        return moved

    def cuda(self, device=None):
        moved = super().cuda(device)
        if isinstance(device, int):
            device = torch.device('cuda', device)
        self._user_device = torch.device(device if device is not None else 'cuda')
        return moved

    def cpu(self):
        moved = super().cpu()
        self._user_device = torch.device('cpu')
        return moved

    # --------------------------------------------------------------- training API
    @property
    def run_eagerly(self):
        """Settable: whether fit runs eagerly (then without ``jit_compile``); False unless set,
        as in tf.keras.  torchkeras always runs Python eagerly; this only turns off
        ``torch.compile``."""
        return bool(self._run_eagerly)

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._run_eagerly = value

    @property
    def jit_compile(self):
        """Settable: compile the train step with ``torch.compile`` (None unless set)."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile = value

    @property
    def steps_per_execution(self):
        """Settable: batches per callback call (1 after compile, None before)."""
        return self._steps_per_execution

    @steps_per_execution.setter
    def steps_per_execution(self, value):
        self._steps_per_execution = steps_per_execution_or_one(value)

    def compile(self, *args, **kwargs):
        return trainer.compile(self, *args, **kwargs)

    def fit(self, *args, **kwargs):
        return trainer.fit(self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        return trainer.evaluate(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        return trainer.predict(self, *args, **kwargs)

    # ------------------------------------------- Keras 3's subclassing contract
    @trainer.default_step
    def train_step(self, data):
        """One training step on ``data`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``);
        returns the logs.  A subclass may write its own: ``fit`` then calls it."""
        return trainer.default_train_step(self, data)

    @trainer.default_step
    def test_step(self, data):
        return trainer.default_test_step(self, data)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled losses of ``y_pred`` against ``y`` plus ``self.losses``."""
        return trainer.compute_loss(self, x, y, y_pred, sample_weight)

    def train_on_batch(self, *args, **kwargs):
        return trainer.train_on_batch(self, *args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        return trainer.test_on_batch(self, *args, **kwargs)

    def predict_on_batch(self, *args, **kwargs):
        return trainer.predict_on_batch(self, *args, **kwargs)

    def fit_generator(self, *args, **kwargs):
        return trainer.fit_generator(self, *args, **kwargs)

    def evaluate_generator(self, *args, **kwargs):
        return trainer.evaluate_generator(self, *args, **kwargs)

    def predict_generator(self, *args, **kwargs):
        return trainer.predict_generator(self, *args, **kwargs)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 1/2 Sequential API: argmax of the predictions; for a single unit, int32
        (N, 1) class ids from the 0.5 threshold."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype('int32')

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 1/2 Sequential API: the predictions, as probabilities."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    @property
    def metrics_names(self):
        return trainer.metrics_names(self)

    @property
    def metrics(self):
        return trainer.metrics(self)

    # ------------------------------------------------------------------ model I/O
    def save(self, filepath, overwrite=True, include_optimizer=True, save_format=None, **kwargs):
        return api.save_model(self, filepath, overwrite=overwrite,
                              include_optimizer=include_optimizer, save_format=save_format,
                              **kwargs)

    def save_weights(self, filepath, overwrite=True, save_format=None, **kwargs):
        return api.save_weights(self, filepath, overwrite=overwrite, save_format=save_format,
                                **kwargs)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, **kwargs):
        return api.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                                **kwargs)

    def get_config(self):
        return serialization.model_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return serialization.model_from_config_dict(cls, config, custom_objects)

    def to_json(self, **kwargs):
        return serialization.model_to_json(self, **kwargs)

    def count_params(self):
        return int(sum(int(np.prod(w.shape)) for w in self.weights))


def _builds_a_graph(args, kwargs):
    """Functional's arguments: KerasTensors as inputs (positional or by keyword)."""
    first = args[0] if args else kwargs.get('inputs', kwargs.get('input'))
    leaves = first.values() if isinstance(first, dict) else (
        first if isinstance(first, (list, tuple)) else [first])
    return any(is_symbolic(leaf) for leaf in leaves)


def _inject_functional(cls):
    """Put Functional where Model stands in ``cls``'s bases (Keras 3's
    ``inject_functional_model_class``), so the subclass runs as a graph of layers."""
    if cls is Model:
        return Model._functional_class
    if cls is object or not issubclass(cls, Model):
        return cls
    cls.__bases__ = tuple(_inject_functional(base) for base in cls.__bases__)
    return cls
