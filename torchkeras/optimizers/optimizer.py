"""Keras optimizers on torch: tf.keras 2 names, arguments, defaults and update rules.

    opt = Adam()                        # created before the model's parameters exist
    opt.build(model.parameters())       # slots are created here
    loss.backward(); opt.step(); opt.zero_grad()

A Keras-facing class keeps the configuration (``get_config`` round-trips it) and delegates
the arithmetic to a ``torch.optim.Optimizer`` subclass from ``torch_rules``, available as
``opt.torch_optimizer`` after ``build``.  Per step the wrapper only evaluates a learning-rate
schedule and copies hyperparameters into the param groups; the rule clips, applies time
decay and weight decay, and updates (KERAS_FACTS 1.2).

Legacy spellings are honoured rather than ignored: ``lr=`` is ``learning_rate`` (one
DeprecationWarning per process), ``decay=`` is time decay ``lr / (1 + decay * iterations)``,
Nadam's ``schedule_decay=`` is the Keras 1/2 momentum schedule, ``epsilon=None`` is
``backend.epsilon()``.
"""
import inspect
import re

import numpy as np
import torch

from torchkeras import config
from torchkeras.legacy import warn_once
from torchkeras.optimizers import schedules
from torchkeras.optimizers import torch_rules

__all__ = [
    'Optimizer', 'SGD', 'RMSprop', 'Adam', 'AdamW', 'Adagrad', 'Adadelta', 'Adamax', 'Nadam',
    'Ftrl', 'TorchOptimizer', 'serialize',
]


def _warn_lr_deprecated_once():
    """One DeprecationWarning per process, attributed to the user's line."""
    warn_once(('optimizer', 'lr'), 'The `lr` argument is deprecated, use `learning_rate` instead.')


def _resolve_epsilon(epsilon):
    """Keras 1/2 ``epsilon=None`` means the backend's fuzz factor."""
    return config.epsilon() if epsilon is None else epsilon


def _is_schedule(value):
    return isinstance(value, schedules.LearningRateSchedule) or (
        callable(value) and not isinstance(value, torch.Tensor))


class LearningRateValue(float):
    """``optimizer.learning_rate`` / ``optimizer.lr``: a float that also answers the
    tf.Variable calls Keras 2 code makes on it: ``K.set_value(opt.lr, x)`` and
    ``opt.lr.assign(x)`` set the optimizer's rate, ``K.get_value(opt.lr)`` and
    ``opt.lr.numpy()`` read it.  Arithmetic gives plain floats; copies are plain floats."""

    def __new__(cls, value, optimizer=None):
        self = super().__new__(cls, value)
        self._optimizer = optimizer
        return self

    def assign(self, value):
        """Set the optimizer's learning rate (under a schedule, tf.keras's behaviour: the
        value reads back until the next step recomputes it)."""
        optimizer = self._optimizer
        if optimizer is None:
            raise ValueError('This learning rate value is detached from any optimizer; set '
                             '`optimizer.learning_rate` instead.')
        if optimizer._schedule() is not None:
            optimizer._assigned_current_lr = (optimizer.iterations, float(value))
        else:
            optimizer.learning_rate = float(value)
        return optimizer.learning_rate

    def numpy(self):
        return np.float32(self)

    def value(self):
        return float(self)

    @property
    def dtype(self):
        return 'float32'

    def __reduce__(self):
        return float, (float(self),)


def _check_learning_rate(value):
    if _is_schedule(value):
        return value
    if not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError, RuntimeError):
            pass
    raise ValueError('Argument `learning_rate` should be a float, a LearningRateSchedule, or '
                     'a callable returning the learning rate. Received: learning_rate=%r'
                     % (value,))


def _unique_parameters(var_list):
    """Parameters in first-seen order (a Module means its parameters())."""
    if isinstance(var_list, torch.nn.Module):
        var_list = var_list.parameters()
    if isinstance(var_list, torch.Tensor):
        var_list = [var_list]
    seen, params = set(), []
    for p in var_list:
        if not isinstance(p, torch.Tensor):
            raise TypeError('Optimizer.build() expects torch Parameters (e.g. '
                            'model.trainable_weights). Received an element of type %s: %r'
                            % (type(p).__name__, p))
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    return params


class _CallableList(list):
    """``opt.variables`` (Keras 3) and ``opt.variables()`` (tf.keras) both work."""

    def __call__(self):
        return self


