"""Exercises: a student's own local backward for a stage (overrides) or whole staged backward is
checked, and the report names the FIRST wrong stage or gradient and by how much. The same
machinery serves Dense -> ReLU -> MSE and a derivation written from scratch in this file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds

from minigrad.derivations import Derivation, Stage
from minigrad.derivations import batchnorm as bn
from minigrad.derivations import dense_relu_mse as drm
from minigrad.gradcheck import CheckReport, CheckRow

RNG = np.random.default_rng(2024)
X = RNG.standard_normal((5, 3)) * np.array([1.0, 0.3, 2.0]) + np.array([0.5, -1.0, 0.0])
GAMMA, BETA = np.array([1.2, -0.7, 0.4]), np.array([0.1, 0.0, -0.3])

# The mistakes students make, one per stage (each with the stage's own signature).
TRAIN_MISTAKES: dict[str, Callable[..., Any]] = {
    "mu": lambda dmu, x: np.ones_like(x) * dmu,  # forgot 1/N
    "xmu": lambda dxmu: (dxmu, np.sum(dxmu, axis=0)),  # forgot the minus sign
    "sq": lambda dsq, xmu: xmu * dsq,  # forgot the factor 2
    "var": lambda dvar, sq: np.ones_like(sq) * dvar,  # forgot 1/N
    "sqrtvar": lambda dsqrtvar, var, eps: dsqrtvar / np.sqrt(var + eps),  # forgot 0.5
    "ivar": lambda divar, sqrtvar: -divar / sqrtvar,  # forgot the square
    "xhat": lambda dxhat, xmu, ivar: (ivar * dxhat, np.sum(dxhat * xmu * ivar, axis=0)),  # xhat for xmu
    "gammax": lambda dgammax, gamma, xhat: (np.sum(dgammax, axis=0), gamma * dgammax),  # dgamma without xhat
    "out": lambda dout: (dout, dout),  # dbeta not summed over the batch
}

EVAL_MISTAKES: dict[str, Callable[..., Any]] = {
    "xmu": lambda dxmu: dxmu - dxmu.mean(axis=0),  # the training habit: a path through a mean
    "xhat": lambda dxhat, moving_variance: dxhat / np.sqrt(moving_variance),  # forgot eps
    "gammax": lambda dgammax, gamma, xhat: (np.sum(dgammax * xhat, axis=0), dgammax),  # forgot gamma
    "out": lambda dout: (dout, np.mean(dout, axis=0)),  # mean instead of sum
}


def first_failure(report: CheckReport) -> CheckRow:
    row = report.first_failure
    assert row is not None, str(report)
    return row


def _ok_except(report, wrong: str) -> None:
    for row in report.section("stages"):
        assert row.passed == (row.stage != wrong), str(report)


# -------------------------------------------------------------------- one stage overridden
@pytest.mark.parametrize("stage", list(TRAIN_MISTAKES))
def test_a_broken_stage_is_caught_and_named(stage: str) -> None:
    report = bn.check_stages(X, GAMMA, BETA, eps=1e-5, overrides={stage: TRAIN_MISTAKES[stage]})
    assert not report
    assert report.first_wrong_stage == stage
    assert report.first_failure is report[stage] and report[stage].name == f"{stage} (yours)"
    _ok_except(report, stage)
    assert f"first wrong: stage '{stage}'" in str(report).splitlines()[0]
    row = report[stage]
    if stage == "out":  # a shape error is a failing row that says which shapes; the staged backward cannot run
        assert "dbeta of shape (5, 3), but beta has shape (3,)" in row.detail
        assert not report["staged (with your stages) backward"].agrees
    else:  # and by how much: far outside rounding
        assert row.max_abs_error > 1e-3 and row.max_rel_error > 1e-3
        assert f"max abs err {row.max_abs_error:.2e}" in report.verdict()
        # the staged backward built with the student's stage is wrong end to end too
        assert not report["staged (with your stages) vs compact"].agrees


@pytest.mark.parametrize("stage", list(EVAL_MISTAKES))
def test_a_broken_inference_stage_is_caught_and_named(stage: str) -> None:
    report = bn.check_stages(
        X,
        GAMMA,
        BETA,
        eps=1e-3,
        mode="eval",
        moving_mean=0.2,
        moving_variance=0.5,
        overrides={stage: EVAL_MISTAKES[stage]},
    )
    assert not report and report.first_wrong_stage == stage
    _ok_except(report, stage)


def test_the_right_local_backward_as_an_override_passes() -> None:
    def my_ivar_backward(divar, sqrtvar):
        """dsqrtvar = -divar / sqrtvar**2"""
        return -divar / sqrtvar**2

    report = bn.check_stages(X, GAMMA, BETA, overrides={"ivar": my_ivar_backward})
    assert report, str(report)
    assert report["ivar"].local_backward == "yours: my_ivar_backward: dsqrtvar = -divar / sqrtvar**2"


def test_override_that_asks_for_an_unknown_value_or_crashes_is_a_failing_row() -> None:
    report = bn.check_stages(X, GAMMA, BETA, overrides={"ivar": lambda divar, std: -divar / std**2})
    assert report.first_wrong_stage == "ivar"
    assert "argument 'std' is not a value of this derivation" in report["ivar"].detail
    assert "sqrtvar" in report["ivar"].detail  # lists what can be asked for
    report = bn.check_stages(X, GAMMA, BETA, overrides={"var": lambda dvar, sq: 1 / 0})
    assert report.first_wrong_stage == "var" and "ZeroDivisionError" in report["var"].detail


def test_override_for_an_unknown_stage_is_an_error() -> None:
    with pytest.raises(KeyError, match="unknown stage.*'isd'.*mu, xmu"):
        bn.check_stages(X, GAMMA, BETA, overrides={"isd": lambda g: g})


def test_cache_argument_gives_the_whole_cache() -> None:
    def ivar_backward_cs231n_style(divar, cache):
        return -divar / cache["sqrtvar"] ** 2

    assert bn.check_stages(X, GAMMA, BETA, overrides={"ivar": ivar_backward_cs231n_style})


# ------------------------------------------------------------------------ whole backward
def staged_backward(dout, cache, mistake_at=None):
    """A student's staged backward (cs231n steps), exposing every gradient by name."""
    N = dout.shape[0]
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = (
        cache[k] for k in ("xhat", "gamma", "xmu", "ivar", "sqrtvar", "var", "eps")
    )
    g = {"dbeta": dout.sum(axis=0), "dgammax": dout}
    g["dgamma"] = np.sum(g["dgammax"] * xhat, axis=0)
    g["dxhat"] = g["dgammax"] * gamma
    g["divar"] = np.sum(g["dxhat"] * xmu, axis=0) * (2.0 if mistake_at == "divar" else 1.0)
    dxmu1 = g["dxhat"] * ivar
    g["dsqrtvar"] = -1.0 / sqrtvar**2 * g["divar"]
    g["dvar"] = 0.5 / np.sqrt(var + eps) * g["dsqrtvar"]
    g["dsq"] = np.ones_like(xmu) * g["dvar"] / N
    dxmu2 = 2 * xmu * g["dsq"]
    g["dxmu"] = dxmu1 + (0 if mistake_at == "dxmu" else dxmu2)
    g["dmu"] = -np.sum(g["dxmu"], axis=0)
    g["dx"] = g["dxmu"] + np.ones_like(xmu) * g["dmu"] / N
    return g


