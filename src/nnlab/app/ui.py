"""Shared Streamlit pieces: settings, Markdown-safe text, messages in place of unreadable
elements, the parts every task page has (header, curves, metrics with their intervals, key-metric
bars, one variant's aggregate and one seed's run, the comparison of two variants), tables and
charts. Every number and interval is read from the workflow's files: nothing is estimated here."""
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

from nnlab import replicates, stats
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
    """One task's variants (VariantState over their runs, config order) in the results folder."""
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
        """Variants whose every run (seed) is done."""
        return [v.variant for v in self.states if v.state == "done"]

    @cached_property
    def trained(self):
        """Variants with at least one done run."""
        return [v.variant for v in self.states if v.done_seeds]

    @cached_property
    def replicated(self):
        """Whether any variant has more than one run."""
        return any(len(v.runs) > 1 for v in self.states)

    def seed(self, name):
        """The run shown by default: the first done seed, else the first seed."""
        v = self.by_name[name]
        return (v.done_seeds or v.seeds or [0])[0]

    def run(self, name, seed=None):
        """The folder of one run of `name` (default: self.seed(name))."""
        return self.folder / name / f"seed{self.seed(name) if seed is None else seed}"

    def metrics(self, name, seed=None):
        return loaders.load_json(self.run(name, seed) / "metrics.json")

    def estimates(self, name):
        """Loaded {metric: {mean, sd, n, low, high, interval}} from the variant's aggregate.json;
        before it is written, a variant of one done run reads them from that run's metrics.json."""
        cache = self.__dict__.setdefault("_estimates", {})
        if name not in cache:
            loaded = loaders.load_json(self.folder / name / "aggregate.json")
            v = self.by_name.get(name)
            if loaded.missing and v is not None and len(v.runs) == 1 and v.state == "done":
                loaded, parse = self.metrics(name), loaders.run_estimates
            else:
                parse = loaders.estimates
            if loaded.ok:
                try:
                    loaded = loaders.Loaded(loaded.path, value=parse(loaded.value))
                except ValueError as error:
                    loaded = loaders.Loaded(loaded.path, error=f"unreadable metrics: {error}")
            cache[name] = loaded
        return cache[name]

    def hyperparameters(self, name):
        """The config's hyper-parameters, updated from the first run's metrics.json when it has them."""
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


def training_sections(page, prefix, draw, keys, columns, key_metric, run=None, run_title="Variant"):
    """The sections every trained task's page starts with: the key metric per variant (bars
    with error bars), the curves (drawn by draw(frames)), the metrics table (columns(name) then
    `keys`, each with its interval), one variant's aggregate and one seed's run (run(name, seed)
    draws the run's own tables and figures), and the comparison of two variants."""
    section("Key metric", bars_section, page, key_metric)
    section("Training curves", curves_section, page, f"{prefix}-curves", draw)
    section("Metrics", metrics_section, page, keys, columns, f"{prefix}-summary-download")
    if run is not None:
        section(run_title, variant_section, page, prefix, keys, run)
    section("Compare two variants", compare_section, page, prefix)


def curve_sources(page, name):
    """[(label, history path, is a mean over seeds)] to draw for one variant: the mean over its
    seeds (history_mean.csv) when it has several done, else its running run, else its first run
    with a history.csv (labelled with the seed when the variant has several)."""
    v = page.by_name[name]
    mean = page.folder / name / "history_mean.csv"
    if len(v.done_seeds) > 1 and v.state != "running" and mean.exists():
        return [(name, mean, True)]
    runs = [r for r in v.runs if r.state == "running"] or [r for r in v.runs
                                                           if (page.run(name, r.seed) / "history.csv").exists()]
    label = (lambda r: f"{name} · seed {r.seed}") if len(v.runs) > 1 else (lambda r: name)
    return [(label(r), page.run(name, r.seed) / "history.csv", False) for r in runs[:1]]


def curves_section(page, key, draw):
    """Training curves of the variants picked (those with a curve): draw(frames) inside a
    fragment that re-checks the files while any of them runs."""
    names = [v.variant for v in page.states if curve_sources(page, v.variant)]
    if not names:
        st.info("No variant has a history.csv yet.", icon=WAIT)
        return
    chosen = st.multiselect("Variants", names, default=names, key=key)
    if page.replicated:
        st.caption("Lines: the mean over a variant's seeds (`history_mean.csv`); bands: its 95% t interval per "
                   "epoch (none where fewer than 2 runs reached the epoch). A variant with one done seed, or "
                   "still running, shows that run's curve.")
    live(lambda: curves([s for n in chosen for s in curve_sources(page, n)], draw),
         active=any(page.by_name[n].state == "running" for n in chosen), key=f"{key}-live")


