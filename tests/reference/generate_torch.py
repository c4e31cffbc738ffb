"""Generate ``torch_values.py``: PyTorch reference numbers for minigrad's tests.

Run from the repository root (needs torch==2.13.0, CPU wheel):

    python3 tests/reference/generate_torch.py

Not a test module (pytest does not collect ``generate_*.py``). The inputs are fixed literals
(drawn once from ``np.random.default_rng(20240601)`` and rounded to 4 decimals): the ones shared
with the other generators come from ``inputs.py``, the torch-only ones are below; they are
written into the output module too, so tests never need torch.

Convention reminder: PyTorch's ``momentum=0.1`` is the fraction of the *batch* statistic mixed
in, i.e. minigrad's ``momentum=0.9`` (fraction kept); PyTorch feeds the moving variance with the
UNBIASED (n-1) batch variance while normalising with the biased one.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header
from inputs import (
    ADAM_GRADS,
    ADAM_P0,
    BETA1,
    BETAG,
    DOUTG,
    GAMMA1,
    GAMMAG,
    RUNNING_MEANG,
    RUNNING_VARG,
    X1,
    X1_EVAL,
    XC1,
    XC2,
    XC3,
    XG,
)

# the recorded numbers are package data: lessons and tests import them as minigrad.reference
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(_ROOT, "minigrad", "reference", "torch_values.py")

# ---------------------------------------------------------------- fixed inputs (literals)
# Torch-only; the ones shared with the other generators are imported from inputs.py.
# Scenario 2: BatchNorm2d(2), NCHW
X2 = [
    [
        [[1.9018, 0.9254, -0.6035], [4.1001, 0.4462, 1.7821], [2.2661, 1.1814, -1.4981]],
        [[-4.1079, -2.0552, -0.6319], [-3.4777, -2.5743, -1.5902], [-1.6502, -0.3228, -0.5549]],
    ],
    [
        [[0.2612, -0.3177, -0.5324], [-1.6109, 1.5675, 0.4955], [0.6695, -1.4174, 1.0512]],
        [[-0.8761, 1.2367, -2.0723], [1.2967, 2.1788, -1.0391], [-1.3091, -1.5006, -0.4287]],
    ],
]
X2_EVAL = [
    [
        [[2.74, -0.0475, 0.6506], [-1.4825, -2.3277, 0.1606], [-0.0987, 1.2191, -2.3334]],
        [[0.4161, -1.7534, 1.7579], [0.7607, -0.9771, 0.7297], [0.891, 0.1179, 1.5439]],
    ]
]
GAMMA2 = [0.8, 1.7]
BETA2 = [-0.4, 0.25]

# Scenario 5: SGD with momentum (Adam's inputs are in inputs.py)
SGD_P0 = [0.5, -0.3, 0.1]
SGD_GRADS = [[0.2, -1.0, 0.05], [-0.4, 0.5, 0.3], [0.1, 0.25, -0.6], [0.3, -0.75, 0.0]]


def t64(a):
    return torch.tensor(np.array(a, dtype=np.float64))


def npy(t):
    return t.detach().cpu().numpy().copy()


def bn_with(cls, n, gamma, beta, dtype, **kw):
    bn = cls(n, dtype=dtype, **kw)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma, dtype=dtype))
        bn.bias.copy_(torch.tensor(beta, dtype=dtype))
    return bn


def optimiser_steps(make_opt, p0, grads):
    """One ``opt.step()`` per row of ``grads`` (set directly on ``.grad``), in ``grads.dtype``.

    Returns the parameter after step t as row t-1.
    """
    p = torch.nn.Parameter(torch.tensor(np.array(p0, dtype=grads.dtype)))
    opt = make_opt([p])
    hist = []
    for g in grads:
        p.grad = torch.tensor(g.copy())
        opt.step()
        hist.append(npy(p))
    return np.array(hist)


def main():
    torch.use_deterministic_algorithms(True)
    doc = header(
        [
            "PyTorch reference values for minigrad's tests.",
            "",
            f"Produced with PyTorch {torch.__version__} (CPU), torch.nn.BatchNorm1d/BatchNorm2d,",
            "torch.optim.Adam and torch.optim.SGD.",
            "PyTorch momentum=0.1 == minigrad momentum=0.9 (fraction kept); PyTorch's running_var is",
            "fed the UNBIASED (n-1) batch variance; normalisation uses the biased one.",
        ],
        "python3 tests/reference/generate_torch.py",
    )
    w = ModuleWriter(OUT, doc)
    w.add("TORCH_VERSION", str(torch.__version__), "torch.__version__ used to produce this file")

    # ------------------------------------------------------------------ scenario 1
    w.section("Scenario 1: BatchNorm1d(3), default momentum=0.1 (minigrad 0.9), eps=1e-5")
    for dt, npdt, suffix in ((torch.float64, np.float64, ""), (torch.float32, np.float32, "_F32")):
        tag = "float64" if dt == torch.float64 else "float32"
        x = torch.tensor(np.array(X1, dtype=npdt))
        x_eval = torch.tensor(np.array(X1_EVAL, dtype=npdt))
        bn = bn_with(torch.nn.BatchNorm1d, 3, GAMMA1, BETA1, dt)
        bn.train()
        y = bn(x)
        rm, rv = npy(bn.running_mean), npy(bn.running_var)
        nbt = int(bn.num_batches_tracked.item())
        bn.eval()
        y_eval = bn(x_eval)
        if suffix == "":
            w.add("BN1D_X", npy(x), "training input x, shape (4, 3), float64")
            w.add("BN1D_X_EVAL", npy(x_eval), "eval input, shape (5, 3), float64")
            w.add("BN1D_GAMMA", np.array(GAMMA1, dtype=np.float64), "bn.weight (gamma)")
            w.add("BN1D_BETA", np.array(BETA1, dtype=np.float64), "bn.bias (beta)")
            w.add("BN1D_EPS", float(bn.eps), "eps (PyTorch default)")
            w.add("BN1D_TORCH_MOMENTUM", 0.1, "PyTorch momentum (fraction of the batch stat)")
            w.add("BN1D_MINIGRAD_MOMENTUM", 0.9, "the same in minigrad's convention (fraction kept)")
        w.add(f"BN1D_TRAIN_OUT{suffix}", npy(y), f"{tag}: bn(x) in training mode (batch stats, biased var)")
        w.add(f"BN1D_RUNNING_MEAN{suffix}", rm, f"{tag}: running_mean after that one step (from zeros)")
        w.add(
            f"BN1D_RUNNING_VAR{suffix}", rv, f"{tag}: running_var after that one step (from ones; unbiased batch var)"
        )
        w.add(f"BN1D_NUM_BATCHES_TRACKED{suffix}", nbt, f"{tag}: num_batches_tracked after one step")
        w.add(f"BN1D_EVAL_OUT{suffix}", npy(y_eval), f"{tag}: bn.eval(); bn(BN1D_X_EVAL) using the running stats above")

    w.section("Scenario 1b: BatchNorm1d(3, momentum=None) -- cumulative moving average, float64")
    bn = bn_with(torch.nn.BatchNorm1d, 3, GAMMA1, BETA1, torch.float64, momentum=None)
    bn.train()
    w.add("BN1D_CUM_X1", np.array(XC1, dtype=np.float64), "first batch, shape (4, 3)")
    w.add("BN1D_CUM_X2", np.array(XC2, dtype=np.float64), "second batch, shape (3, 3)")
    w.add("BN1D_CUM_X3", np.array(XC3, dtype=np.float64), "third batch, shape (5, 3)")
    for i, xb in enumerate((XC1, XC2, XC3), start=1):
        y = bn(t64(xb))
        w.add(f"BN1D_CUM_OUT{i}", npy(y), f"training output for batch {i} (gamma=BN1D_GAMMA, beta=BN1D_BETA)")
        w.add(
            f"BN1D_CUM_RUNNING_MEAN{i}",
            npy(bn.running_mean),
            f"running_mean after batch {i} (mean of the {i} batch means)",
        )
        w.add(
            f"BN1D_CUM_RUNNING_VAR{i}",
            npy(bn.running_var),
            f"running_var after batch {i} (mean of the {i} UNBIASED batch variances)",
        )
        w.add(
            f"BN1D_CUM_NUM_BATCHES_TRACKED{i}",
            int(bn.num_batches_tracked.item()),
            f"num_batches_tracked after batch {i}",
        )
    # Document exactly what PyTorch's cumulative average is (checked here, so the note is true):
    # factor = 1/num_batches_tracked, running = (1-factor)*running + factor*batch, i.e. the
    # initial zeros/ones get weight 0 from the first batch on: a plain mean of the batch stats.
    xs = [np.array(b, dtype=np.float64) for b in (XC1, XC2, XC3)]
    exp_mean = np.mean([b.mean(0) for b in xs], axis=0)
    exp_var = np.mean([b.var(0, ddof=1) for b in xs], axis=0)
    assert np.allclose(exp_mean, npy(bn.running_mean), rtol=1e-14, atol=1e-15)
    assert np.allclose(exp_var, npy(bn.running_var), rtol=1e-14, atol=1e-15)
    w.lines.append(
        "# (check: BN1D_CUM_RUNNING_MEAN3 == mean of the three batch means, and "
        "BN1D_CUM_RUNNING_VAR3 == mean of the three UNBIASED batch variances;"
    )
    w.lines.append("#  the initial zeros/ones carry no weight -- PyTorch uses factor 1/num_batches_tracked.)")

    # ------------------------------------------------------------------ scenario 2
    w.section("Scenario 2: BatchNorm2d(2) on NCHW input, float64, momentum=0.1 (minigrad 0.9), eps=1e-5")
    bn = bn_with(torch.nn.BatchNorm2d, 2, GAMMA2, BETA2, torch.float64)
    bn.train()
    y = bn(t64(X2))
    w.add("BN2D_X", np.array(X2, dtype=np.float64), "training input, shape (2, 2, 3, 3) = (N, C, H, W)")
    w.add("BN2D_X_EVAL", np.array(X2_EVAL, dtype=np.float64), "eval input, shape (1, 2, 3, 3)")
    w.add("BN2D_GAMMA", np.array(GAMMA2, dtype=np.float64), "bn.weight, per channel")
    w.add("BN2D_BETA", np.array(BETA2, dtype=np.float64), "bn.bias, per channel")
    w.add("BN2D_TRAIN_OUT", npy(y), "training output (stats over N, H, W per channel)")
    w.add("BN2D_RUNNING_MEAN", npy(bn.running_mean), "running_mean after one step")
    w.add("BN2D_RUNNING_VAR", npy(bn.running_var), "running_var after one step (unbiased, n-1 = 17)")
    bn.eval()
    w.add("BN2D_EVAL_OUT", npy(bn(t64(X2_EVAL))), "bn.eval(); bn(BN2D_X_EVAL)")

    # ------------------------------------------------------------------ scenario 3
    w.section("Scenario 3: gradients of sum(dout * bn(x)) through BatchNorm1d(3), float64")
    w.add("GRAD_X", np.array(XG, dtype=np.float64), "input x, shape (4, 3); column 2 has variance ~2e-4")
    w.add("GRAD_GAMMA", np.array(GAMMAG, dtype=np.float64), "gamma (bn.weight)")
    w.add("GRAD_BETA", np.array(BETAG, dtype=np.float64), "beta (bn.bias)")
    w.add("GRAD_DOUT", np.array(DOUTG, dtype=np.float64), "upstream gradient dout, shape (4, 3)")
    w.add("GRAD_RUNNING_MEAN", np.array(RUNNING_MEANG, dtype=np.float64), "running_mean set before the eval-mode case")
    w.add("GRAD_RUNNING_VAR", np.array(RUNNING_VARG, dtype=np.float64), "running_var set before the eval-mode case")
    for eps, etag in ((1e-7, "EPS1E7"), (1e-3, "EPS1E3")):
        for mode in ("TRAIN", "EVAL"):
            bn = bn_with(torch.nn.BatchNorm1d, 3, GAMMAG, BETAG, torch.float64)
            bn.eps = eps
            if mode == "TRAIN":
                bn.train()
            else:
                bn.eval()
                with torch.no_grad():
                    bn.running_mean.copy_(t64(RUNNING_MEANG))
                    bn.running_var.copy_(t64(RUNNING_VARG))
            x = t64(XG).requires_grad_(True)
            y = bn(x)
            (y * t64(DOUTG)).sum().backward()
            m = mode.lower() + ("ing" if mode == "TRAIN" else "")
            w.add(f"GRAD_{mode}_{etag}_OUT", npy(y), f"{m} mode, eps={eps:g}: forward output")
            w.add(f"GRAD_{mode}_{etag}_DX", npy(x.grad), f"{m} mode, eps={eps:g}: dx")
            w.add(f"GRAD_{mode}_{etag}_DGAMMA", npy(bn.weight.grad), f"{m} mode, eps={eps:g}: dgamma")
            w.add(f"GRAD_{mode}_{etag}_DBETA", npy(bn.bias.grad), f"{m} mode, eps={eps:g}: dbeta")

    # ------------------------------------------------------------------ scenario 4
    w.section("Scenario 4: PyTorch's error for a training-mode batch of one")
    for name, cls, shape in (("BN1D", torch.nn.BatchNorm1d, (1, 3)), ("BN2D", torch.nn.BatchNorm2d, (1, 2, 1, 1))):
        bn = cls(shape[1], dtype=torch.float64)
        bn.train()
        try:
            bn(torch.zeros(shape, dtype=torch.float64))
        except Exception as e:
            w.add(
                f"{name}_BATCH_OF_ONE_ERROR_TYPE",
                type(e).__name__,
                f"exception type raised by {cls.__name__}({shape[1]}).train()(zeros{shape})",
            )
            w.add(f"{name}_BATCH_OF_ONE_ERROR_MESSAGE", str(e), "its exact message, str(exception)")
        else:
            raise AssertionError("expected an error for a batch of one")
    bn = torch.nn.BatchNorm2d(2, dtype=torch.float64)
    bn(torch.zeros((1, 2, 2, 1), dtype=torch.float64))  # N=1 but H*W=2 values per channel: allowed
    w.lines.append("# (BatchNorm2d on shape (1, 2, 2, 1) -- one sample but 2 values per channel -- raises nothing.)")

    # ------------------------------------------------------------------ scenario 5
    w.section("Scenario 5: optimisers with fixed gradients set directly on .grad")
    w.add("ADAM_LR", 1e-3, "Adam learning rate")
    w.add("ADAM_EPS", 1e-8, "Adam eps; betas are the defaults (0.9, 0.999)")
    for npdt, tag in ((np.float32, "F32"), (np.float64, "F64")):
        grads = np.array(ADAM_GRADS, dtype=npdt)
        hist = optimiser_steps(lambda ps: torch.optim.Adam(ps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8), ADAM_P0, grads)
        w.add(f"ADAM_P0_{tag}", np.array(ADAM_P0, dtype=npdt), f"initial parameter, shape (3,), {npdt.__name__}")
        w.add(f"ADAM_GRADS_{tag}", grads, "gradient for step t is row t-1 (6 steps)")
        w.add(f"ADAM_PARAMS_{tag}", hist, "torch.optim.Adam: parameter after step t is row t-1 (paper form)")
    w.add("SGD_LR", 0.1, "SGD learning rate")
    w.add("SGD_MOMENTUM", 0.9, "SGD momentum (PyTorch form: buf = m*buf + g, first buf = g; p -= lr*buf)")
    for npdt, tag in ((np.float32, "F32"), (np.float64, "F64")):
        grads = np.array(SGD_GRADS, dtype=npdt)
        hist = optimiser_steps(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), SGD_P0, grads)
        w.add(f"SGD_P0_{tag}", np.array(SGD_P0, dtype=npdt), f"initial parameter, shape (3,), {npdt.__name__}")
        w.add(f"SGD_GRADS_{tag}", grads, "gradient for step t is row t-1 (4 steps)")
        w.add(f"SGD_PARAMS_{tag}", hist, "torch.optim.SGD(lr=0.1, momentum=0.9): parameter after step t is row t-1")

    w.write()


if __name__ == "__main__":
    main()
