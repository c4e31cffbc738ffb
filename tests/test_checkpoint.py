"""mg.save / mg.load: round trips, atomic writes, and refusing anything that would need unpickling."""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import shapes

import minigrad as mg


def assert_same_arrays(loaded: dict, expected: dict) -> None:
    assert set(loaded) == set(expected)
    for key, value in expected.items():
        value = np.asarray(value.data if isinstance(value, mg.Tensor) else value)
        got = loaded[key]
        assert type(got) is np.ndarray, key
        assert got.dtype == value.dtype and got.shape == value.shape, key
        np.testing.assert_array_equal(got, value)


class CustomPath:
    """A minimal os.PathLike that is not a pathlib.Path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return str(self.path)


# ------------------------------------------------------------------------------- round trip
def test_round_trip_of_dtypes_and_shapes(tmp_path):
    state = {
        "dense.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        "dense.bias": np.zeros(4, dtype=np.float64),
        "1.moving_mean": np.array([0.1, -0.2], dtype=np.float64),
        "1.num_batches_tracked": np.array(7, dtype=np.int64),  # 0-d int64
        "scalar": np.array(3.25),  # 0-d float64
        "empty": np.zeros((0, 3), dtype=np.float32),
        "flags": np.array([True, False]),
        "small": np.array([-3, 4], dtype=np.int8),
        "half": np.array([1.5, -0.25], dtype=np.float16),
        "complex": np.array([1 + 2j], dtype=np.complex128),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(10.0)[::3],
        "big_endian": np.array([1.0, 2.0], dtype=">f8"),
        "nonfinite": np.array([np.nan, np.inf, -np.inf]),
        # keys that would collide with np.savez's own keyword arguments
        "file": np.array([1.0]),
        "allow_pickle": np.array([2.0]),
        "ünïcode/key": np.array([3.0]),
    }
    mg.save(state, tmp_path / "ckpt.npz")
    assert_same_arrays(mg.load(tmp_path / "ckpt.npz"), state)


@given(
    st.dictionaries(
        st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12),
        hnp.arrays(
            st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.boolean_dtypes()),
            shapes(min_side=0, max_side=4),
        ),
        max_size=4,
    )
)
def test_round_trip_property(state):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "state.npz")
        mg.save(state, path)
        assert_same_arrays(mg.load(path), state)


def test_tensors_and_numbers_are_saved_as_arrays(tmp_path):
    t = mg.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    mg.save({"t": t, "epoch": 3, "loss": np.float32(0.5)}, tmp_path / "c.npz")
    loaded = mg.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(loaded["t"], [1.0, 2.0])
    assert loaded["t"].dtype == np.float32
    assert loaded["epoch"].shape == () and int(loaded["epoch"]) == 3
    assert loaded["loss"].dtype == np.float32


@pytest.mark.parametrize("make_path", [str, Path, CustomPath], ids=["str", "pathlib", "custom-PathLike"])
def test_file_lands_exactly_at_path(tmp_path, make_path):
    target = tmp_path / "model.ckpt"  # no .npz suffix: np.savez would have appended one
    state = {"w": np.ones(3)}
    mg.save(state, make_path(target))
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt"]
    assert zipfile.is_zipfile(target)
    assert_same_arrays(mg.load(make_path(target)), state)


def test_save_overwrites_an_existing_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"old": np.zeros(2)}, path)
    mg.save({"new": np.ones(2)}, path)
    assert_same_arrays(mg.load(path), {"new": np.ones(2)})
    assert os.listdir(tmp_path) == ["c.npz"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_file_gets_ordinary_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    mg.save({"w": np.ones(1)}, tmp_path / "c.npz")
    assert os.stat(tmp_path / "c.npz").st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_save_through_a_symlink_updates_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "c.npz"
    mg.save({"a": np.zeros(1)}, real)
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    mg.save({"a": np.ones(1)}, link)
    assert link.is_symlink()
    assert_same_arrays(mg.load(real), {"a": np.ones(1)})


def test_loaded_arrays_are_in_memory_and_writable(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"a": np.arange(3.0)}, path)
    loaded = mg.load(path)
    path.unlink()  # the file is closed and no longer needed
    loaded["a"] += 1
    np.testing.assert_array_equal(loaded["a"], [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------------- atomicity
@pytest.fixture
def existing(tmp_path):
    """A directory holding one good checkpoint; yields (path, its bytes)."""
    path = tmp_path / "model.npz"
    mg.save({"w": np.arange(4.0)}, path)
    return path, path.read_bytes()


def assert_untouched(path: Path, original: bytes) -> None:
    assert path.read_bytes() == original
    assert os.listdir(path.parent) == [path.name], "a temporary file was left behind"
    assert_same_arrays(mg.load(path), {"w": np.arange(4.0)})


def test_crash_while_writing_leaves_old_checkpoint(existing, monkeypatch):
    path, original = existing
    real_write = np.lib.format.write_array
    calls = []

    def write_then_crash(fp, array, **kwargs):
        calls.append(array.shape)
        assert path.read_bytes() == original  # the new archive is never written over the old one
        if len(calls) == 2:
            fp.write(b"half an array")
            raise OSError("disk full")
        real_write(fp, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_crash)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"w": np.zeros(100), "b": np.zeros(100), "c": np.zeros(1)}, path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert_untouched(path, original)


def test_interrupt_while_writing_leaves_no_temp_file(existing, monkeypatch):
    path, original = existing

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert_untouched(path, original)


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failure_at_fsync_or_rename_leaves_old_checkpoint(existing, monkeypatch, failing):
    path, original = existing

    def fail(*args, **kwargs):
        raise OSError(f"{failing} failed")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match=f"{failing} failed"):
        mg.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert_untouched(path, original)


def test_invalid_state_is_refused_before_any_file_is_touched(existing):
    path, original = existing
    with pytest.raises(TypeError, match=r"keys must be str, got 3 \(int\)"):
        mg.save({"w": np.zeros(2), 3: np.zeros(2)}, path)  # type: ignore[dict-item]  # the wrong type is the test
    with pytest.raises(ValueError, match=r"key 'names' is an array of Python objects"):
        mg.save({"w": np.zeros(2), "names": np.array(["a", None], dtype=object)}, path)
    with pytest.raises(TypeError, match=r"value for key 'w' is a list"):
        mg.save({"w": [1.0, 2.0]}, path)
    with pytest.raises(TypeError, match="expected a dict"):
        mg.save([np.zeros(2)], path)  # type: ignore[arg-type]  # the wrong type is the test
    assert_untouched(path, original)


def test_key_that_is_not_valid_unicode_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"valid Unicode text, got '\\ud800'"):
        mg.save({"\ud800": np.zeros(1)}, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


def test_nul_in_key_is_refused(tmp_path):
    with pytest.raises(ValueError, match="NUL"):
        mg.save({"a\x00b": np.zeros(1)}, tmp_path / "c.npz")
    assert os.listdir(tmp_path) == []


def test_missing_directory_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mg.save({"w": np.zeros(1)}, tmp_path / "no" / "such" / "dir.npz")


# ----------------------------------------------------------------------------- safe loading
def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        mg.load(tmp_path / "nope.npz")


_side_effects: list[str] = []


def _record_side_effect() -> str:
    _side_effects.append("unpickled!")
    return "payload"


class Payload:
    """Unpickling this calls `_record_side_effect`: the test checks that load never does."""

    def __reduce__(self):
        return (_record_side_effect, ())


def test_npz_with_pickled_objects_is_refused_and_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    with open(path, "wb") as f:
        np.savez(f, weights=np.zeros(2), payload=np.array([Payload()], dtype=object))
    _side_effects.clear()
    with pytest.raises(ValueError, match=r"evil\.npz.*key 'payload' holds pickled Python objects"):
        mg.load(path)
    assert _side_effects == []


def test_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": Payload()}))
    _side_effects.clear()
    with pytest.raises(ValueError, match=r"model\.pkl' is not a valid \.npz checkpoint"):
        mg.load(path)
    assert _side_effects == []


@pytest.mark.parametrize(
    "content",
    [b"", b"definitely not an archive", b"PK\x03\x04 a zip header and then junk"],
    ids=["empty", "garbage", "fake-zip-header"],
)
def test_invalid_file_is_value_error_naming_it(tmp_path, content):
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"broken\.npz' is not a valid \.npz checkpoint"):
        mg.load(path)


def test_empty_file_message_says_so(tmp_path):
    (tmp_path / "e.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="empty or cut short"):
        mg.load(tmp_path / "e.npz")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file_is_value_error(tmp_path, fraction):
    path = tmp_path / "c.npz"
    mg.save({"a": np.arange(50.0), "b": np.ones((4, 4), dtype=np.float32)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ValueError, match=r"c\.npz"):
        mg.load(path)


def test_corrupted_member_is_value_error_naming_the_key(tmp_path):
    path = tmp_path / "c.npz"
    mg.save({"weights": np.arange(64.0)}, path)
    data = bytearray(path.read_bytes())
    i = data.index(np.arange(64.0).tobytes()[8 * 40 : 8 * 41])  # a byte inside the stored array
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"c\.npz', key 'weights' is corrupt"):
        mg.load(path)


def test_single_npy_is_value_error(tmp_path):
    path = tmp_path / "w.npy"
    np.save(path, np.arange(3))
    with pytest.raises(ValueError, match=r"w\.npy' is a single \.npy array, not a \.npz checkpoint"):
        mg.load(path)


def test_object_npy_is_value_error(tmp_path):
    path = tmp_path / "o.npy"
    np.save(path, np.array([Payload()], dtype=object), allow_pickle=True)
    _side_effects.clear()
    with pytest.raises(ValueError, match=r"o\.npy.*Python objects"):
        mg.load(path)
    assert _side_effects == []


def test_zip_of_non_arrays_is_value_error(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"notes\.zip', member 'readme.txt' is not a NumPy array"):
        mg.load(path)


# ------------------------------------------------------------------------------ with modules
needs_modules = pytest.mark.skipif(
    not all(hasattr(mg.nn, name) for name in ("Sequential", "Dense", "BatchNorm", "ReLU")),
    reason="mg.nn modules not available yet",
)


def make_model() -> mg.nn.Module:
    return mg.nn.Sequential(mg.nn.Dense(3, 4), mg.nn.BatchNorm(4), mg.nn.ReLU(), mg.nn.Dense(4, 2))


@needs_modules
def test_module_state_dict_round_trip(tmp_path):
    mg.manual_seed(0)
    model = make_model()
    model(mg.tensor(np.random.default_rng(0).normal(size=(8, 3))))  # training step: moving stats move
    state = model.state_dict()
    assert "1.moving_mean" in state
    mg.save(state, tmp_path / "model.npz")

    mg.manual_seed(1)
    fresh = make_model()
    fresh.load_state_dict(mg.load(tmp_path / "model.npz"))
    assert_same_arrays(fresh.state_dict(), state)


@needs_modules
def test_truncated_checkpoint_changes_nothing(tmp_path):
    mg.manual_seed(0)
    mg.save(make_model().state_dict(), tmp_path / "model.npz")
    data = (tmp_path / "model.npz").read_bytes()
    (tmp_path / "model.npz").write_bytes(data[: len(data) // 2])

    mg.manual_seed(1)
    fresh = make_model()
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"model\.npz"):
        fresh.load_state_dict(mg.load(tmp_path / "model.npz"))
    assert_same_arrays(fresh.state_dict(), before)


def test_a_header_that_claims_more_data_than_stored_is_refused_without_allocating(tmp_path):
    """A hostile .npy header (10**12 float64 over 16 bytes) must not make NumPy allocate 8 TB."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    path = tmp_path / "hostile.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.npy", header.getvalue() + b"\0" * 16)
    with pytest.raises(ValueError, match=r"key 'a' declares shape \(1000000000000,\) of float64 .* holds only"):
        mg.load(path)
