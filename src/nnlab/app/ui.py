"""Shared Streamlit pieces: settings, Markdown-safe text, messages in place of unreadable
elements, the parts every task page has (header, curves, metrics), tables and charts."""
import contextlib
import logging
import math
import re
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import FragmentHandledException

from nnlab.app import loaders, settings as settings_module, state

SETTINGS_KEY = "nnlab_settings"
IDLE_POLL_SECONDS = 15.0       # Overview: how often to look for newly started jobs when none runs
WAIT = ":material/hourglass_empty:"
BROKEN = ":material/broken_image:"
LOSS = [("train_loss", "train"), ("val_loss", "validation")]
ACCURACY = [("train_accuracy", "train"), ("val_accuracy", "validation")]


# ------------------------------------------------------------------------- settings


def settings():
    """The Settings app.py stored for this session (resolved from the environment otherwise)."""
    value = st.session_state.get(SETTINGS_KEY)
    if value is None:
        value = settings_module.resolve(Path(__file__).resolve().parents[3])
        st.session_state[SETTINGS_KEY] = value
    return value


def results():
    return settings().results


def rel(path):
    """A path as shown to the user: relative to the results folder when inside it."""
    path = Path(path)
    return str(path.relative_to(results())) if path.is_relative_to(results()) else str(path)


@st.cache_data(show_spinner=False, max_entries=16)
def _config(path, schema, key, schema_key):
    return state.load_config(path, schema)


def config():
    """(config dict or None, message or None) of the settings' config file, cached on its mtime."""
    s = settings()
    return _config(str(s.config), str(s.schema), loaders.file_key(s.config), loaders.file_key(s.schema))


# ------------------------------------------------------------- text from files or users

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.I)   # where GFM would start a bare link
JOINER = "\u2060"    # an invisible word joiner there keeps a URL or e-mail address plain text


def md(text, code=False):
    """Text that comes from a file or from the user, made safe to put into Markdown: shown
    literally, never as markup, images or links. code=True: as an inline code span."""
    text = " ".join(str(text).splitlines())
    if not code:
        return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(JOINER, text))
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


# ------------------------------------------------------------------------- messages


@contextlib.contextmanager
def guard(what):
    """Run one section of a page; an unexpected error (say a result file with an unexpected
    layout) becomes a message in place of that section, and the rest of the page still runs."""
    try:
        yield
    except FragmentHandledException:
        raise
    except Exception as error:  # noqa: BLE001 - Streamlit's rerun/stop are BaseExceptions and pass
        logging.getLogger(__name__).exception("%s could not be shown", what)
        st.error(f"{what} could not be shown: {md(loaders.reason(error))}", icon=":material/report:")


def section(title, render, *args):
    """A page section: its header, then render(*args), confined by guard()."""
    st.header(title)
    with guard(title):
        render(*args)


def problem(loaded, what=None):
    """Show why `loaded` has no value (missing or unreadable), in place of its element.
    Returns True when there was a problem."""
    if loaded.ok:
        return False
    label = f"{md(what)}: " if what else ""
    if loaded.missing:
        st.info(f"{label}{md(rel(loaded.path), code=True)} has not been produced yet.", icon=WAIT)
    else:
        st.error(f"{label}could not read {md(rel(loaded.path), code=True)}: {md(loaded.error)}", icon=BROKEN)
    return True


def results_banner():
    """A warning when the results folder does not exist; returns whether it exists."""
    folder = results()
    if folder.is_dir():
        return True
    st.warning(
        f"No results folder at {md(folder, code=True)}. Run the workflow first (`make run`, or "
        "`snakemake --cores N`), or point the app at another folder: "
        "`streamlit run app.py -- --results PATH` or `NNLAB_RESULTS=PATH streamlit run app.py`.",
        icon=":material/folder_off:")
    return False


# ----------------------------------------------------------------------- task pages


@dataclass
class TaskPage:
    """One task's variants (VariantState, config order) in the results folder."""
    task: str
    states: list

    @property
    def folder(self):
        return results() / self.task

    @cached_property
    def by_name(self):
        return {v.variant: v for v in self.states}

    @cached_property
    def done(self):
        return [v.variant for v in self.states if v.state == "done"]

    def metrics(self, name):
        return loaders.load_json(self.folder / name / "metrics.json")

    def values(self, name, keys):
        """Loaded: the numbers of `keys` in metrics.json (loaders.metric_values), or why not."""
        loaded = self.metrics(name)
        if not loaded.ok:
            return loaded
        try:
            return loaders.Loaded(loaded.path, value=loaders.metric_values(loaded.value, keys))
        except ValueError as error:
            return loaders.Loaded(loaded.path, error=f"unreadable metrics: {error}")

    def hyperparameters(self, name):
        """The config's hyper-parameters, updated from metrics.json when it has them."""
        metrics = self.metrics(name)
        saved = metrics.value.get("hyperparameters") if metrics.ok else None
        return {**self.by_name[name].hyperparameters, **(saved if isinstance(saved, dict) else {})}


