"""`mg.numerical_grad` against gradients derived by hand, and `mg.gradcheck` both passing correct
functions and catching wrong ones: naming the input, the worst element and both values."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import minigrad as mg

ATOL, RTOL = 1e-5, 1e-3  # gradcheck's documented defaults


# ------------------------------------------------------- deliberately wrong operations
class Cube(mg.Function):
    """y = x**3;  dy/dx = 3 x**2."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x**3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3 * ctx.x**2


class WrongCube(Cube):
    """y = x**3, but backward claims dy/dx = 2x (the derivative of x**2): a classic slip."""

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad * ctx.x


class ForgetsFactor(mg.Function):
    """y = 3 x**2, but backward forgets the 3: claims 2x instead of 6x."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return 3 * x**2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2 * ctx.x


class IgnoresUpstream(mg.Function):
    """y = 2x element-wise, but backward returns 2 instead of 2 * grad.

    Only an all-ones upstream gradient hides this, so it shows that gradcheck reduces a
    non-scalar output with a random upstream.
    """

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        return np.full_like(grad, 2.0)


class OffBy(mg.Function):
    """y = x, with a backward that is off by exactly `delta`: dy/dx claimed as 1 + delta."""

    @staticmethod
    def forward(ctx, x, *, delta):
        ctx.delta = delta
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad * (1 + ctx.delta)


def row_line(report, label: str) -> str:
    """The table row of `str(report)` for one checked input."""
    lines = [line for line in str(report).splitlines() if line.lstrip().startswith(label)]
    assert len(lines) == 1, f"expected one row for {label!r} in:\n{report}"
    return lines[0]


def numbers_in(text: str) -> list[float]:
    """Every number written in `text` (ints, decimals, exponents)."""
    return [float(m) for m in re.findall(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", text)]


def assert_worst_element(row: str, index: str, analytic: float, numeric: float) -> None:
    """The row names `index` as the worst element and, after it, shows both values there."""
    assert index in row, f"worst index {index} not in: {row}"
    after = numbers_in(row.split(index, 1)[1])
    for value in (analytic, numeric):
        assert any(np.isclose(n, value, rtol=1e-4, atol=0) for n in after), f"{value} not after {index} in: {row}"


# ---------------------------------------------------------------- passing functions
@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda x: (x * x).sum(), [(3,)]),
        (lambda x, y: (x @ y).exp().mean(), [(2, 3), (3, 2)]),
        (lambda x, y: x / y, [(2, 3), (3,)]),  # non-scalar output
        (lambda x: x.var(axis=0, ddof=1), [(4, 2)]),
    ],
)
def test_gradcheck_passes_correct_functions(fn, shapes, rng):
    inputs = [rng.uniform(0.5, 2.0, size=s) for s in shapes]
    report = mg.gradcheck(fn, inputs)
    assert report
    assert bool(report) is True
    assert report.passed is True
    assert "FAIL" not in str(report)


def test_gradcheck_passes_a_correct_custom_function(rng):
    assert mg.gradcheck(lambda x: mg.apply(Cube, x), [rng.standard_normal((2, 3))])


def test_gradcheck_accepts_tensors_and_leaves_them_alone():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = np.array([3.0, -1.0])
    before_x, before_c = x.data.copy(), c.copy()
    assert mg.gradcheck(lambda a, b: (a * b).sum(), [x, c])
    assert x.grad is None  # gradcheck works on its own float64 copies
    np.testing.assert_array_equal(x.data, before_x)
    np.testing.assert_array_equal(c, before_c)


def test_gradcheck_leaves_grad_mode_on():
    mg.gradcheck(lambda x: (x * 2.0).sum(), [np.ones(2)])
    assert mg.is_grad_enabled() is True


def test_str_of_a_passing_report_lists_every_input(rng):
    report = mg.gradcheck(lambda x, y: (x * y).sum(), [rng.standard_normal(3), rng.standard_normal(3)])
    text = str(report)
    row_line(report, "input 0")
    row_line(report, "input 1")
    assert "FAIL" not in text


# ----------------------------------------------------------------- failing functions
def test_gradcheck_catches_a_wrong_derivative_and_names_input_index_and_values():
    # Only input 1 goes through the wrong op. At x = [0.6, 3.0, 0.7]:
    #   analytic (claimed) 2x  = [1.2, 6.0, 1.4]
    #   numeric  (true)    3x² = [1.08, 27.0, 1.47]
    # Element 1 is worst by absolute, relative and tolerance-scaled error alike.
    x0 = np.array([1.0, -2.0, 0.5])
    x1 = np.array([0.6, 3.0, 0.7])
    report = mg.gradcheck(lambda a, b: (a * a).sum() + mg.apply(WrongCube, b).sum(), [x0, x1])

    assert not report
    assert report.passed is False
    text = str(report)
    assert "FAIL" in text

    good = row_line(report, "input 0")
    assert "FAIL" not in good

    bad = row_line(report, "input 1")
    assert "FAIL" in bad
    assert_worst_element(bad, "(1,)", analytic=2 * 3.0, numeric=3 * 3.0**2)


def test_gradcheck_catches_a_forgotten_factor_in_a_matrix():
    # analytic 2x, numeric 6x: the error 4|x| is largest where |x| is, at index (1, 0).
    x = np.array([[0.5, -1.0, 0.25], [-4.0, 2.0, 1.5]])
    report = mg.gradcheck(lambda t: mg.apply(ForgetsFactor, t).sum(), [x])
    assert not report
    bad = row_line(report, "input 0")
    assert "FAIL" in bad
    assert_worst_element(bad, "(1, 0)", analytic=2 * -4.0, numeric=6 * -4.0)


def test_gradcheck_catches_a_detached_factor():
    # f = sum(x * detach(x)): the engine sees only one factor, analytic x; the truth is 2x.
    # The error |x| is largest at index (1, 2).
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 2.5]])
    report = mg.gradcheck(lambda t: (t * t.detach()).sum(), [x])
    assert not report
    assert report.passed is False
    bad = row_line(report, "input 0")
    assert "FAIL" in bad
    assert_worst_element(bad, "(1, 2)", analytic=2.5, numeric=5.0)


def test_gradcheck_reduces_a_non_scalar_output_with_a_random_upstream():
    # With an all-ones upstream this wrong backward would look right.
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    report = mg.gradcheck(lambda t: mg.apply(IgnoresUpstream, t), [x])
    assert not report


# ---------------------------------------------------------------------- tolerances
@pytest.mark.parametrize(
    "delta, atol, rtol, passes",
    [
        # An element passes when |analytic - numeric| <= atol + rtol * |numeric|, numeric = 1.
        (0.9e-3, ATOL, RTOL, True),  # 0.9e-3 <= 1.01e-3
        (1.1e-3, ATOL, RTOL, False),  # 1.1e-3 >  1.01e-3
        (0.05, 0.1, 0.0, True),
        (0.15, 0.1, 0.0, False),
        (0.45, 0.0, 0.5, True),
        # rtol scales |numeric| (= 1), not |analytic| (= 1.6): 0.6 > 0.5 * 1 fails.
        (0.6, 0.0, 0.5, False),
    ],
)
def test_gradcheck_tolerance_rule(delta, atol, rtol, passes):
    x = np.array([0.3, -1.2, 2.0])
    report = mg.gradcheck(lambda t: mg.apply(OffBy, t, delta=delta).sum(), [x], atol=atol, rtol=rtol)
    assert bool(report) is passes
    assert report.passed is passes


def test_gradcheck_default_tolerances_fail_an_error_that_a_looser_atol_accepts():
    x = np.array([1.0, 2.0])
    fn = lambda t: mg.apply(OffBy, t, delta=0.01).sum()
    assert not mg.gradcheck(fn, [x])
    assert mg.gradcheck(fn, [x], atol=0.02)


# ------------------------------------------------------------------- float32 inputs
def test_float32_input_is_promoted_with_a_warning_that_says_why():
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return (t * t).sum()

    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    with pytest.warns(UserWarning) as record:
        report = mg.gradcheck(fn, [x])
    message = " ".join(str(w.message) for w in record)
    assert "float32" in message and "float64" in message
    assert re.search(r"round|precision|digits", message), message  # the reason, not just the fact
    assert report
    assert seen and all(dtype == np.float64 for dtype in seen)
    assert x.dtype == np.float32  # the caller's array is untouched
    np.testing.assert_array_equal(x, np.array([1.0, 2.0, 3.0], dtype=np.float32))


def test_float32_tensor_input_also_warns():
    x = mg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert mg.gradcheck(lambda t: t.exp().sum(), [x])


def test_float64_input_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.gradcheck(lambda t: t.exp().sum(), [np.ones(3)])


# ---------------------------------------------------------------- non-scalar outputs
def test_non_scalar_output_report_is_identical_across_calls(rng):
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 4))
    first = mg.gradcheck(lambda x, y: x @ y, [a, b])
    second = mg.gradcheck(lambda x, y: x @ y, [a, b])
    assert first and second
    assert str(first) == str(second)


def test_non_scalar_failing_report_is_identical_across_calls():
    # The analytic values of a wrong op depend on the upstream: equal reports mean a fixed seed.
    x = np.array([[0.6, 3.0], [0.7, -1.5]])
    first = mg.gradcheck(lambda t: mg.apply(WrongCube, t), [x])
    second = mg.gradcheck(lambda t: mg.apply(WrongCube, t), [x])
    assert not first and not second
    assert str(first) == str(second)


def test_gradcheck_of_a_function_returning_a_non_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="Tensor"):
        mg.gradcheck(lambda t: t.data.sum(), [np.ones(2)])


# ----------------------------------------------------------------- numerical_grad
def test_numerical_grad_of_a_sum_of_squares():
    # f = sum(x²)  =>  df/dx = 2x
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    (g,) = mg.numerical_grad(lambda t: (t * t).sum(), [x])
    np.testing.assert_allclose(g, 2 * x, rtol=1e-7, atol=1e-8)


def test_numerical_grad_of_a_product_has_one_array_per_input():
    # f = sum(x * y)  =>  df/dx = y, df/dy = x
    x, y = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 4.0])
    grads = mg.numerical_grad(lambda a, b: (a * b).sum(), [x, y])
    assert isinstance(grads, list) and len(grads) == 2
    np.testing.assert_allclose(grads[0], y, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(grads[1], x, rtol=1e-7, atol=1e-8)


def test_numerical_grad_of_matmul():
    # f = sum(X @ W)  =>  df/dX = 1 @ W^T (row sums of W),  df/dW = X^T @ 1 (column sums of X)
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    W = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 3.0]])
    gX, gW = mg.numerical_grad(lambda a, b: (a @ b).sum(), [X, W])
    np.testing.assert_allclose(gX, np.tile(W.sum(axis=1), (2, 1)), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(gW, np.tile(X.sum(axis=0)[:, None], (1, 2)), rtol=1e-7, atol=1e-7)


def test_numerical_grad_of_exp_log_and_variance():
    x = np.array([0.5, 1.0, 2.0, 4.0])
    (g_exp,) = mg.numerical_grad(lambda t: t.exp().sum(), [x])
    np.testing.assert_allclose(g_exp, np.exp(x), rtol=1e-7)
    (g_log,) = mg.numerical_grad(lambda t: t.log().sum(), [x])
    np.testing.assert_allclose(g_log, 1 / x, rtol=1e-6)
    # var(x) = mean((x - m)²)  =>  d var / dx_i = 2 (x_i - m) / n
    (g_var,) = mg.numerical_grad(lambda t: t.var(), [x])
    np.testing.assert_allclose(g_var, 2 * (x - x.mean()) / x.size, rtol=1e-6, atol=1e-8)


def test_numerical_grad_is_a_central_difference_with_the_given_eps():
    # For x³ the central difference is exactly ((x+e)³ - (x-e)³) / 2e = 3x² + e²
    # (a forward difference would give 3x² + 3xe + e²).
    x = np.array([1.0, 2.0, -3.0])
    eps = 1e-2
    (g,) = mg.numerical_grad(lambda t: (t**3).sum(), [x], eps=eps)
    np.testing.assert_allclose(g, 3 * x**2 + eps**2, rtol=1e-10)


def test_numerical_grad_works_in_float64_and_leaves_inputs_alone():
    x = np.array([1.0, 2.0], dtype=np.float32)
    t = mg.tensor([3.0, 4.0])
    received = []

    def fn(a, b):
        received.append((type(a), a.dtype, type(b), b.dtype))
        return (a * b).sum()

    ga, gb = mg.numerical_grad(fn, [x, t])
    assert ga.dtype == np.float64 and gb.dtype == np.float64
    assert ga.shape == (2,) and gb.shape == (2,)
    np.testing.assert_allclose(ga, [3.0, 4.0], rtol=1e-7)
    np.testing.assert_allclose(gb, [1.0, 2.0], rtol=1e-7)
    assert all(r == (mg.Tensor, np.float64, mg.Tensor, np.float64) for r in received)
    np.testing.assert_array_equal(x, np.array([1.0, 2.0], dtype=np.float32))
    np.testing.assert_array_equal(t.data, [3.0, 4.0])


def test_numerical_grad_of_a_zero_dimensional_input():
    # f = x⁴ at x = 1.5  =>  4 x³ = 13.5
    (g,) = mg.numerical_grad(lambda t: t**4, [np.array(1.5)])
    assert g.shape == ()
    np.testing.assert_allclose(g, 13.5, rtol=1e-7)


def test_numerical_grad_of_a_non_scalar_function_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(3,\)"):
        mg.numerical_grad(lambda t: t * 2.0, [np.ones(3)])


def test_a_detached_input_gets_a_hint_in_the_diagnosis():
    report = mg.gradcheck(lambda x: (x.detach() * 2.0).sum() + (x * 0.0).sum(), [np.ones(3)])
    assert not report
    assert "no gradient reached it at all" in str(report)
