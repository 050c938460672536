"""Preprocessing of the validated course arrays into what the models train on."""
import numpy as np

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


def split_holdout(n, fraction, seed):
    """Seeded split of range(n) into (train_idx, holdout_idx), holdout = round(fraction * n)."""
    order = np.random.default_rng(seed).permutation(n)
    k = int(round(fraction * n))
    return np.sort(order[k:]), np.sort(order[:k])


def stratified_split(labels, fraction, seed):
    """Seeded split keeping class proportions: (train_idx, val_idx), ~fraction per class in val."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(fraction * len(idx)))
        val.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


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


def prepare_activity(raw, val_fraction, seed):
    """raw: dict trX (N, T, C), trY one-hot (N, K), tstX, tstY -> arrays for training.

    A seeded stratified split of the training part into train and validation, then
    standardization with statistics of the (reduced) training part only.
    """
    y = raw["trY"].argmax(axis=1)
    y_test = raw["tstY"].argmax(axis=1)
    tr, va = stratified_split(y, val_fraction, seed)
    mean, sd, x_tr, x_va, x_te = standardize_channels(raw["trX"][tr], raw["trX"][va], raw["tstX"])
    return {
        "x_train": x_tr, "y_train": y[tr], "x_val": x_va, "y_val": y[va],
        "x_test": x_te, "y_test": y_test, "mean": mean, "sd": sd,
        "classes": np.array(class_names(raw["trY"].shape[1])),
    }


def prepare_trigrams(raw):
    """raw: dict from load_trigrams (1-based) -> 0-based int arrays and the vocabulary."""
    out = {}
    for split in ("train", "val", "test"):
        out[f"x_{split}"] = (raw[f"{split}x"] - 1).astype(np.int64)
        out[f"y_{split}"] = (raw[f"{split}d"] - 1).astype(np.int64)
    out["words"] = np.array(raw["words"])
    return out
