"""Matrix multiplication with NumPy's `@` semantics (1-D operands and batch broadcasting)."""

from __future__ import annotations

import numpy as np

from ..tables import shape_str
from .base import Context, Function


class MatMul(Function):
    """Y = A @ B;  dL/dA = dL/dY @ B^T,  dL/dB = A^T @ dL/dY (batch axes summed by the base class)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: cannot multiply {shape_str(a.shape)} @ {shape_str(b.shape)}: "
                "both operands need at least one axis"
            )
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ValueError(f"matmul: cannot multiply {shape_str(a.shape)} @ {shape_str(b.shape)}")
        try:
            out = a @ b
        except ValueError:  # batch axes that do not broadcast
            raise ValueError(
                f"matmul: cannot multiply {shape_str(a.shape)} @ {shape_str(b.shape)}: batch axes do not broadcast"
            ) from None
        ctx.a, ctx.b = a, b
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.a, ctx.b
        need_a, need_b = ctx.needs_input_grad
        # Treat a 1-D operand as a matrix with one row (a) or one column (b), as `@` does.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if b.ndim == 1:  # first: for 1-D @ 1-D the gradient is 0-d and becomes (1, 1)
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        grad_a = g2 @ np.swapaxes(b2, -1, -2) if need_a else None
        grad_b = np.swapaxes(a2, -1, -2) @ g2 if need_b else None
        if grad_a is not None and a.ndim == 1:
            grad_a = grad_a[..., 0, :]
        if grad_b is not None and b.ndim == 1:
            grad_b = grad_b[..., 0]
        return grad_a, grad_b


class Linear(Function):
    """y = x @ W + b  (a Dense layer in one op).

    dL/dx = dL/dy @ W^T,   dL/dW = x^T @ dL/dy,   dL/db = sum over rows of dL/dy.
    Leading axes of x beyond the last are treated as rows.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
            raise ValueError(
                f"dense: cannot multiply input {shape_str(x.shape)} @ weight {shape_str(weight.shape)}: "
                f"the input's last axis must be in_features={weight.shape[0]}"
            )
        ctx.x, ctx.weight = x, weight
        out = x @ weight
        if bias is not None:
            out += bias  # in place: `out` is fresh
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, weight, needs = ctx.x, ctx.weight, ctx.needs_input_grad
        rows, x_rows = grad, x
        if grad.ndim != 2:  # leading axes are rows
            rows, x_rows = grad.reshape(-1, grad.shape[-1]), x.reshape(-1, x.shape[-1])
        grad_x = grad @ weight.T if needs[0] else None
        grad_w = x_rows.T @ rows if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, (np.add.reduce(rows, 0) if needs[2] else None)  # rows.sum(0), no wrapper
