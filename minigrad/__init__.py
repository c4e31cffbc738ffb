"""minigrad: autograd from scratch on NumPy, for learning how gradients flow (BatchNorm above all).

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    loss = (x * x).mean()
    loss.backward()          # x.grad == x / 2
"""

from __future__ import annotations

from .engine.allocator import tune_malloc
from .engine.anomaly import AnomalyError, detect_anomaly
from .engine.dtypes import get_default_dtype, set_default_dtype
from .engine.function import Context, Function
from .engine.hooks import RemovableHandle
from .engine.mode import enable_grad, is_grad_enabled, no_grad
from .engine.random import manual_seed
from .engine.tensor import Tensor, apply, tensor
from .gradcheck import GradcheckReport, gradcheck, numerical_grad
from .io import load, save
from . import debug, derivations, nn, optim, plot  # noqa: E402  (subpackages: `mg.nn` etc.; plot imports matplotlib lazily)

__version__ = "0.1.0"

# Reuse freed activation memory across training steps (see engine/allocator.py for why and how to opt out).
tune_malloc()

__all__ = [
    "Tensor", "tensor", "apply", "Function", "Context", "no_grad", "enable_grad", "is_grad_enabled",
    "set_default_dtype", "get_default_dtype", "manual_seed", "detect_anomaly", "AnomalyError",
    "RemovableHandle", "gradcheck", "numerical_grad", "GradcheckReport", "save", "load",
    "nn", "optim", "debug", "derivations", "plot",
]
