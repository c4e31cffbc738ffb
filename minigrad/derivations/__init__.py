"""minigrad.derivations (being written)."""
