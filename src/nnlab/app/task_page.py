"""The page of any task of nnlab.tasks, driven by its registry entry, then the task's own extras/<task>.py."""
import importlib
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import replicates, stats, status, tasks, wording
from nnlab.app import charts, loaders, ui

DRAWN_HERE = ("curves.png",)       # run figures this page draws itself (from history.csv)
COMPARISON_COLUMNS = ["question", "metric", "a", "b", "seeds", "difference", "low", "high", "p", "p_holm", "real",
                      "answer"]


@dataclass
class TaskPage:
    """One task's variants (VariantState over their runs, config order) in the results folder."""
    task: tasks.Task
    states: list

    @cached_property
    def by_name(self):
        return {v.variant: v for v in self.states}

    @cached_property
    def trained(self):
        """Variants with a trained model (params.npz) of their first done run."""
        return [v.variant for v in self.states if v.done_seeds and (self.run(v.variant) / "params.npz").exists()]

    @cached_property
    def replicated(self):
        return any(len(v.runs) > 1 for v in self.states)

    def seed(self, name):
        """The run shown by default: the first done seed, else the first seed."""
        v = self.by_name[name]
        return (v.done_seeds or v.seeds or [0])[0]

    def run(self, name, seed=None):
        """The folder of one run of `name` (default: self.seed(name))."""
        return Path(tasks.run_dir(ui.results(), self.task.name, name, self.seed(name) if seed is None else seed))

    def task_file(self, name):
        """A file of the task's own beside its variants (selection.json, grid_features.png, ...)."""
        return Path(tasks.task_dir(ui.results(), self.task.name)) / name

    def model(self, name):
        return loaders.load_model(self.run(name) / "params.npz")

    def metrics(self, name, seed=None):
        return loaders.load_json(self.run(name, seed) / "metrics.json")

    def run_estimates(self, name, seed):
        """Loaded estimates of one run's metrics.json (loaders.parse_run)."""
        return loaders.load_run(self.run(name, seed) / "metrics.json")

    def estimates(self, name):
        """Loaded estimates of aggregate.json; before it is written, those of a lone done run's metrics.json."""
        path, lone = status.estimates_file(ui.results(), self.by_name[name])
        return (loaders.load_run if lone else loaders.load_aggregate)(path)

    def hyperparameters(self, name):
        """The config's hyper-parameters, updated from the first run's metrics.json."""
        metrics = self.metrics(name)
        saved = metrics.value.get("hyperparameters") if metrics.ok else None
        return {**self.by_name[name].hyperparameters, **(saved if isinstance(saved, dict) else {})}


def load(task):
    """The task's variants in the results folder, after a note on the config when it has one."""
    cfg, _ = ui.config()
    states, message = status.task_states(ui.results(), task.name, cfg)
    if message:
        st.caption(f"Config: {ui.md(message)}")
    if not states:
        st.info(f"No {task.title.lower()} variants: the config defines none and the results folder holds none.",
                icon=ui.WAIT)
    return TaskPage(task, states)


def render(name):
    """The whole page of the task called `name`."""
    task = tasks.TASKS[name]
    extras = importlib.import_module(f"nnlab.app.extras.{name}")
    ui.intro(task.title, task.description)
    page = load(task)
    ui.section("Key metric", key_metric, page, extras)
    ui.section("Training curves", curves_section, page, extras)
    ui.section("Metrics", metrics_table, task)
    ui.section("One variant", variant_section, page, extras)
    ui.section("Compare two variants", compare_section, page)
    for title, section in extras.SECTIONS:
        ui.section(title, section, page)


def key_metric_data(page):
    """The key metric per variant (status.key_metric_rows of summary/<task>.csv), or None after saying why not."""
    metric = page.task.key_metric
    table = ui.table_file(tasks.summary_file(ui.results(), page.task.name), ["variant", metric.name], "key metric")
    if table is None:
        return None
    data = status.key_metric_rows(page.task.name, table)
    if data.empty:
        st.caption(f"{metric.label}: no values recorded.")
        return None
    return data


