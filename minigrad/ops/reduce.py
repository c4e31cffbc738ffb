"""Reductions: sum, mean and variance over an axis or a tuple of axes."""

from __future__ import annotations

import math

import numpy as np

from ..tables import shape_str
from .base import Context, Function, normalize_axes


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod(shape[a] for a in axes)  # Python ints: exact, and much faster than np.prod on a list


def _spread(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back its reduced axes, broadcast (a read-only view) to `shape`."""
    if not keepdims:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    """y = sum_i x_i over `axis`;  dy/dx_i = 1 (the gradient is copied to every summed element)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axis=None, keepdims: bool = False) -> np.ndarray:
        ctx.axes = normalize_axes(axis, x.shape, "sum")
        ctx.shape, ctx.keepdims = x.shape, keepdims
        return x.sum(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return _spread(grad, ctx.shape, ctx.axes, ctx.keepdims)


class Mean(Function):
    """y = (1/n) sum_i x_i over `axis`;  dy/dx_i = 1/n."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axis=None, keepdims: bool = False) -> np.ndarray:
        ctx.axes = normalize_axes(axis, x.shape, "mean")
        ctx.shape, ctx.keepdims = x.shape, keepdims
        if _count(x.shape, ctx.axes) == 0:
            raise ValueError(f"mean: cannot average over an empty axis of shape {shape_str(x.shape)}")
        return x.mean(axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return _spread(grad / _count(ctx.shape, ctx.axes), ctx.shape, ctx.axes, ctx.keepdims)


class Var(Function):
    """y = sum_i (x_i - mean)^2 / (n - ddof);  dy/dx_i = 2 (x_i - mean) / (n - ddof).

    (The mean's own dependence on x_i drops out because sum_i (x_i - mean) = 0.)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axis=None, keepdims: bool = False, ddof: int = 0) -> np.ndarray:
        axes = normalize_axes(axis, x.shape, "var")
        n = _count(x.shape, axes)
        if n - ddof <= 0:
            raise ValueError(
                f"var: ddof={ddof} needs more than {ddof} values per reduction, "
                f"shape {shape_str(x.shape)} over axes {axes} has {n}"
            )
        centered = x - x.mean(axis=axes, keepdims=True)
        ctx.centered, ctx.axes, ctx.keepdims, ctx.dof = centered, axes, keepdims, n - ddof
        return (centered * centered).sum(axis=axes, keepdims=keepdims) / (n - ddof)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        if not ctx.keepdims:
            grad = np.expand_dims(grad, ctx.axes)
        return grad * (2.0 / ctx.dof) * ctx.centered
