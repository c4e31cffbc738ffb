"""BatchNorm as the nine stages of `minigrad.derivations.batchnorm`, each an ordinary op.

`BatchNorm(..., impl="staged")` applies them one after another, so `trace`, `draw`,
`backward_steps`, pdb and the stepper show `mu, xmu, sq, var, sqrtvar, ivar, xhat, gammax, out`
as lesson 05 names them. Statistics are over `axes` (every axis but the channel axis), kept as
broadcastable arrays (keepdims); `gamma` and `beta` have shape (C,) and are reshaped to
`stat_shape`. N is the number of elements per channel. The local backwards are those of the
derivation's stage table, with sums over `axes` where it sums over the rows i.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Function


class Mu(Function):
    """mu = 1/N * sum_i x_i"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        mu = x.mean(axis=axes, keepdims=True)
        ctx.shape, ctx.n = x.shape, x.size // mu.size
        return mu

    @staticmethod
    def backward(ctx: Context, dmu: np.ndarray) -> np.ndarray:
        """dx = 1/N * dmu"""
        return np.broadcast_to(dmu / ctx.n, ctx.shape).copy()


class XMu(Function):
    """xmu = x - mu"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, mu: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        ctx.axes = axes
        return x - mu

    @staticmethod
    def backward(ctx: Context, dxmu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dx = dxmu;  dmu = -sum_i dxmu_i"""
        return dxmu, -dxmu.sum(axis=ctx.axes, keepdims=True)


class Sq(Function):
    """sq = xmu**2"""

    @staticmethod
    def forward(ctx: Context, xmu: np.ndarray) -> np.ndarray:
        ctx.xmu = xmu
        return xmu**2

    @staticmethod
    def backward(ctx: Context, dsq: np.ndarray) -> np.ndarray:
        """dxmu = 2 * xmu * dsq"""
        return 2 * ctx.xmu * dsq


class Var(Function):
    """var = 1/N * sum_i sq_i"""

    name = "var"

    @staticmethod
    def forward(ctx: Context, sq: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        var = sq.mean(axis=axes, keepdims=True)
        ctx.shape, ctx.n = sq.shape, sq.size // var.size
        return var

    @staticmethod
    def backward(ctx: Context, dvar: np.ndarray) -> np.ndarray:
        """dsq = 1/N * dvar"""
        return np.broadcast_to(dvar / ctx.n, ctx.shape).copy()


class SqrtVar(Function):
    """sqrtvar = sqrt(var + eps)"""

    @staticmethod
    def forward(ctx: Context, var: np.ndarray, *, eps: float) -> np.ndarray:
        ctx.sqrtvar = np.sqrt(var + eps)
        return ctx.sqrtvar.copy()  # the output is the user's; the saved copy stays ours

    @staticmethod
    def backward(ctx: Context, dsqrtvar: np.ndarray) -> np.ndarray:
        """dvar = 0.5 / sqrt(var + eps) * dsqrtvar"""
        return 0.5 / ctx.sqrtvar * dsqrtvar


class IVar(Function):
    """ivar = 1 / sqrtvar"""

    @staticmethod
    def forward(ctx: Context, sqrtvar: np.ndarray) -> np.ndarray:
        ctx.sqrtvar = sqrtvar
        return 1.0 / sqrtvar

    @staticmethod
    def backward(ctx: Context, divar: np.ndarray) -> np.ndarray:
        """dsqrtvar = -1 / sqrtvar**2 * divar"""
        return -1.0 / ctx.sqrtvar**2 * divar


class XHat(Function):
    """xhat = xmu * ivar"""

    @staticmethod
    def forward(ctx: Context, xmu: np.ndarray, ivar: np.ndarray, *, axes: tuple[int, ...]) -> np.ndarray:
        ctx.xmu, ctx.ivar, ctx.axes = xmu, ivar, axes
        return xmu * ivar

    @staticmethod
    def backward(ctx: Context, dxhat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dxmu = ivar * dxhat;  divar = sum_i xmu_i * dxhat_i"""
        return ctx.ivar * dxhat, (ctx.xmu * dxhat).sum(axis=ctx.axes, keepdims=True)


class GammaX(Function):
    """gammax = gamma * xhat"""

    @staticmethod
    def forward(
        ctx: Context, gamma: np.ndarray, xhat: np.ndarray, *, axes: tuple[int, ...], stat_shape: tuple[int, ...]
    ) -> np.ndarray:
        ctx.gamma, ctx.xhat, ctx.axes = gamma.reshape(stat_shape), xhat, axes
        return ctx.gamma * xhat

    @staticmethod
    def backward(ctx: Context, dgammax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dgamma = sum_i xhat_i * dgammax_i;  dxhat = gamma * dgammax"""
        return (ctx.xhat * dgammax).sum(axis=ctx.axes).reshape(-1), ctx.gamma * dgammax


class Out(Function):
    """out = gammax + beta"""

    @staticmethod
    def forward(
        ctx: Context, gammax: np.ndarray, beta: np.ndarray, *, axes: tuple[int, ...], stat_shape: tuple[int, ...]
    ) -> np.ndarray:
        ctx.axes = axes
        return gammax + beta.reshape(stat_shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dgammax = dout;  dbeta = sum_i dout_i"""
        return dout, dout.sum(axis=ctx.axes).reshape(-1)


class EvalXHat(Function):
    """xhat = (x - moving_mean) / sqrt(moving_variance + eps): the moving statistics are
    constants in inference mode, so this is one stage with a constant scale."""

    name = "xhat"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *, mean: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
        ctx.ivar = 1.0 / np.sqrt(var + eps)
        return (x - mean) * ctx.ivar

    @staticmethod
    def backward(ctx: Context, dxhat: np.ndarray) -> np.ndarray:
        """dx = dxhat / sqrt(moving_variance + eps)"""
        return dxhat * ctx.ivar


#: The training-mode stages in forward order.
TRAIN_STAGES = (Mu, XMu, Sq, Var, SqrtVar, IVar, XHat, GammaX, Out)
