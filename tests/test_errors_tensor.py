"""Bad input to tensors and their ops (SPEC 0.2), one section per public function: a clear
TypeError/ValueError naming the function, never a silent truncation."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

import minigrad as mg


# ---------------------------------------------------------------------------- mg.tensor
@pytest.mark.parametrize(
    "data",
    [
        "1.5",
        b"12",
        np.array(["a", "b"]),
        np.array([1, None], dtype=object),
        np.array([1 + 2j]),
        [1 + 2j],
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        datetime.datetime(2024, 1, 1),
        np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
        [[1.0], [1.0, 2.0]],
    ],
    ids=[
        "str",
        "bytes",
        "str-array",
        "object",
        "complex-array",
        "complex-list",
        "datetime64",
        "datetime",
        "structured",
        "ragged",
    ],
)
def test_tensor_refuses_non_numeric_data(data):
    with pytest.raises(TypeError, match="tensor: cannot make a tensor"):
        mg.tensor(data)


def test_tensor_accepts_bool_int_float():
    assert mg.tensor(np.array([True])).dtype == np.bool_
    assert mg.tensor(np.array([1], dtype=np.int32)).dtype == np.int32
    assert mg.tensor(np.float32(1.0)).dtype == np.float32


# ---------------------------------------------------------------------- Tensor.backward
@pytest.mark.parametrize("grad", [np.array([1 + 1j, 2j]), np.array(["1", "2"]), np.array([1, None], dtype=object)])
def test_backward_refuses_non_real_grad(grad):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward: grad has dtype"):
        (x * 2.0).backward(grad)
    assert x.grad is None


# ------------------------------------------------------------------ Tensor.register_hook
def test_register_hook_refuses_a_non_callable_at_registration():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="register_hook: expected a function"):
        x.register_hook(5)  # type: ignore[arg-type]  # the wrong type is the test


@pytest.mark.parametrize("returned", [np.array([1j, 1j]), np.array(["a", "b"]), np.array([None, 1], dtype=object)])
def test_hook_returning_a_non_real_gradient_is_refused(returned):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: returned)
    with pytest.raises(TypeError, match="hook on .*: returned a gradient of dtype"):
        y.sum().backward()


# ------------------------------------------------------------ axis, keepdims, ddof, shapes
@pytest.mark.parametrize("method", ["sum", "mean", "var"])
@pytest.mark.parametrize("axis", [True, 1.0, "0", (0, 0.5), [True]])
def test_axis_must_be_int_or_tuple_of_ints(method, axis):
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=f"{method}: axis must be an int or a tuple of ints"):
        getattr(x, method)(axis=axis)


@pytest.mark.parametrize("method", ["sum", "mean", "var"])
def test_keepdims_must_be_bool(method):
    with pytest.raises(TypeError, match=f"{method}: keepdims must be a bool"):
        getattr(mg.tensor(np.ones((2, 3))), method)(axis=0, keepdims="no")


@pytest.mark.parametrize("ddof", [1.5, "1", True, -1])
def test_ddof_must_be_a_non_negative_int(ddof):
    with pytest.raises(TypeError, match="var: ddof must be a non-negative int"):
        mg.tensor(np.ones((2, 3))).var(ddof=ddof)


@pytest.mark.parametrize("args", [(0.5, 1), (1, True), ("ab",)])
def test_transpose_axes_must_be_ints(args):
    with pytest.raises(TypeError, match="transpose: axes must be ints"):
        mg.tensor(np.ones((2, 3))).transpose(*args)


@pytest.mark.parametrize("args", [(2.0, 3), ("6",), ((2, 3.0),), (None,)])
def test_reshape_shape_must_be_ints(args):
    with pytest.raises(TypeError, match="reshape: shape must be ints"):
        mg.tensor(np.ones((2, 3))).reshape(*args)


# ------------------------------------------------------------------ iteration and len
def test_iterating_a_0d_tensor_is_a_type_error_as_numpy():
    t = mg.tensor(3.0)
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(t)
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(t)
    assert [r.item() for r in mg.tensor([1.0, 2.0])] == [1.0, 2.0]


# ---------------------------------------------------------------------------- Tensor **
def test_int_tensor_to_a_float_power_follows_numpy():
    t = mg.tensor(np.array([1, 2, 4]))
    out = t**0.5
    assert out.dtype == (np.array([1, 2, 4]) ** 0.5).dtype == np.float64
    np.testing.assert_allclose(out.data, [1.0, np.sqrt(2), 2.0])
    assert (t**-1.0).dtype == np.float64
    assert (t**2).dtype == t.dtype


def test_int_tensor_to_a_negative_int_power_names_the_op():
    with pytest.raises(ValueError, match="pow: an integer tensor .* negative integer power"):
        mg.tensor(np.array([1, 2])) ** -1


def test_pow_refuses_a_bool_exponent():
    with pytest.raises(TypeError, match="pow: the exponent must be a number, not a bool"):
        mg.tensor([1.0]) ** True


# -------------------------------------------------------------------- Function.backward
class _ReturnsList(mg.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return [grad, grad]


class _ReturnsStr(mg.Function):
    @staticmethod
    def forward(ctx, a):
        return a * 1.0

    @staticmethod
    def backward(ctx, grad):
        return "grad"


class _ReturnsStrInTuple(mg.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, "grad"


def test_function_backward_returning_a_list_is_a_clear_error():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    with pytest.raises(TypeError, match="_returnslist.backward returned a list; return one array"):
        mg.apply(_ReturnsList, a, b).sum().backward()


def test_function_backward_returning_a_string_is_a_clear_error():
    a = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="_returnsstr.backward returned a str"):
        mg.apply(_ReturnsStr, a).sum().backward()


def test_function_backward_returning_a_string_for_one_input_names_it():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([2.0], requires_grad=True)
    with pytest.raises(TypeError, match="_returnsstrintuple.backward returned a str for input 1"):
        mg.apply(_ReturnsStrInTuple, a, b).sum().backward()
