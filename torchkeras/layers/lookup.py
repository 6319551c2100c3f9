"""Vocabulary layers: StringLookup, IntegerLookup and TextVectorization (Keras 3's).

Tokens map to indices laid out as Keras lays them out: the mask token (when there is one) at
0, then the out-of-vocabulary index, then the vocabulary.  ``adapt(data)`` orders the
vocabulary by frequency, ties by the token in descending order (Keras's ``lexsort``), and
keeps at most ``max_tokens`` entries, the special ones included.  ``output_mode`` 'int'
gives indices; 'one_hot', 'multi_hot', 'count' and 'tf_idf' give vectors over the vocabulary
(the mask left out), TF-IDF weights being ``log(1 + documents / (1 + document frequency))``
and the out-of-vocabulary weight their mean.

Strings are not torch tensors: these layers take lists or NumPy arrays of strings (or
integers) and return torch tensors (int64, float32 for 'tf_idf'); ``invert=True`` returns a
NumPy array of tokens.  They are called eagerly (in a data pipeline or before a model), not on
symbolic string inputs.
"""
import collections
import math
import re

import numpy as np
import torch

from torchkeras.layers.layer import Layer
from torchkeras.layers.preprocessing import category_counts

__all__ = ['StringLookup', 'IntegerLookup', 'TextVectorization']

_OUTPUT_MODES = ('int', 'one_hot', 'multi_hot', 'count', 'tf_idf')
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')


def _tokens_array(data):
    """Inputs as a NumPy array of Python tokens (strings decoded, tensors to NumPy)."""
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    array = np.asarray(data, dtype=object)
    return np.vectorize(lambda t: t.decode('utf-8') if isinstance(t, bytes) else t,
                        otypes=[object])(array) if array.size else array


