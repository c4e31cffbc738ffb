"""A derivation check's report: `minigrad.gradcheck`'s `CheckReport` with the three sections of a
stage-by-stage check (the stages in isolation, your backward, end to end).

The rows, the comparison and the rendering are `minigrad.gradcheck`'s; this module says only how
a derivation's sections are introduced, which columns they show and how a failure is named.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..gradcheck.compare import (
    EXPECT_EXACT,
    EXPECT_NUMERIC,
    EXPECT_STAGE,
    EXPECT_WRONG,
    CheckRow,
    compare,
    error_row,
    format_number,
)
from ..gradcheck.report import COMPARISON_COLUMNS, GRADIENT_COLUMNS, STAGE_COLUMNS, CheckReport, Section

__all__ = [
    "EXPECT_EXACT",
    "EXPECT_NUMERIC",
    "EXPECT_STAGE",
    "EXPECT_WRONG",
    "CheckRow",
    "DerivationReport",
    "DerivationSection",
    "compare",
    "error_row",
    "format_number",
]

STAGES, YOURS, END_TO_END = "stages", "your backward", "end to end"

_SECTION_INTRO = {
    STAGES: (
        "Each stage's local backward vs central differences of that stage alone (seeded random upstream "
        f"gradient, h=1e-6): expected max rel err {EXPECT_STAGE} when right, {EXPECT_WRONG} when wrong."
    ),
    YOURS: (
        "Your backward, gradient by gradient in the order the backward pass completes them, vs the "
        "reference staged backward: the first FAIL is where yours first goes wrong."
    ),
    END_TO_END: "End to end: the gradients of sum(dout * output) with respect to every input, every way we have.",
}
_COLUMNS = {STAGES: STAGE_COLUMNS, YOURS: GRADIENT_COLUMNS}


class DerivationSection(Section):
    """A section of a derivation check: its intro and columns follow from its name."""

    def __init__(self, name: str, rows: Iterable[CheckRow] = ()) -> None:
        super().__init__(
            name, rows, intro=_SECTION_INTRO.get(name, name), columns=_COLUMNS.get(name, COMPARISON_COLUMNS)
        )

    def describe(self, row: CheckRow) -> str:
        if self.name == STAGES:
            return f"stage '{row.stage}'"
        if self.name == YOURS:
            return f"gradient {row.name} (completed by stage '{row.stage}')" if row.stage else row.name
        return super().describe(row)


class DerivationReport(CheckReport):
    """The rows of a derivation check, in sections. Truthy exactly when every row passes.

    Rows that demonstrate a mistake on purpose (`expect="disagree"`) and gradients your backward
    did not provide never make it fail. `str()` is a readable table; notebooks show HTML.
    `report["ivar"]` is a stage's row, `report.first_failure` the first failing row.
    """

    def new_section(self, name: str) -> Section:
        return DerivationSection(name)

    def matches(self, section: Section, row: CheckRow, name: str) -> bool:
        """A stage's name finds its row whether overridden (`ivar (yours)`) or not."""
        return row.name == name or (section.name == STAGES and row.stage == name)

    @property
    def first_failure(self) -> CheckRow | None:
        """The first failing row: among the stages, a wrong stage; in your backward, the first
        gradient (in backward order) that goes wrong; else an end-to-end comparison."""
        return super().first_failure

    @property
    def first_wrong_stage(self) -> str | None:
        """The stage named by the first failing stage row or gradient row (None when they all pass)."""
        for row in self.failures():
            if row.section in (STAGES, YOURS) and row.stage:
                return row.stage
        return None
