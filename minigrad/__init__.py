"""minigrad: autograd from scratch on NumPy, for learning how gradients flow (BatchNorm above all).

import minigrad as mg
x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
loss = (x * x).mean()
loss.backward()          # x.grad == x / 2
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

from . import data, debug, derivations, nn, optim  # subpackages: `mg.nn`, `mg.optim`, ...
from .engine.anomaly import AnomalyError, detect_anomaly
from .engine.dtypes import get_default_dtype, set_default_dtype
from .engine.hooks import RemovableHandle
from .engine.mode import enable_grad, is_grad_enabled, no_grad
from .engine.random import manual_seed
from .engine.tensor import Tensor, apply, tensor
from .gradcheck import GradcheckReport, gradcheck, numerical_grad
from .io import load, save
from .ops.base import Context, Function

try:
    __version__ = _distribution_version("minigrad")  # stated once, in pyproject.toml
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AnomalyError",
    "Context",
    "Function",
    "GradcheckReport",
    "RemovableHandle",
    "Tensor",
    "__version__",
    "apply",
    "data",
    "debug",
    "derivations",
    "detect_anomaly",
    "enable_grad",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "save",
    "set_default_dtype",
    "tensor",
]
