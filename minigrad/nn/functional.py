"""The losses as functions (`cross_entropy`, `mse_loss`), and layers written with primitive tensor
ops only: slower than the fused ops, but every step of the graph is visible (and autograd derives
the backward). Used to cross-check the fused layers."""

from __future__ import annotations

import numpy as np

from ..engine.tensor import Tensor
from ..ops.base import normalize_axes
from .loss import cross_entropy, mse_loss

__all__ = ["batch_norm_composed", "cross_entropy", "cross_entropy_composed", "layer_norm_composed", "mse_loss"]


def batch_norm_composed(x: Tensor, gamma: Tensor, beta: Tensor, axis: int = -1, eps: float = 1e-5) -> Tensor:
    """Training-mode BatchNorm from primitive ops (mean, sub, mul, add, sqrt, div):

    mu = mean(x);  xmu = x - mu;  var = mean(xmu^2);  xhat = xmu / sqrt(var + eps)
    y = gamma * xhat + beta
    """
    (channel,) = normalize_axes(axis, x.shape, "batch_norm_composed")
    axes = tuple(a for a in range(x.ndim) if a != channel)
    stat_shape = tuple(n if a == channel else 1 for a, n in enumerate(x.shape))
    mu = x.mean(axis=axes, keepdims=True)
    xmu = x - mu
    var = (xmu * xmu).mean(axis=axes, keepdims=True)
    xhat = xmu / (var + eps).sqrt()
    return gamma.reshape(stat_shape) * xhat + beta.reshape(stat_shape)


def layer_norm_composed(x: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-5) -> Tensor:
    """LayerNorm from primitive ops: the same chain as `batch_norm_composed`, reduced over the last
    axis of each sample instead of over the batch."""
    mu = x.mean(axis=-1, keepdims=True)
    xmu = x - mu
    var = (xmu * xmu).mean(axis=-1, keepdims=True)
    return gamma * (xmu / (var + eps).sqrt()) + beta


def cross_entropy_composed(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Cross-entropy from log_softmax, indexing and mean: what the fused `cross_entropy` computes."""
    picked = logits.log_softmax(axis=1)[np.arange(logits.shape[0]), labels]
    return -picked.mean()
