"""Experiments: every named experiment against the baseline, per task (summary/<task>_experiments.csv)."""
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import stats, tasks, wording
from nnlab.app import charts, task_page, ui

NEEDED = ["experiment", "variant", "a", "metric", "difference", "low", "high", "p_holm", "real", "answer"]


def forest(task, table):
    """The key metric: one row per experiment and variant, experiment - baseline with its 95% CI."""
    metric = task.key_metric
    rows = table[table["metric"] == metric.name]
    if rows.empty:
        st.caption(f"No comparison of {ui.md(metric.label)}.")
        return
    data = pd.DataFrame({"variant": rows["a"], "value": rows["difference"], "low": rows["low"], "high": rows["high"],
                         "interval": [wording.t_name(s) if pd.notna(low) else "none"
                                      for s, low in zip(rows["seeds"], rows["low"])],
                         "real": rows["real"].astype(str).eq("True")})
    charts.intervals(data, metric, f"{metric.label}: experiment − baseline, with its 95% CI", zero=True)
    st.caption(f"Filled: a real difference (Holm-adjusted p < {stats.ALPHA:g}); open: not distinguishable from seed-to-seed "
               "noise, or too few seeds to tell (no interval)." + (" Accuracy differences in points: 1% on the axis is "
                                                                    "1 point." if metric.is_accuracy else ""))


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
    """A variant's curves (mean over seeds with its band) in the baseline and in each experiment."""
    variant = st.selectbox("Variant", list(dict.fromkeys(table["variant"])), key=f"{task.name}-exp-curves")
    roots = {"baseline": ui.results(), **{e: tasks.experiment_dir(ui.results(), e)
                                          for e in dict.fromkeys(table.loc[table["variant"] == variant, "experiment"])}}
    charts.panels(task_page.histories((f"{variant} ({label})", tasks.history_mean_file(root, task.name, variant), True)
                                      for label, root in roots.items()), task.panels)


def experiments(task):
    path = tasks.experiments_file(ui.results(), task.name)
    table = ui.table_file(path, NEEDED, "experiments")
    if table is None:
        return
    table = table.astype({"experiment": str, "variant": str, "metric": str})
    forest(task, table)
    st.subheader("Against the baseline")
    pick(task, table)
    ui.whole_table("The whole table", path, table, f"{task.name}-experiments",
                   winner=st.column_config.CheckboxColumn("sweep winner"))
    st.subheader("Curves across experiments")
    overlaid(task, table)


if ui.intro("Experiments", "Named changes of the configuration, each trained beside the baseline with the same "
            "seeds, and whether it helped: the difference paired by seed with its 95% interval, and the first "
            "seed's test-set test (docs/experiments.md)."):
    found = [t for t in tasks.TASKS.values() if Path(tasks.experiments_file(ui.results(), t.name)).exists()]
    if not found:
        st.info("No experiment results yet: add an `experiments:` section to the config and run the workflow "
                "(docs/experiments.md).", icon=ui.WAIT)
    for task in found:
        ui.section(task.title, experiments, task)
