"""Seeded, deterministic demo files in exactly the course schema.

Built only from what ships with the environment, so the workflow runs without the
course files:

    make_patches    data1.h5  16x16 RGB patches of matplotlib's `grace_hopper.jpg`
    make_trigrams   data2.h5  4-grams of English text from Python's `pydoc_data`
    make_activity   data3.h5  simulated tri-axial accelerometer windows (units of g)

Every function writes its file atomically (`nnlab.io.atomic_path`), takes all its
randomness from `np.random.default_rng(seed)` and returns nothing.
"""
import collections
import re
from dataclasses import dataclass

import numpy as np

from nnlab.io import write_h5

PATCH = 16
# What each file is, as the app's Data page names it (results/data/source.json).
DESCRIPTION = {
    "data1": "demo: 16x16 patches of matplotlib's sample photograph grace_hopper.jpg",
    "data2": "demo: 4-grams of the English help text that ships with Python (pydoc_data)",
    "data3": "demo: simulated tri-axial accelerometer windows of six activities",
}


# --------------------------------------------------------------------------- patches


def _photo():
    """matplotlib's bundled photo as float32 (H, W, 3) in [0, 1]."""
    import matplotlib.cbook
    import matplotlib.image

    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    image = np.asarray(matplotlib.image.imread(path))[..., :3]
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return image.astype(np.float32)


