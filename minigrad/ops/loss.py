"""Losses as single fused ops: one graph node instead of a chain of primitives."""

from __future__ import annotations

import numpy as np

from ..tables import shape_str
from .base import Context, Function
from .softmax import stable_log_softmax


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
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        # The scale as a Python float, no 0-d array arithmetic (~1 us a call): one division in float64
        # rounded to float32 gives the bits a float32 division gives (double rounding is innocuous).
        d_pred = ctx.diff * (2.0 * float(grad) / ctx.diff.size)
        # The target's is computed only when asked for: a target is almost always a constant.
        return d_pred, (-d_pred if ctx.needs_input_grad[1] else None)


class CrossEntropy(Function):
    """L = -(1/N) sum_i log_softmax(z)[i, t_i] for logits z of shape (N, C) and integer labels t;

        dL/dz = (softmax(z) - onehot(t)) / N

    One node instead of log_softmax, indexing and mean: the backward is one subtraction, and
    log_softmax is computed shifted by each row's maximum, so logits of +-1000 stay finite.
    `labels` is a parameter, not an input: class indices have no gradient.
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, *, labels: np.ndarray) -> np.ndarray:
        check_class_labels(logits, labels)
        n = logits.shape[0]
        logp = stable_log_softmax(logits, 1)
        ctx.logp, ctx.labels = logp, labels
        return np.asarray(-logp[np.arange(n), labels].sum() / n, dtype=logp.dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        n = ctx.logp.shape[0]
        d = np.exp(ctx.logp)  # softmax, in a fresh buffer
        d[np.arange(n), ctx.labels] -= 1
        d *= grad / n
        return d


def check_class_labels(logits: np.ndarray, labels: np.ndarray) -> None:
    """Logits (N, C) float, labels (N,) integers in [0, C), or a clear error naming cross_entropy."""
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {shape_str(logits.shape)}")
    if logits.dtype.kind != "f":
        raise TypeError(f"cross_entropy: logits must be floating-point, got dtype {logits.dtype}")
    n, c = logits.shape
    if n == 0 or c == 0:
        raise ValueError(f"cross_entropy: cannot average over logits of shape {shape_str(logits.shape)}")
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
        kind = labels.dtype if isinstance(labels, np.ndarray) else type(labels).__name__
        raise TypeError(f"cross_entropy: labels must be integer class indices, got {kind}")
    if labels.shape != (n,):
        raise ValueError(
            f"cross_entropy: labels must have shape ({n},) for logits of shape {shape_str(logits.shape)}, "
            f"got {shape_str(labels.shape)}"
        )
    bad = (labels < 0) | (labels >= c)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"cross_entropy: label {int(labels[i])} at position {i} is not a class index in [0, {c}) "
            f"for logits of shape {shape_str(logits.shape)}"
        )
