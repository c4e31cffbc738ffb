"""`mg.debug.backward_steps`: one node at a time, real pauses, same result as `backward()`."""

from __future__ import annotations

import dataclasses
import inspect
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad.debug import BackwardStep, backward_steps, trace


def small_graph(seed: int, dtype=np.float64):
    """A graph with broadcasting, a leaf used twice, a constant and a non-linearity.

    h = relu(x @ w + b);  loss = mean(h * h) + sum(x * 2)
    """
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.normal(size=(4, 3)).astype(dtype), requires_grad=True, name="x")
    w = mg.tensor(rng.normal(size=(3, 2)).astype(dtype), requires_grad=True, name="w")
    b = mg.tensor(rng.normal(size=(2,)).astype(dtype), requires_grad=True, name="b")
    h = (x @ w + b).relu()
    loss = (h * h).mean() + (x * 2.0).sum()
    return loss, (x, w, b)


# ------------------------------------------------------------------------------ the basics
def test_is_a_generator_of_frozen_steps():
    loss, _ = small_graph(0)
    steps = backward_steps(loss)
    assert inspect.isgenerator(steps)
    first = next(steps)
    assert isinstance(first, BackwardStep)
    # The first step is the tensor backward started from, with dL/dL = 1.
    assert first.index == 0 and first.tensor is loss and first.op == "add"
    np.testing.assert_array_equal(first.output_grad, 1.0)
    assert len(first.input_grads) == len(first.inputs) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.op = "mul"  # type: ignore[misc]  # the wrong type is the test


def test_op_is_the_ops_name_or_leaf():
    loss, leaves = small_graph(1)
    steps = list(backward_steps(loss))
    for step in steps:
        if step.tensor.is_leaf:
            assert step.op == "leaf" and step.is_leaf
            assert step.inputs == () and step.input_grads == ()
        else:
            assert step.op == step.tensor.op and not step.is_leaf
    assert {s.op for s in steps} >= {"add", "mean", "mul", "relu", "matmul", "sum", "leaf"}


def test_every_node_that_needs_a_gradient_is_one_step_after_all_its_consumers():
    loss, _ = small_graph(2)
    # retain_graph: trace(loss) then shows the very tensors the steps visited (a released graph
    # shows data-free stand-ins for its intermediates)
    steps = list(backward_steps(loss, retain_graph=True))
    position = {id(s.tensor): s.index for s in steps}
    needing = [row.tensor for row in trace(loss) if row.tensor.requires_grad]
    assert len(steps) == len(needing) == len(position)  # each exactly once
    assert set(position) == {id(t) for t in needing}
    assert [s.index for s in steps] == list(range(len(steps)))
    for step in steps:  # a node's gradient is complete only after every consumer ran
        if step.tensor._node is not None:
            for parent in step.tensor._node.inputs:
                if parent.requires_grad:
                    assert position[id(parent)] > step.index


def test_ops_come_newest_first_and_each_leaf_right_after_its_last_consumer():
    # The order of Tensor.backward's own pass (PyTorch's too): what makes the sums equal bit for bit.
    loss, leaves = small_graph(3)
    steps = list(backward_steps(loss, retain_graph=True))
    made = [s.tensor._index for s in steps if not s.is_leaf]
    assert made == sorted(made, reverse=True)
    consumers = {id(s.tensor): s.tensor._node.inputs for s in steps if s.tensor._node is not None}
    for leaf in leaves:
        at = next(s.index for s in steps if s.tensor is leaf)
        last_consumer = max(s.index for s in steps if any(t is leaf for t in consumers.get(id(s.tensor), ())))
        assert at > last_consumer and all(s.is_leaf for s in steps[last_consumer + 1 : at])
    assert [s.op for s in steps[-3:]] == ["matmul", "leaf", "leaf"]  # x and w, complete only now


# ---------------------------------------------------------------- equality with backward()
@given(
    seed=seeds,
    n=st.integers(1, 5),
    k=st.integers(1, 4),
    m=st.integers(1, 4),
    broadcast_bias=st.booleans(),
)
def test_exhausting_leaves_the_same_grads_as_backward(seed, n, k, m, broadcast_bias):
    def build():
        rng = np.random.default_rng(seed)
        x = mg.tensor(rng.normal(size=(n, k)), requires_grad=True)
        w = mg.tensor(rng.normal(size=(k, m)), requires_grad=True)
        b = mg.tensor(rng.normal(size=(1, m) if broadcast_bias else (m,)), requires_grad=True)
        z = x @ w + b
        out = (z.relu() * z.exp()).sum(axis=1) - (x * x).mean()
        return out, (x, w, b)

    grad = np.random.default_rng(seed + 1).normal(size=(n,))
    root_a, leaves_a = build()
    root_a.backward(grad)
    root_b, leaves_b = build()
    for _ in backward_steps(root_b, grad):
        pass
    for a, b in zip(leaves_a, leaves_b):
        np.testing.assert_array_equal(a.grad, b.grad)  # the same code: bit for bit


