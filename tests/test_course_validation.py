"""Loading and validation of the three course files (nnlab.data.course)."""
from dataclasses import dataclass

import h5py
import numpy as np
import pytest

from nnlab.data import course
from nnlab.data.course import load_activity, load_patches, load_trigrams
from nnlab.errors import DataError

N_WORDS = 10


# ------------------------------------------------------------------- valid file parts


def patches_arrays():
    rng = np.random.default_rng(0)
    return {"data": rng.uniform(0, 1, (5, 3, 16, 16)).astype(np.float32)}


def trigram_arrays():
    rng = np.random.default_rng(1)
    arrays = {"words": np.array([f"w{i}".encode() for i in range(N_WORDS)])}
    for split, n in (("train", 20), ("val", 6), ("test", 7)):
        arrays[f"{split}x"] = rng.integers(1, N_WORDS + 1, (n, 3)).astype(np.uint8)
        arrays[f"{split}d"] = rng.integers(1, N_WORDS + 1, n).astype(np.uint8)
    return arrays


def one_hot(labels, k=6):
    return np.eye(k)[labels]


def activity_arrays(T=8, C=3):
    rng = np.random.default_rng(2)
    return {
        "trX": rng.normal(size=(12, T, C)),
        "trY": one_hot(np.arange(12) % 6),
        "tstX": rng.normal(size=(6, T, C)),
        "tstY": one_hot(np.arange(6) % 6),
    }


KINDS = {
    "patches": ("data1.h5", load_patches, patches_arrays),
    "trigrams": ("data2.h5", load_trigrams, trigram_arrays),
    "activity": ("data3.h5", load_activity, activity_arrays),
}


@dataclass
class Declared:
    """A dataset declared with a shape but only partly written (or not at all): the rest
    reads as `fillvalue`. `rows` of `data` are written; chunks/compression as in h5py."""
    shape: tuple
    dtype: str = "f4"
    chunks: object = None
    fillvalue: object = None
    compression: str = None
    data: object = None
    rows: int = 0


def write_h5(path, arrays):
    with h5py.File(path, "w") as h5:
        for key, value in arrays.items():
            if isinstance(value, Declared):
                dset = h5.create_dataset(key, shape=value.shape, dtype=value.dtype,
                                         chunks=value.chunks, fillvalue=value.fillvalue,
                                         compression=value.compression)
                if value.rows:
                    dset[:value.rows] = value.data[:value.rows]
            else:
                h5.create_dataset(key, data=value)
    return path


def write_kind(tmp_path, kind, mutate=None):
    """Write a valid file of `kind`, after `mutate(arrays)` if given; return path, loader."""
    name, loader, make = KINDS[kind]
    arrays = make()
    if mutate:
        mutate(arrays)
    return write_h5(tmp_path / name, arrays), loader


def assert_one_line_error(excinfo, name, key):
    msg = str(excinfo.value)
    assert "\n" not in msg
    assert name in msg
    assert f"'{key}'" in msg
    assert excinfo.value.__cause__ is None and excinfo.value.__context__ is None


# ------------------------------------------------------------------------- valid files


def test_valid_patches_load(tmp_path):
    path, loader = write_kind(tmp_path, "patches")
    data = loader(path)
    assert data.dtype == np.float32 and data.shape == (5, 3, 16, 16)
    np.testing.assert_array_equal(data, patches_arrays()["data"])


def test_valid_trigrams_load(tmp_path):
    path, loader = write_kind(tmp_path, "trigrams")
    out = loader(path)
    expected = trigram_arrays()
    assert out["words"] == [f"w{i}" for i in range(N_WORDS)]
    for key in ("trainx", "traind", "valx", "vald", "testx", "testd"):
        assert out[key].dtype == np.int64
        np.testing.assert_array_equal(out[key], expected[key])
    assert out["trainx"].shape == (20, 3) and out["traind"].shape == (20,)


def transposed_float_x(arrays):
    """(3, n) orientation, whole-number floats, (n, 1) and (1, n) targets, vlen-string words."""
    for split in ("train", "val", "test"):
        arrays[f"{split}x"] = arrays[f"{split}x"].T.astype(np.float64)
        arrays[f"{split}d"] = arrays[f"{split}d"][:, None]
    arrays["vald"] = arrays["vald"].T.astype(np.float32)
    arrays["words"] = np.array(list(arrays["words"]), dtype=h5py.string_dtype("utf-8"))


