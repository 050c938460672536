"""Load and validate the three course HDF5 files.

Each loader takes a path and returns validated NumPy arrays. Anything wrong with a
file becomes a `DataError` whose message is one line naming the file, the key, what
was expected and what was found, e.g.

    data2.h5: key 'valx': expected indices in 1..250 (len(words)), found max 300

Schemas (see DESIGN.md):

    data1.h5  data (N, 3, 16, 16)                      -> load_patches
    data2.h5  trainx traind valx vald testx testd words -> load_trigrams
    data3.h5  trX (N, T, C) trY (N, K) tstX tstY         -> load_activity
"""
import contextlib
from pathlib import Path

import h5py
import numpy as np

from nnlab.errors import DataError

PATCH_SHAPE = (3, 16, 16)
TRIGRAM_SPLITS = ("train", "val", "test")
TRIGRAM_KEYS = ("trainx", "traind", "valx", "vald", "testx", "testd", "words")
ACTIVITY_KEYS = ("trX", "trY", "tstX", "tstY")


# ----------------------------------------------------------------------------- errors


def _one_line(text):
    """Collapse whitespace so a message can never span several lines."""
    return " ".join(str(text).split())


def _fail(path, key, expected, found):
    """Raise the one-line DataError `<file>: key '<key>': expected ..., found ...`."""
    where = f"{Path(path).name}: key '{key}'" if key else Path(path).name
    raise DataError(_one_line(f"{where}: expected {expected}, found {found}"))


def _keys_phrase(keys):
    return "keys " + ", ".join(f"'{k}'" for k in keys)


# ------------------------------------------------------------------------- file access


@contextlib.contextmanager
def _open(path, keys):
    """Open `path` read-only as HDF5; a missing or unreadable file is a DataError."""
    path = Path(path)
    expected = f"an HDF5 file with {_keys_phrase(keys)}"
    if not path.exists():
        _fail(path, None, expected, f"no such file ({path})")
    if not path.is_file():
        _fail(path, None, expected, f"something that is not a file ({path})")
    try:
        h5 = h5py.File(path, "r")
    except Exception as exc:  # h5py raises OSError; be safe with odd files too
        problem = _short(exc)
    else:
        problem = None
    if problem:  # raised outside `except` so no h5py traceback is chained
        _fail(path, None, expected, f"a file HDF5 cannot open ({problem})")
    with h5:
        yield h5


