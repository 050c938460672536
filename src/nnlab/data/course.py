"""Load and validate the three course HDF5 files.

Each loader takes a path and returns validated NumPy arrays. Anything wrong with a
file becomes a `DataError` whose message is one line naming the file, the key, what
was expected and what was found, e.g.

    data2.h5: key 'valx': expected indices in 1..250 (len(words)), found max 300

Schemas (the course's; docs/data.md describes them and the demo files):

    data1.h5  data (N, 3, 16, 16)                      -> load_patches
    data2.h5  trainx traind valx vald testx testd words -> load_trigrams
    data3.h5  trX (N, T, C) trY (N, K) tstX tstY         -> load_activity

Memory stays bounded whatever a file claims. Every dataset is checked from its HDF5
metadata before a byte of it is read: dtype, rank, shape (and the shapes the other keys
imply), a size budget, and that its declared extent is actually stored in the file.
Only then is it read, in blocks of about BLOCK_BYTES, each block checked (finite
values, whole-number indices in range, one-hot rows) and copied into the output array.

Size budgets, generous multiples of the course files (refused beyond):

    data1.h5  'data'                  at most MAX_PATCHES = 200,000 patches
              (course: 10,240; 200,000 as float32 are 614 MB)
    data2.h5  'trainx' ... 'testd'    at most MAX_TRIGRAMS = 5,000,000 rows per split
              (course: 372,500 / 46,500 / 46,500; 5 M rows as int64 are 160 MB)
              'words'                 at most MAX_WORDS = 100,000 words of at most
              MAX_WORD_BYTES = 1,000 bytes (course: 250 words)
    data3.h5  'trX' 'trY' 'tstX' 'tstY'  at most MAX_ACTIVITY_VALUES = 50,000,000 values
              each (course trX: 3000 x 150 x 3 = 1.35 M; 50 M as float32 are 200 MB)

Storage: a chunked dataset must have every chunk of its declared shape written, a
contiguous one all its bytes; otherwise most of it would read as the fill value (a
1.4 KB file can declare 250,000 patches). Compression is fine: only whether a chunk
exists counts, not its size. Virtual datasets, external raw storage and external links
(data in other files) are refused.
"""
import contextlib
import math
from pathlib import Path

import h5py
import numpy as np

from nnlab.errors import DataError

PATCH_SHAPE = (3, 16, 16)
TRIGRAM_SPLITS = ("train", "val", "test")
TRIGRAM_KEYS = ("trainx", "traind", "valx", "vald", "testx", "testd", "words")
ACTIVITY_KEYS = ("trX", "trY", "tstX", "tstY")

MAX_PATCHES = 200_000
MAX_TRIGRAMS = 5_000_000
MAX_WORDS = 100_000
MAX_WORD_BYTES = 1_000
MAX_ACTIVITY_VALUES = 50_000_000
BLOCK_BYTES = 8 * 2**20
FLOAT32_MAX = float(np.finfo(np.float32).max)


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


