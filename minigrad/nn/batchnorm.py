"""`BatchNorm`: batch normalisation over any channel axis, with the moving-average conventions of
Keras/TensorFlow, PyTorch and cs231n made explicit.

Training (effective mode: `training and trainable`), per channel c, reducing every other axis:

    mean_c = mean(x),  var_c = mean((x - mean_c)^2)            (biased: this normalises)
    y = gamma * (x - mean_c) / sqrt(var_c + eps) + beta
    moving_mean     = momentum * moving_mean     + (1 - momentum) * mean_c
    moving_variance = momentum * moving_variance + (1 - momentum) * var_fed_c

`momentum` is always the fraction KEPT (TensorFlow/Keras/cs231n; PyTorch's momentum=0.1 is 0.9
here). `var_fed` is the biased variance (Keras, cs231n) or the unbiased n/(n-1) one (PyTorch).
Inference: y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta; nothing updates.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.anomaly import user_stacklevel
from ..engine.dtypes import get_default_dtype
from ..engine.inplace import bump_all
from ..engine.tensor import Tensor, apply
from ..ops import BatchNormEval, BatchNormTrain
from ..ops import batchnorm_stages as stages
from ..ops.base import normalize_axes
from ..tables import shape_str
from .module import Module
from .parameter import Parameter


@dataclass(frozen=True)
class Convention:
    """Defaults of one framework's BatchNorm (explicit arguments override them)."""

    momentum: float
    eps: float
    unbiased_moving_variance: bool
    #: What a training batch with one value per channel does: "warn" (output = beta) or "error".
    single_value: str
    initial_moving_variance: float


CONVENTIONS: dict[str, Convention] = {
    "keras": Convention(
        momentum=0.99, eps=1e-3, unbiased_moving_variance=False, single_value="warn", initial_moving_variance=1.0
    ),
    "torch": Convention(
        momentum=0.9, eps=1e-5, unbiased_moving_variance=True, single_value="error", initial_moving_variance=1.0
    ),
    "cs231n": Convention(
        momentum=0.9, eps=1e-5, unbiased_moving_variance=False, single_value="error", initial_moving_variance=0.0
    ),
}


