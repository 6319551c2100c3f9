"""CIFAR-10, read from the ``cifar-10-batches-py`` folder (or its tarball) in the Keras cache."""
import os

import numpy as np

from torchkeras.config import image_data_format
from torchkeras.datasets._common import dataset_path, load_pickle
from torchkeras.utils.data_utils import get_file

__all__ = ['load_data', 'load_batch']

DIRNAME = 'cifar-10-batches-py'
# The name the archive has on the CIFAR site; Keras caches it as DIRNAME + '.tar.gz'.
ORIGINAL_ARCHIVE = 'cifar-10-python.tar.gz'


def load_batch(fpath, label_key='labels'):
    """One pickled CIFAR batch: uint8 images (n, 3, 32, 32) and a list of labels."""
    with open(fpath, 'rb') as f:
        batch = {key.decode('utf8') if isinstance(key, bytes) else key: value
                 for key, value in load_pickle(f, encoding='bytes').items()}
    data = np.asarray(batch['data'], dtype='uint8')
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def _batches_folder():
    """The extracted folder; a tarball under either name is extracted next to it first."""
    try:
        return dataset_path(DIRNAME, 'cifar10', untar=True)
    except FileNotFoundError as err:
        try:
            archive = get_file(ORIGINAL_ARCHIVE, extract=True, archive_format='tar')
        except FileNotFoundError:
            raise FileNotFoundError('%s (%r, the name on the CIFAR site, is accepted too.)'
                                    % (err, ORIGINAL_ARCHIVE)) from None
        return os.path.join(os.path.dirname(archive), DIRNAME)


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
    (10000, 32, 32, 3) (channels first under that image_data_format), uint8 labels (n, 1)."""
    folder = _batches_folder()
    train = [load_batch(os.path.join(folder, 'data_batch_%d' % i)) for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([np.asarray(labels, dtype='uint8') for _, labels in train])
    x_test, y_test = load_batch(os.path.join(folder, 'test_batch'))
    y_train = y_train.reshape(-1, 1)
    y_test = np.asarray(y_test, dtype='uint8').reshape(-1, 1)
    if image_data_format() == 'channels_last':
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
