"""Adam, in the paper's (= PyTorch's) form or TensorFlow's "epsilon hat" form."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..engine.tensor import Tensor
from .optimizer import Optimizer, check_number

CONVENTIONS = ("paper", "tf")


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015). Both conventions keep the same moments, at step t = 1, 2, ...:

        m_t = b1 * m_{t-1} + (1 - b1) * g_t          (m_0 = 0)
        v_t = b2 * v_{t-1} + (1 - b2) * g_t**2       (v_0 = 0)

    and differ only in where `eps` enters the update:

    `convention="paper"` (Algorithm 1 of the paper; what `torch.optim.Adam` does):

        m_hat = m_t / (1 - b1**t),   v_hat = v_t / (1 - b2**t)
        p    -= lr * m_hat / (sqrt(v_hat) + eps)

    `convention="tf"` (TensorFlow / Keras, the paper's "epsilon hat" rewrite of section 2):

        lr_t = lr * sqrt(1 - b2**t) / (1 - b1**t)
        p   -= lr_t * m_t / (sqrt(v_t) + eps)

    Multiplying out, the "tf" form is the "paper" form with `eps` replaced by
    `eps / sqrt(1 - b2**t)`: about 31.6 * eps at t = 1 with b2 = 0.999, shrinking back towards eps
    as t grows. So the two agree whenever `sqrt(v_hat)` (roughly |g|) is much larger than eps,
    and differ visibly for tiny gradients (|g| of order 1e-7 with eps = 1e-8) or a large eps.
    `eps` defaults to 1e-8 under both (TensorFlow 1's default; Keras 3 uses 1e-7: pass it).

    The step count t is per parameter (as in PyTorch): a parameter skipped at some step (grad
    None) does not advance. TensorFlow counts optimiser iterations instead; the two are the same
    whenever every parameter gets a gradient at every step.

    Moments live in the parameter's dtype, and the arithmetic stays there (float32 stays float32).

    Args:
        params: the tensors to train, e.g. `model.parameters()`.
        lr: learning rate, `>= 0`.
        betas: `(b1, b2)`, each in `[0, 1)`.
        eps: `>= 0`, added to the denominator.
        convention: `"paper"` or `"tf"`.
    """

    _state_kinds: ClassVar[dict[str, str]] = {"step": "count", "m": "buffer", "v": "buffer"}

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        convention: str = "paper",
    ) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(
                f"Adam: unknown convention {convention!r}; use 'paper' (Kingma & Ba, PyTorch) or 'tf' (TensorFlow/Keras)"
            )
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (b1, b2), got {betas!r}") from None
        super().__init__(params)
        self.lr = check_number("Adam", "lr", lr)
        self.betas = (check_number("Adam", "betas[0]", b1, high=1.0), check_number("Adam", "betas[1]", b2, high=1.0))
        self.eps = check_number("Adam", "eps", eps)
        self.convention = convention

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], scratch: np.ndarray) -> None:
        # Every scalar below is a Python float, so float32 arrays stay float32 (NumPy float64
        # scalars would promote). Each line works in place on m, v, param or the scratch view.
        lr, (b1, b2), eps = float(self.lr), self.betas, self.eps
        if not state:
            state["step"] = 0
            state["m"] = np.zeros_like(param)
            state["v"] = np.zeros_like(param)
        state["step"] += 1
        t, m, v, s = state["step"], state["m"], state["v"], scratch
        bias1, bias2 = 1.0 - b1**t, 1.0 - b2**t

        # m += (1 - b1) * (g - m)        (= b1 * m + (1 - b1) * g)
        np.subtract(grad, m, out=s)
        s *= 1.0 - b1
        m += s
        if self.convention == "paper":
            # v = b2 * v + (1 - b2) * g * g
            np.multiply(grad, 1.0 - b2, out=s)
            s *= grad
            v *= b2
            v += s
            # p -= (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)   (PyTorch's order)
            np.sqrt(v, out=s)
            s /= math.sqrt(bias2)
            s += eps
            np.divide(m, s, out=s)
            s *= lr / bias1
        else:
            # v += (1 - b2) * (g * g - v)    (TensorFlow's order)
            np.multiply(grad, grad, out=s)
            s -= v
            s *= 1.0 - b2
            v += s
            # p -= lr_t * m / (sqrt(v) + eps),  lr_t = lr * sqrt(1 - b2**t) / (1 - b1**t)
            np.sqrt(v, out=s)
            s += eps
            np.divide(m, s, out=s)
            s *= lr * math.sqrt(bias2) / bias1
        param -= s

    def _hyper_repr(self) -> str:
        return f"lr={self.lr!r}, betas={self.betas!r}, eps={self.eps!r}, convention={self.convention!r}"
