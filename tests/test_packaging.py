"""The wheel carries the lessons: installed from it, `lessons` and `lessons --copy` work in any folder.

The wheel is built without build isolation and installed with --no-deps into a fresh virtual
environment that sees this environment's packages (the `lessons` extra) through a .pth line, so
the test needs no network and nothing outside the wheel can supply minigrad itself.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # nbconvert's templates are data files of this environment, which the venv borrows
    env["JUPYTER_PATH"] = os.path.join(sys.prefix, "share", "jupyter")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh venv with only the built wheel installed as minigrad."""
    base = tmp_path_factory.mktemp("wheel")
    # offline when this environment has setuptools (the build backend); else pip fetches it
    no_isolation = ["--no-build-isolation"] if _has("setuptools") else []
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *no_isolation, "-w", str(base), str(ROOT)], cwd=base
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = base.glob("minigrad-*.whl")
    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    venv_site = Path(
        _run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], cwd=base).stdout.strip()
    )
    # this environment's packages (numpy, the lessons extra), after the venv's own site-packages
    (venv_site / "_outer_env.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    installed = _run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(venv_site), str(wheel)], cwd=base
    )
    assert installed.returncode == 0, installed.stderr
    where = _run([str(python), "-c", "import minigrad; print(minigrad.__file__)"], cwd=base)
    assert Path(where.stdout.strip()).is_relative_to(venv_site), where.stdout + where.stderr
    return python


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


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
def test_lessons_run_from_an_empty_folder(wheel_python: Path, tmp_path: Path) -> None:
    out = _run([str(wheel_python), "-m", "minigrad", "lessons", "--only", LESSONS[0].stem], cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    html = tmp_path / "lessons-html" / f"{LESSONS[0].stem}.html"
    assert html.is_file() and str(html.parent) in out.stdout, out.stdout


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
