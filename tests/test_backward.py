"""`Tensor.backward`: topological order, accumulation, retain_graph, deep graphs, the initial
gradient, `no_grad`, `detach`, and which arrays the leaves' `.grad` may (not) share."""

from __future__ import annotations

import gc
import weakref
from typing import ClassVar

import numpy as np
import pytest
from helpers import grad_of

import minigrad as mg
from minigrad.engine.tensor import FreedTensor


# -------------------------------------------------------------------- topological order
def test_tensors_hash_and_compare_by_identity():
    # The backward pass keys its dicts by the tensors themselves (benchmarks/README.md, "Engine"):
    # an elementwise __eq__ (or an unhashable Tensor) would need those keys back to id().
    for cls in (mg.Tensor, mg.nn.Parameter):
        assert cls.__hash__ is object.__hash__ and cls.__eq__ is object.__eq__, cls


def test_diamond_sums_both_paths():
    # y = sum((2x) * (3x)) = sum(6 x^2)  =>  dy/dx = 12 x
    a = np.array([1.0, -2.0, 0.5])
    x = mg.tensor(a, requires_grad=True)
    left, right = x * 2.0, x * 3.0
    (left * right).sum().backward()
    np.testing.assert_allclose(grad_of(x), 12 * a)


def test_shared_node_runs_once_with_its_complete_gradient():
    # h = exp(x) feeds three consumers. Its hook must fire once, after all three have sent their
    # part: dy/dh = 2 + 3 + 1/h for y = sum(2h + 3h + log h).
    a = np.array([0.5, -1.0])
    x = mg.tensor(a, requires_grad=True)
    h = x.exp()
    seen = []
    h.register_hook(lambda g: seen.append(np.array(g)))
    (h * 2.0 + h * 3.0 + h.log()).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], 5.0 + 1.0 / np.exp(a))
    # dy/dx = dy/dh * exp(x) = 5 exp(x) + 1
    np.testing.assert_allclose(grad_of(x), 5.0 * np.exp(a) + 1.0)


def test_paths_of_different_lengths_meet_in_the_right_order():
    # h1 reaches y directly and through h2 = 2 h1 and through exp(h2):
    # y = sum(h1 + 2 h1 + exp(2 h1)), h1 = x^2  =>  dy/dx = (3 + 2 exp(2 x^2)) * 2x
    a = np.array([0.3, -0.7, 1.1])
    x = mg.tensor(a, requires_grad=True)
    h1 = x**2
    h2 = h1 * 2.0
    (h1 + h2 + h2.exp()).sum().backward()
    np.testing.assert_allclose(grad_of(x), (3 + 2 * np.exp(2 * a**2)) * 2 * a)


def test_repeated_doubling_visits_each_node_once():
    # h <- h + h, 60 times: 2^60 paths from y to x, but only 61 nodes. dy/dx = 2^60, exactly.
    x = mg.tensor(1.0, requires_grad=True)
    h = x
    for _ in range(60):
        h = h + h
    h.backward()
    assert float(grad_of(x)) == 2.0**60


def test_leaf_used_by_several_ops_accumulates_within_one_backward():
    # y = x*x + x + x  =>  dy/dx = 2x + 2
    a = np.array([1.0, 3.0])
    x = mg.tensor(a, requires_grad=True)
    (x * x + x + x).sum().backward()
    np.testing.assert_allclose(grad_of(x), 2 * a + 2)


def test_only_inputs_that_require_grad_get_a_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    (x * c).sum().backward()
    np.testing.assert_allclose(grad_of(x), [3.0, 4.0])
    assert c.grad is None


# ------------------------------------------------------------------------- accumulation
def test_gradients_accumulate_across_backward_calls():
    a = np.array([1.0, 2.0])
    x = mg.tensor(a, requires_grad=True)
    (x * 2.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(grad_of(x), 2.0 + 2 * a)  # as PyTorch: no implicit zeroing


def test_setting_grad_to_none_starts_afresh():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 2.0).sum().backward()
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(grad_of(x), [3.0, 3.0])


