"""Gradient-check exercises a teacher hands out and grades.

- `notebooks`: nbgrader's solution markers and cell metadata, read and replaced without nbgrader
  (`student_version` gives what `nbgrader generate_assignment` gives for the solution regions);
- `feedback`: what check cells call, so a student reads what to fix (a forgotten `return`, a
  wrong shape, a flipped sign, the first wrong stage);
- `grading`: run notebooks and say, per exercise, passed / failed (why) / not attempted.
"""

from __future__ import annotations

from .feedback import ExerciseFailed, check_derivation, check_gradients, check_op
from .grading import ExerciseResult, grade_notebook, results_table
from .notebooks import exercise_notebooks, student_version, validate_markers, write_student_versions

__all__ = [
    "ExerciseFailed",
    "ExerciseResult",
    "check_derivation",
    "check_gradients",
    "check_op",
    "exercise_notebooks",
    "grade_notebook",
    "results_table",
    "student_version",
    "validate_markers",
    "write_student_versions",
]
