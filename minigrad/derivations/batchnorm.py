"""BatchNorm derived stage by stage, on NumPy arrays, axis 0 reduced (cs231n's `layers.py` shape:
`forward` returns a cache, `backward` reads it).

Training mode: nine stages, each a small unit with its forward formula and its local backward
(`table()` prints them; the stages are defined once, in `minigrad/ops/batchnorm_stages.py`,
and are also the graph nodes of `mg.nn.BatchNorm(..., impl="staged")`):

{table}

`backward` is generated from these units (run in reverse; `x` and `xmu` are used twice, so their
gradients are sums of two paths). Collapsing the algebra gives the compact form

    dx = (1/N) * gamma * ivar * (N*dout - sum_i dout_i - xhat * sum_i dout_i*xhat_i)

Inference mode is a different function: the moving statistics are constants, not functions of
x, so no gradient flows through a mean or a variance and

    dx = dout * gamma / sqrt(moving_variance + eps)

Applying the training-mode backward to an inference-mode forward is a mistake (seed 004 made
it); `check_stages(..., mode="eval")` shows how large the error is.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..engine.tensor import Tensor
from ..gradcheck.numerical import grad_of
from ..nn.batchnorm import BatchNorm
from ..nn.functional import batch_norm_composed
from ..ops.batchnorm_stages import (
    EVAL_STAGES,
    TRAIN_STAGES,
    EvalXHat,
    EvalXMu,
    GammaX,
    IVar,
    Mu,
    Out,
    Sq,
    SqrtVar,
    Var,
    XHat,
    XMu,
)
from ..tables import shape_str
from .report import END_TO_END, EXPECT_EXACT, EXPECT_WRONG, DerivationReport, compare
from .stages import Derivation, Overrides

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


# ------------------------------------------------------------------------------- the stages
# Defined once, with the ops (`ops/batchnorm_stages.py`): the same classes are the graph nodes of
# `BatchNorm(impl="staged")`. Here they run on arrays with their default rows, axis 0.

#: Training mode: statistics of the batch itself, so they depend on x and carry gradient.
TRAIN = Derivation("BatchNorm, training mode", TRAIN_STAGES, inputs=("x", "gamma", "beta"), constants=("eps",))

#: Inference mode: the moving statistics are constants; gammax and out are the same stages.
EVAL = Derivation(
    "BatchNorm, inference mode",
    EVAL_STAGES,
    inputs=("x", "gamma", "beta"),
    constants=("eps", "moving_mean", "moving_variance"),
)


# ----------------------------------------------------------------------- public functions
def forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, dict[str, Any]]:
    """Training-mode BatchNorm through the nine stages; returns (out, cache).

    out = gamma * (x - mu) / sqrt(var + eps) + beta, with mu and the biased var over axis 0.
    The cache holds x, gamma, beta, eps and every stage's value by name (`cache["xhat"]`, ...).
    """
    x, gamma, beta = _check_inputs("batchnorm.forward", x, gamma, beta)
    cache = TRAIN.forward({"x": x, "gamma": gamma, "beta": beta, "eps": eps})
    return cache["out"], cache


def gradients(dout: np.ndarray, cache: Mapping[str, Any], overrides: Overrides | None = None) -> dict[str, np.ndarray]:
    """The staged backward's every gradient by name, in the order it completes them:
    dout, dgammax, dbeta, dgamma, dxhat, divar, dsqrtvar, dvar, dsq, dxmu, dmu, dx.

    Works for a training cache (`forward`) and an inference cache (`forward_eval`).
    `overrides={"ivar": my_backward}` replaces stages' local backwards.
    """
    derivation = TRAIN if "mu" in cache else EVAL
    return derivation.backward(dout, cache, overrides)


def backward(dout: np.ndarray, cache: Mapping[str, Any]) -> Grads:
    """The staged backward of `forward`: the nine local backwards in reverse; (dx, dgamma, dbeta)."""
    if "mu" not in cache:
        raise ValueError(
            "batchnorm.backward: this cache has no 'mu': it comes from forward_eval (inference mode); use backward_eval"
        )
    g = TRAIN.backward(dout, cache)
    return g["dx"], g["dgamma"], g["dbeta"]


def backward_compact(dout: np.ndarray, cache: Mapping[str, Any]) -> Grads:
    """The closed form of the training-mode backward, one line per gradient:

    dx     = (1/N) * gamma * ivar * (N*dout - sum_i dout_i - xhat * sum_i dout_i*xhat_i)
    dgamma = sum_i dout_i * xhat_i
    dbeta  = sum_i dout_i
    """
    xhat, ivar, gamma = cache["xhat"], cache["ivar"], cache["gamma"]
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = (1.0 / n) * gamma * ivar * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def forward_eval(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    moving_mean: Any = 0.0,
    moving_variance: Any = 1.0,
    eps: float = 1e-5,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Inference-mode BatchNorm: out = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta."""
    x, gamma, beta = _check_inputs("batchnorm.forward_eval", x, gamma, beta)
    mm, mv = _moving(x.shape[1], moving_mean, moving_variance)
    cache = EVAL.forward({"x": x, "gamma": gamma, "beta": beta, "eps": eps, "moving_mean": mm, "moving_variance": mv})
    return cache["out"], cache


