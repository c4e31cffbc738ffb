"""Seed 004 answered, with numbers: why a naive staged BatchNorm backward disagreed with TensorFlow
in both training and test mode.

The question (a Russian-language forum post, `seeds/004_*.txt`): a hand-written TF layer

    training(): (inputs - batch_mean) / tf.sqrt(batch_var + 0.0000001) * scale + beta
    testing():  (inputs - pop_mean)   / tf.sqrt(pop_var   + 0.0000001) * scale + beta

and a naive NumPy backward (cs231n's staged one, transcribed below as `naive_backward`) gave
gradients "very different" from TensorFlow's, in training and in testing ("in testing the mean
and variance are set to 0 and 1"). Nobody answered. `explain()` checks each part of the answer
numerically and returns a printable report:

1. The naive backward is a correct derivative of the seed's own training() forward (eps=1e-7).
2. TensorFlow's batch-norm layers default to epsilon=1e-3, not 1e-7; that alone moves dx (by
   about 5e-4 on the small example), and the naive code with eps=1e-3 agrees with such a layer.
3. In test mode the moving statistics are constants, so dx = dout * gamma / sqrt(pop_var + eps).
   The naive code ran the TRAINING backward with mean 0 and variance 1: it still sends gradient
   through a mean and a variance that no longer depend on x. That is wrong.
4. `tf.layers.batch_normalization(..., training=False)` is the default: called without
   `training=True`, TensorFlow ran the inference formula with the initial moving statistics
   (0 and 1) even during "training", so its gradient was dout * gamma / sqrt(1 + 1e-3).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..engine.tensor import Tensor
from ..gradcheck.compare import EXPECT_EXACT, EXPECT_NUMERIC, EXPECT_WRONG, CheckRow, compare
from ..gradcheck.numerical import best_estimate, grad_of
from ..gradcheck.report import CheckReport, Section
from ..nn.batchnorm import BatchNorm
from ..tables import text_table, wrap_line
from . import batchnorm as bn

#: The small single-neuron example (the seed's experiment used a one-neuron layer).
EXAMPLE_X = np.array([[1.0], [2.0], [3.0], [4.0]])
EXAMPLE_DOUT = np.array([[1.0], [-1.0], [0.5], [0.25]])

SEED_EPS = 0.0000001  # hard-coded in the seed's layer and in its naive backward
TF_EPS = 1e-3  # tf.layers.batch_normalization / keras BatchNormalization default epsilon


# ------------------------------------------------------------------ the seed's code, transcribed
def seed_training_forward(x: np.ndarray, scale: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The seed's training(): (inputs - batch_mean) / tf.sqrt(batch_var + 0.0000001) * scale + beta,
    with tf.nn.moments(inputs, [0]) (biased variance)."""
    batch_mean, batch_var = np.mean(x, axis=0), np.var(x, axis=0)
    return (x - batch_mean) / np.sqrt(batch_var + 0.0000001) * scale + beta


def seed_testing_forward(
    x: np.ndarray,
    scale: np.ndarray,
    beta: np.ndarray,
    pop_mean: float | np.ndarray = 0.0,
    pop_var: float | np.ndarray = 1.0,
) -> np.ndarray:
    """The seed's testing(): (inputs - pop_mean) / tf.sqrt(pop_var + 0.0000001) * scale + beta
    (pop_mean and pop_var start at 0 and 1)."""
    return (x - pop_mean) / np.sqrt(pop_var + 0.0000001) * scale + beta


