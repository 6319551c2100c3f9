"""``keras.preprocessing.image``: Keras 2's image augmentation in NumPy.

This is the ``keras_preprocessing`` code that tf_keras 2.x ships (``ImageDataGenerator``, its
iterators and the ``random_*`` / ``apply_*`` functions), with the same random draws from
NumPy's global generator, so a script seeded with ``np.random.seed`` gets the same batches.

The affine resampling uses ``scipy.ndimage.affine_transform`` when SciPy is installed (what
Keras calls) and otherwise an equivalent NumPy implementation (orders 0 and 1, fill modes
``constant``, ``nearest``, ``reflect``, ``wrap`` and ``mirror``).  Brightness shifts follow
Pillow's ``ImageEnhance.Brightness`` arithmetic in NumPy.  Only image *files*
(``load_img``, ``array_to_img``, ``save_img``, ``flow_from_directory``, ``save_to_dir``)
need Pillow, imported when first used.

Keras quirk kept on purpose: ``ImageDataGenerator`` scales the height shift by the image
height but ``apply_affine_transform`` applies ``tx`` along the width (and ``ty`` along the
height), so ``height_shift_range`` moves images sideways, as in tf_keras 2.x.
"""
import os
import threading
import warnings

import numpy as np

from torchkeras.config import floatx, image_data_format, standardize_data_format
from torchkeras.utils.data_utils import Sequence
from torchkeras.utils.image_utils import (_pil_image, _to_pixel_range, array_to_img,
                                          img_to_array, load_img, save_img)

__all__ = [
    'img_to_array', 'array_to_img', 'load_img', 'save_img', 'list_pictures',
    'flip_axis', 'transform_matrix_offset_center', 'apply_affine_transform',
    'random_rotation', 'random_shift', 'random_shear', 'random_zoom',
    'apply_channel_shift', 'random_channel_shift', 'apply_brightness_shift',
    'random_brightness', 'Iterator', 'NumpyArrayIterator', 'DirectoryIterator',
    'ImageDataGenerator',
]

FILL_MODES = ('constant', 'nearest', 'reflect', 'wrap', 'mirror')
_KERAS1_DIM_ORDERING = {'tf': 'channels_last', 'th': 'channels_first', 'default': None}


def list_pictures(directory, ext=('jpg', 'jpeg', 'bmp', 'png', 'ppm', 'tif', 'tiff')):
    """Paths of the pictures under ``directory`` (recursively) whose extension is in ``ext``."""
    ext = tuple('.%s' % e for e in ((ext,) if isinstance(ext, str) else ext))
    return [os.path.join(root, name) for root, _, files in os.walk(directory)
            for name in files if name.lower().endswith(ext)]


# ----------------------------------------------------------------- affine resampling

def flip_axis(x, axis):
    """``x`` reversed along ``axis``."""
    return np.flip(np.asarray(x), axis)


def _scipy_ndimage():
    try:
        from scipy import ndimage
    except ImportError:
        return None
    return ndimage


def _prepared_coordinate(coord, size, mode):
    """The coordinate to interpolate at, and whether it lies inside ``[0, size - 1]``
    (outside it, 'constant' gives ``cval``: scipy interpolates nothing beyond the edges)."""
    inside = (coord >= 0) & (coord <= size - 1)
    if mode == 'nearest':
        return np.clip(coord, 0, size - 1), inside
    if mode in ('wrap', 'reflect', 'mirror'):
        if size <= 1:
            return np.zeros_like(coord), inside
        below, above = coord < 0, coord > size - 1
        out = coord.copy()
        out[below] = _MAP_BELOW[mode](coord[below], size)
        out[above] = _MAP_ABOVE[mode](coord[above], size)
        return out, inside
    return coord, inside


# scipy.ndimage's map_coordinate: fold a coordinate outside [0, size - 1] back into range
# (np.trunc is C's cast to an integer).  Points that land just outside are then read through
# _extended_index, which also gives order 0 scipy's choice at exact half-pixel ties.
def _reflect_below(c, n):
    c = np.where(c < -2 * n, 2 * n * np.trunc(-c / (2 * n)) + c, c)
    return np.where(c < -n, c + 2 * n, np.where(c > -1e-15, 1e-15, -c) - 1)


