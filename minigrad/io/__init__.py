"""Checkpoints: `save` and `load` of state dicts as .npz archives (atomic, never pickled)."""

from .checkpoint import load, save

__all__ = ["load", "save"]
