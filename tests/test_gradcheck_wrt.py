"""`gradcheck(..., wrt=...)` (SPEC 0.2): which inputs are checked, integer inputs passed unchanged,
a backward that returned None named as such, and bad arguments refused with a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg


def pick_loss(scores, labels):
    """A loss with integer labels: -mean(scores[i, labels[i]]), as cross-entropy indexes."""
    rows = np.arange(scores.shape[0])
    mask = np.zeros(scores.shape)
    mask[rows, np.asarray(labels.data if isinstance(labels, mg.Tensor) else labels)] = 1.0
    return -(scores * mask).sum() / scores.shape[0]


class ForgetsReturn(mg.Function):
    """y = 2x, whose backward forgets its `return` (returns None)."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        _ = grad * 2  # the missing `return`, on purpose


class NoneForSecond(mg.Function):
    """y = a * b, whose backward gives b nothing."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.b, None


# ------------------------------------------------------------------------- which inputs
def test_integer_labels_are_passed_unchanged_and_not_checked() -> None:
    scores = np.random.default_rng(0).standard_normal((4, 3))
    labels = np.array([0, 2, 1, 2])
    seen = []

    def loss(s, y):
        seen.append(y)
        return pick_loss(s, y)

    report = mg.gradcheck(loss, [scores, labels])
    assert report, str(report)
    assert [r.name for r in report.rows] == ["input 0"]
    assert all(y is labels for y in seen)  # the very array, never perturbed or converted
    np.testing.assert_array_equal(labels, [0, 2, 1, 2])


def test_a_tensor_with_requires_grad_false_is_a_constant_by_default() -> None:
    x = np.array([1.0, 2.0, 3.0])
    c = mg.tensor([0.5, -1.0, 2.0])  # requires_grad=False
    perturbed = []

    def fn(a, b):
        perturbed.append(b.data.copy())
        return (a * b).sum()

    report = mg.gradcheck(fn, [x, c])
    assert report and [r.name for r in report.rows] == ["input 0"]
    assert all(np.array_equal(p, c.data) for p in perturbed)
    # asked for explicitly, it is checked like any float input
    report = mg.gradcheck(fn, [x, c], wrt=[1])
    assert report and [r.name for r in report.rows] == ["input 1"]
    np.testing.assert_allclose(report["input 1"].analytic, x)


def test_wrt_selects_positions_and_keeps_their_labels() -> None:
    a, b, c = np.ones(2), np.full(2, 2.0), np.full(2, 3.0)
    report = mg.gradcheck(lambda x, y, z: (x * y * z).sum(), [a, b, c], wrt=[2, 0])
    assert [r.name for r in report.rows] == ["input 0", "input 2"]
    np.testing.assert_allclose(report["input 2"].numeric, a * b, rtol=1e-7)
    assert mg.gradcheck(lambda x, y, z: (x * y * z).sum(), [a, b, c], wrt=[-1])["input 2"]


def test_wrong_gradient_of_an_unchecked_input_is_not_reported() -> None:
    fn = lambda x, y: (x * mg.apply(NoneForSecond, x, y)).sum()
    assert mg.gradcheck(fn, [np.ones(2), np.full(2, 3.0)], wrt=[0])


# ------------------------------------------------------------------ a backward with None
def test_a_backward_that_forgot_return_is_named() -> None:
    report = mg.gradcheck(lambda t: mg.apply(ForgetsReturn, t).sum(), [np.array([1.0, -2.0])])
    assert not report
    text = str(report)
    assert "the backward of 'forgetsreturn' returned None for its input 0, which needs a gradient" in text
    assert "forgot to return it" in text
    assert "no gradient reached it at all" not in text  # the None is the reason, not a detached path


def test_none_for_one_input_names_that_input_only() -> None:
    report = mg.gradcheck(lambda a, b: mg.apply(NoneForSecond, a, b).sum(), [np.ones(3), np.full(3, 2.0)])
    assert not report and report["input 0"].passed and not report["input 1"].passed
    assert "returned None for its input 1" in report["input 1"].diagnosis()
    assert report.notes == [
        "input 1: the backward of 'noneforsecond' returned None for its input 1, which needs a gradient "
        "(counted as a zero gradient)"
    ]


def test_none_behind_an_intermediate_is_traced_to_the_input() -> None:
    fn = lambda a, b: (mg.apply(NoneForSecond, a, b.exp()) * 1.0).sum()
    report = mg.gradcheck(fn, [np.ones(2), np.zeros(2)])
    assert not report["input 1"].passed
    assert "returned None for its input 1" in report["input 1"].diagnosis()


def test_a_none_where_the_true_gradient_is_zero_passes_with_a_note() -> None:
    report = mg.gradcheck(lambda a, b: mg.apply(NoneForSecond, a, b).sum(), [np.zeros(2), np.ones(2)])
    assert report and any("returned None" in n for n in report.notes)
    assert "note: input 1" in str(report)


# ------------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"eps": 0}, ValueError, "eps must be a positive, finite number"),
        ({"eps": -1e-6}, ValueError, "eps must be a positive"),
        ({"eps": float("nan")}, ValueError, "eps must be a positive"),
        ({"eps": "1e-6"}, TypeError, "eps must be a number, got str"),
        ({"atol": "1e-5"}, TypeError, "atol must be a number, got str"),
        ({"rtol": "big"}, TypeError, "rtol must be a number"),
        ({"atol": -1.0}, ValueError, "atol must be a finite number >= 0"),
        ({"rtol": float("inf")}, ValueError, "rtol must be a finite number >= 0"),
        ({"wrt": 0}, TypeError, "wrt must be a list of input positions"),
        ({"wrt": [5]}, ValueError, "wrt position 5 is out of range for 2 inputs"),
        ({"wrt": ["0"]}, TypeError, "wrt holds input positions"),
        ({"wrt": [1]}, ValueError, "input 1 has dtype int64: only floating-point inputs"),
    ],
)
def test_bad_arguments_are_clear_errors_naming_gradcheck(kwargs, error, message) -> None:
    with pytest.raises(error, match="gradcheck: " + message.replace("(", r"\(")):
        mg.gradcheck(pick_loss, [np.ones((2, 3)), np.array([0, 1])], **kwargs)


def test_bad_input_lists_are_clear_errors() -> None:
    with pytest.raises(TypeError, match=r"gradcheck: inputs must be a list .* got a single ndarray; wrap it: \[x\]"):
        mg.gradcheck(lambda t: t.sum(), np.ones(3))  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(TypeError, match="got a single Tensor"):
        mg.gradcheck(lambda t: t.sum(), mg.tensor([1.0]))  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(ValueError, match="gradcheck: inputs is empty"):
        mg.gradcheck(lambda: mg.tensor(1.0), [])
    with pytest.raises(ValueError, match="gradcheck: nothing to check"):
        mg.gradcheck(lambda y: mg.tensor(1.0), [np.array([1, 2])])
    with pytest.raises(ValueError, match="numerical_grad: eps must be a positive"):
        mg.numerical_grad(lambda t: t.sum(), [np.ones(2)], eps=0.0)
    with pytest.raises(TypeError, match="numerical_grad: inputs must be a list"):
        mg.numerical_grad(lambda t: t.sum(), np.ones(2))  # type: ignore[arg-type]  # the wrong type is the test


def test_zero_tolerances_ask_for_exact_agreement() -> None:
    report = mg.gradcheck(lambda t: (t * 2.0).sum(), [np.ones(2)], atol=0.0, rtol=0.0)
    assert isinstance(str(report), str)  # renders (no division by a zero tolerance)
    assert bool(report) == bool(np.all(report["input 0"].analytic == report["input 0"].numeric))
