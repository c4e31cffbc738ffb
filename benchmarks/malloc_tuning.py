"""Opt-in, process-wide: keep freed array memory for reuse instead of handing it back to the OS.

minigrad itself never calls this (a library must not retune its host process); the benchmark
calls it explicitly, with `--malloc-tuning`, to show what the C allocator costs a step.


A training step allocates and frees the same large activation and gradient arrays every time.
glibc's malloc returns such memory to the operating system (unmapping it, or trimming the heap)
as soon as it is freed, so the next step faults every page back in: about 2,000 page faults
and a third of the time of a medium-sized step (9.3 ms -> 5.9 ms measured; see benchmarks/).
Raising the mmap and trim thresholds makes malloc keep up to `TRIM_BYTES` of freed memory for
the next step, which is what a framework's own caching allocator would do.

Linux/glibc only; elsewhere nothing is changed. It is process-wide: the cost is a higher
resident size, not correctness.
"""

from __future__ import annotations

import ctypes
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 * 1024 * 1024  # arrays above this still get their own mapping
TRIM_BYTES = 128 * 1024 * 1024  # free memory kept at the top of the heap before it is returned


def tune_malloc() -> bool:
    """Raise glibc's mmap/trim thresholds once; True when they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))
