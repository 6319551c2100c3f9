"""``model.compile()``: resolve the optimizer, one loss per output, loss weights and metrics.

What compile accepts, as tf.keras 2 does (KERAS_FACTS 5.4, 5.5):

- ``loss``: a name, a function, a ``losses.Loss``, a torch loss module, or one of those per
  output as a list (in output order) or a dict keyed by output name.  A single loss applies
  to every output; outputs missing from a dict get no loss (and no ``<out>_loss`` key).
  A model whose outputs are a dict is addressed by that dict's keys (in ``loss``,
  ``loss_weights``, ``metrics`` and the ``y`` / ``sample_weight`` dicts) while History names
  its outputs by their layer names, as tf.keras does; a subclassed model returning a dict
  is named by its keys (``cls_loss``).
- ``loss_weights``: a list or dict of floats (default 1.0 each).
- ``metrics`` / ``weighted_metrics``: a flat list applies to every output (tf.keras
  broadcasts it; Keras 3 would raise), a list of lists gives each output its own, a dict
  is keyed by output name.  Metrics are unweighted; only ``weighted_metrics`` see sample
  and class weights.
- ``optimizer``: a name, a Keras optimizer, a ``torch.optim`` optimizer (wrapped) or a config.

'accuracy' / 'acc' / 'crossentropy' depend on the target and prediction shapes, so they
are resolved at the first batch (``CompileConfig.resolve_metrics``); every other name is
resolved, and so checked, here.  History names: ``<metric>`` for a single output,
``<output>_<metric>`` otherwise, in tf.keras's insertion order: loss, per-output losses,
then per output its metrics followed by its weighted metrics (``weighted_<name>`` when
the name is also an unweighted metric of that output).  The metric objects take those names
(``model.metrics`` lists ``c_accuracy``), as tf.keras renames them.
"""
import copy
import warnings

from torchkeras import config
from torchkeras import losses as losses_module
from torchkeras import metrics as metrics_module
from torchkeras import mixed_precision, optimizers

__all__ = ['compile', 'CompileConfig', 'OutputSpec', 'output_names_of', 'output_keys_of',
           'check_target_shape']

# 'accuracy' and friends need the shapes of the first batch.
_SHAPE_DEPENDENT = ('accuracy', 'acc', 'crossentropy', 'ce')

# compile() arguments of older Keras versions that have no effect here.
_IGNORED_KWARGS = ('experimental_run_tf_function', 'distribute', 'target_tensors', 'options',
                   'pss_evaluation_shards', 'auto_scale_loss')

# Losses for which a fused torch kernel computes exactly the Keras value from the logits
# of a final softmax / sigmoid (DESIGN.md: F.cross_entropy on logits).
_FUSED_KINDS = {
    'sparse_categorical_crossentropy': 'sparse_ce',
    'categorical_crossentropy': 'categorical_ce',
    'binary_crossentropy': 'binary_ce',
}
_FUSED_LOGIT_KIND = {'sparse_ce': 'softmax', 'categorical_ce': 'softmax', 'binary_ce': 'sigmoid'}


class OutputSpec:
    """What is computed for one model output: its loss, loss weight and metrics."""

    def __init__(self, name, index, loss, loss_weight, metric_ids, weighted_metric_ids,
                 key=None):
        self.name = name                    # History names: '<name>_loss'
        self.key = name if key is None else key  # how compile / data dicts address it
        self.index = index
        self.loss = loss                    # a losses.Loss instance, or None
        self.loss_weight = float(loss_weight)
        self.metric_ids = list(metric_ids)  # identifiers; shape-dependent ones kept as str
        self.weighted_metric_ids = list(weighted_metric_ids)
        self.fused = _fused_kind(loss)      # 'sparse_ce' / 'categorical_ce' / 'binary_ce'
        self.fused_logits = _FUSED_LOGIT_KIND.get(self.fused)  # the activation it needs
        self.sparse_targets = _loss_function_name(loss) == 'sparse_categorical_crossentropy'


