"""One report type for every gradient check: `CheckReport`, a title and sections of `CheckRow`s.

`gradcheck`'s report, a derivation's stage-by-stage check and seed 004's claims are all
`CheckReport`s: truthy exactly when every section passes, `str()` a text table per section,
`_repr_html_()` the same as HTML for notebooks. A `Section` is a list of rows with what it checks
(`intro`), which columns it shows and how its rows' results read; subclasses change only that.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np

from ..tables import shape_str, text_table, wrap_line
from .compare import CheckRow, format_number

#: The columns a section can show: header -> cell of a row (`section.result(row)` for "result").
COLUMNS: dict[str, Callable[[CheckRow], str]] = {
    "stage": lambda r: r.name,
    "gradient": lambda r: r.name,
    "comparison": lambda r: r.name,
    "checked": lambda r: r.name,
    "forward": lambda r: r.formula,
    "how": lambda r: r.formula,
    "local backward": lambda r: r.local_backward,
    "expected": lambda r: r.expected,
    "max abs err": lambda r: format_number(r.max_abs_error),
    "max rel err": lambda r: format_number(r.max_rel_error),
    "shape": lambda r: shape_str(r.shape),
    "worst index": lambda r: str(r.worst_index),
    "analytic": lambda r: f"{float(r.analytic[r.worst_index]):.6g}" if r.analytic.size else "-",
    "numeric": lambda r: f"{float(r.numeric[r.worst_index]):.6g}" if r.analytic.size else "-",
}
ERRORS = ("max abs err", "max rel err", "result")
#: The columns of a derivation's sections: the stages, your backward, the other comparisons.
STAGE_COLUMNS = ("stage", "forward", "local backward", *ERRORS)
GRADIENT_COLUMNS = ("gradient", "how", "expected", *ERRORS)
COMPARISON_COLUMNS = ("comparison", "how", "expected", *ERRORS)

_RESULT_COLOUR = {"ok": "#1a7f37", "FAIL": "#cf222e", "not given": "#57606a"}


class Section(list[CheckRow]):
    """The rows of one part of a report (a list), with what they check and how they are shown.

    `strict=True`: a row that demonstrates a mistake (`expect="disagree"`) must really disagree
    for the section to pass (a claim); otherwise such rows never fail it.
    """

    def __init__(
        self,
        name: str,
        rows: Iterable[CheckRow] = (),
        *,
        intro: str = "",
        columns: Sequence[str] = COMPARISON_COLUMNS,
        strict: bool = False,
    ) -> None:
        super().__init__(rows)
        self.name, self.intro, self.columns, self.strict = name, intro, tuple(columns), strict

    def __repr__(self) -> str:
        return f"Section({self.name!r}, {len(self)} rows, passed={self.passed})"

    def row_ok(self, row: CheckRow) -> bool:
        return row.as_expected if self.strict else row.passed

    @property
    def passed(self) -> bool:
        return all(self.row_ok(r) for r in self)

    def failures(self) -> list[CheckRow]:
        return [r for r in self if not self.row_ok(r)]

    def result(self, row: CheckRow) -> str:
        """The text of the "result" column for `row`."""
        return row.result

    def describe(self, row: CheckRow) -> str:
        """What went wrong, for the report's verdict."""
        return f"'{row.name}'"

    # ---------------------------------------------------------------------------- rendering
    def heading(self) -> list[str]:
        """The lines above the table."""
        return [self.intro or self.name]

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        cells = [tuple(self.result(r) if c == "result" else COLUMNS[c](r) for c in self.columns) for r in self]
        return self.columns, cells

    def details(self) -> list[str]:
        """Lines under the table: where each failing (or mistake-demonstrating) row goes wrong."""
        return [f"  {r.name}: {r.detail}" for r in self if r.detail and (not r.agrees or r.expect == "disagree")]

    def lines(self, width: int | None = None) -> list[str]:
        """The section as text; with `width`, wrapped and its table narrowed to fit."""
        return [
            "",
            *_wrapped(self.heading(), width),
            text_table(*self.table(), width=width),
            *_wrapped(self.details(), width),
        ]

    def html(self) -> str:
        e = html.escape
        header, cells = self.table()
        parts = [f"<p>{e(line.strip())}</p>" for line in self.heading() if line.strip()]
        parts.append("<table><thead><tr>" + "".join(f"<th style='text-align:left'>{e(h)}</th>" for h in header))
        parts.append("</tr></thead><tbody>")
        for line in cells:
            tds = []
            for column, cell in zip(header, line):
                if column == "result":
                    colour = _RESULT_COLOUR.get(cell, "#cf222e" if cell.startswith("FAIL") else "#9a6700")
                    tds.append(f"<td style='color:{colour}'>{e(cell)}</td>")
                elif column in COLUMNS and column not in ERRORS[:2]:
                    tds.append(f"<td><code>{e(cell)}</code></td>")
                else:
                    tds.append(f"<td>{e(cell)}</td>")
            parts.append("<tr>" + "".join(tds) + "</tr>")
        parts.append("</tbody></table>")
        details = [d.strip() for d in self.details()]
        if details:
            parts.append("<ul>" + "".join(f"<li><code>{e(d)}</code></li>" for d in details) + "</ul>")
        return "".join(parts)


