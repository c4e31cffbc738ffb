"""The result of a gradient check: one row per checked array, readable as a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tables import text_table


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """Element-wise |a - n| / max(|a| + |n|, floor), cs231n's measure.

    For a correct float64 gradient checked with eps=1e-6 it is about 1e-7 or smaller; 1e-2 or
    larger means the gradient is wrong. `floor` keeps values near zero from dividing by nothing.
    """
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), floor)


@dataclass
class GradcheckRow:
    """The comparison for one array (an input or a parameter)."""

    label: str
    analytic: np.ndarray
    numeric: np.ndarray
    atol: float
    rtol: float
    ok: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
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
    def abs_error(self) -> np.ndarray:
        return np.abs(self.analytic - self.numeric)

    @property
    def max_abs_error(self) -> float:
        return float(self.abs_error.max()) if self.abs_error.size else 0.0

    @property
    def max_rel_error(self) -> float:
        # Near zero only the absolute error means anything: floor the scale at atol / rtol.
        rel = relative_error(self.analytic, self.numeric, floor=self.atol / self.rtol)
        return float(rel.max()) if rel.size else 0.0

    @property
    def worst_index(self) -> tuple[int, ...]:
        """The element furthest outside (or closest to the edge of) its tolerance."""
        if self.analytic.size == 0:
            return ()
        excess = self.abs_error / (self.atol + self.rtol * np.abs(self.numeric))
        return tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), self.analytic.shape))

    def diagnosis(self) -> str:
        """One sentence on the worst element."""
        if self.analytic.size == 0:
            return f"{self.label}: empty, nothing to check"
        i = self.worst_index
        a, n = float(self.analytic[i]), float(self.numeric[i])
        allowed = self.atol + self.rtol * abs(n)
        verdict = "FAILED" if not self.passed else "ok"
        hint = ""
        if not self.passed and not self.analytic.any():
            hint = " (no gradient reached it at all: a detached path, or a forward under no_grad?)"
        return (
            f"{verdict}: {self.label} {tuple(self.shape)}: {self.n_failed} of {self.analytic.size} elements "
            f"out of tolerance; worst at index {i}: analytic {a:.8g}, numeric {n:.8g}, "
            f"|diff| {abs(a - n):.3g} {'>' if abs(a - n) > allowed else '<='} atol + rtol*|numeric| = {allowed:.3g}{hint}"
        )


@dataclass
class GradcheckReport:
    """Truthy exactly when every element of every row is within tolerance."""

    rows: list[GradcheckRow]
    atol: float
    rtol: float
    eps: float

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, label: str) -> GradcheckRow:
        for row in self.rows:
            if row.label == label:
                return row
        raise KeyError(f"gradcheck report has no row {label!r}; rows: {[r.label for r in self.rows]}")

    def failures(self) -> list[GradcheckRow]:
        return [row for row in self.rows if not row.passed]

    def __str__(self) -> str:
        header = ("checked", "shape", "max abs err", "max rel err", "worst index", "analytic", "numeric", "result")
        lines = []
        for row in self.rows:
            i = row.worst_index
            a = f"{float(row.analytic[i]):.6g}" if row.analytic.size else "-"
            n = f"{float(row.numeric[i]):.6g}" if row.analytic.size else "-"
            result = "ok" if row.passed else f"FAIL ({row.n_failed}/{row.analytic.size})"
            lines.append(
                (
                    row.label,
                    str(tuple(row.shape)),
                    f"{row.max_abs_error:.2e}",
                    f"{row.max_rel_error:.2e}",
                    str(i),
                    a,
                    n,
                    result,
                )
            )
        verdict = "PASSED" if self.passed else "FAILED"
        out = [
            f"gradcheck {verdict} (eps={self.eps:g}, pass when |analytic - numeric| <= {self.atol:g} + {self.rtol:g}*|numeric|)",
            text_table(header, lines),
        ]
        out += [row.diagnosis() for row in self.failures()]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(str(self))}</pre>"