class BatchNorm(Module):
    """Batch normalisation with per-channel statistics over every axis but `axis`.

    One layer serves (N, D) and (N, H, W, C) with axis=-1, and (N, C, H, W) with axis=1.
    `momentum="cumulative"` keeps a plain average over all batches seen (PyTorch's momentum=None).
    The moving statistics update inside the forward pass itself: there is no separate update op
    to forget (TensorFlow 1's UPDATE_OPS).
    """

    def __init__(
        self,
        num_features: int,
        *,
        axis: int = -1,
        momentum: float | str | None = None,
        eps: float | None = None,
        convention: str = "keras",
        affine: bool = True,
        dtype: Any = None,
        impl: str = "fused",
    ) -> None:
        super().__init__()
        if impl not in ("fused", "staged"):
            raise ValueError(f"BatchNorm: impl must be 'fused' or 'staged', got {impl!r}")
        #: "staged": the nine stages of lesson 05 as graph nodes (for stepping through), same results.
        self.impl = impl
        if convention not in CONVENTIONS:
            raise ValueError(f"BatchNorm: unknown convention {convention!r}; choose one of {sorted(CONVENTIONS)}")
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"BatchNorm: num_features must be a positive int, got {num_features!r}")
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNorm: axis is the one channel axis, an int (e.g. -1 or 1), got {axis!r}")
        preset = CONVENTIONS[convention]
        given_momentum = momentum
        momentum = preset.momentum if momentum is None else momentum
        if momentum != "cumulative" and (
            isinstance(momentum, (bool, np.bool_)) or not isinstance(momentum, (int, float, np.integer, np.floating))
        ):
            raise TypeError(
                f"BatchNorm: momentum is the fraction of the moving value kept, a number in [0, 1] "
                f"or 'cumulative'; got {momentum!r} ({type(momentum).__name__})"
            )
        if isinstance(momentum, (np.floating, np.integer)):
            momentum = float(momentum)
        if momentum != "cumulative" and not (isinstance(momentum, (int, float)) and 0.0 <= momentum <= 1.0):
            raise ValueError(
                f"BatchNorm: momentum is the fraction of the moving value kept, a number in [0, 1] "
                f"or 'cumulative'; got {momentum!r}"
            )
        if (
            convention == "torch"
            and given_momentum is not None
            and isinstance(momentum, (int, float))
            and momentum < 0.5
        ):
            warnings.warn(
                f"BatchNorm: momentum={momentum} keeps only {momentum:.0%} of the moving value per batch: "
                "minigrad's momentum is the fraction KEPT, so PyTorch's momentum=0.1 is 0.9 here "
                "(pass momentum=1 - torch_momentum)",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        eps = preset.eps if eps is None else eps
        if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.integer, np.floating)):
            raise TypeError(f"BatchNorm: eps must be a positive number, got {eps!r} ({type(eps).__name__})")
        if not eps > 0:
            raise ValueError(f"BatchNorm: eps must be positive, got {eps!r}")
        dtype = np.dtype(dtype or get_default_dtype())
        if dtype.kind != "f":
            raise TypeError(f"BatchNorm: dtype must be a floating-point dtype, got {dtype}")
        self.num_features, self.axis, self.momentum, self.eps = int(num_features), axis, momentum, float(eps)
        self.convention, self.affine, self._preset = convention, affine, preset
        if affine:
            self.gamma = Parameter(np.ones(num_features, dtype=dtype))
            self.beta = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self._unit = (
                Tensor._from_op(np.ones(num_features, dtype=dtype), None),
                Tensor._from_op(np.zeros(num_features, dtype=dtype), None),
            )
        self.register_buffer("moving_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("moving_variance", np.full(num_features, preset.initial_moving_variance, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        # [mean, variance] of the latest training batch: one list, filled in place by every
        # training forward, so the hot path assigns no attribute (see benchmarks/README.md).
        self._last_batch: list[np.ndarray | None] = [None, None]
        # (input shape, axis, num_features) -> the checked layout: checked once per input shape,
        # not at every call (per-call Python, benchmarks/README.md).
        self._layouts: dict[tuple[Any, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    @property
    def last_batch_mean(self) -> np.ndarray | None:
        """The mean that normalised the latest training-mode batch, per channel (None before one)."""
        return self._last_batch[0]

    @property
    def last_batch_variance(self) -> np.ndarray | None:
        """The biased variance that normalised the latest training-mode batch, per channel."""
        return self._last_batch[1]

    @property
    def updates_statistics(self) -> bool:
        """The effective mode: batch statistics and moving-average updates exactly when
        `training and trainable` (Keras: a frozen BatchNorm runs in inference mode)."""
        return self.training and self._trainable  # the field, not the property: read at every forward

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            if x is None:
                raise TypeError("BatchNorm: the input is None; pass a Tensor or an array")
            x = Tensor(x)  # the checks of mg.tensor: numbers only
        data = x.data  # shape and size read off the array: Tensor's properties are Python calls
        axes, stat_shape = self._layout(data.shape)
        parameters = self._parameters
        gamma, beta = (parameters["gamma"], parameters["beta"]) if self.affine else self._unit
        if not self.updates_statistics:
            for name in ("moving_mean", "moving_variance"):
                size = self._buffers[name].data.size
                if size != self.num_features:  # PyTorch's words for a wrongly assigned buffer
                    raise ValueError(f"BatchNorm: {name} should contain {self.num_features} elements not {size}")
            if self.impl == "staged":  # lesson 05's inference-mode stages, one graph node each
                rows = stages.Rows(axes, keepdims=True)
                mean, var = self._buffers["moving_mean"].data, self._buffers["moving_variance"].data
                xmu = apply(stages.EvalXMu.op, x, moving_mean=mean, rows=rows)
                xhat = apply(stages.EvalXHat.op, xmu, moving_variance=var, eps=self.eps, rows=rows)
                gammax = apply(stages.GammaX.op, gamma, xhat, rows=rows)
                return apply(stages.Out.op, gammax, beta, rows=rows)
            return apply(
                BatchNormEval,
                x,
                gamma,
                beta,
                mean=self.moving_mean.data.reshape(stat_shape),
                var=self.moving_variance.data.reshape(stat_shape),
                axes=axes,
                eps=self.eps,
            )
        n = data.size // self.num_features
        if n == 0:  # a mean over nothing is NaN, and the moving statistics would stay NaN for good
            raise ValueError(
                f"BatchNorm: a training batch needs at least one value per channel, got input shape "
                f"{shape_str(x.shape)}; the moving statistics were not changed"
            )
        if n == 1:
            self._single_value(x.shape)
        if self.impl == "staged":
            out, mean, var = self._staged(x, gamma, beta, axes)
            self._update_moving_statistics(mean.reshape(-1).copy(), var.reshape(-1).copy(), n)
            return out
        stats: dict[str, np.ndarray] = {}  # the op fills in the batch mean and variance it used
        out = apply(BatchNormTrain, x, gamma, beta, axes=axes, eps=self.eps, stats=stats)
        self._update_moving_statistics(stats["mean"].reshape(-1), stats["var"].reshape(-1), n)
        return out

    def _staged(
        self, x: Tensor, gamma: Tensor, beta: Tensor, axes: tuple[int, ...]
    ) -> tuple[Tensor, np.ndarray, np.ndarray]:
        """Training mode through the nine stages of lesson 05 (`ops.batchnorm_stages`, the classes
        `minigrad.derivations.batchnorm` runs), one graph node each, the rows i being `axes`."""
        rows = stages.Rows(axes, keepdims=True)
        mu = apply(stages.Mu.op, x, rows=rows)
        xmu = apply(stages.XMu.op, x, mu, rows=rows)
        sq = apply(stages.Sq.op, xmu)
        var = apply(stages.Var.op, sq, rows=rows)
        sqrtvar = apply(stages.SqrtVar.op, var, eps=self.eps)
        ivar = apply(stages.IVar.op, sqrtvar)
        xhat = apply(stages.XHat.op, xmu, ivar, rows=rows)
        gammax = apply(stages.GammaX.op, gamma, xhat, rows=rows)
        out = apply(stages.Out.op, gammax, beta, rows=rows)
        return out, mu.data, var.data

    def _layout(self, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The reduced axes, and the shape that makes a per-channel array broadcast against x."""
        key = (shape, self.axis, self.num_features)
        known = self._layouts.get(key)
        if known is not None:
            return known
        if len(shape) < 2:
            raise ValueError(
                f"BatchNorm: expected an input with a batch axis and a channel axis, got shape {shape_str(shape)}"
            )
        (channel,) = normalize_axes(self.axis, shape, "BatchNorm")
        if shape[channel] != self.num_features:
            raise ValueError(
                f"BatchNorm: input of shape {shape_str(shape)} has {shape[channel]} channels on axis "
                f"{self.axis}, but the layer was built with num_features={self.num_features}"
            )
        axes = tuple(a for a in range(len(shape)) if a != channel)
        stat_shape = tuple(n if a == channel else 1 for a, n in enumerate(shape))
        self._layouts[key] = axes, stat_shape
        return axes, stat_shape

    def _single_value(self, shape: tuple[int, ...]) -> None:
        if self._preset.single_value == "error":
            raise ValueError(
                f"BatchNorm: expected more than 1 value per channel when training, got input shape "
                f"{shape_str(shape)} (convention={self.convention!r}: the variance of one value is 0)"
            )
        warnings.warn(
            f"BatchNorm: only one value per channel in this training batch (input shape {shape_str(shape)}): "
            "its variance is 0, so x - mean = 0 and every output equals beta; the moving variance is fed 0 "
            "(Keras does the same). Use a larger batch, or eval() mode.",
            UserWarning,
            stacklevel=user_stacklevel(),  # the user's line, however deep the layer sits
        )

    def _update_moving_statistics(self, mean: np.ndarray, var: np.ndarray, n: int) -> None:
        # Runs at every training forward (16,000 times in one gradcheck).
        buffers = self._buffers
        self._last_batch[:] = mean, var
        changed = (buffers["num_batches_tracked"], buffers["moving_mean"], buffers["moving_variance"])
        try:
            tracked = changed[0].data
            count = int(tracked) + 1
            tracked[()] = count  # in place, stays a 0-d int64 array; ~50x cheaper than `tracked += 1`
            keep = 1.0 - 1.0 / count if self.momentum == "cumulative" else float(self.momentum)
            # The factors as 0-d arrays of their operand's (float) dtype, n / (n - 1) folded into the
            # variance's where the convention feeds the unbiased one (benchmarks/README.md, "0-d").
            unbiased = n / (n - 1) if self._preset.unbiased_moving_variance else 1.0
            for buffer, batch_stat, fed in zip(changed[1:], (mean, var), (1.0 - keep, (1.0 - keep) * unbiased)):
                moving = buffer.data
                dtype = moving.dtype
                if dtype.kind != "f":  # `moving *= 0.9` would raise; a 0-d int array would make it 0
                    raise TypeError(f"BatchNorm: {buffer.name!r} must hold floats, got dtype {dtype}")
                moving *= np.array(keep, dtype)  # in place: the buffer keeps its identity (and dtype)
                moving += np.array(fed, batch_stat.dtype) * batch_stat
        finally:  # recorded even after a failure half-way: a backward that saved them then refuses
            bump_all(changed, "BatchNorm's moving-statistic update")

    def extra_repr(self) -> str:
        parts = [
            str(self.num_features),
            f"axis={self.axis}",
            f"momentum={self.momentum}",
            f"eps={self.eps:g}",
            f"convention={self.convention!r}",
        ]
        if not self.affine:
            parts.append("affine=False")
        if self.impl != "fused":
            parts.append(f"impl={self.impl!r}")
        return ", ".join(parts)

    def _mode_str(self) -> str:
        mode = super()._mode_str()
        if self.training and not self.trainable:
            mode += " -> runs in inference mode"
        return mode
