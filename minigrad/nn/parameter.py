"""`Parameter`: a tensor that a Module learns (requires grad by default)."""

from __future__ import annotations

from typing import Any

from ..engine.tensor import Tensor


class Parameter(Tensor):
    """A Tensor registered as learnable when assigned to a Module attribute.

    Buffers (moving statistics) are plain Tensors registered with `register_buffer`: saved in the
    state dict, never touched by optimisers.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)
