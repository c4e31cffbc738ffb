"""`batches`: mini-batches of (x, y) arrays, shuffled or in order, seeded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..tables import shape_str


def batches(
    x: Any, y: Any, batch_size: int, shuffle: bool = True, drop_last: bool = False, seed: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield `(x_batch, y_batch)`: rows of `x` and `y` taken together, `batch_size` at a time.

    `shuffle=True` draws a fresh order from `np.random.default_rng(seed)` (so a seed repeats it);
    `shuffle=False` keeps the rows' order. The last batch holds what is left, even a single row
    (what `fit(batch_size=3)` on 10 samples hands to BatchNorm), unless `drop_last=True`.
    """
    x, y = np.asarray(x), np.asarray(y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    for flag, value in (("shuffle", shuffle), ("drop_last", drop_last)):
        if not isinstance(value, bool):
            raise TypeError(f"batches: {flag} must be a bool, got {type(value).__name__} {value!r}")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"batches: x and y need the same number of rows, got shapes {shape_str(x.shape)} and {shape_str(y.shape)}"
        )
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    stop = len(x) - len(x) % batch_size if drop_last else len(x)
    for start in range(0, stop, batch_size):
        rows = order[start : start + batch_size]
        yield x[rows], y[rows]