class _IndexLookup(Layer):
    """The lookup table shared by StringLookup and IntegerLookup."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode='int',
                 pad_to_max_tokens=False, sparse=False, vocabulary_dtype=None, encoding='utf-8',
                 **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if output_mode not in _OUTPUT_MODES:
            raise ValueError('%s: `output_mode` must be one of %s. Received: output_mode=%r'
                             % (kind, ', '.join(repr(m) for m in _OUTPUT_MODES), output_mode))
        if num_oov_indices not in (0, 1):
            raise ValueError('%s: torchkeras supports `num_oov_indices` 0 or 1 (more are hashed '
                             'buckets in Keras). Received: num_oov_indices=%r'
                             % (kind, num_oov_indices))
        if invert and output_mode != 'int':
            raise ValueError("%s: `invert=True` needs output_mode='int'. Received: "
                             'output_mode=%r' % (kind, output_mode))
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.pad_to_max_tokens, self.sparse = pad_to_max_tokens, sparse
        self.vocabulary_dtype, self.encoding = vocabulary_dtype, encoding
        self._vocabulary = None
        self.idf_weights = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---------------------------------------------------------------- the vocabulary
    def _special_tokens(self):
        special = [self.mask_token] if self.mask_token is not None else []
        return special + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary, idf_weights=None):
        if isinstance(vocabulary, str):  # a file, one token per line
            with open(vocabulary, encoding=self.encoding) as f:
                vocabulary = [line.rstrip('\n') for line in f]
        tokens = [self._token(t) for t in np.asarray(vocabulary, dtype=object).reshape(-1)]
        if len(set(tokens)) != len(tokens):
            raise ValueError('%s: the vocabulary has repeated tokens: %s'
                             % (type(self).__name__, sorted({t for t in tokens
                                                             if tokens.count(t) > 1})))
        if self.output_mode == 'tf_idf' and idf_weights is None:
            raise ValueError("%s: output_mode='tf_idf' with a given vocabulary needs "
                             '`idf_weights`.' % type(self).__name__)
        self._vocabulary = tokens
        self.idf_weights = None if idf_weights is None else np.asarray(idf_weights, 'float32')
        self._index = {token: i for i, token in enumerate(self._table())}

    def _token(self, token):
        return token

    def _table(self):
        """Every token at its index: the special tokens, then the vocabulary."""
        return self._special_tokens() + (self._vocabulary or [])

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens by index, as Keras lists them (without the mask token outside 'int'
        mode, since the vectors have no column for it)."""
        if self._vocabulary is None:
            return []
        if not include_special_tokens:
            return list(self._vocabulary)
        table = self._table()
        return table[1:] if self.mask_token is not None and self.output_mode != 'int' else table

    def vocabulary_size(self):
        return len(self.get_vocabulary())

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and TF-IDF weights) from ``data``, one document a row."""
        self.learn(self._documents(data))

    def _documents(self, data):
        """Token lists, one per row of ``data`` (a 1-D array: one token per document)."""
        array = _tokens_array(data)
        rows = array.reshape(len(array), -1) if array.ndim > 1 else array.reshape(-1, 1)
        return [[self._token(t) for t in row] for row in rows]

    def learn(self, documents):
        """The vocabulary of token lists: by frequency, ties by token (descending)."""
        counts, frequencies = collections.Counter(), collections.Counter()
        for tokens in documents:
            counts.update(tokens)
            frequencies.update(set(tokens))
        for special in self._special_tokens():
            counts.pop(special, None)
        order = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            order = order[:max(self.max_tokens - len(self._special_tokens()), 0)]
        idf = None
        if self.output_mode == 'tf_idf':
            idf = [math.log(1.0 + len(documents) / (1.0 + frequencies[t])) for t in order]
        self.set_vocabulary(order, idf)

    # --------------------------------------------------------------------- calling
    def _require_vocabulary(self):
        if self._vocabulary is None:
            raise ValueError('%s "%s" has no vocabulary: pass `vocabulary=` or call '
                             '`adapt(data)` first.' % (type(self).__name__, self.name))

    def call(self, inputs):
        self._require_vocabulary()
        if self.invert:
            return self._invert(inputs)
        return self._encode(self._lookup(_tokens_array(inputs)))

    def _lookup(self, tokens):
        oov = self._special_tokens().index(self.oov_token) if self.num_oov_indices else None

        def index(token):
            found = self._index.get(self._token(token))
            if found is None:
                if oov is None:
                    raise ValueError('%s: %r is not in the vocabulary and num_oov_indices=0.'
                                     % (type(self).__name__, token))
                return oov
            return found
        if tokens.size == 0:
            return torch.zeros(tokens.shape, dtype=torch.int64)
        return torch.as_tensor(np.vectorize(index, otypes=[np.int64])(tokens))

    def _invert(self, indices):
        vocabulary = np.asarray(self._table(), dtype=object)
        indices = torch.as_tensor(indices).long().numpy()
        return vocabulary[np.clip(indices, 0, len(vocabulary) - 1)]

    def _encode(self, indices):
        """Indices -> the output mode's vectors over the vocabulary (the mask left out)."""
        if self.output_mode == 'int':
            return indices
        offset = 1 if self.mask_token is not None else 0
        size = (self.max_tokens - offset if self.pad_to_max_tokens and self.max_tokens
                else self.vocabulary_size())
        if indices.dim() == 0 or (self.output_mode == 'one_hot' and indices.shape[-1:] != (1,)):
            indices = indices.unsqueeze(-1)
        counts = category_counts((indices - offset).clamp(min=0), size,
                                 weights=indices >= offset)  # the mask's id counts 0
        if self.output_mode in ('one_hot', 'multi_hot'):
            return (counts > 0).to(torch.int64)
        if self.output_mode == 'count':
            return counts.to(torch.int64)
        return counts * torch.as_tensor(self._idf_vector(size, offset))

    def _idf_vector(self, size, offset):
        """The TF-IDF weight of each output column: the OOV one is the vocabulary's mean."""
        idf = np.zeros(size, dtype='float32')
        weights = self.idf_weights if self.idf_weights is not None else np.zeros(0, 'float32')
        specials = len(self._special_tokens()) - offset
        idf[specials:specials + len(weights)] = weights
        if self.num_oov_indices and len(weights):
            idf[:specials] = weights.mean()
        return idf

    def get_config(self):
        config = super().get_config()
        config.update(max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices,
                      mask_token=self.mask_token, oov_token=self.oov_token,
                      vocabulary=None if self._vocabulary is None else list(self._vocabulary),
                      idf_weights=(None if self.idf_weights is None
                                   else self.idf_weights.tolist()),
                      invert=self.invert, output_mode=self.output_mode,
                      pad_to_max_tokens=self.pad_to_max_tokens, sparse=self.sparse,
                      vocabulary_dtype=self.vocabulary_dtype)
        return config


