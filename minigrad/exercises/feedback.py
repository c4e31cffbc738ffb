"""What check cells call: a verdict a student can act on, raised as an `ExerciseFailed`.

The usual mistakes each get their own message: a backward that returns None (a forgotten
`return`), a gradient of the wrong shape, a flipped sign, a constant factor off, and otherwise the
worst element with both values. A backward that still raises `NotImplementedError` (the stub of
the student version) raises it again, so grading reports the exercise as not attempted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.tensor import Tensor, apply
from ..gradcheck import gradcheck, numerical_grad
from ..ops.base import Context, Function
from ..ops.stage import call_by_name
from ..tables import shape_str

ATOL, RTOL = 1e-5, 1e-3  # mg.gradcheck's tolerances


class ExerciseFailed(AssertionError):
    """A check cell's verdict: what is wrong and what to look at."""


def compare(label: str, analytic: np.ndarray, numeric: np.ndarray) -> str | None:
    """None when `analytic` matches `numeric` (gradcheck's tolerance), else why not, in one sentence."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    diff = np.abs(analytic - numeric)
    allowed = ATOL + RTOL * np.abs(numeric)
    if np.all(diff <= allowed):
        return None
    if not np.all(np.isfinite(analytic)):
        return f"{label} holds {np.count_nonzero(~np.isfinite(analytic))} non-finite value(s) (nan or inf)"
    if np.all(np.abs(analytic + numeric) <= allowed):
        return f"{label} has the wrong sign: it is exactly minus the right gradient (a flipped sign)"
    big = np.abs(numeric) > 1e-6
    if big.any():
        ratio = analytic[big] / numeric[big]
        if np.allclose(ratio, ratio[0], rtol=1e-6) and np.allclose(analytic[~big], 0, atol=ATOL):
            return (
                f"{label} is {ratio[0]:.6g} times the right gradient everywhere: a constant factor is off "
                "(a missing 2, 1/N or 1/2?)"
            )
    i = np.unravel_index(int(np.argmax(diff / allowed)), diff.shape)
    index = tuple(int(k) for k in i)
    return (
        f"{label}: {int(np.count_nonzero(diff > allowed))} of {diff.size} elements are wrong; worst at "
        f"{index}: yours {float(analytic[i]):.6g}, central differences {float(numeric[i]):.6g}"
    )


def _gradients(result: Any, n: int, what: str, shapes: Sequence[tuple[int, ...]]) -> list[np.ndarray]:
    """What a backward returned, as one array per input, or an `ExerciseFailed` saying what is off."""
    if result is None:
        raise ExerciseFailed(f"{what} returned None: did you forget the `return`?")
    grads = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(grads) != n:
        raise ExerciseFailed(f"{what} returned {len(grads)} gradient(s); it must return one per input ({n})")
    out = []
    for k, (g, shape) in enumerate(zip(grads, shapes)):
        label = f"the gradient of input {k}" if n > 1 else "the gradient"
        if g is None:
            raise ExerciseFailed(f"{what} returned None for input {k}: did you forget to compute or return it?")
        g = np.asarray(g, dtype=np.float64)
        if g.shape != shape:
            raise ExerciseFailed(
                f"{what}: {label} has shape {shape_str(g.shape)}, but the input has shape {shape_str(shape)} "
                "(a gradient has its input's shape: sum over the axes that were broadcast)"
            )
        out.append(g)
    return out


def _first_problem(labels: Sequence[str], yours: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> None:
    for label, a, n in zip(labels, yours, reference):
        problem = compare(label, a, n)
        if problem:
            raise ExerciseFailed(problem)


def check_gradients(
    yours: Any, reference: Sequence[np.ndarray], names: Sequence[str], *, what: str = "your backward"
) -> None:
    """Your gradients (a tuple in the order of `names`) against `reference` (e.g. minigrad's
    autograd of the same function); raises `ExerciseFailed` at the first one that is wrong."""
    reference = [np.asarray(r, dtype=np.float64) for r in reference]
    grads = _gradients(yours, len(names), what, [r.shape for r in reference])
    _first_problem([f"{what}: {n}" for n in names], grads, reference)
    print(f"{what}: {', '.join(names)} correct")


def check_op(
    op: type[Function],
    inputs: Sequence[np.ndarray],
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    verbose: bool = True,
) -> Any:
    """Check the backward of the op `op` at `inputs` (float arrays), with keyword `params` passed
    to `mg.apply` (integer labels, an axis). Raises `ExerciseFailed` with what to fix; on success
    prints and returns `mg.gradcheck`'s report."""
    params = dict(params or {})
    name = op.__name__
    arrays = [np.array(x, dtype=np.float64) for x in inputs]
    ctx = Context()
    ctx.needs_input_grad = (True,) * len(arrays)
    out = np.asarray(op.forward(ctx, *[a.copy() for a in arrays], **params), dtype=np.float64)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    result = op.backward(ctx, upstream.copy())  # the stub's NotImplementedError propagates: not attempted
    analytic = _gradients(result, len(arrays), f"{name}.backward", [a.shape for a in arrays])

    def run(*tensors: Tensor) -> Tensor:
        return apply(op, *tensors, **params)

    numeric = numerical_grad(run, arrays, grad_output=upstream)
    labels = [f"{name}.backward: the gradient of input {k}" for k in range(len(arrays))]
    _first_problem(labels if len(arrays) > 1 else [f"{name}.backward"], analytic, numeric)
    report = gradcheck(run, arrays)  # the full check, inside the graph, as a reviewer would run it
    if not report:
        raise ExerciseFailed(f"{name}: mg.gradcheck fails inside a graph:\n{report}")
    if verbose:
        print(report)
        print(f"\n{name}: backward correct")
    return report


