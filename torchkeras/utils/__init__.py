"""Keras utilities (``keras.utils``): data helpers, Sequence, summaries, plotting."""
from torchkeras.config import set_random_seed
from torchkeras.utils import data_utils, generic, np_utils, vis_utils
from torchkeras.utils.data_utils import Sequence, get_file, pad_sequences
from torchkeras.utils.dataset_utils import (image_dataset_from_directory,
                                            text_dataset_from_directory,
                                            timeseries_dataset_from_array)
from torchkeras.utils.generic import to_list
from torchkeras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from torchkeras.utils.np_utils import normalize, to_categorical
from torchkeras.utils.object_registry import (CustomObjectScope, custom_object_scope,
                                              get_custom_objects, get_registered_name,
                                              get_registered_object,
                                              register_keras_serializable)
from torchkeras.utils.summary import print_summary
from torchkeras.utils.vis_utils import model_to_dot, plot_model

PyDataset = Sequence  # Keras 3 name

__all__ = ['Sequence', 'PyDataset', 'get_file', 'pad_sequences', 'to_categorical', 'normalize',
           'print_summary', 'set_random_seed', 'to_list', 'data_utils', 'generic', 'np_utils',
           'plot_model', 'model_to_dot', 'vis_utils', 'CustomObjectScope',
           'custom_object_scope', 'get_custom_objects', 'get_registered_name',
           'get_registered_object', 'register_keras_serializable', 'image_dataset_from_directory',
           'text_dataset_from_directory', 'timeseries_dataset_from_array', 'load_img',
           'img_to_array', 'array_to_img', 'save_img']
