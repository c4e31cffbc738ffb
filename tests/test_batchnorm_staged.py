"""`BatchNorm(..., impl="staged")`: the nine stages as graph nodes, the same layer as "fused"."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad.debug import backward_steps, trace

STAGES = ["mu", "xmu", "sq", "var", "sqrtvar", "ivar", "xhat", "gammax", "out"]
LAYOUTS = [((6, 3), -1), ((4, 2, 2, 3), -1), ((4, 3, 2, 2), 1)]


def run(impl, convention, shape, axis, training, seed=0, steps=3):
    """Outputs, gradients and buffers after `steps` forward/backward passes of one layer."""
    rng = np.random.default_rng(seed)
    c = shape[axis]
    layer = mg.nn.BatchNorm(c, axis=axis, convention=convention, impl=impl)
    layer.gamma.data[...] = rng.normal(size=c)
    layer.beta.data[...] = rng.normal(size=c)
    layer.moving_mean.data[...] = rng.normal(size=c)
    layer.moving_variance.data[...] = rng.uniform(0.5, 2.0, size=c)
    layer.train(training)
    outs, grads = [], []
    for _ in range(steps):
        x = mg.tensor(rng.normal(loc=1.0, scale=2.0, size=shape), requires_grad=True)
        dout = rng.normal(size=shape)
        layer.zero_grad()
        y = layer(x)
        y.backward(dout)
        outs.append(y.numpy())
        grads.append([x.grad, layer.gamma.grad, layer.beta.grad])
    return outs, grads, {k: v.copy() for k, v in layer.state_dict().items()}


@pytest.mark.parametrize("convention", ["keras", "torch", "cs231n"])
@pytest.mark.parametrize(("shape", "axis"), LAYOUTS)
@pytest.mark.parametrize("training", [True, False])
def test_staged_equals_fused(convention, shape, axis, training):
    fused = run("fused", convention, shape, axis, training)
    staged = run("staged", convention, shape, axis, training)
    for a, b in zip(fused[0], staged[0]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    for ga, gb in zip(fused[1], staged[1]):
        for a, b in zip(ga, gb):
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)
    assert fused[2].keys() == staged[2].keys()
    for key in fused[2]:
        np.testing.assert_allclose(staged[2][key], fused[2][key], rtol=1e-12, atol=1e-14, err_msg=key)


@settings(max_examples=15)  # each example is a full staged BatchNorm gradcheck (~30 ms)
@given(n=st.integers(2, 6), c=st.integers(1, 4), seed=seeds)
def test_staged_gradients_pass_gradcheck(n, c, seed):
    rng = np.random.default_rng(seed)
    layer = mg.nn.BatchNorm(c, convention="torch", impl="staged", dtype=np.float64)
    x = rng.normal(size=(n, c)) * 3.0
    assert mg.gradcheck(layer, [x])


def test_backward_steps_see_the_nine_stages():
    layer = mg.nn.BatchNorm(3, impl="staged")
    x = mg.tensor(np.random.default_rng(0).normal(size=(5, 3)), requires_grad=True, name="x")
    loss = (layer(x) * 2.0).sum()
    assert [r.op for r in trace(loss) if r.op in STAGES] == STAGES  # forward order
    seen = [s.op for s in backward_steps(loss) if s.op in STAGES]
    assert seen == STAGES[::-1]  # the staged backward, stage by stage in reverse


def test_eval_mode_has_its_stages_too():
    layer = mg.nn.BatchNorm(3, impl="staged").eval()
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    assert [r.op for r in trace(layer(x).sum()) if r.op not in ("leaf", "const")] == ["xhat", "gammax", "out", "sum"]


def test_single_value_warning_and_errors_are_the_same():
    x = mg.tensor(np.ones((1, 2)))
    with pytest.warns(UserWarning, match="one value per channel"):
        mg.nn.BatchNorm(2, impl="staged")(x)
    with pytest.raises(ValueError, match="more than 1 value"):
        mg.nn.BatchNorm(2, convention="torch", impl="staged")(x)
    with pytest.raises(ValueError, match="impl must be 'fused' or 'staged'"):
        mg.nn.BatchNorm(2, impl="fast")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "impl='staged'" in repr(mg.nn.BatchNorm(2, impl="staged"))


def test_the_layers_stages_are_the_derivations_stages():
    """The layer's ops carry the derivation's stage table (names, forward and local backward
    formulas), so lesson 05's table is what the graph shows."""
    import inspect

    from minigrad.derivations import batchnorm as bn
    from minigrad.ops.batchnorm_stages import TRAIN_STAGES

    def first(doc):
        return inspect.cleandoc(doc).splitlines()[0]

    assert [op.name for op in TRAIN_STAGES] == [s.name for s in bn.TRAIN.stages] == STAGES
    for op, stage in zip(TRAIN_STAGES, bn.TRAIN.stages):
        assert first(op.__doc__) == stage.formula(), stage.name
        assert first(op.backward.__doc__) == stage.backward_formula(), stage.name
