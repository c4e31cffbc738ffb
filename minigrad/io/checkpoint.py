"""Checkpoints: a state dict to a `.npz` archive and back, written atomically, never pickled.

    mg.save(model.state_dict(), "model.npz")
    model.load_state_dict(mg.load("model.npz"))

`save` writes the archive to a temporary file in the same directory, flushes and fsyncs it, and
only then renames it over `path` (`os.replace`, atomic on POSIX and Windows): a crash or an error
midway leaves any previous checkpoint at `path` exactly as it was, and no temporary file behind.

Each temporary file is named after the target and the saving process (`.<name>.<pid>.<hex>.tmp`),
so the next save to the same path removes those of saves that were killed (their process is gone).

`load` reads with `allow_pickle=False`: a pickle can run arbitrary code when it is loaded, so an
archive holding Python objects (an object array) is refused with a `ValueError`, never unpickled.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from ..engine.tensor import Tensor

PathLike = str | os.PathLike

#: A zip member name is at most 65,535 bytes; a key also gets ".npy" appended.
_MAX_KEY_BYTES = 0xFFFF - len(".npy")

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

    given = os.fspath(path)
    if not isinstance(given, str):
        given = os.fsdecode(given)
    if given.endswith((os.sep, os.altsep or os.sep)):
        raise IsADirectoryError(errno.EISDIR, "save: path ends with a separator; give a file name", given)
    target = os.path.realpath(given)  # through a symlink: replace the file it points to
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"save: directory {directory!r} does not exist", given)
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, "save: path is a directory, not a file name", given)
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        raise ValueError(
            f"save: {given!r} is not a regular file (a FIFO, a device or a socket); "
            "a checkpoint would replace it: give the path of a file"
        )

    base = os.path.basename(target)
    _remove_stale_temps(directory, base)
    temp, handle = _create_temp(directory, base)
    try:
        with handle:
            if existing is not None:  # overwriting keeps the file's permission bits (a 0600 stays 0600)
                os.chmod(temp, stat.S_IMODE(existing.st_mode))
            _write_npz(handle, arrays)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the rename makes them visible
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def load(path: PathLike, max_bytes: int | None = 2**31) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save` (or any `.npz` of plain arrays) into memory.

    An archive whose arrays would expand past `max_bytes` in memory (2 GiB by default; None: no
    limit) is refused with a `ValueError` before any array is read.

    Returns `dict[str, np.ndarray]`. Raises `FileNotFoundError` for a missing file and `ValueError`
    (naming the file, and the key when one is at fault) for anything that is not a `.npz` archive
    of plain arrays: garbage, an empty or truncated file, a single `.npy`, a pickle, or an archive
    holding pickled objects. Nothing is ever unpickled.
    """
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer))):
        raise TypeError(f"load: max_bytes must be an int or None, got {max_bytes!r}")
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
            members = {}  # key -> zip member, read by member name (so "a.npy" never reads key "a")
            for member in archive.zip.namelist():
                key = member[: -len(".npy")] if member.endswith(".npy") else member
                if key in members:
                    raise ValueError(f"load: {name!r} holds two members for key {key!r}; not a minigrad checkpoint")
                members[key] = member
            declared = sum(_check_declared_size(archive, member, name) for member in members.values())
            if max_bytes is not None and declared > max_bytes:
                raise ValueError(
                    f"load: {name!r} would expand to {declared} bytes in memory, more than "
                    f"max_bytes={max_bytes}; pass a larger max_bytes (or None) if you trust the file"
                )
            out: dict[str, np.ndarray] = {}
            for key, member in members.items():
                try:
                    value = archive[member]
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
def _check_declared_size(archive: Any, member: str, name: str) -> int:
    """The bytes a member's .npy header declares; refuse one that claims more than the member holds.

    A hostile header (shape (10**12,) over 16 bytes) would otherwise make NumPy allocate terabytes.
    """
    key = member[: -len(".npy")] if member.endswith(".npy") else member
    stored = archive.zip.getinfo(member).file_size
    try:
        with archive.zip.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return stored  # other versions: NumPy's own reader checks them below
    except _READ_ERRORS:
        return stored  # not a .npy member: the reader below says what it is
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > stored:
        raise ValueError(
            f"load: {name!r}, key {key!r} declares shape {tuple(shape)} of {dtype} ({declared} bytes) "
            f"but holds only {stored} bytes; the file is corrupt or hostile"
        )
    return declared


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
    for key, _ in items:
        size = len(key.encode("utf-8"))
        if size > _MAX_KEY_BYTES:
            raise ValueError(
                f"save: key {key[:40]!r}... is {size} bytes of UTF-8; an archive member name holds at most "
                f"{_MAX_KEY_BYTES} (the zip format's limit): use a shorter key"
            )
    keys = {key for key, _ in items}
    clashes = [key for key in keys if key + ".npy" in keys]
    if clashes:  # both would be read back as one archive name by np.load
        pairs = ", ".join(f"{k!r} and {k + '.npy'!r}" for k in sorted(clashes))
        raise ValueError(f"save: keys {pairs} would be stored under one archive name; rename one of them")
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


def _temp_pattern(base: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(base)}\.(\d+)\.[0-9a-f]{{12}}\.tmp")


def _remove_stale_temps(directory: str, base: str) -> None:
    """Remove the temporary files of earlier saves to `base` whose process no longer runs."""
    pattern = _temp_pattern(base)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for entry in names:
        match = pattern.fullmatch(entry)
        if match and not _process_alive(int(match[1])):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, entry))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":
        # Another thread of this process may be saving; on Windows os.kill would end the process.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process (or no way to ask): leave its file alone
    return True


def _create_temp(directory: str, base: str) -> tuple[str, BinaryIO]:
    """A new temporary file next to the target (same filesystem, so the rename is atomic).

    Created with mode 0o666 so the umask applies, as for any ordinary file (mkstemp would use 0o600).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
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
        with contextlib.suppress(OSError):
            os.fsync(fd)
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
