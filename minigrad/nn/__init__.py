"""Layers: `Module`, `Dense`, `ReLU`, `BatchNorm`, `Sequential`, `mse_loss`/`MSELoss`."""

from . import functional
from .activation import ReLU
from .batchnorm import CONVENTIONS, BatchNorm
from .container import Sequential
from .dense import Dense
from .loss import MSELoss, mse_loss
from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter", "Dense", "ReLU", "BatchNorm", "CONVENTIONS", "Sequential",
           "mse_loss", "MSELoss", "functional"]
