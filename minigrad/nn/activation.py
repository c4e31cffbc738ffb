"""Activation layers."""

from __future__ import annotations

from ..engine.tensor import Tensor
from .module import Module


class ReLU(Module):
    """y = max(x, 0), element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """y = tanh(x), element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x)), element-wise."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()
