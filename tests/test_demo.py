"""Demo data generators (nnlab.data.demo): schema, determinism, difficulty."""
import h5py
import numpy as np
import pytest

from nnlab.data import demo
from nnlab.data.course import load_activity, load_patches, load_trigrams

SMALL = {
    "patches": (demo.make_patches, "data1.h5", {"n": 200}),
    "trigrams": (demo.make_trigrams, "data2.h5", {}),
    "activity": (demo.make_activity, "data3.h5", {"n_train": 600, "n_test": 200, "T": 60}),
}


def generate(folder, kind, seed):
    make, name, kwargs = SMALL[kind]
    path = folder / f"seed{seed}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path, seed=seed, **kwargs)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{(kind, seed): path} for seeds 0 (twice, in different folders) and 1."""
    out = {}
    for kind in SMALL:
        for seed, folder in ((0, "a"), (0, "b"), (1, "a")):
            base = tmp_path_factory.mktemp(f"{kind}-{folder}")
            out[kind, seed, folder] = generate(base, kind, seed)
    return out


def raw_arrays(path):
    with h5py.File(path, "r") as h5:
        return {key: h5[key][()] for key in h5}


def test_no_temporary_files_left(files):
    for path in files.values():
        assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_patches_schema(files):
    raw = raw_arrays(files["patches", 0, "a"])
    assert list(raw) == ["data"] and raw["data"].dtype == np.float32
    data = load_patches(files["patches", 0, "a"])
    assert data.shape == (200, 3, 16, 16)
    assert 0.0 <= data.min() and data.max() <= 1.0
    assert data.std(axis=(1, 2, 3)).mean() > 0.01  # patches are not flat


def test_trigrams_schema(files):
    raw = raw_arrays(files["trigrams", 0, "a"])
    assert raw["words"].dtype.kind == "S" and raw["trainx"].dtype == np.uint8
    out = load_trigrams(files["trigrams", 0, "a"])
    assert len(out["words"]) == 250 and "the" in out["words"]
    n = {split: len(out[f"{split}d"]) for split in ("train", "val", "test")}
    total = sum(n.values())
    assert total > 20000
    assert abs(n["train"] / total - 0.8) < 0.01 and abs(n["val"] / total - 0.1) < 0.01
    assert out["trainx"].shape == (n["train"], 3)


def test_activity_schema(files):
    raw = raw_arrays(files["activity", 0, "a"])
    assert all(a.dtype == np.float32 for a in raw.values())
    out = load_activity(files["activity", 0, "a"])
    assert out["trX"].shape == (600, 60, 3) and out["trY"].shape == (600, 6)
    assert out["tstX"].shape == (200, 60, 3) and out["tstY"].shape == (200, 6)
    counts = out["trY"].sum(axis=0)
    assert counts.min() >= 90  # balanced-ish: 100 per class
    norm = np.linalg.norm(out["trX"], axis=2).mean()
    assert 0.8 < norm < 1.5  # units of g: gravity dominates


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_same_seed_same_arrays(files, kind):
    a, b = raw_arrays(files[kind, 0, "a"]), raw_arrays(files[kind, 0, "b"])
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype
        assert a[key].tobytes() == b[key].tobytes()


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_different_seed_different_arrays(files, kind):
    a, b = raw_arrays(files[kind, 0, "a"]), raw_arrays(files[kind, 1, "a"])
    x_key = {"patches": "data", "trigrams": "trainx", "activity": "trX"}[kind]
    assert not np.array_equal(a[x_key], b[x_key])


def nearest_centroid_accuracy(data):
    """Test accuracy of nearest centroid on standardized per-channel mean and std."""
    def features(x):
        return np.concatenate([x.mean(axis=1), x.std(axis=1)], axis=1)

    train, test = features(data["trX"]), features(data["tstX"])
    mu, sd = train.mean(axis=0), train.std(axis=0)
    train, test = (train - mu) / sd, (test - mu) / sd
    y_train, y_test = data["trY"].argmax(axis=1), data["tstY"].argmax(axis=1)
    centroids = np.stack([train[y_train == k].mean(axis=0) for k in range(6)])
    distances = ((test[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return (distances.argmin(axis=1) == y_test).mean()


def test_activity_not_trivially_separable(files):
    accuracy = nearest_centroid_accuracy(load_activity(files["activity", 0, "a"]))
    assert 1 / 6 < accuracy < 0.97
