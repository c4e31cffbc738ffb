"""`Dropout`: the other layer (besides BatchNorm) whose output depends on the training flag."""

from __future__ import annotations

import numpy as np

from ..engine import random
from ..engine.tensor import Tensor, apply
from ..ops import Dropout as DropoutOp
from .module import Module


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability `p` and the kept
    ones are scaled by 1/(1-p), so the expected output equals the input and eval mode needs no
    rescaling; in eval mode it is the identity. A fresh mask is drawn at every training forward,
    from the generator that `mg.manual_seed` seeds (so a seeded run drops the same elements).

    Like PyTorch's and Keras's, it follows `training` only: a frozen (`trainable=False`) Dropout
    still drops in training mode (it has no parameters to freeze).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"Dropout: p must be a number in [0, 1), got {type(p).__name__} {p!r}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p is the probability of dropping an element, in [0, 1); got {p!r}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor._from_op(np.asarray(x), None)
        if not self.training or self.p == 0.0:
            return x
        keep = random.generator().random(x.shape) >= self.p
        mask = keep.astype(x.dtype if x.dtype.kind == "f" else np.float64) * (1.0 / (1.0 - self.p))
        return apply(DropoutOp, x, mask=mask)

    def extra_repr(self) -> str:
        return f"p={self.p:g}"
