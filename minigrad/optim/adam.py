"""Adam, in the paper's (= PyTorch's) form or TensorFlow's "epsilon hat" form."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..engine.tensor import Tensor
from .optimizer import Optimizer, check_number

CONVENTIONS = ("paper", "tf")
#: Parameters up to this many elements share one multi-tensor update (benchmarks/README.md, "Adam").
FOREACH_MAX_SIZE = 65536


def adam_reference(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    convention: str = "paper",
) -> None:
    """Adam's step t for one array, written as its formulas (it allocates temporaries).

    The readable definition: `Adam` computes the same with the fast in-place forms below, and the
    tests check the two agree. Updates `param`, `m` and `v` in place.
    """
    b1, b2 = betas
    m[...] = b1 * m + (1 - b1) * grad
    v[...] = b2 * v + (1 - b2) * grad * grad
    if convention == "paper":
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    else:
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        param -= lr_t * m / (np.sqrt(v) + eps)


def _holds_views(states: list[dict[str, Any]], views_m: list[np.ndarray], views_v: list[np.ndarray]) -> bool:
    """Whether every state still holds the views of the group's flat moments (a loaded state
    dict or a user's assignment replaces them: the flat buffers are then rebuilt)."""
    # A loop, not all(genexpr) (ruff SIM110): no generator resume per parameter, benchmarks/README.md.
    for st, m, v in zip(states, views_m, views_v):  # noqa: SIM110
        if st.get("m") is not m or st.get("v") is not v:
            return False
    return True


def _inplace_adam(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    s: np.ndarray,
    one_minus_b1: float,
    one_minus_b2: float,
    c: float,
    e: float,
    step_size: float,
    subtract: bool = True,
) -> None:
    """`adam_reference` in 12 in-place passes and no allocation: p -= m / (sqrt(v) * c + e).

    With `subtract=False` the update is left in `s` instead (the multi-tensor path applies it).
    Every scalar is a Python float, so float32 stays float32.
    """
    np.subtract(grad, m, out=s)  # m += (1 - b1) * (g - m)      (= b1 * m + (1 - b1) * g)
    s *= one_minus_b1
    m += s
    np.multiply(grad, grad, out=s)  # v += (1 - b2) * (g * g - v)  (= b2 * v + (1 - b2) * g * g)
    s -= v
    s *= one_minus_b2
    v += s
    if step_size == 0.0:
        s[...] = 0.0
    else:
        np.sqrt(v, out=s)  # step_size * m / (sqrt(v) * scale + eps), as m / (sqrt(v) * c + e)
        s *= c
        s += e
        np.divide(m, s, out=s)
    if subtract:
        param -= s


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
                f"Adam: unknown convention {convention!r}; "
                "use 'paper' (Kingma & Ba, PyTorch) or 'tf' (TensorFlow/Keras)"
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
        self._flat: dict[tuple[int, ...], tuple] = {}  # multi-tensor buffers, by group of indices

    # ------------------------------------------------------------------------------ the update
    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], scratch: np.ndarray) -> None:
        """One parameter: the fast in-place form of `adam_reference` (see `_inplace_adam`)."""
        t, m, v = self._advance(state, param)
        _inplace_adam(param, grad, m, v, scratch, *self._coefficients(t))

    def _step_ready(self, ready: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        # Small parameters of one dtype and step count go through one multi-tensor update (one
        # NumPy call per formula line for all of them; Python per call dominates small arrays);
        # the others one by one. Why and how much: benchmarks/README.md, "Adam".
        groups: dict[tuple[np.dtype, int], list[tuple[int, np.ndarray, np.ndarray]]] = {}
        for item in ready:
            i, param, grad = item
            if param.size > FOREACH_MAX_SIZE or not param.flags.c_contiguous:
                self._update(param, grad, self.state[i], self._scratch_like(param))
            else:
                groups.setdefault((param.dtype, self.state[i].get("step", 0)), []).append(item)
        for group in groups.values():
            if len(group) == 1:
                i, param, grad = group[0]
                self._update(param, grad, self.state[i], self._scratch_like(param))
            else:
                self._foreach_update(group)

    def _advance(self, state: dict[str, Any], param: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """Count the step (creating zero moments on the first) and return (t, m, v)."""
        if not state:
            state["step"], state["m"], state["v"] = 0, np.zeros_like(param), np.zeros_like(param)
        state["step"] += 1
        return state["step"], state["m"], state["v"]

    def _coefficients(self, t: int) -> tuple[float, float, float, float, float]:
        """(1 - b1, 1 - b2, c, e, a) with which both conventions read  p -= m / (sqrt(v) * c + e),
        the learning rate and bias corrections folded into c and e (one pass fewer)."""
        lr, (b1, b2), eps = float(self.lr), self.betas, self.eps
        bias1, root_bias2 = 1.0 - b1**t, math.sqrt(1.0 - b2**t)
        # paper: lr / bias1 * m / (sqrt(v) / root_bias2 + eps);  tf: lr * root_bias2 / bias1 * m / (sqrt(v) + eps)
        step_size = lr / bias1 if self.convention == "paper" else lr * root_bias2 / bias1
        scale = 1.0 / root_bias2 if self.convention == "paper" else 1.0
        if step_size == 0.0:  # lr = 0: no movement (and no division by zero)
            return 1.0 - b1, 1.0 - b2, 1.0, math.inf, step_size
        return 1.0 - b1, 1.0 - b2, scale / step_size, eps / step_size, step_size

    def _foreach_update(self, group: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        """`_inplace_adam` once over the concatenation of the group's parameters.

        The moments of the group live in one flat buffer each (the states hold views of it); the
        gradients are gathered into a flat buffer, and each parameter is updated from its slice."""
        key = tuple([i for i, _, _ in group])
        flat = self._flat.get(key)
        states = [self.state[i] for i in key]
        if flat is None or not _holds_views(states, flat[0], flat[1]):
            flat = self._flat[key] = self._make_flat(group, states)
        _, _, fm, fv, fg, fs, updates = flat
        t = 0
        for st in states:
            st["step"] = t = st["step"] + 1
        np.concatenate([grad for _, _, grad in group], axis=None, out=fg)  # flattens each in C
        _inplace_adam(fs, fg, fm, fv, fs, *self._coefficients(t), subtract=False)
        for (_, param, _), update in zip(group, updates):
            param -= update  # a view of fs shaped like the parameter, made once

    def _make_flat(self, group: list[tuple[int, np.ndarray, np.ndarray]], states: list[dict[str, Any]]) -> tuple:
        """Flat buffers for a group: the moments (filled from the states, zeros for a first step;
        the states hold parameter-shaped views of them), gradients and update."""
        sizes = [param.size for _, param, _ in group]
        total, dtype = sum(sizes), group[0][1].dtype
        fm, fv, fs = np.zeros(total, dtype), np.zeros(total, dtype), np.empty(total, dtype)
        views_m, views_v, updates, start = [], [], [], 0
        for (_, param, _), st, size in zip(group, states, sizes):
            part = slice(start, start + size)
            vm, vv = fm[part].reshape(param.shape), fv[part].reshape(param.shape)
            if st:
                vm[...], vv[...] = st["m"], st["v"]
            else:
                st["step"] = 0
            st["m"], st["v"] = vm, vv
            views_m.append(vm)
            views_v.append(vv)
            updates.append(fs[part].reshape(param.shape))
            start += size
        return views_m, views_v, fm, fv, np.empty(total, dtype), fs, updates

    def _hyper_repr(self) -> str:
        return f"lr={self.lr!r}, betas={self.betas!r}, eps={self.eps!r}, convention={self.convention!r}"
