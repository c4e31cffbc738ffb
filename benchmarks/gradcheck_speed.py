"""Time `mg.gradcheck` of a `BatchNorm(64)` layer on a (128, 64) input (target: under 2 s).

That is the check a teacher's exercise runs: 128 * 64 = 8192 input elements plus 128 parameters
(gamma, beta), each perturbed twice, so about 16,640 forward passes of the layer in float64. Its
cost is therefore the per-call overhead of one small forward, times 16,640.

    python benchmarks/gradcheck_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np

import minigrad as mg

SHAPE = (128, 64)
TARGET_S = 2.0


def time_gradcheck(seed: int = 0) -> tuple[float, bool]:
    """Seconds for one `mg.gradcheck(BatchNorm(64), [x])` in training mode, and whether it passed."""
    x = np.random.default_rng(seed).standard_normal(SHAPE)  # float64: no promotion warning
    mg.manual_seed(seed)
    layer = mg.nn.BatchNorm(SHAPE[1], dtype=np.float64)
    start = time.perf_counter()
    report = mg.gradcheck(layer, [x])
    return time.perf_counter() - start, bool(report)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs; the median is reported (default 3)")
    args = parser.parse_args(argv)
    runs = [time_gradcheck() for _ in range(max(1, args.repeats))]
    seconds = statistics.median(s for s, _ in runs)
    passed = all(p for _, p in runs)
    verdict = "PASS" if seconds < TARGET_S else "MISS"
    print(
        f"mg.gradcheck(BatchNorm(64), {SHAPE} input): median {seconds:.2f} s over {len(runs)} runs "
        f"({', '.join(f'{s:.2f}' for s, _ in runs)}), report {'passed' if passed else 'FAILED'}; "
        f"{verdict} (target < {TARGET_S:g} s)"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
