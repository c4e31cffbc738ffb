"""In-place changes between forward and backward (SPEC 0.2): counted, and never a silent gradient.

One section per kind of change minigrad makes: optimizer step, load_state_dict, BatchNorm's
moving statistics, Tensor.copy_. Then the ordinary training loop, which must never raise.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _dense_loss(layer: nn.Dense) -> mg.Tensor:
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    return (layer(x) * layer(x)).mean()


# ------------------------------------------------------------------------ optimizer step
def test_step_between_forward_and_backward_raises_naming_tensor_and_op():
    mg.manual_seed(0)
    layer = nn.Dense(3, 2)
    w = mg.tensor(np.ones((2, 2)), requires_grad=True)
    out = (layer(mg.tensor(np.ones((1, 3)))) @ w).sum()  # matmul saves w's array
    w.grad = np.ones((2, 2))
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=r"'matmul'.*tensor_\d+.*modified in place.*SGD\.step.*version 1"):
        out.backward()


def test_step_counts_a_version():
    p = mg.tensor([1.0, 2.0], requires_grad=True)
    p.grad = np.ones(2)
    opt = mg.optim.Adam([p])
    assert p._version == 0
    opt.step()
    opt.step()
    assert p._version == 2


def test_change_not_needed_by_backward_is_no_error():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    out = (a + 1.0).sum()  # add saves nothing of a
    a.grad = np.ones(2)
    mg.optim.SGD([a], lr=0.1).step()
    out.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])  # the earlier grad plus this one


def test_view_of_a_changed_tensor_is_detected():
    w = mg.tensor(np.ones((2, 2)), requires_grad=True)
    x = mg.tensor(np.ones((3, 4)), requires_grad=True)
    out = (x @ w.reshape(4, 1)).sum()  # matmul saves a view of w's array
    w.grad = np.ones((2, 2))
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


# ----------------------------------------------------------------------- load_state_dict
def test_load_state_dict_after_forward_raises():
    mg.manual_seed(0)
    layer = nn.Dense(3, 2)
    loss = _dense_loss(layer)
    layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)})
    with pytest.raises(RuntimeError, match=r"'weight'.*modified in place since the forward \(load_state_dict"):
        loss.backward()


# ------------------------------------------------------------------- BatchNorm statistics
def test_moving_statistics_update_is_counted_and_detected():
    bn = nn.BatchNorm(2)
    bn.eval()
    x = mg.tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    out = bn(x).sum()  # the inference op saves the moving statistics
    bn.train()
    bn(mg.tensor(np.ones((4, 2))))  # updates them in place
    assert bn.moving_mean._version == 1
    with pytest.raises(RuntimeError, match="moving_(mean|variance).*moving-statistic update"):
        out.backward()


def test_user_op_on_a_moving_statistic_is_detected():
    bn = nn.BatchNorm(2)
    x = mg.tensor(np.ones((3, 2)), requires_grad=True)
    out = (x * bn.moving_variance).sum()
    bn(mg.tensor(np.arange(6.0).reshape(3, 2)))
    with pytest.raises(RuntimeError, match="moving_variance"):
        out.backward()


def test_a_moving_statistics_update_that_fails_half_way_is_still_counted():
    # The mean is updated, then the variance cannot be (its array is read-only): the change to
    # the mean must still be recorded, or a backward that saved it would use the new values.
    bn = nn.BatchNorm(2)
    x = mg.tensor(np.ones((3, 2)), requires_grad=True)
    out = (x * bn.moving_mean).sum()
    bn.moving_variance.data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        bn(mg.tensor(np.arange(6.0).reshape(3, 2)))
    assert not np.array_equal(bn.moving_mean.data, np.zeros(2))  # the mean did change
    assert bn.moving_mean._version == 1
    with pytest.raises(RuntimeError, match="moving_mean.*moving-statistic update"):
        out.backward()


# --------------------------------------------------------------------------------- copy_
def test_copy_writes_in_place_and_counts():
    t = mg.tensor([1.0, 2.0, 3.0])
    data = t.data
    assert t.copy_([4.0, 5.0, 6.0]) is t
    assert t.data is data and t._version == 1
    np.testing.assert_array_equal(t.data, [4.0, 5.0, 6.0])


def test_copy_after_forward_raises():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    out = (a * b).sum()
    b.copy_([0.0, 0.0])
    with pytest.raises(RuntimeError, match="'mul'.*modified in place"):
        out.backward()


def test_copy_of_a_saved_output_is_detected():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    e = a.exp()  # exp saves its output
    out = e.sum()
    e.copy_([0.0, 0.0])
    with pytest.raises(RuntimeError, match="'exp'"):
        out.backward()


def test_copy_refuses_bad_values():
    t = mg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"copy_: .*\(3,\).*\(2,\)"):
        t.copy_([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="copy_"):
        mg.tensor(np.array([1, 2])).copy_([0.5, 1.5])
    with pytest.raises(TypeError, match="tensor"):
        t.copy_(["a", "b"])


@pytest.mark.parametrize(
    "share",
    [
        lambda buf: np.frombuffer(buf)[1:],  # a view of a view whose owner is `buf`
        lambda buf: np.asarray(memoryview(buf.data))[1:],  # memory no array owns (a memoryview's)
    ],
    ids=["frombuffer-chain", "memoryview"],
)
def test_change_through_another_array_over_the_same_memory_is_detected(share):
    buf = np.ones(4)
    x = mg.tensor(np.ones(4), requires_grad=True)
    x.data = buf
    out = (x * x).sum()  # mul saves buf itself
    w = mg.tensor(np.zeros(3))
    w.data = share(buf)
    w.copy_([5.0, 5.0, 5.0])  # changes buf's memory through w
    with pytest.raises(RuntimeError, match="'mul'.*modified in place.*copy_"):
        out.backward()


def test_changes_to_other_memory_leave_a_stale_node_unchecked_and_right():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    out = (a * a).sum()
    other = mg.tensor(np.zeros(2))
    other.data = np.asarray(memoryview(np.zeros(2).data))
    other.copy_([1.0, 1.0])  # memory no array owns changed: compared exactly, no false alarm
    mg.tensor([0.0]).copy_([1.0])
    out.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0])


# --------------------------------------------------------------- no false alarms in training
@pytest.mark.parametrize("opt_cls", [mg.optim.SGD, mg.optim.Adam])
def test_ordinary_training_loop_never_raises(opt_cls):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Dense(3, 4), nn.BatchNorm(4), nn.ReLU(), nn.Dense(4, 1))
    opt = opt_cls(model.parameters(), lr=0.01)
    x = mg.tensor(np.random.default_rng(0).normal(size=(8, 3)))
    for _ in range(3):
        opt.zero_grad()
        loss = nn.mse_loss(model(x), mg.tensor(np.zeros((8, 1))))
        loss.backward()
        opt.step()
    model.load_state_dict(model.state_dict())
    nn.mse_loss(model(x), mg.tensor(np.zeros((8, 1)))).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_retain_graph_then_step_then_second_backward_raises():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    mg.optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
