"""Experiments: every named experiment against the baseline (summary/<task>_experiments.csv,
docs/experiments.md): per task a forest plot of the key metric's differences with their
intervals, the table behind it, one (experiment, variant) answered in words and numbers, and a
variant's curves across the experiments that train it, overlaid on the baseline's."""
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import tasks
from nnlab.app import charts, task_page, ui

NEEDED = ["experiment", "variant", "metric", "difference", "low", "high", "p_holm", "answer"]


def forest(task, table):
    """The key metric: one row per experiment and variant, experiment - baseline with its 95% CI."""
    metric = task.key_metric
    rows = table[table["metric"] == metric.name]
    if rows.empty:
        st.caption(f"No comparison of {ui.md(metric.label)}.")
        return
    data = pd.DataFrame({"variant": rows["variant"] + " (" + rows["experiment"] + ")",
                         "value": rows["difference"], "low": rows["low"], "high": rows["high"],
                         "interval": [f"t, {s} seeds" for s in rows["seeds"]], "real": rows["p_holm"] < 0.05})
    charts.intervals(data, metric, f"{metric.label}: experiment − baseline, with its 95% CI", zero=True)
    st.caption("Filled: a real difference (Holm-adjusted p < 0.05); open: not distinguishable from seed-to-seed "
               "noise, or too few seeds to tell (no interval)." + (" Accuracies as fractions: 0.01 is 1 point."
                                                                    if metric.is_accuracy else ""))


def pick(task, table):
    """One (experiment, variant) and a metric, answered against the baseline."""
    left, mid, right = st.columns(3)
    experiment = left.selectbox("Experiment", list(dict.fromkeys(table["experiment"])), key=f"{task.name}-exp")
    mine = table[table["experiment"] == experiment]
    variant = mid.selectbox("Variant", list(dict.fromkeys(mine["variant"])), key=f"{task.name}-exp-variant")
    labels = {m.name: m.label for m in task.all_metrics}
    metric = right.selectbox("Metric", list(dict.fromkeys(mine["metric"])), format_func=lambda m: labels.get(m, m),
                             key=f"{task.name}-exp-metric")
    row = mine[(mine["variant"] == variant) & (mine["metric"] == metric)].iloc[0].to_dict()
    task_page.answer(task, row)
    if row.get("winner") is True or str(row.get("winner")) == "True":
        st.caption(f"The winner of sweep {ui.md(row['sweep'])}: the best mean {ui.md(row['selected_on'])} "
                   "over its seeds, picked on validation, never on the test set.")


def overlaid(task, table):
    """A variant's curves: the baseline's and each experiment's, the mean over seeds with its band."""
    variant = st.selectbox("Variant", list(dict.fromkeys(table["variant"])), key=f"{task.name}-exp-curves")
    roots = {"baseline": ui.results(), **{e: Path(tasks.experiment_dir(ui.results(), e))
                                          for e in dict.fromkeys(table.loc[table["variant"] == variant, "experiment"])}}
    frames = {}
    for label, root in roots.items():
        path = Path(tasks.history_mean_file(root, task.name, variant))
        if (frame := task_page.history(f"{variant} ({label})", path, True)) is not None:
            frames[f"{variant} ({label})"] = frame
    for column, panel in zip(st.columns(min(len(task.panels), 2)) * 2, task.panels):
        with column:
            charts.curves(frames, panel)


def experiments(task):
    path = tasks.experiments_file(ui.results(), task.name)
    table = ui.table_file(path, NEEDED, "experiments")
    if table is None:
        return
    table = table.astype({"experiment": str, "variant": str, "metric": str})
    forest(task, table)
    st.subheader("Against the baseline")
    pick(task, table)
    with st.expander(f"The whole table ({len(table)} rows of {ui.md(ui.rel(path), code=True)})"):
        st.dataframe(table, hide_index=True, width="stretch", key=f"{task.name}-experiments",
                     column_config={"answer": st.column_config.TextColumn(width="large"),
                                    "winner": st.column_config.CheckboxColumn("sweep winner")})
        ui.csv_download(path, f"Download {Path(path).name}", key=f"{task.name}-experiments-download")
    st.subheader("Curves across experiments")
    overlaid(task, table)


st.title("Experiments")
st.caption("Named changes of the configuration, each trained beside the baseline with the same seeds, and "
           "whether it helped: the difference paired by seed with its 95% interval, and the first seed's "
           "test-set test (docs/experiments.md).")
if ui.results_banner():
    found = [t for t in tasks.TASKS.values() if Path(tasks.experiments_file(ui.results(), t.name)).exists()]
    if not found:
        st.info("No experiment results yet: add an `experiments:` section to the config and run the workflow "
                "(docs/experiments.md).", icon=ui.WAIT)
    for task in found:
        ui.section(task.title, experiments, task)
