"""Numerical gradient checking: central differences, comparisons and one report type.

- `numerical.py`: the central-difference loop every check uses (`numerical_grad`, step sizes);
- `compare.py`: `Comparison` (two arrays, element by element) and `CheckRow` (one verdict);
- `report.py`: `CheckReport` (a title and sections of rows; text and HTML) and `GradcheckReport`;
- `check.py`: `gradcheck`, the engine's backward against central differences.

`minigrad.derivations` builds its stage-by-stage checks and seed 004's claims from these.
"""

from .check import gradcheck
from .compare import CheckRow, Comparison, compare, relative_error
from .numerical import numerical_grad
from .report import CheckReport, GradcheckReport, Section

#: The comparison of one array (what a gradcheck row is made of); the name of earlier versions.
GradcheckRow = Comparison

__all__ = [
    "CheckReport",
    "CheckRow",
    "Comparison",
    "GradcheckReport",
    "GradcheckRow",
    "Section",
    "compare",
    "gradcheck",
    "numerical_grad",
    "relative_error",
]
