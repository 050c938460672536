"""Readers for result files, cached on (path, modification time, size).

Each `load_*` returns a `Loaded`: `.value` when the file was read, else `.missing` (no
such file) or `.error` (a one-line reason: corrupt, truncated, wrong schema). A file that
changes on disk gets a new cache key, so a growing history.csv is re-read only when it
has grown. Arrays are read with allow_pickle=False, only the keys asked for, and only after
their declared sizes (the .npy headers inside the .npz) pass nnlab.io.MAX_ARRAY_BYTES
(nnlab.io.read_npz, as nnlab.models.load does for params.npz).
"""
import io
import json
import math
import numbers
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from nnlab import models, replicates
from nnlab.errors import reason
from nnlab.io import read_npz
from nnlab.app.state import parse_history  # noqa: F401 - one of the parsers below, by name (_parsed)

MAX_METRIC = 2**53               # a finite metric beyond this (say best_epoch 10**20) is implausible


@dataclass(frozen=True)
class Loaded:
    path: Path
    value: Any = None
    error: str | None = None
    missing: bool = False

    @property
    def ok(self):
        return self.error is None and not self.missing


def file_key(path):
    """(mtime_ns, size) of a file, or None when it does not exist."""
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


# ---------------------------------------------------------------- parsers (no caching)


def parse_json(path):
    text = Path(path).read_text()
    if not text.strip():
        raise ValueError("empty file")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value


def parse_csv(path):
    frame = pd.read_csv(path)
    if frame.columns.empty:
        raise ValueError("no columns")
    return frame


def metric_values(metrics, keys):
    """{key: value} of `keys` in a metrics.json dict: numbers (not bools; NaN and infinity are
    kept) of plausible size, or None (absent or null). Anything else raises ValueError naming
    the key."""
    out = {}
    for key in keys:
        value = metrics.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or math.isfinite(value) and abs(value) > MAX_METRIC):
            raise ValueError(f"key '{key}': expected a number, found {str(value)[:40]!r}")
        out[key] = value
    return out


ESTIMATE_KEYS = ("mean", "sd", "n", "low", "high")


def estimates(aggregate):
    """{metric: {mean, sd, n, low, high, interval}} from an aggregate.json dict (written by
    nnlab.replicates), every number checked as metric_values does; ValueError names the key."""
    metrics = aggregate.get("metrics")
    if not isinstance(metrics, dict):
        raise ValueError("no 'metrics' object")
    out = {}
    for name, entry in metrics.items():
        if not isinstance(entry, dict):
            raise ValueError(f"metric '{name}': expected an object, found {str(entry)[:40]!r}")
        try:
            values = metric_values(entry, ESTIMATE_KEYS)
        except ValueError as error:
            raise ValueError(f"metric '{name}', {error}") from None
        out[str(name)] = {**values, "interval": str(entry.get("interval") or "none")}
    return out


def run_estimates(task, record, seed=0):
    """The estimates of one run, as aggregate.json would have them for a single seed
    (nnlab.replicates.aggregate of that one record): each metric with the run's own interval
    where it has one. The task's metrics are checked as metric_values does first."""
    metric_values(record, [m.name for m in task.all_metrics])
    hp = record.get("hyperparameters")
    one = {**record, "task": task.name, "variant": "", "hyperparameters": {**(hp if isinstance(hp, dict) else {}),
                                                                            "seed": seed}}
    return estimates(replicates.aggregate([one]))


def parse_png(path):
    """The bytes of a PNG that decodes completely."""
    from PIL import Image

    data = Path(path).read_bytes()
    if not data:
        raise ValueError("empty file")
    with Image.open(io.BytesIO(data)) as image:
        image.load()
    return data


def parse_confusion(path):
    """A confusion matrix CSV -> square DataFrame of counts (rows true, columns predicted).

    Accepts a first column of class names (any header) or a header-only matrix."""
    frame = pd.read_csv(path)
    first = frame.columns[0]
    if not pd.api.types.is_numeric_dtype(frame[first]):
        frame = frame.set_index(first)
        frame.index.name = None
    elif str(first).startswith("Unnamed"):
        frame = frame.set_index(first)
    counts = frame.apply(pd.to_numeric, errors="coerce")
    if counts.isna().any().any():
        raise ValueError("non-numeric or missing counts")
    if counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"expected a square matrix, found {counts.shape[0]} x {counts.shape[1]}")
    if len(counts.index) and all(isinstance(i, (int, np.integer)) for i in counts.index):
        counts.index = list(counts.columns)
    return counts


# ------------------------------------------------------------- cached, keyed on mtime

def _safe(parse, path, *args):
    """(True, value) or (False, reason): OSError, ValueError (JSON, CSV, npz, pickle refused),
    zipfile.BadZipFile, PIL's errors... any of them only makes this one file unreadable."""
    try:
        return True, parse(path, *args)
    except Exception as error:  # noqa: BLE001 - the app must keep going
        return False, reason(error)


@st.cache_data(show_spinner=False, max_entries=4096)
def _parsed(kind, path, key):
    return _safe(globals()[f"parse_{kind}"], path)


@st.cache_resource(show_spinner=False, max_entries=64)
def _npz(path, key, keys, optional):
    return _safe(read_npz, path, keys, optional)


def _load(path, reader):
    """Loaded from reader: the name of a parse_* function above (cached as data), or a cached
    function of (path, file key)."""
    path = Path(path)
    key = file_key(path)
    if key is None:
        return Loaded(path, missing=True)
    ok, value = _parsed(reader, str(path), key) if isinstance(reader, str) else reader(str(path), key)
    return Loaded(path, value=value) if ok else Loaded(path, error=value)


def load_json(path):
    return _load(path, "json")


def load_csv(path):
    return _load(path, "csv")


def load_history(path):
    return _load(path, "history")


def load_confusion(path):
    return _load(path, "confusion")


def load_png(path):
    return _load(path, "png")


def load_npz(path, keys, optional=()):
    """Read-only arrays of `keys` and `optional` (shared between sessions: do not modify them)."""
    return _load(path, lambda p, key: _npz(p, key, tuple(keys), tuple(optional)))


# ------------------------------------------------------------------- trained models


@dataclass
class LoadedModel:
    model: Any
    lock: threading.Lock      # models keep scratch buffers: one prediction at a time


@st.cache_resource(show_spinner=False, max_entries=64)
def _model(path, key):
    return _safe(lambda p: LoadedModel(models.load(p), threading.Lock()), path)


def load_model(path):
    """A trained model rebuilt from its params.npz (nnlab.models.load), with its lock."""
    return _load(path, _model)