def mean_frame(frame):
    """history_mean.csv as a history frame: column c is c_mean; c_low and c_high are kept (the band)."""
    return frame.rename(columns={c: c[:-5] for c in frame.columns if c.endswith("_mean")})


def curves(sources, draw):
    """draw({label: history frame}) of [(label, path, is a mean)] after a message for each file
    that does not read."""
    frames = {}
    for label, path, is_mean in sources:
        loaded = loaders.load_history(path)
        if not problem(loaded, f"{label} curves"):
            frames[label] = mean_frame(loaded.value) if is_mean else loaded.value
    draw(frames)


# ------------------------------------------------------------ values and intervals


def how(metric, estimate):
    """How an estimate's interval was computed, in words ("" when it has none)."""
    interval = estimate.get("interval", "none")
    if interval.endswith(" set"):          # one run's own interval on its test, validation, ... set
        return f"Wilson, {interval}" if replicates.is_accuracy(metric) else f"normal over per-sample losses, {interval}"
    if interval.startswith("t"):
        return f"t over {ui_int(estimate.get('n'))} seeds"
    return ""


def ui_int(value):
    return fmt(int(value)) if isinstance(value, (int, float)) and math.isfinite(value) else fmt(value)


def has_interval(estimate):
    return all(isinstance(estimate.get(k), (int, float)) and math.isfinite(estimate[k]) for k in ("low", "high"))


def span(estimate, digits=3):
    return f"{fmt(estimate['low'], digits)}–{fmt(estimate['high'], digits)}" if has_interval(estimate) else "–"


def estimate_text(metric, estimate, digits=3):
    """e.g. "0.952 (95% CI 0.934–0.966, Wilson, test set)" or "0.948 ± 0.012 sd (95% CI
    0.93–0.96, t over 5 seeds)"; "no interval" said so."""
    text = fmt(estimate.get("mean"), digits)
    sd = estimate.get("sd")
    if isinstance(sd, (int, float)) and math.isfinite(sd) and estimate.get("interval", "").startswith("t"):
        text += f" ± {fmt(sd, 2)} sd"
    if has_interval(estimate):
        return f"{text} (95% CI {span(estimate, digits)}, {how(metric, estimate)})"
    n = estimate.get("n")
    return f"{text} (no interval: {'one run' if n in (None, 1) else f'{ui_int(n)} runs'})"


def estimate_cell(estimate, digits=4):
    """A table cell: "0.9517 (0.934–0.966)", or the value alone when it has no interval."""
    text = fmt(estimate.get("mean"), digits)
    return f"{text} ({span(estimate)})" if has_interval(estimate) else text


def intervals_note(estimates, keys):
    """How the intervals of one variant's `keys` were computed: "t, 5 seeds", "test set", ..."""
    kinds = {estimates[k]["interval"] for k in keys if k in estimates and has_interval(estimates[k])}
    return ", ".join(sorted(kinds)) or "none"


INTERVALS_CAPTION = ("Values: the mean over a variant's seeds, with its 95% confidence interval in brackets; "
                     "**t, k seeds**: a t interval over the k seeds' values; **test set** (one seed): the run's "
                     "own interval on that set (Wilson for accuracies, normal over the per-sample losses for "
                     "cross-entropies and the held-out MSE); likewise **validation set**, **training set** and "
                     "**held-out set**.")


def metrics_section(page, keys, columns, key):
    """One row per variant with an aggregate: columns(name), its seeds, then each of `keys` as
    mean (95% CI) and how the intervals were computed. A variant whose aggregate does not read,
    or holds something else than numbers, is reported as unreadable in place; the others are
    shown as usual."""
    names = [n for n in page.trained if not page.estimates(n).missing]
    if not names:
        st.info("No variant has finished yet." if not page.trained else
                "No variant's aggregate.json has been written yet.", icon=WAIT)
        return
    rows = []
    for name in names:
        loaded = page.estimates(name)
        if not problem(loaded, f"{name} metrics"):
            est = loaded.value
            seeds = {"seeds": page.by_name[name].seeds_done} if page.replicated else {}
            rows.append({"variant": name, **columns(name), **seeds,
                         **{k: estimate_cell(est[k]) if k in est else "–" for k in keys},
                         "95% CI": intervals_note(est, keys)})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(INTERVALS_CAPTION)
    summary = results() / "summary" / f"{page.task}.csv"
    if summary.exists():
        csv_download(summary, f"Download {page.task}.csv", key=key)


