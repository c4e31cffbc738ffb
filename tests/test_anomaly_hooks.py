"""`mg.detect_anomaly()` (which op, which line of user code) and `Tensor.register_hook`."""

from __future__ import annotations

import inspect
import os
import warnings

import numpy as np
import pytest
from helpers import grad_of

import minigrad as mg
from minigrad.debug import backward_steps

HERE = os.path.basename(__file__)


def next_line() -> int:
    """The line number of the statement after the caller's."""
    caller = inspect.currentframe()
    assert caller is not None and caller.f_back is not None
    return caller.f_back.f_lineno + 1


# ----------------------------------------------------------------------- detect_anomaly
def test_forward_inf_names_the_op_and_the_line():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError) as info:
        line = next_line()
        (x - x).log()
    message = str(info.value)
    assert "'log'" in message and "non-finite output" in message
    assert f"{HERE}:{line}" in message and "(x - x).log()" in message
    assert "2 inf" in message and "(2,)" in message


def test_forward_nan_names_the_op():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"'div'.*2 NaN") as info:
        zero = x - x
        line = next_line()
        zero / zero
    assert f"{HERE}:{line}" in str(info.value)


def test_backward_inf_names_the_op_and_the_line_that_created_it():
    # d sqrt(x)/dx = 1 / (2 sqrt(x)) is infinite at 0, though sqrt(0) = 0 is fine.
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        sqrt_line = next_line()
        root = x.sqrt()
        loss = root.sum()
        with pytest.raises(mg.AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "backward of 'sqrt'" in message and "1 inf" in message
    assert f"{HERE}:{sqrt_line}" in message and "x.sqrt()" in message  # where sqrt was created...
    assert f"{HERE}:{sqrt_line + 1}" not in message  # ...not where the sum was


def test_backward_steps_stop_at_the_anomalous_node():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        loss = (x.sqrt() * 3.0).sum()
        seen = []
        with pytest.raises(mg.AnomalyError, match="'sqrt'"):
            for step in backward_steps(loss):
                seen.append(step.op)
    assert seen == ["sum", "mul"]  # the steps before sqrt ran and could be inspected
    assert x.grad is None


def test_a_graph_built_outside_still_names_the_op():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    loss = x.sqrt().sum()  # no line recorded outside the block
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match="'sqrt'.*outside detect_anomaly"):
        loss.backward()


def test_nothing_is_checked_outside_the_block_and_the_flag_is_restored():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(mg.AnomalyError), mg.detect_anomaly():
        (x - x).log()
    with np.errstate(divide="ignore"):
        y = (x - x).log()  # after the block (even one left by an error): no check
    assert np.isneginf(y.data).all()
    with mg.detect_anomaly():
        np.testing.assert_allclose((x * 2.0).log().data, [np.log(2.0)])  # finite: no error


def test_anomaly_error_is_a_floating_point_error_and_exported_in_debug():
    assert issubclass(mg.AnomalyError, FloatingPointError)
    assert mg.debug.detect_anomaly is mg.detect_anomaly and mg.debug.AnomalyError is mg.AnomalyError


def test_detect_anomaly_reports_even_when_warnings_are_errors():
    x = mg.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with mg.detect_anomaly(), pytest.raises(mg.AnomalyError):
            (x - x).log()


# -------------------------------------------------------------------------------- hooks
def test_hook_on_a_leaf_sees_its_gradient_and_can_replace_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])  # d/dx sum(3x) = 3
    x.grad = None
    x.register_hook(lambda g: np.array([7.0, 8.0]))
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [7.0, 8.0])


def test_hook_on_an_intermediate_replaces_the_gradient_downstream():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    h = x * 2.0
    h.register_hook(lambda g: g * 10.0)
    (h * h).sum().backward()
    # dL/dh = 2h = [4, -4], scaled by the hook to [40, -40]; dL/dx = 2 * dL/dh
    np.testing.assert_array_equal(x.grad, [80.0, -80.0])


def test_hook_sees_the_complete_gradient_once():
    x = mg.tensor([2.0], requires_grad=True)
    h = x * 1.0
    calls = []
    h.register_hook(lambda g: calls.append(float(g[0])))
    (h * 3.0 + h * 4.0 + h).sum().backward()
    assert calls == [8.0]  # 3 + 4 + 1, in one call


def test_hooks_chain_in_registration_order_and_none_keeps_the_gradient():
    x = mg.tensor([1.0], requires_grad=True)
    order: list[str | float] = []

    def first(g):  # returns None: gradient unchanged
        order.append("first")

    def third(g):
        order.append(float(g[0]))
        return g * 2.0

    x.register_hook(first)
    x.register_hook(lambda g: g + 1.0)
    x.register_hook(third)
    (x * 5.0).sum().backward()
    assert order == ["first", 6.0]  # the third hook saw the second's result
    np.testing.assert_array_equal(x.grad, [12.0])


def test_removing_a_hook_with_its_handle():
    x = mg.tensor([1.0], requires_grad=True)
    calls = []

    def hook(g):
        calls.append(1)
        return g * 0.0

    handle = x.register_hook(hook)
    assert isinstance(handle, mg.RemovableHandle)
    handle.remove()
    handle.remove()  # twice is harmless
    (x * 2.0).sum().backward()
    assert calls == [] and grad_of(x)[0] == 2.0


def test_a_handle_as_context_manager_removes_at_the_end():
    x = mg.tensor([1.0], requires_grad=True)
    with x.register_hook(lambda g: g * 100.0):
        (x * 2.0).sum().backward()
    assert grad_of(x)[0] == 200.0
    x.grad = None
    (x * 2.0).sum().backward()
    assert grad_of(x)[0] == 2.0


def test_hook_of_the_wrong_shape_is_a_clear_error():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True, name="weights")
    x.register_hook(lambda g: np.ones(3))
    with pytest.raises(ValueError, match=r"'weights'.*\(3,\).*\(2, 3\)"):
        (x * 2.0).sum().backward()


def test_hook_on_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).register_hook(lambda g: g)


def test_anomaly_says_when_the_input_was_already_bad():
    x = mg.tensor([np.inf, 1.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"'sub'.*input 0 already held 0 NaN and 1 inf"):
        x - x
