"""Generate ``minigrad/reference/interop_values.py``: the graduate path's numbers, recorded from
PyTorch and from Keras 3 (TensorFlow backend), for lesson 09 and ``tests/test_interop_recorded.py``.

Run from the repository root (needs torch==2.13.0 CPU, tensorflow-cpu 2.21 / keras 3.15, and ruff):

    python3 tests/reference/generate_interop.py

Not a test module. Both frameworks' models are written natively here (no minigrad.interop), from
the fixed inputs and initial weights below, which are written into the output too:

    x (8, 4) -> Dense(4, 5) -> BatchNorm(5) -> ReLU -> Dense(5, 2) -> MSE against y (8, 2)

PyTorch: Linear / BatchNorm1d(momentum=0.1, eps=1e-5) (minigrad: convention="torch", momentum
0.9 kept) / ReLU / Linear. Keras: Dense / BatchNormalization(momentum=0.9, epsilon=1e-3) (minigrad:
convention="keras", momentum=0.9) / ReLU / Dense. Three training steps with SGD(momentum) and with
Adam (PyTorch's = minigrad "paper"; Keras's = minigrad "tf"); the hyper-parameters are exact in
float32 because Keras keeps its learning rate in a float32 variable and TensorFlow reads Python
floats as float32 in the beta powers. Recorded per step: the loss; after the first backward: the
output and every gradient; after the last step: the moving statistics, every parameter and the
inference-mode output on x_eval. Plus a 4-D BatchNorm alone: NCHW in PyTorch's BatchNorm2d, NHWC in
Keras's BatchNormalization(axis=-1), two training batches then inference.
"""

import os
import subprocess
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import tensorflow as tf
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "minigrad", "reference", "interop_values.py")

rng = np.random.default_rng(20261201)
X = rng.normal(size=(8, 4)).round(4)
Y = rng.normal(size=(8, 2)).round(4)
X_EVAL = rng.normal(size=(3, 4)).round(4)
W0 = rng.uniform(-0.8, 0.8, size=(4, 5)).round(4)  # minigrad/Keras layout (in, out)
B0 = rng.normal(scale=0.1, size=5).round(4)
W3 = rng.uniform(-0.9, 0.9, size=(5, 2)).round(4)
B3 = rng.normal(scale=0.1, size=2).round(4)
X4 = rng.normal(loc=0.5, size=(2, 3, 2, 2)).round(4)  # NCHW
X4_B = rng.normal(loc=-0.2, size=(2, 3, 2, 2)).round(4)
STEPS = 3
SGD_LR, SGD_MOMENTUM = 0.125, 0.875
ADAM_LR, ADAM_BETAS, ADAM_EPS = 0.0078125, (0.875, 0.998046875), 1e-7
PARAMS = ("0.weight", "0.bias", "1.gamma", "1.beta", "3.weight", "3.bias")  # minigrad names


def torch_run(optimiser):
    t = lambda a: torch.tensor(a, dtype=torch.float64)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 5, dtype=torch.float64),
        torch.nn.BatchNorm1d(5, momentum=0.1, eps=1e-5, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(5, 2, dtype=torch.float64),
    )
    with torch.no_grad():
        model[0].weight.copy_(t(W0.T))
        model[0].bias.copy_(t(B0))
        model[3].weight.copy_(t(W3.T))
        model[3].bias.copy_(t(B3))
    params = list(model.parameters())
    if optimiser == "sgd":
        opt = torch.optim.SGD(params, lr=SGD_LR, momentum=SGD_MOMENTUM)
    else:
        opt = torch.optim.Adam(params, lr=ADAM_LR, betas=ADAM_BETAS, eps=ADAM_EPS)
    out = {"losses": []}
    for step in range(STEPS):
        opt.zero_grad()
        pred = model(t(X))
        loss = ((pred - t(Y)) ** 2).mean()
        loss.backward()
        if step == 0:
            out["out_train"] = pred.detach().numpy().copy()
            grads = [p.grad.numpy().copy() for p in params]
            out["grads"] = [g.T.copy() if g.ndim == 2 else g for g in grads]
        out["losses"].append(loss.item())
        opt.step()
    model.eval()
    with torch.no_grad():
        out["out_eval"] = model(t(X_EVAL)).numpy().copy()
    out["moving_mean"] = model[1].running_mean.numpy().copy()
    out["moving_variance"] = model[1].running_var.numpy().copy()
    out["params"] = [p.detach().numpy().T.copy() if p.ndim == 2 else p.detach().numpy().copy() for p in params]
    return out


def keras_run(optimiser):
    keras.utils.set_random_seed(0)
    dense0 = keras.layers.Dense(5, dtype="float64")
    bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64")
    dense3 = keras.layers.Dense(2, dtype="float64")
    model = keras.Sequential(
        [keras.Input(shape=(4,), dtype="float64"), dense0, bn, keras.layers.ReLU(dtype="float64"), dense3]
    )
    dense0.set_weights([W0, B0])
    dense3.set_weights([W3, B3])
    if optimiser == "sgd":
        opt = keras.optimizers.SGD(learning_rate=SGD_LR, momentum=SGD_MOMENTUM)
    else:
        opt = keras.optimizers.Adam(learning_rate=ADAM_LR, beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1], epsilon=ADAM_EPS)
    variables = [dense0.kernel, dense0.bias, bn.gamma, bn.beta, dense3.kernel, dense3.bias]
    out = {"losses": []}
    for step in range(STEPS):
        with tf.GradientTape() as tape:
            pred = model(X, training=True)
            loss = tf.reduce_mean((pred - Y) ** 2)
        grads = tape.gradient(loss, variables)
        if step == 0:
            out["out_train"] = pred.numpy().copy()
            out["grads"] = [g.numpy().copy() for g in grads]
        out["losses"].append(float(loss))
        opt.apply(grads, variables)
    out["out_eval"] = model(X_EVAL, training=False).numpy().copy()
    out["moving_mean"] = bn.moving_mean.numpy().copy()
    out["moving_variance"] = bn.moving_variance.numpy().copy()
    out["params"] = [v.numpy().copy() for v in variables]
    return out


