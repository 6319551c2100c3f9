"""``keras.ops`` math namespace (``keras.ops.math``): segment reductions, top-k, FFTs and
special functions, on torch tensors."""
import torch

from torchkeras.ops.core import to_tensor
from torchkeras.ops.dispatch import keras_op

__all__ = ['segment_sum', 'segment_max', 'top_k', 'in_top_k', 'logsumexp', 'rsqrt', 'erf',
           'erfinv', 'fft', 'fft2', 'ifft2', 'rfft', 'irfft', 'logdet', 'extract_sequences',
           'qr']


def _segments(data, segment_ids, num_segments):
    data = to_tensor(data)
    ids = to_tensor(segment_ids, device=data.device).long()
    count = int(ids.max().item()) + 1 if num_segments is None else int(num_segments)
    shape = (count,) + tuple(data.shape[1:])
    index = ids.reshape((-1,) + (1,) * (data.dim() - 1)).expand_as(data)
    return data, index, shape


@keras_op
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, index, shape = _segments(data, segment_ids, num_segments)
    return torch.zeros(shape, dtype=data.dtype, device=data.device).scatter_add_(0, index, data)


@keras_op
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    data, index, shape = _segments(data, segment_ids, num_segments)
    out = torch.full(shape, float('-inf'), dtype=data.dtype, device=data.device)
    return out.scatter_reduce_(0, index, data, reduce='amax', include_self=True)


@keras_op
def top_k(x, k, sorted=True):  # noqa: A002 - the Keras name
    """(values, indices) of the k largest entries of the last axis; ties keep the lower index
    first, as tf.math.top_k."""
    x = to_tensor(x)
    order = torch.sort(x, dim=-1, descending=True, stable=True)
    return order.values[..., :k], order.indices[..., :k]


@keras_op
def in_top_k(targets, predictions, k):
    predictions = to_tensor(predictions)
    targets = to_tensor(targets, device=predictions.device).long()
    target_values = torch.gather(predictions, -1, targets.unsqueeze(-1))
    return torch.sum((predictions > target_values).int(), dim=-1) < k


@keras_op
def logsumexp(x, axis=None, keepdims=False):
    x = to_tensor(x)
    if axis is None:
        out = torch.logsumexp(x.reshape(-1), dim=0)
        return out.reshape([1] * x.dim()) if keepdims else out
    return torch.logsumexp(x, dim=tuple(axis) if isinstance(axis, list) else axis,
                           keepdim=keepdims)


@keras_op
def rsqrt(x):
    return torch.rsqrt(to_tensor(x))


@keras_op
def erf(x):
    return torch.erf(to_tensor(x))


@keras_op
def erfinv(x):
    return torch.erfinv(to_tensor(x))


def _complex(pair):
    real, imag = (to_tensor(part) for part in pair)
    return torch.complex(real, imag)


def _split(z):
    return torch.real(z).contiguous(), torch.imag(z).contiguous()


@keras_op
def fft(x):
    """FFT of the last axis; ``x`` and the result are (real, imaginary) pairs, as Keras 3."""
    return _split(torch.fft.fft(_complex(x), dim=-1))


@keras_op
def fft2(x):
    """2-D FFT of the last two axes on (real, imaginary) pairs."""
    return _split(torch.fft.fft2(_complex(x), dim=(-2, -1)))


@keras_op
def ifft2(x):
    return _split(torch.fft.ifft2(_complex(x), dim=(-2, -1)))


@keras_op
def rfft(x, fft_length=None):
    return _split(torch.fft.rfft(to_tensor(x), n=fft_length, dim=-1))


@keras_op
def irfft(x, fft_length=None):
    return torch.fft.irfft(_complex(x), n=fft_length, dim=-1)


@keras_op
def logdet(x):
    return torch.logdet(to_tensor(x))


@keras_op
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` along the last axis, every ``sequence_stride`` steps."""
    return to_tensor(x).unfold(-1, int(sequence_length), int(sequence_stride))


@keras_op
def qr(x, mode='reduced'):
    if mode not in ('reduced', 'complete'):
        raise ValueError("qr: `mode` must be 'reduced' or 'complete'. Received: mode=%r"
                         % (mode,))
    return tuple(torch.linalg.qr(to_tensor(x), mode=mode))
