"""Datasets shipped with minigrad, and mini-batching: `load_digits`, `batches`."""

from .batching import batches
from .digits import load_digits

__all__ = ["batches", "load_digits"]
