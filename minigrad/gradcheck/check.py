"""`mg.gradcheck`: compare the engine's backward with central differences, element by element."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..engine.mode import no_grad
from ..engine.tensor import Tensor
from .numerical import as_float64, perturbation_grads, scalar_output
from .report import GradcheckReport, GradcheckRow

#: The upstream gradient for a non-scalar output comes from this seed, so reports are repeatable.
UPSTREAM_SEED = 0


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckReport:
    """Check the analytic gradient of `fn` at `inputs` against central differences, in float64.

    A non-scalar output is reduced as sum(u * fn(...)) with a fixed, seeded random `u`.
    An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
    When `fn` is a Module, its trainable parameters are checked too (rows named as in
    `named_parameters()`), in its current mode, and its buffers end exactly as they started.
    """
    arrays = []
    for position, value in enumerate(inputs):
        dtype = (value.data if isinstance(value, Tensor) else np.asarray(value)).dtype
        if dtype == np.float32 or dtype == np.float16:
            warnings.warn(
                f"gradcheck: input {position} is {dtype}; checking in float64 instead, because "
                f"central differences with eps={eps:g} in {dtype} lose most digits to rounding",
                stacklevel=2,
            )
        arrays.append(as_float64(value))

    with _module_in_float64(fn) as (parameters, restore_buffers):
        # Leaves share memory with `arrays` (no copy): the numeric pass perturbs `arrays` in place.
        leaves = [Tensor._from_op(a, None) for a in arrays]
        for i, leaf in enumerate(leaves):
            leaf.requires_grad, leaf.name = True, f"input {i}"
        param_tensors = [p for _, p in parameters]
        for p in param_tensors:
            p.grad = None

        out = fn(*leaves)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        upstream = None
        if out.data.size != 1:
            upstream = np.random.default_rng(UPSTREAM_SEED).standard_normal(out.shape)
        if out.requires_grad:
            out.backward(None if upstream is None else upstream)
        analytic = [_grad_or_zeros(t) for t in leaves + param_tensors]
        for p in param_tensors:
            p.grad = None

        def evaluate() -> float:
            restore_buffers()
            return scalar_output(fn, leaves, upstream)

        with no_grad():
            numeric = perturbation_grads(evaluate, arrays + [p.data for p in param_tensors], eps)
        restore_buffers()

    labels = [f"input {i}" for i in range(len(arrays))] + [name for name, _ in parameters]
    rows = [GradcheckRow(label, a, n, atol, rtol) for label, a, n in zip(labels, analytic, numeric)]
    return GradcheckReport(rows, atol=atol, rtol=rtol, eps=eps)


def _grad_or_zeros(t: Tensor) -> np.ndarray:
    return np.zeros(t.shape) if t.grad is None else np.asarray(t.grad, dtype=np.float64)


@contextmanager
def _module_in_float64(fn: Any) -> Iterator[tuple[list[tuple[str, Tensor]], Callable[[], None]]]:
    """For a Module: its trainable parameters and buffers as float64 copies during the check.

    Yields the parameters to check and a function that puts every buffer back to its value at
    the start (called before each evaluation, so perturbed forwards never leak into moving
    statistics). On exit the original arrays (and dtypes) are back in place, untouched.
    """
    if not (hasattr(fn, "named_parameters") and hasattr(fn, "named_buffers")):
        yield [], lambda: None
        return
    params = [(n, p) for n, p in fn.named_parameters() if p.requires_grad]
    all_params = list(fn.named_parameters())
    buffers = list(fn.named_buffers())
    originals = {id(t): (t, t.data, t.grad) for _, t in all_params + buffers}
    starts = {
        id(b): np.array(b.data, dtype=np.float64 if b.data.dtype.kind == "f" else b.data.dtype) for _, b in buffers
    }
    try:
        for _, t in all_params:
            t.data = np.array(t.data, dtype=np.float64)

        def restore_buffers() -> None:
            for _, b in buffers:
                b.data = starts[id(b)].copy()

        restore_buffers()
        yield params, restore_buffers
    finally:
        for t, data, grad in originals.values():
            t.data, t.grad = data, grad
