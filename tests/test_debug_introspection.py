"""What a debugger user looks at: `retain_grad`, a repr that names the op, anomaly errors that
name the module parameter, and arrays that never change value after the fact."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.debug import backward_steps


# ------------------------------------------------------------------------------ retain_grad
def test_retain_grad_keeps_an_intermediate_gradient():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    other = x * 3.0  # not retained
    (h.sum() * 2.0 + other.sum()).backward()
    np.testing.assert_array_equal(h.grad, [2.0, 2.0, 2.0])  # d(2 * sum(h)) / dh
    np.testing.assert_array_equal(x.grad, 4.0 * x.data + 3.0)
    assert other.grad is None and h.retains_grad and not other.retains_grad


def test_retained_gradient_accumulates_and_does_not_alias_a_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    s = x + 0.0  # add sends its incoming gradient on unchanged, to x
    s.retain_grad()
    loss = s.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(s.grad, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert not np.shares_memory(s.grad, x.grad)


def test_retain_grad_through_backward_steps_and_on_leaves():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    x.retain_grad()  # a leaf keeps its gradient anyway
    assert not x.retains_grad
    m = (x * 2.0).mean()
    y = x * 2.0
    y.retain_grad()
    for _ in backward_steps(y.sum() + m):
        pass
    np.testing.assert_array_equal(y.grad, [[1.0, 1.0]])


def test_retain_grad_without_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="retain_grad.*does not require grad"):
        (mg.tensor([1.0]) * 2.0).retain_grad()


# ------------------------------------------------------------------------------------- repr
def test_repr_names_the_op():
    x = mg.tensor([1.0, 2.0, 3.5, 8.0], requires_grad=True)
    assert repr(x.mean()) == "tensor(3.625, op='mean', requires_grad=True)"
    assert repr(x) == "tensor([1. , 2. , 3.5, 8. ], requires_grad=True)"  # a leaf: no op
    with mg.no_grad():
        assert "op=" not in repr(x.mean())  # no graph, no op recorded


# ---------------------------------------------------------------------- anomaly names params
def test_forward_anomaly_names_the_module_parameter():
    model = mg.nn.Sequential(mg.nn.Dense(3, 2), mg.nn.BatchNorm(2))
    model[1].gamma.data[0] = np.nan
    x = mg.tensor(np.arange(12.0).reshape(4, 3))
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"input 1 \('1\.gamma'\) already held 1 NaN"):
        model(x)


def test_backward_anomaly_names_the_module_parameter():
    model = mg.nn.Sequential(mg.nn.Dense(2, 2))
    model[0].weight.data[...] = [[0.0, 1.0], [2.0, 3.0]]  # d sqrt(w) / dw is infinite at 0
    with mg.detect_anomaly():
        loss = (model[0].weight ** 0.5).sum()
        with pytest.raises(mg.AnomalyError, match=r"'pow'.*input 0 \('0\.weight'\)"):
            loss.backward()


def test_anomaly_names_an_intermediate_by_its_op():
    x = mg.tensor([np.inf, 1.0], requires_grad=True)
    y = x * 2.0  # made outside the block: not checked
    with mg.detect_anomaly(), pytest.raises(mg.AnomalyError, match=r"input 0 \(the output of 'mul'\)"):
        y - 1.0


# ------------------------------------------------------------ nothing changes after the fact
def test_no_step_array_changes_after_it_was_shown():
    """Every step's arrays and the fused BatchNorm's saved input keep the values they had when
    the step was yielded (in-place work only in buffers nobody else sees)."""
    rng = np.random.default_rng(0)
    layer = mg.nn.BatchNorm(3, convention="torch")
    x = mg.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    scaled = x * 1.5
    h = layer(scaled)
    loss = (h * h).sum() + h.sum()
    saved_input = scaled.data.copy()
    held, copies = [], []
    for step in backward_steps(loss):
        arrays = [step.output_grad, *[g for g in step.input_grads if g is not None]]
        held.append(arrays)
        copies.append([a.copy() for a in arrays])
        np.testing.assert_array_equal(scaled.data, saved_input)  # what batchnorm_train saved
    for arrays, before in zip(held, copies):
        for a, b in zip(arrays, before):
            np.testing.assert_array_equal(a, b)