def key_metric(page, extras=None):
    """The key metric per variant with its 95% interval, from summary/<task>.csv (an extras' own chart when it
    has one), each variant in its colour, and the best variant named."""
    metric = page.task.key_metric
    data = key_metric_data(page)
    if data is None:
        return
    colours = ui.colours(page.task.name, data["variant"])
    if hasattr(extras, "key_metric"):
        extras.key_metric(page, data, colours)
    else:
        charts.intervals(data, metric, colours=colours)
    if best := status.best_text(page.task.name, data):
        comparisons = loaders.load_csv(tasks.comparisons_file(ui.results(), page.task.name))
        against = status.runner_up_text(page.task.name, data, comparisons.value) if comparisons.ok else ""
        st.markdown(f"**{ui.md(best[0].upper() + best[1:])}**" + (f"; {ui.md(against)}" if against else ""))
    without = list(data.loc[data["low"].isna() | data["high"].isna(), "variant"])
    st.caption(f"Points: each variant's {ui.md(metric.label)}; lines: its 95% confidence interval "
               f"({ui.md(', '.join(sorted(set(data['interval']))))}). The axis spans the values, not zero. "
               + (f"No interval for {ui.md(', '.join(without))}. " if without else "")
               + f"From {ui.rel(tasks.summary_file(ui.results(), page.task.name))}.")


def curve_sources(page, name):
    """[(label, history path, is a mean)]: history_mean.csv of several done seeds, else a running or first run."""
    v = page.by_name[name]
    mean = Path(tasks.history_mean_file(ui.results(), page.task.name, name))
    if len(v.done_seeds) > 1 and v.state != "running" and mean.exists():
        return [(name, mean, True)]
    runs = [r for r in v.runs if r.state == "running"] or [r for r in v.runs
                                                           if (page.run(name, r.seed) / "history.csv").exists()]
    label = (lambda r: f"{name} · seed {r.seed}") if len(v.runs) > 1 else (lambda r: name)
    return [(label(r), page.run(name, r.seed) / "history.csv", False) for r in runs[:1]]


def history(label, path, is_mean):
    """A history.csv (or history_mean.csv: c_mean as c) to draw, thinned; says what was not read or drawn."""
    loaded = loaders.load_history(path)
    if ui.problem(loaded, f"{label} curves"):
        return None
    frame = loaded.value
    if frame.attrs.get("cut"):
        st.caption(f"{ui.md(label)}: {ui.rel(path)} is longer than the app reads "
                   f"({replicates.MAX_EPOCHS:,} epochs, the most the config schema allows, or "
                   f"{replicates.MAX_HISTORY_BYTES // 2**20} MiB): only its first {len(frame):,} epochs were read.")
    if is_mean and "n" in frame.columns and len(frame):
        seeds = pd.to_numeric(frame["n"], errors="coerce")
        full = frame[seeds == seeds.max()]
        if len(full) < len(frame):
            st.caption(f"{ui.md(label)}: the mean over its {int(seeds.max())} seeds is drawn to epoch "
                       f"{int(full['epoch'].max())}, the last all of them reached; later epochs, where fewer seeds "
                       "ran (early stopping), are not drawn.")
        frame = full
    frame, k = charts.thin(frame)
    if k > 1:
        st.caption(f"{ui.md(label)}: {len(loaded.value):,} epochs, drawn every {k} epochs and at the last.")
    return frame.rename(columns={c: c[:-5] for c in frame.columns if c.endswith("_mean")}) if is_mean else frame


def histories(sources):
    """{label: frame to draw} of [(label, history path, is a mean)], after saying what could not be read."""
    return {label: f for label, path, is_mean in sources if (f := history(label, path, is_mean)) is not None}


def draw_curves(page, sources, groups):
    """The task's panels over the curves of `sources`, one column per group of variants."""
    frames = histories(sources)
    panels = page.task.panels
    colours = ui.label_colours(page.task.name, frames)
    if len(groups) == 1:
        charts.panels(frames, panels, colours)
        return
    for column, (title, members) in zip(st.columns(len(groups)), groups.items()):
        with column:
            st.subheader(title)
            chosen = {label: f for label, f in frames.items() if label.split(" · seed ")[0] in members}
            for panel in panels if chosen else []:
                charts.curves(chosen, panel, height=180, colours=colours)
            if not chosen:
                st.caption("No chosen variant of this kind.")