def naive_backward(
    dout: np.ndarray,
    x: np.ndarray,
    gamma: np.ndarray,
    eps: float = 0.0000001,
    mean: float | np.ndarray | None = None,
    variance: float | np.ndarray | None = None,
) -> np.ndarray:
    """The seed's `batchnorm_backward_training`, line for line; returns dx.

    Two additions, both marked: `eps` is a parameter (the seed hard-codes 0.0000001), and `mean`/
    `variance` replace the batch statistics the way the seed says its test mode did ("the mean and
    variance are set to 0 and 1 during testing").
    """
    # get the dimensions of the input/output
    N, D = dout.shape

    mu = 1.0 / N * np.sum(x, axis=0)  # calculate the mean
    if mean is not None:  # [added] the seed's test mode: mean := pop_mean
        mu = mean

    xmu = x - mu  # substract the mean from the input

    sq = xmu**2

    var = 1.0 / N * np.sum(sq, axis=0)  # calculate the variance
    if variance is not None:  # [added] the seed's test mode: var := pop_var
        var = variance

    # eps = 0.0000001  [now the parameter `eps`, same default]

    sqrtvar = np.sqrt(var + eps)

    ivar = 1.0 / sqrtvar

    xhat = xmu * ivar  # normalized input

    dbeta = np.sum(dout, axis=0)  # gradients for beta  # noqa: F841 (the seed computes it, returns dx only)
    dgammax = dout  # gradients for gamma

    dgamma = np.sum(dgammax * xhat, axis=0)  # noqa: F841 (the seed computes it, returns dx only)
    dxhat = dgammax * gamma

    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar

    dsqrtvar = -1.0 / (sqrtvar**2) * divar

    # step5
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar

    # step4
    dsq = 1.0 / N * np.ones((N, D)) * dvar

    # step3
    dxmu2 = 2 * xmu * dsq

    # step2
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)

    # step1
    dx2 = 1.0 / N * np.ones((N, D)) * dmu

    # step0
    dx = dx1 + dx2

    return dx  # final gradient


# ----------------------------------------------------------------------------- the report
class Claim(Section):
    """One part of the answer: a statement and the rows that check it, a section of the
    `Explanation`. Verified when every row agrees where it should and disagrees where it
    demonstrates the mistake."""

    COLUMNS = ("comparison", "expected", "max abs err", "max rel err", "result")

    def __init__(self, title: str, statement: str, rows: Iterable[CheckRow], source: str = "") -> None:
        super().__init__(title, rows, intro=statement, columns=self.COLUMNS, strict=True)
        self.title, self.statement, self.source, self.number = title, statement, source, 0
        for row in self:
            row.section = title

    @property
    def rows(self) -> list[CheckRow]:
        return list(self)

    @property
    def verified(self) -> bool:
        return self.passed

    def result(self, row: CheckRow) -> str:
        if row.expect == "disagree":
            return "disagrees, as claimed" if not row.agrees else "AGREES (claim not shown)"
        return "agrees" if row.agrees else "DISAGREES"

    def describe(self, row: CheckRow) -> str:
        return f"claim {self.number} ({self.title}): '{row.name}'"

    def heading(self) -> list[str]:
        lines = [f"{self.number}. {self.title} [{'verified' if self.verified else 'NOT VERIFIED'}]"]
        lines.append(f"   {self.statement}")
        if self.source:
            lines.append(f"   source: {self.source}")
        return lines

    def lines(self, width: int | None = None) -> list[str]:
        table = text_table(*self.table(), width=None if width is None else width - 3)
        heading = [piece for line in self.heading() for piece in wrap_line(line, width)]
        return ["", *heading, *("   " + line for line in table.splitlines())]


class Explanation(CheckReport):
    """`explain()`'s result, a report whose sections are the claims: truthy exactly when every
    claim is verified numerically. `explanation[i]` is claim i (from 0)."""

    def __init__(self, claims: Sequence[Claim], example: str, fix: Sequence[str] = ()) -> None:
        super().__init__("Seed 004: why the naive staged BatchNorm backward disagreed with TensorFlow", claims)
        self.example, self.fix = example, list(fix)
        for i, claim in enumerate(claims, 1):
            claim.number = i

    @property
    def claims(self) -> list[Claim]:
        return [s for s in self.sections if isinstance(s, Claim)]

    @property
    def verified(self) -> bool:
        return self.passed

    def headline(self, width: int | None = None) -> list[str]:
        return [self.title, self.example]

    def footer(self) -> list[str]:
        return ["", "How to fix the naive code:"] + [f"  - {f}" for f in self.fix]