class CompileConfig:
    """Everything ``compile`` resolved; the trainer reads it (``model._compile_config``)."""

    def __init__(self, optimizer, loss, loss_weights, metrics, weighted_metrics):
        self.optimizer = optimizer
        self.loss_scale_optimizer = None
        self.raw = dict(loss=loss, loss_weights=loss_weights, metrics=metrics,
                        weighted_metrics=weighted_metrics)
        self.outputs = None        # list of OutputSpec once the output names are known
        self.metric_entries = None  # [(log name, output index, Metric, weighted)] once resolved

    @property
    def conformed(self):
        return self.outputs is not None

    def conform(self, output_names, output_keys=None):
        """Map loss / loss_weights / metrics onto the outputs (errors name the bad entry).
        Dicts are keyed by ``output_keys`` (the keys of dict outputs), default the names."""
        raw = self.raw
        keys = _OutputKeys(output_keys or output_names, output_names)
        loss_list = _per_output(raw['loss'], keys, 'loss', _is_single_loss)
        weights = _per_output(raw['loss_weights'], keys, 'loss_weights',
                              lambda v: isinstance(v, (int, float)) and len(keys) == 1)
        metric_lists = _per_output_metrics(raw['metrics'], keys, 'metrics')
        weighted_lists = _per_output_metrics(raw['weighted_metrics'], keys, 'weighted_metrics')
        with config.fresh_name_uids():  # tf.keras: 'AUC' is 'auc' in every compile
            metric_lists = [_resolve_static(ids) for ids in metric_lists]
            weighted_lists = [_resolve_static(ids) for ids in weighted_lists]
        self.outputs = [
            OutputSpec(name, k, _as_loss(loss_list[k], name),
                       1.0 if weights[k] is None else weights[k],
                       metric_lists[k], weighted_lists[k], key=keys[k])
            for k, name in enumerate(output_names)]
        if all(spec.loss is None for spec in self.outputs) and raw['loss'] is not None:
            raise ValueError('No loss was given for any output. Received: loss=%r for outputs '
                             '%s' % (raw['loss'], output_names))

    @property
    def multi_output(self):
        return len(self.outputs) > 1

    def _log_name(self, spec, base, weighted, unweighted_names):
        if weighted and base in unweighted_names:
            base = 'weighted_' + base
        return '%s_%s' % (spec.name, base) if self.multi_output else base

    def resolve_metrics(self, y_shapes, pred_shapes):
        """Turn every identifier into a Metric, using the first batch's shapes (an output
        without targets in that batch resolves 'accuracy' from its loss), and give each
        metric its History name."""
        for spec in self.outputs:
            shapes = (y_shapes[spec.index], pred_shapes[spec.index], spec.loss)
            spec.metric_ids = [_resolve(i, *shapes) for i in spec.metric_ids]
            spec.weighted_metric_ids = [_resolve(i, *shapes) for i in spec.weighted_metric_ids]
        entries = []
        for spec in self.outputs:  # tf.keras: per output, its metrics then weighted ones
            taken = [_base_name(m) for m in spec.metric_ids]
            for weighted in (False, True):
                for metric in spec.weighted_metric_ids if weighted else spec.metric_ids:
                    entries.append((self._log_name(spec, _base_name(metric), weighted, taken),
                                    spec.index, metric, weighted))
        _check_unique_names(entries)
        for name, _, metric, _ in entries:
            _rename(metric, name)
        self.metric_entries = entries


def _base_name(metric):
    """The metric's own name, before compile prefixed it with its output's name."""
    return getattr(metric, '_keras_base_name', metric.name)


def _rename(metric, log_name):
    # tf.keras renames the metric objects themselves ('c_accuracy' in model.metrics); the
    # base name is kept so a metric object compiled again is not prefixed twice.
    if log_name != metric.name:
        metric._keras_base_name = _base_name(metric)
        metric.name = log_name


def _check_unique_names(entries):
    """tf.keras refuses two metrics with one History name (one would hide the other)."""
    seen = set()
    for name, _, _, weighted in entries:
        if name in seen:
            raise ValueError('Found two %smetrics with the same name: %s. All the metrics '
                             'added to the model need to have unique names.'
                             % ('weighted ' if weighted else '', name))
        seen.add(name)


def compile(model, optimizer='rmsprop', loss=None, metrics=None, loss_weights=None,
            weighted_metrics=None, run_eagerly=None, steps_per_execution=None,
            jit_compile=None, sample_weight_mode=None, **kwargs):
    """Configure ``model`` for training (``model.compile``); see the module docstring."""
    _check_kwargs(kwargs)
    if run_eagerly and jit_compile:
        raise ValueError('You cannot enable `run_eagerly` and `jit_compile` at the same time. '
                         'Received: run_eagerly=%r, jit_compile=%r' % (run_eagerly, jit_compile))
    optimizer = optimizers.get(optimizer)
    loss_scaling = optimizer if isinstance(optimizer, mixed_precision.LossScaleOptimizer) \
        else None
    config = CompileConfig(optimizer if loss_scaling is None else loss_scaling.inner_optimizer,
                           loss, loss_weights, metrics, weighted_metrics)
    config.loss_scale_optimizer = loss_scaling  # fit scales the loss with its settings
    _check_loss_identifiers(loss)
    names = output_names_of(model)
    if names is not None:
        config.conform(names, output_keys_of(model))
    config.policy = mixed_precision.global_policy()
    model.optimizer = config.optimizer if loss_scaling is None else loss_scaling
    model.loss = loss
    model.compiled_loss = loss
    model._compile_config = config
    model._training_state = None  # a new compile starts new metrics and step functions
    # Settable model attributes, as in tf.keras (the trainer reads them at each call).
    model.run_eagerly = run_eagerly
    model.jit_compile = jit_compile
    model.steps_per_execution = steps_per_execution  # validated there
    model.compiled = True
    return None