def test_float32_graph_keeps_float32_gradients():
    loss, leaves = small_graph(3, dtype=np.float32)
    steps = list(backward_steps(loss))
    assert all(s.output_grad.dtype == np.float32 for s in steps)
    assert all(leaf.grad.dtype == np.float32 for leaf in leaves)


def test_gradients_accumulate_into_existing_grad_as_backward_does():
    loss_a, (xa, *_) = small_graph(4)
    loss_b, (xb, *_) = small_graph(4)
    xa.grad = np.ones((4, 3))
    xb.grad = np.ones((4, 3))
    loss_a.backward()
    list(backward_steps(loss_b))
    np.testing.assert_array_equal(xa.grad, xb.grad)


# ------------------------------------------------------------------------------- pausing
def test_a_leaf_has_no_gradient_before_its_own_step():
    loss, leaves = small_graph(5)
    steps = backward_steps(loss)
    done: set[int] = set()
    for step in steps:
        if step.is_leaf:
            done.add(id(step.tensor))
            assert step.tensor.grad is not None  # set at its own step...
        for leaf in leaves:
            if id(leaf) not in done:  # ...and not a moment earlier
                assert leaf.grad is None
    assert done == {id(leaf) for leaf in leaves}


def test_stop_anywhere_then_resume_matches_backward():
    # What a notebook cell or a pdb session does: take a few steps, look, carry on.
    reference, ref_leaves = small_graph(6)
    reference.backward()
    loss, leaves = small_graph(6)
    steps = backward_steps(loss)
    taken = list(itertools.islice(steps, 3))  # every leaf is at least three ops below the root
    assert [s.index for s in taken] == [0, 1, 2] and not any(s.is_leaf for s in taken)
    assert all(leaf.grad is None for leaf in leaves)
    for _ in steps:
        pass
    for a, b in zip(ref_leaves, leaves):
        np.testing.assert_array_equal(a.grad, b.grad)


def test_pausing_before_a_leaf_step_in_a_single_op_graph():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    y = (x * x).sum()
    steps = backward_steps(y)
    assert next(steps).op == "sum"
    assert next(steps).op == "mul"
    assert x.grad is None  # mul has computed 2x, but it has not reached x yet
    leaf = next(steps)
    assert leaf.op == "leaf" and leaf.name == "x"
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])  # d/dx sum(x^2) = 2x
    with pytest.raises(StopIteration):
        next(steps)


# ------------------------------------------------------------- gradients in the steps
def test_output_grad_is_the_sum_of_what_the_consumers_sent():
    loss, _ = small_graph(7)
    received: dict[int, np.ndarray] = {}
    for step in backward_steps(loss, retain_graph=True):  # keep the real input tensors in the graph
        if step.index == 0:
            np.testing.assert_array_equal(step.output_grad, np.ones(()))
        else:
            np.testing.assert_allclose(step.output_grad, received.pop(id(step.tensor)), rtol=1e-15)
        if step.tensor._node is not None:
            for parent, g in zip(step.tensor._node.inputs, step.input_grads):
                if g is not None:
                    received[id(parent)] = received.get(id(parent), 0) + g
    assert received == {}  # everything sent was received by a later step


def test_input_grads_are_aligned_with_input_names():
    # y = sum(a * c) with c a constant: d/da = c; the constant gets nothing.
    a = mg.tensor([1.0, -2.0], requires_grad=True, name="a")
    c = mg.tensor([3.0, 5.0], name="c")
    steps = list(backward_steps((a * c).sum()))
    mul = next(s for s in steps if s.op == "mul")
    assert mul.inputs == ("a", "c")
    np.testing.assert_array_equal(mul.output_grad, [1.0, 1.0])
    np.testing.assert_array_equal(mul.input_grads[0], [3.0, 5.0])
    assert mul.input_grads[1] is None


