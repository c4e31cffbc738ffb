"""The same model, the same numbers: minigrad against PyTorch and Keras 3.

Recorded tests compare minigrad with numbers recorded from both frameworks
(minigrad/reference/interop_values.py, made by tests/reference/generate_interop.py) and need
neither. Live tests carry models across with minigrad.interop and skip when the framework is absent.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from helpers import Tolerance, grad_of

import minigrad as mg
from minigrad import interop
from minigrad.reference import interop_values as R

nn = mg.nn
PARAMS = R.PARAM_NAMES.split(",")
CASES = [("torch", "sgd"), ("torch", "adam"), ("keras", "sgd"), ("keras", "adam")]
IDS = [f"{f}-{o}" for f, o in CASES]
# Float64 throughout; the frameworks sum in other orders, so equal to a few ulps, not bit for bit.
TIGHT = Tolerance(rtol=1e-11, atol=1e-13)
# After Adam steps: Adam divides by |g|, so a last-digit difference in a tiny gradient grows.
AFTER = Tolerance(rtol=1e-9, atol=1e-11)


def build(framework: str) -> nn.Sequential:
    """The recorded model: PyTorch's BatchNorm1d(momentum=0.1) or Keras's (momentum=0.9) in minigrad."""
    convention = "torch" if framework == "torch" else "keras"
    model = nn.Sequential(
        nn.Dense(4, 5), nn.BatchNorm(5, momentum=0.9, convention=convention), nn.ReLU(), nn.Dense(5, 2)
    )
    interop.load_keras_weights(
        model, [[R.W0, R.B0], [np.ones(5), np.zeros(5), np.zeros(5), np.ones(5)], [], [R.W3, R.B3]]
    )
    return model


def optimiser(framework: str, kind: str, model: nn.Module) -> mg.optim.Optimizer:
    if kind == "sgd":
        return mg.optim.SGD(model.parameters(), lr=R.SGD_LR, momentum=R.SGD_MOMENTUM)
    convention = "paper" if framework == "torch" else "tf"  # each framework's own Adam
    return mg.optim.Adam(
        model.parameters(), lr=R.ADAM_LR, betas=(R.ADAM_BETA1, R.ADAM_BETA2), eps=R.ADAM_EPS, convention=convention
    )


def minigrad_step(model: nn.Module, opt: mg.optim.Optimizer) -> tuple[float, np.ndarray, list[np.ndarray]]:
    model.train()
    opt.zero_grad()
    pred = model(mg.tensor(R.X))
    loss = nn.mse_loss(pred, R.Y)
    loss.backward()
    grads = [grad_of(dict(model.named_parameters())[name]).copy() for name in PARAMS]
    opt.step()
    return loss.item(), pred.numpy(), grads


def recorded(framework: str, kind: str, what: str):
    return getattr(R, f"{framework.upper()}_{kind.upper()}_{what}")


def by_name(model: nn.Module) -> dict[str, np.ndarray]:
    return {name: p.data for name, p in model.named_parameters()}


# ---------------------------------------------------------------------------- recorded numbers
@pytest.mark.parametrize("framework,kind", CASES, ids=IDS)
def test_minigrad_reproduces_the_recorded_run(framework, kind):
    model = build(framework)
    opt = optimiser(framework, kind, model)
    losses = []
    for step in range(R.STEPS):
        loss, pred, grads = minigrad_step(model, opt)
        losses.append(loss)
        if step == 0:
            np.testing.assert_allclose(pred, recorded(framework, kind, "OUT_TRAIN"), **TIGHT)
            for name, grad in zip(PARAMS, grads):
                key = name.replace(".", "_").upper()
                np.testing.assert_allclose(grad, recorded(framework, kind, f"GRAD_{key}"), **TIGHT, err_msg=name)
    np.testing.assert_allclose(losses, recorded(framework, kind, "LOSSES"), **AFTER)
    bn = model[1]
    np.testing.assert_allclose(bn.moving_mean.data, recorded(framework, kind, "MOVING_MEAN"), **AFTER)
    np.testing.assert_allclose(bn.moving_variance.data, recorded(framework, kind, "MOVING_VARIANCE"), **AFTER)
    for name, value in by_name(model).items():
        key = name.replace(".", "_").upper()
        np.testing.assert_allclose(value, recorded(framework, kind, f"PARAM_{key}"), **AFTER, err_msg=name)
    model.eval()
    np.testing.assert_allclose(model(mg.tensor(R.X_EVAL)).numpy(), recorded(framework, kind, "OUT_EVAL"), **AFTER)


def test_the_conventions_matter_in_the_recorded_numbers():
    """The two runs differ only in the BatchNorm convention, and visibly: not a vacuous comparison."""
    assert not np.allclose(R.TORCH_SGD_MOVING_VARIANCE, R.KERAS_SGD_MOVING_VARIANCE, rtol=1e-3)
    model = build("keras")  # Keras's biased variance and eps in a model compared with PyTorch's numbers
    opt = optimiser("torch", "sgd", model)
    for _ in range(R.STEPS):
        minigrad_step(model, opt)
    assert not np.allclose(model[1].moving_variance.data, R.TORCH_SGD_MOVING_VARIANCE, rtol=1e-3)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_4d_batchnorm_matches_the_recorded_layouts(framework):
    nhwc = framework == "keras"
    layout = (lambda a: a.transpose(0, 2, 3, 1)) if nhwc else (lambda a: a)
    bn = nn.BatchNorm(3, axis=-1 if nhwc else 1, momentum=0.9, convention=framework)
    prefix = f"BN4_{framework.upper()}"
    for name, batch in (("A", R.X4), ("B", R.X4_B)):
        np.testing.assert_allclose(bn(mg.tensor(layout(batch))).numpy(), getattr(R, f"{prefix}_OUT_{name}"), **TIGHT)
    np.testing.assert_allclose(bn.moving_mean.data, getattr(R, f"{prefix}_MOVING_MEAN"), **TIGHT)
    np.testing.assert_allclose(bn.moving_variance.data, getattr(R, f"{prefix}_MOVING_VARIANCE"), **TIGHT)
    bn.eval()
    np.testing.assert_allclose(bn(mg.tensor(layout(R.X4))).numpy(), getattr(R, f"{prefix}_OUT_EVAL"), **TIGHT)


# ------------------------------------------------------------------------------------ PyTorch
def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_live_torch_training_continues_step_for_step(kind):
    torch = _torch()
    model = build("torch")
    opt = optimiser("torch", kind, model)
    minigrad_step(model, opt)  # one step in minigrad first: the state to carry is not trivial
    tmodel = interop.to_torch(model)
    topt = interop.to_torch_optimizer(opt, model, tmodel)
    assert isinstance(topt, torch.optim.Adam if kind == "adam" else torch.optim.SGD)
    x, y = torch.from_numpy(R.X), torch.from_numpy(R.Y)
    for _ in range(R.STEPS):
        loss, pred, grads = minigrad_step(model, opt)
        topt.zero_grad()
        tpred = tmodel(x)
        tloss = ((tpred - y) ** 2).mean()
        tloss.backward()
        tgrads = {k: v.grad.numpy() for k, v in tmodel.named_parameters()}
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-13)
        np.testing.assert_allclose(pred, tpred.detach().numpy(), **TIGHT)
        for name, grad in zip(PARAMS, grads):
            torch_grad = tgrads[name.replace("gamma", "weight").replace("beta", "bias")]
            np.testing.assert_allclose(grad, torch_grad.T if grad.ndim == 2 else torch_grad, **TIGHT, err_msg=name)
        np.testing.assert_allclose(model[1].moving_variance.data, tmodel[1].running_var.numpy(), **AFTER)
    for key, value in interop.torch_state_dict(model).items():
        np.testing.assert_allclose(value, tmodel.state_dict()[key].numpy(), **AFTER, err_msg=key)
    model.eval(), tmodel.eval()
    with torch.no_grad():
        np.testing.assert_allclose(
            model(mg.tensor(R.X_EVAL)).numpy(), tmodel(torch.from_numpy(R.X_EVAL)).numpy(), **AFTER
        )
    back = interop.from_torch(tmodel)
    assert isinstance(back, nn.Sequential)
    back_opt = interop.from_torch_optimizer(topt, tmodel, back)
    assert not back.training and isinstance(back[1], nn.BatchNorm) and back[1].convention == "torch"
    for name, state in opt.state_dict().items():
        np.testing.assert_allclose(back_opt.state_dict()[name], state, **AFTER, err_msg=name)


def test_live_torch_layers_and_conventions():
    torch = _torch()
    layers = [nn.Dense(4, 6), nn.BatchNorm(6, convention="torch", momentum="cumulative", eps=1e-4), nn.ReLU()]
    layers += [nn.Tanh(), nn.LayerNorm(6, eps=1e-4), nn.Sigmoid(), nn.Dropout(0.25)]
    mg.manual_seed(3)
    model = nn.Sequential(*layers, nn.Dense(6, 2, bias=False))
    tmodel = interop.to_torch(model)
    assert tmodel[1].momentum is None and tmodel[1].eps == 1e-4 and tmodel[-1].bias is None
    assert type(tmodel[6]) is torch.nn.Dropout and tmodel[6].p == 0.25 and tmodel[4].eps == 1e-4
    x = np.random.default_rng(8).normal(size=(7, 4))
    model[6].eval(), tmodel[6].eval()  # the dropout masks come from different generators
    for _ in range(2):  # training mode: batch statistics, cumulative moving averages
        pred = model(mg.tensor(x))
        tpred = tmodel(torch.from_numpy(x))
        np.testing.assert_allclose(pred.numpy(), tpred.detach().numpy(), **TIGHT)
    (pred * pred).sum().backward()
    (tpred * tpred).sum().backward()
    for name, p in model.named_parameters():
        tp = tmodel.get_parameter(name.replace("gamma", "weight").replace("beta", "bias"))
        np.testing.assert_allclose(grad_of(p), tp.grad.numpy().T if p.ndim == 2 else tp.grad.numpy(), **TIGHT)
    model.eval(), tmodel.eval()
    with torch.no_grad():
        np.testing.assert_allclose(model(mg.tensor(x)).numpy(), tmodel(torch.from_numpy(x)).numpy(), **TIGHT)
    back = interop.from_torch(tmodel)
    assert isinstance(back, nn.Sequential)
    assert [type(m).__name__ for m in back] == [type(m).__name__ for m in model]
    assert back[1].momentum == "cumulative" and back[1].eps == 1e-4
    for key, value in model.state_dict().items():  # both updated their moving statistics once
        np.testing.assert_allclose(back.state_dict()[key], value, **TIGHT, err_msg=key)


def test_live_torch_warns_where_a_convention_cannot_be_expressed():
    _torch()
    model = nn.Sequential(nn.Dense(3, 3), nn.BatchNorm(3))  # convention="keras": biased moving variance
    with pytest.warns(UserWarning, match=r"to_torch: layer '1' \(BatchNorm\).*unbiased"):
        tmodel = interop.to_torch(model)
    assert tmodel[1].momentum == pytest.approx(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        interop.to_torch(nn.BatchNorm(3, convention="torch"))


def test_live_torch_batchnorm_layouts():
    torch = _torch()
    x = np.random.default_rng(9).normal(size=(2, 3, 4, 4))
    bn = nn.BatchNorm(3, axis=1, convention="torch")
    tbn = interop.to_torch(bn, input_shape=(3, 4, 4))
    assert type(tbn) is torch.nn.BatchNorm2d
    for _ in range(2):
        np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), tbn(torch.from_numpy(x)).detach().numpy(), **TIGHT)
    np.testing.assert_allclose(bn.moving_variance.data, tbn.running_var.numpy(), **TIGHT)
    assert type(interop.to_torch(bn)) is torch.nn.BatchNorm1d
    with pytest.raises(ValueError, match=r"layer '0' \(BatchNorm, axis=-1\) normalises axis 3 of a 4-D input.*NCHW"):
        interop.to_torch(nn.Sequential(nn.BatchNorm(3, convention="torch")), input_shape=(4, 4, 3))


def test_live_torch_refuses_what_has_no_equivalent():
    torch = _torch()
    with pytest.raises(TypeError, match=r"from_torch: layer '1' \(Conv1d\) has no minigrad equivalent"):
        interop.from_torch(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Conv1d(1, 1, 1)))
    with pytest.raises(ValueError, match="track_running_stats=False"):
        interop.from_torch(torch.nn.BatchNorm1d(2, track_running_stats=False))
    model = build("keras")
    opt = optimiser("keras", "adam", model)
    with pytest.raises(ValueError, match="is not PyTorch's Adam"):
        interop.to_torch_optimizer(opt, model, interop.to_torch(build("torch")))


# -------------------------------------------------------------------------------------- Keras
def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow's first import: no C++ banner
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the live Keras tests take gradients with TensorFlow's GradientTape")
    return keras, pytest.importorskip("tensorflow")


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_live_keras_training_continues_step_for_step(kind):
    keras, tf = _keras()
    model = build("keras")
    opt = optimiser("keras", kind, model)
    minigrad_step(model, opt)
    kmodel = interop.to_keras(model)
    kopt = interop.to_keras_optimizer(opt, model, kmodel)
    assert isinstance(kopt, keras.optimizers.Adam if kind == "adam" else keras.optimizers.SGD)
    variables = kmodel.trainable_variables
    for _ in range(R.STEPS):
        loss, pred, grads = minigrad_step(model, opt)
        with tf.GradientTape() as tape:
            kpred = kmodel(R.X, training=True)
            kloss = tf.reduce_mean((kpred - R.Y) ** 2)
        kgrads = tape.gradient(kloss, variables)
        kopt.apply(kgrads, variables)
        assert loss == pytest.approx(float(kloss), rel=1e-13)
        np.testing.assert_allclose(pred, kpred.numpy(), **TIGHT)
        for name, grad, kgrad in zip(PARAMS, grads, kgrads):
            np.testing.assert_allclose(grad, kgrad.numpy(), **TIGHT, err_msg=name)
        np.testing.assert_allclose(model[1].moving_variance.data, kmodel.layers[1].moving_variance.numpy(), **AFTER)
    for ours, theirs in zip(interop.keras_weights(model), [layer.get_weights() for layer in kmodel.layers]):
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, **AFTER)
    model.eval()
    np.testing.assert_allclose(model(mg.tensor(R.X_EVAL)).numpy(), kmodel(R.X_EVAL, training=False).numpy(), **AFTER)
    back = interop.from_keras(kmodel)
    back_opt = interop.from_keras_optimizer(kopt, kmodel, back)
    for name, state in opt.state_dict().items():
        np.testing.assert_allclose(back_opt.state_dict()[name], state, **AFTER, err_msg=name)


def test_live_keras_layers_conventions_and_nhwc():
    keras, tf = _keras()
    x = np.random.default_rng(10).normal(size=(2, 4, 4, 3))
    bn = nn.BatchNorm(3, axis=-1, momentum=0.8)
    kmodel = interop.to_keras(nn.Sequential(bn, nn.ReLU()), input_shape=(4, 4, 3))
    for _ in range(2):
        np.testing.assert_allclose(bn(mg.tensor(x)).numpy().clip(0), kmodel(x, training=True).numpy(), **TIGHT)
    np.testing.assert_allclose(bn.moving_variance.data, kmodel.layers[0].moving_variance.numpy(), **TIGHT)
    with pytest.warns(UserWarning, match=r"to_keras: layer '1' \(BatchNorm\).*biased"):
        interop.to_keras(nn.Sequential(nn.Dense(2, 3), nn.BatchNorm(3, convention="torch")))
    with pytest.warns(UserWarning, match="no Keras equivalent"):
        interop.to_keras(nn.BatchNorm(3, momentum="cumulative"))
    frozen = nn.Sequential(nn.Dense(2, 3), nn.BatchNorm(3))
    frozen[1].trainable = False
    kfrozen = interop.to_keras(frozen)
    assert not kfrozen.layers[1].trainable and kfrozen.layers[0].trainable
    dense = keras.Sequential(
        [keras.Input((3,), dtype="float64"), keras.layers.Dense(2, activation="tanh", dtype="float64")]
    )
    back = interop.from_keras(dense)
    assert [type(m).__name__ for m in back] == ["Dense", "Tanh"]
    xs = np.random.default_rng(11).normal(size=(4, 3))
    np.testing.assert_allclose(back(mg.tensor(xs)).numpy(), dense(xs).numpy(), **TIGHT)
    plain = nn.Sequential(nn.Dense(2, 2))
    with pytest.warns(UserWarning, match=r"to_keras_optimizer: .*float32.*lr=0\.001"):
        interop.to_keras_optimizer(mg.optim.Adam(plain.parameters(), convention="tf"), plain, interop.to_keras(plain))
    conv = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(1, 2)])
    with pytest.raises(TypeError, match=r"from_keras: layer 0 \(Conv2D .*\) has no minigrad equivalent"):
        interop.from_keras(conv)


def test_live_keras_every_layer_and_back():
    keras, tf = _keras()
    mg.manual_seed(4)
    model = nn.Sequential(
        nn.Dense(4, 6),
        nn.BatchNorm(6, momentum=0.9),
        nn.Tanh(),
        nn.LayerNorm(6, eps=1e-4),
        nn.Sigmoid(),
        nn.Dropout(0.25),
        nn.ReLU(),
        nn.Dense(6, 2),
    )
    kmodel = interop.to_keras(model)
    assert [type(layer).__name__ for layer in kmodel.layers] == [
        "Dense",
        "BatchNormalization",
        "Activation",
        "LayerNormalization",
        "Activation",
        "Dropout",
        "Activation",
        "Dense",
    ]
    assert kmodel.layers[5].rate == 0.25 and kmodel.layers[3].epsilon == 1e-4
    x = np.random.default_rng(12).normal(size=(6, 4))
    model[5].eval()  # the dropout masks come from different generators; Keras's is off in eval calls only
    with tf.GradientTape() as tape:
        kpred = kmodel.layers[5](
            kmodel.layers[4](kmodel.layers[3](kmodel.layers[2](kmodel.layers[1](kmodel.layers[0](x), training=True)))),
            training=False,
        )
        kpred = kmodel.layers[7](kmodel.layers[6](kpred))
        kloss = tf.reduce_sum(kpred**2)
    pred = model(mg.tensor(x))
    (pred * pred).sum().backward()
    np.testing.assert_allclose(pred.numpy(), kpred.numpy(), **TIGHT)
    kgrads = tape.gradient(kloss, kmodel.trainable_variables)
    for (name, p), kgrad in zip(model.named_parameters(), kgrads):
        np.testing.assert_allclose(grad_of(p), kgrad.numpy(), **TIGHT, err_msg=name)
    model.eval()
    np.testing.assert_allclose(model(mg.tensor(x)).numpy(), kmodel(x, training=False).numpy(), **TIGHT)
    back = interop.from_keras(kmodel)
    assert [type(m) for m in back] == [type(m) for m in model]
    for key, value in model.state_dict().items():
        if not key.endswith("num_batches_tracked"):  # both updated their moving statistics once
            np.testing.assert_allclose(back.state_dict()[key], value, **TIGHT, err_msg=key)
