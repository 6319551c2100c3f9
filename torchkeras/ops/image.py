"""``keras.ops.image``: resize, patches, affine transforms, colour conversions and padding of
image batches, channels-last by default (``data_format``)."""
import torch
import torch.nn.functional as F

from torchkeras import config
from torchkeras.ops.core import to_tensor
from torchkeras.ops.dispatch import keras_op
from torchkeras.ops.nn import same_padding

__all__ = ['resize', 'extract_patches', 'affine_transform', 'rgb_to_grayscale', 'pad_images',
           'crop_images']

# Keras interpolation names -> torch's; 'bicubic' differs from tf.image's kernel (torch uses
# a = -0.75, tf a = -0.5), so it is refused rather than computed differently.
_TORCH_MODES = {'nearest': 'nearest', 'bilinear': 'bilinear', 'area': 'area'}
_PADDING_MODES = {'constant': 'zeros', 'reflect': 'reflection', 'nearest': 'border'}


def _channels_first(images, data_format):
    images = to_tensor(images)
    batched = images.dim() == 4
    if not batched:
        images = images.unsqueeze(0)
    if data_format == 'channels_last':
        images = images.permute(0, 3, 1, 2)
    return images, batched


def _restore(images, batched, data_format):
    if data_format == 'channels_last':
        images = images.permute(0, 2, 3, 1)
    return images if batched else images.squeeze(0)


@keras_op
def resize(images, size, interpolation='bilinear', antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode='constant', fill_value=0.0, data_format=None):
    """Resize to ``size`` (height, width) with half-pixel centres, as tf.image.resize."""
    data_format = config.standardize_data_format(data_format)
    if interpolation not in _TORCH_MODES:
        raise ValueError('ops.image.resize: `interpolation` must be one of %s here. Received: '
                         'interpolation=%r' % (sorted(_TORCH_MODES), interpolation))
    if pad_to_aspect_ratio:
        raise ValueError('ops.image.resize: `pad_to_aspect_ratio` is not supported here. '
                         'Received: pad_to_aspect_ratio=True')
    x, batched = _channels_first(images, data_format)
    if crop_to_aspect_ratio:
        x = crop_to_aspect(x, (2, 3), size[0] / size[1])
    dtype = x.dtype
    x = x if x.is_floating_point() else x.float()
    mode = _TORCH_MODES[interpolation]
    options = {} if mode in ('nearest', 'area') else {'align_corners': False,
                                                      'antialias': bool(antialias)}
    if mode == 'nearest':
        mode = 'nearest-exact'  # half-pixel centres, as tf.image
    out = F.interpolate(x, size=tuple(int(s) for s in size), mode=mode, **options)
    return _restore(out.to(dtype) if not dtype.is_floating_point else out, batched, data_format)


