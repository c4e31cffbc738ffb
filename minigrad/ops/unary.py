"""Element-wise functions of one tensor: exp, log, sqrt, relu, tanh, sigmoid, dropout."""

from __future__ import annotations

import numpy as np

from ..tables import shape_str
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


#: 0 as a 0-d array of each floating dtype, what `np.maximum(x, 0)` would make of the 0.
_ZEROS = {np.dtype(t): np.zeros((), t) for t in (np.float16, np.float32, np.float64)}
for _zero in _ZEROS.values():
    _zero.flags.writeable = False


class ReLU(Function):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0 (0 at the kink, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        # Not x * (x > 0): that gives -0.0 for negative inputs. A float's 0 as a 0-d array of its
        # dtype, made once (benchmarks/README.md, "0-d"); any other dtype gets the number.
        out = np.maximum(x, _ZEROS.get(x.dtype, 0))
        ctx.out = out  # out > 0 exactly where x > 0; the next op keeps `out` alive anyway
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        # Into `grad` itself when the engine donates it: no full-size allocation (benchmarks/README.md).
        return np.multiply(grad, ctx.out > 0, out=grad if ctx.grad_donated else None)


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - tanh(x)^2 = 1 - y^2."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.out = np.tanh(x)
        return ctx.out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * (1 - ctx.out * ctx.out)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y (1 - y).

    Computed from exp(-|x|) <= 1, so no overflow for large |x|: 1 / (1 + e) for x >= 0 and
    e / (1 + e) for x < 0 (the same function, rearranged).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * (ctx.out * (1 - ctx.out))


class Dropout(Function):
    """Inverted dropout with a given mask: y = x * mask, where mask holds 0 (dropped) or 1/(1-p)
    (kept, scaled so that E[y] = x);  dy/dx = mask (the same zeros and the same scale).

    The mask is drawn by the `Dropout` layer; the op only applies it, so a gradcheck with a fixed
    mask is deterministic.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, mask: np.ndarray) -> np.ndarray:
        if mask.shape != x.shape:
            raise ValueError(
                f"dropout: mask of shape {shape_str(mask.shape)} does not match input {shape_str(x.shape)}"
            )
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * ctx.mask
