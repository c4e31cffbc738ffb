"""Exercise notebooks a teacher hands out: well-formed nbgrader markers, student versions equal to
nbgrader's, and grading that says passed / failed (why) / not attempted per exercise."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import run_minigrad

import minigrad as mg
from minigrad.exercises import ExerciseFailed, check_gradients, check_op, exercise_notebooks, student_version
from minigrad.exercises.grading import FAILED, NOT_ATTEMPTED, PASSED, grade_notebook, results_table
from minigrad.exercises.notebooks import (
    BEGIN,
    END,
    is_solution,
    read_notebook,
    replace_regions,
    source_of,
    validate_markers,
    write_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
NOTEBOOKS = exercise_notebooks(LESSONS)
IDS = [str(p.relative_to(LESSONS)) for p in NOTEBOOKS]


def test_there_are_exercises_beyond_batchnorm() -> None:
    names = " ".join(IDS)
    for needed in ("exercises/01_op_backwards", "exercises/02_layernorm_stages", "exercises/03_batchnorm_stages"):
        assert needed in names, IDS
    ids = [
        c["metadata"]["nbgrader"]["grade_id"]
        for p in NOTEBOOKS
        for c in read_notebook(p)["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade")
    ]
    for needed in ("sigmoid_check", "softmax_ce_check", "layernorm_stages_check", "batchnorm_local_check"):
        assert needed in ids


# ------------------------------------------------------------------ markers, without nbgrader
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markers_are_well_formed_and_every_region_is_replaced(path: Path) -> None:
    notebook = read_notebook(path)
    assert validate_markers(notebook, path.name) == []
    assert not any(c.get("outputs") for c in notebook["cells"]), "store exercise notebooks without outputs"
    student = student_version(notebook, path.name)
    assert len(student["cells"]) == len(notebook["cells"])
    regions = 0
    for mine, theirs in zip(notebook["cells"], student["cells"]):
        before, after = source_of(mine), source_of(theirs)
        regions += before.count(BEGIN)
        assert BEGIN not in after and END not in after
        if is_solution(mine):
            stub = "raise NotImplementedError()" if mine["cell_type"] == "code" else "YOUR ANSWER HERE"
            assert after.count(stub) == max(1, before.count(BEGIN)), after
        else:  # everything else, check cells included, is handed out unchanged
            assert after == before
        if theirs["cell_type"] == "code":
            assert theirs["outputs"] == [] and theirs["execution_count"] is None
    assert regions > 0
    assert notebook == read_notebook(path)  # the instructor version is left alone


def test_region_replacement_keeps_indentation_and_refuses_bad_markers() -> None:
    text = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\nprint(1)"
    out, n = replace_regions(text, "# YOUR CODE HERE\nraise NotImplementedError()")
    assert n == 1 and out == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(1)"
    for bad, why in (
        ("### BEGIN SOLUTION\nx\n", "without an"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "nested"),
        ("x\n### END SOLUTION", "without a"),
    ):
        with pytest.raises(ValueError, match=why):
            replace_regions(bad, "stub")
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": "### BEGIN SOLUTION\n### END SOLUTION"}]}
    problems = validate_markers(notebook)
    assert any("not marked as a solution cell" in p for p in problems) and any("no check cell" in p for p in problems)
    with pytest.raises(ValueError, match="not a well-formed exercise notebook"):
        student_version(notebook)


# ------------------------------------------------------------------ the same as nbgrader's
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_version_equals_what_nbgrader_produces(path: Path) -> None:
    pytest.importorskip("nbgrader")
    nbformat = pytest.importorskip("nbformat")
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    theirs = nbformat.read(path, as_version=4)
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearOutput()):
        theirs, resources = preprocessor.preprocess(theirs, resources)
    mine = nbformat.reads(json.dumps(student_version(read_notebook(path))), as_version=4)
    assert mine == theirs


# ------------------------------------------------------------------ feedback, in process
class Square(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return 2 * ctx.x * grad


def _square_with(backward):
    return type("Square", (Square,), {"backward": staticmethod(backward)})


X = np.random.default_rng(0).normal(size=(3, 2))


def test_check_op_passes_a_right_backward(capsys) -> None:
    assert check_op(Square, [X])
    assert "backward correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "backward, message",
    [
        (lambda ctx, grad: None, "returned None: did you forget the `return`?"),
        (lambda ctx, grad: (2 * ctx.x * grad).sum(axis=0), "has shape (2,), but the input has shape (3, 2)"),
        (lambda ctx, grad: -2 * ctx.x * grad, "has the wrong sign"),
        (lambda ctx, grad: ctx.x * grad, "is 0.5 times the right gradient everywhere"),
        (lambda ctx, grad: ctx.x * ctx.x * grad, "elements are wrong; worst at"),
    ],
    ids=["none", "shape", "sign", "factor", "other"],
)
def test_check_op_names_the_mistake(backward, message: str) -> None:
    with pytest.raises(ExerciseFailed) as caught:
        check_op(_square_with(backward), [X], verbose=False)
    assert message in str(caught.value) and "Square.backward" in str(caught.value)


def test_check_op_leaves_the_stub_as_not_implemented() -> None:
    def stub(ctx, grad):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_op(_square_with(stub), [X])


def test_check_gradients_names_the_first_wrong_one(capsys) -> None:
    with pytest.raises(ExerciseFailed, match="mine: db has the wrong sign"):
        check_gradients((np.ones(2), -np.ones(3)), [np.ones(2), np.ones(3)], ("da", "db"), what="mine")
    with pytest.raises(ExerciseFailed, match="returned None for input 1"):
        check_gradients((np.ones(2), None), [np.ones(2), np.ones(3)], ("da", "db"), what="mine")
    check_gradients((np.ones(2),), [np.ones(2)], ("da",), what="mine")
    assert "mine: da correct" in capsys.readouterr().out


def test_results_table_fits_100_columns() -> None:
    from minigrad.exercises import ExerciseResult

    results = [
        ExerciseResult("nb", "a_long_exercise_name_check", 3, FAILED, "LayerNorm: first wrong: stage 'xmu' " * 8),
        ExerciseResult("nb", "b", 1, PASSED),
        ExerciseResult("nb", "c", 2, NOT_ATTEMPTED, "stub"),
    ]
    table = results_table(results, 100)
    assert max(map(len, table.splitlines())) <= 100 and "0/3" in table and "1/1" in table
    assert max(map(len, results_table(results, 80).splitlines())) <= 80


# ------------------------------------------------------------------ grading, with kernels
@pytest.mark.lessons
def test_instructor_notebooks_all_pass() -> None:
    # lessons/*.ipynb run in test_lessons, where a failing check cell is an error: not run twice
    handouts = [p for p in NOTEBOOKS if p.parent != LESSONS]
    results = [r for path in handouts for r in grade_notebook(path)]
    assert len(results) >= 7 and all(r.status == PASSED for r in results), results


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_minigrad(*args, timeout=600, cwd=ROOT)


@pytest.mark.lessons
def test_student_versions_are_all_not_attempted(tmp_path: Path) -> None:
    made = _cli("exercises", "student", str(tmp_path / "handout"))
    assert made.returncode == 0, made.stdout + made.stderr
    written = sorted((tmp_path / "handout").rglob("*.ipynb"))
    assert [str(p.relative_to(tmp_path / "handout")) for p in written] == IDS
    checked = _cli("exercises", "check", *map(str, written))
    assert checked.returncode == 1, checked.stdout
    lines = [line for line in checked.stdout.splitlines() if line.split() and line.split()[0].endswith("_check")]
    assert len(lines) >= 8 and all("not attempted" in line for line in lines), checked.stdout
    assert "score: 0/" in checked.stdout
    assert max(len(line) for line in checked.stdout.splitlines() if ".ipynb" not in line) <= 100


def _planted(path: Path, tmp_path: Path, bugs: dict[str, str]) -> Path:
    notebook = read_notebook(path)
    text = json.dumps(notebook)
    for right, wrong in bugs.items():
        assert json.dumps(right)[1:-1] in text, right
        text = text.replace(json.dumps(right)[1:-1], json.dumps(wrong)[1:-1])
    target = tmp_path / path.name
    write_notebook(json.loads(text), target)
    return target


@pytest.mark.lessons
def test_planted_bugs_fail_exactly_their_exercise_with_the_reason(tmp_path: Path) -> None:
    layernorm = _planted(
        LESSONS / "exercises" / "02_layernorm_stages.ipynb",
        tmp_path,
        {"return dxmu, -dxmu.sum(axis=1, keepdims=True)": "return dxmu, dxmu.sum(axis=1, keepdims=True)"},
    )
    ops = _planted(
        LESSONS / "exercises" / "01_op_backwards.ipynb",
        tmp_path,
        {
            "        return grad * ctx.y * (1.0 - ctx.y)": "        grad * ctx.y * (1.0 - ctx.y)",
            "return grad * dlogits / n": "return (grad * dlogits / n).sum(axis=0)",
        },
    )
    checked = _cli("exercises", "check", str(layernorm), str(ops))
    assert checked.returncode == 1
    out = checked.stdout
    assert max(len(line) for line in out.splitlines() if ".ipynb" not in line) <= 100, out
    row = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0].endswith("_check")}
    assert "failed" in row["layernorm_stages_check"] and "stage 'xmu'" in row["layernorm_stages_check"], out
    assert "passed" in row["layernorm_closed_form_check"], out
    assert "wrong sign" in out
    assert "failed" in row["sigmoid_check"] and "forget the" in out, out
    assert "failed" in row["softmax_ce_check"] and "has shape (4,), but the input has shape (6, 4)" in " ".join(
        out.split()
    ), out


def test_teachers_guide_examples_run_and_the_readme_links_it(capsys) -> None:
    guide = (LESSONS / "TEACHERS.md").read_text(encoding="utf-8")
    import re

    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    namespace: dict = {}
    for block in blocks:
        if "raise NotImplementedError()" in block:  # the stub, shown, not run
            continue
        exec(compile(block, "TEACHERS.md", "exec"), namespace)
    assert "gradcheck PASSED" in capsys.readouterr().out
    assert namespace["loss"].item() > 0 and namespace["logits"].grad.shape == (6, 4)
    assert "(lessons/TEACHERS.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_cli_usage_errors_exit_2(tmp_path: Path, capsys) -> None:
    from minigrad.cli.main import main

    assert main(["exercises"]) == 2
    assert main(["exercises", "check", str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().out
    assert main(["exercises", "check", "--width", "10", str(NOTEBOOKS[0])]) == 2
    assert main(["exercises", "student", str(LESSONS / "inside")]) == 2  # never into the instructor folder
    assert not (LESSONS / "inside").exists()
    assert main(["exercises", "student", str(tmp_path / "out"), "--source", str(tmp_path)]) == 2
    assert "no exercise notebooks" in capsys.readouterr().out


def test_classify_reads_stubs_errors_and_passes_from_an_executed_notebook() -> None:
    from minigrad.exercises.grading import classify

    def cell(kind: str, grade_id: str, error: tuple[str, str] | None) -> dict:
        meta = {"solution": kind == "solution", "grade": kind == "check", "grade_id": grade_id, "points": 1}
        outputs = [{"output_type": "error", "ename": error[0], "evalue": error[1], "traceback": []}] if error else []
        return {"cell_type": "code", "metadata": {"nbgrader": meta}, "source": "", "outputs": outputs}

    executed = {
        "cells": [
            cell("solution", "a", ("NotImplementedError", "")),  # a top-level stub: the check fails by NameError
            cell("check", "a_check", ("NameError", "name 'f' is not defined")),
            cell("solution", "b", None),
            cell("check", "b_check", ("ExerciseFailed", "Op.backward has the wrong sign")),
            cell("solution", "c", None),
            cell("check", "c_check", ("ZeroDivisionError", "division by zero")),
            cell("check", "d_check", None),
        ]
    }
    results = {r.exercise: r for r in classify(executed, "nb")}
    assert results["a_check"].status == NOT_ATTEMPTED
    assert results["b_check"].status == FAILED and results["b_check"].diagnosis == "Op.backward has the wrong sign"
    assert results["c_check"].diagnosis == "ZeroDivisionError: division by zero"
    assert results["d_check"].status == PASSED
