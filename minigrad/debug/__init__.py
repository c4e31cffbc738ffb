"""minigrad.debug (being written)."""
