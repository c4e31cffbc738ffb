"""A derivation written as named stages, and the checks that make it trustworthy.

A *stage* (`Stage`, defined with the ops in `minigrad/ops/stage.py`, since every stage is also an
op of the graph) is one small step `y = f(inputs)` of a forward pass together with its local
backward (the chain rule for that step alone), written once, side by side (`ops/stage.py` shows
one; BatchNorm's nine are in `ops/batchnorm_stages.py`).

A `Derivation` is an ordered list of stages. From that one list it derives everything else:

- `forward(values)`: runs the stages in order and returns the cache, a dict of every value;
- `backward(dout, cache)`: runs the stages' local backwards in reverse, adding up the gradients a
  value receives from each stage that uses it, and returns every gradient by name (`"d" + value`);
- `check(values)`: the whole check, a `DerivationReport`:
  - `check_stages(cache)`: each stage's local backward against central differences *in
    isolation* (its own inputs, a seeded random upstream gradient), so a wrong stage is named
    even when the stages around it are right;
  - `check_backward(your_backward, dout, cache)`: a student's whole backward, gradient by
    gradient in the order the backward pass completes them, so the first wrong one is named;
  - end to end: the staged backward vs other ways of computing it and vs central differences.

`overrides={"ivar": my_ivar_backward}` swaps any stage's local backward for your own (the same
signature as the stage's `backward`), in every check and in `backward`.

The central differences, the rows and the report are `minigrad.gradcheck`'s (the one machinery
every gradient check uses); `report.py` names a derivation's sections. `backward` runs on the
engine's reverse pass (each stage a node), so the summation over paths is the engine's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.graph import Node, iter_backward
from ..engine.tensor import Tensor
from ..gradcheck.numerical import best_estimate, step_estimates
from ..ops.base import Context, Function
from ..ops.stage import Stage, call_by_name, first_line
from ..tables import shape_str, text_table
from .report import (
    END_TO_END,
    EXPECT_EXACT,
    EXPECT_NUMERIC,
    EXPECT_STAGE,
    STAGES,
    YOURS,
    CheckRow,
    DerivationReport,
    compare,
    error_row,
)

Overrides = Mapping[str, Callable[..., Any]]
#: Values to check a derivation at: every input and constant by name, or a function drawing them.
Example = Mapping[str, Any] | Callable[[np.random.Generator], Mapping[str, Any]]


# ------------------------------------------------------------------------------------- stages
# `Stage` and `call_by_name` live with the ops (`ops/stage.py`): a stage is also an op of the
# graph, so the layers below the derivations are built from the very same classes.


def grad_name(value: str) -> str:
    """The name of a value's gradient: `xhat` -> `dxhat` (as cs231n writes them)."""
    return "d" + value


class _StageOp(Function):
    """A stage as a node of the engine's graph: its backward is the stage's checked local backward."""

    name = "stage"

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return ctx.derivation.local_backward(ctx.stage, grad, ctx.cache, ctx.overrides)


def _shape_only(value: Any, dout: np.ndarray) -> np.ndarray:
    """A stand-in for a value in the engine's graph: its shape, no memory (stages read the cache).
    The engine casts gradients to its dtype: the one NumPy gives the value's arithmetic with dout."""
    dtype = np.result_type(np.asarray(value).dtype, dout.dtype, np.float16)
    return np.broadcast_to(np.zeros((), dtype=dtype), np.shape(value))


