"""Softmax and log-softmax along one axis, both shifted by the maximum so that logits of +-1000
neither overflow nor underflow (softmax(x) = softmax(x - c) for any constant c along the axis)."""

from __future__ import annotations

import numpy as np

from ..tables import shape_str
from .base import Context, Function, normalize_axes


def single_axis(axis: int, shape: tuple[int, ...], op_name: str) -> int:
    """`axis` as a non-negative int for an op that normalises along exactly one axis."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op_name}: axis must be an int, got {type(axis).__name__} {axis!r}")
    if len(shape) == 0:
        raise ValueError(f"{op_name}: needs at least one axis, got a 0-d input of shape {shape_str(shape)}")
    (a,) = normalize_axes(axis, shape, op_name)
    if shape[a] == 0:
        raise ValueError(f"{op_name}: cannot normalise over the empty axis {axis} of shape {shape_str(shape)}")
    return a


def stable_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """log_softmax(x) = (x - m) - log(sum(exp(x - m))), m = max(x) along `axis`: exp never overflows,
    and the largest entry's exp is exactly 1, so the log's argument is >= 1 (no log(0))."""
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class Softmax(Function):
    """y_i = exp(x_i) / sum_j exp(x_j) along `axis`;  dy_i/dx_k = y_i (delta_ik - y_k), so

    dx = y * (dy - sum(dy * y))          (the sum along `axis`)
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axis: int = -1) -> np.ndarray:
        a = single_axis(axis, x.shape, "softmax")
        out = np.exp(x - x.max(axis=a, keepdims=True))
        out /= out.sum(axis=a, keepdims=True)
        ctx.out, ctx.axis = out, a
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        y = ctx.out
        return y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """y_i = x_i - log(sum_j exp(x_j)) along `axis`;  dy_i/dx_k = delta_ik - softmax(x)_k, so

    dx = dy - softmax(x) * sum(dy)       (the sum along `axis`; softmax(x) = exp(y))
    """

    name = "log_softmax"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axis: int = -1) -> np.ndarray:
        a = single_axis(axis, x.shape, "log_softmax")
        out = stable_log_softmax(x, a)
        ctx.out, ctx.axis = out, a
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad - np.exp(ctx.out) * grad.sum(axis=ctx.axis, keepdims=True)