def test_trigrams_accept_other_layouts(tmp_path):
    path, loader = write_kind(tmp_path, "trigrams", transposed_float_x)
    out = loader(path)
    expected = trigram_arrays()
    assert out["words"][0] == "w0"
    for key in ("trainx", "traind", "valx", "vald", "testx", "testd"):
        assert out[key].dtype == np.int64
        np.testing.assert_array_equal(out[key], expected[key])


def test_valid_activity_load(tmp_path):
    path, loader = write_kind(tmp_path, "activity")
    out = loader(path)
    assert out["trX"].shape == (12, 8, 3) and out["tstY"].shape == (6, 6)
    assert all(a.dtype == np.float32 for a in out.values())


def test_activity_any_channels_and_bool_labels(tmp_path):
    arrays = activity_arrays(T=1, C=1)
    arrays["trY"] = arrays["trY"].astype(bool)
    out = load_activity(write_h5(tmp_path / "data3.h5", arrays))
    assert out["trX"].shape == (12, 1, 1)
    np.testing.assert_array_equal(out["trY"].argmax(1), np.arange(12) % 6)


# --------------------------------------------------------------------------- bad files


def drop(key):
    return lambda a: a.pop(key)


def setitem(key, fn):
    def mutate(arrays):
        arrays[key] = fn(arrays[key])
    return mutate


def put(key, index, value):
    def mutate(arrays):
        a = arrays[key].astype(np.float64 if isinstance(value, float) else np.int64)
        a[index] = value
        arrays[key] = a
    return mutate


def short_split(arrays):
    arrays["testd"] = arrays["testd"][:-1]


def empty_train(arrays):
    arrays["traind"] = arrays["traind"][:0]
    arrays["trainx"] = arrays["trainx"][:0]


def duplicate_word(arrays):
    arrays["words"][3] = arrays["words"][1]


def empty_word(arrays):
    arrays["words"] = np.array([b""] + list(arrays["words"][1:]))


def short_labels(arrays):
    arrays["trY"] = arrays["trY"][:-1]


def vlen_ints(words):
    out = np.empty(len(words), dtype=h5py.vlen_dtype("i4"))
    for i in range(len(words)):
        out[i] = np.arange(i + 1, dtype="i4")
    return out


def declare(key, **kwargs):
    """Replace `key` by a declared, unwritten dataset (of the same dtype unless given)."""
    def mutate(arrays):
        kwargs.setdefault("dtype", arrays[key].dtype)
        arrays[key] = Declared(**kwargs)
    return mutate


def partly_written(key, chunk_rows, rows, **kwargs):
    """`key` keeps its shape and values but only its first `rows` rows are written."""
    def mutate(arrays):
        a = arrays[key]
        arrays[key] = Declared(a.shape, a.dtype, (chunk_rows, *a.shape[1:]), data=a, rows=rows,
                               **kwargs)
    return mutate