def _short(exc):
    """First line of an exception's text, for the 'found' part of a message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _shape(shape):
    """A shape as written in messages: (10000000000,) and (250000, 3, 16, 16)."""
    return str(tuple(int(s) for s in shape))


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


def _dataset(h5, path, key):
    """The h5py.Dataset `key`, nothing read; missing keys, groups and links elsewhere fail."""
    if key not in h5:
        present = ", ".join(sorted(h5.keys())) or "none"
        _fail(path, key, "a dataset", f"no such key (keys present: {present})")
    link = h5.get(key, getlink=True)
    if isinstance(link, h5py.ExternalLink):
        _fail(path, key, "a dataset stored in this file",
              f"an external link to {link.filename}:{link.path}")
    try:
        node = h5[key]
    except Exception as exc:  # a corrupt object header
        problem = _short(exc)
    else:
        problem = None
    if problem:
        _fail(path, key, "a readable dataset", f"a read error ({problem})")
    if not isinstance(node, h5py.Dataset):
        _fail(path, key, "a dataset", f"a {type(node).__name__.lower()}")
    return node


def _require_keys(h5, path, keys):
    """Report the first missing key before any other problem."""
    for key in keys:
        if key not in h5:
            _dataset(h5, path, key)


# ------------------------------------------------------------ checks from the metadata


def _declared(node, path, key, rank, layout, kinds="iuf"):
    """Check what `node` declares, reading none of its data: dtype kind, rank, non-empty.

    Returns the declared shape."""
    shape = node.shape
    if shape is None:
        _fail(path, key, f"rank {rank} {layout}", "an empty dataset (null dataspace)")
    if node.dtype.kind not in kinds:
        _fail(path, key, "a numeric array", f"dtype {node.dtype}")
    if len(shape) != rank:
        _fail(path, key, f"rank {rank} {layout}", f"rank {len(shape)} with shape {_shape(shape)}")
    if math.prod(shape) == 0:
        _fail(path, key, "a non-empty array", f"shape {_shape(shape)}")
    return shape


def _check_budget(path, key, count, limit, what, shape):
    if count > limit:
        _fail(path, key, f"at most {limit:,} {what}",
              f"{count:,} {what} declared (shape {_shape(shape)})")


def _check_stored(node, path, key):
    """The declared extent is in this file: every chunk written, or all contiguous bytes.

    Unwritten parts would read as the fill value. Compressed chunks count by number, not
    by size, so well-compressed data passes."""
    try:
        plist = node.id.get_create_plist()
        layout, external = plist.get_layout(), plist.get_external_count()
        if layout == h5py.h5d.CHUNKED:
            expected = math.prod(-(-s // c) for s, c in zip(node.shape, node.chunks))
            stored = node.id.get_num_chunks()
        elif layout == h5py.h5d.CONTIGUOUS and node.dtype.kind != "O":
            expected, stored = node.nbytes, node.id.get_storage_size()
    except Exception as exc:
        problem = _short(exc)
    else:
        problem = None
    if problem:
        _fail(path, key, "a readable dataset", f"a read error ({problem})")
    declared = f"the declared shape {_shape(node.shape)}"
    if layout == h5py.h5d.VIRTUAL or external:
        kind = "a virtual dataset" if layout == h5py.h5d.VIRTUAL else "external raw storage"
        _fail(path, key, "a dataset stored in this file", f"{kind} (data in other files)")
    if layout == h5py.h5d.CHUNKED and stored < expected:
        _fail(path, key, f"every chunk of {declared} written",
              f"{stored:,} of {expected:,} chunks stored (the rest would read as fill values)")
    if layout == h5py.h5d.CONTIGUOUS and node.dtype.kind != "O" and stored < expected:
        _fail(path, key, f"all {expected:,} bytes of {declared} written",
              f"{stored:,} bytes stored (the rest would read as fill values)")


# --------------------------------------------------------------------- block reading


def _blocks(node, path, key, axis=0):
    """Yield (offset, block): `node` read in slices along `axis` of at most BLOCK_BYTES (or
    one row), in whole chunks where they fit; `offset` is the block's first index in every
    dimension."""
    shape = node.shape
    row_bytes = node.dtype.itemsize * math.prod(shape) // shape[axis]
    step = max(1, BLOCK_BYTES // max(row_bytes, 1))
    if node.chunks and step >= node.chunks[axis]:  # each chunk decompressed once
        step = step // node.chunks[axis] * node.chunks[axis]
    for start in range(0, shape[axis], step):
        where = [slice(None)] * len(shape)
        where[axis] = slice(start, start + step)
        try:
            block = node[tuple(where)]
        except Exception as exc:  # corrupt or truncated data, unsupported dtypes
            problem = _short(exc)
        else:
            problem = None
        if problem:
            _fail(path, key, "a readable dataset", f"a read error ({problem})")
        offset = [0] * len(shape)
        offset[axis] = start
        yield tuple(offset), block


def _at(offset, index):
    return tuple(int(o) + int(i) for o, i in zip(offset, index))


def _read(node, path, key, dtype, convert=None, axis=0):
    """Read `node` block by block into a new array of `dtype` (same shape).

    Every block must be finite (the message counts all NaN/inf and gives the first), then
    `convert(block, offset)` may check it further and returns the values to store."""
    out = np.empty(node.shape, dtype)
    bad, first = 0, None
    for offset, block in _blocks(node, path, key, axis):
        if block.dtype.kind == "f":
            non_finite = ~np.isfinite(block)
            if non_finite.any():
                bad += int(non_finite.sum())
                first = first or _at(offset, np.argwhere(non_finite)[0])
        if first is None:  # after the first NaN/inf only count the rest
            values = convert(block, offset) if convert else block
            out[tuple(slice(o, o + n) for o, n in zip(offset, block.shape))] = values
    if bad:
        _fail(path, key, "finite values", f"{bad} NaN/inf (first at {first})")
    return out


def _float32(path, key):
    """A convert for _read: cast to float32, refusing values beyond its range."""
    def convert(block, offset):
        with np.errstate(over="ignore"):
            values = block.astype(np.float32)
        overflow = ~np.isfinite(values)
        if overflow.any():
            where = tuple(np.argwhere(overflow)[0])
            _fail(path, key, f"values within float32 range (|x| <= {FLOAT32_MAX:.4g})",
                  f"{block[where].item()!r} at {_at(offset, where)}")
        return values
    return convert


# --------------------------------------------------------------------------- patches


def load_patches(path):
    """Return the patches of data1.h5 as float32 (N, 3, 16, 16), N >= 1."""
    with _open(path, ["data"]) as h5:
        node = _dataset(h5, path, "data")
        shape = _declared(node, path, "data", 4, "array (N, 3, 16, 16)")
        if shape[1:] != PATCH_SHAPE:
            _fail(path, "data", "shape (N, 3, 16, 16)", f"shape {_shape(shape)}")
        _check_budget(path, "data", shape[0], MAX_PATCHES, "patches", shape)
        _check_stored(node, path, "data")
        return _read(node, path, "data", np.float32, _float32(path, "data"))


# -------------------------------------------------------------------------- trigrams


def _declare_words(h5, path):
    """The words dataset, checked from metadata: 1-D strings within the budget, stored."""
    node = _dataset(h5, path, "words")
    shape = _declared(node, path, "words", 1, "array of strings", kinds="SO")
    if node.dtype.kind == "O" and h5py.check_string_dtype(node.dtype) is None:
        base = h5py.check_vlen_dtype(node.dtype)
        found = f"variable-length sequences of {base}" if base is not None else "objects"
        _fail(path, "words", "strings (bytes, utf-8)", found)
    _check_budget(path, "words", shape[0], MAX_WORDS, "words", shape)
    if node.dtype.kind == "S" and node.dtype.itemsize > MAX_WORD_BYTES:
        _fail(path, "words", f"words of at most {MAX_WORD_BYTES:,} bytes", f"dtype {node.dtype}")
    _check_stored(node, path, "words")
    return node


def _read_words(node, path):
    """Words as list[str] from a 1-D dataset of bytes (or str); unique and non-empty."""
    raw = np.concatenate([block for _, block in _blocks(node, path, "words")])
    return _decode_words(raw, path)


def _decode_words(raw, path):
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
        if len(w.encode("utf-8")) > MAX_WORD_BYTES:
            _fail(path, "words", f"words of at most {MAX_WORD_BYTES:,} bytes",
                  f"{len(w.encode('utf-8')):,} bytes at position {i}")
        words.append(w)
    _check_unique(words, path)
    return words


def _check_unique(words, path):
    first = {}
    for i, w in enumerate(words):
        if w in first:
            _fail(path, "words", "unique words", f"{w!r} at positions {first[w]} and {i}")
        first[w] = i


def _targets(h5, path, key):
    """Declared d: shape (n,), also accepting (n, 1) or (1, n). Returns (node, n, axis)."""
    node = _dataset(h5, path, key)
    shape = node.shape
    rank = 2 if shape is not None and len(shape) == 2 and 1 in shape else 1
    shape = _declared(node, path, key, rank, "array (n,)")
    n = max(shape)
    _check_budget(path, key, n, MAX_TRIGRAMS, "rows", shape)
    _check_stored(node, path, key)
    return node, n, 1 if shape[0] == 1 and rank == 2 else 0


def _contexts(h5, path, key, n, d_key):
    """Declared x: (n, 3), or (3, n) to be transposed. Returns (node, axis of n)."""
    node = _dataset(h5, path, key)
    shape = _declared(node, path, key, 2, "array (n, 3)")
    if shape not in ((n, 3), (3, n)):
        _fail(path, key, f"shape (n, 3) or (3, n) with n = len({d_key}) = {n}",
              f"shape {_shape(shape)}")
    _check_stored(node, path, key)
    return node, 0 if shape == (n, 3) else 1


def _indices(node, path, key, n_words, axis):
    """Read whole numbers in 1..n_words as int64 (still 1-based), block by block."""
    low, high = [], []

    def convert(block, offset):
        if block.dtype.kind == "f":
            whole = block == np.round(block)
            if not whole.all():
                value = block[~whole].flat[0].item()
                _fail(path, key, "integer word indices", f"non-integer value {value!r}")
        low.append(block.min().item())
        high.append(block.max().item())
        if low[-1] < 1 or high[-1] > n_words:  # reported below, with the whole array's min/max
            return 0
        return block

    a = _read(node, path, key, np.int64, convert, axis)
    if min(low) < 1:
        _fail(path, key, f"indices in 1..{n_words} (len(words))", f"min {min(low):g}")
    if max(high) > n_words:
        _fail(path, key, f"indices in 1..{n_words} (len(words))", f"max {max(high):g}")
    return a


def load_trigrams(path):
    """Return data2.h5 as a dict of validated arrays, indices still 1-based.

    trainx, valx, testx: int64 (n, 3); traind, vald, testd: int64 (n,);
    words: list[str] of V unique non-empty words, every index in 1..V.
    """
    with _open(path, TRIGRAM_KEYS) as h5:
        _require_keys(h5, path, TRIGRAM_KEYS)
        words_node = _declare_words(h5, path)
        declared = {}
        for split in TRIGRAM_SPLITS:  # every shape and budget before any data is read
            xk, dk = f"{split}x", f"{split}d"
            d_node, n, d_axis = _targets(h5, path, dk)
            x_node, x_axis = _contexts(h5, path, xk, n, dk)
            declared[split] = (d_node, d_axis, x_node, x_axis)
        words = _read_words(words_node, path)
        out = {}
        for split, (d_node, d_axis, x_node, x_axis) in declared.items():
            xk, dk = f"{split}x", f"{split}d"
            d = _indices(d_node, path, dk, len(words), d_axis)
            x = _indices(x_node, path, xk, len(words), x_axis)
            out[xk] = x if x_axis == 0 else x.T
            out[dk] = d.reshape(-1)
    out["words"] = words
    return out


# -------------------------------------------------------------------------- activity


def _one_hot(path, key):
    """A convert for _read: rows of 0/1 with exactly one 1, cast to float32."""
    def convert(y, offset):
        is_binary = (y == 0) | (y == 1)
        if not is_binary.all():
            where = tuple(np.argwhere(~is_binary)[0])
            _fail(path, key, "one-hot rows of 0/1", f"value {y[where].item()!r} at {_at(offset, where)}")
        ones = (y == 1).sum(axis=1)
        bad = np.flatnonzero(ones != 1)
        if bad.size:
            _fail(path, key, "exactly one 1 per row (one-hot)",
                  f"{int(ones[bad[0]])} ones in row {offset[0] + int(bad[0])}")
        return y.astype(np.float32)
    return convert


def _check_rows(path, key, shape, ref_key, n_ref):
    if shape[0] != n_ref:
        _fail(path, key, f"{n_ref} rows (as many as '{ref_key}')", f"shape {_shape(shape)}")


def _declare_activity(h5, path):
    """The four datasets, checked from metadata: numeric, non-empty, rank 3 (X) or 2 (Y),
    within the budget, stored; then their shapes against each other."""
    _require_keys(h5, path, ACTIVITY_KEYS)
    nodes = {}
    for key in ACTIVITY_KEYS:
        node = _dataset(h5, path, key)
        if key.endswith("X"):
            shape = _declared(node, path, key, 3, "array (N, T, C)")
        else:
            shape = _declared(node, path, key, 2, "one-hot array (N, K)", kinds="iufb")
        _check_budget(path, key, math.prod(shape), MAX_ACTIVITY_VALUES, "values", shape)
        _check_stored(node, path, key)
        nodes[key] = node
    shapes = {key: node.shape for key, node in nodes.items()}
    _check_rows(path, "trY", shapes["trY"], "trX", shapes["trX"][0])
    _check_rows(path, "tstY", shapes["tstY"], "tstX", shapes["tstX"][0])
    if shapes["tstX"][1:] != shapes["trX"][1:]:
        steps, channels = shapes["trX"][1:]
        _fail(path, "tstX", f"T={steps}, C={channels} as in 'trX'", f"shape {_shape(shapes['tstX'])}")
    classes = shapes["trY"][1]
    if classes < 2:
        _fail(path, "trY", "at least 2 classes (columns)", f"shape {_shape(shapes['trY'])}")
    if shapes["tstY"][1] != classes:
        _fail(path, "tstY", f"K={classes} classes as in 'trY'", f"shape {_shape(shapes['tstY'])}")
    return nodes


def load_activity(path):
    """Return data3.h5 as dict(trX, trY, tstX, tstY), all float32.

    trX (N, T, C), trY one-hot (N, K); tstX (M, T, C), tstY one-hot (M, K) with the
    same T, C and K as the training split. T, C >= 1 (the course has C = 3), K >= 2.
    """
    with _open(path, ACTIVITY_KEYS) as h5:
        nodes = _declare_activity(h5, path)
        out = {}
        for key in ("trX", "tstX", "trY", "tstY"):
            convert = _float32(path, key) if key.endswith("X") else _one_hot(path, key)
            out[key] = _read(nodes[key], path, key, np.float32, convert)
    return {key: out[key] for key in ACTIVITY_KEYS}
