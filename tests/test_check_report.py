"""One machinery for every gradient comparison (issue 10): gradcheck's report, a derivation's
stage-by-stage check and seed 004's claims are sections of one report type, their numeric
gradients come from one central-difference loop, and a derivation's backward is the engine's."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.derivations import batchnorm as bn
from minigrad.derivations import seed004
from minigrad.gradcheck import CheckReport, CheckRow, Comparison, Section, compare, numerical

X = np.random.default_rng(1).standard_normal((4, 3))
GAMMA, BETA = np.array([1.5, -0.5, 1.0]), np.array([0.0, 0.2, -0.1])


def test_every_check_returns_the_one_report_type() -> None:
    reports = [
        mg.gradcheck(lambda t: (t * t).sum(), [X]),
        bn.check_stages(X, GAMMA, BETA),
        seed004.explain(),
    ]
    for report in reports:
        assert isinstance(report, CheckReport)
        assert all(isinstance(s, Section) for s in report.sections)
        assert all(isinstance(r, CheckRow) for r in report.rows)
        assert report.passed and bool(report)
        html = report._repr_html_()
        assert html.startswith("<div>") and "<table>" in html


def test_derivation_sections_and_seed004_claims_are_sections() -> None:
    report = bn.check_stages(X, GAMMA, BETA)
    assert [s.name for s in report.sections] == ["stages", "end to end"]
    assert report.section("stages").intro.startswith("Each stage's local backward")
    assert report.section("end to end").intro.startswith("End to end: dx, dgamma, dbeta")
    explanation = seed004.explain()
    assert explanation.claims == explanation.sections and len(explanation.sections) == 4
    assert all(c.strict for c in explanation.claims)  # a mistake shown must really disagree


def test_a_strict_section_fails_when_a_mistake_does_not_show() -> None:
    same = np.ones(3)
    shown = compare(("", "mistake", ""), ["dx"], [same], [same], atol=0, rtol=1e-8, expected="", expect="disagree")
    assert shown.passed and not shown.as_expected
    assert Section("demo", [shown]).passed  # a derivation's mistake rows never fail it
    claim = seed004.Claim("a claim", "it shows", [shown])
    report = seed004.Explanation([claim], "example")
    assert not report and "AGREES (claim not shown)" in str(report) and "[NOT VERIFIED]" in str(report)
    assert report.verdict().startswith("FAILED (1 row): first wrong: claim 1 (a claim): 'mistake'")


def test_comparison_names_the_worst_element_and_non_finite_values() -> None:
    c = Comparison("dx", np.array([1.0, 2.0, 5.0]), np.array([1.0, 2.0, 3.0]), 1e-8, 1e-6, ("yours", "ref"))
    assert not c.passed and c.n_failed == 1 and c.worst_index == (2,)
    assert c.worst() == "dx (3,): 1 of 3 elements out of tolerance; worst at (2,): yours 5, ref 3, |diff| 2"
    bad = Comparison("dx", np.array([np.nan, 1.0]), np.array([1.0, 1.0]), 1e-8, 1e-6, ("yours", "ref"))
    assert not bad.passed and bad.worst() == "dx: non-finite values (yours: 1, ref: 0)"
    row = compare(("s", "n", ""), ["dx"], [bad.analytic], [bad.numeric], atol=1e-8, rtol=1e-6, expected="")
    assert not row.agrees and row.max_abs_error == float("inf") and "non-finite" in row.detail


def test_derivation_checks_and_claims_use_the_one_central_difference_loop(monkeypatch) -> None:
    calls = []
    loop = numerical.central_differences

    def counting(*args, **kwargs):
        calls.append(1)
        return loop(*args, **kwargs)

    monkeypatch.setattr(numerical, "central_differences", counting)
    assert bn.check_stages(X, GAMMA, BETA)
    stage_calls = len(calls)
    assert stage_calls >= 3 * (len(bn.TRAIN.stages) + len(bn.TRAIN.inputs))  # three steps per estimate
    assert seed004.explain()
    assert len(calls) > stage_calls


def test_derivation_backward_runs_on_the_engine() -> None:
    """A stage's local backward is a node of the engine's reverse pass: detect_anomaly sees it."""
    _, cache = bn.forward(X, GAMMA, BETA)
    nan_ivar = {"ivar": lambda divar, sqrtvar: divar * np.nan}
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="backward of 'stage'"):
        bn.gradients(np.ones_like(X), cache, overrides=nan_ivar)
    # and the sum over paths is the engine's: dxmu gets both of its stages' gradients
    g = bn.gradients(np.ones_like(X), cache)
    dxmu1 = g["dxhat"] * cache["ivar"]
    np.testing.assert_allclose(g["dxmu"], dxmu1 + 2 * cache["xmu"] * g["dsq"], rtol=1e-12)


def test_staged_backward_keeps_the_dtype_its_arithmetic_gives() -> None:
    _, cache = bn.forward(X.astype(np.float32), GAMMA.astype(np.float32), BETA.astype(np.float32))
    assert all(v.dtype == np.float32 for v in bn.gradients(np.ones((4, 3), np.float32), cache).values())
    assert bn.gradients(np.ones((4, 3)), cache)["dx"].dtype == np.float64
