"""Losses as single fused ops: one graph node instead of a chain of primitives."""

from __future__ import annotations

import numpy as np

from ..tables import shape_str
from .base import Context, Function


class MSE(Function):
    """L = mean((pred - target)^2) over all n elements;  dL/dpred = 2 (pred - target) / n = -dL/dtarget.

    One node instead of three (sub, mul, mean): the mean's backward no longer spreads a scalar
    over the whole shape, and `diff * diff` no longer sends two gradients that must be added.
    """

    name = "mse_loss"

    @staticmethod
    def forward(ctx: Context, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        if pred.size == 0:
            raise ValueError(f"mse_loss: cannot average over an empty prediction of shape {shape_str(pred.shape)}")
        diff = pred - target
        ctx.diff = diff
        return np.asarray(np.vdot(diff, diff) / diff.size, dtype=diff.dtype)  # sum of squares, no temporary

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        d_pred = ctx.diff * (2.0 * grad / ctx.diff.size)
        return d_pred, (-d_pred if ctx.needs_input_grad[1] else None)
