"""`ops.base.scalar`: a Python number made once into the 0-d array NumPy would make of it.

The hot paths of BatchNorm, ReLU and MSE write `x * scalar(0.9, x.dtype)` for `x * 0.9`
(benchmarks/README.md, "Constants"). That is only allowed because the two agree to the last bit,
dtype included, for every operation, operand order, dtype and number: checked here against
NumPy itself, and recorded reference numbers elsewhere in the suite pin the layers.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad.ops.base import scalar

DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_]
OPERATIONS: list[Callable[..., Any]] = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.gt,
    np.maximum,
]
numbers = st.one_of(
    st.integers(0, 100),
    st.sampled_from([1e-3, 1e-5, 1e-7, 0.1, 0.9, 0.99, 0.999, 1.0 / 3.0, -1.0 / 7.0, 2.0, 0.0]),
    st.floats(-1e3, 1e3, allow_nan=False),
)


def _array(dtype: type, seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).standard_normal((3, 2)) * 10
    return np.abs(values).astype(dtype) if dtype in (np.uint8, np.bool_) else values.astype(dtype)


@given(seeds, st.sampled_from(DTYPES), st.sampled_from(OPERATIONS), numbers, st.booleans())
def test_a_scalar_gives_the_python_numbers_result_bit_for_bit(seed, dtype, operation, number, number_first):
    x = _array(dtype, seed)
    with np.errstate(all="ignore"):  # x / 0 and friends: the two must agree on those too
        expected = operation(number, x) if number_first else operation(x, number)
        constant = scalar(number, x.dtype)
        got = operation(constant, x) if number_first else operation(x, constant)
    assert got.dtype == expected.dtype
    assert got.tobytes() == expected.tobytes()


def test_every_dtype_operation_and_order_on_a_grid_of_numbers():
    # Exhaustive where hypothesis samples: every combination, mismatches collected and named.
    grid = [0, 1, 2, 7, 100, 0.0, 1e-3, 1e-5, 1e-7, 0.1, 0.9, 0.999, 1.0 / 3.0, -2.5]
    mismatches = []
    for dtype in DTYPES:
        x = _array(dtype, 7)
        for operation in OPERATIONS:
            for number in grid:
                for number_first in (False, True):
                    with np.errstate(all="ignore"):
                        expected = operation(number, x) if number_first else operation(x, number)
                        constant = scalar(number, x.dtype)
                        got = operation(constant, x) if number_first else operation(x, constant)
                    if got.dtype != expected.dtype or got.tobytes() != expected.tobytes():
                        mismatches.append((np.dtype(dtype).name, operation.__name__, number, number_first))
    assert mismatches == []


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_in_place_with_a_scalar_matches_the_python_number(dtype):
    a, b = _array(dtype, 1), _array(dtype, 1)
    number = 3 if np.dtype(dtype).kind == "i" else 0.9
    a *= number
    b *= scalar(number, b.dtype)
    assert a.tobytes() == b.tobytes()


def test_what_would_promote_comes_back_unchanged():
    # A NumPy scalar promotes (float32 * float64(0.1) is float64): made into a float32 constant it
    # would not; a float meeting an integer array makes float64; a number meeting bools makes ints.
    f32, i64, b = np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_)
    assert type(scalar(np.float64(0.1), f32)) is np.float64
    assert scalar(0.5, i64) == 0.5 and type(scalar(0.5, i64)) is float
    assert type(scalar(True, f32)) is bool and type(scalar(1, b)) is int


def test_a_scalar_is_made_once_and_cannot_be_changed():
    constant = scalar(0.25, np.dtype(np.float32))
    assert scalar(0.25, np.dtype(np.float32)) is constant
    assert constant.shape == () and constant.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        constant[...] = 1.0
    assert scalar(1, np.dtype(np.float32)) is not scalar(1.0, np.dtype(np.float32))  # typed: int and float apart


def test_layers_using_scalars_still_match_their_formulas_in_float32():
    # BatchNorm's training output, written with plain Python numbers, against the layer.
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    layer = mg.nn.BatchNorm(3, convention="torch", dtype=np.float32)
    out = layer(mg.tensor(x)).data
    mean = np.add.reduce(x, (0,), keepdims=True) / 4
    centred = x - mean
    var = np.einsum("ij,ij->j", centred, centred).reshape(1, 3) / 4
    expected = centred * (np.ones(3, np.float32) * (1.0 / np.sqrt(var + 1e-5))) + np.zeros(3, np.float32)
    assert out.tobytes() == expected.tobytes()
