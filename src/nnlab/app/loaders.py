"""Readers of result files, cached on (path, mtime, size): a Loaded holds the value, or missing, or why not."""
import functools
import io
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from nnlab import models, replicates
from nnlab.errors import beside
from nnlab.io import read_npz
from nnlab.status import file_key


@dataclass(frozen=True)
class Loaded:
    path: Path
    value: Any = None
    error: str | None = None
    missing: bool = False

    @property
    def ok(self):
        return self.error is None and not self.missing

    def parsed(self, parse):
        """This file with parse(value) as its value, or unreadable for the ValueError parse raised."""
        try:
            return Loaded(self.path, value=parse(self.value)) if self.ok else self
        except ValueError as error:
            return Loaded(self.path, error=str(error))


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


parse_aggregate = replicates.read_estimates     # an aggregate.json's estimates
parse_run = replicates.run_estimates            # a lone run's metrics.json's, as its aggregate would give them


def parse_history(path):
    """A history.csv, maybe still being written (nnlab.replicates.read_history)."""
    return replicates.read_history(path, whole=False)


# The most of an experiments table the app reads (summary/<task>_experiments.csv): 200 experiments
# (nnlab.overlays.MAX_POINTS) of up to 25 variants on 2 metrics; a crafted 159 MB table took 25 s
# and 1.35 GB before.
MAX_TABLE_ROWS = 10_000
MAX_TABLE_BYTES = 16 * 2**20


def parse_experiments(path):
    """An experiments table, every cell as written (text; empty cells ""), at most MAX_TABLE_ROWS rows
    and MAX_TABLE_BYTES (attrs["cut"] when there was more). Numbers are parsed by the page, which
    names the cells that are not (a written NaN or inf included)."""
    with open(path, "rb") as f:
        raw = f.read(MAX_TABLE_BYTES + 1)
    cut = len(raw) > MAX_TABLE_BYTES
    if cut:
        raw = raw[:raw.rfind(b"\n") + 1]
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, nrows=MAX_TABLE_ROWS + 1)
    if frame.columns.empty:
        raise ValueError("no columns")
    cut = cut or len(frame) > MAX_TABLE_ROWS
    frame = frame.head(MAX_TABLE_ROWS).fillna("")      # a truncated last row's missing cells: empty
    frame.attrs["cut"] = cut
    return frame


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
    """A confusion_<split>.csv (first column the true class) -> square DataFrame (rows true, columns predicted)."""
    counts = pd.read_csv(path, index_col=0).rename_axis(None)
    numeric = all(pd.api.types.is_numeric_dtype(column) for _, column in counts.items())
    if counts.empty or not numeric or counts.isna().any().any():
        raise ValueError("expected a count in every cell, found a non-numeric or missing one")
    if counts.shape[0] != counts.shape[1]:
        raise ValueError(f"expected a square matrix, found {counts.shape[0]} x {counts.shape[1]}")
    return counts


def _safe(parse, path, *args):
    """(True, value) or (False, reason): any error only makes this one file unreadable."""
    try:
        return True, parse(path, *args)
    except Exception as error:  # noqa: BLE001 - the app must keep going; it names the file itself
        return False, beside(error, path)


@st.cache_data(show_spinner=False, max_entries=4096)
def _parsed(kind, path, key):
    return _safe(globals()[f"parse_{kind}"], path)


@st.cache_resource(show_spinner=False, max_entries=64)
def _npz(path, key, keys, optional):
    return _safe(read_npz, path, keys, optional)


def _load(path, reader):
    """Loaded from reader: the name of a parse_* function (cached as data) or a cached f(path, file key)."""
    path = Path(path)
    key = file_key(path)
    if key is None:
        return Loaded(path, missing=True)
    ok, value = _parsed(reader, str(path), key) if isinstance(reader, str) else reader(str(path), key)
    return Loaded(path, value=value) if ok else Loaded(path, error=value)


load_json = functools.partial(_load, reader="json")
load_csv = functools.partial(_load, reader="csv")
load_history = functools.partial(_load, reader="history")
load_aggregate = functools.partial(_load, reader="aggregate")
load_run = functools.partial(_load, reader="run")
load_confusion = functools.partial(_load, reader="confusion")
load_png = functools.partial(_load, reader="png")
load_experiments = functools.partial(_load, reader="experiments")


def load_npz(path, keys, optional=()):
    """Read-only arrays of `keys` and `optional` (shared between sessions: do not modify them)."""
    return _load(path, lambda p, key: _npz(p, key, tuple(keys), tuple(optional)))


@dataclass
class LoadedModel:
    model: Any
    lock: threading.Lock

    def predict_proba(self, x):
        with self.lock:         # models keep scratch buffers: one prediction at a time
            return self.model.predict_proba(x)


@st.cache_resource(show_spinner=False, max_entries=64)
def _model(path, key):
    return _safe(lambda p: LoadedModel(models.load(p), threading.Lock()), path)


load_model = functools.partial(_load, reader=_model)   # a params.npz rebuilt by nnlab.models.load
