"""`Dense`: the fully connected layer y = x @ weight + bias (Keras's name, PyTorch's Linear)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import random
from ..engine.dtypes import get_default_dtype
from ..engine.tensor import Tensor, apply
from ..ops import Linear
from .module import Module
from .parameter import Parameter


def glorot_uniform(fan_in: int, fan_out: int, dtype: Any) -> np.ndarray:
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010; Keras's default)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return random.generator().uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)


class Dense(Module):
    """y = x @ weight + bias, with `weight` of shape (in_features, out_features) (Keras layout).

    Glorot-uniform weight, zero bias; reproducible after `mg.manual_seed(seed)`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        for what, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"Dense: {what} must be an int, got {n!r} ({type(n).__name__})")
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Dense: in_features and out_features must be positive, got {in_features}, {out_features}")
        dtype = np.dtype(dtype or get_default_dtype())
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(glorot_uniform(in_features, out_features, dtype))
        self.bias = Parameter(np.zeros(out_features, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            if x is None:
                raise TypeError("Dense: the input is None; pass a Tensor or an array of shape (N, in_features)")
            x = Tensor(x)  # the checks of mg.tensor: numbers only
        parameters = self._parameters
        if "bias" not in parameters:
            return apply(Linear, x, parameters["weight"])
        return apply(Linear, x, parameters["weight"], parameters["bias"])

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")
