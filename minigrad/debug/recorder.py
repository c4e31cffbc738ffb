"""Record what every BatchNorm layer of a model computes while it trains.

    with mg.debug.BatchNormRecorder(model) as rec:     # or: rec = record_batchnorm(model)
        for x, y in batches:
            loss = mg.nn.mse_loss(model(x), y); ...    # train as usual
    rec["1"].batch_mean        # (steps, C): the mean that normalised each training batch
    rec["1"].moving_mean       # (steps, C): the moving mean right after each step
    minigrad.debug.plot.plot_moving_averages(rec)

A **step** is one forward of a layer in effective training mode (`training and trainable`):
the forwards in which it normalises with the batch's statistics and updates its moving ones.
Forwards in inference mode (`eval()`, or a frozen layer, the Keras rule) change nothing and are
not steps; they are only counted, in `record.inference_forwards`.

Per step and channel the record keeps the batch mean and the biased batch variance (what
normalised the batch: the layer's `last_batch_mean`/`last_batch_variance`), and the moving mean
and variance after the update. So with `m = record.momentum` (a number) and the layer's moving
variance fed with the biased variance (conventions "keras" and "cs231n"):

    moving_mean[t] = m * moving_mean[t-1] + (1 - m) * batch_mean[t]     (moving_mean[-1] = initial_moving_mean)

For convention "torch" the moving variance is fed the unbiased variance,
`batch_variance * n / (n - 1)` with `n = record.count[t]` values per channel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..engine.hooks import RemovableHandle
from ..tables import text_table


def _is_batchnorm(module: Any) -> bool:
    """BatchNorm-like: keeps moving statistics and reports the last batch's (duck-typed, so a
    user's own BatchNorm module with the same attributes can be recorded too)."""
    return all(hasattr(module, a) for a in ("moving_mean", "moving_variance", "last_batch_mean", "last_batch_variance"))


def _array(value: Any) -> np.ndarray:
    """A copy of a tensor's or array's values (buffers update in place: keep a snapshot)."""
    return np.array(getattr(value, "data", value), copy=True)