def crop_to_aspect(images, axes, ratio):
    """The largest central window of ``images`` (spatial ``axes``) with height / width =
    ``ratio`` (Keras's crop_to_aspect_ratio)."""
    h_axis, w_axis = axes
    height, width = images.shape[h_axis], images.shape[w_axis]
    crop_h = min(height, int(round(width * ratio)))
    crop_w = min(width, int(round(height / ratio)))
    images = images.narrow(h_axis, (height - crop_h) // 2, crop_h)
    return images.narrow(w_axis, (width - crop_w) // 2, crop_w)


@keras_op
def extract_patches(images, size, strides=None, dilation_rate=1, padding='valid',
                    data_format=None):
    """Non-overlapping (by default) patches, flattened: (batch, rows, cols, ph * pw * c)."""
    data_format = config.standardize_data_format(data_format)
    size = (size, size) if isinstance(size, int) else tuple(size)
    strides = size if strides is None else ((strides, strides) if isinstance(strides, int)
                                            else tuple(strides))
    x, batched = _channels_first(images, data_format)
    if padding == 'same':
        pads = []
        for length, k, s in reversed(list(zip(x.shape[2:], size, strides))):
            pads += list(same_padding(length, k, s))
        x = F.pad(x, pads)
    channels = x.shape[1]
    patches = x.unfold(2, size[0], strides[0]).unfold(3, size[1], strides[1])
    # (batch, c, rows, cols, ph, pw) -> (batch, rows, cols, ph, pw, c), flattened as tf does
    patches = patches.permute(0, 2, 3, 4, 5, 1).reshape(
        patches.shape[0], patches.shape[2], patches.shape[3], size[0] * size[1] * channels)
    if data_format == 'channels_first':
        patches = patches.permute(0, 3, 1, 2)
    return patches if batched else patches.squeeze(0)


@keras_op
def affine_transform(images, transform, interpolation='bilinear', fill_mode='constant',
                     fill_value=0, data_format=None):
    """tf's ImageProjectiveTransform: ``transform`` rows [a0, a1, a2, b0, b1, b2, c0, c1] map
    output (x, y) to input ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
    ``fill_mode`` 'constant' (``fill_value``), 'reflect' or 'nearest' (torch's grid_sample
    padding: reflection about the border pixels' centres, or the border value)."""
    if fill_mode not in _PADDING_MODES:
        raise ValueError('ops.image.affine_transform: `fill_mode` must be one of %s here. '
                         'Received: fill_mode=%r' % (sorted(_PADDING_MODES), fill_mode))
    data_format = config.standardize_data_format(data_format)
    x, batched = _channels_first(images, data_format)
    transform = to_tensor(transform, dtype=x.dtype, device=x.device).reshape(-1, 8)
    transform = transform.expand(x.shape[0], 8)
    height, width = x.shape[2], x.shape[3]
    ys, xs = torch.meshgrid(torch.arange(height, dtype=x.dtype, device=x.device),
                            torch.arange(width, dtype=x.dtype, device=x.device), indexing='ij')
    a0, a1, a2, b0, b1, b2, c0, c1 = (transform[:, i].reshape(-1, 1, 1) for i in range(8))
    k = c0 * xs + c1 * ys + 1
    src_x = (a0 * xs + a1 * ys + a2) / k
    src_y = (b0 * xs + b1 * ys + b2) / k
    grid = torch.stack([2 * src_x / max(width - 1, 1) - 1, 2 * src_y / max(height - 1, 1) - 1],
                       dim=-1)
    shift = fill_value if fill_mode == 'constant' else 0.0
    out = F.grid_sample(x - shift, grid, mode=interpolation if interpolation == 'nearest'
                        else 'bilinear', padding_mode=_PADDING_MODES[fill_mode],
                        align_corners=True) + shift
    return _restore(out, batched, data_format)


@keras_op
def rgb_to_grayscale(images, data_format=None):
    """ITU-R 601 luma, keeping a channel axis of size 1 (tf.image.rgb_to_grayscale)."""
    data_format = config.standardize_data_format(data_format)
    images = to_tensor(images)
    axis = -1 if data_format == 'channels_last' else -3
    weights = torch.tensor([0.2989, 0.5870, 0.1140], dtype=images.dtype, device=images.device)
    shape = [1] * images.dim()
    shape[axis] = 3
    return torch.sum(images * weights.reshape(shape), dim=axis, keepdim=True)


@keras_op
def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    data_format = config.standardize_data_format(data_format)
    x, batched = _channels_first(images, data_format)
    height, width = x.shape[2], x.shape[3]
    top = top_padding or 0
    left = left_padding or 0
    bottom = bottom_padding if bottom_padding is not None else (target_height - height - top
                                                                if target_height else 0)
    right = right_padding if right_padding is not None else (target_width - width - left
                                                             if target_width else 0)
    return _restore(F.pad(x, [left, right, top, bottom]), batched, data_format)


@keras_op
def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    data_format = config.standardize_data_format(data_format)
    x, batched = _channels_first(images, data_format)
    height, width = x.shape[2], x.shape[3]
    top = top_cropping or 0
    left = left_cropping or 0
    bottom = (height - (bottom_cropping or 0)) if target_height is None else top + target_height
    right = (width - (right_cropping or 0)) if target_width is None else left + target_width
    return _restore(x[:, :, top:bottom, left:right], batched, data_format)
