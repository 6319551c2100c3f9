"""Preprocessing layers (Keras 3's ``keras.layers``): numeric and image preprocessing, with
``adapt()`` where the layer learns from data, and the augmentation layers, which change their
input only in training (``model(x)`` and ``predict`` pass it through, as in Keras).

``adapt(data)`` takes NumPy arrays, torch tensors, lists, or an iterable of batches (a
DataLoader, a generator, a ``keras.utils.Sequence``); with ``batch_size`` an array is read in
batches.  Statistics are computed in float64 and stored as non-trainable weights, so they
save and load with the model in both Keras file formats.
"""
import math

import numpy as np
import torch

from torchkeras import config
from torchkeras import random as keras_random
from torchkeras.graph import shape_inference
from torchkeras.layers.layer import Layer
from torchkeras.ops import image as image_ops
from torchkeras.ops import nn as nn_ops

__all__ = ['Rescaling', 'Normalization', 'CenterCrop', 'Resizing', 'CategoryEncoding',
           'Discretization', 'RandomFlip', 'RandomTranslation', 'RandomRotation', 'RandomZoom',
           'RandomContrast', 'RandomBrightness', 'RandomCrop']


def _batches(data, batch_size=None, steps=None):
    """An iterable of batches (each a float64 numpy array) from any adapt() data."""
    if isinstance(data, (np.ndarray, torch.Tensor, list)):
        array = data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
        size = batch_size or len(array) or 1
        chunks = [array[i:i + size] for i in range(0, len(array), size)]
    else:
        chunks = data
    for step, batch in enumerate(chunks):
        if steps is not None and step >= steps:
            return
        if isinstance(batch, (tuple, list)) and not isinstance(data, list):
            batch = batch[0]  # (x, y) batches: the features
        if isinstance(batch, torch.Tensor):
            batch = batch.detach().cpu().numpy()
        yield np.asarray(batch, dtype=np.float64)


def _axes_tuple(axis):
    if axis is None:
        return ()
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


# --------------------------------------------------------------------------- numeric
class Rescaling(Layer):
    """``inputs * scale + offset``."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        dtype = inputs.dtype if inputs.is_floating_point() else config.torch_dtype(self.dtype)
        inputs = inputs.to(dtype)
        return inputs * _constant(self.scale, inputs) + _constant(self.offset, inputs)

    def get_config(self):
        config_ = super().get_config()
        config_.update(scale=self.scale, offset=self.offset)
        return config_


def _constant(value, like):
    """A Python number stays one (no tensor made per call); an array-like becomes a tensor
    like ``like``'s."""
    if isinstance(value, (int, float)):
        return value
    return torch.as_tensor(value, dtype=like.dtype, device=like.device)


class Normalization(Layer):
    """``(inputs - mean) / max(sqrt(variance), epsilon)`` per feature of ``axis`` (``invert``
    maps back); mean and variance given, or learned by ``adapt(data)``."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError('Normalization: pass both `mean` and `variance`, or neither. '
                             'Received: mean=%r, variance=%r' % (mean, variance))
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)

    def build(self, input_shape):
        rank = len(input_shape)
        axes = tuple(a % rank for a in self.axis)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError('Normalization: the axis %d being normalised must have a known '
                                 'size. Received: input shape %s' % (a, tuple(input_shape)))
        self._kept_axes = axes
        self._broadcast = [input_shape[a] if a in axes else 1 for a in range(rank)]
        self._broadcast[0] = 1
        shape = tuple(input_shape[a] for a in axes)
        self.adapted = self.input_mean is not None
        if self.adapted:  # given statistics are constants, not weights (Keras: 0 params)
            for name, value in (('mean', self.input_mean), ('variance', self.input_variance)):
                array = np.array(np.broadcast_to(value, shape), dtype=np.float32)
                tensor = torch.as_tensor(array)
                self.register_buffer(name, tensor.clone(), persistent=False)
            return
        for name in ('mean', 'variance'):
            self.register_buffer(name, torch.zeros(shape))
            self.track_weight(name, self, name, trainable=False)
        self.register_buffer('count', torch.zeros((), dtype=torch.int64))
        self.track_weight('count', self, 'count', trainable=False)

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the mean and variance of ``data`` over every axis but ``axis``."""
        if self.input_mean is not None:
            raise ValueError('Normalization "%s" was given `mean` and `variance`: it cannot '
                             'adapt() too.' % self.name)
        total, total_sq, count = None, None, 0
        for batch in _batches(data, batch_size, steps):
            if not self.built:
                self._maybe_build((None,) + batch.shape[1:])
            reduce = tuple(a for a in range(batch.ndim) if a not in self._kept_axes)
            total = batch.sum(axis=reduce) + (0 if total is None else total)
            total_sq = np.square(batch).sum(axis=reduce) + (0 if total_sq is None else total_sq)
            count += int(np.prod([batch.shape[a] for a in reduce]))
        if not count:
            raise ValueError('Normalization.adapt() received no data.')
        mean = total / count
        variance = np.maximum(total_sq / count - np.square(mean), 0.0)
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean.reshape(self.mean.shape)))
            self.variance.copy_(torch.as_tensor(variance.reshape(self.variance.shape)))
            self.count.fill_(count)
        self.adapted = True

    def call(self, inputs):
        if not self.adapted and not shape_inference.is_inferring():
            # statistics loaded from a file count as adapted
            self.adapted = bool(self.count > 0)
        if not self.adapted and not shape_inference.is_inferring():
            raise ValueError('Normalization "%s" has no mean and variance: call `adapt(data)` '
                             'first, or pass `mean=` and `variance=`.' % self.name)
        mean = self.mean.reshape(self._broadcast).to(inputs.device)
        std = torch.clamp(torch.sqrt(self.variance.reshape(self._broadcast).to(inputs.device)),
                          min=config.epsilon())
        inputs = inputs if inputs.is_floating_point() else inputs.float()
        return inputs * std + mean if self.invert else (inputs - mean) / std

    def get_config(self):
        config_ = super().get_config()
        config_.update(axis=self.axis, invert=self.invert,
                       mean=_plain(self.input_mean), variance=_plain(self.input_variance))
        return config_


