"""Experiments: every named experiment against the baseline, per task (summary/<task>_experiments.csv)."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from nnlab import config as nnlab_config, stats, tasks, wording
from nnlab.app import charts, loaders, task_page, ui
from nnlab.errors import NnlabError

NEEDED = ["experiment", "variant", "a", "metric", "difference", "low", "high", "p_holm", "real", "answer"]
TEXTS = ["experiment", "variant", "a", "metric", "answer"]        # in every row the workflow writes
NUMBERS = ["seeds", "difference", "low", "high", "p", "p_holm", "selection_mean", "test_set_difference",
           "test_set_low", "test_set_high", "test_set_p", "test_set_p_holm"]   # a finite number, or empty
MAX_DRAWN = 200             # rows of the forest plot
MAX_CURVES = 12             # experiments whose curves are overlaid on the baseline's


def current_experiments():
    """The experiments of the configuration the workflow last ran with (results/config.yaml, which
    records them expanded), or None when it cannot tell."""
    try:
        recorded = nnlab_config.load_yaml(Path(ui.results()) / "config.yaml")
    except NnlabError:
        return None
    experiments = recorded.get("experiments") or {}
    return {str(name) for name in experiments} if isinstance(experiments, dict) else None


def gone_folders(current):
    """Folders under results/experiments/ of experiments the configuration no longer has."""
    folder = Path(tasks.experiment_dir(ui.results(), "x")).parent
    if current is None or not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in current)


def _cells(table, index, column):
    return f"{column} of {table.loc[index, 'a']} on {table.loc[index, 'metric']}"


def checked(task, path, table, current):
    """The rows of an experiments table the page can show, numbers parsed; each problem said in one
    line naming its cells: a row without its text (a truncated file), text, NaN or inf in a number
    column, an unknown metric, and experiments the configuration no longer has."""
    where = ui.rel(path)
    blank = table[TEXTS].eq("")
    empty = {i: [c for c in TEXTS if blank.loc[i, c]] for i in table.index[blank.any(axis=1)]}
    if empty:                                    # row numbers as in the file, its header line 1
        rows = "; ".join(f"row {i + 2} without {', '.join(c)}" for i, c in list(empty.items())[:5])
        st.error(f"{where}: expected a value in {', '.join(TEXTS)} of every row, found {ui.md(rows)} "
                 "(a truncated file?): left out; rerun the workflow to write it again.", icon=ui.BROKEN)
        table = table.drop(index=list(empty))
    known = [m.name for m in task.compared]
    unknown = table.index[~table["metric"].isin(known)]
    if len(unknown):
        st.error(f"{where}: expected the metrics the task compares ({', '.join(known)}), found "
                 f"{ui.md(', '.join(sorted(set(table.loc[unknown, 'metric']))[:5]))}: those rows are left out.",
                 icon=ui.BROKEN)
        table = table.drop(index=unknown)
    numbers = [c for c in NUMBERS if c in table.columns]
    parsed = table[numbers].apply(pd.to_numeric, errors="coerce")
    wrong = table[numbers].ne("") & ~np.isfinite(parsed)
    bad = [(i, c) for c in numbers for i in table.index[wrong[c]]]
    if bad:
        st.error(f"{where}: expected finite numbers (or empty cells), found "
                 f"{ui.md(', '.join(f'{table.loc[i, c]!r} in {_cells(table, i, c)}' for i, c in bad[:5]))}"
                 + (f" and {len(bad) - 5} more" if len(bad) > 5 else "") + ": shown as missing.", icon=ui.BROKEN)
        parsed = parsed.mask(wrong)
    table = table.replace("", math.nan).assign(**parsed)
    if current is not None:
        gone = [e for e in dict.fromkeys(table["experiment"]) if e not in current]
        if gone:
            st.warning(f"{where} holds experiments the configuration no longer has (results/config.yaml): "
                       f"{ui.md(', '.join(gone[:5]))}" + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
                       + ": left out. The workflow rewrites the table while the task has experiments; delete it "
                       "(and its .png) when it has none.", icon=":material/history:")
            table = table[table["experiment"].isin(current)]
    return table


def colours(task, table):
    """{label: colour}: a baseline variant's own ("gru-full (baseline)" as gru-full), each experiment's variant
    ("gru-full (lr)") its own, the same in the forest plot and the curves (nnlab.colours, extra names)."""
    labels = set(table["a"].astype(str)) | {f"{v} ({e})" for v, e in zip(table["variant"], table["experiment"])}
    found = ui.colours(task.name, labels)
    return {**found, **{f"{v} (baseline)": found.get(v) for v in set(table["variant"]) if v in found}}


def forest(task, table):
    """The key metric: one row per experiment and variant, experiment - baseline with its 95% CI."""
    metric = task.key_metric
    rows = table[table["metric"] == metric.name]
    if rows.empty:
        st.caption(f"No comparison of {ui.md(metric.label)}.")
        return
    drawn = rows.head(MAX_DRAWN)
    data = pd.DataFrame({"variant": drawn["a"], "value": drawn["difference"], "low": drawn["low"],
                         "high": drawn["high"],
                         "interval": [wording.t_name(int(s)) if pd.notna(low) and pd.notna(s) else "none"
                                      for s, low in zip(drawn["seeds"], drawn["low"])],
                         "real": drawn["real"].astype(str).eq("True")})
    charts.intervals(data, metric, f"{metric.label}: experiment − baseline, with its 95% CI", zero=True,
                     colours=colours(task, table))
    more = f" Drawn: the first {MAX_DRAWN} of its {len(rows):,} rows (the whole table is below)." \
        if len(rows) > MAX_DRAWN else ""
    st.caption(f"Filled: a real difference (Holm-adjusted p < {stats.ALPHA:g}); open: not distinguishable from seed-to-seed "
               "noise, or too few seeds to tell (no interval)." + (" Accuracy differences in points (percentage "
                                                                    "points); the dashed line is zero." if
                                                                    metric.is_accuracy else " The dashed line is zero.")
               + " Each variant in its colour, as in the curves below." + more)


def pick(task, table):
    """One (experiment, variant) and a metric, answered against the baseline."""
    left, mid, right = st.columns(3)
    experiment = left.selectbox("Experiment", list(dict.fromkeys(table["experiment"])), key=f"{task.name}-exp")
    mine = table[table["experiment"] == experiment]
    variant = mid.selectbox("Variant", list(dict.fromkeys(mine["variant"])), key=f"{task.name}-exp-variant")
    metric = task_page.metric_picker(right, task, mine["metric"], f"{task.name}-exp-metric")
    rows = mine[(mine["variant"] == variant) & (mine["metric"] == metric)]
    if rows.empty:
        st.info(f"No comparison of {ui.md(variant)} on {ui.md(metric)} in {ui.md(experiment)}.", icon=ui.WAIT)
        return
    row = rows.iloc[0].to_dict()
    task_page.answer(task, row)
    if row.get("winner") is True or str(row.get("winner")) == "True":
        st.caption(f"{ui.md(row['selected_on'])} is a validation metric: the sweep's winner is never picked "
                   "on the test set.")


def overlaid(task, table):
    """A variant's curves (mean over seeds with its band) in the baseline and in each experiment (at most MAX_CURVES)."""
    variant = st.selectbox("Variant", list(dict.fromkeys(table["variant"])), key=f"{task.name}-exp-curves")
    names = list(dict.fromkeys(table.loc[table["variant"] == variant, "experiment"]))
    roots = {"baseline": ui.results(), **{e: tasks.experiment_dir(ui.results(), e) for e in names[:MAX_CURVES]}}
    charts.panels(task_page.histories((f"{variant} ({label})", tasks.history_mean_file(root, task.name, variant), True)
                                      for label, root in roots.items()), task.panels, colours(task, table))
    if len(names) > MAX_CURVES:
        st.caption(f"Drawn: the first {MAX_CURVES} of the {len(names):,} experiments that train {ui.md(variant)}.")