def task_page(task, title, caption):
    """The top of a task page: title, caption, results banner; its variants as a TaskPage."""
    st.title(title)
    st.caption(caption)
    results_banner()
    cfg, _ = config()
    states, message = state.task_states(results(), task, cfg)
    if message:
        st.caption(f"Config: {md(message)}")
    if not states:
        st.info(f"No {state.TASKS[task].title.lower()} variants: the config defines none and the results "
                "folder holds none.", icon=WAIT)
    return TaskPage(task, states)


def training_sections(page, prefix, draw, keys, columns):
    """The sections every trained task's page starts with: its curves (drawn by draw(frames))
    and its metrics table (columns(name) then metrics.json's `keys`)."""
    section("Training curves", curves_section, page, f"{prefix}-curves", draw)
    section("Metrics", metrics_section, page, keys, columns, f"{prefix}-summary-download")


def curves_section(page, key, draw):
    """Training curves of the variants picked (those with a history.csv): draw(frames) inside a
    fragment that re-checks the files while any of them runs."""
    names = [v.variant for v in page.states if (page.folder / v.variant / "history.csv").exists()]
    if not names:
        st.info("No variant has a history.csv yet.", icon=WAIT)
        return
    chosen = st.multiselect("Variants", names, default=names, key=key)
    live(lambda: curves(page.task, chosen, draw), active=any(page.by_name[n].state == "running" for n in chosen),
         key=f"{key}-live")


def curves(task, names, draw):
    """draw({variant: history frame}) after a message for each history.csv that does not read."""
    frames = {}
    for name in names:
        loaded = loaders.load_history(results() / task / name / "history.csv")
        if not problem(loaded, f"{name} curves"):
            frames[name] = loaded.value
    draw(frames)


def metrics_section(page, keys, columns, key):
    """One row per done variant: columns(name) then the metrics.json values of `keys`. A variant
    whose metrics.json does not read, or holds something else than numbers, is reported as
    unreadable in place; the others are shown as usual."""
    if not page.done:
        st.info("No variant has finished yet.", icon=WAIT)
        return
    rows = []
    for name in page.done:
        loaded = page.values(name, keys)
        if not problem(loaded, f"{name} metrics"):
            rows.append({"variant": name, **columns(name), **loaded.value})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={k: st.column_config.NumberColumn(format="%.4f")
                                    for k in keys if "accuracy" in k or "entropy" in k})
    summary = results() / "summary" / f"{page.task}.csv"
    if summary.exists():
        csv_download(summary, f"Download {page.task}.csv", key=key)


def image(path, caption=None, what=None, width="stretch"):
    loaded = loaders.load_png(path)
    if not problem(loaded, what):
        st.image(loaded.value, caption=caption, width=width)


def csv_download(path, label="Download CSV", key=None):
    try:
        data = Path(path).read_bytes()
    except OSError:
        return
    st.download_button(label, data=data, file_name=Path(path).name, mime="text/csv", key=key,
                       on_click="ignore", icon=":material/download:")


# --------------------------------------------------------------------- formatting


def fmt(value, digits=4):
    if value is None or isinstance(value, bool):
        return "–" if value is None else str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}" if math.isfinite(value) else str(value)
    return str(value)


def when(timestamp):
    return "–" if timestamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


STATE_STYLE = {   # icon, badge colour, table cell background
    "done": (":material/check_circle:", "green", "#d5f5dd"),
    "running": (":material/progress_activity:", "blue", "#d7e8ff"),
    "failed": (":material/error:", "red", "#ffd9d9"),
    "interrupted": (":material/pause_circle:", "orange", "#fff0c4"),
    "not started": (":material/radio_button_unchecked:", "gray", "#eeeeee"),
}


def state_badge(name):
    """A coloured Markdown badge for a variant state."""
    icon, colour, _ = STATE_STYLE.get(name, ("", "gray", ""))
    return f":{colour}-badge[{icon} {md(name)}]"


def state_table(frame, column="state"):
    """A static table whose state column is coloured by state (text stays searchable in the page)."""
    def colour(value):
        return f"background-color: {STATE_STYLE.get(value, ('', '', 'transparent'))[2]}"

    if "note" in frame.columns and not frame["note"].astype(bool).any():
        frame = frame.drop(columns="note")
    st.table(frame.style.map(colour, subset=[column]).hide(axis="index"))


