"""Where does a minigrad training step spend its time and memory? (The numbers behind README.md.)

For each size of `train_step.py` this prints:

1. the step time of minigrad and hand-written NumPy, alternated, and the same at a "tiny" size
   (batch 2, 2 -> 2 -> 1) where the arithmetic is negligible, so the difference is pure framework
   overhead per step;
2. a cProfile breakdown of the minigrad step by place in the code (ops' forward and backward,
   the engine, the layers, the optimiser), in ms per step *under the profiler*, which inflates
   Python-heavy parts (the engine, the modules) about twofold: read it for proportions;
3. with `--memory`, the live memory (tracemalloc) before and the peak during every op's forward
   and backward in one large step, to show where the peak sits and what the graph keeps alive.

    python benchmarks/profile_step.py                      # small and medium
    python benchmarks/profile_step.py --sizes large --steps 5 --memory
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib.util
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import minigrad as mg
from minigrad.engine import tensor as engine_tensor


def _load_train_step():
    name = "train_step"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("train_step.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ts = _load_train_step()
TINY = ts.Size(2, 2, 2, 1)

#: (label, file suffix, function name, which time): "cum" includes callees, "own" does not.
PLACES = [
    ("Linear forward (matmul + bias)", "ops/linalg.py", "forward", "cum"),
    ("Linear backward (2 matmuls + sum)", "ops/linalg.py", "backward", "cum"),
    ("BatchNormTrain forward (op)", "ops/normalization.py", "forward", "cum"),
    ("BatchNormTrain backward (op)", "ops/normalization.py", "backward", "cum"),
    ("BatchNorm layer forward (all)", "nn/batchnorm.py", "forward", "cum"),
    ("  of which moving-statistics update", "nn/batchnorm.py", "_update_moving_statistics", "cum"),
    ("  of which _layout", "nn/batchnorm.py", "_layout", "cum"),
    ("ReLU forward (op)", "ops/unary.py", "forward", "cum"),
    ("ReLU backward (op)", "ops/unary.py", "backward", "cum"),
    ("mse_loss (Sub, Mul, Mean forward)", "nn/loss.py", "mse_loss", "cum"),
    ("Mean backward", "ops/reduce.py", "backward", "cum"),
    ("engine: apply (own)", "engine/tensor.py", "apply", "own"),
    ("engine: Tensor._from_op (own)", "engine/tensor.py", "_from_op", "own"),
    ("engine: Node.backward + Tensor.backward (own)", "engine/tensor.py", "backward", "own"),
    ("engine: iter_backward (own)", "engine/graph.py", "iter_backward", "own"),
    ("engine: _accumulate_leaf", "engine/graph.py", "_accumulate_leaf", "cum"),
    ("modules: Module.__call__ (own)", "nn/module.py", "__call__", "own"),
    ("modules: Module.__setattr__", "nn/module.py", "__setattr__", "cum"),
    ("optimiser: Optimizer.step (own)", "optim/optimizer.py", "step", "own"),
    ("optimiser: Adam._update", "optim/adam.py", "_update", "cum"),
    ("optimiser: zero_grad", "optim/optimizer.py", "zero_grad", "cum"),
]


def alternated_times(size: ts.Size, rounds: int, block_seconds: float = 0.05) -> dict[str, tuple[float, float]]:
    """(median seconds per step, minor page faults per step) of minigrad and numpy, alternated
    block by block. Page faults show memory that the C allocator returned to the OS at the end of
    one step and must fault in again (zeroed) in the next: a step that faults is slow."""
    problem = ts.make_problem(size)
    impls = [ts.MinigradStep(problem), ts.NumpyStep(problem)]
    for impl in impls:
        for _ in range(3):
            impl.step()
    start = time.perf_counter()
    impls[0].step()
    k = max(1, round(block_seconds / (time.perf_counter() - start)))
    times: dict[str, list[float]] = {impl.name: [] for impl in impls}
    faults = dict.fromkeys(times, 0)
    for r in range(rounds):
        for impl in impls if r % 2 == 0 else impls[::-1]:
            time.sleep(0.12)  # let OpenBLAS's spinning workers go idle (see train_step.time_size)
            before = _minor_faults()
            start = time.perf_counter()
            for _ in range(k):
                impl.step()
            times[impl.name].append((time.perf_counter() - start) / k)
            faults[impl.name] += _minor_faults() - before
    return {name: (statistics.median(v), faults[name] / (rounds * k)) for name, v in times.items()}


def _minor_faults() -> int:
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def profile_places(size: ts.Size, steps: int) -> tuple[float, list[tuple[str, float]]]:
    """ms per step under cProfile, total and per place of PLACES."""
    impl = ts.MinigradStep(ts.make_problem(size))
    for _ in range(3):
        impl.step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        impl.step()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {(file, line, func): (cc, nc, tottime, cumtime, callers)}
    rows = []
    for label, suffix, func, which in PLACES:
        total = 0.0
        for (file, _line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.items():
            if name == func and file.replace("\\", "/").endswith("minigrad/" + suffix):
                total += cumtime if which == "cum" else tottime
        rows.append((label, total / steps * 1e3))
    step_total = sum(v[3] for k, v in stats.items() if k[2] == "step" and k[0].endswith("train_step.py"))
    return step_total / steps * 1e3, rows


def memory_timeline(size: ts.Size) -> list[tuple[str, float, float]]:
    """(event, live MiB before, peak MiB during) for every op forward/backward of one step,
    relative to the resting state between steps (which holds the previous step's gradients)."""
    impl = ts.MinigradStep(ts.make_problem(size))
    impl.step()
    events: list[tuple[str, int, int]] = []
    original_apply, original_backward = engine_tensor.apply, engine_tensor.Node.backward

    def traced_apply(op, *inputs, **params):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = original_apply(op, *inputs, **params)
        events.append((f"forward  {op.name}", before, tracemalloc.get_traced_memory()[1]))
        return out

    def traced_backward(node, grad):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = original_backward(node, grad)
        events.append((f"backward {node.op.name}", before, tracemalloc.get_traced_memory()[1]))
        return out

    modules = [engine_tensor, mg.nn.dense, mg.nn.batchnorm]
    try:  # the layers imported `apply` by name: patch every place it is looked up
        for module in modules:
            module.apply = traced_apply
        engine_tensor.Node.backward = traced_backward
        gc.collect()
        tracemalloc.start()
        impl.step()
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        events.clear()
        impl.step()
        tracemalloc.stop()
    finally:
        for module in modules:
            module.apply = original_apply
        engine_tensor.Node.backward = original_backward
    mib = 2.0**20
    return [(name, (before - base) / mib, (peak - base) / mib) for name, before, peak in events]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(ts.SIZES), default=["small", "medium"])
    parser.add_argument("--steps", type=int, default=0, help="profiled steps per size (default: ~2 s worth)")
    parser.add_argument("--rounds", type=int, default=10, help="alternated rounds for the step times (default 10)")
    parser.add_argument("--memory", action="store_true", help="also print the memory timeline of one large step")
    args = parser.parse_args(argv)

    print(ts.machine_info())
    tiny = alternated_times(TINY, args.rounds)
    (mg_tiny, _), (np_tiny, _) = tiny["minigrad"], tiny["numpy"]
    print(
        f"\ntiny ({TINY}): minigrad {mg_tiny * 1e6:.0f} us, numpy {np_tiny * 1e6:.0f} us per step "
        f"-> framework overhead about {(mg_tiny - np_tiny) * 1e6:.0f} us per step"
    )
    for name in args.sizes:
        size = ts.SIZES[name]
        t = alternated_times(size, args.rounds)
        (mg_s, mg_faults), (np_s, np_faults) = t["minigrad"], t["numpy"]
        steps = args.steps or max(3, int(2.0 / max(mg_s * 2, 1e-6)))
        total, rows = profile_places(size, steps)
        print(
            f"\n== {name} ({size}): minigrad {mg_s * 1e3:.3f} ms ({mg_faults:.0f} page faults/step), "
            f"numpy {np_s * 1e3:.3f} ms ({np_faults:.0f} page faults/step), ratio {mg_s / np_s:.2f}; "
            f"under cProfile {total:.3f} ms/step over {steps} steps"
        )
        for label, ms in rows:
            print(f"  {label:50s} {ms:9.3f} ms  {100 * ms / total:5.1f} %")
    if args.memory:
        print(
            "\n== memory of one large minigrad step (MiB above the resting state; the resting state holds "
            "the previous gradients, which zero_grad() frees first)"
        )
        for event, before, peak in memory_timeline(ts.SIZES["large"]):
            print(f"  {event:28s} live before {before:7.1f}   peak during {peak:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
