"""The result of a derivation check: one `CheckRow` per comparison, gathered in a `DerivationReport`.

`compare` turns two lists of arrays into a row (element-wise tolerance, cs231n's relative error,
the worst element named); the `EXPECT_*` texts are the error ranges printed next to each row.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..gradcheck.report import relative_error
from ..tables import shape_str, text_table

#: Expected error ranges (cs231n style), written next to the comparisons that use them.
EXPECT_STAGE = "~1e-8 or below"  # a right local backward vs central differences, h=1e-6
EXPECT_EXACT = "~1e-12 or below"  # two analytic gradients that differ only by rounding
EXPECT_NUMERIC = "~1e-7 or below"  # a whole layer vs central differences (passes up to gradcheck's tolerance)
EXPECT_WRONG = "1e-2 or above"  # what a wrong gradient looks like


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
            worst = (
                f"{label}: non-finite values ({names[0]}: {np.count_nonzero(~np.isfinite(a))}, "
                f"{names[1]}: {np.count_nonzero(~np.isfinite(b))})"
            )
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
            worst = (
                f"{label} {shape_str(a.shape)}: {n_bad} of {a.size} elements out of tolerance; worst at {index}: "
                f"{names[0]} {float(a[i]):.8g}, {names[1]} {float(b[i]):.8g}, |diff| {float(diff[i]):.3g}"
            )
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
    )


_SECTION_INTRO = {
    "stages": (
        "Each stage's local backward vs central differences of that stage alone (seeded random upstream "
        f"gradient, h=1e-6): expected max rel err {EXPECT_STAGE} when right, {EXPECT_WRONG} when wrong."
    ),
    "your backward": (
        "Your backward, gradient by gradient in the order the backward pass completes them, vs the "
        "reference staged backward: the first FAIL is where yours first goes wrong."
    ),
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
        what = {
            "stages": f"stage '{first.stage}'",
            "your backward": f"gradient {first.name} (completed by stage '{first.stage}')"
            if first.stage
            else first.name,
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
            header = (
                "gradient" if section == "your backward" else "comparison",
                "how",
                "expected",
                "max abs err",
                "max rel err",
                "result",
            )
            cells = [(r.name, r.formula, r.expected, *e) for r, e in zip(rows, errors)]
        return header, cells

    @staticmethod
    def _details(rows: Sequence[CheckRow]) -> list[tuple[str, str]]:
        return [(r.name, r.detail) for r in rows if r.detail and (not r.agrees or r.expect == "disagree")]

    def __str__(self) -> str:
        out = [f"{self.title}: {self.verdict()}"]
        for section, rows in self._sections():
            header, cells = self._columns(section, rows)
            out += ["", self._intro(section), text_table(header, cells)]
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