BAD = [
    # (id, kind, mutation, key named in the message[, words the message contains])
    ("patches-missing-key", "patches", drop("data"), "data"),
    ("patches-rank-3", "patches", setitem("data", lambda a: a[:, 0]), "data"),
    ("patches-wrong-shape", "patches", setitem("data", lambda a: a[:, :, :8, :8]), "data"),
    ("patches-one-channel", "patches", setitem("data", lambda a: a[:, :1]), "data"),
    ("patches-strings", "patches", setitem("data", lambda a: a.astype("S8")), "data"),
    ("patches-nan", "patches", put("data", (1, 2, 3, 4), np.nan), "data"),
    ("patches-inf", "patches", put("data", (0, 0, 0, 0), np.inf), "data"),
    ("patches-float32-overflow", "patches", put("data", (0, 0, 0, 1), 1e300), "data"),
    ("patches-empty", "patches", setitem("data", lambda a: a[:0]), "data"),
    ("trigrams-missing-vald", "trigrams", drop("vald"), "vald"),
    ("trigrams-missing-words", "trigrams", drop("words"), "words"),
    ("trigrams-index-0", "trigrams", put("trainx", (2, 1), 0), "trainx"),
    ("trigrams-index-too-big", "trigrams", put("valx", (0, 0), N_WORDS + 1), "valx"),
    ("trigrams-target-too-big", "trigrams", put("testd", 3, 200), "testd"),
    ("trigrams-non-integer", "trigrams", put("traind", 0, 1.5), "traind"),
    ("trigrams-nan-index", "trigrams", put("valx", (1, 1), np.nan), "valx"),
    ("trigrams-x-d-mismatch", "trigrams", short_split, "testx"),
    ("trigrams-x-width-4", "trigrams", setitem("trainx", lambda a: np.c_[a, a[:, :1]]), "trainx"),
    ("trigrams-x-strings", "trigrams", setitem("valx", lambda a: a.astype("S3")), "valx"),
    ("trigrams-bool-x", "trigrams", setitem("testx", lambda a: a > 0), "testx"),
    ("trigrams-empty", "trigrams", empty_train, "traind"),
    ("trigrams-duplicate-word", "trigrams", duplicate_word, "words"),
    ("trigrams-empty-word", "trigrams", empty_word, "words"),
    ("trigrams-numeric-words", "trigrams", setitem("words", lambda a: np.arange(len(a))), "words"),
    ("activity-missing-tstY", "activity", drop("tstY"), "tstY"),
    ("activity-rank-2-x", "activity", setitem("trX", lambda a: a[:, :, 0]), "trX"),
    ("activity-two-ones", "activity", put("trY", (4, 0), 1.0), "trY"),
    ("activity-soft-label", "activity", setitem("tstY", lambda a: a * 0.5), "tstY"),
    ("activity-no-one", "activity", put("trY", (0, 0), 0.0), "trY"),
    ("activity-T-mismatch", "activity", setitem("tstX", lambda a: a[:, :5]), "tstX"),
    ("activity-C-mismatch", "activity", setitem("tstX", lambda a: a[:, :, :2]), "tstX"),
    ("activity-K-mismatch", "activity", setitem("tstY", lambda a: a[:, :5]), "tstY"),
    ("activity-X-Y-length", "activity", short_labels, "trY"),
    ("activity-inf", "activity", put("tstX", (2, 3, 1), -np.inf), "tstX"),
    ("activity-empty-T", "activity", setitem("trX", lambda a: a[:, :0]), "trX"),
    ("activity-string-labels", "activity", setitem("trY", lambda a: a.astype("S3")), "trY"),
    # issue 15: the declared shape, dtype, size budget and storage are checked before reading
    ("trigrams-traind-declared-1e10", "trigrams",
     declare("traind", shape=(10**10,), chunks=True, fillvalue=1), "traind",
     "expected at most 5,000,000 rows, found 10,000,000,000 rows declared"),
    ("patches-declared-250000-unwritten", "patches", declare("data", shape=(250_000, 3, 16, 16)),
     "data", "expected at most 200,000 patches, found 250,000 patches declared"),
    ("patches-unwritten-contiguous", "patches", declare("data", shape=(40, 3, 16, 16)), "data",
     "expected all 122,880 bytes of the declared shape (40, 3, 16, 16) written, found 0 bytes"),
    ("patches-unwritten-chunked", "patches",
     declare("data", shape=(40, 3, 16, 16), chunks=(4, 3, 16, 16), fillvalue=0.5), "data",
     "found 0 of 10 chunks stored"),
    ("patches-partly-written-gzip", "patches", partly_written("data", 2, 3, compression="gzip"),
     "data", "found 2 of 3 chunks stored"),
    ("patches-null-dataspace", "patches", setitem("data", lambda a: h5py.Empty("f4")), "data",
     "null dataspace"),
    ("patches-compound-dtype", "patches",
     setitem("data", lambda a: np.zeros((5, 3, 16, 16), [("r", "f4"), ("g", "f4")])), "data",
     "expected a numeric array"),
    ("trigrams-valx-fill-value-in-range", "trigrams",
     declare("valx", shape=(6, 3), chunks=(2, 3), fillvalue=1), "valx",
     "found 0 of 3 chunks stored (the rest would read as fill values)"),
    ("trigrams-testd-partly-written", "trigrams", partly_written("testd", 2, 4), "testd",
     "found 2 of 4 chunks stored"),
    ("trigrams-too-many-words", "trigrams", declare("words", shape=(200_000,), dtype="S5"), "words",
     "expected at most 100,000 words, found 200,000 words declared"),
    ("trigrams-words-too-long", "trigrams", setitem("words", lambda a: a.astype("S2000")), "words",
     "expected words of at most 1,000 bytes, found dtype |S2000"),
    ("trigrams-words-vlen-ints", "trigrams", setitem("words", vlen_ints), "words",
     "found variable-length sequences of int32"),
    ("activity-trX-over-budget", "activity",
     declare("trX", shape=(1_000_000, 100, 3), chunks=(1000, 100, 3)), "trX",
     "expected at most 50,000,000 values, found 300,000,000 values declared"),
    ("activity-tstY-unwritten", "activity", declare("tstY", shape=(6, 6), chunks=(3, 6)), "tstY",
     "found 0 of 2 chunks stored"),
    ("activity-trY-partly-written", "activity", partly_written("trY", 4, 8), "trY",
     "found 2 of 3 chunks stored"),
]