def backward_eval(dout: np.ndarray, cache: Mapping[str, Any]) -> Grads:
    """The staged backward of `forward_eval`; (dx, dgamma, dbeta)."""
    g = EVAL.backward(dout, cache)
    return g["dx"], g["dgamma"], g["dbeta"]


def backward_eval_compact(dout: np.ndarray, cache: Mapping[str, Any]) -> Grads:
    """Inference mode in closed form (the moving statistics are constants):

    dx = dout * gamma / sqrt(moving_variance + eps);  dgamma = sum_i dout_i * xhat_i;  dbeta = sum_i dout_i
    """
    dx = dout * cache["gamma"] / np.sqrt(cache["moving_variance"] + cache["eps"])
    return dx, np.sum(dout * cache["xhat"], axis=0), np.sum(dout, axis=0)


def backward_train_on_eval(dout: np.ndarray, cache: Mapping[str, Any]) -> Grads:
    """THE MISTAKE (seed 004's test mode): the training-mode backward run on an inference-mode
    forward, i.e. the nine stages with mu and var pinned to the moving statistics. It routes
    gradient through a mean and a variance that do not depend on x."""
    values = {k: cache[k] for k in ("x", "gamma", "beta", "eps")}
    wrong = TRAIN.forward(values, pinned={"mu": cache["moving_mean"], "var": cache["moving_variance"]})
    g = TRAIN.backward(dout, wrong)
    return g["dx"], g["dgamma"], g["dbeta"]


__doc__ = (__doc__ or "").replace("{table}", textwrap.indent(TRAIN.table(), "    "))
__all__ = [
    "EVAL",
    "TRAIN",
    "EvalXHat",
    "EvalXMu",
    "GammaX",
    "IVar",
    "Mu",
    "Out",
    "Sq",
    "SqrtVar",
    "Var",
    "XHat",
    "XMu",
    "backward",
    "backward_compact",
    "backward_eval",
    "backward_eval_compact",
    "backward_train_on_eval",
    "check_stages",
    "forward",
    "forward_eval",
    "gradients",
    "table",
]


def table(mode: str = "train") -> str:
    """The stage table (stage, forward, local backward) to copy into notes."""
    return _derivation(mode).table()


# --------------------------------------------------------------------------- the check
StudentBackward = Callable[[np.ndarray, dict[str, Any]], Any]


