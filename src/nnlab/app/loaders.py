"""Readers for result files, cached on (path, modification time, size).

Each `load_*` returns a `Loaded`: `.value` when the file was read, else `.missing` (no
such file) or `.error` (a one-line reason: corrupt, truncated, wrong schema). A file that
changes on disk gets a new cache key, so a growing history.csv is re-read only when it
has grown. Arrays are read with allow_pickle=False.
"""
import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st



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


def reason(error):
    """One line: the exception type and the first line of its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _load(path, reader):
    path = Path(path)
    key = file_key(path)
    if key is None:
        return Loaded(path, missing=True)
    ok, value = reader(str(path), key)
    return Loaded(path, value=value) if ok else Loaded(path, error=value)


# ---------------------------------------------------------------- parsers (no caching)


def parse_json(path):
    text = Path(path).read_text()
    if not text.strip():
        raise ValueError("empty file")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, found {type(value).__name__}")
    return value


def parse_csv(path, index_col=None):
    frame = pd.read_csv(path, index_col=index_col)
    if frame.columns.empty:
        raise ValueError("no columns")
    return frame


def parse_history(path):
    """history.csv as numbers; a partly written last line is dropped."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise ValueError("empty file")
    if not raw.endswith(b"\n") and raw.count(b"\n") >= 1:
        raw = raw[:raw.rfind(b"\n") + 1]     # the last line is still being written
    frame = pd.read_csv(io.BytesIO(raw))
    if "epoch" not in frame.columns:
        raise ValueError(f"no 'epoch' column (found {', '.join(map(str, frame.columns)) or 'none'})")
    frame = frame.apply(pd.to_numeric, errors="coerce")
    frame = frame[frame["epoch"].notna()].reset_index(drop=True)
    frame["epoch"] = frame["epoch"].astype(int)
    return frame


def parse_npz(path):
    """Every array of an .npz, read in full (so a truncated file fails here), read-only."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


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


@st.cache_data(show_spinner=False, max_entries=2048)
def _json(path, key):
    return _safe(parse_json, path)


@st.cache_data(show_spinner=False, max_entries=512)
def _csv(path, key):
    return _safe(parse_csv, path)


@st.cache_data(show_spinner=False, max_entries=1024)
def _history(path, key):
    return _safe(parse_history, path)


@st.cache_data(show_spinner=False, max_entries=256)
def _confusion(path, key):
    return _safe(parse_confusion, path)


@st.cache_data(show_spinner=False, max_entries=512)
def _png(path, key):
    return _safe(parse_png, path)


@st.cache_resource(show_spinner=False, max_entries=64)
def _npz(path, key):
    return _safe(parse_npz, path)


@st.cache_data(show_spinner=False, max_entries=256)
def _text(path, key):
    return _safe(lambda p: Path(p).read_text(errors="replace"), path)


def load_json(path):
    return _load(path, _json)


def load_csv(path):
    return _load(path, _csv)


def load_history(path):
    return _load(path, _history)


def load_confusion(path):
    return _load(path, _confusion)


def load_png(path):
    return _load(path, _png)


def load_npz(path):
    """Read-only arrays (shared between sessions: do not modify them)."""
    return _load(path, _npz)


def load_text(path):
    return _load(path, _text)


# ------------------------------------------------------------------- trained models


@dataclass
class LoadedModel:
    model: Any
    lock: threading.Lock      # models keep scratch buffers: one prediction at a time


@st.cache_resource(show_spinner=False, max_entries=64)
def _model(kind, path, key):
    from nnlab.app import predict

    try:
        return True, LoadedModel(predict.load_model(kind, path), threading.Lock())
    except predict.Unavailable as error:
        return False, str(error)
    except Exception as error:  # noqa: BLE001
        return False, reason(error)


def load_model(kind, path):
    """A trained model of `kind` ('language_model' or 'recurrent') rebuilt from params.npz."""
    return _load(path, lambda p, key: _model(kind, p, key))
