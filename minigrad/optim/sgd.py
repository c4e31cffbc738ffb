"""Stochastic gradient descent, with PyTorch's form of momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..engine.tensor import Tensor
from .optimizer import Optimizer, check_number


class SGD(Optimizer):
    """Gradient descent: `p -= lr * g`, or with momentum (PyTorch's form, no dampening):

        buf_1 = g_1                      (a copy of the first gradient)
        buf_t = momentum * buf_{t-1} + g_t
        p    -= lr * buf_t

    This differs from the cs231n / "velocity" form `v = momentum * v - lr * g; p += v` only when
    `lr` changes during training (the two agree for a constant `lr`).

    Args:
        params: the tensors to train, e.g. `model.parameters()`.
        lr: learning rate, `>= 0`.
        momentum: in `[0, 1)`; `0` is plain SGD (and keeps no buffer).
    """

    _state_kinds: ClassVar[dict[str, str]] = {"momentum_buffer": "buffer"}

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params)
        self.lr = check_number("SGD", "lr", lr)
        self.momentum = check_number("SGD", "momentum", momentum, high=1.0)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], scratch: np.ndarray) -> None:
        lr, momentum = float(self.lr), float(self.momentum)  # Python floats keep float32 float32
        if momentum == 0.0:
            direction = grad
        else:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype, copy=True)
            else:
                buf *= momentum  # buf = momentum * buf + g, in place
                buf += grad
            direction = buf
        np.multiply(direction, lr, out=scratch)
        param -= scratch  # p -= lr * direction

    def _hyper_repr(self) -> str:
        return f"lr={self.lr!r}, momentum={self.momentum!r}"