# ------------------------------------------------------------------------- retain_graph
def test_retain_graph_allows_a_second_backward():
    a = np.array([1.0, -2.0])
    x = mg.tensor(a, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    # d/dx (x e^x) = (1 + x) e^x, three times
    np.testing.assert_allclose(grad_of(x), 3 * (1 + a) * np.exp(a))


def test_second_backward_without_retain_graph_is_a_clear_error():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    first = grad_of(x).copy()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_array_equal(x.grad, first)  # nothing was added by the failed pass


def test_backward_through_a_freed_subgraph_is_a_clear_error():
    # The second loss reuses h, whose saved arrays the first backward released.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 3.0).sum().backward()


def test_retained_subgraph_can_be_reused_by_a_second_loss():
    a = np.array([1.0, 2.0])
    x = mg.tensor(a, requires_grad=True)
    h = x.exp()
    h.sum().backward(retain_graph=True)
    (h * 3.0).sum().backward()
    np.testing.assert_allclose(grad_of(x), 4 * np.exp(a))


# ------------------------------------------------------------------------ deep graphs
def test_ten_thousand_op_chain_does_not_recurse():
    # 10,000 ops, well past Python's default recursion limit of 1,000.
    x = mg.tensor(2.0, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = (y * 1.0) + 0.5  # two ops per round
    y.backward()
    assert float(grad_of(x)) == 1.0
    assert y.item() == 2.0 + 2_500.0


def test_ten_thousand_op_chain_with_a_shared_leaf():
    # y = x + x + ... (10,001 terms): every op sends a gradient to x.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [10_001.0, 10_001.0])


def test_freeing_a_ten_thousand_op_graph_does_not_recurse():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    del y  # dropping the root frees the whole chain
    gc.collect()
    assert x.grad is None


# ---------------------------------------------------------------- the initial gradient
def test_scalar_backward_starts_from_one():
    x = mg.tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert float(grad_of(x)) == 6.0


def test_non_scalar_backward_needs_grad_and_the_error_names_the_shape():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises((RuntimeError, ValueError), match=r"\(2, 3\)"):
        (x * 2.0).backward()


def test_non_scalar_backward_error_says_to_pass_grad():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises((RuntimeError, ValueError), match="grad"):
        (x * 2.0).backward()


def test_non_scalar_backward_with_grad():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, 0.0]])
    x = mg.tensor(a, requires_grad=True)
    (x * x).backward(g)
    np.testing.assert_allclose(grad_of(x), 2 * a * g)


def test_grad_of_the_wrong_shape_is_a_clear_error():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)|\(2, 3\).*\(3,\)"):
        (x * 2.0).backward(np.ones(3))


def test_grad_that_would_only_broadcast_is_still_the_wrong_shape():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"\(1, 3\)"):
        (x * 2.0).backward(np.ones((1, 3)))


def test_backward_on_a_tensor_without_grad_is_a_clear_error():
    c = mg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="requires_grad"):
        (c * 2.0).sum().backward()


def test_backward_of_a_leaf():
    x = mg.tensor(2.0, requires_grad=True)
    x.backward()
    assert float(grad_of(x)) == 1.0


# ------------------------------------------------------------------------------ no_grad
def test_no_grad_builds_no_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        assert mg.is_grad_enabled() is False
        y = x * 2.0 + x.exp()
    assert mg.is_grad_enabled() is True
    assert y.requires_grad is False
    np.testing.assert_allclose(y.data, 2 * x.data + np.exp(x.data))
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_tensor_made_under_no_grad_is_a_constant_outside_it():
    # z = sum(x * y) with y computed under no_grad: y is a constant, so dz/dx = y only.
    a = np.array([1.0, 2.0])
    x = mg.tensor(a, requires_grad=True)
    with mg.no_grad():
        y = x * x
    (x * y).sum().backward()
    np.testing.assert_allclose(grad_of(x), a**2)


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), mg.no_grad():
        _ = 1 / 0
    assert mg.is_grad_enabled() is True


def test_no_grad_nests():
    with mg.no_grad():
        with mg.no_grad():
            pass
        assert mg.is_grad_enabled() is False
    assert mg.is_grad_enabled() is True


# ------------------------------------------------------------------------------- detach
def test_detach_cuts_the_graph():
    # y = x * detach(x): only the first factor carries a gradient, dy/dx = x (not 2x).
    a = np.array([1.0, -3.0])
    x = mg.tensor(a, requires_grad=True)
    (x * x.detach()).sum().backward()
    np.testing.assert_allclose(grad_of(x), a)


