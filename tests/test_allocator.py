"""The malloc tuning that keeps freed activation memory for the next step (engine/allocator.py)."""

from __future__ import annotations

import sys

import pytest

from minigrad.engine.allocator import tune_malloc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt exists on Linux only")
def test_tuning_applies_on_linux():
    assert tune_malloc() is True


def test_tuning_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("MINIGRAD_NO_MALLOC_TUNING", "1")
    assert tune_malloc() is False
