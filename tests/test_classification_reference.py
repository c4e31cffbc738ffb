"""tanh, sigmoid, softmax, log_softmax, cross_entropy and LayerNorm against PyTorch's numbers:
recorded in minigrad/reference/torch_classification_values.py (no torch needed), and live when
torch is installed (the recorded file must still be what torch computes)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import grad_of

import minigrad as mg
from minigrad import nn
from minigrad.reference import torch_classification_values as R

METHODS = {
    "TANH": lambda t: t.tanh(),
    "SIGMOID": lambda t: t.sigmoid(),
    "SOFTMAX": lambda t: t.softmax(),
    "SOFTMAX_AXIS0": lambda t: t.softmax(axis=0),
    "LOG_SOFTMAX": lambda t: t.log_softmax(),
    "LOG_SOFTMAX_AXIS0": lambda t: t.log_softmax(axis=0),
}


def run(fn, x, upstream):
    leaf = mg.tensor(x, requires_grad=True)
    y = fn(leaf)
    y.backward(upstream)
    return y.data, leaf.grad


@pytest.mark.parametrize("name", sorted(METHODS))
def test_elementwise_and_softmax_ops_match_recorded_torch(name):
    out, dx = run(METHODS[name], R.X, R.UPSTREAM)
    np.testing.assert_allclose(out, getattr(R, f"{name}_OUT"), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(dx, getattr(R, f"{name}_DX"), rtol=1e-12, atol=1e-15)


def test_log_softmax_of_plus_minus_1000_matches_recorded_torch():
    out, dx = run(lambda t: t.log_softmax(), R.BIG, np.ones(R.BIG.shape))
    np.testing.assert_allclose(out, R.BIG_LOG_SOFTMAX_OUT, rtol=1e-15)
    np.testing.assert_allclose(dx, R.BIG_LOG_SOFTMAX_DX, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("case", ["CE", "BIG_CE"])
def test_cross_entropy_matches_recorded_torch(case):
    logits, labels = (R.X, R.LABELS) if case == "CE" else (R.BIG, R.BIG_LABELS)
    leaf = mg.tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss()(leaf, labels)
    loss.backward()
    np.testing.assert_allclose(loss.item(), getattr(R, f"{case}_LOSS"), rtol=1e-14)
    np.testing.assert_allclose(grad_of(leaf), getattr(R, f"{case}_DLOGITS"), rtol=1e-13, atol=1e-16)


def test_layer_norm_matches_recorded_torch():
    layer = nn.LayerNorm(4, eps=1e-5, dtype=np.float64)
    layer.gamma.data[...], layer.beta.data[...] = R.LN_GAMMA, R.LN_BETA
    x = mg.tensor(R.X, requires_grad=True)
    y = layer(x)
    y.backward(R.UPSTREAM)
    np.testing.assert_allclose(y.data, R.LN_OUT, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(grad_of(x), R.LN_DX, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad_of(layer.gamma), R.LN_DGAMMA, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad_of(layer.beta), R.LN_DBETA, rtol=1e-12, atol=1e-14)


def test_recorded_values_are_what_live_torch_computes():
    torch = pytest.importorskip("torch")
    from reference.generate_torch_classification import OPS  # the generator's own ops; it needs torch

    u = torch.tensor(R.UPSTREAM)
    for name, fn in OPS.items():
        x = torch.tensor(R.X, requires_grad=True)
        y = fn(x)
        (y * u).sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), getattr(R, f"{name}_OUT"), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(x.grad.numpy(), getattr(R, f"{name}_DX"), rtol=1e-13, atol=1e-16, err_msg=name)
    x = torch.tensor(R.BIG, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(x, torch.tensor(R.BIG_LABELS))
    loss.backward()
    np.testing.assert_allclose(loss.item(), R.BIG_CE_LOSS, rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), R.BIG_CE_DLOGITS, rtol=1e-14, atol=1e-16)
    ln = torch.nn.LayerNorm(4, dtype=torch.float64)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor(R.LN_GAMMA, dtype=torch.float64))
        ln.bias.copy_(torch.tensor(R.LN_BETA, dtype=torch.float64))
    np.testing.assert_allclose(ln(torch.tensor(R.X)).detach().numpy(), R.LN_OUT, rtol=1e-14, atol=1e-16)
    assert R.TORCH_VERSION.split("+")[0] == torch.__version__.split("+")[0]
