"""Switches of the engine, per thread (as PyTorch's grad mode): whether ops record a graph, and
anomaly detection. A thread inside `no_grad()` never stops another thread's graphs."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class _Flags(threading.local):
    # Class attributes are every thread's starting values; assignments stay in the thread.
    grad_enabled: bool = True
    detect_anomaly: bool = False


flags = _Flags()


def is_grad_enabled() -> bool:
    """True unless inside `with mg.no_grad():`."""
    return flags.grad_enabled


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results do not require grad and save nothing for backward.

    Usable as a context manager or as a decorator (`@mg.no_grad()`).
    """
    previous = flags.grad_enabled
    flags.grad_enabled = False
    try:
        yield
    finally:
        flags.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record a graph inside the block even within `no_grad()`."""
    previous = flags.grad_enabled
    flags.grad_enabled = True
    try:
        yield
    finally:
        flags.grad_enabled = previous