def estimates_table(estimates, keys=None):
    """One variant's metrics: value (± sd), 95% CI and how it was computed, one row each."""
    keys = [k for k in (keys or estimates) if k in estimates]
    rows = [{"metric": k, "value": fmt(e["mean"], 4) + (f" ± {fmt(e['sd'], 2)} sd" if has_interval(e) and
                                                         e["interval"].startswith("t") else ""),
             "95% CI": span(e, 4), "computed as": how(k, e) or "no interval"}
            for k, e in ((k, estimates[k]) for k in keys)]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def run_picker(page, names, key, default=None, help=None):
    """(variant, seed) picked: a variant of `names`, then one of its runs (the first done seed by
    default; the seed box only when the variant has several runs)."""
    if not names:
        return None, None
    left, right = st.columns([3, 1])
    with left:
        name = variant_picker("Variant", names, default=default, key=f"{key}-variant", help=help)
    v = page.by_name[name]
    seeds = v.done_seeds or v.seeds
    if len(v.runs) <= 1:
        return name, page.seed(name)
    with right:
        seed = st.selectbox("Seed", seeds, key=f"{key}-seed-{name}",
                            help="Which run (seed) to show: its figures, tables and files; replicate r uses "
                                 "seed + r.")
    return name, seed


def variant_section(page, prefix, keys, render_run):
    """One variant: its state, aggregate over its seeds (every metric with its interval), then one
    seed's run drawn by render_run(name, seed)."""
    name, seed = run_picker(page, page.trained, f"{prefix}-run",
                            help="Variants with at least one finished run.")
    if name is None:
        st.info("No variant has finished yet.", icon=WAIT)
        return
    v = page.by_name[name]
    st.markdown(f"**{md(name)}** {state_badge(v.state)}" + (f" · {v.seeds_done} seeds done" if len(v.runs) > 1
                                                             else ""))
    loaded = page.estimates(name)
    if not problem(loaded, "aggregate"):
        estimate_row(loaded.value, {k: k.replace("_", " ") for k in keys[:3]})
        with st.expander("Every metric with its interval" + (f" (over {len(v.done_seeds)} seeds)"
                                                             if len(v.runs) > 1 else "")):
            estimates_table(loaded.value)
    if len(v.runs) > 1:
        st.subheader(f"Seed {seed}")
    render_run(name, seed)


# ---------------------------------------------------------------- key metric bars


def summary_file(name, needed, what):
    """The table results/summary/<name> when it has the columns `needed`; else None, after
    saying in place that it is not produced yet or why it cannot be read."""
    loaded = loaders.load_csv(results() / "summary" / name)
    if loaded.missing:
        st.info(f"{md(rel(loaded.path), code=True)} has not been produced yet: it is written when every "
                "variant of the task is done.", icon=WAIT)
        return None
    if problem(loaded, what):
        return None
    missing = [c for c in needed if c not in loaded.value.columns]
    if missing:
        problem(loaders.Loaded(loaded.path, error=f"no column(s) {', '.join(missing)}"), what)
        return None
    return loaded.value