def check_stages(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    dout: np.ndarray | None = None,
    eps: float = 1e-5,
    mode: str = "train",
    *,
    moving_mean: Any = 0.0,
    moving_variance: Any = 1.0,
    overrides: Overrides | None = None,
    backward: StudentBackward | None = None,
    seed: int = 0,
) -> DerivationReport:
    """Check the derivation stage by stage, then end to end, in float64. Truthy when every row passes.

    Rows:
    - one per stage: its local backward vs central differences IN ISOLATION (a seeded random
      upstream gradient for that stage alone), so a wrong stage is named among right ones;
    - with `backward=your_backward`, called as `your_backward(dout, cache)` and returning a dict
      of gradients by name ({"dxhat": ..., "divar": ..., "dx": ...}, any subset) or
      (dx, dgamma, dbeta): your gradients vs the reference staged backward, in backward order;
    - end to end: the forward output vs the fused layer, then the staged backward vs the compact
      form, minigrad autograd (BatchNorm from primitive ops), the fused `mg.nn.BatchNorm`, and
      central differences of the whole layer. In eval mode also the MISTAKE row: the training
      backward applied to the inference forward, expected to disagree (never fails the report).

    `mode="eval"`: the inference derivation, with `moving_mean`/`moving_variance` (numbers or
    per-feature arrays). `overrides={"ivar": my_ivar_backward}`: your local backward for a stage,
    with the stage's signature (`my_ivar_backward(divar, sqrtvar) -> dsqrtvar`).
    `dout` defaults to a seeded random upstream gradient.
    """
    derivation = _derivation(mode)
    x, gamma, beta = _check_inputs("check_stages", x, gamma, beta, dtype=np.float64)
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(x.shape)
    dout = np.array(dout, dtype=np.float64)
    if dout.shape != x.shape:
        raise ValueError(f"check_stages: dout has shape {shape_str(dout.shape)}, but x has shape {shape_str(x.shape)}")
    if mode == "train":
        out, cache = forward(x, gamma, beta, eps)
        closed = (
            "compact",
            "backward_compact: dx = (1/N)*gamma*ivar*(N*dout - sum(dout) - xhat*sum(dout*xhat))",
            backward_compact(dout, cache),
        )
        composed = "minigrad autograd of nn.functional.batch_norm_composed (primitive ops)"
    else:
        out, cache = forward_eval(x, gamma, beta, moving_mean, moving_variance, eps)
        closed = (
            "closed form",
            "backward_eval_compact: dx = dout * gamma / sqrt(moving_variance + eps)",
            backward_eval_compact(dout, cache),
        )
        composed = "minigrad autograd of (x - moving_mean) / sqrt(moving_variance + eps) * gamma + beta"
    layer_out, layer_grads = _fused_layer(mode, x, gamma, beta, dout, eps, cache)
    layer = f"mg.nn.BatchNorm({x.shape[1]}, eps={eps:g}){'.eval()' if mode == 'eval' else ''}, backward"
    references = [
        closed,
        ("autograd", composed, _autograd(mode, x, gamma, beta, dout, eps, cache)),
        ("fused layer", layer, layer_grads),
    ]

    what = f"x {shape_str(x.shape)}, eps={eps:g}, float64, seed={seed}"
    if mode == "eval":
        what += f", moving_mean={_short(cache['moving_mean'])}, moving_variance={_short(cache['moving_variance'])}"
    values = {k: cache[k] for k in (*derivation.inputs, *derivation.constants)}
    report = derivation.check(
        values,
        dout,
        overrides=overrides,
        backward=backward,
        seed=seed,
        references=references,
        title=f"{derivation.title} ({what})",
    )
    end_to_end = report.section(END_TO_END)
    end_to_end.intro = "End to end: dx, dgamma, dbeta of sum(dout * out), every way we have."

    # The forward must agree before any gradient comparison means anything: first end-to-end row.
    end_to_end.insert(
        0,
        compare(
            (END_TO_END, "out: staged vs fused layer", "forward outputs"),
            ["out"],
            [out],
            [layer_out],
            atol=1e-10,
            rtol=1e-8,
            expected=EXPECT_EXACT,
            names=("staged", "layer"),
        ),
    )
    if mode == "eval":
        report.add(
            compare(
                (
                    END_TO_END,
                    "MISTAKE: train backward on eval forward",
                    "seed 004: the nine-stage backward with mu, var := the moving statistics",
                ),
                ["dx", "dgamma", "dbeta"],
                list(backward_train_on_eval(dout, cache)),
                closed[2],
                atol=1e-10,
                rtol=1e-8,
                expected=EXPECT_WRONG,
                names=("train backward", "right"),
                expect="disagree",
            )
        )
        report.notes.append(
            "the MISTAKE row shows what goes wrong, on purpose: in inference mode the moving statistics "
            "are constants, so no gradient flows through a mean or a variance; it never fails the report"
        )
    return report


