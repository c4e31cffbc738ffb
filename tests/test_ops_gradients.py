"""Every op's forward against NumPy and its gradient against central differences, in float64.

Shapes come from hypothesis, broadcasting in both directions and with size-1 axes; Python numbers
and NumPy arrays appear on either side of the operators. Where a derivative has a short closed
form, it is also checked against that formula written out by hand here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import grad_of
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import basic_indices
from strategies import axes, broadcastable_pairs, seeds, shapes

import minigrad as mg


# ------------------------------------------------------------------------------ helpers
def assert_gradients_match(fn, inputs) -> None:
    """The engine's gradient of `fn` equals central differences, checked two independent ways.

    1. `mg.gradcheck` (element-wise tolerance, seeded upstream for non-scalar outputs).
    2. Our own upstream `u`: backward of sum(u * fn) on fresh leaves vs `mg.numerical_grad`.
    """
    report = mg.gradcheck(fn, inputs)
    assert report, str(report)
    assert report.passed

    leaves = [mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in inputs]
    out = fn(*leaves)
    u = np.random.default_rng(1).uniform(0.5, 1.5, size=out.shape)
    (out * u).sum().backward()
    numeric = mg.numerical_grad(lambda *ts: (fn(*ts) * u).sum(), inputs)
    for leaf, expected in zip(leaves, numeric):
        analytic = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad
        assert analytic.shape == leaf.shape
        np.testing.assert_allclose(analytic, expected, rtol=1e-5, atol=1e-6)


def backward_with_upstream(out: mg.Tensor, rng: np.random.Generator) -> np.ndarray:
    """Run out.backward(u) for a random u and return u (for closed-form checks)."""
    u = rng.standard_normal(out.shape)
    out.backward(u)
    return u


def signed_away_from_zero(rng: np.random.Generator, shape, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Values with |v| in [low, high]: safe denominators, and no ReLU kink within eps."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ------------------------------------------------------------ element-wise binary operators
BINARY_OPS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
}

# Which side is a tensor (t), a NumPy array (a) or a Python number (n).
OPERAND_KINDS = [("t", "t"), ("t", "a"), ("a", "t"), ("t", "n"), ("n", "t")]


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
@given(shapes=broadcastable_pairs(), kinds=st.sampled_from(OPERAND_KINDS), seed=seeds)
def test_binary_op_forward_and_gradient(name, shapes, kinds, seed):
    op = BINARY_OPS[name]
    rng = np.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a = rng.standard_normal(shape_a)
    b = signed_away_from_zero(rng, shape_b) if name == "div" else rng.standard_normal(shape_b)
    if kinds[0] == "n":
        a = float(rng.uniform(0.5, 2.0))
    if kinds[1] == "n":
        b = float(rng.uniform(0.5, 2.0))

    # Forward, with the mixed operand kinds exactly as a user writes them.
    left = mg.tensor(a) if kinds[0] == "t" else a
    right = mg.tensor(b) if kinds[1] == "t" else b
    out = op(left, right)
    assert isinstance(out, mg.Tensor)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, op(np.asarray(a), np.asarray(b)))

    # Gradient with respect to the tensor operands only; arrays and numbers are constants.
    if kinds == ("t", "t"):
        assert_gradients_match(op, [a, b])
    elif kinds[0] == "t":
        assert_gradients_match(lambda x: op(x, b), [a])
    else:
        assert_gradients_match(lambda y: op(a, y), [b])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((3, 1), (1, 4)),  # both operands stretched
        ((2, 3), (3,)),  # right operand gains an axis
        ((3,), (2, 3)),  # left operand gains an axis
        ((), (2, 2)),  # scalar tensor against a matrix
        ((2, 2), ()),
        ((1,), (2, 3, 1)),
        ((2, 1, 3), (4, 1)),
        ((1, 1), (1, 1)),
    ],
)
@pytest.mark.parametrize("name", sorted(BINARY_OPS))
def test_binary_op_gradient_sums_back_over_broadcast_axes(name, shape_a, shape_b, rng):
    op = BINARY_OPS[name]
    a = rng.standard_normal(shape_a)
    b = signed_away_from_zero(rng, shape_b)
    assert_gradients_match(op, [a, b])


def test_binary_gradients_closed_form_with_broadcasting(rng):
    # a: (3, 1), b: (1, 4). Upstream u: (3, 4). Summing over the stretched axis by hand:
    #   d(a*b)/da = sum_j u*b,  d(a/b)/db = sum_i -u*a/b**2,  d(a-b)/db = -sum_i u.
    a = rng.standard_normal((3, 1))
    b = signed_away_from_zero(rng, (1, 4))
    u = rng.standard_normal((3, 4))

    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    (x * y).backward(u)
    np.testing.assert_allclose(grad_of(x), (u * b).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(grad_of(y), (u * a).sum(axis=0, keepdims=True))

    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    (x / y).backward(u)
    np.testing.assert_allclose(grad_of(x), (u / b).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(grad_of(y), (-u * a / b**2).sum(axis=0, keepdims=True))

    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    (x - y).backward(u)
    np.testing.assert_allclose(grad_of(x), u.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(grad_of(y), -u.sum(axis=0, keepdims=True))


def test_reflected_operators_closed_form(rng):
    # c (op) x with c a number or an array: d(c - x)/dx = -1, d(c / x)/dx = -c / x**2.
    a = signed_away_from_zero(rng, (2, 3))
    c = rng.standard_normal((3,))
    for const in (2.5, c):
        x = mg.tensor(a, requires_grad=True)
        (const - x).sum().backward()
        np.testing.assert_allclose(grad_of(x), -np.ones((2, 3)))

        x = mg.tensor(a, requires_grad=True)
        (const / x).sum().backward()
        np.testing.assert_allclose(grad_of(x), -np.broadcast_to(const, (2, 3)) / a**2)

        x = mg.tensor(a, requires_grad=True)
        (const * x).sum().backward()
        np.testing.assert_allclose(grad_of(x), np.broadcast_to(const, (2, 3)))


# ------------------------------------------------------------------------------- pow
# (neg is with the unary functions below)
@given(
    shape=shapes(),
    exponent=st.sampled_from([0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.5]),
    seed=seeds,
)
def test_pow_forward_and_gradient(shape, exponent, seed):
    rng = np.random.default_rng(seed)
    # Fractional powers need a positive base; negative powers need one away from zero.
    if float(exponent).is_integer():
        a = signed_away_from_zero(rng, shape)
    else:
        a = rng.uniform(0.5, 2.0, size=shape)
    np.testing.assert_allclose((mg.tensor(a) ** exponent).data, a**exponent)
    assert_gradients_match(lambda x: x**exponent, [a])


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, 1.5])
def test_pow_gradient_closed_form(exponent, rng):
    # d(x**p)/dx = p * x**(p - 1)
    a = rng.uniform(0.5, 2.0, size=(2, 3))
    x = mg.tensor(a, requires_grad=True)
    u = backward_with_upstream(x**exponent, rng)
    np.testing.assert_allclose(grad_of(x), u * exponent * a ** (exponent - 1))


def test_pow_zero_has_zero_gradient_even_at_zero():
    x = mg.tensor([0.0, 1.0, -2.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


# ------------------------------------------------------------------------------- matmul
@st.composite
def matmul_operands(draw):
    """Shapes for a @ b: matrices, 1-D operands, and batch axes broadcasting either way."""
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    a_vec, b_vec = draw(st.booleans()), draw(st.booleans())
    batch = draw(broadcastable_pairs(max_dims=2))
    batch_a, batch_b = batch.input_shapes
    a_shape = (k,) if a_vec else batch_a + (n, k)
    b_shape = (k,) if b_vec else batch_b + (k, m)
    return a_shape, b_shape


@given(shapes=matmul_operands(), seed=seeds, kind=st.sampled_from([("t", "t"), ("t", "a"), ("a", "t")]))
def test_matmul_forward_and_gradient(shapes, seed, kind):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    left = mg.tensor(a) if kind[0] == "t" else a
    right = mg.tensor(b) if kind[1] == "t" else b
    out = left @ right
    assert isinstance(out, mg.Tensor)
    np.testing.assert_allclose(out.data, a @ b)
    if kind == ("t", "t"):
        assert_gradients_match(operator.matmul, [a, b])
    elif kind[0] == "t":
        assert_gradients_match(lambda x: x @ b, [a])
    else:
        assert_gradients_match(lambda y: a @ y, [b])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [
        ((2, 3), (3, 4)),
        ((3,), (3, 4)),  # vector @ matrix
        ((2, 3), (3,)),  # matrix @ vector
        ((5, 2, 3), (3, 4)),  # batched @ matrix: b's gradient sums over the batch
        ((2, 3), (5, 3, 4)),  # matrix @ batched: a's gradient sums over the batch
        ((2, 1, 2, 3), (4, 3, 2)),  # batch axes broadcast in both directions
        ((3,), (2, 3, 4)),  # vector @ batched
        ((2, 4, 3), (3,)),  # batched @ vector
    ],
)
def test_matmul_gradient_shapes(shape_a, shape_b, rng):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    assert_gradients_match(operator.matmul, [a, b])


def test_matmul_gradient_closed_form(rng):
    # Y = A @ B:  dL/dA = G @ B^T,  dL/dB = A^T @ G.
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    x, y = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    g = backward_with_upstream(x @ y, rng)
    np.testing.assert_allclose(grad_of(x), g @ b.T)
    np.testing.assert_allclose(grad_of(y), a.T @ g)


def test_matmul_of_two_vectors_gradient(rng):
    # y = u . v:  dy/du = v, dy/dv = u.
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    u, v = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    out = u @ v
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), a @ b)
    out.backward()
    np.testing.assert_allclose(grad_of(u), b)
    np.testing.assert_allclose(grad_of(v), a)


# --------------------------------------------------------------------------- reductions
@st.composite
def reduction_cases(draw):
    """(shape, axis, keepdims) with axis None, an int (possibly negative) or a tuple of ints."""
    shape = draw(shapes(max_side=4))
    ndim = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        axis = None if kind != "tuple" else ()
    elif kind == "int":
        axis = draw(axes(ndim))
    else:
        chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in chosen)
    return shape, axis, draw(st.booleans())


def reduced_count(shape, axis) -> int:
    if axis is None:
        return int(np.prod(shape, dtype=int))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=int))


@pytest.mark.parametrize("name", ["sum", "mean"])
@given(case=reduction_cases(), seed=seeds)
def test_sum_and_mean_forward_and_gradient(name, case, seed):
    shape, axis, keepdims = case
    a = np.random.default_rng(seed).standard_normal(shape)
    out = getattr(mg.tensor(a), name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, getattr(np, name)(a, axis=axis, keepdims=keepdims))
    assert_gradients_match(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), [a])


@given(case=reduction_cases(), ddof=st.integers(0, 2), seed=seeds)
def test_var_forward_and_gradient(case, ddof, seed):
    shape, axis, keepdims = case
    assume(reduced_count(shape, axis) > ddof)
    a = np.random.default_rng(seed).standard_normal(shape)
    out = mg.tensor(a).var(axis=axis, keepdims=keepdims, ddof=ddof)
    np.testing.assert_allclose(out.data, np.var(a, axis=axis, keepdims=keepdims, ddof=ddof))
    assert_gradients_match(lambda x: x.var(axis=axis, keepdims=keepdims, ddof=ddof), [a])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1), (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients_closed_form(axis, keepdims, rng):
    # sum: dy/dx_i = 1;  mean: 1/n;  var: 2 (x_i - mean) / (n - ddof), n = values per reduction.
    a = rng.standard_normal((2, 3, 4))
    n = reduced_count(a.shape, axis)
    expand = (lambda g: g) if keepdims or axis is None else (lambda g: np.expand_dims(g, axis))

    x = mg.tensor(a, requires_grad=True)
    u = backward_with_upstream(x.sum(axis=axis, keepdims=keepdims), rng)
    np.testing.assert_allclose(grad_of(x), np.broadcast_to(expand(u), a.shape))

    x = mg.tensor(a, requires_grad=True)
    u = backward_with_upstream(x.mean(axis=axis, keepdims=keepdims), rng)
    np.testing.assert_allclose(grad_of(x), np.broadcast_to(expand(u), a.shape) / n)

    for ddof in (0, 1):
        x = mg.tensor(a, requires_grad=True)
        u = backward_with_upstream(x.var(axis=axis, keepdims=keepdims, ddof=ddof), rng)
        centred = a - a.mean(axis=axis, keepdims=True)
        np.testing.assert_allclose(grad_of(x), expand(u) * 2 * centred / (n - ddof))


def test_sum_gradient_is_a_writable_array_of_ones():
    x = mg.tensor(np.zeros((2, 3)), requires_grad=True)
    x.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))
    grad_of(x)[0, 0] = 5.0  # not a read-only broadcast view


# -------------------------------------------------------------------- unary functions
def _positive(rng, shape):
    return rng.uniform(0.5, 3.0, size=shape)


UNARY: dict[str, tuple[Callable[..., Any], ...]] = {
    # name: (call on a tensor, NumPy forward, derivative by hand, input generator)
    "exp": (lambda x: x.exp(), np.exp, np.exp, lambda rng, s: rng.standard_normal(s)),
    "log": (lambda x: x.log(), np.log, lambda a: 1 / a, _positive),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, lambda a: 0.5 / np.sqrt(a), _positive),
    "relu": (
        lambda x: x.relu(),
        lambda a: np.maximum(a, 0),
        lambda a: (a > 0).astype(float),
        lambda rng, s: signed_away_from_zero(rng, s, 0.1, 2.0),
    ),
    "neg": (lambda x: -x, np.negative, lambda a: -np.ones_like(a), lambda rng, s: rng.standard_normal(s)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes(), seed=seeds)
def test_unary_forward_and_gradient(name, shape, seed):
    call, forward, _, make = UNARY[name]
    a = make(np.random.default_rng(seed), shape)
    np.testing.assert_allclose(call(mg.tensor(a)).data, forward(a))
    assert_gradients_match(call, [a])


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradient_closed_form(name, rng):
    call, _, derivative, make = UNARY[name]
    a = make(rng, (3, 4))
    x = mg.tensor(a, requires_grad=True)
    u = backward_with_upstream(call(x), rng)
    np.testing.assert_allclose(grad_of(x), u * derivative(a))


def test_relu_gradient_at_the_kink_is_zero():
    # The subgradient at 0 is a convention: 0, as PyTorch.
    x = mg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


# ----------------------------------------------------------------- reshape and transpose
@st.composite
def reshape_cases(draw):
    """A shape and a new shape with the same number of elements, maybe with one -1."""
    shape = draw(shapes(max_side=4))
    size = int(np.prod(shape, dtype=int))
    kind = draw(st.sampled_from(["flat", "permuted", "with ones", "column"]))
    new: tuple[int, ...]
    if kind == "flat":
        new = (size,)
    elif kind == "permuted":
        new = tuple(draw(st.permutations(list(shape))))
    elif kind == "with ones":
        new = tuple(shape) + (1,)
        new = (1,) + new if draw(st.booleans()) else new
    else:
        new = (size, 1)
    if new and draw(st.booleans()):
        position = draw(st.integers(0, len(new) - 1))
        new = new[:position] + (-1,) + new[position + 1 :]
    return shape, new


@given(case=reshape_cases(), varargs=st.booleans(), seed=seeds)
def test_reshape_forward_and_gradient(case, varargs, seed):
    shape, new = case
    a = np.random.default_rng(seed).standard_normal(shape)
    call = (lambda x: x.reshape(*new)) if varargs and new else (lambda x: x.reshape(new))
    np.testing.assert_array_equal(call(mg.tensor(a)).data, a.reshape(new))
    assert_gradients_match(call, [a])


@st.composite
def transpose_cases(draw):
    shape = draw(shapes(min_dims=1, max_dims=4))
    perm = tuple(draw(st.permutations(range(len(shape)))))
    # Negative axes are allowed too.
    perm = tuple(p - len(shape) if draw(st.booleans()) else p for p in perm)
    return shape, perm


@given(case=transpose_cases(), style=st.sampled_from(["varargs", "tuple"]), seed=seeds)
def test_transpose_forward_and_gradient(case, style, seed):
    shape, perm = case
    a = np.random.default_rng(seed).standard_normal(shape)
    call = (lambda x: x.transpose(*perm)) if style == "varargs" else (lambda x: x.transpose(perm))
    np.testing.assert_array_equal(call(mg.tensor(a)).data, np.transpose(a, perm))
    assert_gradients_match(call, [a])


@given(shape=shapes(max_dims=4), seed=seeds)
def test_T_and_transpose_without_axes_reverse_the_axes(shape, seed):
    a = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_array_equal(mg.tensor(a).T.data, a.T)
    np.testing.assert_array_equal(mg.tensor(a).transpose().data, a.T)
    assert_gradients_match(lambda x: x.T, [a])
    assert_gradients_match(lambda x: x.transpose(), [a])


def test_transpose_gradient_closed_form(rng):
    # y = transpose(x, perm): the gradient is transposed back by the inverse permutation.
    a = rng.standard_normal((2, 3, 4))
    x = mg.tensor(a, requires_grad=True)
    u = backward_with_upstream(x.transpose(2, 0, 1), rng)
    assert u.shape == (4, 2, 3)
    np.testing.assert_array_equal(x.grad, np.transpose(u, (1, 2, 0)))


# ------------------------------------------------------------------------------ getitem
@st.composite
def basic_index_cases(draw):
    shape = draw(shapes(max_side=4))
    index = draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return shape, index


@given(case=basic_index_cases(), seed=seeds)
def test_getitem_basic_indices_forward_and_gradient(case, seed):
    shape, index = case
    a = np.random.default_rng(seed).standard_normal(shape)
    np.testing.assert_array_equal(mg.tensor(a)[index].data, a[index])
    assert_gradients_match(lambda x: x[index], [a])


def test_getitem_with_repeated_integer_indices_accumulates():
    # x[[0, 0, 2]].sum(): element 0 is used twice, element 1 never, element 2 once.
    x = mg.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "index, counts",
    [
        (np.array([1, 1, 0]), [[1, 1, 1], [2, 2, 2]]),  # rows 1, 1, 0
        ((slice(None), [2, 0, 2]), [[1, 0, 2], [1, 0, 2]]),  # columns 2, 0, 2
        (np.array([[True, False, True], [False, False, True]]), [[1, 0, 1], [0, 0, 1]]),
        ((1, -1), [[0, 0, 0], [0, 0, 1]]),
        ((Ellipsis, 0), [[1, 0, 0], [1, 0, 0]]),
        ((slice(None, None, -1), slice(0, 2)), [[1, 1, 0], [1, 1, 0]]),
    ],
)
def test_getitem_gradient_scatters_back(index, counts):
    # The gradient of x[index].sum() counts how often each element was picked.
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad, counts)


def test_getitem_with_a_tensor_index(rng):
    a = rng.standard_normal((4, 3))
    rows = mg.tensor(np.array([3, 0, 3]))
    x = mg.tensor(a)
    np.testing.assert_array_equal(x[rows].data, a[[3, 0, 3]])
    assert_gradients_match(lambda t: t[rows], [a])


@pytest.mark.parametrize(
    "index",
    [
        np.array([2, 0, 2, 1]),
        (slice(None), np.array([1, 1])),
        (np.array([0, 2]), np.array([1, 1])),
        np.array([[True, False, True], [True, True, False], [False, False, True]]),
    ],
)
def test_getitem_advanced_indices_gradient(index, rng):
    a = rng.standard_normal((3, 3))
    assert_gradients_match(lambda x: x[index], [a])


# ----------------------------------------------------------------- a composite function
def test_composite_expression_gradient(rng):
    # A little of everything in one graph, including a tensor used several times.
    a = rng.standard_normal((4, 3))
    w = rng.standard_normal((3, 2))
    b = rng.standard_normal((2,))

    def f(x, w, b):
        h = (x @ w + b).relu()
        centred = h - h.mean(axis=0, keepdims=True)
        scaled = centred / (h.var(axis=0, keepdims=True) + 1e-1).sqrt()
        return (scaled * scaled.exp()).sum() + (x**2).mean() - (w.T.reshape(-1)[1:] ** 2).sum()

    assert_gradients_match(f, [a, w, b])
