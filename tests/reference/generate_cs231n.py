"""Generate ``cs231n_values.py``: reference numbers from CS231n's batch normalisation code.

Run from the repository root (NumPy only):

    python3 tests/reference/generate_cs231n.py

Not a test module. ``batchnorm_forward`` below follows CS231n assignment 2's
``cs231n/layers.py`` (skeleton: ``mode``, ``eps`` default 1e-5, ``momentum`` default 0.9,
``running_mean``/``running_var`` default to ZEROS of shape (D,), the running averages
``momentum * running + (1 - momentum) * sample`` and test-time normalisation with them; the
training body is the standard solution: biased sample variance, i.e. ``x.var(axis=0)``).
``batchnorm_backward`` is the staged computational-graph backward (the one seed 004 quotes,
after F. Kratzert's post) and ``batchnorm_backward_alt`` the closed form from the same
assignment. The inputs are the same literals as generate_torch.py, imported from ``inputs.py``.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header
from inputs import (
    BETA1,
    BETAG,
    DOUTG,
    GAMMA1,
    GAMMAG,
    X1,
    X1_EVAL,
    XC1,
    XC2,
    XC3,
    XG,
)

# the recorded numbers are package data: lessons and tests import them as minigrad.reference
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(_ROOT, "minigrad", "reference", "cs231n_values.py")


# ---------------------------------------------------------------- CS231n code
def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass for batch normalization (CS231n assignment 2, cs231n/layers.py).

    During training the sample mean and (uncorrected) sample variance are computed from
    minibatch statistics and used to normalize the incoming data. During training we also keep
    an exponentially decaying running mean of the mean and variance of each feature:

      running_mean = momentum * running_mean + (1 - momentum) * sample_mean
      running_var = momentum * running_var + (1 - momentum) * sample_var

    bn_param: 'mode' ('train' or 'test'; required), 'eps', 'momentum', 'running_mean',
    'running_var'. Returns (out, cache).
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # staged, as in the computational-graph derivation
        mu = 1.0 / N * np.sum(x, axis=0)
        xmu = x - mu
        sq = xmu**2
        var = 1.0 / N * np.sum(sq, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1.0 / sqrtvar
        xhat = xmu * ivar
        gammax = gamma * xhat
        out = gammax + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps)

        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')

    # Store the updated running means back into bn_param
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """Staged backward through the nine-node graph (the version seed 004 quotes)."""
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    # step9
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    # step8
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    # step7
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    # step6
    dsqrtvar = -1.0 / (sqrtvar**2) * divar
    # step5
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    # step4
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    # step3
    dxmu2 = 2 * xmu * dsq
    # step2
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    # step1
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    # step0
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Closed form: dx = (1/N) * gamma * ivar * (N*dout - sum(dout) - xhat*sum(dout*xhat))."""
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = (1.0 / N) * gamma * ivar * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def f64(a):
    return np.array(a, dtype=np.float64)