def test_detach_of_an_intermediate_stops_gradient_flow_through_it():
    a = np.array([0.5, 2.0])
    x = mg.tensor(a, requires_grad=True)
    h = x.exp()
    (h.detach() * x + h).sum().backward()
    # d/dx [c*x + exp(x)] with c = exp(a) held constant: c + exp(x) = 2 exp(a)
    np.testing.assert_allclose(grad_of(x), 2 * np.exp(a))


# ------------------------------------------------------- what .grad arrays may share
def test_leaf_grads_from_one_upstream_array_are_not_aliased():
    # Add hands the same upstream array to both inputs.
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    grad_of(a)[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_leaf_grads_are_not_aliased_to_the_users_grad_argument():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    g = np.array([0.5, -1.0])
    (a + b).backward(g)
    assert not np.shares_memory(a.grad, g)
    assert not np.shares_memory(b.grad, g)
    g[:] = 7.0
    np.testing.assert_array_equal(a.grad, [0.5, -1.0])
    np.testing.assert_array_equal(b.grad, [0.5, -1.0])


def test_leaf_root_grad_is_not_the_users_grad_argument():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([3.0, 4.0])
    x.backward(g)
    assert not np.shares_memory(x.grad, g)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.reshape(2, 2),  # backward returns a view of the upstream gradient
        lambda x: x.transpose(),
        lambda x: x.reshape(4).reshape(2, 2),
    ],
)
def test_leaf_grad_is_not_a_view_of_the_users_grad(make):
    x = mg.tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    g = np.arange(4.0).reshape(2, 2) + 1.0
    make(x).backward(g)
    assert not np.shares_memory(x.grad, g)
    assert grad_of(x).flags.writeable


def test_leaf_grads_are_writable_and_own_their_memory():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    (x + b).mean().backward()  # mean/sum backward broadcast a (read-only) view
    for leaf in (x, b):
        assert grad_of(leaf).flags.writeable
        grad_of(leaf)[...] += 1.0  # optimisers and users modify grads in place
    assert not np.shares_memory(x.grad, b.grad)


def test_accumulated_grad_does_not_alias_the_new_contribution():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    (a + b).sum().backward()
    grad_of(a)[0] = -5.0
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaf_grad_has_the_leaf_dtype_and_shape(dtype):
    x = mg.tensor(np.ones((2, 3), dtype=dtype), requires_grad=True)
    w = mg.tensor(np.ones((3,), dtype=np.float64), requires_grad=True)
    (x * w).sum().backward()
    assert grad_of(x).dtype == dtype and grad_of(x).shape == (2, 3)
    assert grad_of(w).dtype == np.float64 and grad_of(w).shape == (3,)


@pytest.mark.parametrize("build", ["two paths", "broadcast", "accumulated"])
def test_zero_dimensional_leaf_grad_is_an_ndarray(build):
    x = mg.tensor(2.0, requires_grad=True)
    if build == "two paths":
        (x * x).backward()
    elif build == "broadcast":
        (x * mg.tensor([1.0, 2.0])).sum().backward()
    else:
        (x * 3.0).backward()
        (x * 3.0).backward()
    assert isinstance(x.grad, np.ndarray)
    assert x.grad.shape == ()


def test_a_held_loss_does_not_keep_its_activations_alive():
    """As PyTorch: after backward() the graph keeps its shape (for errors, trace, draw) but no
    values, so `losses.append(loss)` does not hold on to every step's activations."""
    import gc
    import weakref

    x = mg.tensor(np.ones((50, 40)), requires_grad=True)
    hidden = (x * 3.0).relu()
    loss = (hidden * hidden).mean()
    ref = weakref.ref(hidden)
    del hidden
    loss.backward()
    gc.collect()
    assert ref() is None
    assert [row.value for row in mg.debug.trace(loss) if row.op == "relu"] == ["(freed)"]
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_keeps_the_activations():
    import gc
    import weakref

    x = mg.tensor(np.ones(3), requires_grad=True)
    hidden = x * 2.0
    loss = (hidden * hidden).sum()
    ref = weakref.ref(hidden)
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert ref() is not None
    loss.backward()
    np.testing.assert_allclose(grad_of(x), 2 * 8 * np.ones(3))  # d/dx sum(4x^2) = 8x, twice


