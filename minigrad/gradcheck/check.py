"""`mg.gradcheck`: compare the engine's backward with central differences, element by element."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..engine.graph import iter_backward
from ..engine.mode import no_grad
from ..engine.tensor import Tensor
from .compare import CheckRow, compare
from .numerical import as_float64, central_differences, check_eps, check_inputs, scalar_output
from .report import GradcheckReport

#: The upstream gradient for a non-scalar output comes from this seed, so reports are repeatable.
UPSTREAM_SEED = 0


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    wrt: Sequence[int] | None = None,
) -> GradcheckReport:
    """Check the analytic gradient of `fn` at `inputs` against central differences, in float64.

    A non-scalar output is reduced as sum(u * fn(...)) with a fixed, seeded random `u`.
    An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
    `wrt`: the positions of the inputs to check. By default every floating-point input is checked
    except tensors with requires_grad=False (passed as float64 constants); integer inputs (class
    labels, indices) are passed to `fn` unchanged and never perturbed.
    When `fn` is a Module, its trainable parameters are checked too (rows named as in
    `named_parameters()`), in its current mode, and its buffers end exactly as they started.
    A backward that returned None for an input that needed a gradient is named in the report.
    """
    eps = check_eps(eps, "gradcheck")
    atol, rtol = _tolerance(atol, "atol"), _tolerance(rtol, "rtol")
    inputs = check_inputs(inputs, "gradcheck")
    checked = _positions(inputs, wrt)

    args: list[Any] = []
    leaves: list[Tensor] = []
    for position, value in enumerate(inputs):
        kind = _dtype(value).kind
        if position in checked:
            if _dtype(value) in (np.float32, np.float16):
                warnings.warn(
                    f"gradcheck: input {position} is {_dtype(value)}; checking in float64 instead, because "
                    f"central differences with eps={eps:g} in {_dtype(value)} lose most digits to rounding",
                    stacklevel=2,
                )
            # A leaf over the float64 array itself (no copy): the numeric pass perturbs it in place.
            leaf = Tensor._from_op(as_float64(value), None)
            leaf.requires_grad, leaf.name = True, f"input {position}"
            leaves.append(leaf)
            args.append(leaf)
        elif kind in "iub":
            args.append(value)  # labels and indices: exactly as given
        else:
            args.append(Tensor._from_op(as_float64(value), None))  # a constant, in float64 like the rest

    if not checked and not _has_parameters(fn):
        raise ValueError(
            "gradcheck: nothing to check: no input is a floating-point array or a tensor that requires grad "
            "(integer inputs and tensors with requires_grad=False are not checked); pass wrt=[positions]"
        )

    with _module_in_float64(fn) as (parameters, restore_buffers):
        param_tensors = [p for _, p in parameters]
        for p in param_tensors:
            p.grad = None

        out = fn(*args)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        upstream = None
        if out.data.size != 1:
            upstream = np.random.default_rng(UPSTREAM_SEED).standard_normal(out.shape)
        missing = _run_backward(out, upstream) if out.requires_grad else []
        analytic = [_grad_or_zeros(t) for t in leaves + param_tensors]
        for p in param_tensors:
            p.grad = None

        def evaluate() -> float:
            restore_buffers()
            return scalar_output(fn, args, upstream)

        with no_grad():
            numeric = [central_differences(evaluate, t.data, eps) for t in leaves + param_tensors]
        restore_buffers()

    labels = [f"input {i}" for i in sorted(checked)] + [name for name, _ in parameters]
    targets = leaves + param_tensors
    rows, notes = [], []
    for label, target, a, n in zip(labels, targets, analytic, numeric):
        row = _row(label, a, n, atol, rtol)
        why = [text for t, text in missing if t is target or _depends_on(t, target)]
        if why:
            row.detail = f"{why[0]}: a backward that forgot to return it, or returned None on purpose?"
            notes.append(f"{label}: {'; '.join(why)} (counted as a zero gradient)")
        rows.append(row)
    return GradcheckReport(rows, atol=atol, rtol=rtol, eps=eps, notes=notes)


def _row(label: str, analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> CheckRow:
    expected = f"|analytic - numeric| <= {atol:g} + {rtol:g}*|numeric|"
    row = compare(
        ("gradients", label, ""),
        [label],
        [analytic],
        [numeric],
        atol=atol,
        rtol=rtol,
        expected=expected,
        names=("analytic", "numeric"),
    )
    row.detail = ""  # gradcheck's rows explain themselves with `diagnosis()`; detail is for a hint
    return row


def _run_backward(out: Tensor, upstream: np.ndarray | None) -> list[tuple[Tensor, str]]:
    """`out.backward(upstream)`, noting every input that needed a gradient and got None from its op:
    (that input, what happened). The graph is kept so that these inputs can be traced back."""
    missing = []
    for step in iter_backward(out, out._initial_grad(upstream), retain_graph=True):
        for position, (parent, grad) in enumerate(zip(step.inputs, step.input_grads)):
            if grad is None and parent.requires_grad:
                missing.append(
                    (
                        parent,
                        f"the backward of '{step.tensor.op}' returned None for its input {position}, "
                        "which needs a gradient",
                    )
                )
    return missing


def _depends_on(t: Tensor, leaf: Tensor) -> bool:
    """Whether `leaf` is in the graph behind `t`."""
    stack, seen = [t], set()
    while stack:
        node = stack.pop()._node
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node.inputs:
            if parent is leaf:
                return True
            stack.append(parent)
    return False


def _dtype(value: Any) -> np.dtype:
    return value.data.dtype if isinstance(value, Tensor) else np.asarray(value).dtype


def _tolerance(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"gradcheck: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {value!r}")
    return value


def _positions(inputs: Sequence[Any], wrt: Sequence[int] | None) -> set[int]:
    """The positions to check: `wrt` validated, or the default (floating point, grad not switched off)."""
    if wrt is None:
        return {
            i
            for i, v in enumerate(inputs)
            if _dtype(v).kind == "f" and not (isinstance(v, Tensor) and not v.requires_grad)
        }
    if isinstance(wrt, (int, np.integer, str, bytes)) or not isinstance(wrt, Sequence):
        raise TypeError(f"gradcheck: wrt must be a list of input positions, e.g. wrt=[0], got {wrt!r}")
    positions = set()
    for i in wrt:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"gradcheck: wrt holds input positions (ints), got {i!r}")
        if not -len(inputs) <= i < len(inputs):
            raise ValueError(f"gradcheck: wrt position {i} is out of range for {len(inputs)} inputs")
        i = int(i) % len(inputs)
        if _dtype(inputs[i]).kind != "f":
            raise ValueError(
                f"gradcheck: input {i} has dtype {_dtype(inputs[i])}: only floating-point inputs can be "
                "checked (integer inputs such as labels are passed unchanged; leave them out of wrt)"
            )
        positions.add(i)
    return positions


def _has_parameters(fn: Any) -> bool:
    return hasattr(fn, "named_parameters") and any(p.requires_grad for _, p in fn.named_parameters())


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

        working: dict[int, np.ndarray] = {}  # the copies restore_buffers put in place, by buffer

        def restore_buffers() -> None:
            for _, b in buffers:
                start, copy = starts[id(b)], working.get(id(b))
                if b.data is copy:  # still the check's own copy: refilled, not reallocated
                    np.copyto(copy, start)  # once per evaluation (benchmarks/gradcheck_speed.py)
                else:
                    b.data = working[id(b)] = start.copy()

        restore_buffers()
        yield params, restore_buffers
    finally:
        for t, data, grad in originals.values():
            t.data, t.grad = data, grad
