"""Plots of BatchNorm's moving averages, from `minigrad.debug.BatchNormRecorder` records.

    from minigrad.debug.plot import plot_moving_averages, compare_momenta
    plot_moving_averages(rec)                              # every recorded layer, channel 0
    compare_momenta({"m=0.9": rec_a["1"], "m=0.99": rec_b["1"]})

What they show: the batch statistic jumps from batch to batch; the moving average
`moving = m * moving + (1 - m) * batch` follows it with a lag of about 1 / (1 - m) steps
(10 steps for m=0.9, 100 for m=0.99), starting from its initial value (mean 0, variance 1).
That lag is why a model evaluated after a few hundred steps with Keras's momentum=0.99 can look
broken in inference mode while it trains fine: its moving statistics have not caught up yet.

matplotlib is imported inside the functions, so `import minigrad` never needs it. Each function
returns the Figure without leaving it open in pyplot (a notebook shows it once, as the value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .recorder import BatchNormRecord

_STATS = (
    ("mean", "batch_mean", "moving_mean", "initial_moving_mean"),
    ("variance", "batch_variance", "moving_variance", "initial_moving_variance"),
)


def _records(records: Any, what: str) -> dict[str, BatchNormRecord]:
    """A single record, or a recorder / mapping of records, as `{layer name: record}`."""
    if isinstance(records, Mapping):
        out = dict(records.items())
    elif hasattr(records, "batch_mean"):
        out = {records.name: records}
    else:
        raise TypeError(f"{what}: expected a BatchNormRecord or a BatchNormRecorder, got {type(records).__name__}")
    if not out:
        raise ValueError(f"{what}: no records to plot")
    return out


def _check_channel(record: BatchNormRecord, channel: int, what: str) -> None:
    channels = record.initial_moving_mean.size
    if not -channels <= channel < channels:
        raise IndexError(
            f"{what}: channel {channel} is out of range for layer {record.name!r} with {channels} channels"
        )
    if record.steps == 0:
        raise ValueError(
            f"{what}: layer {record.name!r} recorded no training step (were all forwards in "
            "inference mode: eval() or trainable=False?)"
        )


def _moving_curve(record: BatchNormRecord, moving: str, initial: str, channel: int) -> tuple[np.ndarray, np.ndarray]:
    """Steps 0..T: the initial value (step 0), then the value after each step."""
    values = np.concatenate([[getattr(record, initial)[channel]], getattr(record, moving)[:, channel]])
    return np.arange(values.size), values


def _new_figure(nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained")
    plt.close(fig)  # returned, not left for pyplot to show a second time
    return fig, axes


def _momentum_text(record: BatchNormRecord) -> str:
    return f"momentum={record.momentum}" if record.momentum is not None else ""


def plot_moving_averages(
    records: Any,
    channel: int = 0,
    *,
    layers: list[str] | None = None,
    true_mean: float | None = None,
    true_variance: float | None = None,
) -> Figure:
    """Batch statistic vs moving average over the training steps, for one channel.

    `records`: a `BatchNormRecorder` (every layer it recorded, or those named in `layers`) or
    one `BatchNormRecord`. One row per layer, two panels: the mean and the variance. In each
    panel the batch statistic (thin, dotted markers, steps 1..T) and the moving average (thick,
    steps 0..T, from its initial value). `true_mean`/`true_variance`, when given, draw the value
    the moving average should converge to as a dashed horizontal line.

    The moving variance plotted is the layer's own; with convention "torch" it is fed the
    unbiased batch variance, so it sits slightly above the (biased) batch variance drawn.
    """
    chosen = _records(records, "plot_moving_averages")
    if layers is not None:
        unknown = [name for name in layers if name not in chosen]
        if unknown:
            raise KeyError(
                f"plot_moving_averages: no record for layer(s) {', '.join(map(repr, unknown))}; "
                f"recorded layers are {', '.join(map(repr, chosen))}"
            )
        chosen = {name: chosen[name] for name in layers}
    for record in chosen.values():
        _check_channel(record, channel, "plot_moving_averages")
    fig, axes = _new_figure(len(chosen), 2, (10.0, 3.2 * len(chosen)))
    references = {"mean": true_mean, "variance": true_variance}
    for row, (name, record) in enumerate(chosen.items()):
        for col, (stat, batch, moving, initial) in enumerate(_STATS):
            ax = axes[row, col]
            batch_values = getattr(record, batch)[:, channel]
            ax.plot(
                np.arange(1, batch_values.size + 1),
                batch_values,
                color="tab:gray",
                lw=0.8,
                marker=".",
                markersize=3,
                alpha=0.8,
                label=f"batch {stat}",
            )
            steps, values = _moving_curve(record, moving, initial, channel)
            ax.plot(
                steps,
                values,
                color="tab:blue" if stat == "mean" else "tab:orange",
                lw=2.0,
                label=f"moving {stat} ({_momentum_text(record)})",
            )
            if references[stat] is not None:
                ax.axhline(references[stat], color="black", ls="--", lw=1.0, label=f"true {stat}")
            ax.set_title(f"BatchNorm {name!r}, channel {channel}: {stat}")
            ax.set_xlabel("training step")
            ax.set_ylabel(stat)
            ax.legend(fontsize=8)
    return fig


def compare_momenta(
    records: Mapping[str, Any], channel: int = 0, *, layer: str | None = None, show_batch: bool = True
) -> Figure:
    """Moving averages kept with different momenta, side by side: one panel for the mean, one
    for the variance, one line per entry of `records` (`{label: record}`).

    A value may be a `BatchNormRecord` or a `BatchNormRecorder`; for a recorder, `layer` names
    the layer (not needed when it recorded only one). With `show_batch`, the batch statistic of
    the first entry is drawn too (thin, grey), for reference; when every run saw the same
    batches (the usual experiment: same data, same seed, only the momentum changes) it is the
    batch statistic of all of them.
    """
    if not isinstance(records, Mapping) or not records:
        raise TypeError("compare_momenta: expected a non-empty dict {label: record}")
    chosen: dict[str, BatchNormRecord] = {}
    for label, value in records.items():
        if isinstance(value, Mapping):  # a recorder
            if layer is None and len(value) != 1:
                raise ValueError(
                    f"compare_momenta: the recorder for {label!r} recorded layers {', '.join(map(repr, value))}; "
                    "pass layer= to say which one to compare"
                )
            value = value[layer] if layer is not None else next(iter(value.values()))
        _check_channel(value, channel, "compare_momenta")
        chosen[str(label)] = value
    fig, axes = _new_figure(1, 2, (11.0, 3.8))
    first_label, first = next(iter(chosen.items()))
    for col, (stat, batch, moving, initial) in enumerate(_STATS):
        ax = axes[0, col]
        if show_batch:
            batch_values = getattr(first, batch)[:, channel]
            ax.plot(
                np.arange(1, batch_values.size + 1),
                batch_values,
                color="tab:gray",
                lw=0.8,
                alpha=0.7,
                label=f"batch {stat}" + (f" ({first_label})" if len(chosen) > 1 else ""),
            )
        for label, record in chosen.items():
            steps, values = _moving_curve(record, moving, initial, channel)
            mentions_momentum = record.momentum is None or str(record.momentum) in label
            ax.plot(steps, values, lw=1.8, label=label if mentions_momentum else f"{label} ({_momentum_text(record)})")
        ax.set_title(f"moving {stat}, channel {channel}")
        ax.set_xlabel("training step")
        ax.set_ylabel(stat)
        ax.legend(fontsize=8)
    fig.suptitle("moving averages with different momenta (momentum = fraction kept per step)")
    return fig


__all__ = ["compare_momenta", "plot_moving_averages"]
