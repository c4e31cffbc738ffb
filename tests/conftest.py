"""Fixtures shared by the whole suite, and the hypothesis profile every property test runs under.
Keep this file small and generic; shared strategies are in strategies.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

import minigrad as mg

# One profile for the whole suite, so no test restates it. Derandomized: CI and every local run
# see the same examples (no flaky reds, no example database). 30 examples, because each one
# runs central differences. No deadline: a first call pays NumPy's warm-up, not a regression.
settings.register_profile("minigrad", max_examples=30, deadline=None, derandomize=True)
# To hunt for new counterexamples locally: pytest --hypothesis-profile=explore
settings.register_profile("explore", settings.get_profile("minigrad"), max_examples=300, derandomize=False)
settings.load_profile("minigrad")

# the wheel venv and the session's one run of every lesson (tests/lessons_run.py)
pytest_plugins = ["lessons_run"]


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
