"""Which minigrad layers map to PyTorch and Keras, under which names, with which conventions.

Pure NumPy: nothing here imports a framework. `leaves` walks a model into its supported layers,
`fields` says where each tensor of a layer goes (PyTorch state-dict name, Keras weight list), and
`torch_batchnorm_options` / `keras_batchnorm_options` turn a minigrad BatchNorm's conventions
into the other framework's constructor arguments, with a note for each convention that has no
equivalent there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ..engine.anomaly import user_stacklevel
from ..nn import BatchNorm, Dense, Dropout, LayerNorm, Module, ReLU, Sequential, Sigmoid, Tanh
from ..nn.batchnorm import CONVENTIONS

#: Activation layers, by the name both frameworks know them by.
ACTIVATIONS: dict[type, str] = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}
SUPPORTED = ("Sequential", "Dense", "BatchNorm", "LayerNorm", "ReLU", "Tanh", "Sigmoid", "Dropout")


@dataclass(frozen=True)
class Field:
    """One tensor of a layer: its minigrad attribute, its PyTorch state-dict name, whether Keras
    keeps it in the layer's weight list, and whether PyTorch stores it transposed."""

    attr: str
    torch: str
    keras: bool = True
    transpose: bool = False


_DENSE = (Field("weight", "weight", transpose=True), Field("bias", "bias"))
_AFFINE = (Field("gamma", "weight"), Field("beta", "bias"))
_BN_STATS = (
    Field("moving_mean", "running_mean"),
    Field("moving_variance", "running_var"),
    Field("num_batches_tracked", "num_batches_tracked", keras=False),  # Keras does not count batches
)


def kind(layer: Module) -> str:
    """The layer's name in `SUPPORTED`, or "unsupported"."""
    if isinstance(layer, Sequential):
        return "Sequential"
    for cls in (Dense, BatchNorm, LayerNorm, Dropout, *ACTIVATIONS):
        if type(layer) is cls:  # exact: a subclass may compute something else
            return cls.__name__
    return "unsupported"


def describe(path: str) -> str:
    """How messages name a layer: by its path in the model."""
    return f"layer {path!r}" if path else "the model"


def leaves(model: Module, prefix: str = "") -> list[tuple[str, Module]]:
    """Every layer below `model` (Sequentials opened, recursively) with its path ("1", "2.0"), in
    order; a TypeError names the first layer that neither framework mapping supports."""
    if not isinstance(model, Module):
        raise TypeError(f"minigrad.interop: expected a minigrad Module, got {type(model).__name__}")
    found = kind(model)
    if found == "unsupported":
        raise TypeError(
            f"minigrad.interop: {describe(prefix)} is a {type(model).__name__}, which has no PyTorch/Keras "
            f"mapping; supported: {', '.join(SUPPORTED)}"
        )
    if found != "Sequential":
        return [(prefix, model)]
    out: list[tuple[str, Module]] = []
    for name, child in model.named_children():
        out += leaves(child, f"{prefix}.{name}" if prefix else name)
    return out


def fields(layer: Module) -> list[Field]:
    """The layer's tensors in Keras's weight-list order (also PyTorch's state-dict order); a Dense
    without bias or a BatchNorm without affine parameters has fewer."""
    name = kind(layer)
    if name == "Dense":
        return list(_DENSE if layer.bias is not None else _DENSE[:1])
    if name == "BatchNorm":
        return list((_AFFINE if layer.affine else ()) + _BN_STATS)
    if name == "LayerNorm":
        return list(_AFFINE)
    return []


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def warn(function: str, path: str, layer: Module, note: str) -> None:
    """A UserWarning that names the layer whose convention did not carry over."""
    warnings.warn(
        f"{function}: {describe(path)} ({type(layer).__name__}): {note}", UserWarning, stacklevel=user_stacklevel()
    )


# ------------------------------------------------------------------------------ BatchNorm conventions
def _feeds_unbiased(bn: BatchNorm) -> bool:
    return CONVENTIONS[bn.convention].unbiased_moving_variance


def torch_batchnorm_options(bn: BatchNorm) -> tuple[dict[str, Any], list[str]]:
    """Arguments for `torch.nn.BatchNorm{1,2,3}d` that reproduce `bn`, and what cannot carry over.

    PyTorch's `momentum` is the fraction of the batch statistic mixed in: `1 - kept`. minigrad's
    `"cumulative"` is PyTorch's `momentum=None`. PyTorch always feeds its running variance the
    unbiased (n - 1) batch variance, so a minigrad layer that feeds the biased one (the "keras" and
    "cs231n" conventions) has no exact PyTorch equivalent.
    """
    momentum = None if bn.momentum == "cumulative" else 1.0 - float(bn.momentum)
    options = {"num_features": bn.num_features, "eps": bn.eps, "momentum": momentum, "affine": bn.affine}
    notes = []
    if not _feeds_unbiased(bn):
        notes.append(
            f"convention={bn.convention!r} feeds the moving variance the biased batch variance; PyTorch always "
            "feeds running_var the unbiased (n-1) one, so the moving variances will drift apart by n/(n-1) per batch"
        )
    return options, notes


def keras_batchnorm_options(bn: BatchNorm) -> tuple[dict[str, Any], list[str]]:
    """Arguments for `keras.layers.BatchNormalization` that reproduce `bn`, and what cannot.

    Keras's `momentum` is the fraction kept, as minigrad's. Keras feeds its moving variance the
    biased batch variance (minigrad's "torch" convention feeds the unbiased one) and has no
    cumulative average: for `momentum="cumulative"` it gets the weight the next batch would have
    (`1 - 1/(num_batches_tracked + 1)`), right for one batch only.
    """
    notes = []
    if bn.momentum == "cumulative":
        tracked = int(bn.num_batches_tracked.data)
        momentum = 1.0 - 1.0 / (tracked + 1)
        notes.append(
            f"momentum='cumulative' has no Keras equivalent; Keras gets momentum={momentum:g}, the weight of the "
            "next batch only"
        )
    else:
        momentum = float(bn.momentum)
    if _feeds_unbiased(bn):
        notes.append(
            "convention='torch' feeds the moving variance the unbiased (n-1) batch variance; Keras feeds the biased "
            "one, so the moving variances will drift apart by n/(n-1) per batch"
        )
    options = {"axis": bn.axis, "momentum": momentum, "epsilon": bn.eps, "center": bn.affine, "scale": bn.affine}
    return options, notes


def batchnorm_from_torch(num_features: int, momentum: float | None, eps: float, affine: bool) -> dict[str, Any]:
    """minigrad BatchNorm arguments for a PyTorch BatchNorm (channel axis 1, as PyTorch's)."""
    kept: float | str = "cumulative" if momentum is None else 1.0 - float(momentum)
    return {
        "num_features": num_features,
        "axis": 1,
        "momentum": kept,
        "eps": float(eps),
        "affine": affine,
        "convention": "torch",
    }


def batchnorm_from_keras(num_features: int, axis: int, momentum: float, epsilon: float, affine: bool) -> dict[str, Any]:
    """minigrad BatchNorm arguments for a Keras BatchNormalization (momentum: kept, as minigrad's)."""
    return {
        "num_features": num_features,
        "axis": axis,
        "momentum": float(momentum),
        "eps": float(epsilon),
        "affine": affine,
        "convention": "keras",
    }
