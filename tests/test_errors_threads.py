"""`no_grad()` and `detect_anomaly()` are per thread (SPEC 0.2): one thread's block never changes
another thread's graphs."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

import minigrad as mg


def _in_other_thread(fn):
    """Run `fn` in a second thread while this one waits inside the caller's block; its result."""
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()))
    thread.start()
    thread.join()
    return result["value"]


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        assert not (x * 2.0).requires_grad
        assert _in_other_thread(lambda: (mg.is_grad_enabled(), (x * 2.0).requires_grad)) == (True, True)
    assert (x * 2.0).requires_grad


def test_two_threads_interleaved_blocks():
    inside, proceed = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with mg.no_grad():
            inside.set()
            proceed.wait(5)
            seen["worker"] = (mg.tensor([1.0], requires_grad=True) * 2.0).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (mg.tensor([1.0], requires_grad=True) * 2.0).requires_grad
    proceed.set()
    thread.join()
    assert seen == {"main": True, "worker": False}


def _log_of_minus_one() -> np.ndarray:
    with np.errstate(invalid="ignore"):  # this thread is not in detect_anomaly: NumPy would warn
        return mg.tensor([-1.0]).log().data


def test_detect_anomaly_is_per_thread():
    with mg.detect_anomaly():
        # another thread makes NaN without an AnomalyError
        value = _in_other_thread(_log_of_minus_one)
    assert np.isnan(value).all()
