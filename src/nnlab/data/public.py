"""The public sources, downloaded once (nnlab.data.fetch) and converted into the course schema.

    make_patches   data1.h5  16x16 RGB patches cut from the Kodak suite's 24 photographs
    make_trigrams  data2.h5  the 4-grams of the 2012 "Neural Networks for Machine Learning"
                             course (assignment 2's data.mat)
    make_activity  data3.h5  WISDM v1.1 windows, test users disjoint from training users

Each takes its part of the configuration's `public:` (URLs, checksums, published counts and
conversion settings), the cache folder and a log; it writes the course file atomically and a
JSON record beside it (`<file>.source.json`): the source's name, citation, licence and
homepage, each file's URL and the sha256 found, and what the conversion kept and dropped.
SOURCES holds what the config does not: citation, licence and homepage.
"""
import json
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from nnlab.data import demo, wisdm
from nnlab.data.fetch import DownloadError, Remote, by_hand_all, fetch
from nnlab.data.preprocess import ACTIVITY_CLASSES
from nnlab.errors import DataError
from nnlab.io import atomic_path, write_h5, write_json

SOURCES = {
    "patches": {
        "name": "Kodak Lossless True Color Image Suite",
        "citation": "Eastman Kodak Company, Kodak Lossless True Color Image Suite (PhotoCD PCD0992): "
                    "24 photographs, 768x512",
        "licence": "released by Kodak for unrestricted use",
        "homepage": "http://r0k.us/graphics/kodak/",
    },
    "trigrams": {
        "name": "Neural Networks for Machine Learning, assignment 2: 4-grams",
        "citation": "G. Hinton, Neural Networks for Machine Learning (Coursera, 2012), programming "
                    "assignment 2, data.mat",
        "licence": "course material with no licence stated; public copies are kept in repositories of "
                   "the course's assignments (for study)",
        "homepage": "https://github.com/TongTongX/Neural-Networks-for-Machine-Learning/tree/master/Assignment2",
    },
    "activity": {
        "name": "WISDM Activity Prediction v1.1",
        "citation": "J. R. Kwapisz, G. M. Weiss and S. A. Moore, Activity Recognition using Cell Phone "
                    "Accelerometers, SensorKDD 2010",
        "licence": "released by the WISDM Lab for research; cite the paper above and keep the lab's "
                   "readme.txt with the data (written beside data3.h5)",
        "homepage": "https://www.cis.fordham.edu/wisdm/dataset.php",
    },
}
SPLITS = {"train": "trainData", "val": "validData", "test": "testData"}


def record_path(h5_path):
    """The JSON record written beside a converted course file."""
    return Path(f"{h5_path}.source.json")


def _remote(cache, which, url, kind, sha256=None, size=None):
    """A file of `url` for the source `which`, cached as `cache`/<which>/<the last part of the
    URL's path> (its query left out)."""
    name = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1] if "://" in url else Path(url).name
    return Remote(url=url, path=Path(cache).expanduser() / which / name, kind=kind, sha256=sha256, size=size)


def _record(h5_path, which, files, **details):
    write_json(record_path(h5_path), {"source": which, **SOURCES[which], "files": files, **details})


def _file(fetched, url, checked):
    return {"url": url, "path": str(fetched.path), "sha256": fetched.sha256, "checked": checked}


# --------------------------------------------------------------------------- patches


def read_image(file, name):
    """A photograph as float32 (H, W, 3) in [0, 1]; anything else is a one-line DataError."""
    import matplotlib.image

    try:
        image = np.asarray(matplotlib.image.imread(file, format="png"))
    except Exception as error:     # Pillow's and matplotlib's errors for a damaged image
        problem = " ".join(str(error).split()) or type(error).__name__
    else:
        problem = None
    if problem:
        raise DataError(f"{name}: expected a PNG image, found one that cannot be decoded ({problem})")
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < demo.PATCH:
        raise DataError(f"{name}: expected an RGB image of at least {demo.PATCH}x{demo.PATCH} pixels, "
                        f"found shape {image.shape}")
    image = image[..., :3]
    return image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)


