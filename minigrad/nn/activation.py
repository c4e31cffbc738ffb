"""Activation layers."""

from __future__ import annotations

from ..engine.tensor import Tensor
from .module import Module


class ReLU(Module):
    """y = max(x, 0), element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()
