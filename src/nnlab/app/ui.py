"""Shared Streamlit pieces: settings, messages in place of unreadable elements, tables,
charts, and the live-progress fragment."""
import contextlib
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import FragmentHandledException

from nnlab.app import loaders, settings as settings_module, state

SETTINGS_KEY = "nnlab_settings"
IDLE_POLL_SECONDS = 15.0       # Overview: how often to look for newly started jobs when none runs


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
    try:
        return str(path.relative_to(results()))
    except ValueError:
        return str(path)


@st.cache_data(show_spinner=False, max_entries=16)
def _config(path, schema, key, schema_key):
    return state.load_config(path, schema)


def config():
    """(config dict or None, message or None) of the settings' config file, cached on its mtime."""
    s = settings()
    return _config(str(s.config), str(s.schema), loaders.file_key(s.config), loaders.file_key(s.schema))


def task_states(task):
    cfg, _ = config()
    return state.task_states(results(), task, cfg)


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
        st.error(f"{what} could not be shown: {loaders.reason(error)}", icon=":material/report:")


def problem(loaded, what=None):
    """Show why `loaded` has no value (missing or unreadable), in place of its element.
    Returns True when there was a problem."""
    if loaded.ok:
        return False
    name = f"`{rel(loaded.path)}`"
    label = f"{what}: " if what else ""
    if loaded.missing:
        st.info(f"{label}{name} has not been produced yet.", icon=":material/hourglass_empty:")
    else:
        st.error(f"{label}could not read {name}: {loaded.error}", icon=":material/broken_image:")
    return True


def task_page(task, title, caption):
    """The common top of a task page: title, caption, results banner, and the task's variants.

    Returns (folder, states, by_name) with by_name {variant: VariantState}."""
    st.title(title)
    st.caption(caption)
    results_banner()
    states, message = task_states(task)
    if message:
        st.caption(f"Config: {message}")
    return results() / task, states, {v.variant: v for v in states}


def variant_hyperparameters(task, v):
    """A variant's hyper-parameters: the config's, updated from metrics.json when it is done."""
    metrics = loaders.load_json(results() / task / v.variant / "metrics.json")
    if metrics.ok and isinstance(metrics.value.get("hyperparameters"), dict):
        return {**v.hyperparameters, **metrics.value["hyperparameters"]}
    return dict(v.hyperparameters)


def results_banner():
    """A warning when the results folder does not exist; returns whether it exists."""
    folder = results()
    if folder.is_dir():
        return True
    st.warning(
        f"No results folder at `{folder}`. Run the workflow first (`make run`, or "
        "`snakemake --cores N`), or point the app at another folder: "
        "`streamlit run app.py -- --results PATH` or `NNLAB_RESULTS=PATH streamlit run app.py`.",
        icon=":material/folder_off:")
    return False


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
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
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
    return f":{colour}-badge[{icon} {name}]"


def state_table(frame, column="state"):
    """A static table whose state column is coloured by state (text stays searchable in the page)."""
    def colour(value):
        return f"background-color: {STATE_STYLE.get(value, ('', '', 'transparent'))[2]}"

    if "note" in frame.columns and not frame["note"].astype(bool).any():
        frame = frame.drop(columns="note")
    st.table(frame.style.map(colour, subset=[column]).hide(axis="index"))


def metric_row(metrics, keys, labels=None):
    """st.metric for each of `keys` present in `metrics`."""
    shown = [k for k in keys if k in metrics]
    if not shown:
        return
    for column, key in zip(st.columns(len(shown)), shown):
        column.metric((labels or {}).get(key, key.replace("_", " ")), fmt(metrics[key]))


def hyperparameter_table(hp):
    rows = [{"hyper-parameter": k, "value": fmt(v) if not isinstance(v, (list, dict)) else str(v)}
            for k, v in sorted(hp.items())]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def variant_picker(label, options, default=None, key=None, help=None):
    if not options:
        return None
    index = options.index(default) if default in options else 0
    return st.selectbox(label, options, index=index, key=key, help=help)


# ------------------------------------------------------------------------ histories


def histories(task, variants):
    """{variant: history frame} for those whose history.csv reads; and {variant: Loaded} of the rest."""
    good, bad = {}, {}
    for v in variants:
        loaded = loaders.load_history(results() / task / v / "history.csv")
        if loaded.ok and len(loaded.value):
            good[v] = loaded.value
        elif not loaded.missing:
            bad[v] = loaded
    return good, bad


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
    dashes = [[1, 0], [6, 4], [2, 2]][:len(splits)]
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
                           "scale": {"domain": splits, "range": dashes}},
        },
    }, height)


def history_problems(bad):
    for variant, loaded in bad.items():
        problem(loaded, f"{variant} curves")


def live(render, *, active, key, idle=None):
    """Run render() in a fragment that reruns every `refresh` seconds while `active`
    (every `idle` seconds otherwise, or never). Reruns only re-stat the files: the loaders
    re-read a history.csv only when its modification time changed."""
    interval = settings().refresh if active else idle
    st.fragment(render, run_every=interval, key=key)()


# ---------------------------------------------------------------------- confusion


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


def per_class_table(counts):
    """precision, recall, F1 and support per class from a confusion matrix (rows true)."""
    m = counts.to_numpy(dtype=float)
    tp = np.diag(m)
    support, predicted = m.sum(axis=1), m.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):    # 0 where a class is never predicted
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return pd.DataFrame({"class": list(map(str, counts.index)), "precision": precision, "recall": recall,
                         "F1": f1, "support": support.astype(int)})
