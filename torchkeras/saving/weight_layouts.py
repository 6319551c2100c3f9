"""One table of Keras <-> torch weight layouts.

A Keras weight (what ``get_weights`` returns and Keras files hold) is stored inside a torch
module in torch's own layout.  Each ``Layout`` converts between the two: ``to_keras`` takes
the torch tensors and returns a (differentiable) tensor in Keras layout; ``from_keras`` takes
a Keras-layout tensor and returns the torch tensors, in the order they were given.
Every entry states both layouts; ``Weight.assign`` asserts the shapes.
"""
import torch

__all__ = ['Layout', 'IDENTITY', 'DENSE_KERNEL', 'conv_kernel', 'conv_transpose_kernel',
           'depthwise_layout', 'depthwise_kernel', 'gru_bias', 'GRU_KERNEL', 'LSTM_BIAS_WITH_HH',
           'reshape_layout', 'GRU_BIAS_SINGLE']


class Layout:
    """A named pair of converters between torch tensors and one Keras array."""

    def __init__(self, name, to_keras, from_keras):
        self.name = name
        self.to_keras = to_keras
        self.from_keras = from_keras

    def __repr__(self):
        return '<Layout %s>' % self.name


# torch and Keras agree: biases, embeddings, BatchNorm gamma/beta/moving stats.
IDENTITY = Layout('identity', lambda t: t, lambda k: (k,))

# Dense kernel: Keras (in, out); nn.Linear.weight (out, in).
DENSE_KERNEL = Layout('dense_kernel', lambda w: w.t(), lambda k: (k.t(),))


def conv_kernel(rank):
    """ConvND kernel: Keras (k1..kN, in, out); nn.ConvNd.weight (out, in, k1..kN)."""
    to_keras = tuple(range(2, 2 + rank)) + (1, 0)      # torch -> Keras axes
    from_keras = (rank + 1, rank) + tuple(range(rank))  # Keras -> torch axes
    return Layout('conv%dd_kernel' % rank,
                  lambda w: w.permute(*to_keras),
                  lambda k: (k.permute(*from_keras),))


def conv_transpose_kernel(rank):
    """ConvNDTranspose kernel: Keras (k1..kN, out, in);
    nn.ConvTransposeNd.weight (in, out, k1..kN)."""
    to_keras = tuple(range(2, 2 + rank)) + (1, 0)
    from_keras = (rank + 1, rank) + tuple(range(rank))
    return Layout('conv%dd_transpose_kernel' % rank,
                  lambda w: w.permute(*to_keras),
                  lambda k: (k.permute(*from_keras),))


def depthwise_layout(multiplier):
    """DepthwiseConv2D kernel: Keras (kh, kw, in, mult);
    torch Conv2d(groups=in).weight (in*mult, 1, kh, kw)."""
    def to_keras(w):
        kh, kw = w.shape[2], w.shape[3]
        return w[:, 0].permute(1, 2, 0).reshape(kh, kw, -1, multiplier)

    def from_keras(k):
        kh, kw = k.shape[0], k.shape[1]
        return (k.reshape(kh, kw, -1).permute(2, 0, 1).unsqueeze(1),)
    return Layout('depthwise_kernel_x%d' % multiplier, to_keras, from_keras)


def depthwise_kernel(rank, multiplier):
    """DepthwiseConvND kernel, any rank: Keras (k1..kN, in, mult); torch ConvNd(groups=in).weight
    (in*mult, 1, k1..kN).  Output channel c*mult + m, as in Keras.  For rank 2 it equals
    depthwise_layout(multiplier)."""
    def to_keras(w):
        spatial = tuple(w.shape[2:])
        return w[:, 0].permute(*range(1, rank + 1), 0).reshape(spatial + (-1, multiplier))

    def from_keras(k):
        spatial = tuple(k.shape[:rank])
        flat = k.reshape(spatial + (-1,))
        return (flat.permute(rank, *range(rank)).unsqueeze(1),)
    return Layout('depthwise%dd_kernel_x%d' % (rank, multiplier), to_keras, from_keras)


def _swap_zr(t, axis=0):
    """Keras GRU gate order z, r, h <-> torch r, z, n: swap the first two blocks (self-inverse)."""
    z, r, h = torch.chunk(t, 3, dim=axis)
    return torch.cat([r, z, h], dim=axis)


# GRU kernels: Keras (in, 3u) gates z,r,h; torch weight_ih (3u, in) gates r,z,n.
GRU_KERNEL = Layout('gru_kernel', lambda w: _swap_zr(w, 0).t(), lambda k: (_swap_zr(k.t(), 0),))


def gru_bias():
    """GRU reset_after bias: Keras (2, 3u) [input bias; recurrent bias];
    torch bias_ih, bias_hh (3u,)."""
    return Layout('gru_bias',
                  lambda b_ih, b_hh: torch.stack([_swap_zr(b_ih), _swap_zr(b_hh)]),
                  lambda k: (_swap_zr(k[0]), _swap_zr(k[1])))


# LSTM bias when torch keeps two biases: Keras (4u,) = b_ih + b_hh; loading puts it all in b_ih.
LSTM_BIAS_WITH_HH = Layout('lstm_bias', lambda b_ih, b_hh: b_ih + b_hh,
                           lambda k: (k, torch.zeros_like(k)))


def reshape_layout(keras_shape):
    """A weight torch keeps flat: Keras ``keras_shape``; torch (prod(keras_shape),).

    BatchNormalization over several axes: Keras (1, d1, d2, 1) (input rank, 1 on the other
    axes); nn.BatchNorm1d over the d1*d2 channels, row-major."""
    keras_shape = tuple(int(d) for d in keras_shape)
    return Layout('reshape%s' % (keras_shape,), lambda w: w.reshape(keras_shape),
                  lambda k: (k.reshape(-1),))


# GRU reset_after=False bias: Keras (3u,) gates z,r,h; torch bias_ih (3u,) gates r,z,n (the
# torch recurrent bias bias_hh stays a zero buffer: this GRU has a single bias).
GRU_BIAS_SINGLE = Layout('gru_bias_single', lambda b_ih: _swap_zr(b_ih), lambda k: (_swap_zr(k),))
