"""Element-wise functions of one tensor: exp, log, sqrt, relu."""

from __future__ import annotations

import numpy as np

from .base import Context, Function


class Exp(Function):
    """y = exp(x);  dy/dx = exp(x) = y."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.out = np.exp(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * ctx.out


class Log(Function):
    """y = log(x);  dy/dx = 1/x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.x = x
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / ctx.x


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 sqrt(x)) = 0.5 / y."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.out = np.sqrt(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * 0.5 / ctx.out


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        out = np.maximum(x, 0)  # not x * (x > 0): that gives -0.0 for negative inputs
        ctx.out = out  # out > 0 exactly where x > 0; the next op keeps `out` alive anyway
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * (ctx.out > 0)
