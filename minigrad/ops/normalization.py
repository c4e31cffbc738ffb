"""Batch normalisation as two fused ops (training mode with batch statistics, inference mode),
and layer normalisation (per sample, one op for both modes).

BatchNorm shapes: the statistics have one value per channel; `axes` are the reduced axes (every axis but
the channel axis). `gamma` and `beta` have shape (C,); `mean` and `var` (computed by the training op
itself, given to the inference op) are shaped to broadcast against x (e.g. (1, C) for (N, C) input,
(1, 1, 1, C) for NHWC, (1, C, 1, 1) for NCHW).
"""

from __future__ import annotations

import functools
import string

import numpy as np

from .base import Context, Function

try:  # what np.einsum calls when optimize=False (its default), without its Python dispatch: ~2 us a call
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # NumPy 1.x
    _einsum = np.einsum


class BatchNormTrain(Function):
    """Training mode, with the batch's own mean and (biased) variance over `axes`:

        xhat = (x - mean) / sqrt(var + eps),   y = gamma * xhat + beta

    Because mean and var are functions of x, dx has three paths (direct, via var, via mean);
    they collapse into the compact form (N = elements per channel, sums over `axes`):

        dbeta  = sum(dy)
        dgamma = sum(dy * xhat)
        dx     = gamma * ivar / N * (N * dy - dbeta - xhat * dgamma),   ivar = 1 / sqrt(var + eps)

    `minigrad.derivations.batchnorm` derives this stage by stage.
    """

    name = "batchnorm_train"

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        gamma: np.ndarray,
        beta: np.ndarray,
        *,
        axes: tuple[int, ...],
        eps: float,
        stats: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Computes the batch statistics itself (x - mean once); `stats`, if given, receives
        `"mean"` and `"var"` (biased), shaped to broadcast against x, for the moving averages."""
        n, dtype = x.size // gamma.size, x.dtype
        # N and eps as 0-d arrays of the data's dtype: what NumPy makes of the Python numbers, without
        # its conversion inside each ufunc call (benchmarks/README.md, "0-d"); other dtypes keep N.
        count = np.array(n, dtype) if dtype.kind == "f" else n
        mean = np.add.reduce(x, axes, keepdims=True) / count  # x.sum(axes, keepdims): no Python wrapper
        # Becomes the output in place; in NumPy's promotion of x and gamma, as the inference op gives
        # (a dtype= argument only when that differs from x's: resolving it costs a NumPy call's worth).
        out = x - mean if dtype is gamma.dtype else np.subtract(x, mean, dtype=np.result_type(x, gamma))
        var = _sum_of_products(out, out, axes)  # biased; no squared temporary
        var /= count if var.dtype is dtype else n
        ivar = np.reciprocal(np.sqrt(var + np.array(eps, var.dtype)))  # = 1 / sqrt(var + eps), bit for bit
        if not mean.shape[-1:] == gamma.shape == beta.shape:  # channel not last: shape (C,) like the statistics
            gamma, beta = gamma.reshape(mean.shape), beta.reshape(mean.shape)
        scale = gamma * ivar  # gamma * xhat = (x - mean) * scale: one pass fewer
        out *= scale
        out += beta
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        # Save x, not xhat: x is this node's input, which the graph keeps alive anyway, so backward
        # recomputes xhat instead of holding a second full-size array until it runs.
        ctx.x, ctx.mean, ctx.ivar, ctx.scale, ctx.axes = x, mean, ivar, scale, axes
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        axes, ivar = ctx.axes, ctx.ivar
        # One full-size buffer, named `dx` from the start: it holds x - mean (recomputed, cheaper
        # than keeping it), then becomes dx in place. No other name refers to it, so nothing a
        # debugger shows (or a user holds) changes value under them.
        dx = ctx.x - ctx.mean
        n = dx.size // ivar.size
        # Shape (C,), arrays of their own: they become gamma's and beta's `.grad` as they are
        # (a reshaped view would be copied by the engine), viewed per channel for dx below.
        dbeta = np.add.reduce(grad, axes)
        dgamma = _sum_of_products(grad, dx, axes, keepdims=False)  # sum(dy * xhat), xhat = (x - mean) * ivar
        dgamma *= ivar.reshape(-1)
        if not ctx.needs_input_grad[0]:
            return None, dgamma, dbeta
        # dx = gamma * ivar / N * (N * dy - dbeta - xhat * dgamma), rearranged to work in the
        # buffer:  dx = gamma * ivar * (dy - ((x - mean) * ivar * dgamma + dbeta) / N)
        per_channel = ivar.shape
        dx *= dgamma.reshape(per_channel) * (ivar * (-1.0 / n))
        dx -= dbeta.reshape(per_channel) * (1.0 / n)
        dx += grad
        dx *= ctx.scale  # gamma * ivar, from the forward
        return dx, dgamma, dbeta


def _sum_of_products(a: np.ndarray, b: np.ndarray, axes: tuple[int, ...], keepdims: bool = True) -> np.ndarray:
    """sum(a * b) over `axes` without materialising a * b (einsum); keepdims, or one value per
    kept axis."""
    subscripts, kept_shape = _einsum_plan(a.shape, axes)
    total = _einsum(subscripts, a, b)
    return total.reshape(kept_shape) if keepdims else total


@functools.lru_cache(maxsize=64)
def _einsum_plan(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    """einsum's subscripts for summing over `axes` ("ij,ij->j"), and the keepdims shape (cached:
    per-call Python, benchmarks/README.md)."""
    letters = string.ascii_letters[: len(shape)]  # einsum's 52 labels, as the index lists had
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    return f"{letters},{letters}->{kept}", tuple(1 if i in axes else n for i, n in enumerate(shape))


class BatchNormEval(Function):
    """Inference mode, with the moving statistics, which are constants here:

        y = gamma * (x - moving_mean) / sqrt(moving_var + eps) + beta
        dx = dy * gamma / sqrt(moving_var + eps),  dgamma = sum(dy * xhat),  dbeta = sum(dy)

    No path runs through the statistics, so there is none of the training-mode correction.
    Computed as TensorFlow and PyTorch do, folded into one scale and one shift per channel,
    y = x * scale + (beta - moving_mean * scale) with scale = gamma / sqrt(moving_var + eps):
    the same formula, but float32 results then agree with theirs to the last printed digit.
    """

    name = "batchnorm_eval"

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        gamma: np.ndarray,
        beta: np.ndarray,
        *,
        mean: np.ndarray,
        var: np.ndarray,
        axes: tuple[int, ...],
        eps: float,
    ) -> np.ndarray:
        ivar = 1.0 / np.sqrt(var + eps)
        scale = gamma.reshape(mean.shape) * ivar
        ctx.x, ctx.mean, ctx.ivar, ctx.scale, ctx.axes = x, mean, ivar, scale, axes
        out = x * scale
        out += beta.reshape(mean.shape) - mean * scale
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        need_x, need_gamma, need_beta = ctx.needs_input_grad
        dx = grad * ctx.scale if need_x else None
        dgamma = (grad * ((ctx.x - ctx.mean) * ctx.ivar)).sum(axis=ctx.axes).reshape(-1) if need_gamma else None
        dbeta = grad.sum(axis=ctx.axes).reshape(-1) if need_beta else None
        return dx, dgamma, dbeta


class LayerNorm(Function):
    """Layer normalisation: each sample normalised over its last axis (D features), with its own
    mean and biased variance; no moving statistics, so training and inference compute the same:

        xhat = (x - mean) / sqrt(var + eps),   y = gamma * xhat + beta      (gamma, beta: (D,))

    The BatchNorm backward with the roles of the axes swapped (sums over the last axis, per sample;
    dxhat = dy * gamma):

        dx     = ivar / D * (D * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),  ivar = 1/sqrt(var + eps)
        dgamma = sum over every other axis of dy * xhat,   dbeta = sum over every other axis of dy
    """

    name = "layer_norm"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *, eps: float) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=-1, keepdims=True)
        ivar = 1.0 / np.sqrt(var + eps)
        xhat = centered * ivar
        ctx.xhat, ctx.ivar, ctx.gamma = xhat, ivar, gamma
        return xhat * gamma + beta

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        xhat, ivar = ctx.xhat, ctx.ivar
        batch_axes = tuple(range(grad.ndim - 1))
        dgamma = (grad * xhat).sum(axis=batch_axes) if ctx.needs_input_grad[1] else None
        dbeta = grad.sum(axis=batch_axes) if ctx.needs_input_grad[2] else None
        dx = None
        if ctx.needs_input_grad[0]:
            dxhat = grad * ctx.gamma
            dx = dxhat - dxhat.mean(axis=-1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
            dx *= ivar
        return dx, dgamma, dbeta
