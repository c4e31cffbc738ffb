"""minigrad.interop's NumPy mappings: PyTorch state dicts, Keras weight lists, optimiser state.

No framework is needed here; tests/test_interop_frameworks.py runs the same models in PyTorch and
Keras (or against numbers recorded from them).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import interop
from minigrad.interop.layers import ACTIVATIONS, leaves

nn = mg.nn
M = TypeVar("M", bound=nn.Module)


def trained(model: M, x: np.ndarray, steps: int = 2) -> M:
    """Move every parameter and moving statistic away from its initial value."""
    opt = mg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        (model(mg.tensor(x)) ** 2).mean().backward()
        opt.step()
    return model


def every_layer(seed: int = 0) -> nn.Sequential:
    mg.manual_seed(seed)
    return nn.Sequential(
        nn.Dense(4, 5),
        nn.BatchNorm(5, convention="torch"),
        nn.ReLU(),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.LayerNorm(5),
        nn.Dropout(0.0),
        nn.Sequential(nn.Dense(5, 3, bias=False), nn.BatchNorm(3, affine=False, momentum="cumulative")),
    )


def same_state(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(np.array_equal(sa[k], sb[k]) and sa[k].dtype == sb[k].dtype for k in sa)


def test_torch_names_and_layouts():
    model = trained(every_layer(), np.random.default_rng(1).normal(size=(6, 4)))
    sd = interop.torch_state_dict(model)
    last = len(model) - 1
    assert list(sd)[:7] == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert f"{last}.0.weight" in sd and f"{last}.0.bias" not in sd  # nested Sequential, Dense without bias
    assert f"{last}.1.weight" not in sd and f"{last}.1.running_var" in sd  # BatchNorm without affine
    np.testing.assert_array_equal(sd["0.weight"], model[0].weight.data.T)  # Linear.weight is (out, in)
    np.testing.assert_array_equal(sd["1.weight"], model[1].gamma.data)
    np.testing.assert_array_equal(sd["1.running_var"], model[1].moving_variance.data)
    assert sd["1.num_batches_tracked"].dtype == np.int64 and int(sd["1.num_batches_tracked"]) == 2
    assert sd["0.weight"].flags.c_contiguous and not np.shares_memory(sd["1.bias"], model[1].beta.data)


def test_torch_round_trip_into_a_fresh_model():
    source = trained(every_layer(0), np.random.default_rng(2).normal(size=(6, 4)))
    target = every_layer(1)
    assert not same_state(source, target)
    interop.load_torch_state_dict(target, interop.torch_state_dict(source))
    assert same_state(source, target)


def test_keras_weight_lists():
    model = trained(every_layer(), np.random.default_rng(3).normal(size=(6, 4)))
    weights = interop.keras_weights(model)
    assert len(weights) == len(leaves(model))
    kernel, bias = weights[0]
    np.testing.assert_array_equal(kernel, model[0].weight.data)  # Keras's kernel is (in, out), as minigrad's
    gamma, beta, mean, var = weights[1]
    np.testing.assert_array_equal(var, model[1].moving_variance.data)
    assert weights[2] == []  # ReLU
    assert [w.shape for w in weights[-1]] == [(3,), (3,)]  # BatchNorm(affine=False): moving stats only
    assert [w.shape for w in weights[5]] == [(5,), (5,)]  # LayerNorm: gamma, beta
    np.testing.assert_array_equal(weights[5][0], model[5].gamma.data)


@pytest.mark.parametrize("flat", [False, True], ids=["per-layer", "flat"])
def test_keras_round_trip(flat):
    source = trained(every_layer(0), np.random.default_rng(4).normal(size=(6, 4)))
    target = every_layer(1)
    weights = interop.keras_weights(source)
    interop.load_keras_weights(target, [w for layer in weights for w in layer] if flat else weights)
    ours, theirs = source.state_dict(), target.state_dict()
    for key in ours:
        if key.endswith("num_batches_tracked"):
            assert int(theirs[key]) == 0  # Keras does not count batches: the count stays
        else:
            np.testing.assert_array_equal(ours[key], theirs[key])


@pytest.mark.parametrize(
    "axis,shape", [(1, (3, 4, 2, 2)), (-1, (3, 2, 2, 4)), (-1, (5, 4))], ids=["NCHW", "NHWC", "2-D"]
)
def test_both_batchnorm_layouts_round_trip(axis, shape):
    x = np.random.default_rng(5).normal(size=shape)
    source = trained(nn.Sequential(nn.BatchNorm(4, axis=axis), nn.ReLU()), x, steps=3)
    for save, load in (
        (interop.torch_state_dict, interop.load_torch_state_dict),
        (interop.keras_weights, interop.load_keras_weights),
    ):
        target = nn.Sequential(nn.BatchNorm(4, axis=axis), nn.ReLU())
        state: Any = save(source)  # each format's load takes what its own save gave
        load(target, state)
        source.eval(), target.eval()
        np.testing.assert_array_equal(source(mg.tensor(x)).numpy(), target(mg.tensor(x)).numpy())
        source.train()


@given(n_in=st.integers(1, 5), n_out=st.integers(1, 5), bias=st.booleans(), f32=st.booleans())
def test_dense_round_trips_for_any_shape(n_in, n_out, bias, f32):
    dtype = np.float32 if f32 else np.float64
    source, target = nn.Dense(n_in, n_out, bias=bias, dtype=dtype), nn.Dense(n_in, n_out, bias=bias, dtype=dtype)
    sd = interop.torch_state_dict(source)
    assert sd["weight"].shape == (n_out, n_in) and sd["weight"].dtype == dtype
    interop.load_torch_state_dict(target, sd)
    assert same_state(source, target)
    interop.load_keras_weights(target, interop.keras_weights(nn.Dense(n_in, n_out, bias=bias, dtype=dtype)))
    assert not same_state(source, target) or n_in * n_out == 0


def test_a_bad_torch_state_dict_changes_nothing_and_says_what_is_wrong():
    model = every_layer()
    before = model.state_dict()
    sd = interop.torch_state_dict(model)
    sd["0.weight"] = sd["0.weight"].T  # minigrad's layout given where PyTorch's is expected
    del sd["1.running_var"]
    sd["9.weight"] = np.zeros(3)
    with pytest.raises(ValueError) as info:
        interop.load_torch_state_dict(model, sd)
    message = str(info.value)
    assert "nothing was changed" in message
    assert "missing key '1.running_var'" in message and "layer '1'" in message and "moving_variance" in message
    assert "unexpected key '9.weight'" in message
    assert "'0.weight'" in message and "(4, 5)" in message and "(5, 4)" in message and "out_features" in message
    assert same_state(model, _restored(before))


def _restored(state: dict[str, np.ndarray]) -> nn.Module:
    model = every_layer()
    model.load_state_dict(state)
    return model


def test_a_bad_value_is_refused_before_anything_changes():
    model = every_layer()
    before = model.state_dict()
    sd = interop.torch_state_dict(model)
    sd["1.num_batches_tracked"] = np.array(2.5)  # not a count
    with pytest.raises(ValueError, match=r"load_torch_state_dict.*nothing was changed(.|\n)*num_batches_tracked"):
        interop.load_torch_state_dict(model, sd)
    assert same_state(model, _restored(before))


def test_bad_keras_weights_change_nothing_and_name_the_layer():
    model = every_layer()
    before = model.state_dict()
    weights = interop.keras_weights(model)
    weights[1] = weights[1][:3]  # BatchNorm without its moving variance
    weights[0][1] = np.zeros(7)
    with pytest.raises(ValueError) as info:
        interop.load_keras_weights(model, weights)
    message = str(info.value)
    assert "layer '1' (BatchNorm): got 3 arrays" in message and "moving_variance" in message
    assert "layer '0' (Dense.bias): got (7,), expected (5,)" in message
    assert same_state(model, _restored(before))
    with pytest.raises(ValueError, match="flat list of 2 arrays"):
        interop.load_keras_weights(model, [np.zeros(1), np.zeros(2)])
    with pytest.raises(ValueError, match="for 2 layers"):
        interop.load_keras_weights(model, [[], []])


def test_unsupported_layers_are_named():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    model = nn.Sequential(nn.Dense(2, 2), nn.Sequential(nn.ReLU(), Square()))
    for function in (interop.torch_state_dict, interop.keras_weights):
        with pytest.raises(TypeError, match=r"layer '1\.1' is a Square, which has no PyTorch/Keras mapping"):
            function(model)
    with pytest.raises(TypeError, match="expected a minigrad Module"):
        interop.torch_state_dict({"weight": np.zeros(2)})  # type: ignore[arg-type]  # the wrong type is the test


def test_activation_layers_map_by_name():
    assert {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"} == ACTIVATIONS
    for layer in (nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.Dropout(0.3)):
        assert interop.torch_state_dict(layer) == {} and interop.keras_weights(layer) == [[]]
    sd = interop.torch_state_dict(nn.LayerNorm(3))
    assert list(sd) == ["weight", "bias"]


# --------------------------------------------------------------------------- BatchNorm conventions
def test_batchnorm_conventions_for_pytorch():
    options, notes = interop.torch_batchnorm_options(nn.BatchNorm(3, convention="torch"))
    assert options == {"num_features": 3, "eps": 1e-5, "momentum": pytest.approx(0.1, abs=1e-15), "affine": True}
    assert notes == []
    options, notes = interop.torch_batchnorm_options(nn.BatchNorm(3, momentum="cumulative", convention="torch"))
    assert options["momentum"] is None  # PyTorch's cumulative average
    for convention in ("keras", "cs231n"):  # they feed the biased variance; PyTorch cannot
        options, notes = interop.torch_batchnorm_options(nn.BatchNorm(3, convention=convention))
        assert len(notes) == 1 and "unbiased" in notes[0] and convention in notes[0]
    assert interop.torch_batchnorm_options(nn.BatchNorm(3, eps=0.01))[0]["eps"] == 0.01


def test_batchnorm_conventions_for_keras():
    options, notes = interop.keras_batchnorm_options(nn.BatchNorm(3, axis=1))
    assert options == {"axis": 1, "momentum": 0.99, "epsilon": 1e-3, "center": True, "scale": True} and notes == []
    options, notes = interop.keras_batchnorm_options(nn.BatchNorm(3, convention="torch", affine=False))
    assert options["momentum"] == 0.9 and not options["center"] and "biased" in notes[0]
    bn = nn.BatchNorm(3, momentum="cumulative")
    trained(bn, np.random.default_rng(6).normal(size=(4, 3)), steps=3)
    options, notes = interop.keras_batchnorm_options(bn)
    assert options["momentum"] == pytest.approx(0.75) and "no Keras equivalent" in notes[0]  # 1 - 1/4


# ----------------------------------------------------------------------------------- optimisers
def _stepped(optimizer_factory, steps: int = 3):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Dense(3, 4), nn.BatchNorm(4, convention="torch"), nn.ReLU(), nn.Dense(4, 2))
    opt = optimizer_factory(model.parameters())
    trained_with(model, opt, steps)
    return model, opt


def trained_with(model, opt, steps):
    x = np.random.default_rng(7).normal(size=(6, 3))
    for _ in range(steps):
        opt.zero_grad()
        (model(mg.tensor(x)) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize(
    "factory",
    [lambda p: mg.optim.Adam(p, lr=0.01), lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9)],
    ids=["Adam", "SGD"],
)
def test_torch_optimiser_state_round_trip(factory):
    model, opt = _stepped(factory)
    state = interop.torch_optimizer_state(opt, model)
    assert sorted(state) == list(range(len(opt.params)))
    if isinstance(opt, mg.optim.Adam):
        assert set(state[0]) == {"step", "exp_avg", "exp_avg_sq"}
        assert state[0]["step"].dtype == np.float32 and float(state[0]["step"]) == 3
        np.testing.assert_array_equal(state[0]["exp_avg"], opt.state_dict()["0.m"].T)  # Linear.weight layout
    else:
        assert set(state[0]) == {"momentum_buffer"} and state[0]["momentum_buffer"].shape == (4, 3)
    twin_model, twin = _stepped(factory, steps=0)
    interop.load_torch_state_dict(twin_model, interop.torch_state_dict(model))
    interop.load_torch_optimizer_state(twin, twin_model, state)
    trained_with(model, opt, 2), trained_with(twin_model, twin, 2)
    assert same_state(model, twin_model)  # the continued runs agree exactly


@pytest.mark.parametrize(
    "factory",
    [lambda p: mg.optim.Adam(p, lr=0.01, convention="tf"), lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9)],
    ids=["Adam", "SGD"],
)
def test_keras_optimiser_state_round_trip(factory):
    model, opt = _stepped(factory)
    state = interop.keras_optimizer_state(opt, model)
    if isinstance(opt, mg.optim.Adam):
        assert state["iterations"] == 3 and len(state["momentums"]) == len(state["velocities"]) == 6
        np.testing.assert_array_equal(state["momentums"][0], opt.state_dict()["0.m"])  # kernel: no transpose
    else:
        np.testing.assert_allclose(state["momentums"][0], -0.1 * opt.state_dict()["0.momentum_buffer"])  # velocity
    twin_model, twin = _stepped(factory, steps=0)
    interop.load_torch_state_dict(twin_model, interop.torch_state_dict(model))
    interop.load_keras_optimizer_state(twin, twin_model, state)
    trained_with(model, opt, 2), trained_with(twin_model, twin, 2)
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(twin_model.state_dict()[key], value, rtol=1e-13, atol=1e-15)


def test_optimiser_conventions_that_do_not_map_are_refused():
    paper_model, paper = _stepped(lambda p: mg.optim.Adam(p, lr=0.01))
    with pytest.raises(ValueError, match=r"Adam\(convention='paper'\) is not Keras's Adam.*'tf'"):
        interop.keras_optimizer_state(paper, paper_model)
    model, tf = _stepped(lambda p: mg.optim.Adam(p, lr=0.01, convention="tf"))
    with pytest.raises(ValueError, match=r"Adam\(convention='tf'\) is not PyTorch's Adam.*'paper'"):
        interop.torch_optimizer_state(tf, model)
    stranger = mg.optim.SGD([mg.tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="parameter 0 .* is not a parameter of the model"):
        interop.torch_optimizer_state(stranger, model)
    with pytest.raises(ValueError, match="non-negative whole number"):
        interop.load_torch_optimizer_state(paper, paper_model, {0: {"step": np.array(1.5)}})