# --------------------------------------------------------------------------------- derivation
class Derivation:
    """An ordered list of stages from named inputs to one output (the last stage's value).

    `inputs` are differentiated (they get gradients); `constants` are read but never
    differentiated (eps, moving statistics, a regression target). `example`: values to check it
    at (a dict of every input and constant, or a function of a NumPy `Generator` returning one),
    what `python -m minigrad check FILE.py:NAME` uses.
    """

    def __init__(
        self,
        title: str,
        stages: Sequence[type[Stage]],
        inputs: Sequence[str],
        constants: Sequence[str] = (),
        *,
        example: Example | None = None,
    ) -> None:
        self.title = title
        self.example = example
        self.stages: tuple[type[Stage], ...] = tuple(stages)
        self.inputs, self.constants = tuple(inputs), tuple(constants)
        if not self.stages:
            raise ValueError(f"{title}: a derivation needs at least one stage")
        self.output = self.stages[-1].name
        known = set(self.inputs)  # values that can carry a gradient so far
        for stage in self.stages:
            if stage.name in known or stage.name in self.constants:
                raise ValueError(f"{title}: stage {stage.name!r} reuses the name of an earlier value")
            missing = [v for v in stage.inputs if v not in known]
            if missing:
                raise ValueError(
                    f"{title}: stage {stage.name!r} is differentiated with respect to {missing}, "
                    f"which no earlier stage or input provides (known: {sorted(known)})"
                )
            known.add(stage.name)
        self.consumers: dict[str, list[str]] = {v: [] for v in (*self.inputs, *(s.name for s in self.stages))}
        for stage in self.stages:
            for v in stage.inputs:
                self.consumers[v].append(stage.name)

    def __repr__(self) -> str:
        return f"Derivation({self.title!r}: {' -> '.join(s.name for s in self.stages)})"

    def example_values(self, seed: int = 0) -> dict[str, Any] | None:
        """The `example` values (drawn with `seed` when `example` is a function), or None."""
        if self.example is None:
            return None
        values = self.example(np.random.default_rng(seed)) if callable(self.example) else self.example
        return dict(values)

    def stage(self, name: str) -> type[Stage]:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"{self.title}: no stage {name!r}; stages: {', '.join(s.name for s in self.stages)}")

    def table(self) -> str:
        """The derivation as a table: stage, forward formula, local backward (copy it into notes)."""
        rows = [(s.name, s.formula(), s.backward_formula()) for s in self.stages]
        return text_table(("stage", "forward", "local backward"), rows)

    # ------------------------------------------------------------------------ forward/backward
    def forward(self, values: Mapping[str, Any], pinned: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run every stage in order; returns the cache: inputs, constants and every stage's value.

        `pinned` forces some stage values instead of computing them (e.g. `mu` and `var` set to
        moving statistics: how seed 004's test-mode backward was built).
        """
        missing = [v for v in (*self.inputs, *self.constants) if v not in values]
        if missing:
            raise KeyError(
                f"{self.title}: forward needs {', '.join(missing)} "
                f"(inputs: {', '.join(self.inputs)}; constants: {', '.join(self.constants) or 'none'})"
            )
        pinned = pinned or {}
        unknown = [p for p in pinned if p not in self.consumers or p in self.inputs]
        if unknown:
            raise KeyError(
                f"{self.title}: cannot pin {unknown}: not a stage (stages: {', '.join(s.name for s in self.stages)})"
            )
        cache = {k: (np.asarray(v) if k in self.inputs else v) for k, v in values.items()}
        for stage in self.stages:
            if stage.name in pinned:
                cache[stage.name] = np.asarray(pinned[stage.name])
            else:
                what = f"{self.title}: stage {stage.name!r} forward"
                cache[stage.name] = np.asarray(call_by_name(stage.forward, None, cache, what))
        return cache

    def local_backward(
        self, stage: type[Stage], grad: np.ndarray, cache: Mapping[str, Any], overrides: Overrides | None = None
    ) -> tuple[np.ndarray, ...]:
        """One stage's local backward (or its override), checked: one gradient per input, right shapes."""
        fn = (overrides or {}).get(stage.name, stage.backward)
        what = f"{self.title}: stage {stage.name!r} backward" + (" (your override)" if fn is not stage.backward else "")
        result = call_by_name(fn, grad, cache, what)
        grads = result if isinstance(result, (tuple, list)) else (result,)
        if len(grads) != len(stage.inputs):
            raise ValueError(
                f"{what} returned {len(grads)} gradient(s); it must return one per input: "
                f"{', '.join(grad_name(v) for v in stage.inputs)}"
            )
        out = []
        for v, g in zip(stage.inputs, grads):
            g = np.asarray(g)
            if g.dtype.kind != "f":  # e.g. an int array from np.ones(..., dtype=int)
                g = g.astype(np.float64)
            want = np.shape(cache[v])
            if g.shape != want:
                raise ValueError(
                    f"{what} returned {grad_name(v)} of shape {shape_str(g.shape)}, but {v} has shape "
                    f"{shape_str(want)} (a gradient has the shape of its value; broadcast values "
                    "need their gradient summed over the broadcast axis)"
                )
            out.append(g)
        return tuple(out)

    def backward(
        self, dout: Any, cache: Mapping[str, Any], overrides: Overrides | None = None
    ) -> dict[str, np.ndarray]:
        """Every stage's local backward in reverse order; returns all gradients by name (`dxhat`, ...).

        A value used by several stages (e.g. `xmu`, used by `sq` and `xhat`) receives the SUM of
        the gradients they send back: the multivariate chain rule.
        """
        dout = np.asarray(dout)
        if dout.shape != np.shape(cache[self.output]):
            raise ValueError(
                f"{self.title}: {grad_name(self.output)} has shape {shape_str(dout.shape)}, but "
                f"{self.output} has shape {shape_str(np.shape(cache[self.output]))}"
            )
        # Each stage is a node of the engine's graph; its reverse pass hands every value its
        # complete gradient (the sum over the stages that use it) before that value's own step.
        tensors: dict[str, Tensor] = {}
        for v in self.inputs:
            tensors[v] = Tensor._from_op(_shape_only(cache[v], dout), None)
            tensors[v].requires_grad = True
        for stage in self.stages:
            node = Node(_StageOp, tuple(tensors[v] for v in stage.inputs))  # the stage op's ctx
            node.derivation, node.stage, node.cache, node.overrides = self, stage, cache, overrides
            tensors[stage.name] = Tensor._from_op(_shape_only(cache[stage.name], dout), node)
        names = {id(t): v for v, t in tensors.items()}
        grads: dict[str, np.ndarray] = {}
        for step in iter_backward(tensors[self.output], dout, retain_graph=True):
            grads[names[id(step.tensor)]] = step.output_grad
        for v in self.inputs:  # an input no stage uses still gets its (zero) gradient
            grads.setdefault(v, np.zeros(np.shape(cache[v])))
        return {grad_name(v): grads[v] for v, _ in self.gradient_order() if v in grads}

    def gradient_order(self) -> list[tuple[str, str]]:
        """(value, the stage whose backward completes its gradient), in the order the backward pass
        completes them; the output comes first (its gradient is given)."""
        pending = {v: len(c) for v, c in self.consumers.items()}
        order = [(self.output, "(given)")]
        for stage in reversed(self.stages):
            for v in stage.inputs:
                pending[v] -= 1
                if pending[v] == 0:
                    order.append((v, stage.name))
        return order

    # ------------------------------------------------------------------------------- checks
    def check_stage(
        self,
        stage: type[Stage],
        cache: Mapping[str, Any],
        overrides: Overrides | None = None,
        *,
        seed: int = 0,
        h: float = 1e-6,
        atol: float = 1e-8,
        rtol: float = 1e-6,
    ) -> CheckRow:
        """One stage's local backward vs central differences of that stage alone, in float64.

        The upstream gradient G is random (seeded); the numeric gradient of input v is
        d/dv sum(G * forward(...)) by central differences (`central_differences`, base step h).
        Passes when |analytic - numeric| <= atol + rtol * |numeric| for every element.
        """
        values = {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v) for k, v in cache.items()}
        index = self.stages.index(stage)
        upstream = np.random.default_rng([seed, index]).standard_normal(np.shape(values[stage.name]))
        name, local = stage.name, stage.backward_formula()
        if overrides is not None and stage.name in overrides:  # the student's own local backward
            fn = overrides[stage.name]
            name += " (yours)"
            local = f"yours: {getattr(fn, '__name__', 'override')}"
            if fn.__doc__:
                local += f": {first_line(fn.__doc__)}"
        where = (STAGES, name, stage.formula())
        try:
            analytic = self.local_backward(stage, upstream, values, overrides)
        except Exception as error:  # a student's override that crashes is a failing row, not a crash
            return error_row(where, error, EXPECT_STAGE, stage=stage.name, local_backward=local)

        def evaluate() -> np.ndarray:
            out = call_by_name(stage.forward, None, values, f"{self.title}: stage {stage.name!r} forward")
            return np.asarray(out, dtype=np.float64)

        numeric = []
        for v, a in zip(stage.inputs, analytic):
            values[v] = np.array(values[v], dtype=np.float64)  # a private copy, perturbed in place
            numeric.append(best_estimate(a, evaluate, upstream, values[v], h))
        labels = [grad_name(v) for v in stage.inputs]
        row = compare(
            where,
            labels,
            analytic,
            numeric,
            atol=atol,
            rtol=rtol,
            expected=EXPECT_STAGE,
            names=("backward", "numeric"),
            stage=stage.name,
        )
        row.local_backward = local
        return row

    def check_stages(
        self, cache: Mapping[str, Any], overrides: Overrides | None = None, *, seed: int = 0, h: float = 1e-6
    ) -> list[CheckRow]:
        """`check_stage` for every stage, in forward order (the order of the derivation's table)."""
        unknown = [k for k in (overrides or {}) if k not in {s.name for s in self.stages}]
        if unknown:
            raise KeyError(
                f"{self.title}: overrides for unknown stage(s) {unknown}; stages: "
                f"{', '.join(s.name for s in self.stages)}"
            )
        return [self.check_stage(s, cache, overrides, seed=seed, h=h) for s in self.stages]

    def compare_gradients(
        self,
        yours: Mapping[str, Any] | Sequence[Any],
        reference: Mapping[str, np.ndarray],
        *,
        atol: float = 1e-10,
        rtol: float = 1e-8,
    ) -> tuple[list[CheckRow], list[str]]:
        """Your backward's gradients vs the reference staged backward, in the order the backward
        pass completes them (so the first failing row is where your backward first goes wrong).

        `yours`: a dict by gradient name (`{"dxhat": ..., "divar": ..., "dx": ...}`, every key
        optional; a value used by several stages needs its TOTAL gradient, e.g. `dxmu` =
        dxmu1 + dxmu2) or a tuple of the input gradients in order (`(dx, dgamma, dbeta)`).
        Returns the rows and notes (e.g. keys that name no value of the derivation).
        """
        if not isinstance(yours, Mapping):
            yours = list(yours) if isinstance(yours, (tuple, list)) else [yours]
            if len(yours) != len(self.inputs):
                raise ValueError(
                    f"{self.title}: your backward returned {len(yours)} arrays; expected "
                    f"{len(self.inputs)} ({', '.join(grad_name(v) for v in self.inputs)}) or a dict by name"
                )
            yours = {grad_name(v): g for v, g in zip(self.inputs, yours)}
        notes = []
        known = {grad_name(v) for v in self.consumers}
        extra = [k for k in yours if k not in known]
        if extra:
            notes.append(
                f"ignored: {', '.join(map(str, extra))} (not the gradient of a value of this derivation; "
                f"names are 'd' + a value: {', '.join(sorted(known))})"
            )
        rows = []
        for v, by in self.gradient_order()[1:]:
            key = grad_name(v)
            users = self.consumers[v]
            formula = f"from stage {by}" if len(users) == 1 else f"sum over stages {', '.join(reversed(users))}"
            if key not in yours:
                rows.append(
                    CheckRow(YOURS, key, formula, float("nan"), float("nan"), True, EXPECT_EXACT, given=False, stage=by)
                )
                continue
            try:
                mine = np.asarray(yours[key], dtype=np.float64)
                if mine.shape != reference[key].shape:
                    raise ValueError(
                        f"{key} has shape {shape_str(mine.shape)}, but {v} has shape {shape_str(reference[key].shape)}"
                    )
            except (ValueError, TypeError) as error:
                rows.append(error_row((YOURS, key, formula), str(error), EXPECT_EXACT, stage=by))
                continue
            rows.append(
                compare(
                    (YOURS, key, formula),
                    [key],
                    [mine],
                    [reference[key]],
                    atol=atol,
                    rtol=rtol,
                    expected=EXPECT_EXACT,
                    names=("yours", "reference"),
                    stage=by,
                )
            )
        return rows, notes

    def check(
        self,
        values: Mapping[str, Any],
        dout: Any = None,
        *,
        overrides: Overrides | None = None,
        backward: Callable[[np.ndarray, dict[str, Any]], Any] | None = None,
        seed: int = 0,
        references: Sequence[tuple[str, str, Sequence[np.ndarray]]] = (),
        title: str | None = None,
    ) -> DerivationReport:
        """The whole check of this derivation at `values` (inputs and constants), in float64.

        - one row per stage: its local backward (or your override) in isolation;
        - with `backward=your_backward` (called as `your_backward(dout, cache)`, returning a dict
          of gradients by name or the input gradients as a tuple): your gradients vs the reference
          staged backward, in backward order, so the first wrong one is named;
        - end to end: the staged backward (with your overrides) vs each of `references`
          ((label, how it was computed, one gradient per input)) and vs central differences of
          the whole forward.
        `dout` defaults to 1 for a scalar output, else a seeded random upstream gradient.
        """
        values = {k: (np.array(v, dtype=np.float64) if k in self.inputs else v) for k, v in values.items()}
        cache = self.forward(values)
        shape = np.shape(cache[self.output])
        if dout is None:
            dout = np.ones(shape) if shape == () else np.random.default_rng(seed).standard_normal(shape)
        dout = np.array(dout, dtype=np.float64)
        if dout.shape != shape:
            raise ValueError(
                f"{self.title}: {grad_name(self.output)} has shape {shape_str(dout.shape)}, but "
                f"{self.output} has shape {shape_str(shape)}"
            )
        rows = self.check_stages(cache, overrides, seed=seed)
        notes = []
        if backward is not None:
            student_rows, student_notes = self.check_backward(backward, dout, cache)
            rows += student_rows
            notes += student_notes
        labels = [grad_name(v) for v in self.inputs]
        staged_name = "staged" + (" (with your stages)" if overrides else "")
        try:
            g = self.backward(dout, cache, overrides)
            staged = [g[k] for k in labels]
        except Exception as error:  # e.g. an override returning the wrong shape
            rows.append(error_row((END_TO_END, f"{staged_name} backward", "runs"), error, EXPECT_EXACT))
        else:
            for label, how, grads in references:
                rows.append(
                    compare(
                        (END_TO_END, f"{staged_name} vs {label}", how),
                        labels,
                        staged,
                        grads,
                        atol=1e-10,
                        rtol=1e-8,
                        expected=EXPECT_EXACT,
                        names=("staged", label),
                    )
                )
            numeric = self.numeric_gradients({k: cache[k] for k in (*self.inputs, *self.constants)}, dout, staged)
            rows.append(
                compare(
                    (END_TO_END, f"{staged_name} vs numeric", "central differences of the whole forward"),
                    # mg.gradcheck's tolerances: central differences of a whole, possibly
                    # ill-conditioned layer (tiny variance, large offset) carry ~1e-5 noise
                    labels,
                    staged,
                    numeric,
                    atol=1e-5,
                    rtol=1e-3,
                    expected=EXPECT_NUMERIC,
                    names=("staged", "numeric"),
                )
            )
        if overrides:
            notes.append(
                f"your local backward replaces stage(s) {', '.join(overrides)} in the stage rows and in the "
                "staged backward of the end-to-end rows"
            )
        shapes = ", ".join(f"{v} {shape_str(np.shape(values[v]))}" for v in self.inputs)
        return DerivationReport(title or f"{self.title} ({shapes}, float64, seed={seed})", rows, notes)

    def check_backward(
        self, backward: Callable[[np.ndarray, dict[str, Any]], Any], dout: np.ndarray, cache: Mapping[str, Any]
    ) -> tuple[list[CheckRow], list[str]]:
        """Run your whole backward as `backward(dout, cache)` (on a copy of the cache) and compare
        what it returns with the reference staged backward (`compare_gradients`)."""
        try:
            yours = backward(dout.copy(), {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cache.items()})
            return self.compare_gradients(yours, self.backward(dout, cache))
        except Exception as error:  # the student's code crashing is a result to report
            name = getattr(backward, "__name__", "backward")
            return [error_row((YOURS, f"{name}(dout, cache)", "runs"), error, EXPECT_EXACT)], []

    def numeric_gradients(
        self, values: Mapping[str, Any], dout: np.ndarray, analytic: Sequence[np.ndarray] | None = None, h: float = 1e-6
    ) -> list[np.ndarray]:
        """Central differences of sum(dout * output) with respect to every input, the whole forward
        at once (`minigrad.gradcheck`'s `step_estimates`; with `analytic`, the closest of them)."""
        values = {k: (np.array(v, dtype=np.float64) if k in self.inputs else v) for k, v in values.items()}
        dout = np.asarray(dout, dtype=np.float64)

        def evaluate() -> np.ndarray:
            return np.asarray(self.forward(values)[self.output], dtype=np.float64)

        grads = []
        for i, v in enumerate(self.inputs):
            if analytic is None:
                grads.append(step_estimates(evaluate, dout, values[v], h)[0])
            else:
                grads.append(best_estimate(analytic[i], evaluate, dout, values[v], h))
        return grads
