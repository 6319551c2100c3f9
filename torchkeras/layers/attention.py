"""Attention layers: EinsumDense, MultiHeadAttention, Attention and AdditiveAttention.

``EinsumDense(equation, output_shape, bias_axes)`` is a dense layer written as an einsum of
the input with a kernel whose shape the equation decides (Keras's shape analysis, below).
``MultiHeadAttention`` is made of four EinsumDense sublayers (``query_dense``, ``key_dense``,
``value_dense``, ``output_dense``), as Keras builds it, so ``get_weights`` order, the weight
names and the Keras 3 file paths are Keras's; the attention itself is torch's
``scaled_dot_product_attention``.

Initializers use tf.keras 2's fans for the einsum kernels (Keras 3.15 computes them from the
equation's input and output axes instead; both are Glorot-uniform draws of another scale).
"""
import re

import torch
import torch.nn.functional as F

from torchkeras import activations
from torchkeras.layers.basic import kernel_bias_config
from torchkeras.layers.layer import Layer

__all__ = ['EinsumDense', 'MultiHeadAttention', 'Attention', 'AdditiveAttention']

_LARGE_NEGATIVE = -1e9  # Keras's masked-softmax adder for float32


# ------------------------------------------------------------------ einsum analysis
def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape), as Keras analyses the equation:
    ``"ab,bc->ac"``, ``"...b,bc->...c"`` (elided on the left) or ``"ab...,bc->ac..."``."""
    plain = re.sub(r'\.\.\.', '0', equation)
    for pattern, left in (('([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$', False),
                          ('0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$', True),
                          ('([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$', False)):
        match = re.match(pattern, plain)
        if match:
            return _analyze(match.groups(), bias_axes, list(input_shape), output_shape, left)
    raise ValueError("Invalid einsum equation '%s'. Equations must be in the form [X],[Y]->[Z], "
                     '...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....' % (equation,))


def _full_output_shape(input_shape, output_shape, elided, left_elided):
    full = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    full.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            full.insert(1, input_shape[i])
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided:])
    return full


def _analyze(specs, bias_axes, input_shape, output_shape, left_elided):
    input_spec, weight_spec, output_spec = specs
    elided = len(input_shape) - len(input_spec)
    full = _full_output_shape(input_shape, output_shape, elided, left_elided)
    offset = elided if left_elided else 0
    input_dims = {d: i + offset for i, d in enumerate(input_spec)}
    output_dims = {d: i + offset for i, d in enumerate(output_spec)}
    for dim in input_spec:
        expected = input_shape[input_dims[dim]]
        if dim in output_dims and full[output_dims[dim]] not in (None, expected):
            raise ValueError("Input shape and output shape do not match at shared dimension '%s'. "
                             'Input shape is %s, and output shape is %s.'
                             % (dim, input_shape[input_dims[dim]], full[output_dims[dim]]))
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError("Dimension '%s' was specified in the output '%s' but has no "
                             "corresponding dim in the input spec '%s' or weight spec '%s'"
                             % (dim, output_spec, input_spec, weight_spec))
    kernel = []
    for dim in weight_spec:
        if dim in output_dims:
            kernel.append(full[output_dims[dim]])
        elif dim in input_dims:
            kernel.append(input_shape[input_dims[dim]])
        else:
            raise ValueError("Weight dimension '%s' did not have a match in either the input "
                             "spec '%s' or the output spec '%s'. For this layer, the weight "
                             'must be fully specified.' % (dim, input_spec, output_spec))
    return kernel, _bias_shape(bias_axes, output_spec, full, offset, elided, left_elided), full


def _bias_shape(bias_axes, output_spec, full, offset, elided, left_elided):
    if bias_axes is None:
        return None
    for char in bias_axes:
        if char not in output_spec:
            raise ValueError("Bias dimension '%s' was requested, but is not part of the output "
                             "spec '%s'" % (char, output_spec))
    sizes = {char: full[i + offset] for i, char in enumerate(output_spec)}
    first = min(output_spec.find(char) for char in bias_axes)
    shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
    return shape + ([1] * elided if not left_elided else [])


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(equation, str) or '->' not in equation or ',' not in equation:
            raise ValueError("EinsumDense: `equation` must be an einsum string such as "
                             "'ab,bc->ac'. Received: equation=%r" % (equation,))
        if lora_rank:
            raise ValueError('EinsumDense: `lora_rank` (LoRA) is not supported by torchkeras. '
                             'Received: lora_rank=%r' % (lora_rank,))
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape):
        kernel_shape, bias_shape, _ = analyze_einsum(self.equation, self.bias_axes,
                                                     input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError('EinsumDense "%s": the kernel shape %s has unknown dimensions; the '
                             'input shape %s must define the axes the kernel spans.'
                             % (self.name, kernel_shape, tuple(input_shape)))
        self.kernel = torch.nn.Parameter(torch.empty(kernel_shape))
        self.track_weight('kernel', self, 'kernel', initializer=self.kernel_initializer,
                          regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.bias = torch.nn.Parameter(torch.empty(bias_shape))
            self.track_weight('bias', self, 'bias', initializer=self.bias_initializer,
                              regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def call(self, inputs):
        out = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        config = super().get_config()
        config.update(
            output_shape=self.partial_output_shape, equation=self.equation,
            activation=activations.serialize(self.activation), bias_axes=self.bias_axes,
            **kernel_bias_config(self))
        return config


# --------------------------------------------------------------- multi-head attention
def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError('MultiHeadAttention: `%s` must be a positive integer. Received: %s=%r'
                         % (name, name, value))
    return value


class MultiHeadAttention(Layer):
    """Keras's MultiHeadAttention on (batch, seq, features) inputs.

    ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``; the Keras masks of query, value and key (from an
    ``Embedding(mask_zero=True)``, say, or given as ``query_mask`` / ``value_mask`` /
    ``key_mask``) combine with ``attention_mask`` as in Keras: a position attends where every
    mask is true.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, sliding_window=None, seed=None, query_shape=None,
                 key_shape=None, value_shape=None, flash_attention=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self.num_heads = _positive(num_heads, 'num_heads')
        self.key_dim = _positive(key_dim, 'key_dim')
        self.value_dim = _positive(value_dim if value_dim is not None else key_dim, 'value_dim')
        if not 0 <= dropout < 1:
            raise ValueError('MultiHeadAttention: `dropout` must be in [0, 1). Received: '
                             'dropout=%r' % (dropout,))
        for name, value in (('use_gate', use_gate), ('sliding_window', sliding_window)):
            if value:
                raise ValueError('MultiHeadAttention: `%s` is not supported by torchkeras. '
                                 'Received: %s=%r' % (name, name, value))
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = output_shape
        self.attention_axes = attention_axes
        self.seed = seed
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint

    def _dense(self, equation, output_shape, bias_axes, name):
        return EinsumDense(equation, output_shape=output_shape,
                           bias_axes=bias_axes if self.use_bias else None, name=name,
                           kernel_initializer=self.kernel_initializer,
                           bias_initializer=self.bias_initializer,
                           kernel_regularizer=self.kernel_regularizer,
                           bias_regularizer=self.bias_regularizer,
                           kernel_constraint=self.kernel_constraint,
                           bias_constraint=self.bias_constraint)

    def build(self, query_shape, value_shape=None, key_shape=None):
        pending = getattr(self, '_pending_shapes', None) or [None, None]
        value_shape = value_shape if value_shape is not None else pending[0]
        key_shape = key_shape if key_shape is not None else pending[1]
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape) if value_shape is not None else query_shape
        key_shape = tuple(key_shape) if key_shape is not None else value_shape
        if len(query_shape) != 3 or self.attention_axes not in (None, 1, [1], (1,)):
            raise ValueError('MultiHeadAttention in torchkeras takes (batch, seq, features) '
                             'inputs attending over the sequence axis. Received: query shape '
                             '%s, attention_axes=%r' % (query_shape, self.attention_axes))
        heads = self.num_heads
        output = self._output_shape if self._output_shape is not None else query_shape[-1]
        output = (output,) if isinstance(output, int) else tuple(output)
        self.query_dense = self._dense('abc,cde->abde', (None, heads, self.key_dim), 'de',
                                       'query')
        self.key_dense = self._dense('abc,cde->abde', (None, heads, self.key_dim), 'de', 'key')
        self.value_dense = self._dense('abc,cde->abde', (None, heads, self.value_dim), 'de',
                                       'value')
        self.output_dense = self._dense('abcd,cde->abe', (None,) + output, 'e',
                                        'attention_output')
        for sub, shape in ((self.query_dense, query_shape), (self.key_dense, key_shape),
                           (self.value_dense, value_shape)):
            sub._maybe_build(shape)
        self.output_dense._maybe_build((None, query_shape[1], heads, self.value_dim))
        for sub in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            for weight in sub._own_weights:  # tf.keras names them mha/query/kernel:0
                weight.name_scope = '%s/%s' % (self.name, sub.name)

    # The base class builds a layer from its first argument; attention needs all three.
    def _build_from_call(self, args, kwargs):
        if self.built:
            return
        query, value, key = _query_value_key(args, kwargs)
        shapes = [None if t is None else (None,) + tuple(t.shape[1:]) for t in (value, key)]
        self._pending_shapes = shapes
        first = query if isinstance(query, torch.Tensor) else None
        self._maybe_build((None,) + tuple(query.shape[1:]),
                          first.device if first is not None else None)

    def _symbolic_call(self, args, kwargs):
        self._build_from_call(args, kwargs)
        return super()._symbolic_call(args, kwargs)

    def _eager_call(self, args, kwargs):
        self._build_from_call(args, kwargs)
        return super()._eager_call(args, kwargs)

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None,
             key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, mask=None):
        value = query if value is None else value
        key = value if key is None else key
        if value_mask is None:
            value_mask = getattr(value, '_keras_mask', None)
        if key_mask is None:
            key_mask = getattr(key, '_keras_mask', None)
        q = self.query_dense(query).transpose(1, 2)   # (batch, heads, T, key_dim)
        k = self.key_dense(key).transpose(1, 2)       # (batch, heads, S, key_dim)
        v = self.value_dense(value).transpose(1, 2)   # (batch, heads, S, value_dim)
        masks = _attention_mask(query_mask if query_mask is not None else mask, value_mask,
                                key_mask, attention_mask, use_causal_mask, q.shape[2], k.shape[2],
                                q.device)
        rate = self.dropout if training else 0.0
        if return_attention_scores:
            out, scores = _attention_with_scores(q, k, v, masks, rate, self.key_dim)
        else:
            adder = None if masks is None else (~masks).to(q.dtype).mul(_LARGE_NEGATIVE)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=adder, dropout_p=rate,
                                                 scale=self.key_dim ** -0.5)
        out = self.output_dense(out.transpose(1, 2))  # (batch, T, heads, value_dim) -> out
        return (out, scores) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return mask  # the query's mask, as Keras

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim,
                      dropout=self.dropout, use_bias=self.use_bias,
                      output_shape=self._output_shape, attention_axes=self.attention_axes,
                      seed=self.seed)
        config.update(kernel_bias_config(self))
        return config


