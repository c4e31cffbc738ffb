"""Checkpoints: a state dict to a `.npz` archive and back, written atomically, never pickled.

    mg.save(model.state_dict(), "model.npz")
    model.load_state_dict(mg.load("model.npz"))

`save` writes the archive to a temporary file in the same directory, flushes and fsyncs it, and
only then renames it over `path` (`os.replace`, atomic on POSIX and Windows): a crash or an error
midway leaves any previous checkpoint at `path` exactly as it was, and no temporary file behind.

`load` reads with `allow_pickle=False`: a pickle can run arbitrary code when it is loaded, so an
archive holding Python objects (an object array) is refused with a `ValueError`, never unpickled.
"""

from __future__ import annotations

import errno
import os
import secrets
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from ..engine.tensor import Tensor

PathLike = str | os.PathLike

# What a damaged or foreign file can raise inside np.load / NpzFile reads.
_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    NotImplementedError,
    RuntimeError,
    UnicodeDecodeError,
)


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write `state_dict` (name -> np.ndarray or Tensor) to `path` as an uncompressed `.npz`, atomically.

    The file lands exactly at `path` (no `.npz` is appended). Keys must be `str`; values are
    arrays, tensors (their `.data` is saved) or plain numbers. Object arrays are refused
    (`ValueError`): they could only be stored as pickles, which `load` never reads.
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"save: expected a dict of name -> array (e.g. model.state_dict()), got {type(state_dict).__name__}"
        )
    arrays = {key: _as_array(key, value) for key, value in _checked_items(state_dict)}

    target = os.path.realpath(os.fspath(path))  # through a symlink: replace the file it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"save: directory {directory!r} does not exist", os.fspath(path))
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "save: path is a directory, not a file name", os.fspath(path))

    temp, handle = _create_temp(directory, os.path.basename(target))
    try:
        with handle:
            _write_npz(handle, arrays)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def load(path: PathLike) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save` (or any `.npz` of plain arrays) into memory.

    Returns `dict[str, np.ndarray]`. Raises `FileNotFoundError` for a missing file and `ValueError`
    (naming the file, and the key when one is at fault) for anything that is not a `.npz` archive
    of plain arrays: garbage, an empty or truncated file, a single `.npy`, a pickle, or an archive
    holding pickled objects. Nothing is ever unpickled.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, "load: no checkpoint at this path", name)
    with open(name, "rb") as f:
        try:
            archive = np.load(f, allow_pickle=False)
        except _READ_ERRORS as e:
            raise ValueError(f"load: {name!r} is not a valid .npz checkpoint: {_describe(e)}") from e
        if isinstance(archive, np.ndarray):
            raise ValueError(
                f"load: {name!r} is a single .npy array, not a .npz checkpoint (a name -> array archive); "
                "use np.load for it, or save a dict with mg.save"
            )
        with archive:
            out: dict[str, np.ndarray] = {}
            for key in archive.files:
                _check_declared_size(archive, key, name)
                try:
                    value = archive[key]
                except MemoryError:
                    raise ValueError(f"load: {name!r}, key {key!r} is too large to load into memory") from None
                except _READ_ERRORS as e:
                    if "pickle" in str(e).lower():
                        raise ValueError(
                            f"load: {name!r}, key {key!r} holds pickled Python objects (an object array); "
                            "minigrad never unpickles, as a pickle can run arbitrary code"
                        ) from None
                    raise ValueError(f"load: {name!r}, key {key!r} is corrupt: {_describe(e)}") from e
                if not isinstance(value, np.ndarray):
                    # NpzFile hands back raw bytes for a zip member that is not a .npy array.
                    raise ValueError(f"load: {name!r}, member {key!r} is not a NumPy array; not a minigrad checkpoint")
                out[key] = value
    return out


# --------------------------------------------------------------------------------- helpers
def _check_declared_size(archive: Any, key: str, name: str) -> None:
    """Refuse a member whose .npy header claims more data than the member holds.

    A hostile header (shape (10**12,) over 16 bytes) would otherwise make NumPy allocate terabytes.
    """
    member = key + ".npy" if key + ".npy" in archive.zip.namelist() else key
    stored = archive.zip.getinfo(member).file_size
    try:
        with archive.zip.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return  # other versions: NumPy's own reader checks them below
    except _READ_ERRORS:
        return  # not a .npy member: the reader below says what it is
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > stored:
        raise ValueError(
            f"load: {name!r}, key {key!r} declares shape {tuple(shape)} of {dtype} ({declared} bytes) "
            f"but holds only {stored} bytes; the file is corrupt or hostile"
        )


def _checked_items(state_dict: Mapping[str, Any]) -> list[tuple[str, Any]]:
    items = list(state_dict.items())
    bad = [key for key, _ in items if not isinstance(key, str)]
    if bad:
        raise TypeError(
            f"save: state-dict keys must be str, got {', '.join(f'{k!r} ({type(k).__name__})' for k in bad)}"
        )
    nul = [key for key, _ in items if "\x00" in key]
    if nul:
        # A zip member name ends at the first NUL byte: the key would come back cut short.
        raise ValueError(f"save: keys cannot contain a NUL character: {', '.join(map(repr, nul))}")
    unencodable = [key for key, _ in items if not _utf8_encodable(key)]
    if unencodable:  # zip member names are UTF-8; a lone surrogate cannot be written
        raise ValueError(f"save: keys must be valid Unicode text, got {', '.join(map(repr, unencodable))}")
    return items


def _utf8_encodable(key: str) -> bool:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_array(key: str, value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.data
    elif isinstance(value, (np.generic, int, float, bool, complex)):
        value = np.asarray(value)
    elif not isinstance(value, np.ndarray):
        raise TypeError(
            f"save: value for key {key!r} is a {type(value).__name__}; expected np.ndarray, Tensor or a number"
        )
    if value.dtype.hasobject:
        raise ValueError(
            f"save: key {key!r} is an array of Python objects (dtype {value.dtype}); it could only be "
            "stored as a pickle, which load() refuses to read. Convert it to a numeric array"
        )
    return value


def _write_npz(f: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """The .npz format (a zip of `<key>.npy` members), as np.savez writes it.

    Written here rather than by `np.savez(f, **arrays)` because keys are keyword arguments there,
    so a key such as "file" or "allow_pickle" would collide with savez's own parameters.
    """
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, array in arrays.items():
            with zf.open(key + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _create_temp(directory: str, base: str) -> tuple[str, BinaryIO]:
    """A new temporary file next to the target (same filesystem, so the rename is atomic).

    Created with mode 0o666 so the umask applies, as for any ordinary file (mkstemp would use 0o600).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        return temp, os.fdopen(fd, "wb")


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); not possible, and not needed, everywhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _describe(error: BaseException) -> str:
    """Why np.load failed, in words."""
    text = str(error)
    if isinstance(error, EOFError):
        return "the file is empty or cut short"
    if "Object arrays" in text:
        return "it is a .npy of Python objects (pickled), and minigrad never unpickles"
    if "pickle" in text.lower():
        # np.load takes anything that is neither a zip nor a .npy for a pickle.
        return "it is neither a zip archive nor a .npy array (and minigrad never unpickles)"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