def _autograd(
    mode: str,
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    dout: np.ndarray,
    eps: float,
    cache: Mapping[str, Any],
) -> list[np.ndarray]:
    """dx, dgamma, dbeta from minigrad's autograd, BatchNorm built from primitive tensor ops."""
    leaves = [Tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    tx, tg, tb = leaves
    if mode == "train":
        y = batch_norm_composed(tx, tg, tb, axis=-1, eps=eps)
    else:
        y = (tx - cache["moving_mean"]) / np.sqrt(cache["moving_variance"] + eps) * tg + tb
    y.backward(dout)
    return [grad_of(t) for t in leaves]


def _fused_layer(
    mode: str,
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    dout: np.ndarray,
    eps: float,
    cache: Mapping[str, Any],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The fused `mg.nn.BatchNorm` layer's output and (dx, dgamma, dbeta), eps set explicitly."""
    layer = BatchNorm(x.shape[1], eps=eps, convention="keras", dtype=np.float64)
    layer.gamma.data[...] = gamma
    layer.beta.data[...] = beta
    if mode == "eval":
        layer.eval()
        layer.moving_mean.data[...] = cache["moving_mean"]
        layer.moving_variance.data[...] = cache["moving_variance"]
    tx = Tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a batch of one: the layer warns, the derivation agrees
        y = layer(tx)
    y.backward(dout)
    return y.numpy(), [grad_of(t) for t in (tx, layer.gamma, layer.beta)]


# --------------------------------------------------------------------------------- helpers
def _derivation(mode: str) -> Derivation:
    if mode not in ("train", "eval"):
        raise ValueError(f"batchnorm: mode must be 'train' or 'eval', got {mode!r}")
    return TRAIN if mode == "train" else EVAL


def _check_inputs(what: str, x: Any, gamma: Any, beta: Any, dtype: Any = None) -> tuple[np.ndarray, ...]:
    x, gamma, beta = (np.array(a, dtype=dtype) if dtype else np.asarray(a) for a in (x, gamma, beta))
    if x.ndim != 2:
        raise ValueError(f"{what}: x must have shape (N, D) (statistics over axis 0), got shape {shape_str(x.shape)}")
    for name, a in (("gamma", gamma), ("beta", beta)):
        if a.shape != (x.shape[1],):
            raise ValueError(
                f"{what}: {name} has shape {shape_str(a.shape)}, but x has shape {shape_str(x.shape)}: "
                f"{name} needs shape {shape_str((x.shape[1],))}"
            )
    return x, gamma, beta


def _moving(d: int, moving_mean: Any, moving_variance: Any) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for name, value in (("moving_mean", moving_mean), ("moving_variance", moving_variance)):
        a = np.asarray(value, dtype=np.float64)
        try:
            out.append(np.array(np.broadcast_to(a, (d,))))
        except ValueError:
            raise ValueError(
                f"batchnorm: {name} has shape {shape_str(a.shape)}; it needs shape {shape_str((d,))} or a single number"
            ) from None
    return out[0], out[1]


def _short(a: np.ndarray) -> str:
    a = np.asarray(a)
    return (
        f"{float(a.flat[0]):g}"
        if a.size and np.all(a == a.flat[0])
        else np.array2string(a, precision=3, separator=", ")
    )