def _released_inputs(loss: mg.Tensor) -> tuple[mg.Tensor, ...]:
    node = loss._node
    assert node is not None
    return node.inputs


def _activation_and_its_array() -> tuple[mg.Tensor, weakref.ref, weakref.ref, np.ndarray]:
    """loss = sum(relu(3 x)) with only the graph holding relu's output: that output, weak
    references to it and to its array, and its values."""
    x = mg.tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    hidden = (x * 3.0).relu()
    loss = hidden.sum()
    values = hidden.data.copy()
    refs = weakref.ref(hidden), weakref.ref(hidden.data)
    del hidden
    return loss, refs[0], refs[1], values


def test_an_activation_only_the_graph_holds_becomes_its_own_freed_tensor():
    # Tensor.backward turns it into the FreedTensor in place (no stand-in object per
    # activation, benchmarks/README.md "Engine"); its array is released all the same.
    loss, tensor_ref, array_ref, _ = _activation_and_its_array()
    loss.backward()
    gc.collect()
    assert array_ref() is None
    freed = tensor_ref()
    assert isinstance(freed, FreedTensor) and _released_inputs(loss) == (freed,)
    assert freed.shape == (2, 2) and freed.dtype == np.float64 and freed.op == "relu"
    assert not freed.data.flags.writeable and freed.data.strides == (0, 0)
    assert [row.value for row in mg.debug.trace(loss) if row.op == "relu"] == ["(freed)"]
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_an_activation_the_user_holds_keeps_its_values_and_is_not_kept_by_the_graph():
    x = mg.tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    hidden = (x * 3.0).relu()
    loss = hidden.sum()
    values = hidden.data.copy()
    loss.backward()
    assert type(hidden) is mg.Tensor  # not turned into a FreedTensor under the user's hands
    np.testing.assert_array_equal(hidden.data, values)
    (stand_in,) = _released_inputs(loss)
    assert isinstance(stand_in, FreedTensor) and stand_in is not hidden and stand_in.name == hidden.name
    ref = weakref.ref(hidden)
    del hidden
    gc.collect()
    assert ref() is None  # the released graph does not hold on to it


def test_an_activation_a_hook_refers_to_keeps_its_values():
    x = mg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    hidden = x * 3.0
    seen: list[np.ndarray] = []

    def hook(grad: np.ndarray, held: mg.Tensor = hidden) -> None:  # the hook holds `hidden`
        seen.append(held.data.copy())

    hidden.register_hook(hook)
    loss = hidden.sum()
    del hidden
    loss.backward()
    np.testing.assert_array_equal(seen[0], [3.0, -6.0])


def test_the_debuggers_pass_never_frees_in_place():
    # backward_steps shows the steps, whose inputs a user may keep: stand-ins only, in `freed`.
    loss, tensor_ref, array_ref, values = _activation_and_its_array()
    steps = list(mg.debug.backward_steps(loss))
    assert any(step.op == "relu" for step in steps)
    del steps
    gc.collect()
    assert tensor_ref() is None and array_ref() is None
    (stand_in,) = _released_inputs(loss)
    assert isinstance(stand_in, FreedTensor)


# ------------------------------------------------------------------------ buffer donation
class _Probe(mg.Function):
    """Identity that records whether the engine donated its gradient, and writes into it then."""

    donated: ClassVar[list[bool]] = []

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        _Probe.donated.append(ctx.grad_donated)
        return np.multiply(grad, 1.0, out=grad if ctx.grad_donated else None)


