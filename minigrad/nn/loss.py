"""Losses."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.tensor import Tensor, apply, as_operand
from ..ops import MSE, CrossEntropy
from ..tables import shape_str
from .module import Module


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    """mean((pred - target)^2) over every element;  d/dpred = 2 (pred - target) / n.

    Shapes must match exactly: silently broadcasting (N, 1) against (N,) into (N, N) is a classic bug.
    """
    if not isinstance(pred, Tensor):
        raise TypeError(
            f"mse_loss: pred must be a Tensor (the model's output), got {type(pred).__name__}; "
            "wrap arrays with mg.tensor"
        )
    if target is None:
        raise TypeError("mse_loss: target is None; pass an array or a Tensor of the prediction's shape")
    # A Tensor's shape read off its array: np.shape is a dispatched Python call (benchmarks/README.md).
    target_shape = target.data.shape if isinstance(target, Tensor) else np.shape(target)
    if pred.data.shape != target_shape:
        raise ValueError(
            f"mse_loss: prediction shape {shape_str(pred.shape)} does not match target shape {shape_str(target_shape)}"
        )
    return apply(MSE, pred, as_operand(target, pred, MSE))  # one fused op (see ops/loss.py)


class MSELoss(Module):
    """Module form of `mse_loss`."""

    def forward(self, pred: Tensor, target: Any) -> Tensor:
        return mse_loss(pred, target)


def cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """mean over the batch of -log_softmax(logits)[i, labels[i]]; logits (N, C), labels (N,) integer
    class indices (array, list or integer Tensor). d/dlogits = (softmax(logits) - onehot(labels)) / N.

    One fused op (see ops/loss.py), stable for large logits; as PyTorch's `F.cross_entropy` with
    class indices and Keras's `SparseCategoricalCrossentropy(from_logits=True)`.
    """
    if not isinstance(logits, Tensor):
        logits = Tensor._from_op(np.asarray(logits), None)
    if isinstance(labels, Tensor):
        labels = labels.data
    elif not isinstance(labels, np.ndarray):
        labels = np.asarray(labels)
        if labels.size == 0:  # np.asarray([]) is float64: an empty list is still a list of indices
            labels = labels.astype(np.int64)
    return apply(CrossEntropy, logits, labels=labels)


class CrossEntropyLoss(Module):
    """Module form of `cross_entropy`."""

    def forward(self, logits: Tensor, labels: Any) -> Tensor:
        return cross_entropy(logits, labels)
