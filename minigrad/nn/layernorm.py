"""`LayerNorm`: the contrast to BatchNorm. Normalises each sample over its features, so it needs
no batch, keeps no moving statistics and computes the same in training and eval mode."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.dtypes import get_default_dtype
from ..engine.tensor import Tensor, apply
from ..ops import LayerNorm as LayerNormOp
from ..tables import shape_str
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, mean and biased var per sample over the
    last axis (of size `num_features`); parameters `gamma` (ones) and `beta` (zeros), shape
    (num_features,). As PyTorch's `LayerNorm(num_features)` and Keras's `LayerNormalization()`
    (whose default eps is 1e-3: pass it)."""

    def __init__(self, num_features: int, eps: float = 1e-5, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"LayerNorm: num_features must be a positive int, got {num_features!r}")
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)):
            raise TypeError(f"LayerNorm: eps must be a number, got {type(eps).__name__} {eps!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        dtype = np.dtype(dtype or get_default_dtype())
        self.num_features, self.eps = int(num_features), float(eps)
        self.gamma = Parameter(np.ones(num_features, dtype=dtype))
        self.beta = Parameter(np.zeros(num_features, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor._from_op(np.asarray(x), None)
        if x.ndim == 0 or x.shape[-1] != self.num_features:
            raise ValueError(
                f"LayerNorm: input of shape {shape_str(x.shape)} does not end in num_features="
                f"{self.num_features} (it normalises over the last axis)"
            )
        return apply(LayerNormOp, x, self.gamma, self.beta, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}"
