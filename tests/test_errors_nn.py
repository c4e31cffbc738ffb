"""Bad input to layers, modules and optimisers (SPEC 0.2), one section per public function."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


# ------------------------------------------------------------------------------ BatchNorm
def test_batchnorm_zero_row_training_batch_is_refused_and_changes_nothing():
    bn = nn.BatchNorm(3)
    before = bn.state_dict()
    with pytest.raises(ValueError, match="BatchNorm: a training batch needs at least one value per channel"):
        bn(mg.tensor(np.zeros((0, 3))))
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_one_dtype_rule_in_both_modes(training):
    bn = nn.BatchNorm(2, dtype=np.float64).train(training)
    x = mg.tensor(np.arange(8, dtype=np.float32).reshape(4, 2))
    assert bn(x).dtype == np.result_type(np.float32, np.float64) == np.float64
    bn32 = nn.BatchNorm(2, dtype=np.float32).train(training)
    assert bn32(x).dtype == np.float32


@pytest.mark.parametrize("momentum", [True, False, "0.9", [0.9]])
def test_batchnorm_momentum_must_be_a_number(momentum):
    with pytest.raises(TypeError, match="BatchNorm: momentum is the fraction of the moving value kept"):
        nn.BatchNorm(2, momentum=momentum)


@pytest.mark.parametrize("eps", ["1e-3", True, [1e-3]])
def test_batchnorm_eps_must_be_a_number(eps):
    with pytest.raises(TypeError, match="BatchNorm: eps must be a positive number"):
        nn.BatchNorm(2, eps=eps)


@pytest.mark.parametrize("axis", [None, (0, 1), 1.0, True])
def test_batchnorm_axis_must_be_one_int(axis):
    with pytest.raises(TypeError, match="BatchNorm: axis is the one channel axis, an int"):
        nn.BatchNorm(2, axis=axis)


@pytest.mark.parametrize("dtype", [int, np.int32, bool])
def test_batchnorm_dtype_must_be_floating(dtype):
    with pytest.raises(TypeError, match="BatchNorm: dtype must be a floating-point dtype"):
        nn.BatchNorm(2, dtype=dtype)


def test_batchnorm_torch_convention_with_a_torch_style_momentum_warns():
    with pytest.warns(UserWarning, match="fraction KEPT, so PyTorch's momentum=0.1 is 0.9 here"):
        nn.BatchNorm(2, convention="torch", momentum=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.BatchNorm(2, convention="torch", momentum=0.9)
        nn.BatchNorm(2, convention="torch")
        nn.BatchNorm(2, momentum=0.1)  # keras convention: the user means the fraction kept


def test_batchnorm_wrong_sized_buffer_is_named_as_pytorch_does():
    bn = nn.BatchNorm(3).eval()
    bn.moving_mean = np.zeros(7)
    with pytest.raises(ValueError, match="BatchNorm: moving_mean should contain 3 elements not 7"):
        bn(mg.tensor(np.ones((2, 3))))


def test_batchnorm_load_state_dict_names_a_wrong_shaped_buffer():
    bn = nn.BatchNorm(3)
    state = bn.state_dict() | {"moving_mean": np.zeros(7)}
    with pytest.raises(ValueError, match=r"moving_mean should contain 3 elements not 7"):
        bn.load_state_dict(state)


def test_batchnorm_input_none_or_text():
    with pytest.raises(TypeError, match="BatchNorm: the input is None"):
        nn.BatchNorm(2)(None)
    with pytest.raises(TypeError, match="tensor: cannot make a tensor"):
        nn.BatchNorm(2)(np.array([["a", "b"]]))


# --------------------------------------------------------------------- Module registration
@pytest.mark.parametrize("name", ["", "a.b"])
def test_register_buffer_refuses_empty_or_dotted_names(name):
    with pytest.raises(KeyError, match="register_buffer"):
        nn.Dense(2, 2).register_buffer(name, np.zeros(1))


@pytest.mark.parametrize("name", ["weight", "in_features"])
def test_register_buffer_refuses_a_taken_name(name):
    layer = nn.Dense(2, 2)
    with pytest.raises(KeyError, match=f"register_buffer: attribute '{name}' already exists"):
        layer.register_buffer(name, np.zeros(1))
    assert set(layer.state_dict()) == {"weight", "bias"}


def test_register_buffer_refuses_a_child_name():
    model = nn.Sequential(nn.Dense(2, 2))
    with pytest.raises(KeyError, match="attribute '0' already exists"):
        model.register_buffer("0", np.zeros(1))


def test_register_buffer_again_updates_it():
    bn = nn.BatchNorm(2)
    bn.register_buffer("moving_mean", np.ones(2))
    np.testing.assert_array_equal(bn.state_dict()["moving_mean"], [1.0, 1.0])


@pytest.mark.parametrize("value", [np.zeros((2, 2)), mg.tensor(np.zeros((2, 2))), 0.0])
def test_assigning_a_non_parameter_to_a_parameter_is_refused(value):
    layer = nn.Dense(2, 2)
    with pytest.raises(TypeError, match="Dense: cannot assign a .* to parameter 'weight'"):
        layer.weight = value
    assert "weight" in layer.state_dict()


def test_assigning_a_parameter_or_none_still_works():
    layer = nn.Dense(2, 2)
    layer.weight = nn.Parameter(np.ones((2, 2)))
    layer.bias = None
    assert set(layer.state_dict()) == {"weight"}


@pytest.mark.parametrize("mode", ["False", 0, 1, None])
def test_train_mode_must_be_a_bool(mode):
    layer = nn.Dense(2, 2)
    with pytest.raises(TypeError, match="train: mode must be a bool"):
        layer.train(mode)
    assert layer.training is True


# ------------------------------------------------------------------ Module.load_state_dict
@pytest.mark.parametrize("bad", [[("weight", np.zeros((2, 2)))], None, np.zeros(2)])
def test_load_state_dict_refuses_what_is_not_a_dict(bad):
    with pytest.raises(TypeError, match="load_state_dict: expected a dict of name -> array"):
        nn.Dense(2, 2).load_state_dict(bad)


def test_load_state_dict_refuses_non_str_keys():
    with pytest.raises(TypeError, match="load_state_dict: keys must be str, got 0"):
        nn.Dense(2, 2).load_state_dict({0: np.zeros((2, 2))})  # type: ignore[dict-item]  # the wrong type is the test


def test_load_state_dict_names_a_ragged_value_and_changes_nothing():
    layer = nn.Dense(2, 2)
    before = layer.state_dict()
    with pytest.raises(ValueError, match="bad value: bias: not an array"):
        layer.load_state_dict({"weight": np.zeros((2, 2)), "bias": [[1.0], [1.0, 2.0]]})
    np.testing.assert_array_equal(layer.weight.data, before["weight"])


# ---------------------------------------------------------------------------------- Dense
@pytest.mark.parametrize("args", [("2", 3), (2, 3.0), (True, 3)])
def test_dense_sizes_must_be_ints(args):
    with pytest.raises(TypeError, match="Dense: (in|out)_features must be an int"):
        nn.Dense(*args)


def test_dense_input_none():
    with pytest.raises(TypeError, match="Dense: the input is None"):
        nn.Dense(3, 2)(None)


# ------------------------------------------------------------------------------- mse_loss
def test_mse_loss_pred_must_be_a_tensor():
    with pytest.raises(TypeError, match="mse_loss: pred must be a Tensor"):
        nn.mse_loss(np.zeros(3), np.zeros(3))  # type: ignore[arg-type]  # the wrong type is the test


def test_mse_loss_target_none():
    with pytest.raises(TypeError, match="mse_loss: target is None"):
        nn.mse_loss(mg.tensor(np.zeros(3)), None)


# ------------------------------------------------------------------------ Optimizer.step
@pytest.mark.parametrize(
    "bad_grad, error",
    [
        ([1.0, 1.0], TypeError),
        (np.array([1, 1]), TypeError),
        (np.array(["a", "b"]), TypeError),
        (np.ones(3), ValueError),
    ],
    ids=["list", "int-array", "str-array", "wrong-shape"],
)
@pytest.mark.parametrize("opt_cls", [mg.optim.SGD, mg.optim.Adam])
def test_step_validates_every_grad_before_changing_anything(opt_cls, bad_grad, error):
    good = mg.tensor([1.0, 2.0], requires_grad=True)
    bad = mg.tensor([3.0, 4.0], requires_grad=True)
    good.grad, bad.grad = np.ones(2), bad_grad
    opt = opt_cls([good, bad], lr=0.1) if opt_cls is mg.optim.SGD else opt_cls([good, bad])
    with pytest.raises(error, match=r"step: parameter 1"):
        opt.step()
    np.testing.assert_array_equal(good.data, [1.0, 2.0])  # the first parameter did not move
    assert opt.state_dict() == {}  # no step count, no moments
    assert good._version == 0
