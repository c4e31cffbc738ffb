"""Central differences: df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

`central_differences` is the one loop every numeric check in minigrad runs (`numerical_grad`,
`gradcheck`, the stage-by-stage derivation checks, seed 004's claims). `step_estimates` runs it at
three step sizes and `closer` picks, element by element, the estimate to trust.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine.mode import no_grad
from ..engine.tensor import Tensor


def as_float64(value: Any, what: str = "gradcheck") -> np.ndarray:
    """An input as a fresh float64 array (tensors and arrays alike)."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{what}: inputs must be numeric arrays or tensors, got dtype {array.dtype}")
    return np.array(array, dtype=np.float64, copy=True)


def grad_of(t: Tensor) -> np.ndarray:
    """`t.grad` after a backward that must have reached `t` (a clear error if it did not)."""
    if t.grad is None:
        raise RuntimeError(f"no gradient reached {t.name!r}: it is not on the path to the output")
    return t.grad


def check_eps(eps: Any, what: str) -> float:
    """`eps` as a float, or a clear error: a step must be a positive, finite number."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{what}: eps must be a number, got {type(eps).__name__} {eps!r}")
    step = float(eps)
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"{what}: eps must be a positive, finite number (the step of the differences), got {eps!r}")
    return step


def check_inputs(inputs: Any, what: str) -> list[Any]:
    """`inputs` as a list (one entry per argument of fn), or a clear error."""
    if isinstance(inputs, (np.ndarray, Tensor, numbers.Number)):
        raise TypeError(
            f"{what}: inputs must be a list with one array or tensor per argument of fn, got a single "
            f"{type(inputs).__name__}; wrap it: [x]"
        )
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"{what}: inputs must be a list of arrays or tensors, got {type(inputs).__name__}")
    if len(inputs) == 0:
        raise ValueError(f"{what}: inputs is empty: pass one array or tensor per argument of fn")
    return list(inputs)


def scalar_output(fn: Callable[..., Any], args: Sequence[Any], grad_output: np.ndarray | None) -> float:
    """fn(*args) reduced to a scalar: itself when scalar, else sum(grad_output * fn(*args))."""
    out = fn(*args)
    values = out.data if isinstance(out, Tensor) else np.asarray(out)
    if grad_output is None:
        if values.size != 1:
            raise ValueError(
                f"numerical_grad: fn returned shape {tuple(values.shape)}, not a scalar; "
                "pass grad_output= (an upstream gradient of that shape) or reduce it in fn"
            )
        return float(values.reshape(()))
    if values.shape != grad_output.shape:
        raise ValueError(
            f"numerical_grad: fn returned shape {tuple(values.shape)} "
            f"but grad_output has shape {tuple(grad_output.shape)}"
        )
    return float(np.add.reduce(values * grad_output, axis=None))  # np.sum's own reduction, without its wrapper


def central_differences(
    evaluate: Callable[[], Any],
    array: np.ndarray,
    step: float | Callable[[float], float],
    upstream: np.ndarray | None = None,
) -> np.ndarray:
    """d evaluate() / d v for every element v of `array`, (f(v + s) - f(v - s)) / 2s, in float64.

    `array` is perturbed in place (and restored exactly), so `evaluate` must read it live.
    `step`: a number, or a function of the element's value giving its step. Without `upstream`,
    `evaluate` returns a number; with it, an array f, and the estimate is of sum(upstream * f):
    outputs are subtracted element by element before the weighting, so outputs a perturbation
    does not change contribute exactly nothing (less rounding).
    """
    flat = array.reshape(-1)
    if flat.size and not np.shares_memory(flat, array):
        raise ValueError("central differences: the inputs must be contiguous arrays (they are perturbed in place)")
    step_of = step if callable(step) else (lambda v: step)
    grad = np.zeros(array.shape, dtype=np.float64)
    flat_grad = grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        s = step_of(float(original))
        flat[i] = original + s
        plus = evaluate()
        flat[i] = original - s
        minus = evaluate()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * s) if upstream is None else np.sum(upstream * (plus - minus)) / (2 * s)
    return grad


def step_estimates(
    evaluate: Callable[[], np.ndarray], upstream: np.ndarray, array: np.ndarray, h: float = 1e-6
) -> tuple[np.ndarray, ...]:
    """d/dv sum(upstream * evaluate()) for every element v of `array`, at three steps s: h; h/1000;
    and h*|v| (h**2 for v = 0).

    The step h suits most values; the relative step suits large values (where h drowns in
    rounding) and functions that change on a tiny scale, e.g. sqrt(var + eps) when var and eps are
    tiny, where a step of 1e-6 is no longer small (truncation error) or even crosses zero.
    Returns one estimate per step; `closer` picks, element by element.
    """

    def relative(v: float) -> float:
        return h * abs(v) if v != 0 else h * h

    # A step across a singularity (sqrt of a negative) gives NaN: that estimate is discarded.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return tuple(central_differences(evaluate, array, s, upstream) for s in (h, h * 1e-3, relative))


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


def best_estimate(
    analytic: np.ndarray, evaluate: Callable[[], np.ndarray], upstream: np.ndarray, array: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """The numeric gradient of sum(upstream * evaluate()) w.r.t. `array` nearest `analytic`
    among `step_estimates` (see `closer` for why that is safe)."""
    return closer(analytic, *step_estimates(evaluate, upstream, array, h))


def numerical_grad(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    *,
    grad_output: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The gradient of `fn` with respect to each input by central differences, in float64.

    `inputs`: arrays or tensors; `fn` receives float64 tensors and returns a scalar tensor (or any
    shape together with `grad_output`, the upstream gradient: then sum(grad_output * fn) is used).
    Returns one float64 array per input, shaped like it.
    """
    eps = check_eps(eps, "numerical_grad")
    arrays = [as_float64(x, "numerical_grad") for x in check_inputs(inputs, "numerical_grad")]
    tensors = [Tensor._from_op(a, None) for a in arrays]  # share memory with `arrays`
    upstream = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    with no_grad():
        return [central_differences(lambda: scalar_output(fn, tensors, upstream), a, eps) for a in arrays]