def curves_section(page, extras):
    """Curves of the variants picked, in a fragment that re-checks the files while any of them runs."""
    names = [v.variant for v in page.states if curve_sources(page, v.variant)]
    if not names:
        st.info("No variant has a history.csv yet.", icon=ui.WAIT)
        return
    chosen = st.multiselect("Variants", names, default=names, key=f"{page.task.name}-curves")
    if page.replicated:
        st.caption("Lines: the mean over all of a variant's seeds (`history_mean.csv`), drawn only at epochs "
                   "every seed reached (its column n), so a line never changes the seeds it averages; bands: its "
                   "95% t interval per epoch, clipped to the metric's range. A variant with one done seed, or "
                   "still running, shows that run's curve. Each variant has one colour on every chart.")
    groups = extras.groups(page, chosen) if hasattr(extras, "groups") else {"": chosen}
    sources = [s for n in chosen for s in curve_sources(page, n)]
    ui.live(lambda: draw_curves(page, sources, groups), active=any(page.by_name[n].state == "running" for n in chosen),
            key=f"{page.task.name}-curves-live")


def metrics_table(task):
    """summary/<task>.csv, formatted by st.column_config, in docs/app.md's column order."""
    path = tasks.summary_file(ui.results(), task.name)
    table = ui.table_file(path, ["variant"], "summary table")
    if table is None:
        return
    names = [m.name for m in task.all_metrics if m.name in table.columns]
    bounds = [f"{n}{end}" for n in names for end in ("", "_low", "_high")]
    numbers = [c for c in bounds + [f"{n}_sd" for n in names] if c in table.columns]
    found = table[numbers].apply(pd.to_numeric, errors="coerce")
    bad = [f"{c} of {table.loc[i, 'variant']}" for c in numbers for i in table.index
           if pd.isna(found.loc[i, c]) and not pd.isna(table.loc[i, c])]
    if bad:
        st.error(f"{ui.rel(path)}: expected numbers, found text in {ui.md(', '.join(bad[:5]))}", icon=ui.BROKEN)
    table = table.assign(**found)
    varying = [c for c in table.columns if c not in numbers and c not in ("variant", "seeds")
               and not c.endswith("_interval") and table[c].nunique(dropna=False) > 1]
    first = ["variant", "seeds", *varying, *(c for c in bounds if c in table.columns)]
    order = first + [c for c in numbers if c not in first]
    order += [f"{n}_interval" for n in names if f"{n}_interval" in table]
    st.dataframe(table[order + [c for c in table.columns if c not in order]], hide_index=True, width="stretch",
                 key=f"{task.name}-summary",
                 column_config={"variant": st.column_config.TextColumn("variant", pinned=True),
                                **ui.metric_columns(task, table)})
    st.caption(ui.INTERVALS_CAPTION + " Click a column header to sort.")
    ui.csv_download(path, key=f"{task.name}-download")


def run_picker(page, names, default=None):
    """(variant, seed) picked: a variant of `names`, then one of its runs when it has several."""
    left, right = st.columns([3, 1])
    name = left.selectbox("Variant", names, index=names.index(default) if default in names else 0,
                          key=f"{page.task.name}-variant")
    v = page.by_name[name]
    if len(v.runs) <= 1:
        return name, page.seed(name)
    return name, right.selectbox("Seed", v.done_seeds or v.seeds, key=f"{page.task.name}-seed-{name}",
                                 help="Which run (seed) to show: its figures and tables; replicate r uses seed + r.")


def variant_section(page, extras):
    """One variant: its state and metrics with their intervals, then one seed's figures and run extras."""
    names = [v.variant for v in page.states if v.done_seeds or v.state != "not started"]
    if not names:
        st.info("No variant has results yet.", icon=ui.WAIT)
        return
    name, seed = run_picker(page, names, extras.preferred(page) if hasattr(extras, "preferred") else None)
    v, task = page.by_name[name], page.task
    st.markdown(f"**{ui.md(name)}** {ui.state_badge(v.state)}" + (f" · {v.seeds_done} seeds done" if len(v.runs) > 1
                                                                   else ""))
    estimates = page.estimates(name)
    if v.done_seeds and not ui.problem(estimates, "metrics"):
        ui.estimate_row(task, estimates.value, [m.name for m in task.compared])
    with st.expander("Hyper-parameters and every metric with its interval"):
        st.dataframe(pd.DataFrame([{"hyper-parameter": k, "value": str(val)}
                                   for k, val in sorted(page.hyperparameters(name).items())]), hide_index=True)
        if estimates.ok:
            ui.estimates_table(task, estimates.value)
    if len(v.runs) > 1:
        st.subheader(f"Seed {seed}")
    figures = [(f, c) for f, c in task.figures if f not in DRAWN_HERE + getattr(extras, "DRAWN", ())]
    for column, (file, caption) in zip(st.columns(max(len(figures), 1)), figures):
        with column:
            ui.image(page.run(name, seed) / file, caption=caption, what=Path(file).stem)
    if hasattr(extras, "run"):
        extras.run(page, name, seed)