@pytest.mark.parametrize("kind, mutate, key, words", [(*b[1:4], b[4] if len(b) > 4 else "")
                                                      for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_raises_one_line(tmp_path, kind, mutate, key, words):
    path, loader = write_kind(tmp_path, kind, mutate)
    with pytest.raises(DataError) as excinfo:
        loader(path)
    assert_one_line_error(excinfo, path.name, key)
    assert words in str(excinfo.value)


FIRST_KEY = {"patches": "data", "trigrams": "trainx", "activity": "trX"}


def make_missing(path):
    """Leave `path` absent."""


def make_text(path):
    path.write_text("this is not\nan HDF5 file\n")


def make_empty(path):
    path.write_bytes(b"")


def make_truncated(path):
    write_h5(path, {"data": np.zeros((2000, 3, 16, 16), np.float32)})
    path.write_bytes(path.read_bytes()[:4000])


def make_directory(path):
    path.mkdir()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("make", [make_missing, make_text, make_empty, make_truncated,
                                  make_directory], ids=lambda f: f.__name__[5:])
def test_unreadable_file_raises_one_line(tmp_path, kind, make):
    name, loader, _ = KINDS[kind]
    path = tmp_path / name
    make(path)
    with pytest.raises(DataError) as excinfo:
        loader(path)
    assert_one_line_error(excinfo, name, FIRST_KEY[kind])


def test_group_instead_of_dataset(tmp_path):
    path = tmp_path / "data1.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("data")
    with pytest.raises(DataError) as excinfo:
        load_patches(path)
    assert_one_line_error(excinfo, "data1.h5", "data")
    assert "group" in str(excinfo.value)


def test_message_names_expected_and_found(tmp_path):
    path, loader = write_kind(tmp_path, "trigrams", put("valx", (0, 0), 300))
    with pytest.raises(DataError, match=r"^data2\.h5: key 'valx': expected indices in "
                       r"1\.\.10 \(len\(words\)\), found max 300$"):
        loader(path)


# ------------------------------------------- declared shape first, then bounded reading


@pytest.fixture
def reads(monkeypatch):
    """Every h5py dataset read during the test: list of (key, bytes read)."""
    seen = []
    real = h5py.Dataset.__getitem__

    def recording(self, args, *more, **kwargs):
        out = real(self, args, *more, **kwargs)
        seen.append((self.name.lstrip("/"), getattr(out, "nbytes", 0)))
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", recording)
    return seen


def test_huge_declared_targets_are_refused_before_any_read(tmp_path, reads):
    """Issue 15: a 5 KB data2.h5 declaring traind (10**10,) took 10 GB and 30 s to fail."""
    path, loader = write_kind(tmp_path, "trigrams",
                              declare("traind", shape=(10**10,), chunks=True, fillvalue=1))
    with pytest.raises(DataError) as excinfo:
        loader(path)
    assert str(excinfo.value) == ("data2.h5: key 'traind': expected at most 5,000,000 rows, "
                                  "found 10,000,000,000 rows declared (shape (10000000000,))")
    assert reads == []


def test_unwritten_patches_are_refused_before_any_read(tmp_path, reads):
    """Issue 15: a 1.4 KB data1.h5 declaring 250,000 patches gave 256 MB of constant patches."""
    path, loader = write_kind(tmp_path, "patches", declare("data", shape=(250_000, 3, 16, 16)))
    assert path.stat().st_size < 2000
    with pytest.raises(DataError, match=r"^data1\.h5: key 'data': expected at most 200,000 "
                       r"patches, found 250,000 patches declared \(shape \(250000, 3, 16, 16\)\)$"):
        loader(path)
    path, loader = write_kind(tmp_path, "patches", declare("data", shape=(2000, 3, 16, 16),
                                                           chunks=(100, 3, 16, 16), fillvalue=0.5))
    with pytest.raises(DataError, match=r"^data1\.h5: key 'data': expected every chunk of the "
                       r"declared shape \(2000, 3, 16, 16\) written, found 0 of 20 chunks stored"):
        loader(path)
    assert reads == []


def test_well_compressed_data_is_not_mistaken_for_unwritten(tmp_path):
    """Constant patches compress ~1000x; every chunk is stored, so the file is accepted."""
    path = tmp_path / "data1.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("data", data=np.full((3000, 3, 16, 16), 0.25, np.float32),
                          chunks=(700, 1, 16, 16), compression="gzip", compression_opts=9)
    assert path.stat().st_size < 9_216_000 / 100
    data = load_patches(path)
    assert data.shape == (3000, 3, 16, 16) and np.all(data == 0.25)


@pytest.fixture
def small_blocks(monkeypatch, reads):
    """Blocks of 64 bytes (at least one row), so the small test files span many blocks."""
    monkeypatch.setattr(course, "BLOCK_BYTES", 64)
    return reads


def test_reading_in_blocks_gives_the_same_arrays(tmp_path, small_blocks):
    expected = patches_arrays()["data"]
    path = write_h5(tmp_path / "data1.h5", {"data": np.concatenate([expected] * 4)})
    np.testing.assert_array_equal(load_patches(path), np.concatenate([expected] * 4))
    assert {n for _, n in small_blocks} == {3 * 16 * 16 * 4} and len(small_blocks) == 20  # row by row

    arrays = trigram_arrays()
    transposed_float_x(arrays)              # (3, n) x read in blocks along its second axis
    out = load_trigrams(write_h5(tmp_path / "data2.h5", arrays))
    for key, value in trigram_arrays().items():
        if key != "words":
            np.testing.assert_array_equal(out[key], value)

    arrays = activity_arrays(T=40)
    out = load_activity(write_h5(tmp_path / "data3.h5", arrays))
    for key, value in arrays.items():
        np.testing.assert_array_equal(out[key], value.astype(np.float32))
    assert max(n for key, n in small_blocks if key == "trX") == 40 * 3 * 8     # one window a read


@pytest.mark.parametrize("kind, mutate, message", [
    ("patches", put("data", (17, 2, 3, 4), np.nan),
     "data1.h5: key 'data': expected finite values, found 2 NaN/inf (first at (17, 2, 3, 4))"),
    ("trigrams", put("trainx", (15, 2), 11),
     "data2.h5: key 'trainx': expected indices in 1..10 (len(words)), found max 11"),
    ("activity", put("trY", (9, 0), 1.0),
     "data3.h5: key 'trY': expected exactly one 1 per row (one-hot), found 2 ones in row 9"),
    ("activity", put("tstX", (5, 7, 2), 1e300),
     "data3.h5: key 'tstX': expected values within float32 range (|x| <= 3.403e+38), "
     "found 1e+300 at (5, 7, 2)"),
])
def test_problems_in_later_blocks_are_placed_in_the_whole_array(tmp_path, small_blocks, kind,
                                                                 mutate, message):
    def mutate_more(arrays):
        if kind == "patches":
            arrays["data"] = np.concatenate([arrays["data"]] * 4)
            arrays["data"][19, 0, 0, 0] = np.inf
        mutate(arrays)
    path, loader = write_kind(tmp_path, kind, mutate_more)
    with pytest.raises(DataError) as excinfo:
        loader(path)
    assert str(excinfo.value) == message


def test_data_in_other_files_is_refused(tmp_path):
    """A virtual dataset or an external link reads another file (or fill values if it is gone)."""
    source = write_h5(tmp_path / "source.h5", patches_arrays())
    path = tmp_path / "data1.h5"
    layout = h5py.VirtualLayout(shape=(5, 3, 16, 16), dtype="f4")
    layout[:] = h5py.VirtualSource(str(source), "data", shape=(5, 3, 16, 16))
    with h5py.File(path, "w") as h5:
        h5.create_virtual_dataset("data", layout)
    with pytest.raises(DataError) as excinfo:
        load_patches(path)
    assert_one_line_error(excinfo, "data1.h5", "data")
    assert "a virtual dataset" in str(excinfo.value)
    with h5py.File(path, "w") as h5:
        h5["data"] = h5py.ExternalLink(str(source), "data")
    with pytest.raises(DataError, match=r"^data1\.h5: key 'data': expected a dataset stored in "
                       r"this file, found an external link to .*source\.h5:data$"):
        load_patches(path)
