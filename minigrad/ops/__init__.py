"""Every differentiable op, one class each, forward and local backward side by side."""

from .arithmetic import Add, Div, Mul, Neg, Pow, Sub
from .linalg import Linear, MatMul
from .loss import MSE
from .normalization import BatchNormEval, BatchNormTrain
from .reduce import Mean, Sum, Var
from .shape import GetItem, Reshape, Transpose
from .unary import Exp, Log, ReLU, Sqrt

__all__ = [
    "MSE",
    "Add",
    "BatchNormEval",
    "BatchNormTrain",
    "Div",
    "Exp",
    "GetItem",
    "Linear",
    "Log",
    "MatMul",
    "Mean",
    "Mul",
    "Neg",
    "Pow",
    "ReLU",
    "Reshape",
    "Sqrt",
    "Sub",
    "Sum",
    "Transpose",
    "Var",
]
