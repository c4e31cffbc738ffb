"""BatchNorm's stages, defined once: the derivation lesson 05 teaches and the graph nodes of
`BatchNorm(impl="staged")` are these classes.

Each stage is a `Stage` (`ops/stage.py`): its forward formula and local backward side by side, the
formulas in the docstrings' first lines (`minigrad.derivations.batchnorm.table()` prints them).

- `minigrad.derivations.batchnorm.TRAIN` / `EVAL` run them on NumPy arrays, axis 0 reduced, and
  check each one against central differences;
- `BatchNorm(..., impl="staged")` applies each stage's `.op`, one graph node per stage named as
  lesson 05 names it, so `trace`, `draw`, `backward_steps`, pdb and the stepper show
  `mu, xmu, sq, var, sqrtvar, ivar, xhat, gammax, out`.

The only difference between the two uses is which axes hold the rows i of the formulas: a `Rows`
value, `rows=`, that every stage reads (its default is the derivation's axis 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .stage import Stage


@dataclass(frozen=True)
class Rows:
    """The rows i that `sum_i` runs over in the formulas, and how a per-feature value lines up
    with them.

    `Rows()`, every stage's default, is the derivation's: axis 0 of an (N, D) batch, statistics of
    shape (D,). The layer passes `Rows(axes, keepdims=True)`: every axis but the channel axis, the
    statistics kept broadcastable (shape (1, C, 1, 1) for NCHW input), so any layout works.
    """

    axes: tuple[int, ...] = (0,)
    keepdims: bool = False

    def count(self, a: np.ndarray) -> int:
        """N: how many rows each statistic averages."""
        return int(np.prod([np.shape(a)[i] for i in self.axes]))

    def mean(self, a: np.ndarray) -> np.ndarray:
        """1/N * sum_i a_i, shaped as a statistic."""
        return np.mean(a, axis=self.axes, keepdims=self.keepdims)

    def sum(self, a: np.ndarray) -> np.ndarray:
        """sum_i a_i, shaped as a statistic (the gradient of a value broadcast over the rows)."""
        return np.sum(a, axis=self.axes, keepdims=self.keepdims)

    def total(self, a: np.ndarray) -> np.ndarray:
        """sum_i a_i, shaped as a parameter: one value per feature, (D,) or (C,)."""
        return np.sum(a, axis=self.axes)

    def spread(self, g: np.ndarray, like: np.ndarray) -> np.ndarray:
        """A statistic's value given to every row i: `g` broadcast to `like`'s shape (a new array)."""
        g = np.asarray(g) if self.keepdims else np.expand_dims(g, self.axes)
        return np.broadcast_to(g, np.shape(like)).copy()

    def feature(self, p: Any, like: np.ndarray) -> np.ndarray:
        """A per-feature value (gamma, beta, a moving statistic) lined up against `like`."""
        if not self.keepdims:
            return np.asarray(p)
        return np.reshape(p, [1 if i in self.axes else n for i, n in enumerate(np.shape(like))])


ROWS = Rows()


# --------------------------------------------------------------------- training-mode stages
class Mu(Stage):
    """mu = 1/N * sum_i x_i"""

    name, inputs = "mu", ("x",)

    @staticmethod
    def forward(x: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        return rows.mean(x)

    @staticmethod
    def backward(dmu: np.ndarray, x: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        """dx = 1/N * dmu

        Every row i gets the same share: mu is an average of N rows.
        """
        return rows.spread(dmu / rows.count(x), x)


class XMu(Stage):
    """xmu = x - mu"""

    name, inputs = "xmu", ("x", "mu")

    @staticmethod
    def forward(x: np.ndarray, mu: np.ndarray) -> np.ndarray:
        return x - mu

    @staticmethod
    def backward(dxmu: np.ndarray, rows: Rows = ROWS) -> tuple[np.ndarray, ...]:
        """dx = dxmu;  dmu = -sum_i dxmu_i

        mu was broadcast over the N rows, so its gradient sums over them.
        """
        return dxmu, -rows.sum(dxmu)


class Sq(Stage):
    """sq = xmu**2"""

    name, inputs = "sq", ("xmu",)

    @staticmethod
    def forward(xmu: np.ndarray) -> np.ndarray:
        return xmu**2

    @staticmethod
    def backward(dsq: np.ndarray, xmu: np.ndarray) -> np.ndarray:
        """dxmu = 2 * xmu * dsq"""
        return 2 * xmu * dsq


class Var(Stage):
    """var = 1/N * sum_i sq_i"""

    name, inputs = "var", ("sq",)

    @staticmethod
    def forward(sq: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        return Mu.forward(sq, rows)  # var is the mean of sq, as mu is the mean of x

    @staticmethod
    def backward(dvar: np.ndarray, sq: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        """dsq = 1/N * dvar

        Every row i gets the same share: var is an average of N rows.
        """
        return Mu.backward(dvar, sq, rows)


class SqrtVar(Stage):
    """sqrtvar = sqrt(var + eps)"""

    name, inputs = "sqrtvar", ("var",)

    @staticmethod
    def forward(var: np.ndarray, eps: float) -> np.ndarray:
        return np.sqrt(var + eps)

    @staticmethod
    def backward(dsqrtvar: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
        """dvar = 0.5 / sqrt(var + eps) * dsqrtvar"""
        return 0.5 / np.sqrt(var + eps) * dsqrtvar


class IVar(Stage):
    """ivar = 1 / sqrtvar"""

    name, inputs = "ivar", ("sqrtvar",)

    @staticmethod
    def forward(sqrtvar: np.ndarray) -> np.ndarray:
        return 1.0 / sqrtvar

    @staticmethod
    def backward(divar: np.ndarray, sqrtvar: np.ndarray) -> np.ndarray:
        """dsqrtvar = -1 / sqrtvar**2 * divar"""
        return -1.0 / sqrtvar**2 * divar


class XHat(Stage):
    """xhat = xmu * ivar"""

    name, inputs = "xhat", ("xmu", "ivar")

    @staticmethod
    def forward(xmu: np.ndarray, ivar: np.ndarray) -> np.ndarray:
        return xmu * ivar

    @staticmethod
    def backward(dxhat: np.ndarray, xmu: np.ndarray, ivar: np.ndarray, rows: Rows = ROWS) -> tuple[np.ndarray, ...]:
        """dxmu = ivar * dxhat;  divar = sum_i xmu_i * dxhat_i"""
        return ivar * dxhat, rows.sum(xmu * dxhat)


class GammaX(Stage):
    """gammax = gamma * xhat"""

    name, inputs = "gammax", ("gamma", "xhat")

    @staticmethod
    def forward(gamma: np.ndarray, xhat: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        return rows.feature(gamma, xhat) * xhat

    @staticmethod
    def backward(dgammax: np.ndarray, gamma: np.ndarray, xhat: np.ndarray, rows: Rows = ROWS) -> tuple[np.ndarray, ...]:
        """dgamma = sum_i xhat_i * dgammax_i;  dxhat = gamma * dgammax"""
        return rows.total(xhat * dgammax), rows.feature(gamma, xhat) * dgammax


class Out(Stage):
    """out = gammax + beta"""

    name, inputs = "out", ("gammax", "beta")

    @staticmethod
    def forward(gammax: np.ndarray, beta: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        return gammax + rows.feature(beta, gammax)

    @staticmethod
    def backward(dout: np.ndarray, rows: Rows = ROWS) -> tuple[np.ndarray, ...]:
        """dgammax = dout;  dbeta = sum_i dout_i"""
        return dout, rows.total(dout)


#: The training-mode stages in forward order: statistics of the batch itself, so they depend on x.
TRAIN_STAGES: tuple[type[Stage], ...] = (Mu, XMu, Sq, Var, SqrtVar, IVar, XHat, GammaX, Out)


# ------------------------------------------------------------------- inference-mode stages
class EvalXMu(Stage):
    """xmu = x - moving_mean

    moving_mean is a constant (a running average of past batches), not a function of x.
    """

    name, inputs = "xmu", ("x",)

    @staticmethod
    def forward(x: np.ndarray, moving_mean: np.ndarray, rows: Rows = ROWS) -> np.ndarray:
        return x - rows.feature(moving_mean, x)

    @staticmethod
    def backward(dxmu: np.ndarray) -> np.ndarray:
        """dx = dxmu

        No second path through a mean, as in training: the moving mean does not depend on x.
        """
        return dxmu


class EvalXHat(Stage):
    """xhat = xmu / sqrt(moving_variance + eps)

    A constant scale: the moving variance does not depend on x.
    """

    name, inputs = "xhat", ("xmu",)

    @staticmethod
    def forward(xmu: np.ndarray, moving_variance: np.ndarray, eps: float, rows: Rows = ROWS) -> np.ndarray:
        return xmu / np.sqrt(rows.feature(moving_variance, xmu) + eps)

    @staticmethod
    def backward(dxhat: np.ndarray, moving_variance: np.ndarray, eps: float, rows: Rows = ROWS) -> np.ndarray:
        """dxmu = dxhat / sqrt(moving_variance + eps)"""
        return dxhat / np.sqrt(rows.feature(moving_variance, dxhat) + eps)


#: The inference-mode stages: the moving statistics are constants; gammax and out are shared.
EVAL_STAGES: tuple[type[Stage], ...] = (EvalXMu, EvalXHat, GammaX, Out)