def downsample(image, factor):
    """Average non-overlapping factor x factor blocks: (H, W, 3) -> (H//f, W//f, 3)."""
    h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:h, :w].reshape(h // factor, factor, w // factor, factor, 3)
    return blocks.mean(axis=(1, 3))


def cut_patches(rng, image, n):
    """n random 16x16 patches of a (H, W, 3) image -> (n, 3, 16, 16)."""
    rows = rng.integers(0, image.shape[0] - PATCH + 1, size=n)
    cols = rng.integers(0, image.shape[1] - PATCH + 1, size=n)
    offsets = np.arange(PATCH)
    r = rows[:, None, None] + offsets[None, :, None]
    c = cols[:, None, None] + offsets[None, None, :]
    return image[r, c].transpose(0, 3, 1, 2)  # (n, 16, 16, 3) -> (n, 3, 16, 16)


def make_patches(path, n=10240, seed=0, scales=(1, 2, 4)):
    """Write `data` float32 (n, 3, 16, 16) in [0, 1]: random patches of the photo.

    Each patch is cut at a random position from the photo downsampled by a random
    factor in `scales` (block means), so fine and coarse structure both appear.
    """
    rng = np.random.default_rng(seed)
    photo = _photo()
    which = rng.integers(0, len(scales), size=n)
    data = np.empty((n, 3, PATCH, PATCH), dtype=np.float32)
    for i, factor in enumerate(scales):
        idx = np.flatnonzero(which == i)
        data[idx] = cut_patches(rng, downsample(photo, factor), idx.size)
    write_h5(path, {"data": np.clip(data, 0.0, 1.0)})


# -------------------------------------------------------------------------- trigrams

# Lower-cased words (with one inner apostrophe: "don't", "python's"), runs of digits,
# and every other non-space character as a one-character punctuation token.
TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+|[^\sa-z0-9]")


def _documents():
    """The English text that ships with Python: one string per pydoc topic, by name."""
    from pydoc_data.topics import topics

    return [topics[name] for name in sorted(topics)]


def _tokenize(text):
    return TOKEN.findall(text.lower())


def _vocabulary(docs, size):
    """The `size` most frequent tokens (ties by token), sorted alphabetically."""
    counts = collections.Counter(tok for doc in docs for tok in doc)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return sorted(tok for tok, _ in ranked[:size])


def _four_grams(docs, index):
    """All 4 consecutive in-vocabulary tokens within one document -> int (n, 4), 1-based."""
    grams = []
    for doc in docs:
        ids = np.array([index.get(tok, 0) for tok in doc], dtype=np.int64)
        if ids.size < 4:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(ids, 4)
        grams.append(windows[(windows > 0).all(axis=1)])
    return np.concatenate(grams)


def make_trigrams(path, vocab_size=250, seed=0):
    """Write trainx/valx/testx (n, 3), traind/vald/testd (n,) and words (V,) bytes.

    Indices are 1-based into `words` (uint8 when V <= 255, else uint16); the 4-grams
    are shuffled and split 80/10/10 into train/val/test.
    """
    rng = np.random.default_rng(seed)
    docs = [_tokenize(text) for text in _documents()]
    words = _vocabulary(docs, vocab_size)
    grams = _four_grams(docs, {w: i + 1 for i, w in enumerate(words)})
    grams = grams[rng.permutation(len(grams))]
    grams = grams.astype(np.uint8 if len(words) <= 255 else np.uint16)
    n_train, n_val = round(0.8 * len(grams)), round(0.1 * len(grams))
    parts = np.split(grams, [n_train, n_train + n_val])
    arrays = {}
    for split, part in zip(("train", "val", "test"), parts):
        arrays[f"{split}x"] = part[:, :3]
        arrays[f"{split}d"] = part[:, 3]
    arrays["words"] = np.array([w.encode("utf-8") for w in words], dtype=bytes)
    write_h5(path, arrays)


# -------------------------------------------------------------------------- activity

CLASSES = ("downstairs", "jogging", "sitting", "standing", "upstairs", "walking")
RATE_HZ = 20.0
N_SUBJECTS = 30


@dataclass(frozen=True)
class Gait:
    """How one activity moves the phone (body frame: x lateral, y up, z forward).

    freq: step frequency in Hz; vertical: amplitude in g of the vertical bounce;
    harmonics: relative amplitudes of step harmonics 1, 2, 3; phase2: phase of the
    2nd harmonic (0 gives sharp upward impact peaks, pi sharp troughs: vertical
    asymmetry); forward, lateral: amplitudes in g (lateral sways at stride = freq/2);
    pitch: forward lean of the upright phone in degrees.
    """

    freq: float
    vertical: float
    harmonics: tuple
    phase2: float
    forward: float
    lateral: float
    pitch: float


STILL = Gait(0.0, 0.0, (0.0, 0.0, 0.0), 0.0, 0.0, 0.0, 0.0)
GAITS = {
    "downstairs": Gait(1.75, 0.42, (1.0, 0.55, 0.30), 0.3, 0.20, 0.12, -6.0),
    "jogging": Gait(2.75, 1.00, (1.0, 0.45, 0.25), 0.0, 0.45, 0.25, 8.0),
    "sitting": STILL,
    "standing": STILL,
    "upstairs": Gait(1.65, 0.36, (1.0, 0.30, 0.12), 2.6, 0.24, 0.12, 9.0),
    "walking": Gait(1.90, 0.40, (1.0, 0.40, 0.18), 0.8, 0.20, 0.10, 2.0),
}
# Unit gravity direction in the body frame for each posture (phone in a trouser
# pocket: upright when standing or moving, nearly flat along the thigh when sitting).
POSTURES = {name: (0.0, 1.0, 0.0) for name in CLASSES}
POSTURES["sitting"] = (0.15, 0.30, 0.94)


def _rotations(rng, n, sigma_deg):
    """n random rotations (n, 3, 3): uniform axis, angle ~ N(0, sigma_deg)."""
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.deg2rad(sigma_deg) * rng.normal(size=n)
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def _pitch(deg):
    """Rotations about the lateral (x) axis by `deg` (n,) degrees -> (n, 3, 3)."""
    a = np.deg2rad(deg)
    r = np.zeros((len(a), 3, 3))
    r[:, 0, 0] = 1.0
    r[:, 1, 1], r[:, 1, 2] = np.cos(a), -np.sin(a)
    r[:, 2, 1], r[:, 2, 2] = np.sin(a), np.cos(a)
    return r


def _class_table(labels, field):
    """Per-window value of a Gait field: labels (n,) -> (n,) or (n, k)."""
    table = np.array([getattr(GAITS[name], field) for name in CLASSES], dtype=float)
    return table[labels]


def _subjects(rng):
    """Per-subject traits: amplitude and frequency scale, body rotation, 2nd-harmonic phase."""
    return {
        "amp": rng.lognormal(0.0, 0.25, N_SUBJECTS),
        "freq": rng.lognormal(0.0, 0.08, N_SUBJECTS),
        "rot": _rotations(rng, N_SUBJECTS, 18.0),
        "phase2": rng.normal(0.0, 0.6, N_SUBJECTS),
    }


def _gait_phase(rng, freq, steps):
    """Step phase theta (n, T) in radians: random start, slowly drifting cadence."""
    n = len(freq)
    drift = np.cumsum(rng.normal(0.0, 0.01, (n, steps)), axis=1)
    inst = freq[:, None] * np.exp(drift)
    return rng.uniform(0, 2 * np.pi, (n, 1)) + 2 * np.pi * np.cumsum(inst, axis=1) / RATE_HZ


def _body_motion(rng, labels, subject, traits, steps):
    """Dynamic acceleration in the body frame, g: (n, T, 3) (lateral, vertical, forward)."""
    n = len(labels)
    s = subject
    amp = traits["amp"][s] * rng.lognormal(0.0, 0.15, n)
    freq = _class_table(labels, "freq") * traits["freq"][s] * rng.lognormal(0.0, 0.05, n)
    theta = _gait_phase(rng, freq, steps)
    harm = _class_table(labels, "harmonics") * rng.lognormal(0.0, 0.2, (n, 3))
    phase2 = _class_table(labels, "phase2") + traits["phase2"][s]
    phases = np.stack([np.zeros(n), phase2, rng.uniform(0, 2 * np.pi, n)], axis=1)
    vertical = sum(harm[:, h, None] * np.cos((h + 1) * theta + phases[:, h, None])
                   for h in range(3))
    forward = np.cos(theta + np.pi / 2 + rng.normal(0.0, 0.4, (n, 1)))
    lateral = np.cos(theta / 2 + rng.uniform(0, 2 * np.pi, (n, 1)))
    motion = np.stack([_class_table(labels, "lateral")[:, None] * lateral,
                       _class_table(labels, "vertical")[:, None] * vertical,
                       _class_table(labels, "forward")[:, None] * forward], axis=2)
    return amp[:, None, None] * motion


def _fidget(rng, n, steps):
    """Small slow sway of a resting body, g: (n, T, 3)."""
    t = np.arange(steps) / RATE_HZ
    freq = rng.uniform(0.05, 0.6, (n, 1, 3))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 3))
    amp = rng.uniform(0.0, 0.04, (n, 1, 3))
    return amp * np.sin(2 * np.pi * freq * t[None, :, None] + phase)


