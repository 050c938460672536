"""What every page shares: settings, Markdown-safe text, messages in place of unreadable files, intervals, tables."""
import contextlib
import dataclasses
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.errors import FragmentHandledException

from nnlab import colours as nnlab_colours, config as nnlab_config, status
from nnlab.errors import ConfigError, reason
from nnlab.app import loaders, settings as settings_module
from nnlab.wording import ci_text, has_interval, how, level, sd_text, span

SETTINGS_KEY = "nnlab_settings"
PAGES_KEY = "nnlab_pages"        # {task: its st.Page}, stored by app.py for links to the task pages
IDLE_POLL_SECONDS = 15.0       # Overview: how often to look for newly started jobs when none runs
WAIT = ":material/hourglass_empty:"
BROKEN = ":material/broken_image:"


def settings():
    """The Settings app.py stored for this session (resolved from the environment otherwise)."""
    if SETTINGS_KEY not in st.session_state:
        st.session_state[SETTINGS_KEY] = settings_module.resolve(Path(__file__).resolve().parents[3])
    return st.session_state[SETTINGS_KEY]


def results():
    return settings().results


def rel(path):
    """A path as shown to the user: a code span, relative to the results folder when inside it."""
    path = Path(path)
    return md(path.relative_to(results()) if path.is_relative_to(results()) else path, code=True)


@st.cache_data(show_spinner=False, max_entries=16)
def _config(path, key, schema_key):
    try:
        return nnlab_config.read(Path(path)), None      # the workflow would not run a config it refuses
    except ConfigError as error:
        return None, str(error)


def config():
    """(config dict or None, message or None) of the settings' config file, cached on its and the schema's mtime."""
    path = settings().config
    return _config(str(path), status.file_key(path), status.file_key(nnlab_config.SCHEMA))


def colours(task, extra=()):
    """{variant: colour} of a task (nnlab.colours, registry order of the settings' config), `extra` names (an
    experiment's, a results folder's own) after them: the one colour of a variant on every chart and page."""
    cfg, _ = config()
    return nnlab_colours.task_colours(cfg, task, tuple(extra))


def label_colours(task, labels, variant_of=lambda label: label.split(" · seed ")[0]):
    """{label: its variant's colour} for chart labels ("gru-full · seed 3") that name a variant."""
    labels = list(labels)
    found = colours(task, [variant_of(label) for label in labels])
    return {label: found[variant_of(label)] for label in labels}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.I)   # where GFM would start a bare link
JOINER = "\u2060"    # an invisible word joiner there keeps a URL or e-mail address plain text


def md(text, code=False):
    """Text from a file or the user, shown literally in Markdown (never markup, images or links); code: a code span."""
    text = " ".join(str(text).splitlines())
    if not code:
        return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(JOINER, text))
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


@contextlib.contextmanager
def guard(what):
    """Run one section of a page: an unexpected error becomes a message in its place, and the page goes on."""
    try:
        yield
    except FragmentHandledException:
        raise
    except Exception as error:  # noqa: BLE001 - Streamlit's rerun/stop are BaseExceptions and pass
        logging.getLogger(__name__).exception("%s could not be shown", what)
        st.error(f"{what} could not be shown: {md(reason(error))}", icon=":material/report:")


def section(title, render, *args):
    """A page section: its header, then render(*args), confined by guard()."""
    st.header(title)
    with guard(title):
        render(*args)


def problem(loaded, what=None):
    """Show why `loaded` has no value (missing or unreadable) in place of its element; True when it has none."""
    if loaded.ok:
        return False
    label = f"{md(what)}: " if what else ""
    if loaded.missing:
        st.info(f"{label}{rel(loaded.path)} has not been produced yet.", icon=WAIT)
    else:
        st.error(f"{label}could not read {rel(loaded.path)}: {md(loaded.error)}", icon=BROKEN)
    return True


def intro(title, caption):
    """A page's title and caption, then a warning when the results folder does not exist; whether it does."""
    st.title(title)
    st.caption(caption)
    folder = results()
    if folder.is_dir():
        return True
    st.warning(
        f"No results folder at {md(folder, code=True)}. Run the workflow first (`make run`, or "
        "`snakemake --cores N`), or point the app at another folder: "
        "`streamlit run app.py -- --results PATH` or `NNLAB_RESULTS=PATH streamlit run app.py`.",
        icon=":material/folder_off:")
    return False


def table_file(path, needed, what):
    """The CSV table at `path` when it has the columns `needed`; else None, after saying why not."""
    loaded = loaders.load_csv(path)
    if loaded.ok and (missing := [c for c in needed if c not in loaded.value.columns]):
        loaded = loaders.Loaded(loaded.path, error=f"no column(s) {', '.join(missing)}")
    if loaded.missing:
        st.info(f"{rel(loaded.path)} has not been produced yet: it is written when every "
                "variant of the task is done.", icon=WAIT)
        return None
    return None if problem(loaded, what) else loaded.value


FIRST_COLUMNS = ("experiment", "variant", "a", "b", "metric", "answer", "difference", "low", "high", "p", "p_holm",
                 "real", "seeds")
HEADERS = {"a": "A", "b": "B", "p_holm": "Holm-adjusted p", "real": "real difference", "difference": "difference (A − B)",
           "low": "95% low", "high": "95% high"}


