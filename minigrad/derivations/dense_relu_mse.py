"""Dense -> ReLU -> MSE derived stage by stage: the second worked derivation, built from the same
machinery as BatchNorm's (`stages.py`). Copy this file to derive a layer of your own.

    stage  forward                                local backward
    z      z = x @ W + b                          dx = dz @ W.T;  dW = x.T @ dz;  db = sum_i dz_i
    a      a = relu(z) = max(z, 0)                dz = da * (z > 0)
    diff   diff = a - y                           da = ddiff   (y: the target, a constant)
    loss   loss = mean(diff**2)                   ddiff = 2 * diff / diff.size * dloss

The loss is a scalar, so its upstream gradient is dloss = 1. ReLU has a kink at 0: take inputs
whose z is not within 1e-6 of 0 (random inputs almost never are), or the numeric check sees a
slope of 1/2 there while the backward uses 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.tensor import Tensor
from ..gradcheck.numerical import grad_of
from ..nn.activation import ReLU
from ..nn.dense import Dense
from ..nn.loss import mse_loss
from ..tables import shape_str
from .report import DerivationReport
from .stages import Derivation, Overrides, Stage

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


class Z(Stage):
    """z = x @ W + b"""

    name, inputs = "z", ("x", "W", "b")

    @staticmethod
    def forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        return x @ W + b

    @staticmethod
    def backward(dz: np.ndarray, x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, ...]:
        """dx = dz @ W.T;  dW = x.T @ dz;  db = sum_i dz_i

        Shapes decide the order: dW must be (in, out) like W, so x.T (in, N) @ dz (N, out).
        """
        return dz @ W.T, x.T @ dz, np.sum(dz, axis=0)


class A(Stage):
    """a = relu(z) = max(z, 0)"""

    name, inputs = "a", ("z",)

    @staticmethod
    def forward(z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0)

    @staticmethod
    def backward(da: np.ndarray, z: np.ndarray) -> np.ndarray:
        """dz = da * (z > 0)

        The gradient passes where the unit was active and is blocked where it was not.
        """
        return da * (z > 0)


class Diff(Stage):
    """diff = a - y"""

    name, inputs = "diff", ("a",)

    @staticmethod
    def forward(a: np.ndarray, y: np.ndarray) -> np.ndarray:
        return a - y

    @staticmethod
    def backward(ddiff: np.ndarray) -> np.ndarray:
        """da = ddiff

        y is the target, a constant: it gets no gradient.
        """
        return ddiff


class Loss(Stage):
    """loss = mean(diff**2)"""

    name, inputs = "loss", ("diff",)

    @staticmethod
    def forward(diff: np.ndarray) -> np.ndarray:
        return np.mean(diff**2)

    @staticmethod
    def backward(dloss: np.ndarray, diff: np.ndarray) -> np.ndarray:
        """ddiff = 2 * diff / diff.size * dloss"""
        return 2.0 * diff / diff.size * dloss


DENSE_RELU_MSE = Derivation("Dense -> ReLU -> MSE", (Z, A, Diff, Loss), inputs=("x", "W", "b"), constants=("y",))


def forward(x: np.ndarray, W: np.ndarray, b: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """loss = mean((relu(x @ W + b) - y)**2); returns (loss, cache) with every stage's value."""
    x, W, b, y = _check_inputs("dense_relu_mse.forward", x, W, b, y)
    cache = DENSE_RELU_MSE.forward({"x": x, "W": W, "b": b, "y": y})
    return cache["loss"], cache


def gradients(dloss: Any, cache: dict[str, Any], overrides: Overrides | None = None) -> dict[str, np.ndarray]:
    """Every gradient by name, in the order the staged backward completes them:
    dloss, ddiff, da, dz, dx, dW, db."""
    return DENSE_RELU_MSE.backward(dloss, cache, overrides)