def metric_row(metrics, labels):
    """st.metric for each key of `labels` ({key: label}) present in `metrics`."""
    shown = [k for k in labels if k in metrics]
    for column, key in zip(st.columns(len(shown)) if shown else [], shown):
        column.metric(labels[key], fmt(metrics[key]))


def hyperparameter_table(hp):
    rows = [{"hyper-parameter": k, "value": fmt(v) if not isinstance(v, (list, dict)) else str(v)}
            for k, v in sorted(hp.items())]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def variant_picker(label, options, default=None, key=None, help=None):
    if not options:
        return None
    index = options.index(default) if default in options else 0
    return st.selectbox(label, options, index=index, key=key, help=help)


# ------------------------------------------------------------------------ charts


def long_curves(frames, columns):
    """frames {variant: history}; columns [(column, label)] -> long frame epoch, value, variant, split."""
    parts = []
    for variant, frame in frames.items():
        for column, label in columns:
            if column in frame.columns and frame[column].notna().any():
                part = frame[["epoch", column]].dropna().rename(columns={column: "value"})
                part["variant"], part["split"] = variant, label
                parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["epoch", "value", "variant", "split"])
    return pd.concat(parts, ignore_index=True)


def chart(data, spec, height=280):
    """A Vega-Lite chart from a plain spec (no Altair: building specs as dicts is fast).
    `height` is the plotting area's: the width fits the container, axes and legends come on top."""
    spec = {"height": height, "autosize": {"type": "fit-x", "contains": "padding"},
            "config": {"legend": {"orient": "bottom", "columns": 4, "labelLimit": 240}}, **spec}
    st.vega_lite_chart(data, spec, width="stretch")


def curves_chart(frames, columns, title, y_title, height=240, log_scale=False):
    """Overlaid curves (color: variant, dash: split); a caption when there is nothing to draw."""
    data = long_curves(frames, columns)
    if data.empty:
        st.caption(f"{title}: no values recorded yet.")
        return
    scale = {"type": "log"} if log_scale and (data["value"] > 0).all() else {"zero": False}
    splits = [label for _, label in columns if label in set(data["split"])]
    subtitle = ", ".join(f"{s}: {style}" for s, style in zip(splits, ["solid", "dashed", "dotted"]))
    chart(data, {
        "title": {"text": title, "subtitle": subtitle if len(splits) > 1 else ""},
        "mark": {"type": "line", "point": {"size": 25}, "tooltip": True},
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": "epoch",
                  "scale": {"zero": False, "nice": False}, "axis": {"tickMinStep": 1, "format": "d"}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": scale},
            "color": {"field": "variant", "type": "nominal", "title": None},
            "strokeDash": {"field": "split", "type": "nominal", "legend": None,
                           "scale": {"domain": splits, "range": [[1, 0], [6, 4], [2, 2]][:len(splits)]}},
        },
    }, height)


def live(render, *, active, key, idle=None):
    """Run render() in a fragment that reruns every `refresh` seconds while `active`
    (every `idle` seconds otherwise, or never). Reruns only re-stat the files: the loaders
    re-read a history.csv only when its modification time changed."""
    st.fragment(render, run_every=settings().refresh if active else idle, key=key)()


def confusion_chart(counts, title):
    """Heatmap of a confusion matrix (rows true, columns predicted): counts, colour by row share."""
    frame = counts.copy()
    frame.index, frame.columns = list(map(str, frame.index)), list(map(str, frame.columns))
    frame.index.name, frame.columns.name = "true", "predicted"
    long = frame.stack().rename("count").reset_index()
    totals = long.groupby("true")["count"].transform("sum").replace(0, np.nan)
    long["share"] = (long["count"] / totals).fillna(0.0)
    order = list(frame.columns)
    axes = {"x": {"field": "predicted", "type": "nominal", "sort": order,
                  "axis": {"labelAngle": -40, "labelOverlap": False}},
            "y": {"field": "true", "type": "nominal", "sort": order, "axis": {"labelOverlap": False}}}
    chart(long, {
        "title": title,
        "layer": [
            {"mark": {"type": "rect", "tooltip": True},
             "encoding": {**axes, "color": {"field": "share", "type": "quantitative", "title": "share of row",
                                            "scale": {"scheme": "blues", "domain": [0, 1]}}}},
            {"mark": {"type": "text", "fontSize": 12},
             "encoding": {**axes, "text": {"field": "count", "type": "quantitative"},
                          "color": {"condition": {"test": "datum.share > 0.5", "value": "white"},
                                    "value": "black"}}},
        ],
    }, 30 * len(order))
