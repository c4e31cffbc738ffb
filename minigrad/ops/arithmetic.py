"""Element-wise arithmetic: + - * / unary minus and ** number.

Each backward is the local derivative only; summing over broadcast axes happens in the base class.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Function


class Add(Function):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    broadcasts = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


class Sub(Function):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    broadcasts = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, -grad  # the base class drops a gradient its input does not need


class Mul(Function):
    """y = a * b;  dy/da = b, dy/db = a."""

    broadcasts = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_a, need_b = ctx.needs_input_grad
        return (grad * ctx.b if need_a else None), (grad * ctx.a if need_b else None)


class Div(Function):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b**2 = -y/b."""

    broadcasts = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = a / b
        ctx.b, ctx.out = b, out
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / ctx.b if need_a else None
        grad_b = -grad * ctx.out / ctx.b if need_b else None
        return grad_a, grad_b


class Neg(Function):
    """y = -a;  dy/da = -1."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad


class Pow(Function):
    """y = a ** p for a Python number p;  dy/da = p * a ** (p - 1)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, *, exponent: float) -> np.ndarray:
        ctx.a, ctx.exponent = a, exponent
        return a**exponent

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        p = ctx.exponent
        if p == 0:  # constant 1: avoid 0 * 0**-1 = nan at x = 0
            return np.zeros_like(grad)
        if p == 2:  # the common square: skip a general power
            return grad * (2 * ctx.a)
        return grad * (p * ctx.a ** (p - 1))