def bars_section(page, metric):
    """The key metric per variant with its 95% interval as error bars, from summary/<task>.csv."""
    needed = ["variant", metric, f"{metric}_low", f"{metric}_high"]
    table = summary_file(f"{page.task}.csv", needed, "key metric")
    if table is None:
        return
    data = table[needed].rename(columns={metric: "value", f"{metric}_low": "low", f"{metric}_high": "high"})
    data["variant"] = data["variant"].astype(str)
    for column in ("value", "low", "high"):
        data[column] = pd.to_numeric(data[column], errors="coerce")
    data["interval"] = table.get(f"{metric}_interval", pd.Series("", index=table.index)).fillna("none").astype(str)
    data["seeds"] = table["seeds"] if "seeds" in table else 1
    data = data.dropna(subset=["value"])
    if data.empty:
        st.caption(f"{metric}: no values recorded.")
        return
    y = {"field": "variant", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 320}}
    better = "lower is better" if replicates.lower_is_better(metric) else "higher is better"
    chart(data, {
        "title": {"text": f"{metric} per variant, with its 95% CI", "subtitle": better},
        "layer": [
            {"mark": {"type": "bar", "tooltip": True, "opacity": 0.75},
             "encoding": {"y": y, "x": {"field": "value", "type": "quantitative", "title": metric},
                          "tooltip": [{"field": c} for c in ("variant", "value", "low", "high", "interval")]}},
            {"mark": {"type": "errorbar", "ticks": True, "thickness": 1.5},
             "encoding": {"y": y, "x": {"field": "low", "type": "quantitative", "title": metric},
                          "x2": {"field": "high"}}},
        ],
    }, max(60, 22 * len(data)))
    kinds = sorted(set(data["interval"]))
    ways = ["t over seeds" if k.startswith("t") else f"{k}: {how(metric, {'interval': k})}"
            for k in kinds if k.startswith("t") or k.endswith(" set")]
    st.caption(f"Error bars: 95% confidence intervals ({md(', '.join(kinds))}); " + "; ".join(ways)
               + ". From " + md(rel(results() / "summary" / f"{page.task}.csv"), code=True) + ".")


# ---------------------------------------------------------------- compare two variants

COMPARISON_COLUMNS = {"question", "metric", "a", "b", "seeds", "difference", "low", "high", "p", "p_holm", "answer"}


def flipped(row):
    """The comparison row of (a, b) as the row of (b, a): differences and intervals negated,
    p-values unchanged (both tests are symmetric), the answer reworded by the library's own
    nnlab.replicates.answer."""
    out = dict(row, a=row["b"], b=row["a"], question=f"{row['b']} vs {row['a']}: {row['metric']}")
    for prefix in ("", "test_set_"):
        if f"{prefix}difference" in row:
            out[f"{prefix}difference"] = -row[f"{prefix}difference"]
            out[f"{prefix}low"], out[f"{prefix}high"] = -row[f"{prefix}high"], -row[f"{prefix}low"]
    out["answer"] = replicates.answer(out)
    return out


def comparison(table, a, b, metric):
    """The row comparing a with b on `metric` (a dict oriented a - b), or None."""
    for first, second, orient in ((a, b, dict), (b, a, flipped)):
        match = table[(table["a"] == first) & (table["b"] == second) & (table["metric"] == metric)]
        if len(match):
            return orient(match.iloc[0].to_dict())
    return None


def number(value, digits=3):
    return fmt(value, digits) if isinstance(value, (int, float)) and math.isfinite(value) else "–"


def comparison_numbers(row):
    """The numbers behind an answer: over seeds (paired t) and on the first seed's test set."""
    rows = [{"comparison": f"over {ui_int(row['seeds'])} seed{'s' if row['seeds'] != 1 else ''} (paired t)",
             "difference (A − B)": number(row["difference"]),
             "95% CI": f"{number(row['low'])} to {number(row['high'])}" if math.isfinite(row["low"]) else "–",
             "p": number(row["p"], 2), "Holm-adjusted p": number(row["p_holm"], 2)}]
    if isinstance(row.get("test_set_method"), str):
        rows.append({"comparison": f"test set of the first seed ({row['test_set_method']})",
                     "difference (A − B)": number(row.get("test_set_difference")),
                     "95% CI": f"{number(row.get('test_set_low'))} to {number(row.get('test_set_high'))}",
                     "p": number(row.get("test_set_p"), 2), "Holm-adjusted p": number(row.get("test_set_p_holm"), 2)})
    return pd.DataFrame(rows)


