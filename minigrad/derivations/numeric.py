"""Central differences for derivation checks: several step sizes, and the estimate to trust.

`central_differences` estimates d/dv sum(upstream * f(...)) element by element at three steps;
`closer` picks, element by element, the estimate nearest the analytic gradient being checked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_differences(
    evaluate: Callable[[], np.ndarray], upstream: np.ndarray, array: np.ndarray, h: float = 1e-6
) -> tuple[np.ndarray, ...]:
    """d/dv sum(upstream * evaluate()) for every element v of `array` (perturbed in place, restored).

    (f(v + s) - f(v - s)) / 2s at three steps s: h; h/1000; and h*|v| (h**2 for v = 0). The step h
    suits most values; the relative step suits large values (where h drowns in rounding) and
    functions that change on a tiny scale, e.g. sqrt(var + eps) when var and eps are tiny, where a
    step of 1e-6 is no longer small (truncation error) or even crosses zero. Outputs are
    subtracted element by element before the upstream weighting, so unchanged outputs contribute
    exactly nothing (less rounding).
    Returns one estimate per step; `closer` picks, element by element.
    """
    flat = array.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("central_differences: the array must be contiguous (it is perturbed in place)")

    def relative(v: float) -> float:
        return h * abs(v) if v != 0 else h * h

    estimates = []
    for step_of in (lambda v: h, lambda v: h * 1e-3, relative):
        grad = np.zeros_like(array, dtype=np.float64)
        flat_grad = grad.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            step = step_of(float(original))
            # A step across a singularity (sqrt of a negative) gives NaN: that estimate is discarded.
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                flat[i] = original + step
                plus = evaluate()
                flat[i] = original - step
                minus = evaluate()
                flat[i] = original
                flat_grad[i] = np.sum(upstream * (plus - minus)) / (2 * step)
        estimates.append(grad)
    return tuple(estimates)


def closer(analytic: np.ndarray, *estimates: np.ndarray) -> np.ndarray:
    """Element by element, the numeric estimate closest to `analytic`.

    Safe for a check: |analytic - chosen| >= |analytic - true| - (the worst estimate's error), so a
    wrong gradient cannot hide behind it; a right one is no longer failed by one step's weakness.
    """
    best = np.array(estimates[0], dtype=np.float64)
    for e in estimates[1:]:
        with np.errstate(invalid="ignore"):
            better = ~np.isfinite(best) | (np.abs(analytic - e) < np.abs(analytic - best))
        best = np.where(better, e, best)
    return best
