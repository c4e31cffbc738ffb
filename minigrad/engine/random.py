"""The random generator behind parameter initialisation (`mg.manual_seed`)."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used for parameter initialisation, so models are reproducible."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The current initialisation generator."""
    return _generator
