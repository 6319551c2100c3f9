"""Mixed precision (``keras.mixed_precision``): a global dtype policy that ``fit`` follows.

    from torchkeras import mixed_precision
    mixed_precision.set_global_policy('mixed_float16')

Under a ``mixed_*`` policy the variables stay float32 and ``fit`` / ``evaluate`` /
``predict`` run the forward pass (and the loss) under ``torch.autocast`` with the compute
dtype.  ``mixed_float16`` also scales the loss with a ``torch.amp.GradScaler`` (tf.keras
wraps the optimizer in a ``LossScaleOptimizer``); a step whose gradients overflow is
skipped.  The policy is read when the model is compiled, as tf.keras reads it when the
layers are created.
"""
import torch

__all__ = ['Policy', 'set_global_policy', 'global_policy', 'set_policy', 'policy',
           'LossScaleOptimizer']

_DEFAULT_INITIAL_SCALE = 2 ** 15   # tf.keras's LossScaleOptimizer defaults
_DEFAULT_GROWTH_STEPS = 2000

_POLICIES = {
    'float32': ('float32', 'float32'),
    'float64': ('float64', 'float64'),
    'float16': ('float16', 'float16'),
    'bfloat16': ('bfloat16', 'bfloat16'),
    'mixed_float16': ('float16', 'float32'),
    'mixed_bfloat16': ('bfloat16', 'float32'),
}


class Policy:
    """A dtype policy: ``compute_dtype`` for the math, ``variable_dtype`` for the weights."""

    def __init__(self, name):
        if isinstance(name, Policy):
            name = name.name
        if name == '_infer':  # tf.keras's internal default means floatx
            from torchkeras import config
            name = config.floatx()
        if name not in _POLICIES:
            raise ValueError('Cannot convert value %r to a mixed precision Policy. Expected one '
                             'of %s. Received: name=%r' % (name, sorted(_POLICIES), name))
        self._name = name
        self._compute_dtype, self._variable_dtype = _POLICIES[name]

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def is_mixed(self):
        return self._name.startswith('mixed_')

    @property
    def autocast_dtype(self):
        """The torch dtype ``fit`` autocasts to, or None when no autocast is needed."""
        if not self.is_mixed:
            return None
        return torch.float16 if self._compute_dtype == 'float16' else torch.bfloat16

    @property
    def uses_loss_scaling(self):
        return self._name == 'mixed_float16'

    def get_config(self):
        return {'name': self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, Policy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return '<Policy "%s">' % self._name


_GLOBAL_POLICY = None  # None: float32 (floatx)


def set_global_policy(policy):
    """Set the policy used from now on: a name ('mixed_float16'...), a Policy or None."""
    global _GLOBAL_POLICY
    _GLOBAL_POLICY = None if policy is None else Policy(policy)


def global_policy():
    """The global Policy (floatx, normally 'float32', unless one was set)."""
    if _GLOBAL_POLICY is not None:
        return _GLOBAL_POLICY
    from torchkeras import config
    return Policy(config.floatx())


# tf.keras 2.1-2.3 spelled these ``mixed_precision.experimental.set_policy`` / ``global_policy``.
set_policy = set_global_policy
policy = global_policy


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
        from torchkeras import optimizers
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
        self.inner_optimizer = optimizers.get(inner_optimizer)
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
        from torchkeras import optimizers
        return {'inner_optimizer': optimizers.serialize(self.inner_optimizer),
                'dynamic': self.dynamic,
                'initial_scale': self.initial_scale,
                'dynamic_growth_steps': self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from torchkeras import optimizers
        config = dict(config)
        inner = config.pop('inner_optimizer')
        if isinstance(inner, dict):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)

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
