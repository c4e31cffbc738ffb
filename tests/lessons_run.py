"""One run of every lesson for the whole test session, from the built wheel, as a student gets them.

Executing the lessons is most of the suite's time, so it happens once: `lessons_run` builds the
wheel, installs it into a fresh virtual environment (`wheel_python`) and runs
`python -m minigrad lessons --keep-going` there from an empty folder. The lesson tests, the
packaging tests and the browser tests all read that run's output and HTML.

The wheel is built without build isolation and installed with --no-deps into a venv that sees this
environment's packages (the `lessons` extra) through a .pth line, so no network is needed and
nothing outside the wheel can supply minigrad itself. Registered in conftest.py (pytest_plugins).
"""

from __future__ import annotations

import importlib.util
import os
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))


def run(cmd: list[str], cwd: Path, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    """Run `cmd` with this checkout kept off the path, so only the installed wheel provides minigrad."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # nbconvert's templates are data files of this environment, which the venv borrows
    env["JUPYTER_PATH"] = os.path.join(sys.prefix, "share", "jupyter")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def wheel_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh venv with only the built wheel installed as minigrad."""
    base = tmp_path_factory.mktemp("wheel")
    # offline when this environment has setuptools (the build backend); else pip fetches it
    no_isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    built = run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", *no_isolation, "-w", str(base), str(ROOT)], cwd=base
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = base.glob("minigrad-*.whl")
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    venv_site = Path(run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], cwd=base).stdout.strip())
    # this environment's packages (numpy, the lessons extra), after the venv's own site-packages
    (venv_site / "_outer_env.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    installed = run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(venv_site), str(wheel)], cwd=base
    )
    assert installed.returncode == 0, installed.stderr
    where = run([str(python), "-c", "import minigrad; print(minigrad.__file__)"], cwd=base)
    assert Path(where.stdout.strip()).is_relative_to(venv_site), where.stdout + where.stderr
    return python


@dataclass(frozen=True)
class LessonsRun:
    """What `python -m minigrad lessons` did, run once from an empty folder with the wheel's minigrad."""

    cwd: Path  #: the empty folder it ran in
    html: Path  #: where it wrote the HTML copies (./lessons-html for the packaged lessons)
    result: subprocess.CompletedProcess[str]

    def page(self, notebook: Path) -> Path:
        """The HTML copy of the lesson `notebook` (a path in the checkout's lessons/)."""
        return self.html / f"{notebook.stem}.html"


@pytest.fixture(scope="session")
def lessons_run(wheel_python: Path, tmp_path_factory: pytest.TempPathFactory) -> LessonsRun:
    """Every lesson executed once for the session; --keep-going so one failure names only its lesson."""
    cwd = tmp_path_factory.mktemp("student")
    result = run([str(wheel_python), "-m", "minigrad", "lessons", "--keep-going"], cwd=cwd)
    return LessonsRun(cwd=cwd, html=cwd / "lessons-html", result=result)
