"""`python -m minigrad exercises student DIR` and `python -m minigrad exercises check NOTEBOOK...`.

`student` writes the student version of every exercise notebook (a notebook with nbgrader check
cells) under the lessons folder into DIR: solution regions replaced as `nbgrader
generate_assignment` replaces them, outputs cleared, data files copied. `check` executes notebooks
and prints, per exercise, passed / failed (with the check cell's diagnosis) / not attempted; the
exit code is 0 only when every exercise passed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..exercises import exercise_notebooks, grade_notebook, results_table, write_student_versions
from .lessons import default_lessons_dir

DESCRIPTION = __doc__.split("\n\n", 1)[1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", title="actions")
    student = actions.add_parser("student", help="write the student versions of the exercise notebooks into DIR")
    student.add_argument("dir", type=Path, metavar="DIR", help="where to write them (created if needed)")
    student.add_argument(
        "--source", type=Path, default=None, help="folder holding the instructor notebooks (default: the lessons)"
    )
    check = actions.add_parser("check", help="run notebooks and report each exercise; exit 1 unless all passed")
    check.add_argument("notebooks", type=Path, nargs="+", metavar="NOTEBOOK", help="notebooks to grade")
    check.add_argument("--width", type=int, default=100, help="widest line of the tables (default 100)")


def run(args: argparse.Namespace) -> int:
    if args.action == "student":
        return _student(args)
    if args.action == "check":
        return _check(args)
    print("usage: python -m minigrad exercises {student DIR | check NOTEBOOK...}")
    return 2


def _student(args: argparse.Namespace) -> int:
    source = (args.source or default_lessons_dir()).resolve()
    notebooks = exercise_notebooks(source)
    if not notebooks:
        print(f"no exercise notebooks (notebooks with nbgrader check cells) under {source}")
        return 2
    out = args.dir.resolve()
    if out == source or source in out.parents:
        print(f"exercises student: {out} is inside the instructor notebooks' folder {source}; pick another DIR")
        return 2
    written = write_student_versions(notebooks, source, out)
    for path in written:
        print(f"  {path}")
    print(f"wrote {len(written)} student notebook(s) into {out}; grade them with")
    print(f"  python -m minigrad exercises check {out}/**/*.ipynb")
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.width < 40:
        print("exercises check: --width must be at least 40")
        return 2
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        print(f"exercises check: no such notebook: {', '.join(missing)}")
        return 2
    try:  # grading runs a kernel: say what is missing instead of a traceback
        import nbclient  # noqa: F401
    except ImportError:
        print("exercises check needs nbclient and ipykernel: pip install nbclient ipykernel")
        return 2
    everything_passed, total, scored = True, 0.0, 0.0
    for path in args.notebooks:
        results = grade_notebook(path)
        print(f"{path}")
        if not results:
            print("  no exercises (no nbgrader check cells) in this notebook\n")
            continue
        print(results_table(results, args.width) + "\n")
        everything_passed &= all(r.passed for r in results)
        total += sum(r.points for r in results)
        scored += sum(r.points for r in results if r.passed)
    print(f"score: {scored:g}/{total:g} points; " + ("all exercises passed" if everything_passed else "not all passed"))
    return 0 if everything_passed else 1
