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

from torchkeras import config
from torchkeras.optimizers.loss_scale import LossScaleOptimizer

__all__ = ['Policy', 'set_global_policy', 'global_policy', 'set_policy', 'policy',
           'LossScaleOptimizer']

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
    return Policy(config.floatx())


# tf.keras 2.1-2.3 spelled these ``mixed_precision.experimental.set_policy`` / ``global_policy``.
set_policy = set_global_policy
policy = global_policy
