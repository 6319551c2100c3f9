"""tf.keras's ``mixed_precision.LossScaleOptimizer``, owned by the optimizers package
(``torchkeras.mixed_precision`` re-exports it)."""
import torch

from torchkeras.optimizers import optimizer

__all__ = ['LossScaleOptimizer']

_DEFAULT_INITIAL_SCALE = 2 ** 15   # tf.keras's LossScaleOptimizer defaults
_DEFAULT_GROWTH_STEPS = 2000


class LossScaleOptimizer:
    """tf.keras's ``mixed_precision.LossScaleOptimizer``: an optimizer whose loss is scaled.

    ``compile`` unwraps it: the inner optimizer makes the updates and ``fit`` scales the
    loss with its settings (dynamic: a ``torch.amp.GradScaler`` starting at
    ``initial_scale``, doubling after ``dynamic_growth_steps`` finite steps, halving and
    skipping the step on overflow; fixed: the same scale every step).  Under the
    'mixed_float16' policy ``compile`` wraps the optimizer in one, as tf.keras does, so
    ``model.optimizer.loss_scale`` reads the current scale.  Any other attribute is the inner
    optimizer's (``learning_rate``, ``iterations``, ...).  ``get_scaled_loss`` /
    ``get_unscaled_gradients`` serve hand-written training loops.
    """

    def __init__(self, inner_optimizer, dynamic=True, initial_scale=None,
                 dynamic_growth_steps=None):
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError('LossScaleOptimizer cannot wrap another LossScaleOptimizer, but '
                            'got: %r' % (inner_optimizer,))
        if not isinstance(dynamic, bool):
            raise TypeError('"dynamic" argument to LossScaleOptimizer.__init__ must be a bool, '
                            'but got: %r' % (dynamic,))
        if not dynamic and initial_scale is None:
            raise ValueError('"initial_scale" must be specified if "dynamic" is False')
        if not dynamic and dynamic_growth_steps is not None:
            raise ValueError('"dynamic_growth_steps" must be None if "dynamic" is False, but '
                             'got: %r' % (dynamic_growth_steps,))
        if not isinstance(inner_optimizer, optimizer.Optimizer):
            raise TypeError('LossScaleOptimizer wraps a torchkeras optimizer instance (as '
                            'tf.keras: `LossScaleOptimizer(keras.optimizers.SGD())`). '
                            'Received: inner_optimizer=%r' % (inner_optimizer,))
        self.inner_optimizer = inner_optimizer
        self.dynamic = dynamic
        self.initial_scale = float(_DEFAULT_INITIAL_SCALE if initial_scale is None
                                   else initial_scale)
        self.dynamic_growth_steps = (None if not dynamic else
                                     int(dynamic_growth_steps or _DEFAULT_GROWTH_STEPS))
        self._scaler = None

    _serialization_module = 'keras.mixed_precision'
    _OWN = frozenset(['inner_optimizer', 'dynamic', 'initial_scale', 'dynamic_growth_steps',
                      '_scaler'])

    def __setattr__(self, name, value):
        # ``model.optimizer.learning_rate = x`` (ReduceLROnPlateau, user code) sets the inner
        # optimizer's rate.
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner_optimizer, name, value)

    def __getattr__(self, name):
        # Only reached for names this wrapper lacks: the inner optimizer's attributes.
        inner = self.__dict__.get('inner_optimizer')
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    def make_scaler(self, device_type):
        """The scaler ``fit`` uses (one per optimizer, so the scale carries over fits)."""
        if self._scaler is None:
            if self.dynamic:
                self._scaler = torch.amp.GradScaler(
                    device_type, init_scale=self.initial_scale,
                    growth_interval=self.dynamic_growth_steps)
            else:
                self._scaler = _FixedLossScale(self.initial_scale)
        return self._scaler

    @property
    def loss_scale(self):
        """The current loss scale, as a float."""
        if self._scaler is None:
            return self.initial_scale
        return float(self._scaler.get_scale())

    def get_scaled_loss(self, loss):
        return loss * self.loss_scale

    def get_unscaled_gradients(self, grads):
        scale = self.loss_scale
        return [None if g is None else g / scale for g in grads]

    def get_config(self):
        return {'inner_optimizer': optimizer.serialize(self.inner_optimizer),
                'dynamic': self.dynamic,
                'initial_scale': self.initial_scale,
                'dynamic_growth_steps': self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """``config['inner_optimizer']`` is an optimizer instance: ``optimizers.deserialize``
        builds it from its config first (this module stands below that one)."""
        config = dict(config)
        return cls(config.pop('inner_optimizer'), **config)

    def __repr__(self):
        return '<LossScaleOptimizer inner=%r loss_scale=%g>' % (self.inner_optimizer,
                                                                self.loss_scale)


class _FixedLossScale:
    """A fixed loss scale with GradScaler's interface (scale / step / update / get_scale):
    gradients are divided by the scale before every step, which is never skipped."""

    def __init__(self, scale):
        self._scale = float(scale)

    def scale(self, loss):
        return loss * self._scale

    def step(self, optimizer):
        grads = [p.grad for group in optimizer.param_groups for p in group['params']
                 if p.grad is not None]
        if grads:
            torch._foreach_mul_(grads, 1.0 / self._scale)
        return optimizer.step()

    def update(self):
        pass

    def get_scale(self):
        return self._scale
