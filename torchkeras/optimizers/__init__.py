"""``keras.optimizers`` on torch: the optimizer classes, ``get`` / ``serialize`` /
``deserialize``, and the ``schedules`` and ``legacy`` submodules.

The update rules and defaults are tf.keras 2's (tf_keras >= 2.11, the same as Keras 3);
``torchkeras.optimizers.legacy`` has the OptimizerV2 (TF <= 2.10) variants.
"""
from torchkeras.optimizers import legacy
from torchkeras.optimizers import schedules
from torchkeras.optimizers.optimizer import Adadelta
from torchkeras.optimizers.optimizer import Adagrad
from torchkeras.optimizers.optimizer import Adam
from torchkeras.optimizers.optimizer import AdamW
from torchkeras.optimizers.optimizer import Adamax
from torchkeras.optimizers.optimizer import Ftrl
from torchkeras.optimizers.optimizer import Nadam
from torchkeras.optimizers.optimizer import Optimizer
from torchkeras.optimizers.optimizer import RMSprop
from torchkeras.optimizers.optimizer import SGD
from torchkeras.optimizers.optimizer import TorchOptimizer
from torchkeras.optimizers.serialization import deserialize
from torchkeras.optimizers.serialization import get
from torchkeras.optimizers.serialization import serialize

# Keras 1/2 lowercase aliases (keras/optimizers.py in Keras <= 2.2).
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

__all__ = [
    'Optimizer', 'SGD', 'RMSprop', 'Adam', 'AdamW', 'Adagrad', 'Adadelta', 'Adamax', 'Nadam',
    'Ftrl', 'TorchOptimizer', 'get', 'serialize', 'deserialize', 'schedules', 'legacy',
    'sgd', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamax', 'nadam',
]