def _probe_loss(x: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
    h = mg.apply(_Probe, x * 2.0)
    return h, mg.nn.mse_loss(h.relu(), mg.tensor(np.zeros(x.shape)))


def test_backward_donates_a_gradient_nobody_else_holds():
    _Probe.donated.clear()
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    _, loss = _probe_loss(x)
    loss.backward()
    assert _Probe.donated == [True]
    np.testing.assert_allclose(grad_of(x), [8 / 3, 0.0, 8.0])  # d mean(relu(2x)^2)/dx = 8x/3 where x > 0


@pytest.mark.parametrize("holder", ["hook", "retain_grad", "backward_steps"])
def test_a_held_gradient_is_never_donated_nor_changed(holder):
    _Probe.donated.clear()
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h, loss = _probe_loss(x)
    held: list[np.ndarray] = []
    assert loss._node is not None
    relu_out = loss._node.inputs[0]
    if holder == "hook":
        relu_out.register_hook(held.append)
        h.register_hook(held.append)
        loss.backward()
    elif holder == "retain_grad":
        relu_out.retain_grad()
        h.retain_grad()
        loss.backward()
        held = [grad_of(relu_out), grad_of(h)]
    else:
        steps = list(mg.debug.backward_steps(loss))
        held = [s.output_grad for s in steps if s.op in ("relu", "_probe")]
    assert _Probe.donated == [False]
    dy = np.array([2.0, 0.0, 6.0]) * 2 / 3  # d loss / d relu_out, then / d h (relu passes x > 0)
    np.testing.assert_allclose(held[0], dy)
    np.testing.assert_allclose(held[1], dy)
    np.testing.assert_allclose(grad_of(x), [8 / 3, 0.0, 8.0])


def test_users_initial_gradient_is_not_overwritten():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    y = (x * 1.0).relu()
    upstream = np.array([5.0, 7.0])
    y.backward(upstream)
    np.testing.assert_array_equal(upstream, [5.0, 7.0])
    np.testing.assert_array_equal(grad_of(x), [5.0, 0.0])


def test_gradients_summed_in_place_stay_right_and_leave_leaves_apart():
    # x feeds two products whose fresh gradients are summed (in place, nobody holds them).
    a = np.array([1.0, -2.0, 0.5])
    x = mg.tensor(a, requires_grad=True)
    w = mg.tensor(np.array([2.0, 3.0, 4.0]), requires_grad=True)
    (x * w + x * 3.0).sum().backward()
    np.testing.assert_allclose(grad_of(x), [5.0, 6.0, 7.0])
    np.testing.assert_allclose(grad_of(w), a)
    assert not np.shares_memory(grad_of(x), grad_of(w))


class _ReadOnlyGrad(mg.Function):
    """Identity whose backward returns a fresh but read-only gradient."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        out = np.array(grad, copy=True)
        out.setflags(write=False)
        return out


def test_a_read_only_gradient_is_summed_into_a_new_array():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (mg.apply(_ReadOnlyGrad, x) + mg.apply(_ReadOnlyGrad, x)).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [2.0, 2.0])


def test_an_op_that_overwrites_the_nodes_own_fields_is_refused():
    # The ctx is the graph's node: `ctx.inputs = ...` would rewire the graph silently.
    class Rewires(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.inputs = (x,)
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"rewires.forward assigned ctx.op or ctx.inputs"):
        mg.apply(Rewires, x)


def test_a_pass_that_fails_half_way_adds_nothing_to_any_grad():
    # `a`'s gradient is complete after the first nodes, before the node that must refuse (its
    # saved `b` changed in place): the leaves' sums wait for the end, so no .grad is half-made.
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    loss = (a * (b * b)).sum()
    b.copy_([5.0, 6.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    assert a.grad is None and b.grad is None


def test_leaf_hooks_see_the_complete_gradient_once():
    # A leaf used three times: its hook runs once, on the sum, which then accumulates.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen: list[np.ndarray] = []
    x.register_hook(lambda g: seen.append(g.copy()))
    (x * 2.0 + x * 3.0 + x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [6.0, 6.0])
    np.testing.assert_array_equal(grad_of(x), [6.0, 6.0])


def test_an_activation_with_two_consumers_stays_one_freed_tensor():
    # The first consumer to run makes its stand-in; the second must share it, not free the
    # tensor itself in place (trace and draw would show it twice).
    x = mg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    hidden = (x * 3.0).relu()
    loss = (hidden * 2.0 + hidden * 5.0).sum()
    del hidden
    loss.backward()
    (add,) = _released_inputs(loss)
    first, second = (_released_inputs(mul)[0] for mul in _released_inputs(add))
    assert isinstance(first, FreedTensor) and first is second
    np.testing.assert_array_equal(x.grad, [21.0, 0.0])


def test_a_graph_whose_creation_order_is_broken_is_refused():
    # Tensor.backward takes tensors newest first: a consumer older than its input (possible only
    # by editing the engine's fields) would get an incomplete gradient, so the pass says so.
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    middle = x * 2.0
    top = middle * 3.0
    loss = top.sum()
    middle._index = top._index + 1
    with pytest.raises(RuntimeError, match="numbered after a tensor computed from it"):
        loss.backward()
