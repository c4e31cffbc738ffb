"""Layers: `Module`, `Dense`, `ReLU`, `BatchNorm`, `Sequential`, `mse_loss`/`MSELoss`."""

from . import functional
from .activation import ReLU
from .batchnorm import CONVENTIONS, BatchNorm
from .container import Sequential
from .dense import Dense
from .loss import MSELoss, mse_loss
from .module import Module
from .parameter import Parameter

__all__ = [
    "CONVENTIONS",
    "BatchNorm",
    "Dense",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "functional",
    "mse_loss",
]
