"""Layers: `Module` (with its `Parameter`s), `Dense`, `ReLU`, `Tanh`, `Sigmoid`, `BatchNorm`,
`LayerNorm`, `Dropout`, `Sequential`; losses `mse_loss`/`MSELoss`, `cross_entropy`/`CrossEntropyLoss`;
`functional`, the losses as functions and layers composed from primitive ops (cross-checks)."""

from . import functional
from .activation import ReLU, Sigmoid, Tanh
from .batchnorm import CONVENTIONS, BatchNorm
from .container import Sequential
from .dense import Dense
from .dropout import Dropout
from .layernorm import LayerNorm
from .loss import CrossEntropyLoss, MSELoss, cross_entropy, mse_loss
from .module import Module
from .parameter import Parameter

__all__ = [
    "CONVENTIONS",
    "BatchNorm",
    "CrossEntropyLoss",
    "Dense",
    "Dropout",
    "LayerNorm",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "cross_entropy",
    "functional",
    "mse_loss",
]
