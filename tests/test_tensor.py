"""`mg.tensor` and the `Tensor` object: construction, attributes, `.numpy()`, `.item()`, `.detach()`,
and operators with Python numbers and NumPy arrays on either side."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad as mg


# ---------------------------------------------------------------------------- construction
def test_tensor_from_list_is_a_float64_tensor_without_grad():
    t = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert isinstance(t, mg.Tensor)
    assert isinstance(t.data, np.ndarray)
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.dtype == np.float64
    assert t.requires_grad is False
    assert t.grad is None
    np.testing.assert_array_equal(t.data, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize("value", [3, 2.5, True, [1, 2, 3], [[0, 1]], [True, False]])
def test_python_numbers_and_lists_take_the_default_dtype(value):
    # Even integer and bool lists: they are data for a float framework.
    assert mg.tensor(value).dtype == np.float64


def test_python_number_makes_a_zero_dimensional_tensor():
    t = mg.tensor(4.0)
    assert t.shape == ()
    assert t.ndim == 0
    assert t.item() == 4.0


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_array_keeps_its_dtype(dtype):
    t = mg.tensor(np.ones((2, 2), dtype=dtype))
    assert t.dtype == dtype


def test_numpy_float32_scalar_keeps_its_dtype():
    assert mg.tensor(np.float32(1.5)).dtype == np.float32


def test_explicit_dtype_wins():
    assert mg.tensor([1.0, 2.0], dtype=np.float32).dtype == np.float32
    assert mg.tensor(np.ones(2, dtype=np.float32), dtype=np.float64).dtype == np.float64


def test_requires_grad_and_name_are_kept():
    t = mg.tensor([1.0, 2.0], requires_grad=True, name="w")
    assert t.requires_grad is True
    assert t.name == "w"
    assert t.grad is None


def test_name_can_be_set():
    t = mg.tensor([1.0])
    t.name = "bias"
    assert t.name == "bias"


def test_tensor_copies_the_array_it_is_given():
    source = np.array([1.0, 2.0, 3.0])
    t = mg.tensor(source)
    source[0] = 100.0
    assert t.data[0] == 1.0


def test_tensor_of_a_tensor_is_a_new_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor(x)
    assert y.requires_grad is False
    assert not np.shares_memory(x.data, y.data)
    np.testing.assert_array_equal(y.data, x.data)


# ----------------------------------------------------------------- data, numpy(), item()
def test_data_is_the_live_array():
    t = mg.tensor([1.0, 2.0])
    t.data[1] = 7.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 7.0])


def test_numpy_returns_a_copy():
    t = mg.tensor([1.0, 2.0])
    copy = t.numpy()
    assert isinstance(copy, np.ndarray)
    copy[0] = 100.0
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


@pytest.mark.parametrize("data", [3.5, [3.5], [[3.5]]])
def test_item_returns_a_python_float_for_one_element(data):
    value = mg.tensor(data).item()
    assert type(value) is float
    assert value == 3.5


def test_item_on_a_non_scalar_is_a_clear_error():
    with pytest.raises(ValueError, match=r"item.*\(2, 3\)"):
        mg.tensor(np.zeros((2, 3))).item()


# ------------------------------------------------------------------------------- detach
def test_detach_shares_data_and_drops_the_graph():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.requires_grad is False
    assert d.grad is None
    assert np.shares_memory(d.data, y.data)
    y.data[0] = -1.0  # shared, not copied
    assert d.data[0] == -1.0


def test_detach_of_a_leaf_shares_its_data():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    x.data[1] = 5.0
    assert d.data[1] == 5.0
    assert x.requires_grad is True  # the original is untouched


# ------------------------------------------------------- operators with numbers and arrays
BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


@pytest.mark.parametrize("symbol", list(BINARY))
def test_operators_accept_python_numbers_on_either_side(symbol):
    op = BINARY[symbol]
    a = np.array([[1.0, -2.0], [3.0, 4.0]])
    x = mg.tensor(a)
    left, right = op(x, 2.5), op(2.5, x)
    assert isinstance(left, mg.Tensor) and isinstance(right, mg.Tensor)
    np.testing.assert_allclose(left.data, op(a, 2.5))
    np.testing.assert_allclose(right.data, op(2.5, a))


@pytest.mark.parametrize("symbol", list(BINARY))
def test_operators_accept_numpy_arrays_on_either_side(symbol):
    op = BINARY[symbol]
    a = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.5]])
    c = np.array([0.5, 2.0, -3.0])  # broadcasts against a
    x = mg.tensor(a)
    left, right = op(x, c), op(c, x)
    # NumPy must hand `array (op) tensor` to the tensor, not loop over it element by element.
    assert isinstance(left, mg.Tensor) and isinstance(right, mg.Tensor)
    np.testing.assert_allclose(left.data, op(a, c))
    np.testing.assert_allclose(right.data, op(c, a))


def test_matmul_accepts_numpy_arrays_on_either_side():
    a = np.arange(6.0).reshape(2, 3)
    m = np.arange(12.0).reshape(3, 4)
    left = mg.tensor(a) @ m
    right = a @ mg.tensor(m)
    assert isinstance(left, mg.Tensor) and isinstance(right, mg.Tensor)
    np.testing.assert_allclose(left.data, a @ m)
    np.testing.assert_allclose(right.data, a @ m)


def test_unary_minus_and_power():
    a = np.array([1.0, -2.0, 3.0])
    x = mg.tensor(a)
    np.testing.assert_allclose((-x).data, -a)
    np.testing.assert_allclose((x**2).data, a**2)
    np.testing.assert_allclose((x**3).data, a**3)


def test_operators_between_two_tensors():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    x, y = mg.tensor(a), mg.tensor(b)
    for op in BINARY.values():
        np.testing.assert_allclose(op(x, y).data, op(a, b))


def test_results_require_grad_exactly_when_an_input_does():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    assert (x * c).requires_grad is True
    assert (c * x).requires_grad is True
    assert (c * c).requires_grad is False
    assert (x + 1.0).requires_grad is True


def test_T_and_transpose_of_a_matrix():
    a = np.arange(6.0).reshape(2, 3)
    x = mg.tensor(a)
    np.testing.assert_array_equal(x.T.data, a.T)
    np.testing.assert_array_equal(x.transpose().data, a.T)
    np.testing.assert_array_equal(x.transpose(1, 0).data, a.T)
    np.testing.assert_array_equal(x.transpose((1, 0)).data, a.T)


def test_reshape_accepts_varargs_and_a_tuple():
    x = mg.tensor(np.arange(6.0))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape(-1, 1).shape == (6, 1)
