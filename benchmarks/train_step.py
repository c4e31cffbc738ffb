"""Time one training step of the same small MLP in minigrad, hand-written NumPy and PyTorch (CPU).

The model (float32 throughout):

    Dense(n_in, h) -> BatchNorm(h) -> ReLU -> Dense(h, h) -> BatchNorm(h) -> ReLU -> Dense(h, n_out)

trained with MSE and Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8, Kingma & Ba = PyTorch's form).
One step = zero the gradients, forward, loss, backward, Adam update, and the loss as a Python float.

BatchNorm uses the settings all three share exactly: minigrad `convention="torch"` (keeps 0.9 of
the moving value, eps 1e-5, the moving variance fed the unbiased batch variance) = PyTorch's
`BatchNorm1d(h, eps=1e-5, momentum=0.1)` = the NumPy code below. The three start from the same
float32 weights (Glorot uniform, seeded) and see the same fixed batch, so their losses and
gradients agree to float32 rounding (`tests/test_benchmarks_smoke.py` checks that).

Timing: after a warm-up, the implementations run round-robin (the order rotates every round), each
a block of k steps per round (k calibrated so a block lasts about `--block-seconds`), after a short
pause (`--settle-seconds`) that lets the previous library's spinning BLAS threads go idle; the table
shows the median time per step, the median over rounds of the per-round ratios with their
interquartile range, and the minor page faults per step. See benchmarks/README.md for the method.

    python benchmarks/train_step.py                       # all sizes, default rounds
    python benchmarks/train_step.py --sizes small medium --rounds 30
    python benchmarks/train_step.py --no-torch --no-gradcheck

Targets (from the performance issue): minigrad/torch <= 1.0 (upper quartile <= 1.1) at tiny, small
and medium, <= 1.15 at large; minigrad/numpy <= 1.5 at tiny; minigrad <= 1.5x the physical floor at
large; peak extra memory of a large step minigrad/numpy <= 1.3 (tracemalloc); `mg.gradcheck` of
`BatchNorm(64)` on a (128, 64) input in under 2 s. MyGrad and HIPS autograd run when installed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import importlib.util
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg

try:  # PyTorch is optional: without it the torch column says "n/a"
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None
try:  # other teaching frameworks, optional: measured when installed (not project dependencies)
    import mygrad
    import mygrad.nnet
except ImportError:  # pragma: no cover - depends on the machine
    mygrad = None
try:
    import autograd
    import autograd.numpy as anp
    from autograd.tracer import getval
except ImportError:  # pragma: no cover - depends on the machine
    autograd = None

# ------------------------------------------------------------------------------ the problem

#: Fraction of the moving statistics KEPT per step (minigrad/Keras); PyTorch's momentum is 1 - this.
BN_MOMENTUM = 0.9
BN_EPS = 1e-5
LR = 1e-3
BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8

#: Parameter names shared by the three implementations; weights in (in, out) layout (Keras's,
#: minigrad's); PyTorch's Linear stores the transpose.
PARAM_NAMES = ("W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3")
#: Biases of the Dense layers that feed a BatchNorm: the batch mean subtracts them again, so their
#: exact gradient is 0 and what any implementation computes is float32 rounding noise.
CANCELLED_BY_BATCHNORM = ("b1", "b2")
STAT_NAMES = ("moving_mean1", "moving_variance1", "moving_mean2", "moving_variance2")


@dataclass(frozen=True)
class Size:
    """batch rows, input features, hidden width, outputs."""

    batch: int
    n_in: int
    hidden: int
    n_out: int

    def __str__(self) -> str:
        return f"batch {self.batch}, {self.n_in} -> {self.hidden} -> {self.n_out}"


SIZES: dict[str, Size] = {
    "tiny": Size(2, 2, 2, 1),  # arithmetic is nothing: measures framework overhead per step
    "small": Size(32, 16, 64, 1),
    "medium": Size(256, 128, 512, 10),
    "large": Size(1024, 512, 2048, 10),
}

#: ratio name -> {size: (bound on the median, bound on the upper quartile or None)}
TARGETS: dict[str, dict[str, tuple[float, float | None]]] = {
    "minigrad/torch": {
        "tiny": (1.0, 1.1),
        "small": (1.0, 1.1),
        "medium": (1.0, 1.1),
        "large": (1.15, None),
    },
    "minigrad/numpy": {"tiny": (1.5, None)},
    "minigrad/floor": {"large": (1.5, None)},
}
MEMORY_TARGET = 1.3  # minigrad / numpy peak extra memory of one large step
GRADCHECK_TARGET_S = 2.0


@dataclass
class Problem:
    """Initial weights (float32, (in, out) layout), one input batch and its targets."""

    size: Size
    weights: dict[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray


def make_problem(size: Size, seed: int = 0) -> Problem:
    """Glorot-uniform weights, zero biases, unit gammas, zero betas, and a fixed batch, all float32."""
    rng = np.random.default_rng(seed)

    def glorot(fan_in: int, fan_out: int) -> np.ndarray:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)

    h = size.hidden
    weights = {
        "W1": glorot(size.n_in, h),
        "b1": np.zeros(h, np.float32),
        "gamma1": np.ones(h, np.float32),
        "beta1": np.zeros(h, np.float32),
        "W2": glorot(h, h),
        "b2": np.zeros(h, np.float32),
        "gamma2": np.ones(h, np.float32),
        "beta2": np.zeros(h, np.float32),
        "W3": glorot(h, size.n_out),
        "b3": np.zeros(size.n_out, np.float32),
    }
    x = rng.standard_normal((size.batch, size.n_in)).astype(np.float32)
    y = rng.standard_normal((size.batch, size.n_out)).astype(np.float32)
    return Problem(size, weights, x, y)


# ------------------------------------------------------------------------ the implementations
# Each has `step() -> float` (the loss before the update) and, for the smoke test,
# `parameters()`, `gradients()` (of the latest step) and `moving_stats()` as dicts of float32
# arrays in the shared layout.

#: minigrad state-dict keys of the shared names (Sequential children "0".."6").
_MG_KEYS = {
    "W1": "0.weight",
    "b1": "0.bias",
    "gamma1": "1.gamma",
    "beta1": "1.beta",
    "W2": "3.weight",
    "b2": "3.bias",
    "gamma2": "4.gamma",
    "beta2": "4.beta",
    "W3": "6.weight",
    "b3": "6.bias",
    "moving_mean1": "1.moving_mean",
    "moving_variance1": "1.moving_variance",
    "moving_mean2": "4.moving_mean",
    "moving_variance2": "4.moving_variance",
}


class MinigradStep:
    """The model as a student writes it with minigrad."""

    name = "minigrad"

    def __init__(self, problem: Problem) -> None:
        s, f32 = problem.size, np.float32
        nn = mg.nn

        def bn() -> Any:
            return nn.BatchNorm(s.hidden, convention="torch", momentum=BN_MOMENTUM, eps=BN_EPS, dtype=f32)

        self.model = nn.Sequential(
            nn.Dense(s.n_in, s.hidden, dtype=f32),
            bn(),
            nn.ReLU(),
            nn.Dense(s.hidden, s.hidden, dtype=f32),
            bn(),
            nn.ReLU(),
            nn.Dense(s.hidden, s.n_out, dtype=f32),
        )
        state = self.model.state_dict()
        state.update({_MG_KEYS[k]: v for k, v in problem.weights.items()})
        self.model.load_state_dict(state)
        self.opt = mg.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=ADAM_EPS)
        self.x = mg.tensor(problem.x)
        self.y = mg.tensor(problem.y)
        self._tensors = dict(self.model.named_parameters()) | dict(self.model.named_buffers())

    def step(self) -> float:
        self.opt.zero_grad()
        loss = mg.nn.mse_loss(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: self._tensors[_MG_KEYS[k]].data.copy() for k in PARAM_NAMES}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: self._tensors[_MG_KEYS[k]].grad.copy() for k in PARAM_NAMES}

    def moving_stats(self) -> dict[str, np.ndarray]:
        return {k: self._tensors[_MG_KEYS[k]].data.copy() for k in STAT_NAMES}


def initial_stats(hidden: int) -> dict[str, np.ndarray]:
    """Moving mean 0 and moving variance 1 for both BatchNorm layers (every implementation's start)."""
    zeros, ones = np.zeros(hidden, np.float32), np.ones(hidden, np.float32)
    return {
        "moving_mean1": zeros.copy(),
        "moving_variance1": ones.copy(),
        "moving_mean2": zeros.copy(),
        "moving_variance2": ones.copy(),
    }


def update_stats(stats: dict[str, np.ndarray], layer: str, mu: np.ndarray, var: np.ndarray, n: int) -> None:
    """The shared moving-average update, in place (PyTorch feeds the unbiased variance)."""
    rm, rv = stats["moving_mean" + layer], stats["moving_variance" + layer]
    rm *= BN_MOMENTUM
    rm += (1.0 - BN_MOMENTUM) * mu
    rv *= BN_MOMENTUM
    rv += ((1.0 - BN_MOMENTUM) * n / (n - 1)) * var


class HandAdam:
    """Hand-written Adam over a dict of float32 arrays, in place, one preallocated work array each."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.p = params
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.work = {k: np.empty_like(v) for k, v in params.items()}  # Adam's temporaries, made once
        self.t = 0

    def update(self, grads: dict[str, np.ndarray]) -> None:
        """p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)   (PyTorch's order)."""
        b1, b2 = BETAS
        self.t += 1
        step_size = LR / (1.0 - b1**self.t)
        root_bias2 = math.sqrt(1.0 - b2**self.t)
        for k, grad in grads.items():
            m, v, w = self.m[k], self.v[k], self.work[k]
            m *= b1  # m = b1 m + (1 - b1) g
            np.multiply(grad, 1.0 - b1, out=w)
            m += w
            v *= b2  # v = b2 v + (1 - b2) g^2
            np.multiply(grad, grad, out=w)
            w *= 1.0 - b2
            v += w
            np.sqrt(v, out=w)  # w = sqrt(v) / sqrt(1 - b2^t) + eps
            w /= root_bias2
            w += ADAM_EPS
            np.divide(m, w, out=w)
            w *= step_size
            self.p[k] -= w


class NumpyStep:
    """The same model by hand: forward with caches, hand-written backward, hand-written Adam.

    Written as a competent NumPy programmer would: arrays that are not needed again are reused in
    place, the BatchNorm backward is the compact closed form, no graph, no checks.
    """

    name = "numpy"

    def __init__(self, problem: Problem) -> None:
        self.p = {k: v.copy() for k, v in problem.weights.items()}
        self.adam = HandAdam(self.p)
        self.stats = initial_stats(problem.size.hidden)
        self.x, self.y = problem.x, problem.y
        self.grads: dict[str, np.ndarray] = {}

    # BatchNorm (training mode) followed by ReLU, in place on h (the pre-BN activation is not needed).
    def _bn_relu_forward(self, h: np.ndarray, layer: str) -> tuple[np.ndarray, tuple]:
        n = h.shape[0]
        gamma, beta = self.p["gamma" + layer], self.p["beta" + layer]
        mu = h.mean(axis=0)
        h -= mu  # h = x - mu
        var = np.einsum("ij,ij->j", h, h) / n  # biased: it normalises (no n-by-h temporary)
        ivar = 1.0 / np.sqrt(var + BN_EPS)
        h *= ivar  # h = xhat, kept for backward
        out = h * gamma
        out += beta
        np.maximum(out, 0.0, out=out)  # ReLU
        update_stats(self.stats, layer, mu, var, n)
        return out, (h, ivar, gamma)

    @staticmethod
    def _relu_bn_backward(dout: np.ndarray, out: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
        """ReLU backward, then dx = gamma * ivar / N * (N dy - sum(dy) - xhat * sum(dy xhat)), in place."""
        xhat, ivar, gamma = cache
        n = dout.shape[0]
        dout *= out > 0  # ReLU: out > 0 exactly where its input was
        dbeta = dout.sum(axis=0)
        dgamma = np.einsum("ij,ij->j", dout, xhat)
        dout *= n
        dout -= dbeta
        xhat *= dgamma  # xhat is not needed again
        dout -= xhat
        dout *= (gamma * ivar) / n
        return dout, dgamma, dbeta

    def step(self) -> float:
        p, x = self.p, self.x
        self.grads = {}  # as zero_grad(): last step's gradients go before this step's are made
        # forward
        h1 = x @ p["W1"]
        h1 += p["b1"]
        a1, c1 = self._bn_relu_forward(h1, "1")
        h2 = a1 @ p["W2"]
        h2 += p["b2"]
        a2, c2 = self._bn_relu_forward(h2, "2")
        pred = a2 @ p["W3"]
        pred += p["b3"]
        diff = pred
        diff -= self.y
        loss = float(np.vdot(diff, diff)) / diff.size
        # backward: d mean(diff^2) / d pred = 2 diff / size
        dpred = diff
        dpred *= 2.0 / diff.size
        g = {"W3": a2.T @ dpred, "b3": dpred.sum(axis=0)}
        da2 = dpred @ p["W3"].T
        dh2, g["gamma2"], g["beta2"] = self._relu_bn_backward(da2, a2, c2)
        g["W2"], g["b2"] = a1.T @ dh2, dh2.sum(axis=0)
        da1 = dh2 @ p["W2"].T
        dh1, g["gamma1"], g["beta1"] = self._relu_bn_backward(da1, a1, c1)
        g["W1"], g["b1"] = x.T @ dh1, dh1.sum(axis=0)
        self.grads = g
        self.adam.update(g)
        return loss

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: self.p[k].copy() for k in PARAM_NAMES}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: self.grads[k].copy() for k in PARAM_NAMES}

    def moving_stats(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.stats.items()}


