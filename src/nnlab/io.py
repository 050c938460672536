"""Atomic writes: every final output is written beside its target, then renamed; and the one
checked reader of .npz files (read_npz).

A write that fails for a reason outside the program (full disk, quota, read-only or
forbidden folder, a file where a folder should be) raises `WriteError` with one line,
e.g. `cannot write results/x/metrics.json: No space left on device`, and leaves neither
the target nor the temporary file behind.
"""
import contextlib
import errno
import json
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nnlab.errors import WriteError

_UMASK = os.umask(0)
os.umask(_UMASK)

# What a failing write of the job's own output reports: the storage, not the program, is at fault.
WRITE_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO,
    errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG,
})


def _reason(exc):
    """The cause of an OSError in a few words: 'No space left on device'."""
    if exc.errno:
        return os.strerror(exc.errno)
    quoted = re.search(r"error message = '([^']+)'", str(exc))  # HDF5's "file write failed" text
    if quoted:
        return quoted.group(1)
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split()) if text else type(exc).__name__


def _discard(tmp):
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """Yield a temporary path in the target's folder; rename it onto `path` on success.

    On any failure the temporary file is removed; an OSError from the storage (see
    WRITE_ERRNOS) becomes a one-line WriteError naming `path` and the cause."""
    path = Path(path)
    suffix = path.suffix if suffix is None else suffix
    tmp, problem = None, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
    except OSError as exc:  # nothing written yet: any failure here is the folder's
        _discard(tmp)
        problem = _reason(exc)
    if problem:  # raised outside `except` so no chained traceback is attached
        raise WriteError(f"cannot write {path}: {problem}") from None
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        if exc.errno not in WRITE_ERRNOS and not _is_storage_error(exc):
            raise
        problem = _reason(exc)
    except BaseException:
        _discard(tmp)
        raise
    if problem:
        raise WriteError(f"cannot write {path}: {problem}") from None


def _is_storage_error(exc):
    """h5py and some writers raise OSError without errno; recognise their text."""
    text = str(exc).lower()
    return any(s in text for s in ("no space left", "disk quota", "read-only file system",
                                    "file write failed", "permission denied"))


def write_json(path, obj):
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def save_npz(path, **arrays):
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)


def save_csv(path, frame, **kwargs):
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, **kwargs)


def write_h5(path, arrays):
    """Write {key: array} to the HDF5 file `path`, atomically (gzip-compressed), as the course
    files are read (nnlab.data.course)."""
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as h5:
            for key, value in arrays.items():
                h5.create_dataset(key, data=value, compression="gzip", compression_opts=4, shuffle=True)


def save_figure(path, fig):
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=100, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)


MAX_ARRAY_BYTES = 256 * 2**20    # one array of an .npz: larger ones are refused, never loaded


def _npy_header(archive, key):
    """(shape, dtype) that the .npy of `key` inside an open zipfile declares."""
    with archive.open(f"{key}.npy") as f:
        version = np.lib.format.read_magic(f)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
    return shape, dtype


# What read_npz raises for a file that is not an .npz, or one it refuses: catch these.
NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


def read_npz(path, keys=None, optional=(), max_bytes=MAX_ARRAY_BYTES):
    """{key: read-only array} of `keys` (all required; None: every array of the file) and those of
    `optional` present; nothing else is read. Each array is checked from its .npy header first:
    one that needs pickle or declares more than `max_bytes` raises ValueError, unread. A file
    that is not an .npz raises one of NPZ_ERRORS."""
    with zipfile.ZipFile(path) as archive:
        present = [name[:-4] for name in archive.namelist() if name.endswith(".npy")]
        keys = present if keys is None else list(keys)
        wanted = [k for k in dict.fromkeys([*keys, *optional]) if k in present]
        for key in wanted:
            shape, dtype = _npy_header(archive, key)
            if dtype.hasobject:
                raise ValueError(f"key '{key}' holds Python objects, which need pickle: not loaded")
            size = math.prod(shape) * dtype.itemsize
            if size > max_bytes:
                raise ValueError(f"key '{key}' declares {shape} {dtype} ({size / 2**20:,.0f} MiB), over the "
                                 f"{max_bytes // 2**20} MiB limit: not loaded")
        missing = [k for k in keys if k not in present]
        if missing:
            raise ValueError(f"no key(s) {', '.join(missing)}; found {', '.join(sorted(present)) or 'none'}")
    with np.load(path, allow_pickle=False) as data:     # lazy: reads only the keys accessed
        arrays = {key: data[key] for key in wanted}
    for array in arrays.values():
        array.flags.writeable = False
    return arrays
