"""Every differentiable op, one class each, forward and local backward side by side.

`base` is the ground floor they stand on (`Function`, `Context`, un-broadcasting, axis
normalisation); `stage` and `batchnorm_stages` define BatchNorm's nine named stages once, as ops,
for both the derivation and `BatchNorm(impl="staged")`.
"""

from .arithmetic import Add, Div, Mul, Neg, Pow, Sub
from .linalg import Linear, MatMul
from .loss import MSE, CrossEntropy
from .normalization import BatchNormEval, BatchNormTrain, LayerNorm
from .reduce import Mean, Sum, Var
from .shape import GetItem, Reshape, Transpose
from .softmax import LogSoftmax, Softmax
from .unary import Dropout, Exp, Log, ReLU, Sigmoid, Sqrt, Tanh

__all__ = [
    "MSE",
    "Add",
    "BatchNormEval",
    "BatchNormTrain",
    "CrossEntropy",
    "Div",
    "Dropout",
    "Exp",
    "GetItem",
    "LayerNorm",
    "Linear",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Mean",
    "Mul",
    "Neg",
    "Pow",
    "ReLU",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Sqrt",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "Var",
]