def test_a_right_whole_backward_passes_every_gradient() -> None:
    report = bn.check_stages(X, GAMMA, BETA, backward=staged_backward)
    assert report, str(report)
    rows = report.section("your backward")
    _, cache = bn.forward(X, GAMMA, BETA)
    # every gradient in backward order (spelled out in test_derivations_batchnorm), but dout: it is given
    assert [r.name for r in rows] == list(bn.gradients(np.ones_like(X), cache))[1:]
    assert all(r.agrees and r.given for r in rows)


@pytest.mark.parametrize("mistake, stage", [("divar", "xhat"), ("dxmu", "sq")])
def test_the_first_wrong_gradient_is_named_the_ones_before_pass(mistake: str, stage: str) -> None:
    report = bn.check_stages(X, GAMMA, BETA, backward=lambda dout, cache: staged_backward(dout, cache, mistake))
    assert not report
    first = first_failure(report)
    assert first.section == "your backward" and first.name == mistake
    assert report.first_wrong_stage == stage
    rows = report.section("your backward")
    names = [r.name for r in rows]
    before = rows[: names.index(mistake)]
    assert before and all(r.agrees for r in before)
    assert f"first wrong: gradient {mistake} (completed by stage '{stage}')" in str(report)
    # the reference stages themselves all pass: only the student's backward is wrong
    assert all(r.passed for r in report.section("stages"))


