"""Image files and arrays (``keras.utils.load_img`` / ``img_to_array`` / ``array_to_img`` /
``save_img``, also served as ``keras.preprocessing.image.*``).  Pillow is imported when first
used."""
import io
import os
import warnings

import numpy as np

from torchkeras.config import floatx, standardize_data_format

__all__ = ['img_to_array', 'array_to_img', 'load_img', 'save_img']


def _pil_image():
    """PIL.Image, imported on first use: only image files need Pillow."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError('Reading or writing image files (load_img, array_to_img, save_img, '
                          'flow_from_directory, save_to_dir) requires Pillow: '
                          'pip install pillow') from error
    return Image


def _pil_interpolations(image_module):
    resampling = getattr(image_module, 'Resampling', image_module)
    names = ('nearest', 'bilinear', 'bicubic', 'hamming', 'box', 'lanczos')
    return {name: getattr(resampling, name.upper()) for name in names
            if hasattr(resampling, name.upper())}


def img_to_array(img, data_format=None, dtype=None):
    """A 3D array: ``(height, width, channels)``, or ``(channels, height, width)`` for
    ``data_format='channels_first'``.  A 2D (grayscale) image gets a channel axis of 1."""
    data_format = standardize_data_format(data_format)
    x = np.asarray(img, dtype=dtype or floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == 'channels_first' else x
    if x.ndim == 2:
        return x[np.newaxis] if data_format == 'channels_first' else x[..., np.newaxis]
    raise ValueError('img_to_array expects a 2D or 3D image. Received: an array of shape %s'
                     % (x.shape,))


def _to_pixel_range(x):
    """Keras's ``scale=True``: shift the minimum to 0 and stretch the maximum to 255."""
    x = x - np.min(x)
    x_max = np.max(x)
    if x_max != 0:
        x /= x_max
    x *= 255
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (1, 3 or 4 channels) -> a PIL image ('L' or 'I', 'RGB', 'RGBA')."""
    data_format = standardize_data_format(data_format)
    image_module = _pil_image()
    x = np.asarray(x, dtype=dtype or floatx())
    if x.ndim != 3:
        raise ValueError('array_to_img expects a single image of rank 3. Received: x with '
                         'shape %s' % (x.shape,))
    if data_format == 'channels_first':
        x = x.transpose(1, 2, 0)
    if scale:
        x = _to_pixel_range(x)
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype('uint8'), 'RGBA')
    if channels == 3:
        return image_module.fromarray(x.astype('uint8'), 'RGB')
    if channels == 1:
        if np.max(x) > 255:  # 32-bit signed integer grayscale, PIL mode "I"
            return image_module.fromarray(x[:, :, 0].astype('int32'), 'I')
        return image_module.fromarray(x[:, :, 0].astype('uint8'), 'L')
    raise ValueError('array_to_img supports 1, 3 or 4 channels. Received: x with shape %s '
                     '(%d channels, data_format=%r)' % (x.shape, channels, data_format))


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3D array as an image file (``kwargs`` go to ``PIL.Image.save``)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == 'RGBA' and file_format in ('jpg', 'jpeg'):
        warnings.warn('The JPG format does not support RGBA images, converting to RGB.')
        img = img.convert('RGB')
    img.save(path, format=file_format, **kwargs)


def _open_image(image_module, path):
    if isinstance(path, io.BytesIO):
        return image_module.open(path)
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(os.fspath(path), 'rb') as handle:  # read now: no file handle left open
            return image_module.open(io.BytesIO(handle.read()))
    raise TypeError('load_img: path should be a path or an io.BytesIO. Received: path of type '
                    '%s' % type(path).__name__)


def _convert_color(img, color_mode):
    if color_mode == 'grayscale':
        return img if img.mode in ('L', 'I;16', 'I') else img.convert('L')
    if color_mode in ('rgb', 'rgba'):
        mode = color_mode.upper()
        return img if img.mode == mode else img.convert(mode)
    raise ValueError("color_mode must be 'grayscale', 'rgb' or 'rgba'. Received: "
                     "color_mode=%r" % (color_mode,))


def _center_crop_box(width, height, target_width, target_height):
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return [left, top, left + crop_width, top + crop_height]


def load_img(path, grayscale=False, color_mode='rgb', target_size=None,
             interpolation='nearest', keep_aspect_ratio=False):
    """Load an image file as a PIL image, optionally resized to ``target_size=(h, w)``."""
    if grayscale is True:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = 'grayscale'
    image_module = _pil_image()
    img = _convert_color(_open_image(image_module, path), color_mode)
    if target_size is None:
        return img
    width_height = (int(target_size[1]), int(target_size[0]))
    if img.size == width_height:
        return img
    methods = _pil_interpolations(image_module)
    if interpolation not in methods:
        raise ValueError('Invalid interpolation method. Supported methods are %s. '
                         'Received: interpolation=%r' % (', '.join(methods), interpolation))
    box = _center_crop_box(*img.size, *width_height) if keep_aspect_ratio else None
    return img.resize(width_height, methods[interpolation], box=box)
