"""minigrad.cli (being written)."""