def _row(
    name: str,
    ours: np.ndarray,
    reference: np.ndarray,
    names: tuple[str, str],
    kind: str,
    expected: str | None = None,
) -> CheckRow:
    """One comparison of dx: `kind` "exact" (rounding only), "numeric" (vs central differences)
    or "wrong" (demonstrates the mistake: expected to disagree)."""
    atol, rtol, default, expect = {
        "exact": (1e-10, 1e-8, EXPECT_EXACT, "agree"),
        "numeric": (1e-7, 1e-5, EXPECT_NUMERIC, "agree"),
        "wrong": (1e-10, 1e-8, EXPECT_WRONG, "disagree"),
    }[kind]
    return compare(
        ("", name, ""),
        ["dx"],
        [ours],
        [reference],
        atol=atol,
        rtol=rtol,
        expected=expected or default,
        names=names,
        expect=expect,
    )


def explain(
    x: np.ndarray | None = None,
    dout: np.ndarray | None = None,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
) -> Explanation:
    """Check every part of the answer to seed 004 numerically; returns a printable `Explanation`.

    Defaults: the small one-neuron example (`EXAMPLE_X`, `EXAMPLE_DOUT`) with the seed's initial
    scale = 1 and beta = 0. Any (N, D) inputs work.
    """
    x = np.array(EXAMPLE_X if x is None else x, dtype=np.float64)
    dout = np.array(EXAMPLE_DOUT if dout is None else dout, dtype=np.float64)
    d = x.shape[1]
    gamma = np.ones(d) if gamma is None else np.array(gamma, dtype=np.float64)
    beta = np.zeros(d) if beta is None else np.array(beta, dtype=np.float64)

    naive = naive_backward(dout, x, gamma)
    _, cache = bn.forward(x, gamma, beta, SEED_EPS)
    claims: list[Claim] = []

    # 1. The naive backward differentiates the seed's own training() forward correctly.
    x_live = x.copy()  # perturbed in place by the central differences
    fd = _numeric_dx(lambda: seed_training_forward(x_live, gamma, beta), x_live, dout, naive)
    claims.append(
        Claim(
            "The naive backward is right for the seed's own layer",
            "It is cs231n's staged backward with the seed's eps=1e-7: it matches the staged derivation and central "
            "differences of the seed's training() forward. The bug is not in its calculus.",
            [
                _row(
                    "naive vs staged backward (eps=1e-7)",
                    naive,
                    bn.backward(dout, cache)[0],
                    ("naive", "staged"),
                    "exact",
                ),
                _row("naive vs numeric d training()/dx", naive, fd, ("naive", "numeric"), "numeric"),
            ],
        )
    )

    # 2. TensorFlow's default epsilon is 1e-3.
    layer_train = _layer_dx(x, gamma, beta, dout, training=True)  # Keras defaults: eps=1e-3
    naive_tf_eps = naive_backward(dout, x, gamma, eps=TF_EPS)
    row = _row(
        "naive (eps=1e-7) vs TF-default layer (eps=1e-3)",
        naive,
        layer_train,
        ("naive", "layer"),
        "wrong",
        expected="well above 1e-12: small but real",
    )
    claims.append(
        Claim(
            "TensorFlow's layer uses eps=1e-3; the naive code uses 1e-7",
            "tf.layers.batch_normalization and keras BatchNormalization default to epsilon=0.001. "
            f"With 1e-7 the naive dx differs from the layer's by {row.max_abs_error:.1e} here; with eps=1e-3 "
            "it agrees. (The layer: mg.nn.BatchNorm with Keras defaults, checked against TensorFlow's numbers "
            "in minigrad/reference/keras_values.py.)",
            [
                row,
                _row(
                    "naive (eps=1e-3) vs TF-default layer (eps=1e-3)",
                    naive_tf_eps,
                    layer_train,
                    ("naive", "layer"),
                    "exact",
                ),
            ],
            source="https://www.tensorflow.org/versions/r1.15/api_docs/python/tf/layers/batch_normalization "
            "(epsilon=0.001, training=False)",
        )
    )

    # 3. Test mode: the moving statistics are constants.
    pop_mean, pop_var = np.zeros(d), np.ones(d)
    right = dout * gamma / np.sqrt(pop_var + SEED_EPS)
    naive_test = naive_backward(dout, x, gamma, mean=pop_mean, variance=pop_var)
    fd_test = _numeric_dx(lambda: seed_testing_forward(x_live, gamma, beta, pop_mean, pop_var), x_live, dout, right)
    _, eval_cache = bn.forward_eval(x, gamma, beta, pop_mean, pop_var, SEED_EPS)
    claims.append(
        Claim(
            "In test mode the gradient treats the moving statistics as constants",
            "testing() uses pop_mean and pop_var, which do not depend on x: dx = dout * gamma / sqrt(pop_var + eps), "
            "and nothing flows through a mean or a variance. The naive code ran the TRAINING backward with mean 0 and "
            "variance 1, keeping the dmu and dvar paths: wrong.",
            [
                _row(
                    "dout*gamma/sqrt(pop_var+eps) vs numeric d testing()/dx",
                    right,
                    fd_test,
                    ("formula", "numeric"),
                    "numeric",
                ),
                _row(
                    "staged inference backward vs that formula",
                    bn.backward_eval(dout, eval_cache)[0],
                    right,
                    ("staged", "formula"),
                    "exact",
                ),
                _row("naive test mode (mean 0, var 1) vs the right dx", naive_test, right, ("naive", "right"), "wrong"),
            ],
        )
    )

    # 4. tf.layers defaults to training=False.
    layer_eval = _layer_dx(x, gamma, beta, dout, training=False)  # fresh: moving stats 0 and 1
    inference = dout * gamma / np.sqrt(1.0 + TF_EPS)
    claims.append(
        Claim(
            "tf.layers.batch_normalization defaults to training=False",
            "Called without training=True, TensorFlow normalises with the moving statistics even while training; "
            "fresh, they are 0 and 1, so its dx is dout * gamma / sqrt(1 + 1e-3), whatever the batch. The naive "
            "training backward cannot match that: if the seed's TensorFlow side was built without "
            "training=True, this is why even its training-mode gradients differed strongly. Pass "
            "training=True (and run the UPDATE_OPS) while training.",
            [
                _row(
                    "TF-default layer, training=False vs dout*gamma/sqrt(1+1e-3)",
                    layer_eval,
                    inference,
                    ("layer", "formula"),
                    "exact",
                ),
                _row("naive training backward vs that layer", naive, layer_eval, ("naive", "layer"), "wrong"),
            ],
            source="https://www.tensorflow.org/versions/r1.15/api_docs/python/tf/layers/batch_normalization",
        )
    )

    example = (
        f"Example: x {tuple(x.shape)} = {np.array2string(x.ravel(), separator=', ')}, dout = "
        f"{np.array2string(dout.ravel(), separator=', ')}, scale (gamma) = {np.array2string(gamma, separator=', ')}, "
        f"beta = {np.array2string(beta, separator=', ')}; float64"
    )
    fix = [
        "use the layer's epsilon (1e-3 for TensorFlow's default) in the backward, or build the layer with epsilon=1e-7",
        "training: call the layer with training=True (tf.layers defaults to False) and run tf.GraphKeys.UPDATE_OPS",
        "testing: dx = dout * gamma / sqrt(moving_variance + eps); dgamma = sum(dout * xhat); dbeta = sum(dout) "
        "(no dmu, no dvar: the moving statistics are constants)",
        "check it stage by stage: minigrad.derivations.batchnorm.check_stages(x, gamma, beta, mode='eval')",
    ]
    return Explanation(claims, example, fix)


def _numeric_dx(
    evaluate: Callable[[], np.ndarray], x_live: np.ndarray, dout: np.ndarray, analytic: np.ndarray
) -> np.ndarray:
    """Central differences of sum(dout * evaluate()) with respect to x_live (read live by evaluate)."""
    return best_estimate(analytic, evaluate, dout, x_live)


def _layer_dx(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dout: np.ndarray, training: bool) -> np.ndarray:
    """dx of sum(dout * layer(x)) for a fresh Keras-default layer (eps=1e-3, moving stats 0 and 1)."""
    layer = BatchNorm(x.shape[1], convention="keras", dtype=np.float64)
    layer.gamma.data[...] = gamma
    layer.beta.data[...] = beta
    layer.train(training)
    tx = Tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a batch of one per channel warns; not the point here
        y = layer(tx)
    y.backward(dout)
    return grad_of(tx)