def _windows(rng, labels, traits, steps):
    """Simulated sensor windows (n, T, 3) in g for the given class labels (n,)."""
    n = len(labels)
    subject = rng.integers(0, N_SUBJECTS, n)
    gravity = np.array([POSTURES[name] for name in CLASSES])[labels]
    gravity /= np.linalg.norm(gravity, axis=1, keepdims=True)
    body = gravity[:, None, :] + _body_motion(rng, labels, subject, traits, steps)
    body += _fidget(rng, n, steps)
    lean = _pitch(_class_table(labels, "pitch") + rng.normal(0.0, 4.0, n))
    rot = traits["rot"][subject] @ _rotations(rng, n, 8.0) @ lean
    x = np.einsum("nij,ntj->nti", rot, body)
    x += rng.normal(0.0, 0.03, x.shape)  # sensor noise
    return x.astype(np.float32)


def _balanced_labels(rng, n):
    """n class labels, each class n/6 times (+-1), shuffled."""
    return rng.permutation(np.arange(n) % len(CLASSES))


def _one_hot(labels):
    return np.eye(len(CLASSES), dtype=np.float32)[labels]


def make_activity(path, n_train=3000, n_test=600, T=150, seed=0):
    """Write trX (n_train, T, 3), trY (n_train, 6), tstX (n_test, T, 3), tstY (n_test, 6).

    Windows are T samples at 20 Hz of a simulated phone accelerometer in a trouser
    pocket, in units of g (gravity included, so a resting phone reads norm ~1).
    Classes in order: downstairs, jogging, sitting, standing, upstairs, walking.
    Each window belongs to one of 30 simulated subjects, who differ in amplitude,
    cadence, gait shape and how the phone sits in the pocket (a small rotation of
    gravity plus motion); each window adds its own jitter and sensor noise.
    """
    rng = np.random.default_rng(seed)
    traits = _subjects(rng)
    arrays = {}
    for prefix, n in (("tr", n_train), ("tst", n_test)):
        labels = _balanced_labels(rng, n)
        arrays[f"{prefix}X"] = _windows(rng, labels, traits, T)
        arrays[f"{prefix}Y"] = _one_hot(labels)
    write_h5(path, arrays)
