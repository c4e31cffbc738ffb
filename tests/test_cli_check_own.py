"""`python -m minigrad check FILE.py:NAME` (a teacher's own Derivation), numeric options that make
no sense as one-line usage errors, tables that fit 100 columns (`--wide` for the full ones), and
a closed pipe (`| head`) that ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest
from helpers import MINIGRAD

from minigrad.cli.main import main
from minigrad.derivations import batchnorm as bn
from minigrad.tables import text_table

TEACHER_CODE = textwrap.dedent('''
    import numpy as np
    from minigrad.derivations import Derivation, Stage

    class Scale(Stage):
        """u = w * x"""
        name, inputs = "u", ("x", "w")

        @staticmethod
        def forward(x, w):
            return w * x

        @staticmethod
        def backward(du, x, w):
            """dx = w * du;  dw = sum_i x_i * du_i"""
            return w * du, np.sum(x * du, axis=0)

    class Softplus(Stage):
        """s = log(1 + exp(u))"""
        name, inputs = "s", ("u",)

        @staticmethod
        def forward(u):
            return np.log1p(np.exp(u))

        @staticmethod
        def backward(ds, u):
            """du = ds * sigmoid(u)"""
            return ds / (1 + np.exp(-u))

    STAGES = (Scale, Softplus)
    VALUES = {"x": np.array([[0.5, -1.0], [2.0, 0.1]]), "w": np.array([1.5, -0.5])}
    SOFTPLUS = Derivation("w * x -> softplus", STAGES, inputs=("x", "w"), example=VALUES)
    RANDOM = Derivation(
        "random softplus", STAGES, inputs=("x", "w"),
        example=lambda rng: {"x": rng.standard_normal((3, 2)), "w": rng.standard_normal(2)},
    )
    NO_EXAMPLE = Derivation("no example", STAGES, inputs=("x", "w"))
    NOT_A_DERIVATION = 42

    def factory():
        return Derivation("from a factory", STAGES, inputs=("x", "w")), VALUES

    def plain_factory():
        return SOFTPLUS

    def crashes():
        raise RuntimeError("teacher bug")

    def wrong_softplus(ds, u):
        return ds * np.exp(u)
''')


@pytest.fixture
def teacher(tmp_path: Path) -> Path:
    path = tmp_path / "my_layer.py"
    path.write_text(TEACHER_CODE)
    return path


# ------------------------------------------------------------------------ FILE.py:NAME
@pytest.mark.parametrize(
    "name, title", [("SOFTPLUS", "w * x -> softplus"), ("factory", "from a factory"), ("plain_factory", "w * x")]
)
def test_own_derivation_is_checked_stage_by_stage(teacher: Path, name: str, title: str, capsys) -> None:
    assert main(["check", f"{teacher}:{name}"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(title) and "PASSED" in out.splitlines()[0]
    assert "s = log(1 + exp(u))" in out and "du = ds * sigmoid(u)" in out


def test_own_derivation_with_random_example_follows_the_seed(teacher: Path, capsys) -> None:
    assert main(["check", f"{teacher}:RANDOM", "--seed", "1"]) == 0
    one = capsys.readouterr().out
    assert main(["check", f"{teacher}:RANDOM", "--seed", "2"]) == 0
    assert capsys.readouterr().out != one and "seed=1" in one


def test_own_derivation_with_a_wrong_override_names_the_stage(teacher: Path, capsys) -> None:
    assert main(["check", f"{teacher}:SOFTPLUS", "--override", f"s={teacher}:wrong_softplus"]) == 1
    assert "first wrong: stage 's'" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.parametrize(
    "target, message",
    [
        ("missing.py:SOFTPLUS", "no such file: missing.py"),
        ("{teacher}:NOPE", "has no Derivation 'NOPE' (it defines: "),
        ("{teacher}:NOT_A_DERIVATION", "is a int, not a Derivation"),
        ("{teacher}:NO_EXAMPLE", "has no values to check it at"),
        ("{teacher}:crashes", "cannot use your code: RuntimeError: teacher bug"),
        ("{teacher}:", "expected FILE.py:NAME"),
    ],
)
def test_own_derivation_usage_errors(teacher: Path, target: str, message: str, capsys) -> None:
    assert main(["check", target.format(teacher=teacher)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


# ------------------------------------------------------------ numeric options that make no sense
@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--eps", "-1", "must be positive"),
        ("--eps", "0", "must be positive"),
        ("--eps", "inf", "must be a finite number"),
        ("--eps", "nan", "must be a finite number"),
        ("--eps", "abc", "not a number"),
        ("--moving-variance", "-0.5", "a variance cannot be negative"),
        ("--moving-variance", "nan", "must be a finite number"),
        ("--moving-mean", "inf", "must be a finite number"),
        ("--seed", "-1", "must be at least 0"),
        ("--batch", "0", "must be at least 1"),
    ],
)
def test_nonsense_numbers_are_one_line_usage_errors(option: str, value: str, message: str, capsys) -> None:
    assert main(["check", "batchnorm", "--mode", "eval", option, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "FAILED" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and f"argument {option}: {message}" in lines[0]
    assert lines[0].startswith("python -m minigrad check: error:")


# ----------------------------------------------------------------------------- 100 columns
WIDE_CASES = [
    ["check", "batchnorm"],
    ["check", "batchnorm", "--mode", "eval", "--eps", "1e-3", "--moving-mean", "0.5", "--moving-variance", "2"],
    ["check", "dense-relu-mse"],
    ["check", "seed004"],
]


@pytest.mark.parametrize("argv", WIDE_CASES, ids=["train", "eval", "dense", "seed004"])
def test_tables_fit_100_columns_and_wide_gives_the_full_table(argv: list[str], capsys) -> None:
    assert main(argv) == 0
    narrow = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 100, narrow
    assert main([*argv, "--wide"]) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in wide.splitlines()) > 100


def test_failing_reports_fit_too_and_keep_the_first_wrong_thing_on_line_one(teacher: Path, capsys) -> None:
    student = teacher.parent / "student.py"
    student.write_text("def ivar(divar, sqrtvar):\n    return -divar / sqrtvar\n")
    assert main(["check", "batchnorm", "--mode", "train", "--override", f"ivar={student}:ivar"]) == 1
    out = capsys.readouterr().out
    assert "first wrong: stage 'ivar'" in out.splitlines()[0]
    assert max(len(line) for line in out.splitlines()) <= 100


def test_wide_output_is_the_library_report_unchanged(capsys) -> None:
    assert main(["check", "batchnorm", "--wide"]) == 0
    out = capsys.readouterr().out
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)) * rng.uniform(0.5, 2.0, 3) + rng.uniform(-1.0, 1.0, 3)
    gamma, beta = rng.uniform(0.5, 1.5, 3) * rng.choice([-1.0, 1.0], 3), rng.standard_normal(3)
    assert out == str(bn.check_stages(x, gamma, beta, seed=0)) + "\n"


def test_text_table_wraps_cells_to_a_width() -> None:
    rows = [("a", "a long formula that does not fit in a narrow column", "1.00e-08")]
    full = text_table(("name", "formula", "error"), rows)
    assert full.splitlines()[2] == "a     a long formula that does not fit in a narrow column  1.00e-08"
    narrow = text_table(("name", "formula", "error"), rows, width=40)
    assert max(len(line) for line in narrow.splitlines()) <= 40
    assert " ".join(narrow.split()).count("narrow column") == 1 and len(narrow.splitlines()) > 3
    assert text_table(("a",), [("b",)], width=None) == text_table(("a",), [("b",)])


# ----------------------------------------------------------------------------- | head
def test_a_closed_pipe_ends_quietly() -> None:
    """`... | head -1`: the reader is gone before the report is written (its end of the pipe
    closed first, so the very first write fails): no traceback, the shell's SIGPIPE status."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [*MINIGRAD, "check", "seed004"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 141
