"""The default floating-point dtype for tensors made from Python numbers and lists."""

from __future__ import annotations

import numpy as np

_default_dtype: np.dtype = np.dtype(np.float64)


def set_default_dtype(dtype: type | np.dtype | str) -> None:
    """Make `dtype` (float32 or float64) the dtype of tensors built from Python numbers and lists."""
    global _default_dtype
    chosen = np.dtype(dtype)
    if chosen not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {chosen}")
    _default_dtype = chosen


def get_default_dtype() -> np.dtype:
    """The dtype that Python numbers and lists take (float64 unless changed)."""
    return _default_dtype