def main():
    doc = header(
        [
            'CS231n reference values for minigrad\'s tests (convention="cs231n").',
            "",
            "Produced with a NumPy transcription of CS231n assignment 2's batchnorm_forward",
            "(running_mean/running_var default to ZEROS, momentum 0.9 = fraction kept, eps 1e-5,",
            "biased sample variance for both normalisation and the running variance), the staged",
            "batchnorm_backward and the closed-form batchnorm_backward_alt; all float64.",
        ],
        "python3 tests/reference/generate_cs231n.py",
    )
    w = ModuleWriter(OUT, doc)

    w.section("Forward, train mode: one step from a fresh bn_param (running stats start at zeros)")
    x, g, b = f64(X1), f64(GAMMA1), f64(BETA1)
    w.add("X", x, "training input, shape (4, 3) (same as torch_values.BN1D_X)")
    w.add("X_EVAL", f64(X1_EVAL), "test-mode input, shape (5, 3)")
    w.add("GAMMA", g, "gamma")
    w.add("BETA", b, "beta")
    w.add("EPS", 1e-5, "bn_param eps default")
    w.add("MOMENTUM", 0.9, "bn_param momentum default (fraction of the running value kept)")
    w.add(
        "TEST_FRESH_OUT",
        batchnorm_forward(f64(X1_EVAL), g, b, {"mode": "test"})[0],
        "test mode with a FRESH bn_param: running_mean=0, running_var=0 -> x/sqrt(eps)*gamma+beta",
    )
    bn_param = {"mode": "train"}
    out, _ = batchnorm_forward(x, g, b, bn_param)
    w.add("TRAIN_OUT", out, "train-mode output")
    w.add("RUNNING_MEAN", bn_param["running_mean"].copy(), "running_mean after one step: 0.1 * batch mean")
    w.add("RUNNING_VAR", bn_param["running_var"].copy(), "running_var after one step: 0.1 * BIASED batch var (from 0)")
    bn_param["mode"] = "test"
    out, _ = batchnorm_forward(f64(X1_EVAL), g, b, bn_param)
    w.add("TEST_OUT", out, "test-mode output on X_EVAL with the running stats above")

    w.section("Forward, train mode: three successive batches (sizes 4, 3, 5), same gamma/beta")
    bn_param = {"mode": "train"}
    for i, xb in enumerate((XC1, XC2, XC3), start=1):
        w.add(f"SEQ_X{i}", f64(xb), f"batch {i}")
        out, _ = batchnorm_forward(f64(xb), g, b, bn_param)
        w.add(f"SEQ_OUT{i}", out, f"train-mode output for batch {i}")
        w.add(f"SEQ_RUNNING_MEAN{i}", bn_param["running_mean"].copy(), f"running_mean after batch {i}")
        w.add(f"SEQ_RUNNING_VAR{i}", bn_param["running_var"].copy(), f"running_var after batch {i}")

    w.section("Staged forward and backward, train mode, float64 (inputs as torch_values.GRAD_*)")
    xg, gg, bg, dg = f64(XG), f64(GAMMAG), f64(BETAG), f64(DOUTG)
    w.add("GRAD_X", xg, "input x, shape (4, 3)")
    w.add("GRAD_GAMMA", gg, "gamma")
    w.add("GRAD_BETA", bg, "beta")
    w.add("GRAD_DOUT", dg, "upstream gradient dout")
    for eps, tag in ((1e-5, "EPS1E5"), (1e-7, "EPS1E7"), (1e-3, "EPS1E3")):
        out, cache = batchnorm_forward(xg, gg, bg, {"mode": "train", "eps": eps})
        xhat, _, xmu, ivar, sqrtvar, var, _ = cache
        mu = xg.mean(axis=0)
        stages = {
            "MU": (mu, "mu = mean over axis 0"),
            "XMU": (xmu, "xmu = x - mu"),
            "SQ": (xmu**2, "sq = xmu**2"),
            "VAR": (var, "var = mean(sq) (biased)"),
            "SQRTVAR": (sqrtvar, "sqrtvar = sqrt(var + eps)"),
            "IVAR": (ivar, "ivar = 1/sqrtvar"),
            "XHAT": (xhat, "xhat = xmu * ivar"),
            "GAMMAX": (gg * xhat, "gammax = gamma * xhat"),
            "OUT": (out, "out = gammax + beta"),
        }
        for name, (val, comment) in stages.items():
            w.add(f"{tag}_{name}", val, f"eps={eps:g}: stage {comment}")
        dx, dgamma, dbeta = batchnorm_backward(dg, cache)
        dx2, dgamma2, dbeta2 = batchnorm_backward_alt(dg, cache)
        assert np.allclose(dx, dx2, rtol=1e-10, atol=1e-12), (dx, dx2)
        w.add(f"{tag}_DX", dx, f"eps={eps:g}: dx from the staged batchnorm_backward")
        w.add(f"{tag}_DGAMMA", dgamma, f"eps={eps:g}: dgamma")
        w.add(f"{tag}_DBETA", dbeta, f"eps={eps:g}: dbeta")
        w.add(f"{tag}_DX_ALT", dx2, f"eps={eps:g}: dx from the closed form (equal to _DX up to rounding)")

    w.write()


if __name__ == "__main__":
    main()
