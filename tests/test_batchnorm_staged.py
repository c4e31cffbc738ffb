"""`BatchNorm(..., impl="staged")`: the nine stages as graph nodes, the same layer as "fused"."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import grad_of
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad.debug import backward_steps, trace
from minigrad.derivations import batchnorm as bn
from minigrad.ops import batchnorm_stages as stage_ops
from minigrad.ops.stage import StageOp

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
    """Inference mode: lesson 05's four inference-mode stages (bn.EVAL), one node each."""
    layer = mg.nn.BatchNorm(3, impl="staged").eval()
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    ops = [r.op for r in trace(layer(x).sum()) if r.op not in ("leaf", "const")]
    assert ops == ["xmu", "xhat", "gammax", "out", "sum"] == [s.name for s in bn.EVAL.stages] + ["sum"]


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


def test_the_derivation_runs_the_stage_classes_the_layer_is_built_from():
    """One definition: bn.TRAIN / bn.EVAL hold the classes of `ops.batchnorm_stages`, and every
    node the staged layer makes is one of those classes' `.op`, which runs that class's code."""
    assert bn.TRAIN.stages == stage_ops.TRAIN_STAGES and bn.EVAL.stages == stage_ops.EVAL_STAGES
    assert bn.Mu is stage_ops.Mu and bn.TRAIN.stage("ivar") is stage_ops.IVar
    for training, derivation in ((True, bn.TRAIN), (False, bn.EVAL)):
        layer = mg.nn.BatchNorm(3, impl="staged").train(training)
        x = mg.tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
        nodes = [n for r in trace(layer(x)) if r.op not in ("leaf", "const") and (n := r.tensor._node) is not None]
        assert [n.op for n in nodes] == [s.op for s in derivation.stages]
        for node, stage in zip(nodes, derivation.stages):
            op = node.op
            assert issubclass(op, StageOp) and op.stage is stage and op.name == stage.name
            assert op.__doc__ == stage.__doc__  # the formula, stated once


def test_one_changed_stage_changes_the_derivation_and_the_layer(monkeypatch):
    """Plant a flipped sign in ONE place, the ivar stage's backward: the derivation's check names
    ivar and the staged layer's gradient goes wrong with it (no second copy keeps it right)."""
    rng = np.random.default_rng(1)
    x, gamma, beta, dout = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3), rng.normal(size=(5, 3))

    def staged_dx():
        layer = mg.nn.BatchNorm(3, convention="torch", impl="staged", dtype=np.float64)
        layer.gamma.data[...], layer.beta.data[...] = gamma, beta
        tx = mg.tensor(x, requires_grad=True)
        layer(tx).backward(dout)
        return tx.grad

    right = staged_dx()
    np.testing.assert_allclose(right, bn.backward(dout, bn.forward(x, gamma, beta)[1])[0], atol=1e-12)
    monkeypatch.setattr(stage_ops.IVar, "backward", staticmethod(lambda divar, sqrtvar: divar / sqrtvar**2))
    report = bn.check_stages(x, gamma, beta)
    assert not report and report.first_wrong_stage == "ivar"
    assert not np.allclose(staged_dx(), right)


def test_a_stage_op_sees_only_its_inputs_and_constants_and_keeps_its_output_only_if_asked():
    from minigrad.engine.tensor import apply

    a = mg.tensor(np.array([1.0, 4.0]), requires_grad=True)
    y = apply(stage_ops.SqrtVar.op, a, eps=0.0)
    assert y.op == "sqrtvar" and not stage_ops.SqrtVar.op.saves_output
    np.testing.assert_allclose(y.numpy(), [1.0, 2.0])
    y.backward(np.ones(2))
    np.testing.assert_allclose(grad_of(a), [0.5, 0.25])
    with pytest.raises(TypeError, match="sqrtvar: expected 1 input"):
        apply(stage_ops.SqrtVar.op, a, a, eps=0.0)
