"""The dtype rules (default float64, `set_default_dtype`, float32 stays float32, integer tensors
cannot require grad) and the wording of every error: op name plus shapes as Python tuples."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import grad_of

import minigrad as mg


@pytest.fixture
def float32_default():
    """Make float32 the default for one test and always put the old default back."""
    before = mg.get_default_dtype()
    mg.set_default_dtype(np.float32)
    try:
        yield
    finally:
        mg.set_default_dtype(before)


# ------------------------------------------------------------------------ default dtype
def test_default_dtype_is_float64():
    assert mg.get_default_dtype() == np.float64
    assert mg.tensor([1.0, 2.0]).dtype == np.float64
    assert mg.tensor(1).dtype == np.float64


def test_set_default_dtype_float32(float32_default):
    assert mg.get_default_dtype() == np.float32
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3).dtype == np.float32
    assert mg.tensor([[1, 2]], requires_grad=True).dtype == np.float32
    # A float array still keeps its own dtype.
    assert mg.tensor(np.ones(2)).dtype == np.float64


def test_float32_default_carries_through_ops_and_gradients(float32_default):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([[0.5], [1.0], [-1.0]], requires_grad=True)
    y = ((x @ w) * 2.0 + 1.0).exp().sum()
    assert y.dtype == np.float32
    y.backward()
    assert grad_of(x).dtype == np.float32
    assert grad_of(w).dtype == np.float32


def test_set_default_dtype_does_not_change_existing_tensors(float32_default):
    mg.set_default_dtype(np.float64)
    before = mg.tensor([1.0])
    mg.set_default_dtype(np.float32)
    assert before.dtype == np.float64
    assert (before + 1.0).dtype == np.float64  # numbers follow the tensor, not the default


@pytest.mark.parametrize("spelling", [np.float32, "float32", np.dtype("float32")])
def test_set_default_dtype_accepts_dtype_spellings(spelling, float32_default):
    mg.set_default_dtype(np.float64)
    mg.set_default_dtype(spelling)
    assert mg.get_default_dtype() == np.float32


@pytest.mark.parametrize("bad", [np.int32, np.int64, np.complex128, "bool"])
def test_set_default_dtype_rejects_non_float_dtypes(bad):
    with pytest.raises(ValueError, match="set_default_dtype"):
        mg.set_default_dtype(bad)
    assert mg.get_default_dtype() == np.float64


# --------------------------------------------------------------- float32 stays float32
FLOAT32_EXPRESSIONS = {
    "x + 2": lambda x: x + 2,
    "2.5 + x": lambda x: 2.5 + x,
    "x - 1.5": lambda x: x - 1.5,
    "3 - x": lambda x: 3 - x,
    "x * 0.1": lambda x: x * 0.1,
    "0.1 * x": lambda x: 0.1 * x,
    "x / 3.0": lambda x: x / 3.0,
    "1.0 / x": lambda x: 1.0 / x,
    "x ** 2": lambda x: x**2,
    "x ** 0.5": lambda x: x**0.5,
    "x ** -1.5": lambda x: x**-1.5,
    "-x": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "relu": lambda x: x.relu(),
    "sum": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(axis=(0, 1), keepdims=True),
    "var": lambda x: x.var(axis=1, ddof=1),
    "reshape": lambda x: x.reshape(-1),
    "transpose": lambda x: x.T,
    "getitem": lambda x: x[1:, [0, 0]],
    "matmul": lambda x: x @ x.T,
    "numpy scalar": lambda x: x * np.float64(2.0),  # a float subclass: a Python number
}


@pytest.mark.parametrize("name", list(FLOAT32_EXPRESSIONS))
def test_float32_stays_float32_forward_and_backward(name):
    x = mg.tensor(np.array([[1.0, 2.0, 3.0], [0.5, 1.5, 2.5]], dtype=np.float32), requires_grad=True)
    out = FLOAT32_EXPRESSIONS[name](x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert grad_of(x).dtype == np.float32
    assert grad_of(x).shape == x.shape


def test_float32_chain_with_numbers_stays_float32_throughout():
    x = mg.tensor(np.array([0.5, 1.0], dtype=np.float32), requires_grad=True)
    h = x
    for step in [lambda t: t * 2, lambda t: t + 1.0, lambda t: 1 / t, lambda t: t**2, lambda t: 0.5 - t]:
        h = step(h)
        assert h.dtype == np.float32
    h.sum().backward()
    assert grad_of(x).dtype == np.float32


def test_mixed_float32_and_float64_tensors_promote_but_grads_keep_each_leafs_dtype():
    x32 = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    x64 = mg.tensor(np.ones(3, dtype=np.float64), requires_grad=True)
    y = x32 * x64
    assert y.dtype == np.float64  # NumPy's promotion
    y.sum().backward()
    assert grad_of(x32).dtype == np.float32
    assert grad_of(x64).dtype == np.float64


def test_float32_grad_stays_float32_when_float64_gradients_accumulate_into_it():
    # Each backward sends a float64 gradient towards x32 (through a float64 product); the second
    # one is added to the existing .grad, which must not turn it into float64.
    x32 = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w64 = mg.tensor(np.full(3, 2.0))
    for _ in range(2):
        (x32 * w64).sum().backward()
    assert grad_of(x32).dtype == np.float32
    np.testing.assert_array_equal(x32.grad, np.full(3, 4.0, dtype=np.float32))


def test_float32_intermediate_receives_float32_gradient():
    # A hook on a float32 tensor sees its gradient in float32, even though it flows from a
    # float64 consumer.
    x32 = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    h = x32 * 2.0
    seen = []
    h.register_hook(lambda g: seen.append(g.dtype))
    (h * np.full(3, 0.5)).sum().backward()
    assert seen == [np.float32]


def test_float64_array_operand_promotes_float32_as_numpy_does():
    x = mg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    y = x + np.ones(2, dtype=np.float64)
    assert y.dtype == np.float64
    y.sum().backward()
    assert grad_of(x).dtype == np.float32


# -------------------------------------------------------------------- integer tensors
@pytest.mark.parametrize("array", [np.arange(3), np.arange(3, dtype=np.int32), np.array([True, False])])
def test_integer_array_with_requires_grad_is_a_type_error(array):
    with pytest.raises(TypeError, match=str(array.dtype)):
        mg.tensor(array, requires_grad=True)


def test_integer_array_without_grad_is_allowed():
    t = mg.tensor(np.arange(3))
    assert t.requires_grad is False
    np.testing.assert_array_equal(t.data, [0, 1, 2])


def test_integer_list_with_requires_grad_becomes_float():
    # Python lists take the default float dtype, so they can require grad.
    t = mg.tensor([1, 2, 3], requires_grad=True)
    assert t.dtype == np.float64


# ------------------------------------------------------------------------------ errors
def test_matmul_error_message_is_exact():
    a, b = mg.tensor(np.ones((4, 3))), mg.tensor(np.ones((2, 5)))
    with pytest.raises(ValueError, match=re.escape("matmul: cannot multiply (4, 3) @ (2, 5)")):
        a @ b


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((3,), (4,)), ((3,), (4, 2)), ((2, 3), (4,)), ((2, 4, 3), (5, 3, 2)), ((2, 3), ())],
)
def test_matmul_errors_name_both_shapes(shape_a, shape_b):
    a, b = mg.tensor(np.ones(shape_a)), mg.tensor(np.ones(shape_b))
    expected = f"matmul: cannot multiply {shape_a} @ {shape_b}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        a @ b


def test_matmul_error_with_an_array_operand():
    with pytest.raises(ValueError, match=re.escape("matmul: cannot multiply (4, 3) @ (2, 5)")):
        mg.tensor(np.ones((4, 3))) @ np.ones((2, 5))
    with pytest.raises(ValueError, match=re.escape("matmul: cannot multiply (2, 5) @ (4, 3)")):
        np.ones((2, 5)) @ mg.tensor(np.ones((4, 3)))


@pytest.mark.parametrize(
    "symbol, name",
    [("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div")],
)
def test_broadcast_mismatch_names_op_and_both_shapes(symbol, name):
    op = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}[symbol]
    x, y = mg.tensor(np.ones((2, 3))), mg.tensor(np.ones((4,)))
    pattern = rf"{name}.*\(2, 3\).*\(4,\)"
    with pytest.raises(ValueError, match=pattern):
        op(x, y)
    with pytest.raises(ValueError, match=rf"{name}.*\(4,\).*\(2, 3\)"):
        op(y, x)
    # An array operand on either side is reported the same way.
    with pytest.raises(ValueError, match=pattern):
        op(x, np.ones(4))
    with pytest.raises(ValueError, match=rf"{name}.*\(4,\).*\(2, 3\)"):
        op(np.ones(4), x)


def test_reshape_error_names_both_shapes():
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)


def test_reshape_error_with_numpy_integers_shows_a_python_tuple():
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError) as info:
        x.reshape(np.int64(7))
    assert "(7,)" in str(info.value)


def test_transpose_error_names_the_axes_and_the_shape():
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"transpose.*\(0,\).*\(2, 3\)"):
        x.transpose(0)
    with pytest.raises(ValueError, match=r"transpose.*\(0, 0\).*\(2, 3\)"):
        x.transpose(0, 0)


@pytest.mark.parametrize("axes", [(0, 3), (0, -3)])
def test_transpose_with_an_out_of_range_axis_is_a_clear_error(axes):
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"transpose.*\(2, 3\)"):
        x.transpose(*axes)


@pytest.mark.parametrize("name", ["sum", "mean", "var"])
@pytest.mark.parametrize("axis", [2, -3, (0, 5)])
def test_axis_out_of_range_names_op_and_axis(name, axis):
    x = mg.tensor(np.ones((2, 3)))
    bad = axis if isinstance(axis, int) else 5
    with pytest.raises(ValueError, match=rf"{name}: axis {bad}\b"):
        getattr(x, name)(axis=axis)


@pytest.mark.parametrize("name", ["sum", "mean", "var"])
def test_axis_out_of_range_names_the_shape(name):
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        getattr(x, name)(axis=2)


@pytest.mark.parametrize("name", ["sum", "mean", "var"])
def test_repeated_axis_is_a_clear_error(name):
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{name}: repeated axis"):
        getattr(x, name)(axis=(1, -1))


@pytest.mark.parametrize(
    "shape, axis, ddof",
    [((1, 3), 0, 1), ((2, 3), 0, 2), ((2, 3), None, 6), ((3,), None, 3)],
)
def test_var_with_too_few_values_names_ddof_and_shape(shape, axis, ddof):
    x = mg.tensor(np.ones(shape))
    with pytest.raises(ValueError, match=rf"var: ddof={ddof}.*{re.escape(str(shape))}"):
        x.var(axis=axis, ddof=ddof)


def test_mean_over_an_empty_axis_is_a_clear_error():
    with pytest.raises(ValueError, match=r"mean.*\(0, 3\)"):
        mg.tensor(np.ones((0, 3))).mean(axis=0)


@pytest.mark.parametrize("exponent", [mg.tensor(2.0), np.array([2.0]), "2"])
def test_pow_with_a_non_number_exponent_is_a_type_error(exponent):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="pow: the exponent must be a Python number"):
        x**exponent


def test_pow_error_names_the_exponent_type():
    with pytest.raises(TypeError, match="Tensor"):
        mg.tensor([1.0]) ** mg.tensor(2.0)  # type: ignore[operator]  # the wrong type is the test


def test_item_on_a_non_scalar_names_the_shape():
    with pytest.raises(ValueError, match=r"item.*\(3,\)"):
        mg.tensor([1.0, 2.0, 3.0]).item()


def test_getitem_out_of_range_names_op_and_shape():
    with pytest.raises(IndexError, match=r"getitem.*\(2, 3\)"):
        mg.tensor(np.ones((2, 3)))[5]


def test_combining_a_tensor_with_an_unsupported_type_is_a_type_error():
    with pytest.raises(TypeError):
        mg.tensor([1.0]) + "a"


def test_tensor_from_non_numeric_data_is_a_type_error():
    with pytest.raises(TypeError, match="tensor"):
        mg.tensor(["a", "b"])


def test_numpy_scalar_exponent_keeps_float32():
    x = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = x ** np.float64(2)
    y.sum().backward()
    assert y.dtype == grad_of(x).dtype == np.float32


def test_combining_with_an_unsupported_type_names_the_op():
    with pytest.raises(TypeError, match="add: cannot combine a Tensor with a str"):
        mg.tensor([1.0]) + "a"
    with pytest.raises(TypeError, match="mul: cannot combine a Tensor with a dict"):
        {} * mg.tensor([1.0])
