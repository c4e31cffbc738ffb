"""`mg.detect_anomaly()`: stop at the first op whose output or gradient holds NaN or infinity."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import numpy as np

from .mode import flags

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AnomalyError(FloatingPointError):
    """Raised inside `detect_anomaly()` at the first non-finite forward output or gradient."""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every op's forward output and backward gradients for NaN/inf inside the block.

    Ops created inside the block remember the line of user code that created them, so the
    error says where the bad value came from. Costs a stack walk per op: for debugging only.
    """
    previous = flags.detect_anomaly
    flags.detect_anomaly = True
    try:
        # NumPy would warn first (and a warnings-as-errors setup would stop there): we report instead.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            yield
    finally:
        flags.detect_anomaly = previous


def user_stacklevel() -> int:
    """The `stacklevel` that makes `warnings.warn` (called by our caller) point at user code."""
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame, level = frame.f_back, level + 1
    return level


def user_line() -> str:
    """`file:line: code` of the innermost caller outside the minigrad package."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    import linecache

    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" + (f": {code}" if code else "")


def describe_nonfinite(array: np.ndarray) -> str | None:
    """None when every element is finite, else a short count of NaNs and infinities."""
    if array.dtype.kind not in "fc" or np.isfinite(array).all():
        return None
    nans = int(np.isnan(array).sum())
    infs = int(np.isinf(array).sum())
    return f"{nans} NaN and {infs} inf of {array.size} elements"


def describe_input(position: int, tensor: Any) -> str:
    """`input 1 ('1.gamma')` for a named tensor (module parameters are named by their path),
    `input 0 (the output of 'mul')` for an op's output, else `input 2`."""
    if tensor._name is not None:
        return f"input {position} ({tensor._name!r})"
    if tensor._node is not None:
        return f"input {position} (the output of '{tensor._node.op.name}')"
    return f"input {position}"
