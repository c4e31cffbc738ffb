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

import html
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engine.tensor import Tensor
from ..nn.batchnorm import BatchNorm
from ..tables import text_table
from . import batchnorm as bn
from .numeric import central_differences, closer
from .report import EXPECT_EXACT, EXPECT_NUMERIC, EXPECT_WRONG, CheckRow, compare, format_number

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

    dbeta = np.sum(dout, axis=0)  # gradients for beta
    dgammax = dout  # gradients for gamma

    dgamma = np.sum(dgammax * xhat, axis=0)
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
@dataclass
class Claim:
    """One part of the answer: a statement and the rows that check it. Verified when every row
    agrees where it should and disagrees where it demonstrates the mistake."""

    title: str
    statement: str
    rows: list[CheckRow]
    source: str = ""

    @property
    def verified(self) -> bool:
        return all(row.as_expected for row in self.rows)


@dataclass
class Explanation:
    """`explain()`'s result: truthy exactly when every claim is verified numerically."""

    claims: list[Claim]
    example: str
    fix: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(c.verified for c in self.claims)

    def __bool__(self) -> bool:
        return self.verified

    def __getitem__(self, i: int) -> Claim:
        return self.claims[i]

    def __str__(self) -> str:
        out = ["Seed 004: why the naive staged BatchNorm backward disagreed with TensorFlow", self.example]
        for i, claim in enumerate(self.claims, 1):
            out += [
                "",
                f"{i}. {claim.title} [{'verified' if claim.verified else 'NOT VERIFIED'}]",
                f"   {claim.statement}",
            ]
            if claim.source:
                out.append(f"   source: {claim.source}")
            cells = [
                (r.name, r.expected, format_number(r.max_abs_error), format_number(r.max_rel_error), _verdict(r))
                for r in claim.rows
            ]
            table = text_table(("comparison", "expected", "max abs err", "max rel err", "result"), cells)
            out += ["   " + line for line in table.splitlines()]
        out += ["", "How to fix the naive code:"] + [f"  - {f}" for f in self.fix]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def _verdict(row: CheckRow) -> str:
    if row.expect == "disagree":
        return "disagrees, as claimed" if not row.agrees else "AGREES (claim not shown)"
    return "agrees" if row.agrees else "DISAGREES"


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
    labels = ["dx"]
    exact = {"atol": 1e-10, "rtol": 1e-8, "expected": EXPECT_EXACT}
    numeric = {"atol": 1e-7, "rtol": 1e-5, "expected": EXPECT_NUMERIC}
    wrong = {"atol": 1e-10, "rtol": 1e-8, "expected": EXPECT_WRONG, "expect": "disagree"}

    naive = naive_backward(dout, x, gamma)
    _, cache = bn.forward(x, gamma, beta, SEED_EPS)
    claims = []

    # 1. The naive backward differentiates the seed's own training() forward correctly.
    x_live = x.copy()  # perturbed in place by the central differences
    fd = _numeric_dx(lambda: seed_training_forward(x_live, gamma, beta), x_live, dout, naive)
    claims.append(
        Claim(
            "The naive backward is right for the seed's own layer",
            "It is cs231n's staged backward with the seed's eps=1e-7: it matches the staged derivation and central "
            "differences of the seed's training() forward. The bug is not in its calculus.",
            [
                compare(
                    ("", "naive vs staged backward (eps=1e-7)", ""),
                    labels,
                    [naive],
                    [bn.backward(dout, cache)[0]],
                    names=("naive", "staged"),
                    **exact,
                ),
                compare(
                    ("", "naive vs numeric d training()/dx", ""),
                    labels,
                    [naive],
                    [fd],
                    names=("naive", "numeric"),
                    **numeric,
                ),
            ],
        )
    )

    # 2. TensorFlow's default epsilon is 1e-3.
    layer_train = _layer_dx(x, gamma, beta, dout, training=True)  # Keras defaults: eps=1e-3
    naive_tf_eps = naive_backward(dout, x, gamma, eps=TF_EPS)
    row = compare(
        ("", "naive (eps=1e-7) vs TF-default layer (eps=1e-3)", ""),
        labels,
        [naive],
        [layer_train],
        names=("naive", "layer"),
        **{**wrong, "expected": "well above 1e-12: small but real"},
    )
    claims.append(
        Claim(
            "TensorFlow's layer uses eps=1e-3; the naive code uses 1e-7",
            f"tf.layers.batch_normalization and keras BatchNormalization default to epsilon=0.001. With 1e-7 the naive dx "
            f"differs from the layer's by {row.max_abs_error:.1e} here; with eps=1e-3 it agrees. (The layer: "
            "mg.nn.BatchNorm with Keras defaults, checked against TensorFlow's numbers in tests/reference/keras_values.py.)",
            [
                row,
                compare(
                    ("", "naive (eps=1e-3) vs TF-default layer (eps=1e-3)", ""),
                    labels,
                    [naive_tf_eps],
                    [layer_train],
                    names=("naive", "layer"),
                    **exact,
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
                compare(
                    ("", "dout*gamma/sqrt(pop_var+eps) vs numeric d testing()/dx", ""),
                    labels,
                    [right],
                    [fd_test],
                    names=("formula", "numeric"),
                    **numeric,
                ),
                compare(
                    ("", "staged inference backward vs that formula", ""),
                    labels,
                    [bn.backward_eval(dout, eval_cache)[0]],
                    [right],
                    names=("staged", "formula"),
                    **exact,
                ),
                compare(
                    ("", "naive test mode (mean 0, var 1) vs the right dx", ""),
                    labels,
                    [naive_test],
                    [right],
                    names=("naive", "right"),
                    **wrong,
                ),
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
            "training backward cannot match that: if the seed's TensorFlow side was built without training=True, this is "
            "why even its training-mode gradients differed strongly. Pass training=True (and run the UPDATE_OPS) while training.",
            [
                compare(
                    ("", "TF-default layer, training=False vs dout*gamma/sqrt(1+1e-3)", ""),
                    labels,
                    [layer_eval],
                    [inference],
                    names=("layer", "formula"),
                    **exact,
                ),
                compare(
                    ("", "naive training backward vs that layer", ""),
                    labels,
                    [naive],
                    [layer_eval],
                    names=("naive", "layer"),
                    **wrong,
                ),
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
    return closer(analytic, *central_differences(evaluate, dout, x_live))


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
    return tx.grad