def steps_per_execution_or_one(value):
    """tf.keras: ``steps_per_execution or 1``; 'auto' tunes it there and is 1 here."""
    if value is None or value == 'auto' or value is False:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError('Expected steps_per_execution to be a positive integer (or "auto"). '
                         'Received: steps_per_execution=%r' % (value,))
    return value or 1


def output_names_of(model):
    """The model's output names, or None while they are unknown (subclassed models)."""
    if getattr(model, '_is_sequential', False) and getattr(model, '_input', None) is None:
        stack = getattr(model, '_stack', [])
        return [stack[-1].name] if stack else None
    names = getattr(model, 'output_names', None)
    if names:
        return list(names)
    return None


def output_keys_of(model):
    """How compile and data dicts address each output: a functional model built with a
    dict of outputs is addressed by that dict's keys (tf.keras maps ``loss`` and ``y`` onto
    the structure of the outputs), any other model by its output names."""
    nested = getattr(model, '_nested_outputs', None)
    if isinstance(nested, dict) and getattr(model, '_execution', None) is not None:
        key_of = {id(tensor): key for key, tensor in nested.items()}
        return [key_of[id(tensor)] for tensor in model.outputs]
    return output_names_of(model)


def check_target_shape(output_name, loss, y_shape, out_shape):
    """Raise a clear ValueError when targets of ``y_shape`` cannot fit the loss of an output
    of ``out_shape`` (None = unknown dims)."""
    if loss is None or y_shape is None or out_shape is None:
        return
    y_shape, out_shape = tuple(y_shape), tuple(out_shape)
    name = _loss_function_name(loss) or type(loss).__name__
    if name == 'sparse_categorical_crossentropy':
        ok = len(y_shape) == len(out_shape) - 1 or (
            len(y_shape) == len(out_shape) and y_shape[-1] == 1)
        if not ok:
            raise ValueError(
                'A target array with shape %s was passed for output "%s" of shape %s while '
                'using as loss `%s`. This loss expects integer class ids of shape %s or %s. '
                'Use `categorical_crossentropy` for one-hot targets.'
                % (y_shape, output_name, out_shape, name, (None,) + out_shape[1:-1],
                   (None,) + out_shape[1:-1] + (1,)))
        return
    fn = getattr(loss, 'fn', None)
    if getattr(fn, '__module__', None) != losses_module.__name__:
        return  # custom losses and torch modules have their own target conventions
    exact = name in ('categorical_crossentropy', 'binary_crossentropy', 'kl_divergence',
                     'categorical_hinge', 'poisson')
    if not _shapes_compatible(y_shape[1:], out_shape[1:], exact):
        raise ValueError(
            'A target array with shape %s was passed for output "%s" of shape %s while using '
            'as loss `%s`. This loss expects targets to have the same shape as the output.'
            % (y_shape, output_name, out_shape, name))


# ------------------------------------------------------------------------ helpers

def _check_kwargs(kwargs):
    unknown = [k for k in kwargs if k not in _IGNORED_KWARGS]
    if unknown:
        raise TypeError('Invalid keyword argument(s) in `compile()`: %s. Valid keyword arguments '
                        'include "optimizer", "loss", "metrics", "loss_weights", '
                        '"weighted_metrics", "run_eagerly", "steps_per_execution" or '
                        '"jit_compile".' % (sorted(unknown),))
    for key in kwargs:
        warnings.warn('compile(%s=...) has no effect in torchkeras and is ignored.' % key,
                      stacklevel=4)


def _is_single_loss(value):
    return not isinstance(value, (list, tuple, dict)) or (
        isinstance(value, dict) and 'class_name' in value)


class _OutputKeys(list):
    """The keys that address the outputs in compile dicts, with the outputs' names (which
    differ for a model with dict outputs) for the error messages."""

    def __init__(self, keys, names):
        super().__init__(keys)
        self.names = list(names)

    def unknown_entries(self, argname, unknown):
        by_keys = self.names != list(self)
        hint = ''
        if by_keys and all(k in self.names for k in unknown):
            hint = (' The model returns a dict of outputs: address them by its keys, not by '
                    'the output layer names %s, as in tf.keras.' % self.names)
        return ValueError('Unknown entries in %s dictionary: %s. Only expected the model '
                          'output %s: %s.%s' % (argname, unknown, 'keys' if by_keys else 'names',
                                                list(self), hint))


