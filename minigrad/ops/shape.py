"""Ops that move elements without changing them: reshape, transpose, indexing."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tables import shape_str
from .base import Context, Function


class Reshape(Function):
    """y = x viewed with a new shape;  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape {shape_str(x.shape)} ({x.size} elements) into {tuple(int(n) for n in shape)}"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(ctx.shape)


class Transpose(Function):
    """y = x with its axes permuted;  the gradient is permuted back by the inverse permutation."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axes: tuple[int, ...] | None = None) -> np.ndarray:
        if axes is None:
            axes = tuple(reversed(range(x.ndim)))
        axes = tuple(int(a) for a in axes)
        in_range = all(-x.ndim <= a < x.ndim for a in axes)
        if not in_range or len(axes) != x.ndim or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of the {x.ndim} axes "
                f"of shape {shape_str(x.shape)}"
            )
        ctx.inverse = tuple(int(i) for i in np.argsort([a % x.ndim for a in axes]))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.transpose(grad, ctx.inverse)


class GetItem(Function):
    """y = x[index];  the gradient is scattered back (added, so repeated indices accumulate)."""

    name = "getitem"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, index: Any) -> np.ndarray:
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        try:
            return np.asarray(x[index])
        except IndexError as err:
            raise IndexError(f"getitem: index {index!r} is invalid for shape {shape_str(x.shape)}: {err}") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.index, grad)
        return out