class CheckReport:
    """A titled list of sections. Truthy exactly when every section passes.

    Rows that demonstrate a mistake on purpose (`expect="disagree"`) and gradients a backward did
    not provide never make it fail (except in a strict section). `str()` is a readable table per
    section; notebooks show HTML. `report["ivar"]` is a row by name, `report.section("stages")` a
    section, `report.first_failure` the first failing row.
    `sections` may also be a flat list of rows: they are grouped by their `section`.
    """

    def __init__(
        self, title: str, sections: Iterable[Section] | Iterable[CheckRow] = (), notes: Iterable[str] = ()
    ) -> None:
        self.title = title
        self.sections: list[Section] = []
        self.notes: list[str] = list(notes)
        for item in sections:
            if isinstance(item, Section):
                self.sections.append(item)
            else:
                self.add(item)

    def new_section(self, name: str) -> Section:
        """The section a row of section `name` goes to when none was made for it."""
        return Section(name)

    def add(self, row: CheckRow) -> CheckRow:
        """Append `row` to its section (made on first use)."""
        for s in self.sections:
            if s.name == row.section:
                s.append(row)
                return row
        self.sections.append(self.new_section(row.section))
        self.sections[-1].append(row)
        return row

    def section(self, name: str) -> Section:
        """The section called `name` (an empty one if there is none)."""
        for s in self.sections:
            if s.name == name:
                return s
        return Section(name)

    @property
    def rows(self) -> list[CheckRow]:
        """Every row, section after section."""
        return [row for s in self.sections for row in s]

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.sections)

    def __bool__(self) -> bool:
        return self.passed

    def __iter__(self) -> Iterator[CheckRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, key: int) -> Section: ...
    @overload
    def __getitem__(self, key: str) -> CheckRow: ...
    def __getitem__(self, key: int | str) -> Section | CheckRow:
        """A section by position, a row by name (`matches` decides what a name finds)."""
        if isinstance(key, int):
            return self.sections[key]
        for s in self.sections:
            for row in s:
                if self.matches(s, row, key):
                    return row
        raise KeyError(f"{self.title}: no row {key!r}; rows: {', '.join(r.name for r in self.rows)}")

    def matches(self, section: Section, row: CheckRow, name: str) -> bool:
        return row.name == name

    def failures(self) -> list[CheckRow]:
        return [row for s in self.sections for row in s.failures()]

    @property
    def first_failure(self) -> CheckRow | None:
        """The first failing row, in the order of the sections."""
        failures = self.failures()
        return failures[0] if failures else None

    def verdict(self) -> str:
        """PASSED, or FAILED with the first wrong thing and by how much."""
        what, size = self._verdict_parts()
        return f"{what}: {size}" if size else what

    def _verdict_parts(self) -> tuple[str, str]:
        """(PASSED or FAILED and the first wrong thing, by how much)."""
        for s in self.sections:
            failures = s.failures()
            if not failures:
                continue
            first, count = failures[0], len(self.failures())
            if np.isfinite(first.max_abs_error):
                size = (
                    f"max abs err {first.max_abs_error:.2e}, max rel err {first.max_rel_error:.2e}; "
                    f"expected {first.expected}"
                )
            else:
                size = first.detail
            return f"FAILED ({count} row{'s' if count > 1 else ''}): first wrong: {s.describe(first)}", size
        return "PASSED", ""

    # ---------------------------------------------------------------------------- rendering
    def headline(self, width: int | None = None) -> list[str]:
        """The lines above the sections (with `width`: the first wrong thing still on the first line)."""
        line = f"{self.title}: {self.verdict()}"
        if width is None or len(line) <= width:
            return [line]
        what, size = self._verdict_parts()
        return [f"{self.title}: {what}", *([f"  {size}"] if size else [])]

    def footer(self) -> list[str]:
        """The lines below the sections."""
        return ["", *(f"note: {n}" for n in self.notes)] if self.notes else []

    def text(self, width: int | None = None) -> str:
        """The report as text (`str()`); with `width`, every line fits that many columns where
        words allow: prose wrapped, tables' widest columns narrowed and their cells wrapped."""
        out = _wrapped(self.headline(width), width)
        for s in self.sections:
            out += s.lines(width)
        return "\n".join(out + _wrapped(self.footer(), width))

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        colour = "#1a7f37" if self.passed else "#cf222e"
        first, *rest = self.headline()
        if first.startswith(f"{self.title}: "):
            first = f"<b>{e(self.title)}</b>: <span style='color:{colour}'>{e(self.verdict())}</span>"
        else:
            first = f"<span style='color:{colour}'>{e(first)}</span>"
        parts = [f"<div><p>{first}</p>"]
        if rest:
            parts.append(f"<pre>{e(chr(10).join(rest))}</pre>")
        parts += [s.html() for s in self.sections]
        footer = [line for line in self.footer() if line.strip()]
        if footer:
            parts.append("<ul>" + "".join(f"<li>{e(line.strip())}</li>" for line in footer) + "</ul>")
        return "".join(parts) + "</div>"