def _plain(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


class CategoryEncoding(Layer):
    """Integer category ids -> ``one_hot``, ``multi_hot`` or ``count`` vectors of
    ``num_tokens`` (the last axis of ids is encoded together for multi_hot / count)."""

    def __init__(self, num_tokens=None, output_mode='multi_hot', sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode not in ('one_hot', 'multi_hot', 'count'):
            raise ValueError("CategoryEncoding: `output_mode` must be 'one_hot', 'multi_hot' "
                             "or 'count'. Received: output_mode=%r" % (output_mode,))
        if not isinstance(num_tokens, int) or num_tokens <= 0:
            raise ValueError('CategoryEncoding: `num_tokens` must be a positive integer. '
                             'Received: num_tokens=%r' % (num_tokens,))
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs):
        ids = inputs.long()
        # Checked on the CPU only: on an accelerator reading the result would sync every
        # step, and there the scatter itself reports an id out of range.
        if ids.device.type == 'cpu' and not shape_inference.is_inferring() and \
                bool(((ids < 0) | (ids >= self.num_tokens)).any()):
            raise ValueError('CategoryEncoding "%s": every id must be in [0, %d). Received '
                             'values from %d to %d.' % (self.name, self.num_tokens,
                                                        int(ids.min()), int(ids.max())))
        return encode_categories(ids, self.num_tokens, self.output_mode,
                                 config.torch_dtype(self.dtype))

    def get_config(self):
        config_ = super().get_config()
        config_.update(num_tokens=self.num_tokens, output_mode=self.output_mode,
                       sparse=self.sparse)
        return config_


def category_counts(ids, num_tokens, weights=None, dtype=torch.float32):
    """How often each of ``num_tokens`` ids occurs along the last axis: (..., num_tokens).
    ``weights`` (one per id) count instead of 1 (0 leaves an id out)."""
    counts = torch.zeros(ids.shape[:-1] + (num_tokens,), dtype=dtype, device=ids.device)
    values = (torch.ones(ids.shape, dtype=dtype, device=ids.device) if weights is None
              else weights.to(dtype))
    return counts.scatter_add_(-1, ids, values)


def encode_categories(ids, num_tokens, output_mode, dtype):
    """Integer ids -> one_hot (each id), multi_hot or count (the last axis of ids together)."""
    if output_mode == 'one_hot':
        if ids.dim() > 1 and ids.shape[-1] == 1:
            ids = ids.squeeze(-1)
        return nn_ops.one_hot.eager(ids, num_tokens, dtype=dtype)
    if ids.dim() == 1:
        ids = ids.unsqueeze(-1)
    counts = category_counts(ids, num_tokens, dtype=dtype)
    return counts if output_mode == 'count' else (counts > 0).to(dtype)


class Discretization(Layer):
    """Values -> the index of their bin (``bin_boundaries``, or ``num_bins`` quantile bins
    learned by ``adapt``); ``output_mode`` int, one_hot, multi_hot or count."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode='int',
                 sparse=False, **kwargs):
        super().__init__(**kwargs)
        if bin_boundaries is None and num_bins is None:
            raise ValueError('Discretization: pass `bin_boundaries`, or `num_bins` and then '
                             'call adapt(). Received neither.')
        if output_mode not in ('int', 'one_hot', 'multi_hot', 'count'):
            raise ValueError("Discretization: `output_mode` must be 'int', 'one_hot', "
                             "'multi_hot' or 'count'. Received: output_mode=%r"
                             % (output_mode,))
        self.bin_boundaries = None
        if bin_boundaries is not None:
            self._set_boundaries(bin_boundaries)
        self.num_bins = num_bins if num_bins is not None else len(self.bin_boundaries) + 1
        self.epsilon, self.output_mode, self.sparse = epsilon, output_mode, sparse

    def _set_boundaries(self, values):
        """The boundaries as the config lists them and as a buffer (made once; it moves with
        the model)."""
        self.bin_boundaries = [float(v) for v in values]
        self.register_buffer('_boundaries', torch.tensor(self.bin_boundaries), persistent=False)

    def adapt(self, data, batch_size=None, steps=None):
        """Boundaries at the ``num_bins`` quantiles of the data (exact, from all values)."""
        values = np.concatenate([b.reshape(-1) for b in _batches(data, batch_size, steps)])
        if values.size == 0:
            raise ValueError('Discretization.adapt() received no data.')
        quantiles = np.linspace(0.0, 1.0, self.num_bins + 1)[1:-1]
        self._set_boundaries(np.quantile(values, quantiles))

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError('Discretization "%s" has no bins: call `adapt(data)` first, or '
                             'pass `bin_boundaries`.' % self.name)
        dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
        boundaries = self._boundaries.to(dtype=dtype, device=inputs.device)  # no copy if there
        bins = torch.bucketize(inputs.to(dtype), boundaries, right=True)
        if self.output_mode == 'int':
            return bins.to(torch.int64)
        return encode_categories(bins, self.num_bins, self.output_mode,
                                 config.torch_dtype(self.dtype))

    def get_config(self):
        config_ = super().get_config()
        config_.update(bin_boundaries=self.bin_boundaries, num_bins=self.num_bins,
                       epsilon=self.epsilon, output_mode=self.output_mode, sparse=self.sparse)
        return config_


# --------------------------------------------------------------------------- images
class _ImageLayer(Layer):
    """Images in ``data_format`` (channels_last by default), batched or a single image."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)

    def _spatial_axes(self, inputs):
        if self.data_format == 'channels_last':
            return inputs.dim() - 3, inputs.dim() - 2
        return inputs.dim() - 2, inputs.dim() - 1

    def get_config(self):
        config_ = super().get_config()
        config_['data_format'] = self.data_format
        return config_


class CenterCrop(_ImageLayer):
    """The central ``height x width`` window; a smaller image is resized up first (Keras)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        return _center_crop(inputs, self._spatial_axes(inputs), self.height, self.width,
                            self.data_format)

    def get_config(self):
        config_ = super().get_config()
        config_.update(height=self.height, width=self.width)
        return config_


def _center_crop(inputs, axes, height, width, data_format):
    """The central ``height x width`` window; a smaller image is resized up first (Keras)."""
    h_axis, w_axis = axes
    have_h, have_w = inputs.shape[h_axis], inputs.shape[w_axis]
    if have_h < height or have_w < width:
        return image_ops.resize.eager(inputs, (height, width), crop_to_aspect_ratio=True,
                                      data_format=data_format)
    inputs = inputs.narrow(h_axis, (have_h - height) // 2, height)
    return inputs.narrow(w_axis, (have_w - width) // 2, width)


class Resizing(_ImageLayer):
    """Resize images to ``height x width`` (``ops.image.resize``; ``crop_to_aspect_ratio``
    crops the largest central window of the target's aspect ratio first)."""

    def __init__(self, height, width, interpolation='bilinear', crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode='constant', fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if pad_to_aspect_ratio:
            raise ValueError('Resizing: `pad_to_aspect_ratio` is not supported by torchkeras. '
                             'Received: pad_to_aspect_ratio=True')
        self.height, self.width = int(height), int(width)
        self.interpolation, self.crop_to_aspect_ratio = interpolation, crop_to_aspect_ratio
        self.pad_to_aspect_ratio, self.fill_mode = pad_to_aspect_ratio, fill_mode
        self.fill_value, self.antialias = fill_value, antialias

    def call(self, inputs):
        return image_ops.resize.eager(inputs, (self.height, self.width),
                                      interpolation=self.interpolation,
                                      antialias=self.antialias,
                                      crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                                      data_format=self.data_format)

    def get_config(self):
        config_ = super().get_config()
        config_.update(height=self.height, width=self.width, interpolation=self.interpolation,
                       crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                       pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                       fill_value=self.fill_value, antialias=self.antialias)
        return config_


# ---------------------------------------------------------------------- augmentation
class _RandomLayer(_ImageLayer):
    """An augmentation: a random transform in training, the identity otherwise."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = keras_random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batched = inputs.dim() == 4
        images = inputs if batched else inputs.unsqueeze(0)
        out = self.augment(images.float() if not images.is_floating_point() else images)
        return out if batched else out.squeeze(0)

    def _uniform(self, shape, low, high, device):
        """Uniform draws made on the images' device (no host copy per step), from the
        layer's seed stream."""
        generator = keras_random.make_generator(self.generator, device=device)
        return torch.empty(shape, device=device).uniform_(low, high, generator=generator)

    def get_config(self):
        config_ = super().get_config()
        config_['seed'] = self.seed
        return config_


def _factor_range(factor, name):
    """Keras's ``factor``: a number f means the range [-f, f], a pair the range itself."""
    if isinstance(factor, (int, float)):
        low, high = -abs(factor), abs(factor)
    else:
        low, high = factor
    if low > high:
        raise ValueError('`%s` must be a number or a (lower, upper) pair with lower <= upper. '
                         'Received: %s=%r' % (name, name, factor))
    return float(low), float(high)


class RandomFlip(_RandomLayer):
    """Flips each image horizontally and/or vertically with probability 1/2."""

    def __init__(self, mode='horizontal_and_vertical', seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ('horizontal', 'vertical', 'horizontal_and_vertical'):
            raise ValueError("RandomFlip: `mode` must be 'horizontal', 'vertical' or "
                             "'horizontal_and_vertical'. Received: mode=%r" % (mode,))
        self.mode = mode

    def augment(self, images):
        h_axis, w_axis = self._spatial_axes(images)
        for kind, axis in (('horizontal', w_axis), ('vertical', h_axis)):
            if kind in self.mode:
                flip = self._uniform((images.shape[0],), 0.0, 1.0, images.device) < 0.5
                shape = [-1] + [1] * (images.dim() - 1)
                images = torch.where(flip.reshape(shape), images.flip(axis), images)
        return images

    def get_config(self):
        config_ = super().get_config()
        config_['mode'] = self.mode
        return config_


class _AffineLayer(_RandomLayer):
    """Augmentations that move pixels: an affine transform per image (ops.image)."""

    def __init__(self, fill_mode='reflect', interpolation='bilinear', fill_value=0.0, seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in ('constant', 'reflect', 'nearest'):
            raise ValueError("`fill_mode` must be 'constant', 'reflect' or 'nearest' here. "
                             'Received: fill_mode=%r' % (fill_mode,))
        self.fill_mode, self.interpolation, self.fill_value = (fill_mode, interpolation,
                                                               fill_value)

    def augment(self, images):
        transforms = self.transforms(images)
        return image_ops.affine_transform.eager(images, transforms, self.interpolation,
                                                self.fill_mode, self.fill_value,
                                                self.data_format)

    def _size(self, images):
        h_axis, w_axis = self._spatial_axes(images)
        return images.shape[h_axis], images.shape[w_axis]

    def get_config(self):
        config_ = super().get_config()
        config_.update(fill_mode=self.fill_mode, interpolation=self.interpolation,
                       fill_value=self.fill_value)
        return config_


def _affine(a0, a1, a2, b0, b1, b2):
    zeros = torch.zeros_like(a0)
    return torch.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], dim=-1)


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width."""

    def __init__(self, height_factor, width_factor, fill_mode='reflect', interpolation='bilinear',
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _factor_range(height_factor, 'height_factor')
        self._width_range = _factor_range(width_factor, 'width_factor')

    def transforms(self, images):
        height, width = self._size(images)
        n, device = images.shape[0], images.device
        dy = self._uniform((n,), *self._height_range, device) * height
        dx = self._uniform((n,), *self._width_range, device) * width
        ones, zeros = torch.ones(n, device=device), torch.zeros(n, device=device)
        return _affine(ones, zeros, -dx, zeros, ones, -dy)

    def get_config(self):
        config_ = super().get_config()
        config_.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config_


class RandomRotation(_AffineLayer):
    """Rotates each image by a random fraction of a full turn (``factor`` * 2 pi)."""

    def __init__(self, factor, fill_mode='reflect', interpolation='bilinear', seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)
        self.factor = factor
        self._range = _factor_range(factor, 'factor')

    def transforms(self, images):
        height, width = self._size(images)
        angle = self._uniform((images.shape[0],), *self._range, images.device) * 2 * math.pi
        cos, sin = torch.cos(angle), torch.sin(angle)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        # output (x, y) -> input: rotate about the centre
        return _affine(cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy)

    def get_config(self):
        config_ = super().get_config()
        config_['factor'] = self.factor
        return config_


class RandomZoom(_AffineLayer):
    """Zooms each image in or out: ``height_factor`` -0.2 zooms in up to 20 %."""

    def __init__(self, height_factor, width_factor=None, fill_mode='reflect',
                 interpolation='bilinear', seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height_range = _factor_range(height_factor, 'height_factor')
        self._width_range = (None if width_factor is None
                             else _factor_range(width_factor, 'width_factor'))

    def transforms(self, images):
        height, width = self._size(images)
        n, device = images.shape[0], images.device
        zoom_y = 1.0 + self._uniform((n,), *self._height_range, device)
        zoom_x = (zoom_y if self._width_range is None
                  else 1.0 + self._uniform((n,), *self._width_range, device))
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        zeros = torch.zeros(n, device=device)
        return _affine(zoom_x, zeros, cx - zoom_x * cx, zeros, zoom_y, cy - zoom_y * cy)

    def get_config(self):
        config_ = super().get_config()
        config_.update(height_factor=self.height_factor, width_factor=self.width_factor)
        return config_


class RandomContrast(_RandomLayer):
    """``(x - mean) * c + mean`` per image and channel, c in [1 - factor, 1 + factor]."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        low, high = _factor_range(factor, 'factor')
        if low < -1:
            raise ValueError('RandomContrast: `factor` must be at most 1. Received: factor=%r'
                             % (factor,))
        self.factor, self.value_range, self._range = factor, tuple(value_range), (low, high)

    def augment(self, images):
        h_axis, w_axis = self._spatial_axes(images)
        shape = [images.shape[0]] + [1] * (images.dim() - 1)
        contrast = 1.0 + self._uniform((images.shape[0],), *self._range, images.device)
        mean = images.mean(dim=(h_axis, w_axis), keepdim=True)
        out = (images - mean) * contrast.reshape(shape) + mean
        return torch.clamp(out, *self.value_range)

    def get_config(self):
        config_ = super().get_config()
        config_.update(factor=self.factor, value_range=list(self.value_range))
        return config_


class RandomBrightness(_RandomLayer):
    """Adds ``factor`` * (value range) to each image, clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor, self.value_range = factor, tuple(value_range)
        self._range = _factor_range(factor, 'factor')
        if self._range[0] < -1 or self._range[1] > 1:
            raise ValueError('RandomBrightness: `factor` must be within [-1, 1]. Received: '
                             'factor=%r' % (factor,))

    def augment(self, images):
        span = self.value_range[1] - self.value_range[0]
        shape = [images.shape[0]] + [1] * (images.dim() - 1)
        delta = self._uniform((images.shape[0],), *self._range, images.device) * span
        return torch.clamp(images + delta.reshape(shape), *self.value_range)

    def get_config(self):
        config_ = super().get_config()
        config_.update(factor=self.factor, value_range=list(self.value_range))
        return config_


class RandomCrop(_RandomLayer):
    """A random ``height x width`` window in training; the central one (resized as
    CenterCrop does) in inference, as Keras."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs, training=None):
        if not training:
            return _center_crop(inputs, self._spatial_axes(inputs), self.height, self.width,
                                self.data_format)
        return super().call(inputs, training=True)

    def augment(self, images):
        h_axis, w_axis = self._spatial_axes(images)
        height, width = images.shape[h_axis], images.shape[w_axis]
        if height < self.height or width < self.width:
            return image_ops.resize.eager(images, (self.height, self.width),
                                          data_format=self.data_format)
        top = int(self._uniform((), 0, height - self.height + 1, images.device).floor())
        left = int(self._uniform((), 0, width - self.width + 1, images.device).floor())
        return images.narrow(h_axis, top, self.height).narrow(w_axis, left, self.width)

    def get_config(self):
        config_ = super().get_config()
        config_.update(height=self.height, width=self.width)
        return config_
