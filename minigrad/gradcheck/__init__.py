"""Numerical gradient checking: central differences and a report that reads like a diagnosis."""

from .check import gradcheck
from .numerical import numerical_grad
from .report import GradcheckReport, GradcheckRow, relative_error

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck", "numerical_grad", "relative_error"]