def check_derivation(
    derivation: Any,
    values: Mapping[str, Any],
    *,
    overrides: Mapping[str, Callable[..., Any]] | None = None,
    backward: Callable[..., Any] | None = None,
    seed: int = 0,
    verbose: bool = True,
) -> Any:
    """Check a staged derivation (`minigrad.derivations.Derivation`) stage by stage with
    `derivation.check`; raise `ExerciseFailed` naming the first wrong stage (or gradient) and what
    is wrong with it. On success prints and returns the report."""
    report = derivation.check(values, overrides=overrides, backward=backward, seed=seed)
    for row in report:
        if "NotImplementedError" in row.detail:
            where = f"stage {row.stage!r}" if row.stage else row.name
            raise NotImplementedError(f"{derivation.title}: {where} still raises NotImplementedError")
    if report:
        if verbose:
            print(report.verdict())
        return report
    first = report.first_failure
    stage = report.first_wrong_stage
    if first.section == "stages" and stage is not None:
        where = f"stage {stage!r}"
        why = _stage_problem(derivation, stage, values, overrides, seed) or first.detail
    else:  # a gradient of the student's whole backward, named with the stage that completes it
        where = f"gradient {first.name}" + (f" (completed by stage {stage!r})" if stage else "")
        why = first.detail
    raise ExerciseFailed(f"{derivation.title}: first wrong: {where}: {why}")


def _stage_problem(
    derivation: Any,
    stage_name: str,
    values: Mapping[str, Any],
    overrides: Mapping[str, Callable[..., Any]] | None,
    seed: int,
) -> str | None:
    """Re-run one stage's local backward and say what is wrong with it (None: nothing found)."""
    stage = next(s for s in derivation.stages if s.name == stage_name)
    cache = derivation.forward(
        {k: (np.array(v, dtype=np.float64) if k in derivation.inputs else v) for k, v in values.items()}
    )
    upstream = np.random.default_rng([seed, 1]).standard_normal(np.shape(cache[stage.name]))
    fn = (overrides or {}).get(stage.name, stage.backward)
    what = f"stage {stage.name!r} backward"
    try:
        result = _call(fn, upstream, cache)
    except Exception as error:  # reported as the check saw it
        return f"{type(error).__name__}: {error}"
    try:
        grads = _gradients(result, len(stage.inputs), what, [np.shape(cache[v]) for v in stage.inputs])
    except ExerciseFailed as error:
        return str(error)
    arrays = [np.array(cache[v], dtype=np.float64) for v in stage.inputs]

    def forward(*tensors: Tensor) -> np.ndarray:
        local = {**cache, **{v: t.data for v, t in zip(stage.inputs, tensors)}}
        return np.asarray(_call(stage.forward, None, local), dtype=np.float64)

    numeric = numerical_grad(forward, arrays, grad_output=upstream)
    for v, a, n in zip(stage.inputs, grads, numeric):
        problem = compare(f"{what}: d{v}", a, n)
        if problem:
            return problem
    return None


def _call(fn: Callable[..., Any], grad: Any, values: Mapping[str, Any]) -> Any:
    """`fn` called as the derivations call stages: `grad` first, every other argument by name."""
    return call_by_name(fn, grad, values, getattr(fn, "__name__", "backward"))
