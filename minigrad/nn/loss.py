"""Losses."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.tensor import Tensor, apply, as_operand
from ..ops import MSE
from ..tables import shape_str
from .module import Module


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    """mean((pred - target)^2) over every element;  d/dpred = 2 (pred - target) / n.

    Shapes must match exactly: silently broadcasting (N, 1) against (N,) into (N, N) is a classic bug.
    """
    target_shape = np.shape(target.data if isinstance(target, Tensor) else target)
    if pred.shape != target_shape:
        raise ValueError(
            f"mse_loss: prediction shape {shape_str(pred.shape)} does not match target shape {shape_str(target_shape)}"
        )
    return apply(MSE, pred, as_operand(target, pred, MSE))  # one fused op (see ops/loss.py)


class MSELoss(Module):
    """Module form of `mse_loss`."""

    def forward(self, pred: Tensor, target: Any) -> Tensor:
        return mse_loss(pred, target)
