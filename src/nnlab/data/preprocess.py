"""Preprocessing of the validated course arrays into what the models train on.

Splits never come out empty. `split_holdout` (autoencoder) refuses a fraction that
leaves no held-out or no training patch; `stratified_split` (recurrent) puts at least
one item of every class with two or more items into validation and keeps at least one
in training, so a small `data.validation_fraction` still gives a (small) validation set,
and refuses only when no class has two items. Refusals are one-line `DataError`s naming
the file, the key, the config option and the counts.
"""
import numpy as np

from nnlab.errors import DataError

ACTIVITY_CLASSES = ["downstairs", "jogging", "sitting", "standing", "upstairs", "walking"]
LUMINOSITY = np.array([0.2126, 0.7152, 0.0722])


def normalize_patches(rgb):
    """rgb (N, 3, H, W) -> (N, H*W) float32 in [0.1, 0.9].

    Grayscale by luminosity, subtract each patch's own mean, clip at +-3 standard
    deviations measured over all pixels of the data, map [-3 sd, 3 sd] onto [0.1, 0.9].
    """
    rgb = np.asarray(rgb, np.float64)
    gray = np.einsum("c,nchw->nhw", LUMINOSITY, rgb)
    gray = gray.reshape(len(gray), -1)
    gray -= gray.mean(axis=1, keepdims=True)
    sd = gray.std()
    if sd == 0:
        return np.full(gray.shape, 0.5, np.float32)
    clipped = np.clip(gray, -3 * sd, 3 * sd)
    return (0.1 + 0.8 * (clipped + 3 * sd) / (6 * sd)).astype(np.float32)


def _smallest_split(fraction):
    """The smallest n for which round(fraction * n) is neither 0 nor n, or None."""
    if not 0 < fraction < 1:
        return None
    start = max(2, int(0.5 / min(fraction, 1 - fraction)) - 2)
    return next((n for n in range(start, start + 100) if 0 < round(fraction * n) < n), None)


def split_holdout(n, fraction, seed, source="patches.npz", key="x"):
    """Seeded split of range(n) into (train_idx, holdout_idx), holdout = round(fraction * n).

    Both parts must be non-empty: otherwise a DataError naming `source`, `key`,
    autoencoder.holdout_fraction and the counts."""
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(fraction * n))
    if k == 0 or k == n:
        need = _smallest_split(fraction)
        enough = f" (at least {need} patches)" if need else ""
        raise DataError(
            f"{source}: key '{key}': expected at least 1 held-out and 1 training patch with "
            f"autoencoder.holdout_fraction {fraction:g}{enough}, found {n} "
            f"patch{'es' if n != 1 else ''} ({k} held out, {n - k} for training)")
    return np.sort(order[k:]), np.sort(order[:k])


def stratified_split(labels, fraction, seed, source="data3.h5", key="trY"):
    """Seeded split keeping class proportions: (train_idx, val_idx), ~fraction per class in val.

    A class of n >= 2 items gives round(fraction * n) of them to validation, but at least
    1 and at most n - 1; a class of one item stays in training. If that leaves validation
    empty (every class has a single item) a DataError names `source`, `key`,
    data.validation_fraction and the counts."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, val = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    classes, counts = np.unique(labels, return_counts=True)
    for c, n in zip(classes, counts):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = min(max(int(round(fraction * n)), 1), n - 1)
        val.append(idx[:k])
        train.append(idx[k:])
    train, val = np.sort(np.concatenate(train)), np.sort(np.concatenate(val))
    if len(val) == 0:
        raise DataError(
            f"{source}: key '{key}': expected at least 2 items in some class for a validation "
            f"split (data.validation_fraction {fraction:g}), found {len(labels)} "
            f"item{'s' if len(labels) != 1 else ''} in {len(classes)} "
            f"class{'es' if len(classes) != 1 else ''}, at most 1 per class")
    return train, val


def standardize_channels(train_x, *others):
    """Standardize (N, T, C) arrays per channel with mean and sd of train_x only.

    Returns (mean (C,), sd (C,), standardized train_x, standardized others...).
    """
    mean = train_x.mean(axis=(0, 1))
    sd = train_x.std(axis=(0, 1))
    sd = np.where(sd > 0, sd, 1.0)
    scaled = [((a - mean) / sd).astype(np.float32) for a in (train_x, *others)]
    return (mean, sd, *scaled)


def class_names(k):
    """The course's six activity names, or generic names for another class count."""
    return ACTIVITY_CLASSES if k == len(ACTIVITY_CLASSES) else [f"class{i}" for i in range(k)]


def prepare_activity(raw, val_fraction, seed, source="data3.h5"):
    """raw: dict trX (N, T, C), trY one-hot (N, K), tstX, tstY -> arrays for training.

    A seeded stratified split of the training part into train and validation (never
    empty, see stratified_split), then standardization with statistics of the (reduced)
    training part only.
    """
    y = raw["trY"].argmax(axis=1)
    y_test = raw["tstY"].argmax(axis=1)
    tr, va = stratified_split(y, val_fraction, seed, source=source, key="trY")
    mean, sd, x_tr, x_va, x_te = standardize_channels(raw["trX"][tr], raw["trX"][va], raw["tstX"])
    return {
        "x_train": x_tr, "y_train": y[tr], "x_val": x_va, "y_val": y[va],
        "x_test": x_te, "y_test": y_test, "mean": mean, "sd": sd,
        "classes": np.array(class_names(raw["trY"].shape[1])),
        "split_seed": np.array(seed), "validation_fraction": np.array(val_fraction),
    }


def resplit_activity(data, seed, source="activity.npz"):
    """The training and validation arrays of `data` (from prepare_activity) for a run with
    `seed`: as stored when seed is the one they were split with, else the same stratified split
    of their union drawn with `seed` (a replicate's own validation set; the standardization
    and the test set stay as they are)."""
    if int(data["split_seed"]) == seed:
        return data["x_train"], data["y_train"], data["x_val"], data["y_val"]
    x = np.concatenate([data["x_train"], data["x_val"]])
    y = np.concatenate([data["y_train"], data["y_val"]])
    tr, va = stratified_split(y, float(data["validation_fraction"]), seed, source=source, key="y_train")
    return x[tr], y[tr], x[va], y[va]


def prepare_trigrams(raw):
    """raw: dict from load_trigrams (1-based) -> 0-based int arrays and the vocabulary."""
    out = {}
    for split in ("train", "val", "test"):
        out[f"x_{split}"] = (raw[f"{split}x"] - 1).astype(np.int64)
        out[f"y_{split}"] = (raw[f"{split}d"] - 1).astype(np.int64)
    out["words"] = np.array(raw["words"])
    return out