def test_dxmu_is_the_total_of_both_paths() -> None:
    """Handing in only one path's dxmu (dxmu1) fails at dxmu and says it sums two stages."""
    report = bn.check_stages(X, GAMMA, BETA, backward=lambda dout, cache: staged_backward(dout, cache, "dxmu"))
    assert report["dxmu"].formula == "sum over stages xhat, sq"


def test_whole_backward_as_a_tuple_and_with_missing_or_unknown_names() -> None:
    report = bn.check_stages(X, GAMMA, BETA, backward=lambda dout, cache: bn.backward_compact(dout, cache))
    assert report
    given_rows = [r.name for r in report.section("your backward") if r.given]
    assert given_rows == ["dbeta", "dgamma", "dx"]
    assert report["divar"].result == "not given"

    def partial(dout, cache):
        g = staged_backward(dout, cache)
        return {"dxhat": g["dxhat"], "dxmu1": g["dxhat"] * cache["ivar"], "dx": g["dx"]}

    report = bn.check_stages(X, GAMMA, BETA, backward=partial)
    assert report and any("ignored: dxmu1" in note for note in report.notes)


def test_whole_backward_that_crashes_or_has_wrong_shapes() -> None:
    report = bn.check_stages(X, GAMMA, BETA, backward=lambda dout, cache: cache["nope"])
    assert not report and "KeyError" in first_failure(report).detail
    report = bn.check_stages(X, GAMMA, BETA, backward=lambda dout, cache: {"dgamma": dout})
    assert not report and "dgamma has shape (5, 3), but gamma has shape (3,)" in report["dgamma"].detail


def test_the_students_backward_cannot_corrupt_the_reference() -> None:
    def vandal(dout, cache):
        cache["xhat"][...] = 0.0
        dout[...] = 0.0
        return {}

    assert bn.check_stages(X, GAMMA, BETA, backward=vandal)


def test_inference_mode_whole_backward() -> None:
    def eval_backward(dout, cache):
        return {"dx": dout * cache["gamma"] / np.sqrt(cache["moving_variance"] + cache["eps"])}

    def training_habit(dout, cache):  # seed 004's mistake as a student would hand it in
        dx = dout * cache["gamma"] / np.sqrt(cache["moving_variance"] + cache["eps"])
        return {"dx": dx - dx.mean(axis=0)}

    kwargs: dict[str, Any] = {"mode": "eval", "moving_mean": 0.1, "moving_variance": 2.0}
    assert bn.check_stages(X, GAMMA, BETA, backward=eval_backward, **kwargs)
    report = bn.check_stages(X, GAMMA, BETA, backward=training_habit, **kwargs)
    assert first_failure(report).name == "dx"


# ------------------------------------------------------------------ Dense -> ReLU -> MSE
def _dense_inputs(seed: int = 0, n: int = 6, d: int = 3, k: int = 2):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, d)),
        rng.standard_normal((d, k)),
        rng.standard_normal(k) * 0.1,
        rng.standard_normal((n, k)),
    )