def bn4_runs():
    torch_bn = torch.nn.BatchNorm2d(3, momentum=0.1, eps=1e-5, dtype=torch.float64)
    keras_bn = keras.layers.BatchNormalization(axis=-1, momentum=0.9, epsilon=1e-3, dtype="float64")
    nhwc = lambda a: np.ascontiguousarray(a.transpose(0, 2, 3, 1))
    out = {}
    for name, batch in (("a", X4), ("b", X4_B)):
        out[f"torch_out_{name}"] = torch_bn(torch.tensor(batch)).detach().numpy().copy()
        out[f"keras_out_{name}"] = keras_bn(nhwc(batch), training=True).numpy().copy()
    torch_bn.eval()
    with torch.no_grad():
        out["torch_out_eval"] = torch_bn(torch.tensor(X4)).numpy().copy()
    out["keras_out_eval"] = keras_bn(nhwc(X4), training=False).numpy().copy()
    out["torch_moving_mean"] = torch_bn.running_mean.numpy().copy()
    out["torch_moving_variance"] = torch_bn.running_var.numpy().copy()
    out["keras_moving_mean"] = keras_bn.moving_mean.numpy().copy()
    out["keras_moving_variance"] = keras_bn.moving_variance.numpy().copy()
    return out


def main():
    doc = header(
        [
            "Recorded from PyTorch and Keras 3 (TensorFlow backend) for minigrad.interop: the same model,",
            "the same numbers (lesson 09 and tests/test_interop_recorded.py compare minigrad against them).",
            "The model, inputs and hyper-parameters are described in tests/reference/generate_interop.py.",
            f"torch {torch.__version__}, keras {keras.__version__}, tensorflow {tf.__version__}.",
        ],
        "python3 tests/reference/generate_interop.py",
    )
    w = ModuleWriter(OUT, doc)
    w.section("Fixed inputs and initial weights (minigrad/Keras layout: Dense weight (in, out))")
    for name, value in (
        ("X", X),
        ("Y", Y),
        ("X_EVAL", X_EVAL),
        ("W0", W0),
        ("B0", B0),
        ("W3", W3),
        ("B3", B3),
        ("X4", X4),
        ("X4_B", X4_B),
    ):
        w.add(name, np.asarray(value, dtype=np.float64), f"{name}, shape {np.shape(value)}")
    w.add("STEPS", STEPS, "training steps per run")
    w.add("SGD_LR", SGD_LR, "SGD learning rate (exact in float32)")
    w.add("SGD_MOMENTUM", SGD_MOMENTUM, "SGD momentum (PyTorch's buffer form; Keras's velocity form)")
    w.add("ADAM_LR", ADAM_LR, "Adam learning rate (exact in float32)")
    w.add("ADAM_BETA1", ADAM_BETAS[0], "Adam beta_1 (exact in float32)")
    w.add("ADAM_BETA2", ADAM_BETAS[1], "Adam beta_2 (exact in float32)")
    w.add("ADAM_EPS", ADAM_EPS, "Adam epsilon")
    w.add("PARAM_NAMES", ",".join(PARAMS), "the order of the *_GRADS_* and *_PARAMS_* constants (minigrad names)")
    for framework, run in (("TORCH", torch_run), ("KERAS", keras_run)):
        for optimiser in ("sgd", "adam"):
            w.section(f"{framework} with {optimiser.upper()}")
            got = run(optimiser)
            prefix = f"{framework}_{optimiser.upper()}"
            w.add(f"{prefix}_LOSSES", np.array(got["losses"]), "loss at each step (before its update)")
            w.add(f"{prefix}_OUT_TRAIN", got["out_train"], "training-mode output of the first step")
            for i, name in enumerate(PARAMS):
                key = name.replace(".", "_").upper()
                w.add(
                    f"{prefix}_GRAD_{key}", got["grads"][i], f"gradient of {name} at the first step (minigrad layout)"
                )
            w.add(f"{prefix}_MOVING_MEAN", got["moving_mean"], "moving mean after the last step")
            w.add(f"{prefix}_MOVING_VARIANCE", got["moving_variance"], "moving variance after the last step")
            for i, name in enumerate(PARAMS):
                key = name.replace(".", "_").upper()
                w.add(f"{prefix}_PARAM_{key}", got["params"][i], f"{name} after the last step (minigrad layout)")
            w.add(f"{prefix}_OUT_EVAL", got["out_eval"], "inference-mode output on X_EVAL after the last step")
    w.section("A 4-D BatchNorm alone: NCHW BatchNorm2d (PyTorch), NHWC BatchNormalization(axis=-1) (Keras)")
    for name, value in bn4_runs().items():
        w.add(f"BN4_{name.upper()}", value, name.replace("_", " ") + " (Keras arrays in NHWC)")
    w.write()
    for ruff in (["check", "--fix", "--select", "I"], ["format"]):  # laid out as the rest of the repository
        subprocess.run([sys.executable, "-m", "ruff", *ruff, "--quiet", OUT], check=True)


if __name__ == "__main__":
    main()
