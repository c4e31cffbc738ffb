"""A derivation written as named stages, and the checks that make it trustworthy.

A *stage* is one small step `y = f(inputs)` of a forward pass together with its local backward
(the chain rule for that step alone), written once, side by side, like an op in `minigrad.ops`:

    class IVar(Stage):
        '''ivar = 1 / sqrtvar'''
        name, inputs = "ivar", ("sqrtvar",)

        @staticmethod
        def forward(sqrtvar):
            return 1.0 / sqrtvar

        @staticmethod
        def backward(divar, sqrtvar):
            '''dsqrtvar = -1 / sqrtvar**2 * divar'''
            return -1.0 / sqrtvar**2 * divar

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
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..engine.function import shape_str
from ..gradcheck.report import relative_error

Overrides = Mapping[str, Callable[..., Any]]

#: Expected error ranges (cs231n style), written next to the comparisons that use them.
EXPECT_STAGE = "~1e-8 or below"          # a right local backward vs central differences, h=1e-6
EXPECT_EXACT = "~1e-12 or below"         # two analytic gradients that differ only by rounding
EXPECT_NUMERIC = "~1e-7 or below"        # a whole layer vs central differences (passes up to gradcheck's tolerance)
EXPECT_WRONG = "1e-2 or above"           # what a wrong gradient looks like


# ------------------------------------------------------------------------------------- stages
class Stage:
    """One named step of a forward pass with its local backward (see the module docstring).

    - `name`: the value the stage computes. `inputs`: the values it is differentiated with
      respect to (constants such as `eps` are read by forward/backward but get no gradient).
    - `forward(...)`: arguments are looked up BY NAME among the values known so far (the
      derivation's inputs and constants, and the outputs of earlier stages).
    - `backward(grad, ...)`: `grad` (any name; `d<name>` by convention) is the gradient of the
      loss with respect to this stage's output. The other arguments are values looked up by name
      (the stage's own output included); an argument named `cache` receives the dict of all
      values. Returns the gradient for each entry of `inputs`, in order: one array, or a tuple.
    - The class docstring's first line is the forward formula, `backward`'s the local backward.
    """

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]

    @staticmethod
    def forward(*args: Any) -> np.ndarray:  # pragma: no cover - every stage defines its own
        raise NotImplementedError

    @staticmethod
    def backward(grad: np.ndarray, *args: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def formula(cls) -> str:
        """The forward formula (first line of the class docstring)."""
        return _first_line(cls.__doc__) or cls.name

    @classmethod
    def backward_formula(cls) -> str:
        """The local backward formula (first line of `backward`'s docstring)."""
        return _first_line(cls.backward.__doc__)


def _first_line(doc: str | None) -> str:
    return inspect.cleandoc(doc).splitlines()[0].strip() if doc else ""


def grad_name(value: str) -> str:
    """The name of a value's gradient: `xhat` -> `dxhat` (as cs231n writes them)."""
    return "d" + value


def call_by_name(fn: Callable[..., Any], grad: Any, values: Mapping[str, Any], what: str) -> Any:
    """Call `fn`, passing `grad` first (unless it is None) and every other argument by name.

    An argument named `cache` receives `values` itself; an unknown name is a clear error.
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"{what}: cannot read the signature of {fn!r}") from None
    args = []
    if grad is not None:
        if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
            raise TypeError(f"{what}: the first argument must be the upstream gradient")
        args.append(grad)
        params = params[1:]
    kwargs = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == "cache":
            kwargs[p.name] = values
        elif p.name in values:
            kwargs[p.name] = values[p.name]
        elif p.default is p.empty:
            raise TypeError(
                f"{what}: argument {p.name!r} is not a value of this derivation; "
                f"arguments are looked up by name among: {', '.join(values)} (or `cache` for all of them)"
            )
    return fn(*args, **kwargs)


# --------------------------------------------------------------------------------- derivation
class Derivation:
    """An ordered list of stages from named inputs to one output (the last stage's value).

    `inputs` are differentiated (they get gradients); `constants` are read but never
    differentiated (eps, moving statistics, a regression target).
    """

    def __init__(self, title: str, stages: Sequence[type[Stage]], inputs: Sequence[str],
                 constants: Sequence[str] = ()) -> None:
        self.title = title
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
                raise ValueError(f"{title}: stage {stage.name!r} is differentiated with respect to {missing}, "
                                 f"which no earlier stage or input provides (known: {sorted(known)})")
            known.add(stage.name)
        self.consumers: dict[str, list[str]] = {v: [] for v in (*self.inputs, *(s.name for s in self.stages))}
        for stage in self.stages:
            for v in stage.inputs:
                self.consumers[v].append(stage.name)

    def __repr__(self) -> str:
        return f"Derivation({self.title!r}: {' -> '.join(s.name for s in self.stages)})"

    def stage(self, name: str) -> type[Stage]:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"{self.title}: no stage {name!r}; stages: {', '.join(s.name for s in self.stages)}")

    def table(self) -> str:
        """The derivation as a table: stage, forward formula, local backward (copy it into notes)."""
        rows = [(s.name, s.formula(), s.backward_formula()) for s in self.stages]
        return format_table(("stage", "forward", "local backward"), rows)

    # ------------------------------------------------------------------------ forward/backward
    def forward(self, values: Mapping[str, Any], pinned: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run every stage in order; returns the cache: inputs, constants and every stage's value.

        `pinned` forces some stage values instead of computing them (e.g. `mu` and `var` set to
        moving statistics: how seed 004's test-mode backward was built).
        """
        missing = [v for v in (*self.inputs, *self.constants) if v not in values]
        if missing:
            raise KeyError(f"{self.title}: forward needs {', '.join(missing)} "
                           f"(inputs: {', '.join(self.inputs)}; constants: {', '.join(self.constants) or 'none'})")
        pinned = pinned or {}
        unknown = [p for p in pinned if p not in self.consumers or p in self.inputs]
        if unknown:
            raise KeyError(f"{self.title}: cannot pin {unknown}: not a stage "
                           f"(stages: {', '.join(s.name for s in self.stages)})")
        cache = {k: (np.asarray(v) if k in self.inputs else v) for k, v in values.items()}
        for stage in self.stages:
            if stage.name in pinned:
                cache[stage.name] = np.asarray(pinned[stage.name])
            else:
                what = f"{self.title}: stage {stage.name!r} forward"
                cache[stage.name] = np.asarray(call_by_name(stage.forward, None, cache, what))
        return cache

    def local_backward(self, stage: type[Stage], grad: np.ndarray, cache: Mapping[str, Any],
                       overrides: Overrides | None = None) -> tuple[np.ndarray, ...]:
        """One stage's local backward (or its override), checked: one gradient per input, right shapes."""
        fn = (overrides or {}).get(stage.name, stage.backward)
        what = f"{self.title}: stage {stage.name!r} backward" + (" (your override)" if fn is not stage.backward else "")
        result = call_by_name(fn, grad, cache, what)
        grads = result if isinstance(result, (tuple, list)) else (result,)
        if len(grads) != len(stage.inputs):
            raise ValueError(f"{what} returned {len(grads)} gradient(s); it must return one per input: "
                             f"{', '.join(grad_name(v) for v in stage.inputs)}")
        out = []
        for v, g in zip(stage.inputs, grads):
            g = np.asarray(g)
            if g.dtype.kind != "f":  # e.g. an int array from np.ones(..., dtype=int)
                g = g.astype(np.float64)
            want = np.shape(cache[v])
            if g.shape != want:
                raise ValueError(f"{what} returned {grad_name(v)} of shape {shape_str(g.shape)}, but {v} has shape "
                                 f"{shape_str(want)} (a gradient has the shape of its value; broadcast values "
                                 "need their gradient summed over the broadcast axis)")
            out.append(g)
        return tuple(out)

    def backward(self, dout: Any, cache: Mapping[str, Any], overrides: Overrides | None = None) -> dict[str, np.ndarray]:
        """Every stage's local backward in reverse order; returns all gradients by name (`dxhat`, ...).

        A value used by several stages (e.g. `xmu`, used by `sq` and `xhat`) receives the SUM of
        the gradients they send back: the multivariate chain rule.
        """
        dout = np.asarray(dout)
        if dout.shape != np.shape(cache[self.output]):
            raise ValueError(f"{self.title}: {grad_name(self.output)} has shape {shape_str(dout.shape)}, but "
                             f"{self.output} has shape {shape_str(np.shape(cache[self.output]))}")
        grads: dict[str, np.ndarray] = {self.output: dout}
        for stage in reversed(self.stages):
            if stage.name not in grads:  # nothing downstream uses this value
                continue
            for v, g in zip(stage.inputs, self.local_backward(stage, grads[stage.name], cache, overrides)):
                grads[v] = grads[v] + g if v in grads else g
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
    def check_stage(self, stage: type[Stage], cache: Mapping[str, Any], overrides: Overrides | None = None,
                    *, seed: int = 0, h: float = 1e-6, atol: float = 1e-8, rtol: float = 1e-6) -> CheckRow:
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
                local += f": {_first_line(fn.__doc__)}"
        where = ("stages", name, stage.formula())
        try:
            analytic = self.local_backward(stage, upstream, values, overrides)
        except Exception as error:  # a student's override that crashes is a failing row, not a crash
            return CheckRow(*where, float("nan"), float("nan"), False, EXPECT_STAGE, local_backward=local,
                            detail=f"{type(error).__name__}: {error}", stage=stage.name)

        def evaluate() -> np.ndarray:
            out = call_by_name(stage.forward, None, values, f"{self.title}: stage {stage.name!r} forward")
            return np.asarray(out, dtype=np.float64)

        numeric = []
        for v, a in zip(stage.inputs, analytic):
            values[v] = np.array(values[v], dtype=np.float64)  # a private copy, perturbed in place
            numeric.append(closer(a, *central_differences(evaluate, upstream, values[v], h)))
        labels = [grad_name(v) for v in stage.inputs]
        row = compare(where, labels, analytic, numeric, atol=atol, rtol=rtol, expected=EXPECT_STAGE,
                      names=("backward", "numeric"), stage=stage.name)
        row.local_backward = local
        return row

    def check_stages(self, cache: Mapping[str, Any], overrides: Overrides | None = None, *, seed: int = 0,
                     h: float = 1e-6) -> list[CheckRow]:
        """`check_stage` for every stage, in forward order (the order of the derivation's table)."""
        unknown = [k for k in (overrides or {}) if k not in {s.name for s in self.stages}]
        if unknown:
            raise KeyError(f"{self.title}: overrides for unknown stage(s) {unknown}; stages: "
                           f"{', '.join(s.name for s in self.stages)}")
        return [self.check_stage(s, cache, overrides, seed=seed, h=h) for s in self.stages]

    def compare_gradients(self, yours: Mapping[str, Any] | Sequence[Any], reference: Mapping[str, np.ndarray],
                          *, atol: float = 1e-10, rtol: float = 1e-8) -> tuple[list[CheckRow], list[str]]:
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
                raise ValueError(f"{self.title}: your backward returned {len(yours)} arrays; expected "
                                 f"{len(self.inputs)} ({', '.join(grad_name(v) for v in self.inputs)}) or a dict by name")
            yours = {grad_name(v): g for v, g in zip(self.inputs, yours)}
        notes = []
        known = {grad_name(v) for v in self.consumers}
        extra = [k for k in yours if k not in known]
        if extra:
            notes.append(f"ignored: {', '.join(map(str, extra))} (not the gradient of a value of this derivation; "
                         f"names are 'd' + a value: {', '.join(sorted(known))})")
        rows = []
        for v, by in self.gradient_order()[1:]:
            key = grad_name(v)
            users = self.consumers[v]
            formula = f"from stage {by}" if len(users) == 1 else f"sum over stages {', '.join(reversed(users))}"
            if key not in yours:
                rows.append(CheckRow("your backward", key, formula, float("nan"), float("nan"), True, EXPECT_EXACT,
                                     given=False, stage=by))
                continue
            try:
                mine = np.asarray(yours[key], dtype=np.float64)
                if mine.shape != reference[key].shape:
                    raise ValueError(f"{key} has shape {shape_str(mine.shape)}, but {v} has shape "
                                     f"{shape_str(reference[key].shape)}")
            except (ValueError, TypeError) as error:
                rows.append(CheckRow("your backward", key, formula, float("nan"), float("nan"), False, EXPECT_EXACT,
                                     detail=str(error), stage=by))
                continue
            rows.append(compare(("your backward", key, formula), [key], [mine], [reference[key]], atol=atol,
                                rtol=rtol, expected=EXPECT_EXACT, names=("yours", "reference"), stage=by))
        return rows, notes

    def check(self, values: Mapping[str, Any], dout: Any = None, *, overrides: Overrides | None = None,
              backward: Callable[[np.ndarray, dict[str, Any]], Any] | None = None, seed: int = 0,
              references: Sequence[tuple[str, str, Sequence[np.ndarray]]] = (), title: str | None = None) -> DerivationReport:
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
            raise ValueError(f"{self.title}: {grad_name(self.output)} has shape {shape_str(dout.shape)}, but "
                             f"{self.output} has shape {shape_str(shape)}")
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
            rows.append(CheckRow("end to end", f"{staged_name} backward", "runs", float("nan"), float("nan"), False,
                                 EXPECT_EXACT, detail=f"{type(error).__name__}: {error}"))
        else:
            for label, how, grads in references:
                rows.append(compare(("end to end", f"{staged_name} vs {label}", how), labels, staged, grads,
                                    atol=1e-10, rtol=1e-8, expected=EXPECT_EXACT, names=("staged", label)))
            numeric = self.numeric_gradients({k: cache[k] for k in (*self.inputs, *self.constants)}, dout, staged)
            rows.append(compare(("end to end", f"{staged_name} vs numeric", "central differences of the whole forward"),
                                # mg.gradcheck's tolerances: central differences of a whole, possibly
                                # ill-conditioned layer (tiny variance, large offset) carry ~1e-5 noise
                                labels, staged, numeric, atol=1e-5, rtol=1e-3, expected=EXPECT_NUMERIC,
                                names=("staged", "numeric")))
        if overrides:
            notes.append(f"your local backward replaces stage(s) {', '.join(overrides)} in the stage rows and in the "
                         "staged backward of the end-to-end rows")
        shapes = ", ".join(f"{v} {shape_str(np.shape(values[v]))}" for v in self.inputs)
        return DerivationReport(title or f"{self.title} ({shapes}, float64, seed={seed})", rows, notes)

    def check_backward(self, backward: Callable[[np.ndarray, dict[str, Any]], Any], dout: np.ndarray,
                       cache: Mapping[str, Any]) -> tuple[list[CheckRow], list[str]]:
        """Run your whole backward as `backward(dout, cache)` (on a copy of the cache) and compare
        what it returns with the reference staged backward (`compare_gradients`)."""
        try:
            yours = backward(dout.copy(), {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cache.items()})
            return self.compare_gradients(yours, self.backward(dout, cache))
        except Exception as error:  # the student's code crashing is a result to report
            name = getattr(backward, "__name__", "backward")
            return [CheckRow("your backward", f"{name}(dout, cache)", "runs", float("nan"), float("nan"), False,
                             EXPECT_EXACT, detail=f"{type(error).__name__}: {error}")], []

    def numeric_gradients(self, values: Mapping[str, Any], dout: np.ndarray, analytic: Sequence[np.ndarray] | None = None,
                          h: float = 1e-6) -> list[np.ndarray]:
        """Central differences of sum(dout * output) with respect to every input, the whole forward
        at once (see `central_differences`; with `analytic`, the closest of its estimates)."""
        values = {k: (np.array(v, dtype=np.float64) if k in self.inputs else v) for k, v in values.items()}
        dout = np.asarray(dout, dtype=np.float64)

        def evaluate() -> np.ndarray:
            return np.asarray(self.forward(values)[self.output], dtype=np.float64)

        grads = []
        for i, v in enumerate(self.inputs):
            estimates = central_differences(evaluate, dout, values[v], h)
            grads.append(estimates[0] if analytic is None else closer(analytic[i], *estimates))
        return grads


def central_differences(evaluate: Callable[[], np.ndarray], upstream: np.ndarray, array: np.ndarray,
                        h: float = 1e-6) -> tuple[np.ndarray, ...]:
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


# ------------------------------------------------------------------------------------ report
@dataclass
class CheckRow:
    """One comparison: a stage in isolation, two whole backwards, or one of your gradients.

    `expect="disagree"` marks a row that demonstrates a MISTAKE on purpose (e.g. the
    training-mode backward applied to an inference-mode forward): it never fails a report.
    `given=False`: a gradient your backward did not provide (nothing to compare).
    """

    section: str
    name: str
    formula: str
    max_abs_error: float
    max_rel_error: float
    agrees: bool
    expected: str
    expect: str = "agree"
    detail: str = ""
    given: bool = True
    stage: str | None = None
    local_backward: str = ""

    @property
    def passed(self) -> bool:
        """Whether this row lets the report pass (mistake demonstrations and gaps always do)."""
        return self.agrees or self.expect == "disagree" or not self.given

    @property
    def as_expected(self) -> bool:
        """Agrees when it should, disagrees when it demonstrates a mistake."""
        return self.agrees == (self.expect == "agree")

    @property
    def result(self) -> str:
        if not self.given:
            return "not given"
        if self.expect == "disagree":
            if self.agrees:
                return "agrees here (the mistake does not show on these inputs)"
            return "disagrees, as expected: a mistake, shown on purpose"
        return "ok" if self.agrees else "FAIL"

    def __bool__(self) -> bool:
        return self.passed


def compare(where: tuple[str, str, str], labels: Sequence[str], ours: Sequence[np.ndarray], reference: Sequence[np.ndarray],
            *, atol: float, rtol: float, expected: str, names: tuple[str, str] = ("ours", "reference"),
            expect: str = "agree", stage: str | None = None) -> CheckRow:
    """Compare arrays element by element: pass when |a - b| <= atol + rtol * |b| everywhere.

    max rel err is cs231n's |a - b| / max(|a| + |b|, floor) with floor = atol / rtol (near zero
    only the absolute error means anything).
    """
    section, name, formula = where
    max_abs = max_rel = 0.0
    agrees, worst, worst_excess = True, "", -1.0
    for label, a, b in zip(labels, ours, reference):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.size == 0:
            continue
        diff = np.abs(a - b)
        if not np.all(np.isfinite(diff)):
            agrees, max_abs, max_rel = False, float("inf"), float("inf")
            worst_excess = float("inf")
            worst = (f"{label}: non-finite values ({names[0]}: {np.count_nonzero(~np.isfinite(a))}, "
                     f"{names[1]}: {np.count_nonzero(~np.isfinite(b))})")
            continue
        allowed = atol + rtol * np.abs(b)
        max_abs = max(max_abs, float(diff.max()))
        max_rel = max(max_rel, float(relative_error(a, b, floor=atol / rtol).max()))
        agrees &= bool(np.all(diff <= allowed))
        excess = diff / allowed
        i = np.unravel_index(int(np.argmax(excess)), a.shape)
        if float(excess[i]) > worst_excess:
            worst_excess = float(excess[i])
            n_bad = int(np.count_nonzero(diff > allowed))
            index = tuple(int(k) for k in i)
            worst = (f"{label} {shape_str(a.shape)}: {n_bad} of {a.size} elements out of tolerance; worst at {index}: "
                     f"{names[0]} {float(a[i]):.8g}, {names[1]} {float(b[i]):.8g}, |diff| {float(diff[i]):.3g}")
    return CheckRow(section, name, formula, max_abs, max_rel, agrees, expected, expect=expect,
                    detail="" if agrees and expect == "agree" else worst, stage=stage)


_SECTION_INTRO = {
    "stages": ("Each stage's local backward vs central differences of that stage alone (seeded random upstream "
               f"gradient, h=1e-6): expected max rel err {EXPECT_STAGE} when right, {EXPECT_WRONG} when wrong."),
    "your backward": ("Your backward, gradient by gradient in the order the backward pass completes them, vs the "
                      "reference staged backward: the first FAIL is where yours first goes wrong."),
    "end to end": "End to end: the gradients of sum(dout * output) with respect to every input, every way we have.",
}


@dataclass
class DerivationReport:
    """The rows of a derivation check. Truthy exactly when every row passes.

    Rows that demonstrate a mistake on purpose (`expect="disagree"`) and gradients your backward
    did not provide never make it fail. `str()` is a readable table; notebooks show HTML.
    `report["ivar"]` is a stage's row, `report.first_failure` the first failing row.
    """

    title: str
    rows: list[CheckRow]
    notes: list[str] = field(default_factory=list)
    intros: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __iter__(self) -> Iterator[CheckRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> CheckRow:
        """The row called `name`; a stage's name finds its row whether overridden or not."""
        for row in self.rows:
            if row.name == name or (row.section == "stages" and row.stage == name):
                return row
        raise KeyError(f"{self.title}: no row {name!r}; rows: {', '.join(r.name for r in self.rows)}")

    def section(self, section: str) -> list[CheckRow]:
        return [row for row in self.rows if row.section == section]

    def failures(self) -> list[CheckRow]:
        return [row for row in self.rows if not row.passed]

    @property
    def first_failure(self) -> CheckRow | None:
        """The first failing row: among the stages, a wrong stage; in your backward, the first
        gradient (in backward order) that goes wrong; else an end-to-end comparison."""
        failures = self.failures()
        return failures[0] if failures else None

    @property
    def first_wrong_stage(self) -> str | None:
        """The stage named by the first failing stage row or gradient row (None when they all pass)."""
        for row in self.failures():
            if row.section in ("stages", "your backward") and row.stage:
                return row.stage
        return None

    def verdict(self) -> str:
        """PASSED, or FAILED with the first wrong thing and by how much."""
        first = self.first_failure
        if first is None:
            return "PASSED"
        count = len(self.failures())
        what = {"stages": f"stage '{first.stage}'",
                "your backward": f"gradient {first.name} (completed by stage '{first.stage}')" if first.stage else first.name,
                }.get(first.section, f"'{first.name}'")
        if np.isfinite(first.max_abs_error):
            size = f"max abs err {first.max_abs_error:.2e}, max rel err {first.max_rel_error:.2e}; expected {first.expected}"
        else:
            size = first.detail
        return f"FAILED ({count} row{'s' if count > 1 else ''}): first wrong: {what}: {size}"

    def _sections(self) -> list[tuple[str, list[CheckRow]]]:
        order: list[str] = []
        for row in self.rows:
            if row.section not in order:
                order.append(row.section)
        return [(s, self.section(s)) for s in order]

    def _intro(self, section: str) -> str:
        return self.intros.get(section) or _SECTION_INTRO.get(section, section)

    @staticmethod
    def _columns(section: str, rows: Sequence[CheckRow]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        errors = [(format_number(r.max_abs_error), format_number(r.max_rel_error), r.result) for r in rows]
        if section == "stages":
            header = ("stage", "forward", "local backward", "max abs err", "max rel err", "result")
            cells = [(r.name, r.formula, r.local_backward, *e) for r, e in zip(rows, errors)]
        else:
            header = ("gradient" if section == "your backward" else "comparison", "how", "expected",
                      "max abs err", "max rel err", "result")
            cells = [(r.name, r.formula, r.expected, *e) for r, e in zip(rows, errors)]
        return header, cells

    @staticmethod
    def _details(rows: Sequence[CheckRow]) -> list[tuple[str, str]]:
        return [(r.name, r.detail) for r in rows if r.detail and (not r.agrees or r.expect == "disagree")]

    def __str__(self) -> str:
        out = [f"{self.title}: {self.verdict()}"]
        for section, rows in self._sections():
            header, cells = self._columns(section, rows)
            out += ["", self._intro(section), format_table(header, cells)]
            out += [f"  {name}: {detail}" for name, detail in self._details(rows)]
        if self.notes:
            out += ["", *(f"note: {n}" for n in self.notes)]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"ok": "#1a7f37", "FAIL": "#cf222e", "not given": "#57606a"}
        verdict_colour = "#1a7f37" if self.passed else "#cf222e"
        parts = [f"<div><p><b>{e(self.title)}</b>: <span style='color:{verdict_colour}'>{e(self.verdict())}</span></p>"]
        for section, rows in self._sections():
            header, cells = self._columns(section, rows)
            parts.append(f"<p>{e(self._intro(section))}</p><table><thead><tr>")
            parts += [f"<th style='text-align:left'>{e(h)}</th>" for h in header]
            parts.append("</tr></thead><tbody>")
            for row, line in zip(rows, cells):
                tds = [f"<td><code>{e(c)}</code></td>" for c in line[:3]] + [f"<td>{e(c)}</td>" for c in line[3:5]]
                tds.append(f"<td style='color:{colour.get(row.result, '#9a6700')}'>{e(row.result)}</td>")
                parts.append("<tr>" + "".join(tds) + "</tr>")
            parts.append("</tbody></table>")
            details = self._details(rows)
            if details:
                parts.append("<ul>" + "".join(f"<li><code>{e(n)}</code>: {e(d)}</li>" for n, d in details) + "</ul>")
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in self.notes) + "</ul>")
        return "".join(parts) + "</div>"


def format_number(x: float) -> str:
    """An error in a table: `1.23e-08`, or `-` when there is none (NaN)."""
    return "-" if not np.isfinite(x) else f"{x:.2e}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns under a header and a rule of dashes."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*map(str, row)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)
