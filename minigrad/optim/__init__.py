"""minigrad.optim (being written)."""
