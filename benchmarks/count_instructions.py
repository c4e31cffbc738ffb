"""Instructions per training step (valgrind's cachegrind): a measure of framework overhead that
does not depend on how loaded the machine is.

On a shared machine the tiny step's time varies by 2x between runs, its instruction count by
well under 1%. This runs the step of `train_step.py` under `valgrind --tool=cachegrind` twice
(after a warm-up: once with no measured steps, once with `--steps`), and prints the difference
per step, for minigrad and the hand-written NumPy step, and their ratio. On a quiet machine the
time ratio at tiny is close to this ratio (benchmarks/README.md, "Noise").

    python benchmarks/count_instructions.py                  # tiny, 50 steps, ~2 minutes
    python benchmarks/count_instructions.py --sizes tiny small --steps 20
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve()


def _child(size: str, which: str, steps: int) -> None:
    """Warm up, then run `steps` steps (what valgrind counts); PyTorch and the other frameworks
    are kept out: importing them under valgrind takes minutes and they are not measured here."""
    for name in ("torch", "mygrad", "autograd"):
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    spec = importlib.util.spec_from_file_location("train_step", HERE.with_name("train_step.py"))
    assert spec is not None and spec.loader is not None
    ts = importlib.util.module_from_spec(spec)
    sys.modules["train_step"] = ts
    spec.loader.exec_module(ts)
    problem = ts.make_problem(ts.SIZES[size])
    impl = ts.MinigradStep(problem) if which == "minigrad" else ts.NumpyStep(problem)
    for _ in range(20 + steps):
        impl.step()


def instructions(size: str, which: str, steps: int) -> int:
    """Instructions of `steps` steps: the count with them minus the count without."""
    counts = []
    for n in (0, steps):
        env = dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1")
        result = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
            + [sys.executable, str(HERE), "--child", size, which, str(n)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
        if match is None:
            raise RuntimeError(f"no instruction count in valgrind's output:\n{result.stderr[-2000:]}")
        counts.append(int(match[1].replace(",", "")))
    return counts[1] - counts[0]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        _child(argv[1], argv[2], int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["tiny"], choices=["tiny", "small", "medium"])
    parser.add_argument("--steps", type=int, default=50, help="measured steps per run (default 50)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count")
        return 0
    print(f"{'size':<8}{'minigrad/step':>15}{'numpy/step':>13}{'minigrad/numpy':>16}")
    for size in args.sizes:
        mg, np_ = (instructions(size, which, args.steps) / args.steps for which in ("minigrad", "numpy"))
        print(f"{size:<8}{mg:>15,.0f}{np_:>13,.0f}{mg / np_:>16.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