def _query_value_key(args, kwargs):
    query = args[0] if args else kwargs.get('query')
    value = args[1] if len(args) > 1 else kwargs.get('value')
    key = args[2] if len(args) > 2 else kwargs.get('key')
    return query, value, key


def _attention_mask(query_mask, value_mask, key_mask, attention_mask, causal, length, source,
                    device):
    """The boolean (batch or 1, 1, T, S) mask of Keras's _compute_attention_mask, or None."""
    mask = None

    def both(a, b):
        return b if a is None else a & b
    if query_mask is not None:
        mask = both(mask, query_mask.bool()[:, :, None])
    for extra in (value_mask, key_mask):
        if extra is not None:
            mask = both(mask, extra.bool()[:, None, :])
    if causal:
        rows = torch.arange(length, device=device)[:, None]
        cols = torch.arange(source, device=device)[None, :]
        mask = both(mask, (rows >= cols)[None])
    if attention_mask is not None:
        mask = both(mask, torch.as_tensor(attention_mask, device=device).bool())
    return None if mask is None else mask.unsqueeze(1)  # a heads axis


def _attention_with_scores(q, k, v, mask, rate, key_dim):
    """Attention written out, for ``return_attention_scores`` (SDPA does not return them)."""
    scores = torch.matmul(q * key_dim ** -0.5, k.transpose(-1, -2))
    if mask is not None:
        scores = scores + (~mask).to(scores.dtype) * _LARGE_NEGATIVE
    scores = torch.softmax(scores, dim=-1)
    probs = F.dropout(scores, rate) if rate else scores
    return torch.matmul(probs, v), scores