def header(column, evaluation_set="test set"):
    """A readable header for a results-table column: "p_holm" -> "Holm-adjusted p", "test_set_low" ->
    "test set: 95% low" (the test_set_ columns named by the task's evaluation set: "held-out patches: 95% low")."""
    if column.startswith("test_set_"):
        return f"{evaluation_set}: " + header(column[len("test_set_"):])
    return HEADERS.get(column, column.replace("_", " "))


def whole_table(label, path, table, key, evaluation_set="test set", **column_config):
    """A results table with an `answer` column under an expander, with its download button: the names first
    (experiment, variant, A, B, metric), then the answer and its numbers, readable headers (the test_set_
    columns named by `evaluation_set`, the task's)."""
    order = [c for c in FIRST_COLUMNS if c in table.columns] + [c for c in table.columns if c not in FIRST_COLUMNS]
    config = {c: st.column_config.Column(header(c, evaluation_set)) for c in order}
    config["answer"] = st.column_config.TextColumn("answer", width="large")
    with st.expander(f"{label} ({len(table)} rows of {rel(path)})"):
        st.dataframe(table[order], hide_index=True, width="stretch", key=key,
                     column_config={**config, **column_config})
        csv_download(path, key=f"{key}-download")


INTERVALS_CAPTION = ("Values: the mean over a variant's seeds, with its 95% confidence interval; **t, k seeds**: "
                     "a t interval over the k seeds' values; **test set** (one seed): the run's own interval on "
                     "that set (Wilson for accuracies, normal over the per-sample losses for cross-entropies and "
                     "the held-out MSE); likewise **validation set**, **training set** and **held-out set**.")


def estimate_row(task, estimates, names):
    """st.metric for each metric of `names` in `estimates`, its interval and how beneath."""
    shown = [n for n in names if n in estimates]
    for column, name in zip(st.columns(len(shown)) if shown else [], shown):
        e, metric = estimates[name], task.metric(name)
        column.metric(metric.label, level(metric, e["mean"]))
        interval = ci_text(metric, e) if has_interval(e) else "no interval"
        column.caption(" · ".join(filter(None, [sd_text(e, metric).strip(), interval])))


def estimates_table(task, estimates):
    """One variant's metrics: value (± sd), 95% CI and how it was computed, one row each."""
    rows = []
    for name, e in estimates.items():
        metric = task.metric(name, plain=True)
        if metric.kind == "value" and name.endswith("accuracy"):       # a share the registry does not list
            metric = dataclasses.replace(metric, kind="accuracy")      # in percent too
        rows.append({"metric": metric.label, "key": name,
                     "value": level(metric, e["mean"], 4) + sd_text(e, metric), "95% CI": span(e, 4, metric),
                     "computed as": how(metric, e) or "no interval"})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def metric_columns(task, frame):
    """st.column_config for summary/<task>.csv: a label per metric, accuracies as percentages, bounds beside."""
    config = {}
    for metric in task.all_metrics:
        number_format = "percent" if metric.is_accuracy else "%.4g"
        config[metric.name] = st.column_config.NumberColumn(metric.label, format=number_format)
        for end, label in (("_sd", "sd"), ("_low", "95% low"), ("_high", "95% high")):
            config[metric.name + end] = st.column_config.NumberColumn(f"{metric.label}: {label}", format=number_format)
        config[f"{metric.name}_interval"] = st.column_config.TextColumn(f"{metric.label}: interval")
    return {k: v for k, v in config.items() if k in frame.columns}


def image(path, caption=None, what=None, width="stretch"):
    loaded = loaders.load_png(path)
    if not problem(loaded, what):
        st.image(loaded.value, caption=caption, width=width)


def random_button(column, n, pick, **kwargs):
    """A "Random" button: pick(i) with a random i < n, before the page reruns."""
    column.button("Random", on_click=lambda: pick(int(np.random.default_rng().integers(n))),
                  icon=":material/casino:", **kwargs)


def csv_download(path, key=None):
    """A download button for the CSV file at `path`, read when the button is clicked."""
    path = Path(path)
    st.download_button(f"Download {path.name}", data=path.read_bytes, file_name=path.name, mime="text/csv", key=key,
                       on_click="ignore", icon=":material/download:")


STATE_STYLE = {   # icon, badge colour, table cell background
    "done": (":material/check_circle:", "green", "#d5f5dd"),
    "running": (":material/progress_activity:", "blue", "#d7e8ff"),
    "failed": (":material/error:", "red", "#ffd9d9"),
    "interrupted": (":material/pause_circle:", "orange", "#fff0c4"),
    "not started": (":material/radio_button_unchecked:", "gray", "#eeeeee"),
    "partly done": (":material/timelapse:", "orange", "#fff0c4"),   # a root: some runs done, none running
}


def state_badge(name):
    icon, colour, _ = STATE_STYLE.get(name, ("", "gray", ""))
    return f":{colour}-badge[{icon} {md(name)}]"


def state_table(frame):
    """A static table whose state column is coloured by state (text stays searchable in the page)."""
    def colour(value):
        return f"background-color: {STATE_STYLE.get(value, ('', '', 'transparent'))[2]}"

    if "note" in frame.columns and not frame["note"].astype(bool).any():
        frame = frame.drop(columns="note")
    st.table(frame.style.map(colour, subset=["state"]).hide(axis="index"))


def live(render, *, active, key, idle=None):
    """render() in a fragment rerun every `refresh` seconds while `active` (else every `idle` seconds, or never)."""
    st.fragment(render, run_every=settings().refresh if active else idle, key=key)()