def experiments(task, current):
    path = tasks.experiments_file(ui.results(), task.name)
    loaded = loaders.load_experiments(path)
    if loaded.ok and (missing := [c for c in NEEDED if c not in loaded.value.columns]):
        loaded = loaders.Loaded(loaded.path, error=f"no column(s) {', '.join(missing)}")
    if ui.problem(loaded, "experiments"):
        return
    table = loaded.value
    if table.attrs.get("cut"):
        st.warning(f"{ui.rel(path)} is longer than {loaders.MAX_TABLE_ROWS:,} rows or "
                   f"{loaders.MAX_TABLE_BYTES // 2**20} MiB: only its first {len(table):,} rows were read.",
                   icon=":material/content_cut:")
    table = checked(task, path, table, current)
    if table.empty:
        st.info(f"{ui.rel(path)} has no experiment of the current configuration to show.", icon=ui.WAIT)
        return
    forest(task, table)
    st.subheader("Against the baseline")
    pick(task, table)
    ui.whole_table("The whole table", path, table, f"{task.name}-experiments", evaluation_set=task.evaluation_set,
                   winner=st.column_config.CheckboxColumn("sweep winner"))
    st.subheader("Curves across experiments")
    overlaid(task, table)


if ui.intro("Experiments", "Named changes of the configuration, each trained beside the baseline with the same "
            "seeds, and whether it helped: the difference paired by seed with its 95% interval, and the first "
            "seed's test-set test (docs/experiments.md)."):
    current = current_experiments()
    gone = gone_folders(current)
    if gone:
        st.warning(f"{ui.md(ui.rel(Path(ui.results()) / 'experiments'))} holds folders of experiments the configuration "
                   f"no longer has (results/config.yaml): {ui.md(', '.join(gone[:10]))}"
                   + (f" and {len(gone) - 10} more" if len(gone) > 10 else "")
                   + ". Their runs are compared nowhere: delete them, or add the experiments back.",
                   icon=":material/history:")
    found = [t for t in tasks.TASKS.values() if Path(tasks.experiments_file(ui.results(), t.name)).exists()]
    if not found:
        st.info("No experiment results yet: add an `experiments:` section to the config and run the workflow "
                "(docs/experiments.md).", icon=ui.WAIT)
    for task in found:
        ui.section(task.title, experiments, task, current)