# ------------------------------------------------------- dot-product and additive attention
class Attention(Layer):
    """Keras's dot-product attention: ``layer([query, value(, key)])``.

    Scores are ``query @ key^T`` (times a learned scalar ``scale`` with ``use_scale``), or
    with ``score_mode='concat'`` ``concat_score_weight * sum(tanh(scale * (q + k)), -1)``;
    masked value steps get ``-1e9``, the softmax weights ``value``, and masked query steps
    give zeros.  ``return_attention_scores`` also returns the weights.
    """

    def __init__(self, use_scale=False, score_mode='dot', dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ('dot', 'concat'):
            raise ValueError("Attention: `score_mode` must be 'dot' or 'concat'. Received: "
                             'score_mode=%r' % (score_mode,))
        if not 0 <= dropout < 1:
            raise ValueError('Attention: `dropout` must be in [0, 1). Received: dropout=%r'
                             % (dropout,))
        self.supports_masking = True
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed

    def build(self, input_shape):
        _check_attention_inputs(self, input_shape)
        self.scale = self.add_weight('scale', (), initializer='ones') if self.use_scale else None
        self.concat_score_weight = (self.add_weight('concat_score_weight', (),
                                                    initializer='ones')
                                    if self.score_mode == 'concat' else None)

    def _scores(self, query, key):
        if self.score_mode == 'dot':
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores * self.scale if self.scale is not None else scores
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.sum(torch.tanh(summed), dim=-1)

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = _unpack_attention(self, inputs)
        query_mask, value_mask = (list(mask) + [None, None])[:2] if mask is not None \
            else (None, None)
        scores = self._scores(query, key)
        keep = None if value_mask is None else value_mask.bool().unsqueeze(-2)
        if use_causal_mask:
            causal = torch.tril(torch.ones(scores.shape[-2:], dtype=torch.bool,
                                           device=scores.device))
            keep = causal if keep is None else keep & causal
        if keep is not None:
            scores = scores - 1e9 * (~keep).to(scores.dtype)
        weights = torch.softmax(scores, dim=-1)
        dropped = F.dropout(weights, self.dropout) if training and self.dropout else weights
        result = torch.matmul(dropped, value)
        if query_mask is not None:
            result = result * query_mask.unsqueeze(-1).to(result.dtype)
        return (result, weights) if return_attention_scores else result

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return mask[0]  # the query's mask, as Keras

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode,
                      dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Bahdanau-style attention: scores ``sum(scale * tanh(q + k), -1)``, ``scale`` a learned
    vector of the feature size (with ``use_scale``, the default)."""

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        kwargs.pop('score_mode', None)
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        _check_attention_inputs(self, input_shape)
        dim = input_shape[0][-1]
        self.scale = (self.add_weight('scale', (dim,), initializer='glorot_uniform')
                      if self.use_scale else None)

    def _scores(self, query, key):
        summed = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is not None:
            summed = self.scale * summed
        return torch.sum(summed, dim=-1)

    def get_config(self):
        config = super().get_config()
        del config['score_mode']
        return config


def _check_attention_inputs(layer, input_shape):
    if not (isinstance(input_shape, (list, tuple)) and input_shape and
            isinstance(input_shape[0], (list, tuple)) and 2 <= len(input_shape) <= 3):
        raise ValueError('%s layer must be called on a list of inputs, namely [query, value] '
                         'or [query, value, key]. Received: input shape %s'
                         % (type(layer).__name__, input_shape))


def _unpack_attention(layer, inputs):
    if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
        raise ValueError('%s layer must be called on a list of inputs, namely [query, value] '
                         'or [query, value, key].' % type(layer).__name__)
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) == 3 else value
    return query, value, key
