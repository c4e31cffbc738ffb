"""`python -m minigrad check ...` and the top-level command line (minigrad.cli.main)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from helpers import run_minigrad

import minigrad.cli
from minigrad.cli.main import main

STUDENT_CODE = textwrap.dedent("""
    import numpy as np

    def ivar_backward(divar, sqrtvar):
        return -divar / sqrtvar**2

    def ivar_backward_wrong(divar, sqrtvar):
        return -divar / sqrtvar          # forgot the square

    def backward(dout, cache):
        dx = (1.0 / dout.shape[0]) * cache["gamma"] * cache["ivar"] * (
            dout.shape[0] * dout - dout.sum(0) - cache["xhat"] * (dout * cache["xhat"]).sum(0))
        return {"dx": dx, "dgamma": (dout * cache["xhat"]).sum(0), "dbeta": dout.sum(0)}

    def backward_wrong(dout, cache):
        return {"dbeta": dout.sum(0), "dxhat": dout}   # forgot gamma
""")


@pytest.fixture
def student(tmp_path: Path) -> Path:
    path = tmp_path / "my_bn.py"
    path.write_text(STUDENT_CODE)
    return path


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "check" in out and "lessons" in out


def test_check_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--mode", "--eps", "--seed", "--student", "--override", "batchnorm", "seed004"):
        assert option in out


@pytest.mark.parametrize("mode, title", [("train", "BatchNorm, training mode"), ("eval", "BatchNorm, inference mode")])
def test_check_batchnorm_passes_in_both_modes(mode: str, title: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "batchnorm", "--mode", mode, "--eps", "1e-3"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(title) and "eps=0.001" in first and first.endswith("PASSED")
    assert ("sqrtvar = sqrt(var + eps)" in out) == (mode == "train")
    assert ("MISTAKE: train backward on eval forward" in out) == (mode == "eval")


def test_check_options_reach_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "check",
                "batchnorm",
                "--seed",
                "7",
                "--batch",
                "6",
                "--features",
                "2",
                "--mode",
                "eval",
                "--moving-mean",
                "0.5",
                "--moving-variance",
                "2",
            ]
        )
        == 0
    )
    first = capsys.readouterr().out.splitlines()[0]
    assert "x (6, 2)" in first and "seed=7" in first and "moving_mean=0.5" in first and "moving_variance=2" in first


def test_seed_changes_the_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", "batchnorm", "--seed", "1"])
    one = capsys.readouterr().out
    main(["check", "batchnorm", "--seed", "2"])
    assert capsys.readouterr().out != one


def test_a_wrong_stage_exits_1_and_names_it(student: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "batchnorm", "--override", f"ivar={student}:ivar_backward_wrong"]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert "FAILED" in first and "first wrong: stage 'ivar'" in first
    assert main(["check", "batchnorm", "--override", f"ivar={student}:ivar_backward"]) == 0


def test_student_whole_backward(student: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "batchnorm", "--student", f"{student}:backward"]) == 0
    capsys.readouterr()
    assert main(["check", "batchnorm", "--student", f"{student}:backward_wrong"]) == 1
    assert "first wrong: gradient dxhat" in capsys.readouterr().out


def test_student_module_by_import_name(student: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(student.parent))
    assert main(["check", "batchnorm", "--override", "ivar=my_bn:ivar_backward"]) == 0


def test_other_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "dense-relu-mse", "--seed", "3"]) == 0
    assert capsys.readouterr().out.startswith("Dense -> ReLU -> MSE")
    assert main(["check", "seed004"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Seed 004") and "training=False" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "layernorm"], "invalid choice"),
        (["check", "batchnorm", "--eps", "-1"], "must be positive"),
        (["check", "batchnorm", "--mode", "test"], "invalid choice"),
        (["check", "batchnorm", "--batch", "0"], "at least 1"),
        (["check", "batchnorm", "--override", "ivar"], "STAGE=MODULE:FUNC"),
        (["check", "batchnorm", "--override", "ivar=no_such_module_xyz:f"], "No module named"),
        (["check", "batchnorm", "--override", "nostage=math:sqrt"], "unknown stage"),
        (["check", "batchnorm", "--student", "math:no_such_function"], "no function"),
        (["check", "batchnorm", "--student", "missing_file.py:f"], "no such file"),
        (["check", "seed004", "--student", "math:sqrt"], "do not apply"),
        (["bogus"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_lessons_without_the_notebook_stack_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "nbclient", None)  # makes the import fail as if not installed
    assert main(["lessons"]) == 2
    assert "install the lessons extra" in capsys.readouterr().err


def test_subprocess_help_and_check_both_modes(student: Path) -> None:
    result = run_minigrad("--help")
    assert result.returncode == 0 and "check" in result.stdout and "lessons" in result.stdout
    result = run_minigrad("check", "batchnorm", "--mode", "eval", "--eps", "1e-3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("BatchNorm, inference mode") and "PASSED" in result.stdout.splitlines()[0]
    result = run_minigrad("check", "batchnorm", "--mode", "train")
    assert result.returncode == 0 and "ivar = 1 / sqrtvar" in result.stdout
    result = run_minigrad("check", "batchnorm", "--override", f"ivar={student}:ivar_backward_wrong")
    assert result.returncode == 1 and "first wrong: stage 'ivar'" in result.stdout


def test_lessons_dispatches_to_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """`run(args)`'s return value is the exit code, and lessons' options belong to lessons only."""
    monkeypatch.setattr(minigrad.cli.lessons, "run", lambda args: 7 if args.only == ["x"] else 0)
    assert main(["lessons", "--only", "x"]) == 7
    assert main(["check", "--only", "x"]) == 2