class MyGradStep:
    """The same model in MyGrad (its `batchnorm`, `relu`, `matmul`); Adam by hand, as MyGrad has none."""

    name = "mygrad"

    def __init__(self, problem: Problem) -> None:
        if mygrad is None:
            raise RuntimeError("MyGradStep: mygrad is not installed")
        self.t = {k: mygrad.tensor(v.copy()) for k, v in problem.weights.items()}
        self.adam = HandAdam({k: t.data for k, t in self.t.items()})
        self.stats = initial_stats(problem.size.hidden)
        self.x, self.y = mygrad.tensor(problem.x.copy(), constant=True), problem.y.copy()
        self.grads: dict[str, np.ndarray] = {}

    def _bn_relu(self, h: Any, layer: str) -> Any:
        out = mygrad.nnet.batchnorm(h, gamma=self.t["gamma" + layer], beta=self.t["beta" + layer], eps=BN_EPS)
        op = out.creator  # MyGrad's BatchNorm keeps the batch statistics it used
        update_stats(self.stats, layer, op.mean, op.var, h.shape[0])
        return mygrad.nnet.relu(out)

    def step(self) -> float:
        t = self.t
        a1 = self._bn_relu(mygrad.matmul(self.x, t["W1"]) + t["b1"], "1")
        a2 = self._bn_relu(mygrad.matmul(a1, t["W2"]) + t["b2"], "2")
        pred = mygrad.matmul(a2, t["W3"]) + t["b3"]
        loss = mygrad.mean((pred - self.y) ** 2)
        loss.backward()
        self.grads = {k: v.grad for k, v in t.items()}
        self.adam.update(self.grads)
        return loss.item()

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: self.t[k].data.copy() for k in PARAM_NAMES}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(self.grads[k]).copy() for k in PARAM_NAMES}

    def moving_stats(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.stats.items()}


