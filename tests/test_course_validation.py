"""Loading and validation of the three course files (nnlab.data.course)."""
import h5py
import numpy as np
import pytest

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


def write_h5(path, arrays):
    with h5py.File(path, "w") as h5:
        for key, value in arrays.items():
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
    """(3, n) orientation, whole-number floats, (n, 1) targets, vlen-string words."""
    for split in ("train", "val", "test"):
        arrays[f"{split}x"] = arrays[f"{split}x"].T.astype(np.float64)
        arrays[f"{split}d"] = arrays[f"{split}d"][:, None]
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


BAD = [
    # (id, kind, mutation, key named in the message)
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
]


@pytest.mark.parametrize("kind, mutate, key", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_raises_one_line(tmp_path, kind, mutate, key):
    path, loader = write_kind(tmp_path, kind, mutate)
    with pytest.raises(DataError) as excinfo:
        loader(path)
    assert_one_line_error(excinfo, path.name, key)


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
