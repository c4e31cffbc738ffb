"""Comparing two gradients, the one measure every check in minigrad uses.

- `Comparison`: one pair of arrays, element by element (`|a - b| <= atol + rtol * |b|`), with the
  worst element named;
- `CheckRow`: one verdict of a report (a stage in isolation, a gradcheck input, two whole
  backwards, a claim's evidence), made from comparisons by `compare` or from an error;
- `relative_error`: cs231n's measure, and the `EXPECT_*` ranges printed next to the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..tables import shape_str

#: Expected error ranges (cs231n style), written next to the comparisons that use them.
EXPECT_STAGE = "~1e-8 or below"  # a right local backward vs central differences, h=1e-6
EXPECT_EXACT = "~1e-12 or below"  # two analytic gradients that differ only by rounding
EXPECT_NUMERIC = "~1e-7 or below"  # a whole layer vs central differences (passes up to gradcheck's tolerance)
EXPECT_WRONG = "1e-2 or above"  # what a wrong gradient looks like


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """Element-wise |a - n| / max(|a| + |n|, floor), cs231n's measure.

    For a correct float64 gradient checked with eps=1e-6 it is about 1e-7 or smaller; 1e-2 or
    larger means the gradient is wrong. `floor` keeps values near zero from dividing by nothing.
    """
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)


def relative_floor(atol: float, rtol: float) -> float:
    """Near zero only the absolute error means anything: the relative error's floor is atol / rtol."""
    if rtol <= 0:
        return float("inf")  # no relative tolerance: the relative error is not what decides
    return max(atol / rtol, float(np.finfo(np.float64).tiny))


def format_number(x: float) -> str:
    """An error in a table: `1.23e-08`, or `-` when there is none (NaN, infinity)."""
    return "-" if not np.isfinite(x) else f"{x:.2e}"


@dataclass
class Comparison:
    """One array against its reference, element by element: passes where
    |analytic - numeric| <= atol + rtol * |numeric|. `names` say what the two arrays are."""

    label: str
    analytic: np.ndarray
    numeric: np.ndarray
    atol: float
    rtol: float
    names: tuple[str, str] = ("analytic", "numeric")
    ok: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.analytic = np.asarray(self.analytic, dtype=np.float64)
        self.numeric = np.asarray(self.numeric, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # NaN compares False: a failing element, said below
            self.ok = np.abs(self.analytic - self.numeric) <= self.atol + self.rtol * np.abs(self.numeric)

    @property
    def passed(self) -> bool:
        return bool(self.ok.all())

    @property
    def shape(self) -> tuple[int, ...]:
        return self.analytic.shape

    @property
    def n_failed(self) -> int:
        return int((~self.ok).sum())

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.analytic - self.numeric)))

    @property
    def abs_error(self) -> np.ndarray:
        return np.abs(self.analytic - self.numeric)

    @property
    def max_abs_error(self) -> float:
        return float(self.abs_error.max()) if self.abs_error.size else 0.0

    @property
    def max_rel_error(self) -> float:
        rel = relative_error(self.analytic, self.numeric, floor=relative_floor(self.atol, self.rtol))
        return float(rel.max()) if rel.size else 0.0

    def _excess(self) -> np.ndarray:
        """|diff| / allowed: above 1 is out of tolerance."""
        allowed = self.atol + self.rtol * np.abs(self.numeric)
        with np.errstate(divide="ignore", invalid="ignore"):  # atol = rtol = 0: exact equality asked
            return np.where(allowed > 0, self.abs_error / np.where(allowed > 0, allowed, 1.0), np.inf * self.abs_error)

    @property
    def worst_index(self) -> tuple[int, ...]:
        """The element furthest outside (or closest to the edge of) its tolerance."""
        if self.analytic.size == 0:
            return ()
        excess = np.nan_to_num(self._excess(), nan=np.inf)
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), self.analytic.shape))

    @property
    def worst_excess(self) -> float:
        return float("inf") if not self.finite else float(self._excess()[self.worst_index])

    def _worst_values(self, at: str) -> str:
        i = self.worst_index
        a, n = float(self.analytic[i]), float(self.numeric[i])
        return (
            f"{self.n_failed} of {self.analytic.size} elements out of tolerance; worst at {at}{i}: "
            f"{self.names[0]} {a:.8g}, {self.names[1]} {n:.8g}, |diff| {abs(a - n):.3g}"
        )

    def worst(self) -> str:
        """Where it goes wrong: how many elements, the worst one with both values (a report's detail)."""
        if not self.finite:
            return (
                f"{self.label}: non-finite values ({self.names[0]}: {np.count_nonzero(~np.isfinite(self.analytic))}, "
                f"{self.names[1]}: {np.count_nonzero(~np.isfinite(self.numeric))})"
            )
        return f"{self.label} {shape_str(self.shape)}: {self._worst_values('')}"

    def diagnosis(self, hint: str = "") -> str:
        """One sentence on the worst element, with the tolerance it is held to (gradcheck's);
        `hint` (in parentheses at the end) says what probably went wrong."""
        if self.analytic.size == 0:
            return f"{self.label}: empty, nothing to check"
        i = self.worst_index
        a, n = float(self.analytic[i]), float(self.numeric[i])
        allowed = self.atol + self.rtol * abs(n)
        verdict = "FAILED" if not self.passed else "ok"
        if not hint and not self.passed and not self.analytic.any():
            hint = "no gradient reached it at all: a detached path, or a forward under no_grad?"
        return (
            f"{verdict}: {self.label} {shape_str(self.shape)}: {self._worst_values('index ')} "
            f"{'>' if abs(a - n) > allowed else '<='} atol + rtol*|numeric| = {allowed:.3g}"
            + (f" ({hint})" if hint else "")
        )