class AutogradStep:
    """The same model as a function differentiated by HIPS autograd; Adam by hand."""

    name = "autograd"

    def __init__(self, problem: Problem) -> None:
        if autograd is None:
            raise RuntimeError("AutogradStep: autograd is not installed")
        self.p = {k: v.copy() for k, v in problem.weights.items()}
        self.adam = HandAdam(self.p)
        self.stats = initial_stats(problem.size.hidden)
        self.x, self.y = problem.x, problem.y
        self.grads: dict[str, np.ndarray] = {}
        self._value_and_grad = autograd.value_and_grad(self._loss)

    def _bn_relu(self, h: Any, p: dict[str, Any], layer: str) -> Any:
        mu = anp.mean(h, axis=0)
        xc = h - mu
        var = anp.mean(xc * xc, axis=0)
        update_stats(self.stats, layer, getval(mu), getval(var), h.shape[0])
        out = xc / anp.sqrt(var + BN_EPS) * p["gamma" + layer] + p["beta" + layer]
        return anp.maximum(out, 0.0)

    def _loss(self, p: dict[str, Any]) -> Any:
        a1 = self._bn_relu(anp.dot(self.x, p["W1"]) + p["b1"], p, "1")
        a2 = self._bn_relu(anp.dot(a1, p["W2"]) + p["b2"], p, "2")
        diff = anp.dot(a2, p["W3"]) + p["b3"] - self.y
        return anp.mean(diff * diff)

    def step(self) -> float:
        loss, self.grads = self._value_and_grad(self.p)
        self.adam.update(self.grads)
        return float(loss)

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: self.p[k].copy() for k in PARAM_NAMES}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(self.grads[k]).copy() for k in PARAM_NAMES}

    def moving_stats(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.stats.items()}