def test_dense_relu_mse_derivation_passes_and_matches_an_independent_formula() -> None:
    x, W, b, y = _dense_inputs()
    report = drm.check_stages(x, W, b, y)
    assert report, str(report)
    assert [r.name for r in report.section("stages")] == ["z", "a", "diff", "loss"]
    loss, cache = drm.forward(x, W, b, y)
    z = x @ W + b
    np.testing.assert_allclose(loss, np.mean((np.maximum(z, 0) - y) ** 2))
    dx, dW, db = drm.backward(1.0, cache)
    dz = 2 * (np.maximum(z, 0) - y) / y.size * (z > 0)
    np.testing.assert_allclose(dx, dz @ W.T, rtol=1e-12)
    np.testing.assert_allclose(dW, x.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(db, dz.sum(axis=0), rtol=1e-12)
    assert list(drm.gradients(1.0, cache)) == ["dloss", "ddiff", "da", "dz", "dx", "dW", "db"]


@given(n=st.integers(1, 6), d=st.integers(1, 4), k=st.integers(1, 3), seed=seeds)
def test_dense_relu_mse_check_passes_for_random_shapes(n: int, d: int, k: int, seed: int) -> None:
    x, W, b, y = _dense_inputs(seed, n, d, k)
    assert drm.check_stages(x, W, b, y, seed=seed)


DENSE_MISTAKES: dict[str, Callable[..., Any]] = {
    "z": lambda dz, x, W: (dz @ W.T, x.T @ dz, np.mean(dz, axis=0)),  # db: mean instead of sum
    "a": lambda da, z: da,  # ReLU's gate forgotten
    "diff": lambda ddiff: -ddiff,  # sign flipped
    "loss": lambda dloss, diff: 2.0 * diff * dloss,  # forgot 1/size
}


@pytest.mark.parametrize("stage", list(DENSE_MISTAKES))
def test_dense_relu_mse_broken_stage_is_named(stage: str) -> None:
    x, W, b, y = _dense_inputs(1)
    report = drm.check_stages(x, W, b, y, overrides={stage: DENSE_MISTAKES[stage]})
    assert not report and report.first_wrong_stage == stage
    _ok_except(report, stage)


def test_dense_relu_mse_student_backward_named_first_wrong_gradient() -> None:
    x, W, b, y = _dense_inputs(2)

    def backward(dloss, cache):
        ddiff = 2 * cache["diff"] / cache["diff"].size * dloss
        da = ddiff
        dz = da  # forgot the ReLU gate
        return {"ddiff": ddiff, "da": da, "dz": dz, "dx": dz @ cache["W"].T, "dW": cache["x"].T @ dz, "db": dz.sum(0)}

    report = drm.check_stages(x, W, b, y, backward=backward)
    assert first_failure(report).name == "dz" and report.first_wrong_stage == "a"
    assert report["ddiff"].agrees and report["da"].agrees


# --------------------------------------------------------- a derivation of your own layer
class Scale(Stage):
    """u = w * x"""

    name, inputs = "u", ("x", "w")

    @staticmethod
    def forward(x, w):
        return w * x

    @staticmethod
    def backward(du, x, w):
        """dx = w * du;  dw = sum_i x_i * du_i"""
        return w * du, np.sum(x * du, axis=0)


class Softplus(Stage):
    """s = log(1 + exp(u))"""

    name, inputs = "s", ("u",)

    @staticmethod
    def forward(u):
        return np.log1p(np.exp(u))

    @staticmethod
    def backward(ds, u):
        """du = ds * sigmoid(u)"""
        return ds / (1 + np.exp(-u))


class Total(Stage):
    """loss = sum(s)"""

    name, inputs = "loss", ("s",)

    @staticmethod
    def forward(s):
        return np.sum(s)

    @staticmethod
    def backward(dloss, s):
        """ds = dloss (every element)"""
        return np.ones_like(s) * dloss


SOFTPLUS = Derivation("w * x -> softplus -> sum", (Scale, Softplus, Total), inputs=("x", "w"))


def test_a_derivation_of_your_own_uses_the_same_machinery() -> None:
    values = {"x": RNG.standard_normal((4, 2)), "w": np.array([0.5, -2.0])}
    report = SOFTPLUS.check(values)
    assert report, str(report)
    assert "s = log(1 + exp(u))" in str(report) and "du = ds * sigmoid(u)" in SOFTPLUS.table()
    wrong = SOFTPLUS.check(values, overrides={"s": lambda ds, u: ds * np.exp(u)})  # forgot the 1/(1+e^u)
    assert not wrong and wrong.first_wrong_stage == "s"
    _ok_except(wrong, "s")
    yours = SOFTPLUS.check(values, backward=lambda dloss, cache: {"ds": np.ones((4, 2)), "du": np.ones((4, 2))})
    assert first_failure(yours).name == "du"


def test_derivation_definition_errors() -> None:
    with pytest.raises(ValueError, match="stage 's' is differentiated with respect to \\['u'\\]"):
        Derivation("bad", (Softplus, Total), inputs=("x",))
    with pytest.raises(ValueError, match="reuses the name"):
        Derivation("bad", (Scale, Scale), inputs=("x", "w"))
    with pytest.raises(KeyError, match="forward needs w"):
        SOFTPLUS.forward({"x": np.ones(2)})
    cache = SOFTPLUS.forward({"x": np.ones((2, 2)), "w": np.ones(2)})
    with pytest.raises(ValueError, match=r"dloss has shape \(2,\), but loss has shape \(\)"):
        SOFTPLUS.backward(np.ones(2), cache)
    with pytest.raises(ValueError, match="returned 1 gradient\\(s\\); it must return one per input: dx, dw"):
        SOFTPLUS.backward(1.0, cache, overrides={"u": lambda du: du})
