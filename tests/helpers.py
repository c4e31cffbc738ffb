"""Helpers more than one test module needs (fixtures are in conftest.py, strategies in strategies.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

import minigrad

# The command line as a student types it, run by this interpreter.
MINIGRAD = [sys.executable, "-m", "minigrad"]


class Tolerance(TypedDict):
    """`np.testing.assert_allclose(actual, expected, **tolerance)`, typed so mypy checks the call."""

    rtol: float
    atol: float


def child_env() -> dict[str, str]:
    """This environment, with PYTHONPATH led by the folder this process imported minigrad from,
    so a child process imports the same minigrad whether it is installed or run from a checkout."""
    paths = [str(Path(minigrad.__file__).parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_minigrad(*args: str, timeout: float = 120, **options: Any) -> subprocess.CompletedProcess[str]:
    """`python -m minigrad ARGS` in a child process, its output captured as text."""
    return subprocess.run(
        [*MINIGRAD, *args], capture_output=True, text=True, timeout=timeout, env=child_env(), **options
    )


def grad_of(t: minigrad.Tensor) -> np.ndarray:
    """`t.grad`, which a test expects backward to have filled (a clear failure if it did not)."""
    assert t.grad is not None, f"backward left no gradient on {t!r}"
    return t.grad