class TorchStep:
    """The same model in PyTorch (CPU, default thread count, default Adam implementation)."""

    name = "torch"

    def __init__(self, problem: Problem) -> None:
        if torch is None:
            raise RuntimeError("TorchStep: PyTorch is not installed")
        s, nn = problem.size, torch.nn
        self.model = nn.Sequential(
            nn.Linear(s.n_in, s.hidden),
            nn.BatchNorm1d(s.hidden, eps=BN_EPS, momentum=1.0 - BN_MOMENTUM),
            nn.ReLU(),
            nn.Linear(s.hidden, s.hidden),
            nn.BatchNorm1d(s.hidden, eps=BN_EPS, momentum=1.0 - BN_MOMENTUM),
            nn.ReLU(),
            nn.Linear(s.hidden, s.n_out),
        )
        self._named = {
            "W1": self.model[0].weight,
            "b1": self.model[0].bias,
            "gamma1": self.model[1].weight,
            "beta1": self.model[1].bias,
            "W2": self.model[3].weight,
            "b2": self.model[3].bias,
            "gamma2": self.model[4].weight,
            "beta2": self.model[4].bias,
            "W3": self.model[6].weight,
            "b3": self.model[6].bias,
        }
        with torch.no_grad():
            for k, t in self._named.items():
                w = problem.weights[k]
                t.copy_(torch.from_numpy(np.ascontiguousarray(w.T if w.ndim == 2 else w)))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR, betas=BETAS, eps=ADAM_EPS)
        self.x = torch.from_numpy(problem.x.copy())
        self.y = torch.from_numpy(problem.y.copy())

    def step(self) -> float:
        self.opt.zero_grad()
        loss = torch.nn.functional.mse_loss(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()

    @staticmethod
    def _layout(t: Any) -> np.ndarray:
        a = t.detach().numpy()
        return np.ascontiguousarray(a.T if a.ndim == 2 else a).copy()

    def parameters(self) -> dict[str, np.ndarray]:
        return {k: self._layout(self._named[k]) for k in PARAM_NAMES}

    def gradients(self) -> dict[str, np.ndarray]:
        return {k: self._layout(self._named[k].grad) for k in PARAM_NAMES}

    def moving_stats(self) -> dict[str, np.ndarray]:
        bn1, bn2 = self.model[1], self.model[4]
        return {
            "moving_mean1": self._layout(bn1.running_mean),
            "moving_variance1": self._layout(bn1.running_var),
            "moving_mean2": self._layout(bn2.running_mean),
            "moving_variance2": self._layout(bn2.running_var),
        }


def implementations(problem: Problem, use_torch: bool = True, use_others: bool = True) -> list[Any]:
    """minigrad, numpy and, when installed and wanted, torch, MyGrad and HIPS autograd."""
    impls: list[Any] = [MinigradStep(problem), NumpyStep(problem)]
    if use_torch and torch is not None:
        impls.append(TorchStep(problem))
    if use_others and mygrad is not None:
        impls.append(MyGradStep(problem))
    if use_others and autograd is not None:
        impls.append(AutogradStep(problem))
    return impls


# ----------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    size_name: str
    steps_per_block: int
    per_step: dict[str, list[float]]  # implementation -> seconds per step, one value per round
    faults: dict[str, float]  # implementation -> minor page faults per step (memory the allocator
    #                           gave back to the OS and must fault in, zeroed, again: slow)

    def median(self, name: str) -> float:
        return statistics.median(self.per_step[name])

    def ratios(self, num: str, den: str) -> list[float] | None:
        """The per-round ratios (a round pairs up runs close in time), or None if one side is missing."""
        if num not in self.per_step or den not in self.per_step:
            return None
        return [a / b for a, b in zip(self.per_step[num], self.per_step[den])]

    def ratio(self, num: str, den: str) -> float | None:
        """Median over rounds of the per-round ratio."""
        ratios = self.ratios(num, den)
        return None if ratios is None else statistics.median(ratios)


def time_size(
    size_name: str, impls: Sequence[Any], rounds: int, warmup: int, block_seconds: float, settle_seconds: float = 0.0
) -> Timing:
    """Warm up, calibrate steps per block for each implementation, then run round-robin.

    Each implementation gets its own k, so that each block lasts about `block_seconds` (a fast
    step is not timed one call at a time because a slow one sets k); the per-round ratios pair
    blocks run close in time. `settle_seconds` of sleep before every block let the previous
    implementation's idle worker threads go to sleep: OpenBLAS's workers spin for about 0.1 s
    after a BLAS call, and on 2 cores that spinning halves PyTorch's speed when it runs right
    after NumPy work (measured: medium torch step 5.6 ms alone, 11 ms alternated without a pause,
    6.0 ms with a 0.12 s pause)."""
    for impl in impls:
        for _ in range(warmup):
            impl.step()
    ks: dict[str, int] = {}
    for impl in impls:
        samples = []
        for _ in range(3):  # the median of three: one step hit by a hiccup must not set k
            start = time.perf_counter()
            impl.step()
            samples.append(time.perf_counter() - start)
        ks[impl.name] = max(1, round(block_seconds / statistics.median(samples)))
    per_step: dict[str, list[float]] = {impl.name: [] for impl in impls}
    faults = dict.fromkeys(per_step, 0)
    for r in range(rounds):
        order = list(impls[r % len(impls) :]) + list(impls[: r % len(impls)])  # rotate: no fixed "first"
        for impl in order:
            step, k = impl.step, ks[impl.name]
            if settle_seconds:
                time.sleep(settle_seconds)
            faults_before = minor_page_faults()
            start = time.perf_counter()
            for _ in range(k):
                step()
            per_step[impl.name].append((time.perf_counter() - start) / k)
            faults[impl.name] += minor_page_faults() - faults_before
    per_step_faults = {name: n / (rounds * ks[name]) for name, n in faults.items()}
    return Timing(size_name, ks["minigrad"], per_step, per_step_faults)


def minor_page_faults() -> int:
    """Minor page faults of this process so far (0 where `resource` does not exist)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def peak_step_memory(impl: Any) -> int:
    """Peak bytes allocated above the resting state during one step (tracemalloc; NumPy reports
    its array buffers to it). Tracing starts one step early so the frees of the previous step's
    gradients are seen too; the Adam moments already exist (the implementation is warm)."""
    gc.collect()
    tracemalloc.start()
    try:
        impl.step()
        gc.collect()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        impl.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def _load_sibling(name: str) -> Any:
    """Import another script of benchmarks/ (not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_gradcheck() -> tuple[float, bool]:
    """Seconds for `mg.gradcheck` of a BatchNorm(64) on a (128, 64) input (see gradcheck_speed.py)."""
    return _load_sibling("gradcheck_speed").time_gradcheck()


# ------------------------------------------------------------------------------ reporting


def machine_info() -> str:
    blas = "?"
    try:
        deps = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{deps.get('name', '?')} {deps.get('version', '')}".strip()
    except Exception:  # the layout of show_config is not a stable API
        pass
    threads = {
        k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor() or platform.platform()
    torch_info = f"{torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}" if torch else "absent"
    lines = [
        f"date       {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"machine    {platform.machine()}, {os.cpu_count()} logical cores, {cpu}",
        f"python     {platform.python_version()}; numpy {np.__version__} (BLAS: {blas}); minigrad {mg.__version__}",
        f"torch      {torch_info}",
        f"others     mygrad {getattr(mygrad, '__version__', 'not installed')}, "
        f"autograd {_version('autograd') if autograd else 'not installed'}",
        f"threads    env {threads or 'unset (libraries use their defaults)'}",
        f"load       1-minute load average {load:.2f} on {os.cpu_count()} cores before the run "
        "(other work on the machine makes the times noisy; the ratios, paired per round, less so)",
    ]
    return "\n".join(lines)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def verdict(value: float | None, bound: float) -> str:
    if value is None:
        return "n/a"
    return "PASS" if value <= bound else "MISS"


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


# -------------------------------------------------------------------------- physical floor


@dataclass(frozen=True)
class Machine:
    """The best measured matmul speed (float32, NumPy's or torch's BLAS) and memory bandwidth."""

    flops_per_s: float
    bytes_per_s: float

    def floor_seconds(self, size: Size) -> float:
        """The step with every matmul at the best BLAS speed and the elementwise work in fused,
        minimal passes at the measured bandwidth (see benchmarks/README.md, "Physical floor")."""
        return matmul_flops(size) / self.flops_per_s + elementwise_bytes(size) / self.bytes_per_s


def matmul_flops(size: Size) -> float:
    """2 n m k per matmul: three forward, three weight gradients, two input gradients (not x's)."""
    n, i, h, o = size.batch, size.n_in, size.hidden, size.n_out
    layers = i * h + h * h + h * o
    return 2.0 * n * (3 * layers - i * h)


def elementwise_bytes(size: Size) -> float:
    """Minimal float32 traffic outside the matmuls, as one fused kernel per stage would move it:
    per BatchNorm+ReLU layer 3 passes over (n, h) forward (read for the statistics, read + write
    the output) and 7 backward (read dy, y, x for the sums; again plus write dx), the two bias adds
    2 passes each and their sums 1; Adam reads p, g, m, v and writes p, m, v (7 per parameter)."""
    n, i, h, o = size.batch, size.n_in, size.hidden, size.n_out
    activations = n * h
    parameters = i * h + h * h + h * o + 5 * h + o
    return 4.0 * (2 * (3 + 7 + 3) * activations + 7 * parameters)


def measure_machine(repeats: int = 5) -> Machine:
    """Best of `repeats`: a (1024, 2048) @ (2048, 2048) float32 matmul in NumPy (and torch, when
    installed), and `c = a + b` over 32 MiB float32 arrays (3 x 32 MiB moved)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((1024, 2048), np.float32), rng.standard_normal((2048, 2048), np.float32)
    flops = 2.0 * 1024 * 2048 * 2048
    matmuls = [lambda: a @ b]
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        matmuls.append(lambda: ta @ tb)
    best_matmul = min(_best_time(f, repeats) for f in matmuls)
    x, y = rng.standard_normal(2**23, np.float32), rng.standard_normal(2**23, np.float32)
    z = np.empty_like(x)
    best_add = _best_time(lambda: np.add(x, y, out=z), repeats)
    return Machine(flops / best_matmul, 3 * x.nbytes / best_add)


def _best_time(fn: Any, repeats: int) -> float:
    fn()  # warm: threads started, pages touched
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def target_verdict(ratio_name: str, size_name: str, values: Sequence[float]) -> str:
    """PASS/MISS where the issue sets a target for this ratio at this size ("" elsewhere)."""
    bounds = TARGETS.get(ratio_name, {}).get(size_name)
    if bounds is None:
        return ""
    median_bound, upper_bound = bounds
    ok = statistics.median(values) <= median_bound
    if upper_bound is not None:
        ok = ok and _quartiles(values)[1] <= upper_bound
    return "PASS" if ok else "MISS"


def _ratio_cell(values: Sequence[float] | None, mark: str = "") -> str:
    if values is None:
        return f"{'n/a':<23}"
    low, high = _quartiles(values)
    return f"{f'{statistics.median(values):.2f} [{low:.2f}-{high:.2f}]':<18}{mark:<5}"


IMPL_NAMES = ("minigrad", "numpy", "torch", "mygrad", "autograd")


def format_table(timings: Sequence[Timing], machine: Machine | None = None) -> str:
    names = [n for n in IMPL_NAMES if any(n in t.per_step for t in timings)]
    head = f"{'size':<7}{'k':>4}" + "".join(f"{n[:8] + ' ms':>12}" for n in names)
    if machine:
        head += f"{'floor ms':>10}"
    head += f"  {'mg/torch [IQR]':<23}{'mg/numpy [IQR]':<23}"
    head += f"{'mg/floor':<14}" if machine else ""
    others = [n for n in names if n in ("mygrad", "autograd")]
    head += "".join(f"{n + '/mg':<14}" for n in others)
    head += f"{'faults/step mg np':>18}"
    lines = [head, "-" * len(head)]
    for t in timings:
        row = f"{t.size_name:<7}{t.steps_per_block:>4}"
        for n in names:
            row += f"{t.median(n) * 1e3:>12.3f}" if n in t.per_step else f"{'n/a':>12}"
        if machine:
            floor = machine.floor_seconds(SIZES[t.size_name])
            row += f"{floor * 1e3:>10.4f}"
        row += "  "
        for ratio_name in ("minigrad/torch", "minigrad/numpy"):
            values = t.ratios(*ratio_name.split("/"))
            row += _ratio_cell(values, target_verdict(ratio_name, t.size_name, values) if values else "")
        if machine:
            to_floor = [x / floor for x in t.per_step["minigrad"]]
            mark = target_verdict("minigrad/floor", t.size_name, to_floor)
            row += f"{f'{statistics.median(to_floor):.1f}x':<9}{mark:<5}"
        for n in others:
            ratio = t.ratio(n, "minigrad")
            row += f"{f'{ratio:.2f}' if ratio is not None else 'n/a':<14}"
        row += f"{t.faults.get('minigrad', 0):>11.0f}{t.faults.get('numpy', 0):>7.0f}"
        lines.append(row)
    lines += [
        "k = minigrad's steps per timed block (each implementation has its own); times are medians",
        "over rounds; ratios are medians of the per-round ratios, with their interquartile range;",
        "floor = matmuls at the best measured BLAS speed plus",
        "minimal elementwise bytes at the measured bandwidth; faults/step = minor page faults per step.",
        "PASS/MISS only where the issue sets a target: minigrad/torch <= 1.0 (upper quartile <= 1.1) at",
        "tiny, small, medium and <= 1.15 at large; minigrad/numpy <= 1.5 at tiny; minigrad/floor <= 1.5 at large",
    ]
    if machine:
        lines.append(
            f"machine: best matmul {machine.flops_per_s / 1e9:.0f} GFLOP/s, "
            f"bandwidth {machine.bytes_per_s / 1e9:.1f} GB/s (c = a + b, 32 MiB arrays)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--rounds", type=int, default=20, help="round-robin rounds per size (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per implementation first (default 3)")
    parser.add_argument(
        "--block-seconds", type=float, default=0.05, help="target duration of one timed block of steps (default 0.05)"
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=0.15,
        help="pause before each timed block so the previous library's spinning BLAS/OpenMP "
        "threads go idle (default 0.15; 0 to see the interference)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    parser.add_argument("--no-others", action="store_true", help="leave MyGrad and HIPS autograd out")
    parser.add_argument(
        "--no-malloc-tuning",
        action="store_true",
        help="do not call benchmarks/malloc_tuning.tune_malloc() (process-wide; see README)",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip measuring BLAS speed and bandwidth")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak of a large step")
    parser.add_argument("--no-gradcheck", action="store_true", help="skip timing mg.gradcheck of BatchNorm(64)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    # An explicit, process-wide opt-in that minigrad itself never makes: glibc keeps freed arrays
    # for the next step instead of returning them to the OS (see malloc_tuning.py and the README).
    tuned = False if args.no_malloc_tuning else _load_sibling("malloc_tuning").tune_malloc()
    print(machine_info())
    print(f"malloc     glibc thresholds raised by benchmarks/malloc_tuning.py: {'yes' if tuned else 'no'}")
    started = time.perf_counter()
    machine = None if args.no_floor else measure_machine()
    print()
    timings = []
    for name in args.sizes:
        problem = make_problem(SIZES[name], args.seed)
        impls = implementations(problem, use_torch=not args.no_torch, use_others=not args.no_others)
        print(f"timing {name:<6} ({SIZES[name]}): {', '.join(i.name for i in impls)} ...", flush=True)
        timings.append(time_size(name, impls, args.rounds, args.warmup, args.block_seconds, args.settle_seconds))
    print()
    print(format_table(timings, machine))

    if not args.no_memory:
        problem = make_problem(SIZES["large"], args.seed)
        peaks = {}
        for impl in (MinigradStep(problem), NumpyStep(problem)):
            impl.step()  # Adam moments and scratch exist before measuring, as in training
            peaks[impl.name] = peak_step_memory(impl)
        ratio = peaks["minigrad"] / peaks["numpy"]
        print()
        print(
            f"peak extra memory of one large step (tracemalloc): minigrad {peaks['minigrad'] / 2**20:.1f} MiB, "
            f"numpy {peaks['numpy'] / 2**20:.1f} MiB, ratio {ratio:.2f}  "
            f"{verdict(ratio, MEMORY_TARGET)} (target <= {MEMORY_TARGET})"
        )

    if not args.no_gradcheck:
        seconds, passed = time_gradcheck()
        print(
            f"mg.gradcheck(BatchNorm(64), (128, 64) input): {seconds:.2f} s, "
            f"report {'passed' if passed else 'FAILED'}  "
            f"{verdict(seconds, GRADCHECK_TARGET_S)} (target < {GRADCHECK_TARGET_S:g} s)"
        )
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
