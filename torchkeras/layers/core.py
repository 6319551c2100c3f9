"""``keras.layers.core``: the Keras 1 and 2 module path of the core layers, with the other
layers Keras 1 and 2 scripts import from it (Masking, SpatialDropout, Keras 1's Highway,
MaxoutDense, TimeDistributedDense and Merge).  The classes live in ``basic.py``,
``embedding.py``, ``regularization.py`` and ``legacy.py``."""
from torchkeras.layers.basic import (Activation, Dense, Dropout, Flatten, Lambda, Permute,
                                     RepeatVector, Reshape)
from torchkeras.layers.embedding import Masking
from torchkeras.layers.legacy import Highway, MaxoutDense, Merge, TimeDistributedDense
from torchkeras.layers.regularization import (ActivityRegularization, SpatialDropout1D,
                                              SpatialDropout2D, SpatialDropout3D)

__all__ = ['Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'Permute', 'RepeatVector',
           'Lambda', 'Masking', 'ActivityRegularization', 'SpatialDropout1D', 'SpatialDropout2D',
           'SpatialDropout3D', 'Highway', 'MaxoutDense', 'Merge', 'TimeDistributedDense']