def _reflect_above(c, n):
    c = c - 2 * n * np.trunc(c / (2 * n))
    return np.where(c >= n, 2 * n - c - 1, c)


def _mirror_below(c, n):
    c = (2 * n - 2) * np.trunc(-c / (2 * n - 2)) + c
    return np.where(c <= 1 - n, c + 2 * n - 2, -c)


def _mirror_above(c, n):
    c = c - (2 * n - 2) * np.trunc(c / (2 * n - 2))
    return np.where(c >= n, 2 * n - 2 - c, c)


def _wrap_below(c, n):  # scipy's 'wrap' has period n - 1: the first and last samples coincide
    return c + (n - 1) * (np.trunc(-c / (n - 1)) + 1)


def _wrap_above(c, n):
    return c - (n - 1) * np.trunc(c / (n - 1))


_MAP_BELOW = {'reflect': _reflect_below, 'mirror': _mirror_below, 'wrap': _wrap_below}
_MAP_ABOVE = {'reflect': _reflect_above, 'mirror': _mirror_above, 'wrap': _wrap_above}


def _extended_index(index, size, mode):
    """The input sample read for integer ``index``, which may lie outside ``[0, size)``."""
    if mode == 'reflect':  # d c b a | a b c d | d c b a
        folded = np.mod(index, 2 * size)
        return np.where(folded >= size, 2 * size - 1 - folded, folded)
    if mode == 'mirror' and size > 1:  # d c b | a b c d | c b a
        folded = np.mod(index, 2 * size - 2)
        return np.where(folded >= size, 2 * size - 2 - folded, folded)
    return np.clip(index, 0, size - 1)


def _axis_taps(coord, size, order, mode):
    """[(indices, weights)] of the input samples each output point reads along one axis."""
    coord, inside = _prepared_coordinate(coord, size, mode)
    if order == 0:
        nearest = np.floor(coord + 0.5).astype(np.intp)
        return [(_extended_index(nearest, size, mode), 1.0)], inside
    base = np.floor(coord)
    frac = coord - base
    base = base.astype(np.intp)
    return [(_extended_index(base, size, mode), 1.0 - frac),
            (_extended_index(base + 1, size, mode), frac)], inside


def _resample_numpy(channels, matrix, offset, order, mode, cval):
    """``scipy.ndimage.affine_transform`` for orders 0 and 1, all channels at once:
    output pixel ``o`` reads input point ``matrix @ o + offset``."""
    if order not in (0, 1):
        raise ValueError('Without SciPy, the interpolation order must be 0 or 1. Received: '
                         'order=%r (pip install scipy for higher orders)' % (order,))
    _, height, width = channels.shape
    rows, cols = np.meshgrid(np.arange(height, dtype=np.float64),
                             np.arange(width, dtype=np.float64), indexing='ij')
    source_rows = matrix[0, 0] * rows + matrix[0, 1] * cols + offset[0]
    source_cols = matrix[1, 0] * rows + matrix[1, 1] * cols + offset[1]
    row_taps, row_inside = _axis_taps(source_rows, height, order, mode)
    col_taps, col_inside = _axis_taps(source_cols, width, order, mode)
    out = np.zeros(channels.shape, dtype=np.float64)
    for row_index, row_weight in row_taps:
        for col_index, col_weight in col_taps:
            out += channels[:, row_index, col_index] * (row_weight * col_weight)
    if mode == 'constant':
        out = np.where(row_inside & col_inside, out, cval)
    return out.astype(channels.dtype, copy=False)


def _resample_scipy(channels, matrix, offset, order, mode, cval):
    ndimage = _scipy_ndimage()
    return np.stack([ndimage.affine_transform(channel, matrix, offset, order=order,
                                              mode=mode, cval=cval) for channel in channels])


def _resample(channels, matrix, offset, order, mode, cval):
    if mode not in FILL_MODES:
        raise ValueError('fill_mode must be one of %s. Received: fill_mode=%r'
                         % (', '.join(FILL_MODES), mode))
    if _scipy_ndimage() is not None:
        return _resample_scipy(channels, matrix, offset, order, mode, cval)
    return _resample_numpy(channels, matrix, offset, order, mode, cval)


