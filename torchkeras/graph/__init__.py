"""The symbolic half of torchkeras: KerasTensor, Node, Operation and shape inference
(see README.md)."""
from torchkeras.graph.keras_tensor import KerasHistory, KerasTensor, is_keras_tensor
from torchkeras.graph.node import Node
from torchkeras.graph.operation import Operation, TFOpLambda

__all__ = ['KerasHistory', 'KerasTensor', 'Node', 'Operation', 'TFOpLambda', 'is_keras_tensor']
