"""The benchmark must compare like with like: `benchmarks/train_step.py`'s minigrad, NumPy and
PyTorch steps start from the same weights and must compute the same loss, gradients, Adam update
and moving statistics (to float32 rounding). No timing is asserted here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    """Import a script from benchmarks/ (not a package) under its own module name."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


ts = _load("train_step")

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:  # pragma: no cover - depends on the machine
    HAVE_TORCH = False

# MyGrad and HIPS autograd are optional teaching frameworks the benchmark also runs when installed.
OPTIONAL = [name for name, present in (("mygrad", ts.mygrad), ("autograd", ts.autograd)) if present is not None]
OTHERS = ["minigrad"] + (["torch"] if HAVE_TORCH else []) + OPTIONAL
# tiny: batch 2 (BatchNorm's smallest batch); medium adds a 10-output head: the MSE mean runs over two axes
SIZES = ["tiny", "small", "medium"]
# With a batch of 2 every BatchNorm output is +-1 up to eps, so the gradients behind a BatchNorm
# are sums of two nearly cancelling terms: float32 agrees to about 1e-3 relative there, not 1e-4.
ILL_CONDITIONED_RTOL = {"tiny": 1e-2}


def _after_one_step(size_name: str) -> dict[str, dict]:
    """Every implementation after one step from the same problem: loss, params, grads, stats."""
    problem = ts.make_problem(ts.SIZES[size_name], seed=0)
    out = {}
    for impl in ts.implementations(problem, use_torch=HAVE_TORCH):
        loss = impl.step()
        out[impl.name] = {
            "loss": loss,
            "params": impl.parameters(),
            "grads": impl.gradients(),
            "stats": impl.moving_stats(),
            "initial": problem.weights,
            "size": size_name,
        }
    return out


@pytest.fixture(scope="module", params=SIZES)
def stepped(request) -> dict[str, dict]:
    return _after_one_step(request.param)


def _scale(a: np.ndarray) -> float:
    return float(np.abs(a).max())


@pytest.mark.parametrize("name", OTHERS)
def test_same_loss(stepped, name):
    assert stepped[name]["loss"] == pytest.approx(stepped["numpy"]["loss"], rel=1e-5)


@pytest.mark.parametrize("name", OTHERS)
def test_same_gradients(stepped, name):
    ref, got = stepped["numpy"]["grads"], stepped[name]["grads"]
    assert set(got) == set(ts.PARAM_NAMES)
    for key in ts.PARAM_NAMES:
        assert got[key].shape == ref[key].shape, key
        assert got[key].dtype == np.float32, f"{name} {key}: gradient is {got[key].dtype}, the benchmark is float32"
        if key in ts.CANCELLED_BY_BATCHNORM:
            continue  # exact value 0; see test_biases_before_batchnorm_get_rounding_noise_only
        rtol = ILL_CONDITIONED_RTOL.get(stepped[name]["size"], 1e-4)
        np.testing.assert_allclose(got[key], ref[key], rtol=rtol, atol=1e-5 * _scale(ref[key]), err_msg=f"{name} {key}")


@pytest.mark.parametrize("name", ["numpy"] + OTHERS)
def test_biases_before_batchnorm_get_rounding_noise_only(stepped, name):
    # The batch mean subtracts a bias that feeds a BatchNorm, so d loss / d bias = 0 exactly; each
    # implementation returns float32 noise, far below the weight gradient of the same layer.
    # At tiny the weight gradients are themselves eps-small (see ILL_CONDITIONED_RTOL): compare with
    # the output layer's gradient there.
    grads = stepped[name]["grads"]
    for bias, weight in (("b1", "W1"), ("b2", "W2")):
        if stepped[name]["size"] in ILL_CONDITIONED_RTOL:
            weight = "W3"
        assert _scale(grads[bias]) <= 1e-5 * _scale(grads[weight]), f"{name} {bias}"


@pytest.mark.parametrize("name", OTHERS)
def test_same_adam_update(stepped, name):
    ref, got, initial = stepped["numpy"]["params"], stepped[name]["params"], stepped[name]["initial"]
    for key in ts.PARAM_NAMES:
        assert got[key].dtype == np.float32, f"{name} {key}"
        if key in ts.CANCELLED_BY_BATCHNORM:
            # Adam's first step is lr * g / (|g| + eps) per element: at most lr, whatever the noise.
            assert np.abs(got[key] - initial[key]).max() <= ts.LR * (1 + 1e-4), f"{name} {key}"
            continue
        # Every other element moved by about lr (Adam's first step is nearly sign(g) * lr), so a
        # wrong bias correction, sign or learning rate shows as a difference of order lr.
        np.testing.assert_allclose(
            got[key] - initial[key], ref[key] - initial[key], atol=0.05 * ts.LR, rtol=0, err_msg=f"{name} {key}"
        )
        moved = np.abs(ref[key] - initial[key])
        assert moved.max() == pytest.approx(ts.LR, rel=0.05), f"numpy {key}: first Adam step should be about lr"


@pytest.mark.parametrize("name", OTHERS)
def test_same_moving_statistics(stepped, name):
    ref, got = stepped["numpy"]["stats"], stepped[name]["stats"]
    for key in ts.STAT_NAMES:
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=f"{name} {key}")


def test_moving_statistics_follow_the_shared_convention():
    # One step from moving_mean 0, moving_variance 1 with momentum 0.9 kept:
    # mean -> 0.1 * batch mean of the first Dense output; variance -> 0.9 + 0.1 * unbiased variance.
    problem = ts.make_problem(ts.SIZES["small"], seed=0)
    impl = ts.NumpyStep(problem)
    h1 = problem.x.astype(np.float64) @ problem.weights["W1"].astype(np.float64)
    impl.step()
    stats = impl.moving_stats()
    np.testing.assert_allclose(stats["moving_mean1"], 0.1 * h1.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(stats["moving_variance1"], 0.9 + 0.1 * h1.var(axis=0, ddof=1), rtol=1e-4)


def test_losses_agree_over_several_steps():
    problem = ts.make_problem(ts.SIZES["small"], seed=1)
    impls = ts.implementations(problem, use_torch=HAVE_TORCH)
    trajectories = {impl.name: [impl.step() for _ in range(4)] for impl in impls}
    reference = trajectories["numpy"]
    assert reference[-1] < reference[0]  # Adam is actually training
    for name in OTHERS:
        np.testing.assert_allclose(trajectories[name], reference, rtol=1e-4, err_msg=name)


def test_peak_memory_counts_a_step():
    problem = ts.make_problem(ts.SIZES["small"], seed=0)
    for impl in (ts.MinigradStep(problem), ts.NumpyStep(problem)):
        impl.step()
        peak = ts.peak_step_memory(impl)
        # At least the three (32, 64) float32 activations a step must hold at once.
        assert peak >= 3 * 32 * 64 * 4, impl.name


def test_command_line_prints_the_table(capsys):
    code = ts.main(
        [
            "--sizes",
            "small",
            "--rounds",
            "2",
            "--warmup",
            "1",
            "--block-seconds",
            "0.001",
            "--settle-seconds",
            "0",
            "--no-memory",
            "--no-gradcheck",
        ]
        + ([] if HAVE_TORCH else ["--no-torch"])
    )
    out = capsys.readouterr().out
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith("small"))
    assert ("PASS" in row or "MISS" in row) if HAVE_TORCH else "n/a" in row
    assert "torch.get_num_threads()" in out or not HAVE_TORCH
