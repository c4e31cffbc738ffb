"""Grading: run exercise notebooks and classify every check cell.

An exercise is one nbgrader check cell (its `grade_id`). It is
- "not attempted" when its check cell, or a solution cell since the previous check cell, raised
  `NotImplementedError` (the student version's stub is still in place);
- "failed" when its check cell raised anything else (the diagnosis is the error's message);
- "passed" when its check cell ran without an error.
"""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..tables import text_table
from .notebooks import is_grade, is_solution, nbgrader_meta, read_notebook

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
#: Per-cell limit when grading; an exercise's cells run in seconds.
CELL_TIMEOUT_S = 120


@dataclass
class ExerciseResult:
    notebook: str
    exercise: str
    points: float
    status: str
    diagnosis: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def _error_of(cell: dict[str, Any]) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), output.get("evalue", "")
    return None


def classify(notebook: dict[str, Any], name: str) -> list[ExerciseResult]:
    """The results of an executed notebook (cells with their outputs), one per check cell."""
    results = []
    stub_left = False
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        error = _error_of(cell)
        if is_solution(cell) and not is_grade(cell):
            stub_left |= error is not None and error[0] == "NotImplementedError"
            continue
        if not is_grade(cell):
            continue
        meta = nbgrader_meta(cell)
        exercise, points = str(meta.get("grade_id", "?")), float(meta.get("points", 0))
        if error is None:
            results.append(ExerciseResult(name, exercise, points, PASSED))
        elif stub_left or error[0] == "NotImplementedError":
            results.append(ExerciseResult(name, exercise, points, NOT_ATTEMPTED, error[1]))
        else:
            message = error[1] if error[0] in ("ExerciseFailed", "AssertionError") else f"{error[0]}: {error[1]}"
            results.append(ExerciseResult(name, exercise, points, FAILED, message.strip() or error[0]))
        stub_left = False
    return results


def execute(path: Path, timeout: int = CELL_TIMEOUT_S) -> dict[str, Any]:
    """Run the notebook at `path` in a fresh kernel, every cell even after errors, in its folder."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up log is not the student's
    return notebook


def grade_notebook(path: Path, timeout: int = CELL_TIMEOUT_S) -> list[ExerciseResult]:
    """Execute `path` and classify its check cells (a notebook without check cells gives none)."""
    if not any(is_grade(c) for c in read_notebook(path).get("cells", [])):
        return []
    return classify(execute(path, timeout), path.name)


def results_table(results: list[ExerciseResult], width: int = 100) -> str:
    """One table for one notebook's results, no line longer than `width` (diagnoses wrap)."""
    header = ("exercise", "points", "result", "diagnosis")
    fixed = max([len(header[0])] + [len(r.exercise) for r in results]) + 6 + 13 + 3 * 2
    room = max(20, width - fixed)
    rows = []
    for r in results:
        score = f"{r.points if r.passed else 0:g}/{r.points:g}"
        text = " ".join(r.diagnosis.split()) if r.status == FAILED else ""
        lines = textwrap.wrap(text, room) or [""]
        rows.append((r.exercise, score, r.status, lines[0]))
        rows += [("", "", "", more) for more in lines[1:]]
    return text_table(header, rows)