class Optimizer:
    """Base of the Keras optimizers; subclasses name a ``_rule_class`` and their config keys.

    A user subclass without a rule may define Keras's ``update_step(gradient, variable,
    learning_rate)`` (torch tensors, updated in place) and create slots in ``build`` with
    ``add_variable_from_reference``.
    """
    _rule_class = None
    _config_names = ()          # class-specific config keys, in tf_keras get_config order
    _interleave_slots = True    # Keras 3 order: each variable's slots together (Adam m0 v0 m1 v1)
    _sequential_clipping = False
    _serialization_module = 'keras.optimizers'
    _keras3_extra_variables = ()  # scalars Keras 3 creates after the slots (Nadam's u_product)

    def __init__(self, learning_rate=0.001, name=None, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, **kwargs):
        learning_rate, self.decay, self.loss_scale_factor = self._take_legacy_kwargs(
            learning_rate, kwargs)
        self.name = name or type(self).__name__
        if weight_decay is not None and (isinstance(weight_decay, bool) or weight_decay < 0):
            # a bool here is usually a Keras 1 positional call SGD(lr, momentum, decay, nesterov)
            raise ValueError('`weight_decay` must be None or a float >= 0. Received: '
                             'weight_decay=%r' % (weight_decay,))
        self.weight_decay = weight_decay
        self._set_clipping(clipnorm, clipvalue, global_clipnorm)
        self._set_ema(use_ema, ema_momentum, ema_overwrite_frequency)
        self.jit_compile = jit_compile
        self._learning_rate = _check_learning_rate(learning_rate)
        self._assigned_current_lr = None  # (iterations, value): assign() under a schedule
        self._torch = None
        self._params = []
        self._custom_variables = []
        self._pending_iterations = 0
        self._weight_decay_exclude = ([], [])
        self.built = False

    # ------------------------------------------------------------ arguments
    def _take_legacy_kwargs(self, learning_rate, kwargs):
        """Pop the legacy / cross-version keywords; anything left is an error."""
        kwargs.pop('is_legacy_optimizer', None)  # written by tf_keras get_config
        loss_scale_factor = kwargs.pop('loss_scale_factor', None)  # Keras 3 config key
        accumulation = kwargs.pop('gradient_accumulation_steps', None)
        if accumulation not in (None, 1):
            raise NotImplementedError(
                '%s: gradient accumulation is not supported by torchkeras optimizers. '
                'Received: gradient_accumulation_steps=%r' % (type(self).__name__, accumulation))
        if kwargs.get('lr') is not None:
            _warn_lr_deprecated_once()
            learning_rate = kwargs.pop('lr')
        kwargs.pop('lr', None)
        decay = kwargs.pop('decay', None)
        if decay is not None and decay < 0:
            raise ValueError('`decay` cannot be less than 0. Received: decay=%r' % (decay,))
        if kwargs:
            raise TypeError(self._unknown_kwargs_message(kwargs))
        return learning_rate, decay, loss_scale_factor

    def _unknown_kwargs_message(self, kwargs):
        names = [n for n in inspect.signature(type(self).__init__).parameters
                 if n not in ('self', 'kwargs')]
        return ('%s() got unexpected keyword argument(s) %s. Expected one of: %s. Received: %s'
                % (type(self).__name__, ', '.join(repr(k) for k in kwargs),
                   ', '.join(names + ['lr', 'decay']),
                   ', '.join('%s=%r' % item for item in kwargs.items())))

    def _set_clipping(self, clipnorm, clipvalue, global_clipnorm):
        for arg, value in (('clipnorm', clipnorm), ('clipvalue', clipvalue),
                           ('global_clipnorm', global_clipnorm)):
            if value is not None and value < 0:
                raise ValueError('Expected `%s` >= 0. Received: %s=%r' % (arg, arg, value))
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError('At most one of `clipnorm` and `global_clipnorm` can be set. '
                             'Received: clipnorm=%r, global_clipnorm=%r'
                             % (clipnorm, global_clipnorm))
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm

    def _set_ema(self, use_ema, ema_momentum, ema_overwrite_frequency):
        if use_ema and not 0 <= ema_momentum <= 1:
            raise ValueError('`ema_momentum` must be in the range [0, 1]. Received: '
                             'ema_momentum=%r' % (ema_momentum,))
        if use_ema and ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
            raise ValueError('`ema_overwrite_frequency` must be an integer >= 1 or None. '
                             'Received: ema_overwrite_frequency=%r' % (ema_overwrite_frequency,))
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency

    # -------------------------------------------------------- learning rate
    def _schedule(self):
        return self._learning_rate if _is_schedule(self._learning_rate) else None

    def _scheduled_lr(self, step):
        schedule = self._learning_rate
        if isinstance(schedule, schedules.LearningRateSchedule):
            return float(schedule(step))
        try:  # Keras 3 calls a plain callable with the step, tf.keras with nothing
            inspect.signature(schedule).bind(step)
        except (TypeError, ValueError):
            return float(schedule())
        return float(schedule(step))

    @property
    def learning_rate(self):
        """The learning rate as a float (a :class:`LearningRateValue`, which also takes
        tf.Variable calls: ``K.set_value(opt.lr, x)``, ``opt.lr.assign(x)``).  With a
        schedule, tf.keras's ``current_learning_rate``: the rate the last step used
        (schedule(0) before the first step)."""
        if self._schedule() is not None:
            step = max(self.iterations - 1, 0)
            assigned = self._assigned_current_lr
            if assigned is not None and assigned[0] == self.iterations:
                return LearningRateValue(assigned[1], self)
            return LearningRateValue(self._scheduled_lr(step), self)
        if self._torch is not None:
            return LearningRateValue(self._torch.param_groups[0]['lr'], self)
        return LearningRateValue(self._learning_rate, self)

    @learning_rate.setter
    def learning_rate(self, value):
        if _is_schedule(value):
            self._learning_rate = value
            return
        if self._schedule() is not None:
            raise TypeError('This optimizer was created with a `LearningRateSchedule` object as '
                            'its `learning_rate` constructor argument, hence its learning rate '
                            'is not settable. Received: learning_rate=%r' % (value,))
        self._learning_rate = _check_learning_rate(value)
        if self._torch is not None:
            for group in self._torch.param_groups:
                group['lr'] = self._learning_rate

    lr = learning_rate  # Keras 1/2 alias

    @property
    def iterations(self):
        """Number of updates applied, as a Python int."""
        return self._torch.iterations if self._torch is not None else self._pending_iterations

    @iterations.setter
    def iterations(self, value):
        self._pending_iterations = int(value)
        if self._torch is not None:
            self._torch.iterations = int(value)

    @property
    def torch_optimizer(self):
        """The ``torch.optim.Optimizer`` doing the updates (None before ``build``)."""
        return self._torch

    # ---------------------------------------------------------------- build
    def _rule_hyperparameters(self):
        return {name: getattr(self, name) for name in self._config_names}

    def _rule_options(self):
        return dict(decay=self.decay or 0.0, weight_decay=self.weight_decay,
                    clipnorm=self.clipnorm, global_clipnorm=self.global_clipnorm,
                    clipvalue=self.clipvalue, sequential_clipping=self._sequential_clipping,
                    loss_scale_factor=self.loss_scale_factor)

    def _make_torch_optimizer(self, params):
        lr = float(self.learning_rate)  # a plain float in torch's param groups and state_dict
        groups = [{'params': params}]  # a list of groups accepts an empty model
        if self._rule_class is None:
            rule = torch_rules.CallbackRule(groups, self.update_step, lr=lr,
                                            **self._rule_options())
        else:
            rule = self._rule_class(groups, lr=lr, **self._rule_hyperparameters(),
                                    **self._rule_options())
        rule.iterations = self._pending_iterations
        return rule

    def build(self, var_list):
        """Create the slots for ``var_list`` (torch Parameters).  Building again with the same
        parameters does nothing; new parameters are added with fresh slots."""
        params = _unique_parameters(var_list)
        if self._torch is None:
            self._torch = self._make_torch_optimizer(params)
            self._params = list(params)
        else:
            known = {id(p) for group in self._torch.param_groups for p in group['params']}
            new = [p for p in params if id(p) not in known]
            self._torch.param_groups[0]['params'].extend(new)
            self._params.extend(new)
        self._sync_hyperparameters()
        for group in self._torch.param_groups:
            for p in group['params']:
                self._torch.ensure_state(p, group)
        self._apply_weight_decay_exclusions()
        if self.use_ema:
            for p in self._params:
                self._torch.state[p].setdefault('average', p.detach().clone())
        self.built = True

    def _sync_hyperparameters(self):
        """Copy the Keras attributes into the rule, so setting e.g. ``opt.beta_1`` works."""
        hyper = self._rule_hyperparameters()
        hyper['decay'] = self.decay or 0.0
        hyper['weight_decay'] = self.weight_decay
        for group in self._torch.param_groups:
            group.update(hyper)
        rule = self._torch
        rule.clipnorm, rule.global_clipnorm = self.clipnorm, self.global_clipnorm
        rule.clipvalue, rule.loss_scale_factor = self.clipvalue, self.loss_scale_factor

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude parameters (or those whose ``name``/``path`` matches a regex) from decay."""
        if self.built:
            raise ValueError('`exclude_from_weight_decay()` can only be configured before the '
                             'optimizer is built.')
        self._weight_decay_exclude = (list(var_list or []), list(var_names or []))

    def _apply_weight_decay_exclusions(self):
        var_list, var_names = self._weight_decay_exclude
        excluded = {id(v) for v in var_list}
        for p in self._params:
            name = str(getattr(p, 'path', None) or getattr(p, 'name', None) or '')
            if any(re.search(pattern, name) for pattern in var_names):
                excluded.add(id(p))
        self._torch.weight_decay_exclude = excluded

    # ----------------------------------------------------------------- step
    def step(self, closure=None):
        """One Keras update from the parameters' ``.grad`` (those without one are skipped)."""
        if self._torch is None:
            raise RuntimeError('%s has not been built: call `build(params)` with the model '
                               'parameters before `step()`.' % self.name)
        step_before = self.iterations
        if self._schedule() is not None:
            lr = self._scheduled_lr(step_before)
            for group in self._torch.param_groups:
                group['lr'] = lr
        self._sync_hyperparameters()
        loss = self._torch.step(closure)
        if self.use_ema and self.iterations > step_before:
            self._update_ema()
        return loss

    def zero_grad(self, set_to_none=True):
        if self._torch is not None:
            self._torch.zero_grad(set_to_none=set_to_none)

    def apply_gradients(self, grads_and_vars):
        """Keras API: apply explicit gradients to the given parameters (others untouched).

        A variable may be a torch Parameter or a layer's Keras ``Weight`` (its gradient in
        Keras layout, converted to the torch layout: Keras 3 on torch writes
        ``[v.value.grad for v in model.trainable_weights]``, which ``Weight.value`` serves).
        A ``None`` gradient leaves its variable as it is, as in Keras."""
        pairs = [pair for g, v in grads_and_vars for pair in _parameter_gradients(g, v)]
        self.build([v for _, v in pairs])
        hidden = [(p, p.grad) for p in self._params if p.grad is not None]
        for p, _ in hidden:
            p.grad = None
        for g, v in pairs:
            v.grad = None if g is None else g.detach()
        try:
            self.step()
        finally:
            for _, v in pairs:
                v.grad = None
            for p, grad in hidden:
                p.grad = grad
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3 API: ``apply(grads, variables)`` (variables default to the built ones)."""
        variables = self._params if trainable_variables is None else trainable_variables
        return self.apply_gradients(zip(grads, variables))

    def minimize(self, loss, var_list, tape=None):
        """Keras API: differentiate ``loss`` (a tensor or a callable) and apply the gradients."""
        var_list = list(var_list() if callable(var_list) else var_list)
        value = loss() if callable(loss) else loss
        grads = torch.autograd.grad(value, var_list, allow_unused=True)
        return self.apply_gradients(zip(grads, var_list))

    # ------------------------------------------------------------------ EMA
    def _update_ema(self):
        pairs = [(self._torch.state[p]['average'], p.detach()) for p in self._params
                 if p.grad is not None]
        averages, params = [a for a, _ in pairs], [p for _, p in pairs]
        torch._foreach_lerp_(averages, params, 1.0 - self.ema_momentum)
        frequency = self.ema_overwrite_frequency
        if frequency and self.iterations % frequency == 0:
            torch._foreach_copy_(params, averages)

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``, overwrite the parameters with their moving averages."""
        if not (self.use_ema and self.built):
            return
        params = [p for p in (var_list or self._params) if 'average' in self._torch.state[p]]
        with torch.no_grad():
            torch._foreach_copy_(params, [self._torch.state[p]['average'] for p in params])

    # ------------------------------------------------------ custom subclass
    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError('%s must define `update_step(gradient, variable, '
                                  'learning_rate)` or a `_rule_class`.' % type(self).__name__)

    def add_variable_from_reference(self, reference_variable, name=None, initializer='zeros'):
        value = torch.zeros_like(reference_variable.detach())
        if initializer == 'ones':
            value.fill_(1.0)
        self._custom_variables.append(value)
        return value

    def _get_variable_index(self, variable):
        return next(i for i, p in enumerate(self._params) if p is variable)

    @staticmethod
    def assign(variable, value):
        with torch.no_grad():
            variable.copy_(value)

    @staticmethod
    def assign_add(variable, value):
        with torch.no_grad():
            variable.add_(value)

    @staticmethod
    def assign_sub(variable, value):
        with torch.no_grad():
            variable.sub_(value)

    # ------------------------------------------------------------ variables
    def _slot_passes(self, names):
        """The slots as Keras creates them: one tuple of names per pass over the variables."""
        return [tuple(names)] if self._interleave_slots else [(n,) for n in names]

    def _slot_layout(self, items=None):
        """(slot name, item) in Keras order; items are the built parameters by default."""
        if not self.built:
            return []
        items = self._params if items is None else list(items)
        names = self._torch.slot_names(self._torch.param_groups[0])
        layout = []
        if self.use_ema:
            layout += [('average', p) for p in items]
        for group in self._slot_passes(names):
            layout += [(name, p) for p in items for name in group]
        return layout

    def _variable_layout(self):
        """Keras 3 order: iteration, learning_rate (unless a schedule), then the slots."""
        head = ['iteration'] if self._schedule() is not None else ['iteration', 'learning_rate']
        return head + self._slot_layout() + [('custom', i)
                                             for i in range(len(self._custom_variables))]

    def _variable_value(self, entry):
        if entry == 'iteration':
            return torch.tensor(self.iterations, dtype=torch.int64)
        if entry == 'learning_rate':
            return torch.tensor(self.learning_rate, dtype=torch.float32)
        if entry in ('u_product', 'momentum_cache'):
            return torch.tensor(self._torch.param_groups[0]['u_product'], dtype=torch.float32)
        name, key = entry
        if name == 'custom':
            return self._custom_variables[key]
        return self._torch.state[key][name]

    def _assign_variable(self, entry, value):
        if entry == 'iteration':
            self.iterations = int(torch.as_tensor(value))
        elif entry == 'learning_rate':
            self.learning_rate = float(torch.as_tensor(value))
        elif entry in ('u_product', 'momentum_cache'):
            for group in self._torch.param_groups:
                group['u_product'] = float(torch.as_tensor(value))
        else:
            target = self._variable_value(entry)
            value = torch.as_tensor(value)
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError('%s: optimizer variable %r has shape %s, the value given has '
                                 'shape %s.' % (self.name, entry[0], tuple(target.shape),
                                                tuple(value.shape)))
            with torch.no_grad():
                target.copy_(value.to(device=target.device, dtype=target.dtype))

    @property
    def variables(self):
        """Optimizer state as torch tensors, in Keras order (slots are live references)."""
        return _CallableList(self._variable_value(e) for e in self._variable_layout())

    weights = variables  # legacy OptimizerV2 name

    def set_variables(self, values):
        """Restore what ``variables()`` returned (numpy arrays or tensors, same order)."""
        values = list(values)
        layout = self._variable_layout()
        if len(values) != len(layout):
            raise ValueError('%s expects %d variables (%s), got %d. Build the optimizer on the '
                             'model parameters first.' % (self.name, len(layout),
                                                          self._layout_summary(layout),
                                                          len(values)))
        for entry, value in zip(layout, values):
            self._assign_variable(entry, value)

    def keras_variable_layout(self, weights, tf_keras=False):
        """The optimizer variables as Keras saves them in a ``.keras`` file (``optimizer/vars``).

        ``weights`` are the model's trainable Keras weights in order (the slots follow them,
        not the torch parameters), or None for the unbuilt optimizer.  Keras 3: 'iteration',
        'learning_rate' (absent with a schedule), the slots, then extras such as Nadam's
        'u_product'.  tf_keras 2.11+ (``tf_keras=True``) keeps no learning-rate variable and
        no extras.  A slot entry is (slot name, weight).
        """
        if self._rule_class is None:
            raise NotImplementedError('%s updates through a custom `update_step`; its variables '
                                      'have no Keras file layout.' % type(self).__name__)
        head = ['iteration']
        if not tf_keras and self._schedule() is None:
            head.append('learning_rate')
        if weights is None or not self.built:
            return head
        tail = [] if tf_keras else list(self._keras3_extra_variables)
        return head + self._slot_layout(weights) + tail

    def keras_scalar(self, name):
        """The value of a scalar entry of ``keras_variable_layout`` (a Python number)."""
        if name == 'iteration':
            return self.iterations
        if name == 'learning_rate':
            return self.learning_rate
        raise KeyError('%s has no Keras variable %r.' % (self.name, name))

    def slot(self, param, name):
        """The slot ``name`` ('momentum', 'velocity', ...) of a built torch parameter."""
        return self._torch.state[param][name]

    @staticmethod
    def _layout_summary(layout):
        names = [e if isinstance(e, str) else e[0] for e in layout]
        return ', '.join(dict.fromkeys(names))

    def get_weights(self):
        return [v.detach().cpu().numpy() for v in self.variables]

    def set_weights(self, weights):
        self.set_variables(weights)

    # --------------------------------------------------------------- config
    def _serialized_learning_rate(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return schedules.serialize(self._learning_rate)
        return float(self.learning_rate)

    def _hyper_config(self):
        return {name: getattr(self, name) for name in self._config_names}

    def get_config(self):
        """tf_keras >= 2.11 keys, plus ``decay`` / ``loss_scale_factor`` when set."""
        config = {
            'name': self.name, 'weight_decay': self.weight_decay, 'clipnorm': self.clipnorm,
            'global_clipnorm': self.global_clipnorm, 'clipvalue': self.clipvalue,
            'use_ema': self.use_ema, 'ema_momentum': self.ema_momentum,
            'ema_overwrite_frequency': self.ema_overwrite_frequency,
            'jit_compile': self.jit_compile, 'is_legacy_optimizer': False,
            'learning_rate': self._serialized_learning_rate(),
        }
        config.update(self._hyper_config())
        if self.decay is not None:
            config['decay'] = self.decay
        if self.loss_scale_factor is not None:
            config['loss_scale_factor'] = self.loss_scale_factor
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if 'lr' in config:  # Keras 1/2 configs: silently renamed, as tf_keras does
            config['learning_rate'] = config.pop('lr')
        if isinstance(config.get('learning_rate'), dict):
            config['learning_rate'] = schedules.deserialize(config['learning_rate'],
                                                            custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return '<%s name=%r learning_rate=%r iterations=%d>' % (
            type(self).__name__, self.name, self.learning_rate, self.iterations)


class SGD(Optimizer):
    """``m = momentum*m - lr*g; p += m`` (nesterov: ``p += momentum*m - lr*g``)."""
    _rule_class = torch_rules.SGDRule
    _config_names = ('momentum', 'nesterov')

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True, name='SGD',
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError('`momentum` must be between [0, 1]. Received: momentum=%r'
                             % (momentum,))
        self.momentum = momentum
        self.nesterov = nesterov


class RMSprop(Optimizer):
    """``v = rho*v + (1-rho)*g²; p -= lr*g/sqrt(v + eps)`` (epsilon inside the sqrt)."""
    _rule_class = torch_rules.RMSpropRule
    _config_names = ('rho', 'momentum', 'epsilon', 'centered')
    _interleave_slots = False  # Keras builds all velocities, then momentums, then averages

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=100, jit_compile=True, name='RMSprop', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError('`momentum` must be between [0, 1]. Received: momentum=%r'
                             % (momentum,))
        self.rho = rho
        self.momentum = momentum
        self.epsilon = _resolve_epsilon(epsilon)
        self.centered = centered


class Adam(Optimizer):
    """``p -= lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps)`` (the epsilon-hat form)."""
    _rule_class = torch_rules.AdamRule
    _config_names = ('beta_1', 'beta_2', 'epsilon', 'amsgrad')

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name='Adam', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _resolve_epsilon(epsilon)
        self.amsgrad = amsgrad

    def _slot_passes(self, names):
        # Keras builds m, v per variable, then velocity_hat in a pass of its own
        if self._interleave_slots and 'velocity_hat' in names:
            return [('momentum', 'velocity'), ('velocity_hat',)]
        return super()._slot_passes(names)


class AdamW(Adam):
    """Adam with decoupled weight decay ``p -= p*wd*lr`` before each step (default 0.004)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name='AdamW', **kwargs):
        if weight_decay is None:
            raise ValueError('Argument `weight_decay` must be a float. Received: '
                             'weight_decay=None')
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, name=name, **kwargs)


class Adagrad(Optimizer):
    """``a += g²`` (a0 = 0.1); ``p -= lr*g/sqrt(a + eps)`` (epsilon inside the sqrt)."""
    _rule_class = torch_rules.AdagradRule
    _config_names = ('initial_accumulator_value', 'epsilon')

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name='Adagrad', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError('`initial_accumulator_value` must be non-negative. Received: '
                             'initial_accumulator_value=%r' % (initial_accumulator_value,))
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = _resolve_epsilon(epsilon)


class Adadelta(Optimizer):
    """``d = sqrt(Edx+eps)/sqrt(Eg+eps)*g; p -= lr*d`` with running averages Eg, Edx."""
    _rule_class = torch_rules.AdadeltaRule
    _config_names = ('rho', 'epsilon')

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, jit_compile=True,
                 name='Adadelta', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self.rho = rho
        self.epsilon = _resolve_epsilon(epsilon)


class Adamax(Optimizer):
    """``u = max(b2*u, |g|); p -= lr*m / ((1-b1^t)*(u+eps))``."""
    _rule_class = torch_rules.AdamaxRule
    _config_names = ('beta_1', 'beta_2', 'epsilon')

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name='Adamax', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _resolve_epsilon(epsilon)


class Nadam(Optimizer):
    """Nesterov Adam with the momentum schedule ``u_t = b1*(1 - 0.5*0.96^t)`` (tf_keras >= 2.11).

    ``schedule_decay=0.004`` (Keras 1/2) gives ``0.96^(0.004*t)`` instead.
    """
    _rule_class = torch_rules.NadamRule
    _config_names = ('beta_1', 'beta_2', 'epsilon')

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 jit_compile=True, name='Nadam', **kwargs):
        schedule_decay = kwargs.pop('schedule_decay', None)
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _resolve_epsilon(epsilon)
        self.schedule_decay = schedule_decay

    def _rule_hyperparameters(self):
        hyper = super()._rule_hyperparameters()
        hyper['momentum_decay'] = 1.0 if self.schedule_decay is None else self.schedule_decay
        hyper['per_variable_product'] = self.schedule_decay is None  # tf_keras 2.11+ behaviour
        return hyper

    _keras3_extra_variables = ('u_product',)

    def _variable_layout(self):
        return super()._variable_layout() + (['u_product'] if self.built else [])

    def keras_scalar(self, name):
        if name != 'u_product':
            return super().keras_scalar(name)
        # Keras 3's u_product gains one factor per step, whatever per_variable_product says
        group = self._torch.param_groups[0]
        product = 1.0
        for t in range(1, self.iterations + 1):
            product *= torch_rules.NadamRule._u(group, t)
        return product

    def get_config(self):
        config = super().get_config()
        if self.schedule_decay is not None:
            config['schedule_decay'] = self.schedule_decay
        return config


class Ftrl(Optimizer):
    """Follow-the-regularized-leader (McMahan et al., 2013) as tf_keras implements it."""
    _rule_class = torch_rules.FtrlRule
    _config_names = ('learning_rate_power', 'initial_accumulator_value',
                     'l1_regularization_strength', 'l2_regularization_strength',
                     'l2_shrinkage_regularization_strength', 'beta')

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, jit_compile=True, name='Ftrl', **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         use_ema=use_ema, ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         jit_compile=jit_compile, **kwargs)
        _check_ftrl_arguments(learning_rate_power, initial_accumulator_value,
                              l1_regularization_strength, l2_regularization_strength,
                              l2_shrinkage_regularization_strength)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta


def _check_ftrl_arguments(learning_rate_power, initial_accumulator_value, l1, l2, l2_shrinkage):
    if learning_rate_power > 0:
        raise ValueError('`learning_rate_power` needs to be negative or zero. Received: '
                         'learning_rate_power=%r' % (learning_rate_power,))
    for arg, value in (('initial_accumulator_value', initial_accumulator_value),
                       ('l1_regularization_strength', l1), ('l2_regularization_strength', l2),
                       ('l2_shrinkage_regularization_strength', l2_shrinkage)):
        if value < 0:
            raise ValueError('`%s` needs to be positive or zero. Received: %s=%r'
                             % (arg, arg, value))


class TorchOptimizer(Optimizer):
    """A ``torch.optim.Optimizer`` driven like a Keras optimizer.

    Given an instance, ``build`` does nothing (it already holds its parameters); given a class
    (and its keyword arguments), ``build(params)`` constructs it.  ``learning_rate`` reads and
    writes the param groups' ``lr``.
    """

    def __init__(self, optimizer, name=None, **torch_kwargs):
        if isinstance(optimizer, torch.optim.Optimizer):
            lr, torch_class = optimizer.param_groups[0].get('lr', 0.0), type(optimizer)
        elif isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
            torch_class = optimizer
            lr = torch_kwargs.get('lr', _default_lr(optimizer))
        else:
            raise TypeError('TorchOptimizer expects a torch.optim.Optimizer instance or class. '
                            'Received: optimizer=%r' % (optimizer,))
        super().__init__(learning_rate=float(lr), name=name or torch_class.__name__)
        self._torch_class, self._torch_kwargs = torch_class, dict(torch_kwargs)
        self._wrapped_iterations = 0
        self._wraps_instance = isinstance(optimizer, torch.optim.Optimizer)
        if self._wraps_instance:
            self._torch = optimizer
            self._params = [p for g in optimizer.param_groups for p in g['params']]
            self.built = True

    @property
    def iterations(self):
        return self._wrapped_iterations

    @iterations.setter
    def iterations(self, value):
        self._wrapped_iterations = int(value)

    def build(self, var_list):
        if self._wraps_instance:
            return  # the wrapped instance already holds its parameters
        params = _unique_parameters(var_list)
        if self._torch is None:
            self._torch = self._torch_class(params, **dict(self._torch_kwargs,
                                                           lr=self._learning_rate))
            self._params = params
        else:
            known = {id(p) for p in self._params}
            new = [p for p in params if id(p) not in known]
            if new:
                self._torch.add_param_group({'params': new})
                self._params += new
        self.built = True

    def step(self, closure=None):
        if self._torch is None:
            raise RuntimeError('%s has not been built: call `build(params)` before `step()`.'
                               % self.name)
        loss = self._torch.step(closure)
        self._wrapped_iterations += 1
        return loss

    def _variable_layout(self):
        layout = ['iteration', 'learning_rate']
        if self._torch is not None:
            for p in self._params:
                state = self._torch.state.get(p, {})
                layout += [(k, p) for k in sorted(state) if isinstance(state[k], torch.Tensor)]
        return layout

    def keras_variable_layout(self, weights, tf_keras=False):
        raise NotImplementedError('%s wraps a torch optimizer: its state has no Keras file '
                                  'layout.' % self.name)

    def get_config(self):
        return {'name': self.name, 'learning_rate': float(self.learning_rate)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        raise ValueError('A wrapped torch optimizer cannot be rebuilt from its config. '
                         'Received: config=%r' % (config,))


def _default_lr(torch_class):
    parameter = inspect.signature(torch_class).parameters.get('lr')
    default = None if parameter is None else parameter.default
    return default if isinstance(default, (int, float)) else 1e-3


def serialize(optimizer_instance):
    """``{'module', 'class_name', 'config', 'registered_name'}`` as tf_keras / Keras 3 write."""
    if optimizer_instance is None:
        return None
    if not hasattr(optimizer_instance, 'get_config'):
        raise TypeError('serialize() expects a torchkeras optimizer. Received: %r'
                        % (optimizer_instance,))
    return {'module': getattr(optimizer_instance, '_serialization_module', 'keras.optimizers'),
            'class_name': type(optimizer_instance).__name__,
            'config': optimizer_instance.get_config(), 'registered_name': None}


def _parameter_gradients(gradient, variable):
    """(gradient in torch layout, torch parameter) pairs for a Parameter or a Keras Weight."""
    tensors = getattr(variable, 'tensors', None)
    if tensors is None or isinstance(variable, torch.Tensor):
        return [(gradient, variable)]
    if gradient is None:
        return [(None, tensor) for tensor in tensors]
    gradient = torch.as_tensor(gradient, dtype=tensors[0].dtype, device=tensors[0].device)
    return list(zip(variable.layout.from_keras(gradient), tensors))