def make_patches(path, settings, cache, seed, log):
    """data1.h5: settings['patches'] patches cut at random positions and scales, as evenly from
    every image as `patches` allows (the demo's cutting, nnlab.data.demo)."""
    base = settings["url"].rstrip("/") + "/"
    digests = settings.get("sha256") or {}
    remotes = [_remote(cache, "patches", base + name, "png", digests.get(name)) for name in settings["files"]]
    images, files = [], []
    for remote in remotes:
        try:
            fetched = fetch(remote, log, read=read_image)
        except DownloadError as error:      # say every file still missing, not one per rerun
            missing = [r for r in remotes if not r.path.is_file()]
            raise DownloadError(remote, error.problem, by_hand_all(missing)) from None
        images.append(fetched.value)
        files.append(_file(fetched, remote.url, "sha256" if remote.sha256 else
                           "decodes as an RGB image (no published checksum; the hash found is recorded)"))
    rng = np.random.default_rng(seed)
    n, scales = settings["patches"], settings["scales"]
    owner = np.arange(n) % len(images)
    which = rng.integers(0, len(scales), size=n)
    data = np.empty((n, 3, demo.PATCH, demo.PATCH), dtype=np.float32)
    for i, image in enumerate(images):
        for j, factor in enumerate(scales):
            idx = np.flatnonzero((owner == i) & (which == j))
            shrunk = demo.downsample(image, factor)
            if min(shrunk.shape[:2]) < demo.PATCH:
                raise DataError(f"{settings['files'][i]}: expected at least {demo.PATCH * factor} pixels a side "
                                f"to cut patches at scale 1/{factor}, found shape {image.shape[:2]}")
            data[idx] = demo.cut_patches(rng, shrunk, idx.size)
    write_h5(path, {"data": np.clip(data, 0.0, 1.0)})
    log(f"wrote {path}: {n} patches from {len(images)} images at scales {scales}")
    _record(path, "patches", files, patches=n, scales=list(scales), seed=seed)


# -------------------------------------------------------------------------- trigrams


def read_fourgrams(file, name):
    """data.mat's struct `data` -> (words, {split: int64 (n, 4), 1-based}): vocab and the three
    4-gram matrices, one 4-gram per column (the course's layout) or per row."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(file, simplify_cells=True)
    except NotImplementedError:        # v7.3 files are HDF5
        raise DataError(f"{name}: expected a MATLAB v5 file, found a v7.3 (HDF5) one; save it with "
                        f"-v7 or use the published file") from None
    except Exception as error:
        problem = " ".join(str(error).split()) or type(error).__name__
    else:
        problem = None
    if problem:
        raise DataError(f"{name}: expected a MATLAB v5 file, found one that cannot be read ({problem})")
    data = mat.get("data")
    if not isinstance(data, dict):
        raise DataError(f"{name}: key 'data': expected a struct with vocab, trainData, validData and "
                        f"testData, found {'no such key' if data is None else type(data).__name__}")
    for key in ("vocab", *SPLITS.values()):
        if key not in data:
            raise DataError(f"{name}: key 'data.{key}': expected a field of the struct, found none "
                            f"(fields: {', '.join(sorted(data)) or 'none'})")
    words = [str(w) for w in np.ravel(np.asarray(data["vocab"], dtype=object))]
    if not words or any(not w for w in words) or len(set(words)) != len(words):
        raise DataError(f"{name}: key 'data.vocab': expected distinct non-empty words, found {len(words)} "
                        f"words, {len(set(words))} distinct")
    grams = {}
    for split, key in SPLITS.items():
        a = np.asarray(data[key])
        a = a.reshape(1, 4) if a.shape == (4,) else a      # one 4-gram, squeezed by loadmat
        if a.ndim != 2 or 4 not in a.shape or a.dtype.kind not in "iuf":
            raise DataError(f"{name}: key 'data.{key}': expected a numeric matrix 4 x n (or n x 4), "
                            f"found {a.dtype} of shape {a.shape}")
        a = a.T if a.shape[0] == 4 else a                  # 4 x n, the course's layout (4 x 4 read as it too)
        if (a != np.round(a)).any() or a.min() < 1 or a.max() > len(words):
            raise DataError(f"{name}: key 'data.{key}': expected word indices in 1..{len(words)} "
                            f"(len(vocab)), found values from {a.min():g} to {a.max():g}")
        grams[split] = a.astype(np.int64)
    return words, grams


def make_trigrams(path, settings, cache, log):
    """data2.h5 from data.mat: its vocabulary and its train / validation / test 4-grams as published."""
    fetched = fetch(_remote(cache, "trigrams", settings["url"], "mat", settings.get("sha256"), settings.get("size")),
                    log, read=read_fourgrams)
    words, grams = fetched.value
    dtype = np.uint8 if len(words) <= 255 else np.uint16
    arrays = {}
    for split, g in grams.items():
        arrays[f"{split}x"], arrays[f"{split}d"] = g[:, :3].astype(dtype), g[:, 3].astype(dtype)
    arrays["words"] = np.array([w.encode("utf-8") for w in words], dtype=bytes)
    write_h5(path, arrays)
    sizes = {split: len(g) for split, g in grams.items()}
    log(f"wrote {path}: {len(words)} words, 4-grams {sizes}")
    _record(path, "trigrams", [_file(fetched, settings["url"], "sha256 and size")], words=len(words), fourgrams=sizes)


# -------------------------------------------------------------------------- activity


def readme_path(h5_path):
    """The WISDM lab's readme.txt, written beside data3.h5 (the lab asks that it travel with the data)."""
    return Path(h5_path).with_name("WISDM_readme.txt")


