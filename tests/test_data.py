"""`minigrad.data`: the shipped digits against known values of scikit-learn's file, and `batches`."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

import minigrad.data
from minigrad.data import batches, load_digits
from minigrad.data.digits import DIGITS_SHA256


def test_the_shipped_file_is_scikit_learns_byte_for_byte():
    raw = resources.files("minigrad.data").joinpath("digits.csv.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == DIGITS_SHA256
    assert len(raw) < 60_000  # small enough to ship


def test_load_digits_shapes_dtypes_range_and_label_counts():
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(np.unique(x * 16), np.arange(17))  # pixel counts 0-16, divided by 16
    # sklearn.datasets.load_digits(): np.bincount(target)
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert float((x * 16).sum()) == 561718.0


def test_load_digits_first_rows_are_the_csvs_first_lines():
    x, y = load_digits()
    # the first two lines of digits.csv.gz (64 pixels, then the label)
    first = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0]
    first += [0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
    second = [0, 0, 0, 12, 13, 5, 0, 0, 0, 0, 0, 11, 16, 9, 0, 0, 0, 0, 3, 15, 16, 6, 0, 0, 0, 7, 15, 16, 16, 2, 0]
    second += [0, 0, 0, 1, 16, 16, 3, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 1, 16, 16, 6, 0, 0, 0, 0, 0, 11, 16, 10]
    second += [0, 0]
    np.testing.assert_array_equal(x[0] * 16, first)
    np.testing.assert_array_equal(x[1] * 16, second)
    assert y[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_load_digits_returns_fresh_arrays():
    x, y = load_digits()
    x[0, 0], y[0] = 99.0, 9
    x2, y2 = load_digits()
    assert x2[0, 0] == 0.0 and y2[0] == 0


def test_loading_never_unpickles():
    source = resources.files("minigrad.data").joinpath("digits.py").read_text()
    assert "pickle" not in source.replace("unpickled", "") and "np.load(" not in source


def test_batches_in_order_hand_out_a_last_batch_of_one():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    got = list(batches(x, y, 3, shuffle=False))
    assert [len(b[1]) for b in got] == [3, 3, 3, 1]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), y)
    np.testing.assert_array_equal(got[-1][0], [[18, 19]])
    assert [len(b[1]) for b in batches(x, y, 3, shuffle=False, drop_last=True)] == [3, 3, 3]


def test_batches_shuffle_is_a_seeded_permutation_that_keeps_pairs_together():
    x, y = np.arange(10)[:, None] * 10, np.arange(10)
    first = list(batches(x, y, 4, seed=1))
    again = list(batches(x, y, 4, seed=1))
    labels = np.concatenate([b[1] for b in first])
    assert sorted(labels.tolist()) == list(range(10)) and labels.tolist() != list(range(10))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert all(np.array_equal(bx[:, 0], by * 10) for bx, by in first)
    other = np.concatenate([b[1] for b in batches(x, y, 4, seed=2)])
    assert other.tolist() != labels.tolist()


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "4"])
def test_batches_refuses_a_bad_batch_size(size):
    with pytest.raises(ValueError, match="batches: batch_size must be a positive int"):
        next(batches(np.zeros((4, 2)), np.zeros(4), size))


def test_batches_refuses_mismatched_rows_and_non_bool_flags():
    with pytest.raises(
        ValueError, match=r"batches: x and y need the same number of rows, got shapes \(4, 2\) and \(3,\)"
    ):
        next(batches(np.zeros((4, 2)), np.zeros(3), 2))
    with pytest.raises(TypeError, match="batches: shuffle must be a bool"):
        next(batches(np.zeros((4, 2)), np.zeros(4), 2, shuffle=1))  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(TypeError, match="batches: drop_last must be a bool"):
        next(batches(np.zeros((4, 2)), np.zeros(4), 2, drop_last="no"))  # type: ignore[arg-type]  # the wrong type is the test


def test_data_package_exports():
    assert minigrad.data.__all__ == ["batches", "load_digits"]