class BatchNormRecord:
    """The per-step statistics of one BatchNorm layer (see the module docstring).

    Arrays, each with one row per step (`steps` rows; `C` = channels):
      - `batch_mean`, `batch_variance` (steps, C): the batch statistics that normalised the step's
        batch (biased variance).
      - `moving_mean`, `moving_variance` (steps, C): the moving statistics after the step.
      - `count` (steps,): values per channel in the batch (`n`, for the unbiased variance).
      - `num_batches_tracked` (steps,): the layer's counter after the step.
    And `initial_moving_mean`/`initial_moving_variance` (C,): the moving statistics when recording
    began; `momentum`, `eps`, `convention`, `axis` as the layer had them; `inference_forwards`.
    """

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module = module
        self.momentum = module.momentum
        self.eps = getattr(module, "eps", None)
        self.convention = getattr(module, "convention", None)
        self.axis = getattr(module, "axis", None)
        self.initial_moving_mean = _array(module.moving_mean)
        self.initial_moving_variance = _array(module.moving_variance)
        self.inference_forwards = 0
        self._rows: dict[str, list[np.ndarray]] = {
            k: []
            for k in ("batch_mean", "batch_variance", "moving_mean", "moving_variance", "count", "num_batches_tracked")
        }

    def _record(self, module: Any, inputs: tuple) -> None:
        rows = self._rows
        rows["batch_mean"].append(_array(module.last_batch_mean).reshape(-1))
        rows["batch_variance"].append(_array(module.last_batch_variance).reshape(-1))
        rows["moving_mean"].append(_array(module.moving_mean).reshape(-1))
        rows["moving_variance"].append(_array(module.moving_variance).reshape(-1))
        x = inputs[0] if inputs else None
        channels = rows["batch_mean"][-1].size
        rows["count"].append(np.asarray(int(np.size(getattr(x, "data", x))) // channels if x is not None else 0))
        tracked = getattr(module, "num_batches_tracked", None)
        rows["num_batches_tracked"].append(
            np.asarray(int(_array(tracked)) if tracked is not None else len(rows["count"]))
        )

    def _stacked(self, key: str) -> np.ndarray:
        rows = self._rows[key]
        if rows:
            return np.stack(rows)
        if key in ("count", "num_batches_tracked"):
            return np.zeros((0,), dtype=np.int64)
        return np.zeros((0, self.initial_moving_mean.size), dtype=self.initial_moving_mean.dtype)

    @property
    def steps(self) -> int:
        """How many effective-training forwards were recorded."""
        return len(self._rows["count"])

    def __len__(self) -> int:
        return self.steps

    @property
    def batch_mean(self) -> np.ndarray:
        return self._stacked("batch_mean")

    @property
    def batch_variance(self) -> np.ndarray:
        return self._stacked("batch_variance")

    @property
    def moving_mean(self) -> np.ndarray:
        return self._stacked("moving_mean")

    @property
    def moving_variance(self) -> np.ndarray:
        return self._stacked("moving_variance")

    @property
    def count(self) -> np.ndarray:
        return self._stacked("count")

    @property
    def num_batches_tracked(self) -> np.ndarray:
        return self._stacked("num_batches_tracked")

    def __repr__(self) -> str:
        return (
            f"BatchNormRecord({self.name!r}: {self.steps} steps x {self.initial_moving_mean.size} channels, "
            f"momentum={self.momentum!r}, {self.inference_forwards} inference forwards)"
        )

    def __str__(self) -> str:
        """The last step, per channel: batch statistics next to the moving ones."""
        head = repr(self)
        if not self.steps:
            return head
        mean, var = self.batch_mean[-1], self.batch_variance[-1]
        mmean, mvar = self.moving_mean[-1], self.moving_variance[-1]
        rows = [
            [str(c), f"{mean[c]:.4g}", f"{mmean[c]:.4g}", f"{var[c]:.4g}", f"{mvar[c]:.4g}"] for c in range(mean.size)
        ]
        table = text_table(("channel", "batch mean", "moving mean", "batch var", "moving var"), rows, right=range(5))
        return f"{head}\nafter step {self.steps}:\n{table}"


class BatchNormRecorder(Mapping[str, BatchNormRecord]):
    """Records every BatchNorm layer of `model` (see the module docstring), from now until
    `remove()` or the end of a `with` block; the records stay readable afterwards.

    A mapping from module path (`model.named_modules()`: `"1"`, `"block.bn"`; `""` when `model`
    is itself a BatchNorm) to `BatchNormRecord`. `layers` restricts recording to those paths.
    """

    def __init__(self, model: Any, layers: Iterable[str] | None = None) -> None:
        if not hasattr(model, "named_modules"):
            raise TypeError(f"BatchNormRecorder: expected a Module, got {type(model).__name__}")
        found: dict[str, Any] = {}
        seen: set[int] = set()
        for name, module in model.named_modules():
            if _is_batchnorm(module) and id(module) not in seen:  # a shared layer: recorded once
                seen.add(id(module))
                found[name] = module
        if layers is not None:
            wanted = list(layers)
            unknown = [n for n in wanted if n not in found]
            if unknown:
                raise KeyError(
                    f"BatchNormRecorder: no BatchNorm layer at {', '.join(map(repr, unknown))} in "
                    f"{type(model).__name__}; BatchNorm layers are at {', '.join(map(repr, found)) or 'none'}"
                )
            found = {n: found[n] for n in wanted}
        if not found:
            raise ValueError(f"BatchNormRecorder: {type(model).__name__} has no BatchNorm layer to record")
        self._records = {name: BatchNormRecord(name, module) for name, module in found.items()}
        self._handles: list[RemovableHandle] = [
            module.register_forward_hook(self._hook(self._records[name])) for name, module in found.items()
        ]

    @staticmethod
    def _hook(record: BatchNormRecord) -> Any:
        def hook(module: Any, inputs: tuple, output: Any) -> None:
            effective = getattr(module, "updates_statistics", module.training and getattr(module, "trainable", True))
            if effective:
                record._record(module, inputs)
            else:
                record.inference_forwards += 1
            return None  # never replaces the output

        return hook

    # -------------------------------------------------------------------------- lifecycle
    def remove(self) -> None:
        """Stop recording (the hooks are removed from the layers; the records stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    @property
    def active(self) -> bool:
        return bool(self._handles)

    def __enter__(self) -> BatchNormRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # ---------------------------------------------------------------------------- mapping
    def __getitem__(self, name: str) -> BatchNormRecord:
        try:
            return self._records[name]
        except KeyError:
            raise KeyError(
                f"BatchNormRecorder: no recorded layer {name!r}; recorded layers are "
                f"{', '.join(map(repr, self._records))}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        state = "recording" if self.active else "stopped"
        layers = ", ".join(
            f"{n!r}: {r.steps} steps x {r.initial_moving_mean.size} channels" for n, r in self._records.items()
        )
        return f"BatchNormRecorder({state}; {layers})"


def record_batchnorm(model: Any, layers: Iterable[str] | None = None) -> BatchNormRecorder:
    """Start recording every BatchNorm layer of `model`; call `.remove()` on the result to stop.
    Same as `BatchNormRecorder(model, layers)`."""
    return BatchNormRecorder(model, layers)


__all__ = ["BatchNormRecord", "BatchNormRecorder", "record_batchnorm"]