def make_activity(path, settings, cache, seed, log):
    """data3.h5 from WISDM v1.1: windows of settings['steps'] samples of one user and one activity
    (m/s^2, as recorded), the users of a seeded settings['test_users'] share held out for test;
    the six classes in the course's order. The lab's readme.txt is written beside it."""
    counts = settings.get("counts")
    fetched = fetch(_remote(cache, "activity", settings["url"], "gzip", settings.get("sha256"), settings.get("size")),
                    log, read=lambda file, name: wisdm.read_archive(file, name, counts))
    records = fetched.value
    dropped = ", ".join(f"{n:,} {reason}" for reason, n in sorted(records.dropped.items())) or "none"
    log(f"{fetched.path.name}: {sum(records.counts.values()):,} records, {len(records.frame):,} kept; dropped: {dropped}")
    X, activity, user = wisdm.windows(records.frame, settings["steps"])
    test_users = wisdm.split_users(user, settings["test_users"], seed)
    label = np.array([ACTIVITY_CLASSES.index(a.lower()) for a in activity], dtype=np.int64)
    test = np.isin(user, test_users)
    arrays, windows = {}, {}
    for prefix, part in (("tr", ~test), ("tst", test)):
        missing = [c for i, c in enumerate(ACTIVITY_CLASSES) if not (label[part] == i).any()]
        if missing:
            raise DataError(f"activity: public.activity.test_users: expected every class in the training "
                            f"and the test users' windows, found no {', '.join(missing)} in the "
                            f"{'test' if prefix == 'tst' else 'training'} users' (test users {test_users})")
        arrays[f"{prefix}X"] = X[part]
        arrays[f"{prefix}Y"] = np.eye(len(ACTIVITY_CLASSES), dtype=np.float32)[label[part]]
        windows["train" if prefix == "tr" else "test"] = dict(zip(ACTIVITY_CLASSES, np.bincount(
            label[part], minlength=len(ACTIVITY_CLASSES)).tolist()))
    with atomic_path(readme_path(path)) as tmp:
        tmp.write_text(records.readme or f"(the archive {fetched.path.name} holds no readme.txt)\n")
    write_h5(path, arrays)
    log(f"wrote {path}: {int((~test).sum())} training and {int(test.sum())} test windows of "
        f"{settings['steps']} steps; test users {test_users}")
    checked = "sha256" if settings.get("sha256") else \
        "records per activity against the published counts (no published checksum; the hash found is recorded)"
    _record(path, "activity", [_file(fetched, settings["url"], checked)], steps=settings["steps"],
            records=records.counts, kept=len(records.frame), dropped=records.dropped,
            test_users=test_users, train_users=sorted(int(u) for u in np.unique(user[~test])),
            windows=windows, seed=seed)


# --------------------------------------------------------------------- the source record

FILES = ("data1", "data2", "data3")


def write_source(out, source, data_dir, log):
    """results/data/source.json: which source the course-schema files came from (demo, public or
    course) and, for public, each file's record (citation, licence, URL, sha256, what was kept)."""
    record = {"source": source, "data_dir": str(data_dir)}
    if source == "public":
        record["files"] = {name: json.loads(record_path(Path(data_dir) / f"{name}.h5").read_text())
                           for name in FILES}
    elif source == "demo":
        record["files"] = {name: {"name": text} for name, text in demo.DESCRIPTION.items()}
    write_json(out, record)
    log(f"wrote {out}: source {source} ({data_dir})")