def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` re-centred so that it acts about the image centre (``x`` by ``y`` pixels)."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def _affine_matrix(theta, tx, ty, shear, zx, zy):
    """Keras's composition rotation @ shift @ shear @ zoom (None when all are neutral)."""
    parts = []
    if theta != 0:
        theta = np.deg2rad(theta)
        parts.append([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0],
                      [0, 0, 1]])
    if tx != 0 or ty != 0:
        parts.append([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear != 0:
        shear = np.deg2rad(shear)
        parts.append([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        parts.append([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    if not parts:
        return None
    matrix = np.array(parts[0], dtype=np.float64)
    for part in parts[1:]:
        matrix = np.dot(matrix, np.array(part, dtype=np.float64))
    return matrix


def _check_image_axes(x, row_axis, col_axis, channel_axis):
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError('row_axis, col_axis and channel_axis must be 0, 1 and 2 in some '
                         'order. Received: row_axis=%r, col_axis=%r, channel_axis=%r'
                         % (row_axis, col_axis, channel_axis))
    if np.ndim(x) != 3:
        raise ValueError('Expected a single image of rank 3 (a 2D image with channels). '
                         'Received: x with shape %s' % (np.shape(x),))
    if channel_axis not in (0, 2):
        raise ValueError('Channels must be the first or the last axis. Received: '
                         'channel_axis=%r' % (channel_axis,))


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1,
                           col_axis=2, channel_axis=0, fill_mode='nearest', cval=0.,
                           order=1):
    """Rotate (``theta`` degrees), shift (``tx`` along the width, ``ty`` along the height,
    in pixels), shear (degrees) and zoom (``zx``, ``zy``) one 3D image about its centre."""
    _check_image_axes(x, row_axis, col_axis, channel_axis)
    matrix = _affine_matrix(theta, tx, ty, shear, zx, zy)
    if matrix is None:
        return x
    height, width = x.shape[row_axis], x.shape[col_axis]
    # Keras centres the (x, y) matrix with (height, width): exact for square images only.
    matrix = transform_matrix_offset_center(matrix, height, width)
    if col_axis > row_axis:
        # The matrix is built for (x, y) = (column, row) coordinates and arrays index
        # (row, column): swap both (M' = P M P with P the permutation), as Keras does.
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    # With the channels first, the other two axes keep their order: (row, col) unless the
    # caller put columns first, in which case the unswapped (x, y) matrix already fits.
    channels = np.moveaxis(np.asarray(x), channel_axis, 0)
    out = _resample(channels, matrix[:2, :2], matrix[:2, 2], order, fill_mode, cval)
    return np.moveaxis(out, 0, channel_axis)


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                    cval=0., interpolation_order=1):
    """Rotate by an angle drawn uniformly from ``[-rg, rg)`` degrees."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0., interpolation_order=1):
    """Shift by fractions drawn from ``[-wrg, wrg)`` and ``[-hrg, hrg)`` (Keras's pairing:
    the height fraction times the height is passed as ``tx``)."""
    height, width = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * height
    ty = np.random.uniform(-wrg, wrg) * width
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0., interpolation_order=1):
    """Shear by an angle drawn uniformly from ``[-intensity, intensity)`` degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def _two_floats(name, value):
    try:
        ok = len(value) == 2
    except TypeError:
        ok = False
    if not ok:
        raise ValueError('`%s` should be a tuple or list of two floats. Received: %s=%r'
                         % (name, name, value))


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                cval=0., interpolation_order=1):
    """Zoom by ``(zx, zy)`` drawn uniformly from ``zoom_range = (lower, upper)``."""
    _two_floats('zoom_range', zoom_range)
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add ``intensity`` to every channel, clipped to the image's own [min, max]."""
    return np.clip(x + intensity, np.min(x), np.max(x))


def random_channel_shift(x, intensity_range, channel_axis=0):
    """A channel shift by an intensity drawn from ``[-intensity_range, intensity_range)``."""
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def _brightness_shift(x, brightness, scale, channel_axis):
    """Keras's PIL round trip in NumPy: to uint8 (scaled to 0..255 when asked or when the
    values fall outside it), Pillow's Brightness blend with black (float32 product,
    truncated, clipped, alpha channel kept), back to float."""
    x = np.asarray(x, dtype=floatx())
    x_min, x_max = np.min(x), np.max(x)
    local_scale = bool(x_min < 0 or x_max > 255)
    pixels = (_to_pixel_range(x) if (scale or local_scale) else x).astype(np.uint8)
    blended = np.float32(brightness) * pixels.astype(np.float32)
    out = np.clip(np.floor(np.maximum(blended, 0)), 0, 255).astype(np.uint8)
    if x.shape[channel_axis] == 4:  # RGBA: Pillow's degenerate image keeps the alpha
        alpha = [slice(None)] * 3
        alpha[channel_axis] = 3
        out[tuple(alpha)] = pixels[tuple(alpha)]
    out = out.astype(floatx())
    if not scale and local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out


def apply_brightness_shift(x, brightness, scale=True):
    """Multiply brightness by ``brightness`` as Pillow's ``ImageEnhance.Brightness`` does
    (the result is in 0..255 when ``scale``; see ``_brightness_shift``)."""
    channel_axis = 2 if image_data_format() == 'channels_last' else 0
    return _brightness_shift(x, brightness, scale, channel_axis)


def random_brightness(x, brightness_range, scale=True):
    """A brightness shift by a factor drawn from ``brightness_range = (lower, upper)``."""
    _two_floats('brightness_range', brightness_range)
    factor = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, factor, scale)


# -------------------------------------------------------------------------- iterators

class Iterator(Sequence):
    """Batches of ``n`` samples, as Keras's image iterators: a ``Sequence`` (``len``,
    ``[index]``, ``on_epoch_end``) that is also an endless iterator (``next(it)``).

    Subclasses implement ``_get_batches_of_transformed_samples(index_array)``.
    """
    white_list_formats = ('png', 'jpg', 'jpeg', 'bmp', 'ppm', 'tif', 'tiff')

    def __init__(self, n, batch_size, shuffle, seed):
        super().__init__()
        if int(batch_size) < 1:
            raise ValueError('batch_size must be a positive integer. Received: batch_size=%r'
                             % (batch_size,))
        self.n = n
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = np.random.permutation(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError('Asked to retrieve element {idx}, but the Sequence has length '
                             '{length}'.format(idx=idx, length=len(self)))
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current_index = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self):
        """The next batch; the data is looped over forever, reshuffled at each pass."""
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError('%s must implement _get_batches_of_transformed_samples'
                                  % type(self).__name__)

    def _save_batch(self, batch_x, index_array):
        """Write the augmented images to ``save_to_dir`` (debugging aid, needs Pillow)."""
        for i, j in enumerate(index_array):
            img = array_to_img(batch_x[i], self.data_format, scale=True)
            fname = '{prefix}_{index}_{hash}.{format}'.format(
                prefix=self.save_prefix, index=j, hash=np.random.randint(1e7),
                format=self.save_format)
            img.save(os.path.join(self.save_to_dir, fname))


def _check_subset(subset):
    if subset not in (None, 'training', 'validation'):
        raise ValueError("subset must be 'training', 'validation' or None. Received: "
                         "subset=%r" % (subset,))


def _split_misc(x):
    """``x`` or ``(images, extra)``: the images and the list of extra arrays passed through."""
    if type(x) not in (tuple, list):
        return x, []
    extra = x[1] if type(x[1]) is list else [x[1]]
    extra = [np.asarray(item) for item in extra]
    for item in extra:
        if len(x[0]) != len(item):
            raise ValueError('All of the arrays in `x` should have the same length. Found a '
                             'pair with: len(x[0]) = %s, len(x[?]) = %s' % (len(x[0]), len(item)))
    return x[0], extra


class NumpyArrayIterator(Iterator):
    """Batches ``(x, y[, sample_weight])`` of augmented, standardized images from arrays."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix='', save_format='png', subset=None, ignore_class_split=False,
                 dtype=None):
        self.dtype = dtype or floatx()
        self.data_format = standardize_data_format(data_format)
        x, x_misc = _split_misc(x)
        _check_lengths(x, y, sample_weight)
        _check_subset(subset)
        if subset is not None:
            split = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and not np.array_equal(
                    np.unique(y[:split]), np.unique(y[split:])):
                raise ValueError('Training and validation subsets have different number of '
                                 'classes after the split. If your numpy arrays are sorted '
                                 'by the label, you might want to shuffle them.')
            part = slice(None, split) if subset == 'validation' else slice(split, None)
            x, x_misc = x[part], [item[part] for item in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        self._check_images()
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _check_images(self):
        if self.x.ndim != 4:
            raise ValueError('Input data in `NumpyArrayIterator` (the `x` passed to flow()) '
                             'should have rank 4: (samples, height, width, channels) or '
                             '(samples, channels, height, width). Received: x with shape %s'
                             % (self.x.shape,))
        channels_axis = 3 if self.data_format == 'channels_last' else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn('NumpyArrayIterator is set to use the data format convention "%s" '
                          '(channels on axis %d), i.e. expected either 1, 3, or 4 channels on '
                          'axis %d. However, it was passed an array with shape %s (%d channels).'
                          % (self.data_format, channels_axis, channels_axis, self.x.shape,
                             self.x.shape[channels_axis]))

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            x = self.x[j]
            params = generator.get_random_transform(x.shape)
            x = generator.apply_transform(x.astype(self.dtype), params)
            batch_x[i] = generator.standardize(x)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        batch_x_miscs = [item[index_array] for item in self.x_misc]
        output = ([batch_x] + batch_x_miscs if batch_x_miscs else batch_x,)
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output


def _check_lengths(x, y, sample_weight):
    if y is not None and len(x) != len(y):
        raise ValueError('`x` (images tensor) and `y` (labels) should have the same length. '
                         'Found: x.shape = %s, y.shape = %s'
                         % (np.asarray(x).shape, np.asarray(y).shape))
    if sample_weight is not None and len(x) != len(sample_weight):
        raise ValueError('`x` (images tensor) and `sample_weight` should have the same length. '
                         'Found: x.shape = %s, sample_weight.shape = %s'
                         % (np.asarray(x).shape, np.asarray(sample_weight).shape))


def _iter_valid_files(directory, white_list_formats, follow_links):
    """(root, filename) of the image files under ``directory``, in sorted order."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith('.tiff'):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              'Please verify your output.')
            if fname.lower().endswith(white_list_formats):
                yield root, fname


def _list_valid_filenames_in_directory(directory, white_list_formats, split, class_indices,
                                       follow_links):
    """Class indices and ``class_name/file`` paths of one class folder's images (only the
    ``split = (start, stop)`` fraction of them when a validation split is used)."""
    dirname = os.path.basename(directory)
    valid_files = list(_iter_valid_files(directory, white_list_formats, follow_links))
    if split:
        start, stop = int(split[0] * len(valid_files)), int(split[1] * len(valid_files))
        valid_files = valid_files[start:stop]
    classes, filenames = [], []
    for root, fname in valid_files:
        classes.append(class_indices[dirname])
        relative = os.path.relpath(os.path.join(root, fname), directory)
        filenames.append(os.path.join(dirname, relative))
    return classes, filenames


class DirectoryIterator(Iterator):
    """Batches of images read from ``directory/<class name>/*.png`` (needs Pillow)."""
    allowed_class_modes = {'categorical', 'binary', 'sparse', 'input', None}

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode='rgb', classes=None, class_mode='categorical', batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix='',
                 save_format='png', follow_links=False, subset=None, interpolation='nearest',
                 keep_aspect_ratio=False, dtype=None):
        _pil_image()  # fail now, not at the first batch
        self._set_processing_attrs(image_data_generator, target_size, color_mode, data_format,
                                   subset, interpolation, keep_aspect_ratio)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        if class_mode not in self.allowed_class_modes:
            raise ValueError('Invalid class_mode: %r; expected one of "categorical", "binary", '
                             '"sparse", "input" or None.' % (class_mode,))
        if not os.path.isdir(directory):
            raise ValueError('flow_from_directory: directory=%r is not a folder. Expected one '
                             'subfolder of images per class.' % (directory,))
        self.directory, self.class_mode = directory, class_mode
        self.dtype = dtype or floatx()
        self._collect_files(classes, follow_links)
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _set_processing_attrs(self, image_data_generator, target_size, color_mode, data_format,
                              subset, interpolation, keep_aspect_ratio):
        self.image_data_generator = image_data_generator
        self.target_size = tuple(int(v) for v in target_size)
        if color_mode not in ('rgb', 'rgba', 'grayscale'):
            raise ValueError('Invalid color mode: %r; expected "rgb", "rgba", or "grayscale".'
                             % (color_mode,))
        self.color_mode = color_mode
        self.data_format = standardize_data_format(data_format)
        channels = {'rgb': 3, 'rgba': 4, 'grayscale': 1}[color_mode]
        self.image_shape = (self.target_size + (channels,)
                            if self.data_format == 'channels_last'
                            else (channels,) + self.target_size)
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio
        _check_subset(subset)
        validation_split = getattr(image_data_generator, '_validation_split', 0.0)
        self.split = {None: None, 'validation': (0, validation_split),
                      'training': (validation_split, 1)}[subset]
        self.subset = subset

    def _collect_files(self, classes, follow_links):
        if not classes:
            classes = [name for name in sorted(os.listdir(self.directory))
                       if os.path.isdir(os.path.join(self.directory, name))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames, labels = [], []
        for name in classes:
            found, filenames = _list_valid_filenames_in_directory(
                os.path.join(self.directory, name), self.white_list_formats, self.split,
                self.class_indices, follow_links)
            labels += found
            self.filenames += filenames
        self.samples = len(self.filenames)
        self.classes = np.array(labels, dtype='int32')
        print('Found %d images belonging to %d classes.' % (self.samples, self.num_classes))
        self._filepaths = [os.path.join(self.directory, fname) for fname in self.filenames]

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None

    def _load_batch(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
            if generator:
                params = generator.get_random_transform(x.shape)
                x = generator.standardize(generator.apply_transform(x, params))
            batch_x[i] = x
        return batch_x

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._load_batch(index_array)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        if self.class_mode == 'input':
            return batch_x, batch_x.copy()
        if self.class_mode in ('binary', 'sparse'):
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == 'categorical':
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.
            return batch_x, batch_y
        return batch_x


# ----------------------------------------------------------------- ImageDataGenerator

def _generator_data_format(data_format, kwargs):
    """``data_format``, or Keras 1's ``dim_ordering`` ('tf', 'th', 'default')."""
    if 'dim_ordering' in kwargs:
        dim_ordering = kwargs.pop('dim_ordering')
        if dim_ordering not in _KERAS1_DIM_ORDERING:
            raise ValueError("dim_ordering must be 'tf', 'th' or 'default'. Received: "
                             "dim_ordering=%r" % (dim_ordering,))
        warnings.warn('ImageDataGenerator: `dim_ordering` is the Keras 1 name of '
                      '`data_format`; pass data_format= instead.', DeprecationWarning,
                      stacklevel=3)
        data_format = data_format or _KERAS1_DIM_ORDERING[dim_ordering]
    if kwargs:
        raise TypeError('ImageDataGenerator got unexpected keyword arguments: %s'
                        % ', '.join(sorted(kwargs)))
    if data_format is not None and data_format not in ('channels_last', 'channels_first'):
        raise ValueError('`data_format` should be `"channels_last"` (channel after row and '
                         'column) or `"channels_first"` (channel before row and column). '
                         'Received: data_format=%r' % (data_format,))
    return standardize_data_format(data_format)


def _zoom_pair(zoom_range):
    if isinstance(zoom_range, (float, int)) and not isinstance(zoom_range, bool):
        return [1 - zoom_range, 1 + zoom_range]
    try:
        if len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            return [zoom_range[0], zoom_range[1]]
    except TypeError:
        pass
    raise ValueError('`zoom_range` should be a float or a tuple or list of two floats. '
                     'Received: zoom_range=%r' % (zoom_range,))


def _random_shift_amount(shift_range, size):
    """One shift in pixels: an int n picks from [-(n-1), n-1], an array picks one of its
    values (with a random sign), a float draws uniformly; below 1 it is a fraction of
    ``size``.  The draws are Keras's, in its order."""
    if isinstance(shift_range, (float, np.floating)):
        amount = np.random.uniform(-shift_range, shift_range)
    else:
        amount = np.random.choice(shift_range)
        amount *= np.random.choice([-1, 1])
    if np.max(shift_range) < 1:
        amount *= size
    return amount


class ImageDataGenerator:
    """Real-time augmentation and normalization of image batches (Keras 2's generator).

    ``fit(x)`` computes the featurewise statistics (mean, std, ZCA matrix); ``flow(x, y)``
    and ``flow_from_directory(path)`` return endless batch iterators that are also
    ``Sequence`` objects.  Transforms use NumPy's global random generator, like Keras.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0., height_shift_range=0., brightness_range=None,
                 shear_range=0., zoom_range=0., channel_shift_range=0., fill_mode='nearest',
                 cval=0., horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 interpolation_order=1, dtype=None, **kwargs):
        self.data_format = _generator_data_format(data_format, kwargs)
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.zoom_range = _zoom_pair(zoom_range)
        self.channel_shift_range = channel_shift_range
        self.fill_mode = self._checked_fill_mode(fill_mode)
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.interpolation_order = interpolation_order
        self.dtype = dtype or floatx()
        self.channel_axis, self.row_axis, self.col_axis = (
            (1, 2, 3) if self.data_format == 'channels_first' else (3, 1, 2))
        if validation_split and not 0 < validation_split < 1:
            raise ValueError('`validation_split` must be strictly between 0 and 1. '
                             'Received: validation_split=%r' % (validation_split,))
        self._validation_split = validation_split
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None
        if brightness_range is not None:
            _two_floats('brightness_range', brightness_range)
        self.brightness_range = brightness_range
        self._resolve_normalization_overrides()

    @staticmethod
    def _checked_fill_mode(fill_mode):
        if fill_mode not in FILL_MODES:
            raise ValueError('fill_mode must be one of %s. Received: fill_mode=%r'
                             % (', '.join(FILL_MODES), fill_mode))
        return fill_mode

    def _resolve_normalization_overrides(self):
        """ZCA implies featurewise centering and replaces std normalization; std
        normalization implies centering.  Keras warns about each override."""
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn('This ImageDataGenerator specifies `zca_whitening`, which '
                              'overrides setting of `featurewise_center`.')
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn('This ImageDataGenerator specifies `zca_whitening` which '
                              'overrides setting of`featurewise_std_normalization`.')
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn('This ImageDataGenerator specifies `featurewise_std_normalization`, '
                          'which overrides setting of `featurewise_center`.')
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn('This ImageDataGenerator specifies `samplewise_std_normalization`, '
                          'which overrides setting of `samplewise_center`.')

    # ------------------------------------------------------------------ iterators

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix='', save_format='png', ignore_class_split=False,
             subset=None):
        """An endless ``NumpyArrayIterator`` over ``x`` (rank 4, or ``(images, extra)``),
        yielding ``x`` or ``(x, y)`` or ``(x, y, sample_weight)`` batches."""
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format,
            ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode='rgb',
                            classes=None, class_mode='categorical', batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix='',
                            save_format='png', follow_links=False, subset=None,
                            interpolation='nearest', keep_aspect_ratio=False):
        """An endless ``DirectoryIterator`` over ``directory/<class>/<image files>``."""
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    # ------------------------------------------------------------ normalization

    def standardize(self, x):
        """Apply preprocessing_function, rescale and the normalizations to ``x`` (a batch or
        one image), in place where the array allows it, as Keras does."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= (np.std(x, keepdims=True) + 1e-6)
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                _warn_not_fit('featurewise_center')
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= (self.std + 1e-6)
            else:
                _warn_not_fit('featurewise_std_normalization')
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat_x = x.reshape(-1, np.prod(x.shape[-3:]))
                x = np.reshape(flat_x @ self.zca_whitening_matrix, x.shape)
            else:
                _warn_not_fit('zca_whitening')
        return x

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the featurewise mean / std / ZCA matrix from sample images ``x`` (rank 4),
        after ``rescale`` and, with ``augment``, over ``rounds`` augmented copies."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError('Input to `.fit()` should have rank 4. Received: x with shape %s'
                             % (x.shape,))
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn('Expected input to be images (as Numpy array) following the data '
                          'format convention "%s" (channels on axis %d), i.e. expected either '
                          '1, 3 or 4 channels on axis %d. However, it was passed an array with '
                          'shape %s (%d channels).' % (self.data_format, self.channel_axis,
                                                       self.channel_axis, x.shape,
                                                       x.shape[self.channel_axis]))
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = self._augmented_copies(x, rounds)
        self._fit_statistics(x)

    def _augmented_copies(self, x, rounds):
        augmented = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
        for r in range(rounds):
            for i in range(x.shape[0]):
                augmented[i + r * x.shape[0]] = self.random_transform(x[i])
        return augmented

    def _fit_statistics(self, x):
        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis))
            self.mean = np.reshape(self.mean, broadcast_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis))
            self.std = np.reshape(self.std, broadcast_shape)
            x /= (self.std + 1e-6)
        if self.zca_whitening:
            n = len(x)
            flat_x = np.reshape(x, (n, -1))
            u, s, _ = np.linalg.svd(flat_x.T, full_matrices=False)
            s_inv = np.sqrt(n) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * s_inv).dot(u.T)

    # --------------------------------------------------------------- augmentation

    def get_random_transform(self, img_shape, seed=None):
        """A dict of random transform parameters for one image of shape ``img_shape``
        (theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical,
        channel_shift_intensity, brightness), drawn in Keras's order."""
        img_row_axis, img_col_axis = self.row_axis - 1, self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = _random_shift_amount(self.height_shift_range, img_shape[img_row_axis]) \
            if _is_set(self.height_shift_range) else 0
        ty = _random_shift_amount(self.width_shift_range, img_shape[img_col_axis]) \
            if _is_set(self.width_shift_range) else 0
        shear = np.random.uniform(-self.shear_range, self.shear_range) \
            if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range,
                                                        self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {'theta': theta, 'tx': tx, 'ty': ty, 'shear': shear, 'zx': zx, 'zy': zy,
                'flip_horizontal': flip_horizontal, 'flip_vertical': flip_vertical,
                'channel_shift_intensity': channel_shift_intensity, 'brightness': brightness}

    def apply_transform(self, x, transform_parameters):
        """Apply ``transform_parameters`` (see ``get_random_transform``) to one 3D image."""
        img_row_axis, img_col_axis = self.row_axis - 1, self.col_axis - 1
        img_channel_axis = self.channel_axis - 1
        params = transform_parameters
        x = apply_affine_transform(
            x, params.get('theta', 0), params.get('tx', 0), params.get('ty', 0),
            params.get('shear', 0), params.get('zx', 1), params.get('zy', 1),
            row_axis=img_row_axis, col_axis=img_col_axis, channel_axis=img_channel_axis,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if params.get('channel_shift_intensity') is not None:
            x = apply_channel_shift(x, params['channel_shift_intensity'], img_channel_axis)
        if params.get('flip_horizontal', False):
            x = flip_axis(x, img_col_axis)
        if params.get('flip_vertical', False):
            x = flip_axis(x, img_row_axis)
        if params.get('brightness') is not None:
            x = _brightness_shift(x, params['brightness'], False, img_channel_axis)
        return x

    def random_transform(self, x, seed=None):
        """``x`` (one 3D image) randomly transformed."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))


def _is_set(shift_range):
    """Keras's ``if self.height_shift_range:`` (a non-empty list counts, even ``[0]``)."""
    if isinstance(shift_range, (list, tuple, np.ndarray)):
        return len(shift_range) > 0
    return bool(shift_range)


def _warn_not_fit(option):
    warnings.warn("This ImageDataGenerator specifies `%s`, but it hasn't been fit on any "
                  "training data. Fit it first by calling `.fit(numpy_data)`." % option)