# ---------------------------------------------------------------------------- gradcheck's
class GradcheckSection(Section):
    """gradcheck's table: one row per checked array, its worst element and both values there."""

    def __init__(self, rows: Iterable[CheckRow] = ()) -> None:
        columns = ("checked", "shape", "max abs err", "max rel err", "worst index", "analytic", "numeric", "result")
        super().__init__("gradients", rows, columns=columns)

    def result(self, row: CheckRow) -> str:
        return "ok" if row.passed else f"FAIL ({row.n_failed}/{row.analytic.size})"

    def table(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        header, cells = super().table()
        # the errors as gradcheck always printed them (1.23e-08; inf and nan as they are)
        return header, [
            (c[0], c[1], f"{r.max_abs_error:.2e}", f"{r.max_rel_error:.2e}", *c[4:]) for r, c in zip(self, cells)
        ]

    def lines(self, width: int | None = None) -> list[str]:
        return [text_table(*self.table(), width=width), *_wrapped(self.details(), width)]

    def heading(self) -> list[str]:
        return []

    def details(self) -> list[str]:
        return [row.diagnosis() for row in self.failures()]


class GradcheckReport(CheckReport):
    """`mg.gradcheck`'s result: truthy exactly when every element of every row is within tolerance.

    `report["input 0"]` (or a parameter's name) is a row: `.analytic`, `.numeric`, `.ok`,
    `.n_failed`, `.worst_index`, `.diagnosis()`.
    """

    def __init__(self, rows: Iterable[CheckRow], atol: float, rtol: float, eps: float, notes: Iterable[str] = ()):
        super().__init__("gradcheck", [GradcheckSection(rows)], notes)
        self.atol, self.rtol, self.eps = atol, rtol, eps

    def headline(self, width: int | None = None) -> list[str]:
        verdict = "PASSED" if self.passed else "FAILED"
        return [
            f"gradcheck {verdict} (eps={self.eps:g}, "
            f"pass when |analytic - numeric| <= {self.atol:g} + {self.rtol:g}*|numeric|)"
        ]

    def footer(self) -> list[str]:
        return [f"note: {n}" for n in self.notes]

    def __getitem__(self, key: Any) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            raise KeyError(f"gradcheck report has no row {key!r}; rows: {[r.name for r in self.rows]}") from None


def _wrapped(lines: Iterable[str], width: int | None) -> list[str]:
    return [piece for line in lines for piece in wrap_line(line, width)]