def _per_output(value, names, argname, is_single):
    """A single value, a list in output order or a dict by output key -> one per output."""
    if value is None:
        return [None] * len(names)
    if is_single(value):
        return [value] * len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise names.unknown_entries(argname, unknown)
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError('When passing a list as %s, it should have one entry per model '
                             'output. The model has %d output(s) %s, but you passed %s=%r'
                             % (argname, len(names), names, argname, value))
        return list(value)
    raise TypeError('Expected `%s` to be a single value, a list or a dict. Received: %s=%r'
                    % (argname, argname, value))


def _per_output_metrics(value, names, argname):
    """tf.keras: a flat list goes to every output; a list of lists or a dict per output."""
    if value is None:
        return [[] for _ in names]
    if isinstance(value, dict):
        per = _per_output(value, names, argname, lambda v: False)
        return [_to_list(v) for v in per]
    if isinstance(value, (list, tuple)):
        if len(names) > 1 and len(value) == len(names) and \
                any(isinstance(v, (list, tuple)) for v in value):
            return [_to_list(v) for v in value]
        return [list(value)] + [_copy_metrics(value) for _ in names[1:]]
    return [[value]] + [[_copy_metric(value)] for _ in names[1:]]


def _to_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _copy_metric(identifier):
    # A Metric object broadcast to several outputs needs its own state per output.
    if isinstance(identifier, metrics_module.Metric):
        return copy.deepcopy(identifier)
    return identifier


def _copy_metrics(values):
    return [_copy_metric(v) for v in values]


def _check_loss_identifiers(loss):
    """Unknown loss names fail here, even before the output names are known."""
    for value in (loss.values() if isinstance(loss, dict) and 'class_name' not in loss
                  else loss if isinstance(loss, (list, tuple)) else [loss]):
        if value is not None:
            losses_module.get(value)


def _as_loss(identifier, output_name):
    """Any loss identifier -> a ``losses.Loss`` instance (functions are wrapped)."""
    if identifier is None:
        return None
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    if callable(loss):
        return losses_module.LossFunctionWrapper(loss, name=getattr(loss, '__name__', None))
    raise ValueError('Could not interpret the loss for output "%s". Received: loss=%r'
                     % (output_name, identifier))


def _loss_function_name(loss):
    fn = getattr(loss, 'fn', None)
    return getattr(fn, '__name__', None)


def _fused_kind(loss):
    """Which fused torch kernel can compute this loss (exact Keras value), if any."""
    if type(loss) not in (losses_module.LossFunctionWrapper,
                          losses_module.CategoricalCrossentropy,
                          losses_module.SparseCategoricalCrossentropy,
                          losses_module.BinaryCrossentropy):
        return None
    if loss.reduction not in ('sum_over_batch_size', 'auto'):
        return None
    kwargs = dict(loss._fn_kwargs)
    defaults = {'from_logits': False, 'label_smoothing': 0.0, 'axis': -1, 'ignore_class': None}
    if any(kwargs.get(k, v) != v for k, v in defaults.items()) or \
            set(kwargs) - set(defaults):
        return None
    return _FUSED_KINDS.get(_loss_function_name(loss))


def _is_shape_dependent(identifier):
    return isinstance(identifier, str) and identifier.lower() in _SHAPE_DEPENDENT


def _resolve_static(identifiers):
    """Resolve (and so validate) every metric that does not depend on shapes."""
    out = []
    for identifier in identifiers:
        if identifier is None:
            continue
        out.append(identifier if _is_shape_dependent(identifier)
                   else metrics_module.get(identifier))
    return out


def _resolve(identifier, y_shape, pred_shape, loss):
    if isinstance(identifier, metrics_module.Metric):
        return identifier
    return metrics_module.get(identifier, y_true_shape=y_shape, y_pred_shape=pred_shape,
                              loss=loss)


def _shapes_compatible(target, output, exact):
    """Per-sample shapes: equal where known, or one trailing 1 on either side."""
    if len(target) == len(output) - 1 and output[-1] == 1:
        target = tuple(target) + (1,)
    if len(output) == len(target) - 1 and target[-1] == 1:
        output = tuple(output) + (1,)
    if len(target) != len(output):
        return False
    for t, o in zip(target, output):
        if t is None or o is None or t == o:
            continue
        if not exact and (t == 1 or o == 1):
            continue  # broadcasting losses (mse against a (N, 1) target) are allowed
        return False
    return True