def backward(dloss: Any, cache: dict[str, Any]) -> Grads:
    """The staged backward (the four local backwards in reverse); (dx, dW, db). dloss is usually 1."""
    g = DENSE_RELU_MSE.backward(dloss, cache)
    return g["dx"], g["dW"], g["db"]


def table() -> str:
    """The stage table (stage, forward, local backward)."""
    return DENSE_RELU_MSE.table()


def check_stages(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray,
    y: np.ndarray,
    *,
    overrides: Overrides | None = None,
    backward: Callable[[np.ndarray, dict[str, Any]], Any] | None = None,
    seed: int = 0,
) -> DerivationReport:
    """The same check as `batchnorm.check_stages`, for this derivation, in float64.

    Each stage in isolation (with `overrides={"a": my_relu_backward}` your local backward replaces
    a stage's), your whole backward if given (`backward(dloss, cache)` returning a dict such as
    {"ddiff": ..., "da": ..., "dz": ..., "dx": ..., "dW": ..., "db": ...} or (dx, dW, db)), then
    end to end against minigrad autograd (primitive ops), the layers `mg.nn.Dense`, `mg.nn.ReLU`,
    `mg.nn.mse_loss`, and central differences of the whole forward.
    """
    x, W, b, y = _check_inputs("dense_relu_mse.check_stages", x, W, b, y, dtype=np.float64)
    references = [
        ("autograd", "minigrad autograd of ((x @ W + b).relu() - y)**2 .mean()", _autograd(x, W, b, y)),
        ("layers", f"mg.nn.Dense({W.shape[0]}, {W.shape[1]}) -> mg.nn.ReLU() -> mg.nn.mse_loss", _layers(x, W, b, y)),
    ]
    title = f"{DENSE_RELU_MSE.title} (x {shape_str(x.shape)}, W {shape_str(W.shape)}, float64, seed={seed})"
    return DENSE_RELU_MSE.check(
        {"x": x, "W": W, "b": b, "y": y},
        1.0,
        overrides=overrides,
        backward=backward,
        seed=seed,
        references=references,
        title=title,
    )


def _autograd(x: np.ndarray, W: np.ndarray, b: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    leaves = [Tensor(a, requires_grad=True) for a in (x, W, b)]
    tx, tW, tb = leaves
    loss = (((tx @ tW + tb).relu() - y) ** 2).mean()
    loss.backward()
    return [grad_of(t) for t in leaves]


def _layers(x: np.ndarray, W: np.ndarray, b: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    dense = Dense(W.shape[0], W.shape[1], dtype=np.float64)
    bias = dense.bias
    if bias is None:  # pragma: no cover - Dense has a bias unless built with bias=False
        raise RuntimeError("dense_relu_mse: the reference Dense layer has no bias")
    dense.weight.data[...] = W
    bias.data[...] = b
    tx = Tensor(x, requires_grad=True)
    mse_loss(ReLU()(dense(tx)), y).backward()
    return [grad_of(t) for t in (tx, dense.weight, bias)]


def _check_inputs(what: str, x: Any, W: Any, b: Any, y: Any, dtype: Any = None) -> tuple[np.ndarray, ...]:
    x, W, b, y = (np.array(a, dtype=dtype) if dtype else np.asarray(a) for a in (x, W, b, y))
    if x.ndim != 2 or W.ndim != 2 or x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{what}: x must be (N, in) and W (in, out); got x {shape_str(x.shape)}, W {shape_str(W.shape)}"
        )
    if b.shape != (W.shape[1],):
        raise ValueError(
            f"{what}: b has shape {shape_str(b.shape)}, but W has shape {shape_str(W.shape)}: "
            f"b needs shape {shape_str((W.shape[1],))}"
        )
    if y.shape != (x.shape[0], W.shape[1]):
        raise ValueError(
            f"{what}: y has shape {shape_str(y.shape)}; the prediction has shape {shape_str((x.shape[0], W.shape[1]))}"
        )
    return x, W, b, y
