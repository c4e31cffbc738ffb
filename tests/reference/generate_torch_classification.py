"""Generate ``minigrad/reference/torch_classification_values.py``: PyTorch's numbers for tanh,
sigmoid, softmax, log_softmax, cross_entropy and LayerNorm (forward and gradients, float64).

Run from the repository root (needs torch==2.13.0, CPU wheel):

    python3 tests/reference/generate_torch_classification.py

Not a test module. The inputs are literals below (drawn once from ``np.random.default_rng(20240602)``
and rounded to 4 decimals; the +-1000 logits hand-picked) and are written into the output module too,
so the tests never need torch. Dropout has no entry: PyTorch's mask comes from its own generator.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "minigrad", "reference", "torch_classification_values.py")

X = [[0.3421, -1.2719, 2.0113, -0.0463], [1.5176, 0.2231, -0.8142, -2.4027], [-0.6112, 0.9034, 0.0875, 1.3398]]
UPSTREAM = [[0.5123, -1.1047, 0.2219, 0.8836], [-0.3172, 1.4093, -0.7741, 0.0512], [1.0241, -0.2209, 0.6617, -1.3381]]
LABELS = [2, 0, 3]
BIG = [[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1001.0], [0.0, 1000.0, -1000.0]]
BIG_LABELS = [0, 2, 0]
LN_GAMMA = [1.2, -0.8, 0.5, 1.0]
LN_BETA = [0.1, 0.0, -0.3, 0.2]

# The element-wise and softmax ops, by the name of their constants (the live test runs them too).
OPS = {
    "TANH": torch.tanh,
    "SIGMOID": torch.sigmoid,
    "SOFTMAX": lambda t: torch.softmax(t, dim=-1),
    "SOFTMAX_AXIS0": lambda t: torch.softmax(t, dim=0),
    "LOG_SOFTMAX": lambda t: torch.log_softmax(t, dim=-1),
    "LOG_SOFTMAX_AXIS0": lambda t: torch.log_softmax(t, dim=0),
}


def leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def main():
    torch.set_grad_enabled(True)
    w = ModuleWriter(
        OUT,
        header(
            [
                "PyTorch reference values for tanh, sigmoid, softmax, log_softmax, cross_entropy, LayerNorm.",
                "",
                f"Produced with PyTorch {torch.__version__} (CPU), float64; gradients of sum(UPSTREAM * y).",
            ],
            "python3 tests/reference/generate_torch_classification.py",
        ),
    )
    w.add("TORCH_VERSION", str(torch.__version__), "torch.__version__ used to produce this file")
    w.section("Inputs")
    u = torch.tensor(UPSTREAM, dtype=torch.float64)
    w.add("X", np.array(X), "input / logits, shape (3, 4)")
    w.add("UPSTREAM", np.array(UPSTREAM), "upstream gradient for the element-wise and softmax ops")
    w.add("LABELS", np.array(LABELS, dtype=np.int64), "class indices for cross_entropy on X")
    w.add("BIG", np.array(BIG), "logits of +-1000")
    w.add("BIG_LABELS", np.array(BIG_LABELS, dtype=np.int64), "class indices for cross_entropy on BIG")
    w.add("LN_GAMMA", np.array(LN_GAMMA), "LayerNorm(4) weight (minigrad gamma)")
    w.add("LN_BETA", np.array(LN_BETA), "LayerNorm(4) bias (minigrad beta)")

    w.section("Element-wise and softmax ops: y = f(X), dX of sum(UPSTREAM * y)")
    for name, fn in OPS.items():
        x = leaf(X)
        y = fn(x)
        (y * u).sum().backward()
        w.add(f"{name}_OUT", y.detach().numpy(), f"{name.lower()} forward")
        w.add(f"{name}_DX", x.grad.numpy(), f"{name.lower()} gradient")
    x = leaf(BIG)
    y = torch.log_softmax(x, dim=-1)
    y.sum().backward()
    w.add("BIG_LOG_SOFTMAX_OUT", y.detach().numpy(), "log_softmax(BIG, dim=-1)")
    w.add("BIG_LOG_SOFTMAX_DX", x.grad.numpy(), "gradient of sum(log_softmax(BIG))")

    w.section("cross_entropy (torch.nn.functional.cross_entropy, class indices, mean)")
    for name, logits, labels in (("CE", X, LABELS), ("BIG_CE", BIG, BIG_LABELS)):
        x = leaf(logits)
        loss = torch.nn.functional.cross_entropy(x, torch.tensor(labels))
        loss.backward()
        w.add(f"{name}_LOSS", loss.item(), "the loss")
        w.add(f"{name}_DLOGITS", x.grad.numpy(), "d loss / d logits")

    w.section("LayerNorm(4), eps=1e-5, on X")
    ln = torch.nn.LayerNorm(4, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(LN_GAMMA, dtype=torch.float64))
        ln.bias.copy_(torch.tensor(LN_BETA, dtype=torch.float64))
    x = leaf(X)
    y = ln(x)
    (y * u).sum().backward()
    w.add("LN_OUT", y.detach().numpy(), "forward")
    w.add("LN_DX", x.grad.numpy(), "d/dx of sum(UPSTREAM * y)")
    w.add("LN_DGAMMA", ln.weight.grad.numpy(), "d/dweight")
    w.add("LN_DBETA", ln.bias.grad.numpy(), "d/dbias")
    w.write()


if __name__ == "__main__":
    main()