def test_broadcast_input_gets_its_own_shape():
    # z = x + b with b (3,) broadcast over 4 rows: b's gradient is summed back to (3,).
    x = mg.tensor(np.zeros((4, 3)), requires_grad=True)
    b = mg.tensor(np.zeros(3), requires_grad=True, name="b")
    steps = list(backward_steps((x + b).sum()))
    add = next(s for s in steps if s.op == "add")
    first_grad = add.input_grads[0]
    assert first_grad is not None and first_grad.shape == (4, 3)
    np.testing.assert_array_equal(add.input_grads[1], [4.0, 4.0, 4.0])


def test_step_arrays_are_read_only_views():
    loss, (x, *_) = small_graph(8)
    steps = list(backward_steps(loss))
    with pytest.raises(ValueError):
        steps[0].output_grad[...] = 0.0
    leaf_step = next(s for s in steps if s.tensor is x)
    with pytest.raises(ValueError):
        leaf_step.output_grad[...] = 0.0
    assert x.grad.flags.writeable  # the leaf's own .grad stays an ordinary array


def test_a_hook_replacement_is_what_the_step_shows_and_sends():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    h = x * 3.0
    h.register_hook(lambda g: g * 10.0)
    steps = list(backward_steps(h.sum()))
    mul = next(s for s in steps if s.op == "mul")
    np.testing.assert_array_equal(mul.output_grad, [10.0, 10.0])
    np.testing.assert_array_equal(mul.input_grads[0], [30.0, 30.0])
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])


# -------------------------------------------------------------------------------- names
def test_names_match_the_trace_and_parameters_use_their_module_path():
    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Dense(3, 4), mg.nn.BatchNorm(4), mg.nn.ReLU(), mg.nn.Dense(4, 1))
    x = mg.tensor(np.random.default_rng(0).normal(size=(8, 3)), name="x")
    loss = mg.nn.mse_loss(model(x), np.zeros((8, 1)))
    table = trace(loss)
    steps = list(backward_steps(loss))
    names = {s.name for s in steps}
    assert {"0.weight", "0.bias", "1.gamma", "1.beta", "3.weight", "3.bias"} <= names
    for step in steps:
        assert table[step.name].tensor is step.tensor
        if step.tensor._name is None:  # unnamed: `<op>_<row in the trace>`
            op, row = step.name.rsplit("_", 1)
            assert op == step.op and table[int(row)].tensor is step.tensor
    bn = next(s for s in steps if s.op == "batchnorm_train")
    assert bn.inputs[1:] == ("1.gamma", "1.beta")


# ------------------------------------------------------------------------- arguments
def test_bad_arguments_raise_at_the_call_not_at_the_first_next():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        backward_steps(y)  # not a scalar and no grad
    with pytest.raises(ValueError, match=r"\(3,\)"):
        backward_steps(y, grad=np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward_steps(mg.tensor([1.0]))
    with pytest.raises(TypeError, match="Tensor"):
        backward_steps(np.ones(3))  # type: ignore[arg-type]  # the wrong type is the test


def test_non_scalar_root_with_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    steps = list(backward_steps(x * x, grad=np.array([1.0, -1.0])))
    np.testing.assert_array_equal(steps[0].output_grad, [1.0, -1.0])
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])  # 2x * grad


def test_retain_graph_as_backward():
    loss, (x, *_) = small_graph(9)
    list(backward_steps(loss, retain_graph=True))
    once = x.grad.copy()
    list(backward_steps(loss, retain_graph=True))
    np.testing.assert_allclose(x.grad, 2 * once)
    list(backward_steps(loss))  # frees the graph
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        list(backward_steps(loss))


def test_deep_chain_does_not_recurse():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    steps = backward_steps(y)
    count = sum(1 for _ in steps)
    assert count == 3001  # 3000 muls and the leaf
    assert x.grad == 1.0


# ------------------------------------------------------------------------------ display
def test_str_and_html_show_op_name_and_gradients():
    a = mg.tensor([1.0, -2.0], requires_grad=True, name="a<1>")
    c = mg.tensor([3.0, 5.0], name="c")
    steps = list(backward_steps((a * c).sum()))
    mul = next(s for s in steps if s.op == "mul")
    text = str(mul)
    assert text.startswith(f"step {mul.index}: mul_")
    assert "backward of mul" in text and "-> a<1>" in text and "-> c" in text
    assert "[3, 5]" in text  # what mul sends to a: c's values
    assert "no grad needed" in text  # nothing for the constant
    leaf = steps[-1]
    assert leaf.op == "leaf" and "accumulates into .grad" in str(leaf) and "a<1>.grad" in str(leaf)
    html = mul._repr_html_()
    assert html.startswith("<table") and "a&lt;1&gt;" in html and "a<1>" not in html
    assert "BackwardStep(index=" in repr(mul)
