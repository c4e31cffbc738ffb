"""The wheel carries the lessons: installed from it, `lessons` and `lessons --copy` work in any folder.

The wheel, its venv and the one run of every lesson are tests/lessons_run.py's session fixtures,
shared with the lesson and browser tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lessons_run import LESSONS, LessonsRun
from lessons_run import run as _run


def test_the_wheel_carries_every_lesson(wheel_python: Path) -> None:
    listed = _run(
        [
            str(wheel_python),
            "-c",
            "from minigrad.cli.lessons import find_lessons, default_lessons_dir as d; "
            "print(d()); print('\\n'.join(p.name for p in find_lessons(d())))",
        ],
        cwd=wheel_python.parents[2],
    )
    lines = listed.stdout.split()
    assert lines[0].endswith("_lessons"), listed.stdout + listed.stderr
    assert lines[1:] == [p.name for p in LESSONS]


def test_version_from_the_wheel(wheel_python: Path, tmp_path: Path) -> None:
    out = _run([str(wheel_python), "-m", "minigrad", "--version"], cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "minigrad 0.2.0", out.stdout + out.stderr


@pytest.mark.lessons
def test_lessons_run_from_an_empty_folder(lessons_run: LessonsRun) -> None:
    out = lessons_run.result
    assert out.returncode == 0, out.stdout + out.stderr
    written = sorted(p.name for p in lessons_run.html.glob("*.html"))
    assert written == sorted([f"{p.stem}.html" for p in LESSONS] + ["index.html"])
    assert str(lessons_run.html) in out.stdout and "index.html" in out.stdout, out.stdout
    index = (lessons_run.html / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<li><a href="([^"]+)"', index) == [f"{p.stem}.html" for p in LESSONS]


@pytest.mark.lessons
def test_copied_lessons_execute_from_their_new_folder(wheel_python: Path, tmp_path: Path) -> None:
    out = _run([str(wheel_python), "-m", "minigrad", "lessons", "--copy", "course"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "jupyter lab course" in out.stdout
    copies = sorted((tmp_path / "course").glob("*.ipynb"))
    assert [p.name for p in copies] == [p.name for p in LESSONS]
    # lesson 03 reads the recorded framework numbers: from the package now, not from ../tests
    uses_reference = next(p for p in copies if p.name.startswith("03_"))
    ran = _run(
        [str(wheel_python), "-m", "minigrad", "lessons", "--dir", "course", "--only", "03_", "--output", "out"],
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert (tmp_path / "out" / f"{uses_reference.stem}.html").is_file()


def test_missing_lessons_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from minigrad.cli.main import main

    assert main(["lessons", "--dir", str(tmp_path)]) == 2
    assert "no notebooks found" in capsys.readouterr().err
