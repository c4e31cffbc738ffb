"""Lessons are code: every notebook runs top to bottom, is stored clean, and is shaped like a lesson."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minigrad.cli.lessons import execute_notebook

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
def test_lesson_executes(path):
    notebook = execute_notebook(path)
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


def test_cli_runs_a_lesson_and_writes_html_with_plots(tmp_path):
    with_plot = next(p for p in NOTEBOOKS if "moving" in p.name)
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "lessons", "--only", with_plot.stem, "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=LESSONS.parent,
    )
    assert result.returncode == 0, result.stderr
    html = tmp_path / (with_plot.stem + ".html")
    assert str(html) in result.stdout or html.name in result.stdout
    assert "data:image/png;base64" in html.read_text(encoding="utf-8")
