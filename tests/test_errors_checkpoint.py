"""`mg.save` / `mg.load` contracts of SPEC 0.2, by public function, then the fault injection."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ mg.save
def test_save_refuses_keys_sharing_an_archive_name(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(ValueError, match=r"save: keys 'a' and 'a\.npy' would be stored under one archive name"):
        mg.save({"a": np.zeros(1), "a.npy": np.ones(1)}, path)
    assert not path.exists()


def test_load_reads_each_key_from_its_own_member(tmp_path):
    # a foreign .npz (np.savez) with "a" and "a.npy": np.load's own lookup would confuse them
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for key, value in (("b", 1.0), ("b.npy", 2.0)):
            with zf.open(key + ".npy", "w") as f:
                np.lib.format.write_array(f, np.array([value]))
    loaded = mg.load(path)
    assert loaded["b"][0] == 1.0 and loaded["b.npy"][0] == 2.0


def test_save_refuses_a_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="save: path is a directory"):
        mg.save({"a": np.zeros(1)}, tmp_path)


def test_save_refuses_a_trailing_separator(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"a": np.zeros(1)}, path)
    before = path.read_bytes()
    with pytest.raises(IsADirectoryError, match="ends with a separator"):
        mg.save({"a": np.ones(1)}, str(path) + os.sep)
    assert path.read_bytes() == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_save_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        mg.save({"a": np.zeros(1)}, fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_save_refuses_a_device():
    with pytest.raises(ValueError, match="not a regular file"):
        mg.save({"a": np.zeros(1)}, "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_permission_bits_on_overwrite(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"a": np.zeros(1)}, path)
    os.chmod(path, 0o600)
    mg.save({"a": np.ones(1)}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_save_removes_temp_files_of_dead_saves_only(tmp_path):
    path = tmp_path / "c.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".c.npz.{int(dead.stdout)}.0123456789ab.tmp"
    live = tmp_path / f".c.npz.{os.getppid()}.0123456789ab.tmp"  # a running process: maybe saving
    other = tmp_path / f".d.npz.{int(dead.stdout)}.0123456789ab.tmp"  # another target's
    for f in (stale, live, other):
        f.write_bytes(b"partial")
    mg.save({"a": np.zeros(1)}, path)
    assert not stale.exists() and live.exists() and other.exists()


def test_save_refuses_a_key_too_long_for_the_archive(tmp_path):
    with pytest.raises(ValueError, match=r"save: key 'kkkk.*70000 bytes.*at most 65531"):
        mg.save({"k" * 70_000: np.zeros(1)}, tmp_path / "c.npz")


@pytest.mark.parametrize("bad", [[("a", np.zeros(1))], None, np.zeros(3)])
def test_save_refuses_what_is_not_a_dict(tmp_path, bad):
    with pytest.raises(TypeError, match="save: expected a dict of name -> array"):
        mg.save(bad, tmp_path / "c.npz")


def test_save_refuses_non_str_keys(tmp_path):
    with pytest.raises(TypeError, match=r"save: state-dict keys must be str, got 1 \(int\)"):
        mg.save({1: np.zeros(1)}, tmp_path / "c.npz")  # type: ignore[dict-item]  # the wrong type is the test


def test_save_refuses_ragged_values(tmp_path):
    with pytest.raises(TypeError, match="save: value for key 'a' is a list"):
        mg.save({"a": [[1.0], [1.0, 2.0]]}, tmp_path / "c.npz")


# ------------------------------------------------------------------------------ mg.load
def test_load_refuses_an_archive_expanding_past_max_bytes_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    mg.save({"a": np.zeros(1000), "b": np.zeros(1000)}, path)
    read = []
    monkeypatch.setattr(np.lib.format, "read_array", lambda *a, **k: read.append(1))
    with pytest.raises(ValueError, match=r"expand to 16000 bytes.*max_bytes=10000"):
        mg.load(path, max_bytes=10_000)
    assert read == []  # refused from the headers alone


def test_load_within_max_bytes_and_unlimited(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"a": np.zeros(1000)}, path)
    assert mg.load(path, max_bytes=8000)["a"].shape == (1000,)
    assert mg.load(path, max_bytes=None)["a"].shape == (1000,)


def test_load_max_bytes_must_be_an_int(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"a": np.zeros(1)}, path)
    with pytest.raises(TypeError, match="load: max_bytes must be an int or None"):
        mg.load(path, max_bytes="1e9")  # type: ignore[arg-type]  # the wrong type is the test


# ----------------------------------------------------------------------- fault injection
def _save_in_a_child(path: Path) -> int:
    """Fork a process that saves a large checkpoint to `path`; returns once its save has begun."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: say it starts, save, then leave without running the parent's cleanup
        try:
            os.write(write_end, b"s")
            mg.save({"w": np.full(500_000, 2.0), "b": np.ones(10)}, path)
        finally:
            os._exit(0)
    os.close(write_end)
    os.read(read_end, 1)
    os.close(read_end)
    return pid


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")
def test_killed_saves_never_corrupt_and_leave_no_temp_behind(tmp_path):
    path = tmp_path / "model.npz"
    mg.save({"w": np.full(3, 1.0)}, path)
    rng = np.random.default_rng(0)
    killed = mid_write = 0
    for _ in range(32):
        pid = _save_in_a_child(path)
        time.sleep(rng.uniform(0.0, 0.015))  # somewhere inside the save (writing, fsync, rename)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        killed += os.WIFSIGNALED(status)
        mid_write += any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
        loaded = mg.load(path)  # always a whole checkpoint: the old one or the new one
        assert set(loaded) in ({"w"}, {"w", "b"})
        assert np.all(loaded["w"] == loaded["w"].flat[0])
    assert killed >= 24 and mid_write >= 8  # really killed, many of them while writing
    mg.save({"w": np.zeros(2)}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
