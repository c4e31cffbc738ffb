"""Hypothesis strategies the suite shares (the profile they run under is in conftest.py).

Shapes are small on purpose: every example runs central differences, one forward pass per
element, so sides of 3 or 4 keep a check to milliseconds while still reaching scalars (0-D),
size-1 axes and broadcasting in both directions.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Shape = tuple[int, ...]

# Seeds for np.random.default_rng: hypothesis picks the seed, NumPy the values.
seeds = st.integers(0, 2**32 - 1)


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3) -> st.SearchStrategy[Shape]:
    """Array shapes, 0-D (a scalar) included unless min_dims says otherwise."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_pairs(*, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy[hnp.BroadcastableShapes]:
    """Two shapes that broadcast together (`.input_shapes`), each side stretching the other."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side)


def axes(ndim: int) -> st.SearchStrategy[int]:
    """One axis of an ndim-D array, negative spellings included."""
    return st.integers(-ndim, ndim - 1)


@st.composite
def shapes_and_axes(draw: st.DrawFn, shape: st.SearchStrategy[Shape] | None = None) -> tuple[Shape, int]:
    """A shape with at least one axis, and one of its axes."""
    drawn = draw(shapes(min_dims=1, max_side=4) if shape is None else shape)
    return drawn, draw(axes(len(drawn)))


def float64_arrays(low: float, high: float, *, max_side: int = 4) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of any small shape (0-D included), values in [low, high], no subnormals."""
    elements = st.floats(low, high, allow_subnormal=False)
    return hnp.arrays(np.float64, shapes(max_side=max_side), elements=elements)