def compare_section(page):
    """Two variants and a metric picked: their row of summary/<task>_comparisons.csv, then the whole table."""
    task = page.task
    path = tasks.comparisons_file(ui.results(), task.name)
    table = ui.table_file(path, COMPARISON_COLUMNS, "comparisons")
    if table is None:
        return
    table = table.astype({"a": str, "b": str, "metric": str})
    found = set(table["a"]) | set(table["b"])
    names = [v.variant for v in page.states if v.variant in found] + sorted(found - set(page.by_name))
    if len(names) < 2:
        st.info("Fewer than two variants were compared.", icon=ui.WAIT)
        return
    left, mid, right = st.columns(3)
    a = left.selectbox("Variant A", names, index=0, key=f"{task.name}-compare-a")
    b = mid.selectbox("Variant B", names, index=1, key=f"{task.name}-compare-b")
    metric = metric_picker(right, task, table["metric"], f"{task.name}-compare-metric")
    rows = table[(table["a"] == a) & (table["b"] == b) & (table["metric"] == metric)]
    if a == b:
        st.info("Pick two different variants.", icon=":material/compare_arrows:")
    elif rows.empty:
        st.info(f"{ui.rel(path)} has no comparison of {ui.md(a)} with {ui.md(b)} on {ui.md(metric)}.", icon=ui.WAIT)
    else:
        answer(task, rows.iloc[0].to_dict())
    ui.whole_table("All comparisons", path, table, f"{task.name}-comparisons", evaluation_set=task.evaluation_set)


def metric_picker(column, task, names, key):
    """A selectbox of the metrics `names` (in order, once each), labelled as the registry says."""
    return column.selectbox("Metric", list(dict.fromkeys(names)), key=key,
                            format_func=lambda m: task.metric(m, plain=True).label)


def answer(task, row):
    """One comparison row: its answer in words, then its numbers over seeds and on the first seed's evaluation set
    (the test set; the autoencoder's held-out patches)."""
    seeds = int(row["seeds"]) if math.isfinite(row["seeds"]) else 0
    text = ui.md(row["answer"])
    if seeds < stats.MIN_SEEDS:          # the answer opens with "Too few seeds ..." and the fix
        st.warning(text, icon=":material/casino:")
    elif str(row["real"]) == "True":      # the workflow's decision (summary/<task>_comparisons.csv)
        st.success(text, icon=":material/check_circle:")
    else:
        st.info(text, icon=":material/compare_arrows:")
    ways = [("", f"over {seeds} seed{'s' if seeds != 1 else ''} (paired t)")]
    if isinstance(row.get("test_set_method"), str):
        where = getattr(task, "evaluation_set", "test set")          # the autoencoder's: its held-out patches
        ways.append(("test_set_", f"{where} of the first seed ({row['test_set_method']})"))
    metric = task.metric(row["metric"], plain=True)

    def size(key):                    # an accuracy's difference in points, as the answer says it
        return wording.fmt(wording.difference(metric, row.get(key)), 3)

    st.dataframe(pd.DataFrame([{"comparison": way, "difference (A − B)": size(f"{p}difference"),
                                "95% CI": (f"{size(f'{p}low')} to {size(f'{p}high')}"
                                           if math.isfinite(row.get(f"{p}low", math.nan)) else "–"),
                                "p": wording.fmt(row.get(f"{p}p"), 2),
                                "Holm-adjusted p": wording.fmt(row.get(f"{p}p_holm"), 2)}
                               for p, way in ways]), hide_index=True, width="stretch")
    points = ", accuracies in points (1 point: 0.01 of the fraction)" if metric.is_accuracy else ""
    st.caption(f"Differences are A − B{points}; a difference is called real when its Holm-adjusted p (over every "
               f"comparison of the task, one order each) is below {stats.ALPHA:g}.")