def _short(exc):
    """First line of an exception's text, for the 'found' part of a message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _read(h5, path, key):
    """Return dataset `key` as an ndarray; missing keys, groups and read errors fail."""
    if key not in h5:
        present = ", ".join(sorted(h5.keys())) or "none"
        _fail(path, key, "a dataset", f"no such key (keys present: {present})")
    node = h5[key]
    if not isinstance(node, h5py.Dataset):
        _fail(path, key, "a dataset", f"a {type(node).__name__.lower()}")
    try:
        return np.asarray(node[()])
    except Exception as exc:  # corrupt or truncated data, unsupported dtypes
        problem = _short(exc)
    _fail(path, key, "a readable dataset", f"a read error ({problem})")


def _require_keys(h5, path, keys):
    """Report the first missing key before any other problem."""
    for key in keys:
        if key not in h5:
            _read(h5, path, key)


# ---------------------------------------------------------------------- array checks


def _check_numeric(a, path, key, allow_bool=False):
    """Reject strings, objects, compound and complex dtypes."""
    kinds = "iufb" if allow_bool else "iuf"
    if a.dtype.kind not in kinds:
        _fail(path, key, "a numeric array", f"dtype {a.dtype}")


def _check_rank(a, path, key, rank, layout):
    if a.ndim != rank:
        _fail(path, key, f"rank {rank} {layout}", f"rank {a.ndim} with shape {a.shape}")


def _check_nonempty(a, path, key):
    if a.size == 0:
        _fail(path, key, "a non-empty array", f"shape {a.shape}")


def _check_finite(a, path, key):
    """All values finite (integer arrays always are)."""
    if a.dtype.kind != "f":
        return
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        _fail(path, key, "finite values", f"{int(bad.sum())} NaN/inf (first at {first})")


def _numeric_array(h5, path, key, rank, layout, allow_bool=False):
    """Read `key` and check: numeric dtype, given rank, non-empty, finite."""
    a = _read(h5, path, key)
    _check_numeric(a, path, key, allow_bool)
    _check_rank(a, path, key, rank, layout)
    _check_nonempty(a, path, key)
    _check_finite(a, path, key)
    return a


# --------------------------------------------------------------------------- patches


def load_patches(path):
    """Return the patches of data1.h5 as float32 (N, 3, 16, 16), N >= 1."""
    with _open(path, ["data"]) as h5:
        data = _numeric_array(h5, path, "data", 4, "array (N, 3, 16, 16)")
    if data.shape[1:] != PATCH_SHAPE:
        _fail(path, "data", "shape (N, 3, 16, 16)", f"shape {data.shape}")
    return _as_float32(data, path, "data")


# -------------------------------------------------------------------------- trigrams


def _decode_words(raw, path):
    """Words as list[str] from a 1-D array of bytes (or str); unique and non-empty."""
    _check_rank(raw, path, "words", 1, "array of strings")
    _check_nonempty(raw, path, "words")
    if raw.dtype.kind not in "SUO":
        _fail(path, "words", "strings (bytes, utf-8)", f"dtype {raw.dtype}")
    words = []
    for i, w in enumerate(raw.tolist()):
        if isinstance(w, bytes):
            try:
                w = w.decode("utf-8")
            except UnicodeDecodeError:
                w = None
            if w is None:
                _fail(path, "words", "utf-8 text", f"undecodable bytes at position {i}")
        if not isinstance(w, str):
            _fail(path, "words", "strings", f"{type(w).__name__} at position {i}")
        if not w:
            _fail(path, "words", "non-empty words", f"an empty word at position {i}")
        words.append(w)
    _check_unique(words, path)
    return words


def _check_unique(words, path):
    first = {}
    for i, w in enumerate(words):
        if w in first:
            _fail(path, "words", "unique words", f"{w!r} at positions {first[w]} and {i}")
        first[w] = i


def _check_indices(a, path, key, n_words):
    """Whole numbers in 1..n_words; returns them as int64 (still 1-based)."""
    if a.dtype.kind == "f" and not np.array_equal(a, np.round(a)):
        value = a[a != np.round(a)].flat[0].item()
        _fail(path, key, "integer word indices", f"non-integer value {value!r}")
    low, high = a.min(), a.max()
    if low < 1:
        _fail(path, key, f"indices in 1..{n_words} (len(words))", f"min {low:g}")
    if high > n_words:
        _fail(path, key, f"indices in 1..{n_words} (len(words))", f"max {high:g}")
    return a.astype(np.int64)


def _targets(h5, path, key):
    """Read a d array: shape (n,), also accepting (n, 1) or (1, n)."""
    d = _read(h5, path, key)
    _check_numeric(d, path, key)
    if d.ndim == 2 and 1 in d.shape:
        d = d.reshape(-1)
    _check_rank(d, path, key, 1, "array (n,)")
    _check_nonempty(d, path, key)
    _check_finite(d, path, key)
    return d


def _contexts(h5, path, key, n, d_key):
    """Read an x array as (n, 3); a stored (3, n) is transposed."""
    x = _numeric_array(h5, path, key, 2, "array (n, 3)")
    if x.shape == (n, 3):
        return x
    if x.shape == (3, n):
        return x.T
    _fail(path, key, f"shape (n, 3) or (3, n) with n = len({d_key}) = {n}",
          f"shape {x.shape}")


def load_trigrams(path):
    """Return data2.h5 as a dict of validated arrays, indices still 1-based.

    trainx, valx, testx: int64 (n, 3); traind, vald, testd: int64 (n,);
    words: list[str] of V unique non-empty words, every index in 1..V.
    """
    out = {}
    with _open(path, TRIGRAM_KEYS) as h5:
        _require_keys(h5, path, TRIGRAM_KEYS)
        words = _decode_words(_read(h5, path, "words"), path)
        for split in TRIGRAM_SPLITS:
            xk, dk = f"{split}x", f"{split}d"
            d = _targets(h5, path, dk)
            x = _contexts(h5, path, xk, len(d), dk)
            out[xk] = _check_indices(x, path, xk, len(words))
            out[dk] = _check_indices(d, path, dk, len(words))
    out["words"] = words
    return out


# -------------------------------------------------------------------------- activity


def _check_one_hot(y, path, key):
    """Exactly one 1 per row, every other entry 0."""
    is_binary = (y == 0) | (y == 1)
    if not is_binary.all():
        where = tuple(int(i) for i in np.argwhere(~is_binary)[0])
        _fail(path, key, "one-hot rows of 0/1", f"value {y[where].item()!r} at {where}")
    ones = (y == 1).sum(axis=1)
    bad = np.flatnonzero(ones != 1)
    if bad.size:
        _fail(path, key, "exactly one 1 per row (one-hot)",
              f"{int(ones[bad[0]])} ones in row {int(bad[0])}")


def _check_rows(path, key, a, ref_key, n_ref):
    if a.shape[0] != n_ref:
        _fail(path, key, f"{n_ref} rows (as many as '{ref_key}')", f"shape {a.shape}")


def _read_activity(h5, path):
    """The four arrays, each numeric, finite and non-empty, of rank 3 (X) or 2 (Y)."""
    _require_keys(h5, path, ACTIVITY_KEYS)
    out = {}
    for key in ACTIVITY_KEYS:
        if key.endswith("X"):
            out[key] = _numeric_array(h5, path, key, 3, "array (N, T, C)")
        else:
            out[key] = _numeric_array(h5, path, key, 2, "one-hot array (N, K)",
                                      allow_bool=True)
    return out


def _check_activity_shapes(a, path):
    """Rows of X and Y agree per split; T, C and K agree between splits; K >= 2."""
    _check_rows(path, "trY", a["trY"], "trX", a["trX"].shape[0])
    _check_rows(path, "tstY", a["tstY"], "tstX", a["tstX"].shape[0])
    if a["tstX"].shape[1:] != a["trX"].shape[1:]:
        steps, channels = a["trX"].shape[1:]
        _fail(path, "tstX", f"T={steps}, C={channels} as in 'trX'", f"shape {a['tstX'].shape}")
    classes = a["trY"].shape[1]
    if classes < 2:
        _fail(path, "trY", "at least 2 classes (columns)", f"shape {a['trY'].shape}")
    if a["tstY"].shape[1] != classes:
        _fail(path, "tstY", f"K={classes} classes as in 'trY'", f"shape {a['tstY'].shape}")


def load_activity(path):
    """Return data3.h5 as dict(trX, trY, tstX, tstY), all float32.

    trX (N, T, C), trY one-hot (N, K); tstX (M, T, C), tstY one-hot (M, K) with the
    same T, C and K as the training split. T, C >= 1 (the course has C = 3), K >= 2.
    """
    with _open(path, ACTIVITY_KEYS) as h5:
        arrays = _read_activity(h5, path)
    _check_activity_shapes(arrays, path)
    _check_one_hot(arrays["trY"], path, "trY")
    _check_one_hot(arrays["tstY"], path, "tstY")
    return {key: _as_float32(a, path, key) for key, a in arrays.items()}


def _as_float32(a, path, key):
    """Cast to float32; values too large for float32 would become inf, so re-check."""
    with np.errstate(over="ignore"):
        a = a.astype(np.float32)
    _check_finite(a, path, key)
    return a