@dataclass
class CheckRow:
    """One verdict of a report: a stage in isolation, a gradcheck input, two whole backwards.

    `expect="disagree"` marks a row that demonstrates a MISTAKE on purpose (e.g. the
    training-mode backward applied to an inference-mode forward): it never fails a report.
    `given=False`: a gradient your backward did not provide (nothing to compare).
    `comparisons`: the arrays behind the numbers (empty when the row records an error).
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
    comparisons: list[Comparison] = field(default_factory=list, repr=False)

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

    # A row of one comparison (a gradcheck input) reads as that comparison.
    @property
    def comparison(self) -> Comparison:
        if len(self.comparisons) != 1:
            raise AttributeError(f"row {self.name!r} compares {len(self.comparisons)} arrays; see .comparisons")
        return self.comparisons[0]

    @property
    def label(self) -> str:
        return self.name

    @property
    def analytic(self) -> np.ndarray:
        return self.comparison.analytic

    @property
    def numeric(self) -> np.ndarray:
        return self.comparison.numeric

    @property
    def ok(self) -> np.ndarray:
        return self.comparison.ok

    @property
    def shape(self) -> tuple[int, ...]:
        return self.comparison.shape

    @property
    def n_failed(self) -> int:
        return self.comparison.n_failed

    @property
    def worst_index(self) -> tuple[int, ...]:
        return self.comparison.worst_index

    def diagnosis(self) -> str:
        return self.comparison.diagnosis(self.detail)


def compare(
    where: tuple[str, str, str],
    labels: Sequence[str],
    ours: Sequence[np.ndarray],
    reference: Sequence[np.ndarray],
    *,
    atol: float,
    rtol: float,
    expected: str,
    names: tuple[str, str] = ("ours", "reference"),
    expect: str = "agree",
    stage: str | None = None,
) -> CheckRow:
    """Compare arrays element by element: pass when |a - b| <= atol + rtol * |b| everywhere.

    max rel err is cs231n's |a - b| / max(|a| + |b|, floor) with floor = atol / rtol (near zero
    only the absolute error means anything). `where` is (section, name, formula).
    """
    section, name, formula = where
    comparisons = [Comparison(lab, a, b, atol, rtol, names) for lab, a, b in zip(labels, ours, reference)]
    max_abs = max_rel = 0.0
    agrees, worst, worst_excess = True, "", -1.0
    for c in comparisons:
        if c.analytic.size == 0:
            continue
        agrees &= c.passed
        if not c.finite:
            max_abs = max_rel = worst_excess = float("inf")
            worst = c.worst()
            continue
        max_abs, max_rel = max(max_abs, c.max_abs_error), max(max_rel, c.max_rel_error)
        if c.worst_excess > worst_excess:
            worst_excess, worst = c.worst_excess, c.worst()
    return CheckRow(
        section,
        name,
        formula,
        max_abs,
        max_rel,
        agrees,
        expected,
        expect=expect,
        detail="" if agrees and expect == "agree" else worst,
        stage=stage,
        comparisons=comparisons,
    )


def error_row(
    where: tuple[str, str, str],
    error: BaseException | str,
    expected: str,
    *,
    stage: str | None = None,
    local_backward: str = "",
) -> CheckRow:
    """A failing row for code that crashed or returned something unusable (the message is the detail)."""
    detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    section, name, formula = where
    nan = float("nan")
    return CheckRow(
        section, name, formula, nan, nan, False, expected, detail=detail, stage=stage, local_backward=local_backward
    )