class StringLookup(_IndexLookup):
    """Strings -> indices (or vectors): ``[UNK]`` is the out-of-vocabulary token."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token='[UNK]',
                 vocabulary=None, idf_weights=None, invert=False, output_mode='int',
                 pad_to_max_tokens=False, sparse=False, encoding='utf-8', **kwargs):
        kwargs.pop('vocabulary_dtype', None)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, 'string',
                         encoding, **kwargs)

    def _token(self, token):
        return token.decode(self.encoding) if isinstance(token, bytes) else str(token)


class IntegerLookup(_IndexLookup):
    """Integers -> indices (or vectors): -1 is the out-of-vocabulary token."""

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype='int64', idf_weights=None, invert=False,
                 output_mode='int', sparse=False, pad_to_max_tokens=False, **kwargs):
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse,
                         vocabulary_dtype, **kwargs)

    def _token(self, token):
        return int(token)


# ---------------------------------------------------------------------- TextVectorization
def _standardize(texts, standardize):
    if standardize is None:
        return texts
    if callable(standardize):
        return [standardize(t) for t in texts]
    if standardize in ('lower', 'lower_and_strip_punctuation'):
        texts = [t.lower() for t in texts]
    if standardize in ('strip_punctuation', 'lower_and_strip_punctuation'):
        texts = [_PUNCTUATION.sub('', t) for t in texts]
    return texts


def _split(text, split):
    if split is None:
        return [text]
    if callable(split):
        return list(split(text))
    return list(text) if split == 'character' else text.split()


def _ngrams(tokens, ngrams):
    if ngrams is None:
        return tokens
    sizes = range(1, ngrams + 1) if isinstance(ngrams, int) else ngrams
    return [' '.join(tokens[i:i + n]) for n in sizes for i in range(len(tokens) - n + 1)]


class TextVectorization(Layer):
    """Texts -> token indices (``output_mode='int'``, padded or cut to
    ``output_sequence_length``) or multi_hot / count / tf_idf vectors, after ``standardize``
    ('lower_and_strip_punctuation' by default), ``split`` ('whitespace') and ``ngrams``."""

    def __init__(self, max_tokens=None, standardize='lower_and_strip_punctuation',
                 split='whitespace', ngrams=None, output_mode='int',
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding='utf-8', **kwargs):
        kwargs.pop('vocabulary_size', None)  # Keras 3 writes it into the config
        super().__init__(**kwargs)
        allowed = (None, 'lower_and_strip_punctuation', 'lower', 'strip_punctuation')
        if standardize not in allowed and not callable(standardize):
            raise ValueError('TextVectorization: `standardize` must be one of %s or a callable. '
                             'Received: standardize=%r' % (allowed, standardize))
        if split not in (None, 'whitespace', 'character') and not callable(split):
            raise ValueError("TextVectorization: `split` must be None, 'whitespace', "
                             "'character' or a callable. Received: split=%r" % (split,))
        if output_mode not in ('int', 'multi_hot', 'count', 'tf_idf'):
            raise ValueError("TextVectorization: `output_mode` must be 'int', 'multi_hot', "
                             "'count' or 'tf_idf'. Received: output_mode=%r" % (output_mode,))
        if ragged:
            raise ValueError('TextVectorization: `ragged=True` is not supported by torchkeras '
                             '(its outputs are dense tensors). Received: ragged=True')
        self.standardize, self.split, self.ngrams = standardize, split, ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.max_tokens, self.pad_to_max_tokens = max_tokens, pad_to_max_tokens
        self.sparse, self.ragged, self.encoding = sparse, ragged, encoding
        self.lookup = StringLookup(max_tokens=max_tokens,
                                   mask_token='' if output_mode == 'int' else None,
                                   output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                                   vocabulary=vocabulary, idf_weights=idf_weights,
                                   name=self.name + '_lookup')

    def _documents(self, data):
        texts = [t.decode(self.encoding) if isinstance(t, bytes) else str(t)
                 for t in _tokens_array(data).reshape(-1)]
        return [_ngrams(_split(t, self.split), self.ngrams)
                for t in _standardize(texts, self.standardize)]

    def adapt(self, data, batch_size=None, steps=None):
        self.lookup.learn(self._documents(data))

    def get_vocabulary(self, include_special_tokens=True):
        return self.lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self.lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup.set_vocabulary(vocabulary, idf_weights)

    def call(self, inputs):
        self.lookup._require_vocabulary()
        documents = self._documents(inputs)
        if self.output_mode != 'int':
            return torch.stack([self._vector(document) for document in documents])
        length = self.output_sequence_length or max([len(d) for d in documents] + [0])
        out = torch.zeros((len(documents), length), dtype=torch.int64)
        for row, document in enumerate(documents):
            if document:
                ids = self.lookup._lookup(np.asarray(document[:length], dtype=object))
                out[row, :len(ids)] = ids
        return out

    def _vector(self, document):
        """One document's multi_hot / count / tf_idf vector."""
        ids = (self.lookup._lookup(np.asarray(document, dtype=object)) if document
               else torch.zeros((0,), dtype=torch.int64))
        return self.lookup._encode(ids)

    def get_config(self):
        config = super().get_config()
        config.update(max_tokens=self.max_tokens, standardize=self.standardize,
                      split=self.split, ngrams=self.ngrams, output_mode=self.output_mode,
                      output_sequence_length=self.output_sequence_length,
                      pad_to_max_tokens=self.pad_to_max_tokens, sparse=self.sparse,
                      ragged=self.ragged,
                      vocabulary=self.lookup.get_config()['vocabulary'],
                      idf_weights=self.lookup.get_config()['idf_weights'],
                      encoding=self.encoding)
        return config
