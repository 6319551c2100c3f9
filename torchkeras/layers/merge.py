"""``keras.layers.merge`` (Keras 2.0-2.x module path of the merge layers), with Keras 1's
``Merge``/``merge`` beside them."""
from torchkeras.layers.legacy import Merge, merge
from torchkeras.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum,
                                       Multiply, Subtract, add, average, concatenate, dot,
                                       maximum, minimum, multiply, subtract)

__all__ = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot',
           'add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concatenate', 'dot',
           'Merge', 'merge']
