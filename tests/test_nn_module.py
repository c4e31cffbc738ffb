"""Module, Dense, ReLU, Sequential, losses: registration, names, modes, trainable, state dicts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import grad_of
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def small_model(dtype=None) -> nn.Sequential:
    mg.manual_seed(0)
    return nn.Sequential(
        nn.Dense(3, 4, dtype=dtype), nn.BatchNorm(4, dtype=dtype), nn.ReLU(), nn.Dense(4, 2, dtype=dtype)
    )


def test_parameters_and_buffers_are_named_by_path():
    model = small_model()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.gamma", "1.beta", "3.weight", "3.bias"]
    assert [n for n, _ in model.named_buffers()] == ["1.moving_mean", "1.moving_variance", "1.num_batches_tracked"]
    # The tensor's own name is its path, so debuggers and gradcheck rows can show it.
    assert model[1].gamma.name == "1.gamma" and model[1].moving_mean.name == "1.moving_mean"
    outer = nn.Sequential(nn.ReLU(), model)
    assert isinstance(outer[1], nn.Sequential) and outer[1][1].gamma.name == "1.1.gamma"
    assert "1.1.moving_variance" in outer.state_dict()


def test_buffers_are_not_parameters_but_are_saved():
    model = small_model()
    params = {id(p) for p in model.parameters()}
    assert all(id(b) not in params for b in model.buffers())
    assert all(not b.requires_grad for b in model.buffers())
    assert set(model.state_dict()) == {n for n, _ in model.named_parameters()} | {n for n, _ in model.named_buffers()}


def test_sequential_indexing_len_iteration_and_errors():
    model = small_model()
    assert len(model) == 4 and isinstance(model[1], nn.BatchNorm) and isinstance(model[-1], nn.Dense)
    assert [type(m).__name__ for m in model] == ["Dense", "BatchNorm", "ReLU", "Dense"]
    assert len(model[1:3]) == 2
    with pytest.raises(IndexError, match="out of range for 4 modules"):
        model[7]
    with pytest.raises(TypeError, match="argument 0 is a int"):
        nn.Sequential(3)  # type: ignore[arg-type]  # the wrong type is the test
    assert [name for name, _ in model.named_children()] == ["0", "1", "2", "3"]
    assert len(list(model.children())) == 4


def test_new_module_trains_and_modes_propagate():
    model = small_model()
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert model.training and not model[1].training


def test_trainable_false_freezes_every_parameter_below_and_propagates():
    model = small_model()
    model.trainable = False
    assert all(not m.trainable for m in model.modules())
    assert all(not p.requires_grad for p in model.parameters())
    model[3].trainable = True
    assert model[3].weight.requires_grad and not model[0].weight.requires_grad


def test_frozen_parameters_get_no_gradient_and_the_input_still_does():
    model = small_model()
    model[0].trainable = False
    x = mg.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    model(x).sum().backward()
    assert model[0].weight.grad is None and model[0].bias.grad is None
    assert model[3].weight.grad is not None and x.grad is not None


def test_zero_grad_sets_none():
    model = small_model()
    model(np.ones((5, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_dense_shapes_init_and_formula():
    mg.manual_seed(3)
    layer = nn.Dense(5, 7)
    assert layer.bias is not None and layer.weight.shape == (5, 7) and layer.bias.shape == (7,)
    limit = np.sqrt(6 / (5 + 7))
    assert np.all(np.abs(layer.weight.data) <= limit) and np.all(layer.bias.data == 0)
    x = np.random.default_rng(1).standard_normal((4, 5))
    layer.bias.data[:] = np.arange(7)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + np.arange(7))
    mg.manual_seed(3)
    assert np.array_equal(nn.Dense(5, 7).weight.data, layer.weight.data), "manual_seed makes init reproducible"
    assert nn.Dense(5, 7, bias=False).bias is None
    assert nn.Dense(2, 3, dtype=np.float32).weight.dtype == np.float32


def test_dense_rejects_wrong_input_width():
    with pytest.raises(ValueError, match=r"dense: cannot multiply input \(4, 3\) @ weight \(5, 7\)"):
        nn.Dense(5, 7)(np.ones((4, 3)))


@given(batch=st.integers(1, 5), n_in=st.integers(1, 4), n_out=st.integers(1, 4), bias=st.booleans(), lead=st.booleans())
def test_dense_gradcheck(batch, n_in, n_out, bias, lead):
    mg.manual_seed(batch * 100 + n_in * 10 + n_out)
    layer = nn.Dense(n_in, n_out, bias=bias)
    shape = (2, batch, n_in) if lead else (batch, n_in)
    x = np.random.default_rng(batch).standard_normal(shape)
    report = mg.gradcheck(layer, [x])
    assert report, str(report)
    assert [r.label for r in report.rows] == ["input 0", "weight"] + (["bias"] if bias else [])


def test_relu_module_and_mse_loss():
    x = mg.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    assert np.array_equal(nn.ReLU()(x).data, [[0, 2], [3, 0]])
    target = np.array([[0.0, 1.0], [1.0, 0.0]])
    loss = nn.mse_loss(x, target)
    assert loss.item() == pytest.approx(np.mean((x.data - target) ** 2))
    loss.backward()
    np.testing.assert_allclose(grad_of(x), 2 * (x.data - target) / 4)
    assert nn.MSELoss()(x, target).item() == loss.item()
    assert mg.gradcheck(lambda p: nn.mse_loss(p, target), [x.data])


def test_mse_loss_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"mse_loss: prediction shape \(4, 1\) does not match target shape \(4,\)"):
        nn.mse_loss(mg.tensor(np.ones((4, 1))), np.ones(4))


def test_state_dict_round_trip_and_copies():
    model = small_model()
    model(np.random.default_rng(0).standard_normal((6, 3)))  # moves the moving statistics
    sd = model.state_dict()
    sd["0.weight"][0, 0] = 123.0
    assert model[0].weight.data[0, 0] != 123.0, "state_dict() returns copies"
    fresh = small_model()
    fresh[0].weight.data[:] = 0
    fresh.load_state_dict(model.state_dict())
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert np.array_equal(a, b), name


def test_strict_load_lists_every_problem_and_changes_nothing():
    model = small_model()
    before = model.state_dict()
    bad = dict(before)
    del bad["1.moving_mean"], bad["0.bias"]
    bad["extra.weight"] = np.zeros(2)
    bad["3.weight"] = np.zeros((5, 2))
    with pytest.raises(ValueError) as error:
        model.load_state_dict(bad)
    message = str(error.value)
    for expected in (
        "missing keys: 0.bias, 1.moving_mean",
        "unexpected keys: extra.weight",
        "3.weight: checkpoint has shape (5, 2), the module has (4, 2)",
        "nothing was changed",
    ):
        assert expected in message
    for name, array in model.state_dict().items():
        assert np.array_equal(array, before[name]), name


def test_non_strict_load_reports_what_it_skipped_but_still_refuses_bad_shapes():
    model = small_model()
    partial = {k: v for k, v in small_model().state_dict().items() if k.startswith("0.")}
    partial["other"] = np.zeros(1)
    result = model.load_state_dict(partial, strict=False)
    assert "1.moving_mean" in result.missing_keys and result.unexpected_keys == ["other"]
    with pytest.raises(ValueError, match="shape mismatch"):
        model.load_state_dict({"0.weight": np.zeros((1, 1))}, strict=False)


def test_load_casts_to_the_module_dtype_and_keeps_arrays_private():
    model = small_model(dtype=np.float32)
    sd = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in model.state_dict().items()}
    model.load_state_dict(sd)
    assert model[0].weight.dtype == np.float32
    sd["0.weight"][:] = 7
    assert not np.any(model[0].weight.data == 7)


def test_repr_shows_the_tree_shapes_and_modes():
    model = small_model()
    model[1].trainable = False
    text = repr(model)
    assert "(1): BatchNorm(4, axis=-1, momentum=0.99, eps=0.001, convention='keras')" in text
    assert "weight (3, 4)" in text and "moving_variance (4,)" in text
    assert "frozen -> runs in inference mode" in text
    assert repr(model.eval()).count("eval") >= 4


def test_forward_hooks_see_and_replace_outputs_and_can_be_removed():
    layer = nn.ReLU()
    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append((module, inputs[0].shape)))
    layer(mg.tensor(np.ones((2, 3))))
    assert seen == [(layer, (2, 3))]
    replace = layer.register_forward_hook(lambda m, i, out: out * 0)
    assert np.all(layer(mg.tensor(np.ones(2))).data == 0)
    handle.remove()
    replace.remove()
    assert np.all(layer(mg.tensor(np.ones(2))).data == 1) and len(seen) == 2


def test_assigning_attributes_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_custom_module_registers_parameters_buffers_and_children():
    class Affine(nn.Module):
        calls: Any  # a buffer (registered below): Module keeps it a Tensor when forward assigns an array

        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.ones(3))
            self.register_buffer("calls", np.zeros(()))
            self.inner = nn.Dense(3, 3)

        def forward(self, x):
            self.calls = self.calls.data + 1
            return self.inner(x * self.scale)

    m = Affine()
    m(np.ones((2, 3)))
    m(np.ones((2, 3)))
    assert [n for n, _ in m.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert m.state_dict()["calls"] == 2
    assert mg.gradcheck(m, [np.random.default_rng(0).standard_normal((2, 3))])


@pytest.mark.parametrize(
    "key, bad, problem",
    [
        ("1.num_batches_tracked", np.array(np.nan), "non-integer values for an int64 tensor"),
        ("1.num_batches_tracked", np.array(2.7), "non-integer values"),
        ("1.num_batches_tracked", np.array(2.0**70), "do not fit in int64"),
    ],
)
def test_values_that_cannot_be_cast_exactly_are_refused_and_nothing_changes(key, bad, problem):
    model = small_model()
    before = model.state_dict()
    new = {k: v + 1 for k, v in before.items()}  # every other key would load fine
    new[key] = bad
    with pytest.raises(ValueError, match=f"bad value: {key}: checkpoint .*{problem}"):
        model.load_state_dict(new)
    for name, array in model.state_dict().items():
        assert np.array_equal(array, before[name]), name


def test_float64_values_that_overflow_a_float32_module_are_refused():
    model = small_model(dtype=np.float32)
    sd = model.state_dict()
    sd["0.weight"] = np.full((3, 4), 1e300)
    with pytest.raises(ValueError, match="bad value: 0.weight: checkpoint values overflow float32"):
        model.load_state_dict(sd)


def test_a_module_added_to_a_frozen_model_is_frozen_too():
    model = small_model()
    model.trainable = False
    model.extra = nn.BatchNorm(2)
    assert not model.extra.trainable and not model.extra.gamma.requires_grad
    model.extra(np.random.default_rng(0).standard_normal((4, 2)))
    assert model.extra.num_batches_tracked.data == 0, "a frozen BatchNorm runs in inference mode"


def test_slicing_a_sequential_leaves_the_original_names_alone():
    model = small_model()
    tail = model[1:]
    assert model[3].weight.name == "3.weight" and len(tail) == 3
    assert [n for n, _ in tail.named_parameters()] == ["0.gamma", "0.beta", "2.weight", "2.bias"]


def test_mse_is_one_fused_op_with_gradients_for_both_arguments():
    rng = np.random.default_rng(0)
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss = nn.mse_loss(mg.tensor(pred, requires_grad=True), target)
    assert loss.op == "mse_loss"
    report = mg.gradcheck(lambda p, t: nn.mse_loss(p, t), [pred, target])
    assert report, str(report)
    assert np.allclose(report["input 1"].analytic, -2 * (pred - target) / pred.size)  # d/dtarget by hand


def test_mse_of_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match=r"mse_loss: cannot average over an empty prediction of shape \(0, 3\)"):
        nn.mse_loss(mg.tensor(np.zeros((0, 3))), np.zeros((0, 3)))


@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 300),
    upstream=st.floats(-1e3, 1e3, allow_nan=False, width=32),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_mse_loss_gradient_has_the_bits_of_arithmetic_in_its_dtype(seed, rows, upstream, dtype):
    # The backward scales by a Python float (float64) for speed; that must round to what
    # 2 * g / N computed in the tensor's own dtype gives, bit for bit.
    rng = np.random.default_rng(seed)
    pred = mg.tensor(rng.normal(size=(rows, 1)).astype(dtype), requires_grad=True)
    target = rng.normal(size=(rows, 1)).astype(dtype)
    loss = nn.mse_loss(pred, target)
    assert loss.dtype == dtype and loss.shape == ()
    loss.backward(np.asarray(upstream, dtype=dtype))
    diff = pred.data - target
    in_dtype = diff * (dtype(2.0) * np.asarray(upstream, dtype=dtype) / dtype(diff.size))
    assert pred.grad is not None and pred.grad.dtype == dtype
    np.testing.assert_array_equal(pred.grad, in_dtype)
    np.testing.assert_array_equal(loss.data, np.vdot(diff, diff) / dtype(diff.size))


def test_module_attributes_are_the_registered_objects_through_every_change():
    # Module mirrors its registries in the instance dict (attribute reads stay plain reads): what
    # `layer.weight` gives must be what named_parameters()/named_buffers()/children() hold.
    layer = nn.Dense(2, 3)
    assert layer.weight is dict(layer.named_parameters())["weight"]
    replacement = nn.Parameter(np.ones((2, 3)))
    layer.weight = replacement
    assert layer.weight is replacement and dict(layer.named_parameters())["weight"] is replacement
    layer.bias = None
    assert layer.bias is None and set(dict(layer.named_parameters())) == {"weight"}
    del layer.weight
    assert not list(layer.named_parameters())
    with pytest.raises(AttributeError, match="Dense"):
        _ = layer.weight
    layer.weight = 5  # type: ignore[assignment]  # a plain attribute again, on purpose
    assert layer.weight == 5 and not list(layer.named_parameters())

    bn = nn.BatchNorm(2)
    buffer = bn.moving_mean
    bn.moving_mean = np.array([1.0, 2.0])  # assigning to a buffer updates its value, it stays one tensor
    assert bn.moving_mean is buffer and dict(bn.named_buffers())["moving_mean"] is buffer
    np.testing.assert_array_equal(buffer.data, [1.0, 2.0])
    bn.register_buffer("extra", np.zeros(1))
    assert bn.extra is dict(bn.named_buffers())["extra"]
    bn.register_buffer("extra", np.ones(1))  # registered again: the new tensor everywhere
    assert bn.extra is dict(bn.named_buffers())["extra"] and bn.extra.data[0] == 1.0

    model = nn.Sequential(nn.Dense(2, 2), nn.ReLU(), nn.Dense(2, 1))
    part = model[1:]
    assert getattr(part, "0") is model[1] and getattr(part, "1") is model[2]
    assert [m for _, m in part.named_children()] == [model[1], model[2]]
    inner = nn.Dense(1, 1)
    model.head = inner
    assert model.head is inner and dict(model.named_children())["head"] is inner
    del model.head
    assert "head" not in dict(model.named_children()) and not hasattr(model, "head")