def compare_section(page, prefix):
    """Two variants and a metric picked: the answer of summary/<task>_comparisons.csv in words
    and numbers (either order), then the whole table."""
    path = results() / "summary" / f"{page.task}_comparisons.csv"
    table = summary_file(path.name, sorted(COMPARISON_COLUMNS), "comparisons")
    if table is None:
        return
    table = table.astype({"a": str, "b": str, "metric": str})
    found = set(table["a"]) | set(table["b"])
    names = [v.variant for v in page.states if v.variant in found] + sorted(found - set(page.by_name))
    if len(names) < 2:
        st.info("Fewer than two variants were compared.", icon=WAIT)
        return
    left, mid, right = st.columns(3)
    a = left.selectbox("Variant A", names, index=0, key=f"{prefix}-compare-a")
    b = mid.selectbox("Variant B", names, index=1, key=f"{prefix}-compare-b")
    metrics = list(dict.fromkeys(table["metric"]))
    metric = right.selectbox("Metric", metrics, key=f"{prefix}-compare-metric")
    if a == b:
        st.info("Pick two different variants.", icon=":material/compare_arrows:")
    elif (row := comparison(table, a, b, metric)) is None:
        st.info(f"{md(rel(path), code=True)} has no comparison of {md(a)} and {md(b)} on {md(metric)}.",
                icon=WAIT)
    else:
        seeds = int(row["seeds"]) if math.isfinite(row["seeds"]) else 0
        text = md(row["answer"])
        if seeds < stats.MIN_SEEDS:
            st.warning(f"**Too few seeds to say anything about training randomness**: {seeds} seed"
                       f"{'s' if seeds != 1 else ''} per variant, at least {stats.MIN_SEEDS} are needed "
                       "(`snakemake --config replicates=5`).\n\n" + text, icon=":material/casino:")
        elif math.isfinite(row["p_holm"]) and row["p_holm"] < 0.05:
            st.success(text, icon=":material/check_circle:")
        else:
            st.info(text, icon=":material/compare_arrows:")
        st.dataframe(comparison_numbers(row), hide_index=True, width="stretch")
        st.caption("Differences are A − B" + (" (accuracies as fractions: 0.01 is 1 point)"
                                              if replicates.is_accuracy(metric) else "")
                   + "; a difference is called real when its Holm-adjusted p (over every comparison of the "
                     "task) is below 0.05.")
    with st.expander(f"All comparisons ({len(table)} rows of {md(rel(path), code=True)})"):
        st.dataframe(table, hide_index=True, width="stretch", key=f"{prefix}-comparisons",
                     column_config={"answer": st.column_config.TextColumn(width="large")})
        csv_download(path, f"Download {path.name}", key=f"{prefix}-comparisons-download")


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


def estimate_row(estimates, labels):
    """st.metric for each key of `labels` ({key: label}) present in `estimates`, its interval and
    how it was computed beneath."""
    shown = [k for k in labels if k in estimates]
    for column, key in zip(st.columns(len(shown)) if shown else [], shown):
        e = estimates[key]
        column.metric(labels[key], fmt(e["mean"], 3))
        sd = f"± {fmt(e['sd'], 2)} sd · " if has_interval(e) and e["interval"].startswith("t") else ""
        column.caption(f"{sd}95% CI {span(e)}, {how(key, e)}" if has_interval(e) else "no interval")


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
                band = [c for c in (f"{column}_low", f"{column}_high") if c in frame.columns]
                part = frame[["epoch", column, *band]].dropna(subset=[column]).rename(
                    columns={column: "value", f"{column}_low": "low", f"{column}_high": "high"})
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
    banded = {"low", "high"} <= set(data.columns) and data["low"].notna().any()
    values = pd.concat([data["value"], data["low"], data["high"]]) if banded else data["value"]
    scale = {"type": "log"} if log_scale and (values.dropna() > 0).all() else {"zero": False}
    splits = [label for _, label in columns if label in set(data["split"])]
    subtitle = ", ".join(f"{s}: {style}" for s, style in zip(splits, ["solid", "dashed", "dotted"]))
    x = {"field": "epoch", "type": "quantitative", "title": "epoch", "scale": {"zero": False, "nice": False},
         "axis": {"tickMinStep": 1, "format": "d"}}
    color = {"field": "variant", "type": "nominal", "title": None}
    line = {"mark": {"type": "line", "point": {"size": 25}, "tooltip": True},
            "encoding": {
                "x": x, "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": scale},
                "color": color,
                "strokeDash": {"field": "split", "type": "nominal", "legend": None,
                               "scale": {"domain": splits, "range": [[1, 0], [6, 4], [2, 2]][:len(splits)]}}}}
    layers = [line]
    if banded:                     # the 95% interval over seeds, per epoch, under the mean's line
        data = data.assign(low=data["low"].astype(float), high=data["high"].astype(float))
        layers.insert(0, {"mark": {"type": "area", "opacity": 0.18},
                          "encoding": {"x": x, "y": {"field": "low", "type": "quantitative", "scale": scale,
                                                     "stack": None},
                                       "y2": {"field": "high"}, "color": color, "detail": {"field": "split"}}})
    chart(data, {"title": {"text": title, "subtitle": subtitle if len(splits) > 1 else ""}, "layer": layers},
          height)


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
