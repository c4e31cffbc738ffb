"""Lessons are code: every notebook runs top to bottom, is stored clean, and is shaped like a lesson."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lessons_run import LessonsRun

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def test_there_are_at_least_seven_lessons():
    assert len(NOTEBOOKS) >= 7, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; store the notebook clean"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_opens_with_goals_and_ends_with_a_summary(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first, last = "".join(cells[0]["source"]), "".join(cells[-1]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.lstrip().startswith("# "), f"{path.name}: no title cell"
    assert "able to" in first.lower() or "you will" in first.lower(), (
        f"{path.name}: the first cell should say what the learner will be able to do"
    )
    assert cells[-1]["cell_type"] == "markdown" and "summary" in last.lower(), (
        f"{path.name}: the last cell should be a summary"
    )


@pytest.mark.lessons
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_executes(path: Path, lessons_run: LessonsRun) -> None:
    # the session's one run (tests/lessons_run.py) stops no lesson early: it runs with --keep-going
    out = lessons_run.result
    failed = [line for line in out.stderr.splitlines() if line.startswith(f"FAILED  {path.name}")]
    assert not failed, "\n".join(failed)
    assert f"ok      {path.name}" in out.stdout and lessons_run.page(path).is_file(), out.stdout + out.stderr[-3000:]


@pytest.mark.lessons
def test_cli_writes_html_with_plots_and_says_where(lessons_run: LessonsRun) -> None:
    with_plot = next(p for p in NOTEBOOKS if "moving" in p.name)
    html = lessons_run.page(with_plot)
    assert str(html) in lessons_run.result.stdout
    assert "data:image/png;base64" in html.read_text(encoding="utf-8")
