"""Fixtures shared by the whole suite. Keep this file small and generic."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator, so every test sees the same numbers on every run."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    """Put the default dtype back after every test, even one that failed half-way."""
    before = mg.get_default_dtype()
    yield
    mg.set_default_dtype(before)
