"""minigrad.derivations.batchnorm: the staged derivation against PyTorch and TensorFlow numbers,
the compact forms, the report, and seed 004's explanation (minigrad.derivations.seed004)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import grad_of
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad.derivations import batchnorm as bn
from minigrad.derivations import seed004
from minigrad.reference import keras_values as K
from minigrad.reference import torch_values as T

EPS_TAGS = {1e-7: "EPS1E7", 1e-3: "EPS1E3"}


def _reference(source, mode: str, eps: float, what: str) -> np.ndarray:
    return getattr(source, f"GRAD_{'TRAIN' if mode == 'train' else 'EVAL'}_{EPS_TAGS[eps]}_{what}")


def _moving(source) -> tuple[np.ndarray, np.ndarray]:
    if source is T:
        return T.GRAD_RUNNING_MEAN, T.GRAD_RUNNING_VAR
    return K.GRAD_MOVING_MEAN, K.GRAD_MOVING_VAR


def _run(mode: str, eps: float, source=T):
    """Forward and staged backward of the reference scenario (x (4, 3), float64)."""
    if mode == "train":
        out, cache = bn.forward(source.GRAD_X, source.GRAD_GAMMA, source.GRAD_BETA, eps)
        return out, cache, bn.backward(source.GRAD_DOUT, cache), bn.backward_compact(source.GRAD_DOUT, cache)
    mean, var = _moving(source)
    out, cache = bn.forward_eval(source.GRAD_X, source.GRAD_GAMMA, source.GRAD_BETA, mean, var, eps)
    return out, cache, bn.backward_eval(source.GRAD_DOUT, cache), bn.backward_eval_compact(source.GRAD_DOUT, cache)


# ---------------------------------------------------------------------- reference numbers
@pytest.mark.parametrize("source", [T, K], ids=["torch", "tensorflow"])
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("eps", [1e-7, 1e-3])
def test_staged_and_compact_match_framework_numbers(source, mode: str, eps: float) -> None:
    out, _, staged, compact = _run(mode, eps, source)
    np.testing.assert_allclose(out, _reference(source, mode, eps, "OUT"), rtol=1e-10, atol=1e-12)
    for name, ours, theirs in zip(("dx", "dgamma", "dbeta"), staged, ("DX", "DGAMMA", "DBETA")):
        np.testing.assert_allclose(ours, _reference(source, mode, eps, theirs), rtol=1e-9, atol=1e-11, err_msg=name)
    for name, a, b in zip(("dx", "dgamma", "dbeta"), staged, compact):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"staged vs compact {name}")


def test_reference_scenario_really_depends_on_eps_and_mode() -> None:
    """The scenario is sharp: column 2 has variance ~2e-4, so eps and mode move dx a lot."""
    assert np.abs(T.GRAD_TRAIN_EPS1E7_DX - T.GRAD_TRAIN_EPS1E3_DX).max() > 1.0
    assert np.abs(T.GRAD_TRAIN_EPS1E7_DX - T.GRAD_EVAL_EPS1E7_DX).max() > 1.0
    _, _, train7, _ = _run("train", 1e-7)
    _, _, train3, _ = _run("train", 1e-3)
    assert not np.allclose(train7[0], T.GRAD_TRAIN_EPS1E3_DX, rtol=1e-3)
    assert not np.allclose(train3[0], T.GRAD_TRAIN_EPS1E7_DX, rtol=1e-3)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("eps", [1e-7, 1e-3])
def test_live_parity_with_torch(mode: str, eps: float) -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(T.GRAD_X, requires_grad=True)
    layer = torch.nn.BatchNorm1d(3, eps=eps).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(T.GRAD_GAMMA))
        layer.bias.copy_(torch.tensor(T.GRAD_BETA))
        layer.running_mean.copy_(torch.tensor(T.GRAD_RUNNING_MEAN))
        layer.running_var.copy_(torch.tensor(T.GRAD_RUNNING_VAR))
    layer.train(mode == "train")
    (layer(x) * torch.tensor(T.GRAD_DOUT)).sum().backward()
    _, _, (dx, dgamma, dbeta), _ = _run(mode, eps)
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dgamma, layer.weight.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dbeta, layer.bias.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_cache_holds_every_stage_by_name() -> None:
    x, gamma, beta = T.GRAD_X, T.GRAD_GAMMA, T.GRAD_BETA
    out, cache = bn.forward(x, gamma, beta, eps=1e-5)
    assert [s.name for s in bn.TRAIN.stages] == ["mu", "xmu", "sq", "var", "sqrtvar", "ivar", "xhat", "gammax", "out"]
    mu, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(cache["mu"], mu)
    np.testing.assert_allclose(cache["var"], var)
    np.testing.assert_allclose(cache["ivar"], 1 / np.sqrt(var + 1e-5))
    np.testing.assert_allclose(cache["xhat"], (x - mu) / np.sqrt(var + 1e-5))
    np.testing.assert_allclose(out, gamma * (x - mu) / np.sqrt(var + 1e-5) + beta)
    assert out is cache["out"]


def test_intermediate_gradients_in_backward_order() -> None:
    dout = T.GRAD_DOUT
    _, cache = bn.forward(T.GRAD_X, T.GRAD_GAMMA, T.GRAD_BETA, eps=1e-3)
    g = bn.gradients(dout, cache)
    assert list(g) == [
        "dout",
        "dgammax",
        "dbeta",
        "dgamma",
        "dxhat",
        "divar",
        "dsqrtvar",
        "dvar",
        "dsq",
        "dxmu",
        "dmu",
        "dx",
    ]
    # dxmu is the TOTAL gradient of xmu: the path through xhat plus the path through sq.
    dxmu1 = g["dxhat"] * cache["ivar"]
    dxmu2 = 2 * cache["xmu"] * np.ones_like(cache["xmu"]) * g["dvar"] / dout.shape[0]
    np.testing.assert_allclose(g["dxmu"], dxmu1 + dxmu2, rtol=1e-12)
    np.testing.assert_allclose(g["dx"], T.GRAD_TRAIN_EPS1E3_DX, rtol=1e-9)


@given(n=st.integers(1, 6), d=st.integers(1, 4), seed=seeds, eps=st.sampled_from([1e-7, 1e-5, 1e-3]))
def test_staged_equals_compact_and_autograd(n: int, d: int, seed: int, eps: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.1, 3, d)
    gamma, beta, dout = rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal((n, d))
    _, cache = bn.forward(x, gamma, beta, eps)
    staged, compact = bn.backward(dout, cache), bn.backward_compact(dout, cache)
    leaves = [mg.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    mg.nn.functional.batch_norm_composed(leaves[0], leaves[1], leaves[2], eps=eps).backward(dout)
    for a, b, t in zip(staged, compact, leaves):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(a, grad_of(t), rtol=1e-8, atol=1e-10)


def test_eval_backward_is_the_closed_form_and_differs_from_training() -> None:
    mean, var = T.GRAD_RUNNING_MEAN, T.GRAD_RUNNING_VAR
    _, cache = bn.forward_eval(T.GRAD_X, T.GRAD_GAMMA, T.GRAD_BETA, mean, var, eps=1e-3)
    dx, _, _ = bn.backward_eval(T.GRAD_DOUT, cache)
    np.testing.assert_allclose(dx, T.GRAD_DOUT * T.GRAD_GAMMA / np.sqrt(var + 1e-3), rtol=1e-12)
    wrong, _, _ = bn.backward_train_on_eval(T.GRAD_DOUT, cache)
    assert np.abs(wrong - dx).max() > 1.0


def test_backward_refuses_an_inference_cache() -> None:
    _, cache = bn.forward_eval(T.GRAD_X, T.GRAD_GAMMA, T.GRAD_BETA)
    with pytest.raises(ValueError, match="backward_eval"):
        bn.backward(T.GRAD_DOUT, cache)


def test_shape_errors_name_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"gamma has shape \(2,\).*\(4, 3\)"):
        bn.forward(T.GRAD_X, np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"\(N, D\).*\(12,\)"):
        bn.forward(T.GRAD_X.ravel(), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dout has shape \(3, 3\)"):
        bn.check_stages(T.GRAD_X, np.ones(3), np.zeros(3), dout=np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"moving_variance has shape \(2,\)"):
        bn.forward_eval(T.GRAD_X, np.ones(3), np.zeros(3), 0.0, np.ones(2))
    with pytest.raises(ValueError, match="mode must be 'train' or 'eval'"):
        bn.check_stages(T.GRAD_X, np.ones(3), np.zeros(3), mode="test")


# ------------------------------------------------------------------------------ the report
@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("eps", [1e-7, 1e-3])
def test_check_stages_passes_on_the_reference_scenario(mode: str, eps: float) -> None:
    report = bn.check_stages(
        T.GRAD_X,
        T.GRAD_GAMMA,
        T.GRAD_BETA,
        T.GRAD_DOUT,
        eps=eps,
        mode=mode,
        moving_mean=T.GRAD_RUNNING_MEAN,
        moving_variance=T.GRAD_RUNNING_VAR,
    )
    assert report, str(report)
    stages = report.section("stages")
    expected = [s.name for s in (bn.TRAIN if mode == "train" else bn.EVAL).stages]
    assert [r.name for r in stages] == expected
    for row in stages:
        assert row.max_rel_error < 1e-7 and row.max_abs_error < 1e-6, row
    ends = {r.name: r for r in report.section("end to end")}
    assert ends["staged vs autograd"].max_abs_error < 1e-10
    assert ends["staged vs fused layer"].max_abs_error < 1e-10
    assert ends["staged vs numeric"].max_rel_error < 1e-6


@given(
    n=st.integers(1, 5),
    d=st.integers(1, 3),
    seed=seeds,
    mode=st.sampled_from(["train", "eval"]),
    log_eps=st.floats(-9, -2),
    log_scale=st.floats(-3, 2),
)
def test_check_stages_passes_for_a_right_derivation(
    n: int, d: int, seed: int, mode: str, log_eps: float, log_scale: float
) -> None:
    """Tiny variances and tiny eps (near sqrt's singularity) and large values included."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * 10**log_scale + rng.standard_normal(d) * 10
    report = bn.check_stages(
        x,
        rng.standard_normal(d),
        rng.standard_normal(d),
        eps=10**log_eps,
        mode=mode,
        seed=seed,
        moving_mean=rng.standard_normal(d),
        moving_variance=rng.uniform(0.01, 3, d),
    )
    assert report, str(report)


def test_eval_report_shows_the_mistake_without_failing() -> None:
    report = bn.check_stages(
        T.GRAD_X,
        T.GRAD_GAMMA,
        T.GRAD_BETA,
        T.GRAD_DOUT,
        eps=1e-7,
        mode="eval",
        moving_mean=T.GRAD_RUNNING_MEAN,
        moving_variance=T.GRAD_RUNNING_VAR,
    )
    mistake = report["MISTAKE: train backward on eval forward"]
    assert mistake.expect == "disagree" and not mistake.agrees
    assert mistake.max_abs_error > 1.0  # seed 004's error is large, not rounding
    assert mistake.passed and report.passed
    text = str(report)
    assert "disagrees, as expected" in text and "mistake" in text.lower()
    # The size of the mistake, independently: seed 004's own code with the moving statistics put in.
    right = T.GRAD_DOUT * T.GRAD_GAMMA / np.sqrt(T.GRAD_RUNNING_VAR + 1e-7)
    wrong = seed004.naive_backward(
        T.GRAD_DOUT, T.GRAD_X, T.GRAD_GAMMA, eps=1e-7, mean=T.GRAD_RUNNING_MEAN, variance=T.GRAD_RUNNING_VAR
    )
    assert mistake.max_abs_error == pytest.approx(np.abs(wrong - right).max(), rel=1e-9)


def test_report_text_and_html() -> None:
    report = bn.check_stages(T.GRAD_X, T.GRAD_GAMMA, T.GRAD_BETA, eps=1e-3)
    text = str(report)
    assert text.startswith("BatchNorm, training mode") and "PASSED" in text.splitlines()[0]
    for stage in bn.TRAIN.stages:
        assert stage.formula() in text and stage.backward_formula() in text
    assert "sqrtvar = sqrt(var + eps)" in text and "dsqrtvar = -1 / sqrtvar**2 * divar" in text
    assert "~1e-12 or below" in text and "~1e-7 or below" in text  # expected ranges, cs231n style
    html = report._repr_html_()
    assert "<table>" in html and "ivar = 1 / sqrtvar" in html and "PASSED" in html
    assert report.first_failure is None and report.first_wrong_stage is None
    assert len(report) == len(report.rows) and report["xhat"].name == "xhat"
    with pytest.raises(KeyError, match="no row 'nope'"):
        report["nope"]


def test_stage_table_for_notes() -> None:
    table = bn.table()
    assert table.splitlines()[0].split() == ["stage", "forward", "local", "backward"]
    assert "ivar     ivar = 1 / sqrtvar" in table
    assert "dx = dout * gamma" not in table
    assert "xhat = xmu / sqrt(moving_variance + eps)" in bn.table("eval")


# ------------------------------------------------------------------------------ seed 004
def test_seed004_naive_backward_matches_tensorflow_on_the_seeds_layer() -> None:
    """The transcribed naive backward vs TF's GradientTape through the seed's own training()."""
    ones, zeros = np.ones(3), np.zeros(3)
    np.testing.assert_allclose(seed004.seed_training_forward(K.GRAD_X, ones, zeros), K.SEED004_TRAINING_OUT, rtol=1e-10)
    dx = seed004.naive_backward(K.GRAD_DOUT, K.GRAD_X, ones)
    np.testing.assert_allclose(dx, K.SEED004_TRAINING_DX, rtol=1e-9, atol=1e-11)


def test_seed004_naive_test_mode_is_wrong_and_the_constant_statistics_formula_is_right() -> None:
    ones, zeros = np.ones(3), np.zeros(3)
    np.testing.assert_allclose(seed004.seed_testing_forward(K.GRAD_X, ones, zeros), K.SEED004_TESTING_OUT, rtol=1e-10)
    _, cache = bn.forward_eval(K.GRAD_X, ones, zeros, 0.0, 1.0, eps=1e-7)
    dx, dgamma, dbeta = bn.backward_eval(K.GRAD_DOUT, cache)
    np.testing.assert_allclose(dx, K.SEED004_TESTING_DX, rtol=1e-10)
    np.testing.assert_allclose(dgamma, K.SEED004_TESTING_DSCALE, rtol=1e-10)
    np.testing.assert_allclose(dbeta, K.SEED004_TESTING_DBETA, rtol=1e-12)
    naive = seed004.naive_backward(K.GRAD_DOUT, K.GRAD_X, ones, mean=0.0, variance=1.0)
    assert np.abs(naive - K.SEED004_TESTING_DX).max() > 0.1


def test_seed004_eps_alone_moves_dx_against_tensorflow_defaults() -> None:
    """TF's default epsilon 1e-3 vs the seed's 1e-7, on TF's own numbers."""
    naive7 = seed004.naive_backward(K.GRAD_DOUT, K.GRAD_X, K.GRAD_GAMMA)
    naive3 = seed004.naive_backward(K.GRAD_DOUT, K.GRAD_X, K.GRAD_GAMMA, eps=1e-3)
    np.testing.assert_allclose(naive7, K.GRAD_TRAIN_EPS1E7_DX, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(naive3, K.GRAD_TRAIN_EPS1E3_DX, rtol=1e-9, atol=1e-11)
    assert np.abs(naive7 - K.GRAD_TRAIN_EPS1E3_DX).max() > 1e-3


def test_seed004_explain_verifies_every_claim() -> None:
    explanation = seed004.explain()
    assert explanation, str(explanation)
    assert len(explanation.claims) == 4 and all(c.verified for c in explanation.claims)
    eps_row = explanation.claims[1].rows[0]
    # "dx differs by about 4e-4 on a small example" (the default one-neuron example), computed
    # here independently of the module: staged backward at both epsilons.
    _, c7 = bn.forward(seed004.EXAMPLE_X, np.ones(1), np.zeros(1), 1e-7)
    _, c3 = bn.forward(seed004.EXAMPLE_X, np.ones(1), np.zeros(1), 1e-3)
    independent = np.abs(bn.backward(seed004.EXAMPLE_DOUT, c7)[0] - bn.backward(seed004.EXAMPLE_DOUT, c3)[0]).max()
    assert eps_row.max_abs_error == pytest.approx(independent, rel=1e-6)
    assert 1e-4 < eps_row.max_abs_error < 1e-3
    text = str(explanation)
    for phrase in ("epsilon=0.001", "training=False", "constants", "dout * gamma / sqrt(", "How to fix"):
        assert phrase in text
    assert "<pre>" in explanation._repr_html_()


def test_seed004_explain_on_the_reference_inputs() -> None:
    explanation = seed004.explain(K.GRAD_X, K.GRAD_DOUT)
    assert explanation, str(explanation)
    assert explanation.claims[3].rows[0].agrees  # fresh TF-default layer, training=False: dout * gamma / sqrt(1 + 1e-3)
    assert explanation.claims[2].rows[2].max_abs_error > 0.1  # the naive test mode is far off


def test_tensorflow_inference_gradient_is_the_constant_statistics_formula() -> None:
    """Claim 3 on TensorFlow's own numbers (moving statistics that are not 0 and 1)."""
    for eps, dx in ((1e-7, K.GRAD_EVAL_EPS1E7_DX), (1e-3, K.GRAD_EVAL_EPS1E3_DX)):
        np.testing.assert_allclose(dx, K.GRAD_DOUT * K.GRAD_GAMMA / np.sqrt(K.GRAD_MOVING_VAR + eps), rtol=1e-9)
