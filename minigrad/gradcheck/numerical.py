"""Central differences: df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..engine.mode import no_grad
from ..engine.tensor import Tensor


def as_float64(value: Any) -> np.ndarray:
    """An input as a fresh float64 array (tensors and arrays alike)."""
    array = value.data if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"gradcheck: inputs must be numeric arrays or tensors, got dtype {array.dtype}")
    return np.array(array, dtype=np.float64, copy=True)


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
            f"numerical_grad: fn returned shape {tuple(values.shape)} but grad_output has shape {tuple(grad_output.shape)}"
        )
    return float(np.sum(values * grad_output))


def perturbation_grads(evaluate: Callable[[], float], arrays: Sequence[np.ndarray], eps: float) -> list[np.ndarray]:
    """Central differences of `evaluate()` with respect to every element of `arrays`.

    `arrays` are perturbed in place (and restored exactly), so `evaluate` must read them live.
    """
    grads = []
    for array in arrays:
        grad = np.zeros_like(array, dtype=np.float64)
        flat, flat_grad = array.reshape(-1), grad.reshape(-1)
        if not np.shares_memory(flat, array):
            raise ValueError("numerical_grad: inputs must be contiguous arrays")
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = evaluate()
            flat[i] = original - eps
            minus = evaluate()
            flat[i] = original
            flat_grad[i] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


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
    arrays = [as_float64(x) for x in inputs]
    tensors = [Tensor._from_op(a, None) for a in arrays]  # share memory with `arrays`
    upstream = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    with no_grad():
        return perturbation_grads(lambda: scalar_output(fn, tensors, upstream), arrays, eps)
