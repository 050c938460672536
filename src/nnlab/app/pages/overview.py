"""Overview: per task the key metric of each variant and the best one, with a link to its page; then the runs of
every results root (the baseline and each experiment) counted, every variant's state; live curves."""
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import status, tasks, wording
from nnlab.app import charts, loaders, task_page, ui


def all_roots(config):
    """status.roots: the baseline and every experiment, each with its variants' states per task."""
    return status.roots(ui.results(), config)


def any_running(roots):
    """Whether any run of any root runs: when this changes the whole page reruns."""
    return any(v.state == "running" for root in roots for v in root.states)


def task_link(name):
    """A link to the task's page (the page app.py registered), or nothing when there is none (a page run alone)."""
    pages = st.session_state.get(ui.PAGES_KEY, {})
    if name in pages:
        st.page_link(pages[name], label="Every result of this task", icon=":material/arrow_forward:",
                     help=f"The {tasks.TASKS[name].title} page")


def glance(name):
    """One task at a glance: its key metric per variant with 95% intervals (summary/<task>.csv, as the workflow
    wrote it), the best variant named, and the link to its page."""
    task = tasks.TASKS[name]
    st.subheader(task.title, anchor=f"glance-{name}")
    task_link(name)
    path = tasks.summary_file(ui.results(), name)
    loaded = loaders.load_csv(path).parsed(lambda table: status.key_metric_rows(name, table))
    if loaded.missing:
        st.info(f"{ui.rel(path)} has not been produced yet: it is written when every variant of the task is "
                "done.", icon=ui.WAIT)
        return
    if ui.problem(loaded, "key metric"):
        return
    data = loaded.value
    if data.empty:
        st.caption(f"{task.key_metric.label}: no values recorded.")
        return
    if best := status.best_text(name, data):
        st.markdown(f"**{ui.md(best[0].upper() + best[1:])}**")
        comparisons = loaders.load_csv(tasks.comparisons_file(ui.results(), name))
        if comparisons.ok and (against := status.runner_up_text(name, data, comparisons.value)):
            st.caption(f"{ui.md(against[0].upper() + against[1:])} (over seeds, Holm-adjusted; the task's "
                       "page has the numbers).")
    charts.intervals(data, task.key_metric, f"{task.key_metric.label}, 95% CI",
                     colours=ui.colours(name, data["variant"]))


def root_counts(roots):
    """One line per root: its runs counted (status.summary_lines, as `python -m nnlab.status` says them)."""
    for root in roots:
        _, text = status.progress(root.states)
        tasks_text = "; ".join(f"{tasks.TASKS[t].title.lower()} {status.progress(states)[1]}"
                               for t, (states, _) in root.tasks.items())
        st.markdown(f"{ui.state_badge(status.root_state(root.states))} **{ui.md(root.label)}**: {ui.md(text)}"
                    + (f" ({ui.md(tasks_text)})" if len(root.tasks) > 1 or root.name != "baseline" else ""))


def overview_rows(page):
    """The status board of one task, as text cells (a static table keeps them in the page's text)."""
    rows = []
    for v in page.states:
        loaded = page.estimates(v.variant) if v.done_seeds else None
        problem = status.unreadable(loaded.path, loaded.error) if loaded is not None and loaded.error else ""
        row = {**status.row(v, loaded.value if loaded is not None and loaded.ok else None, problem),
               "variant": ui.md(v.variant)}
        notes = [row.pop("note")]
        if len(v.runs) == 1 and v.done_seeds and (metrics := page.metrics(v.variant)).ok \
                and metrics.value.get("stopped_early"):
            notes.append(f"stopped early; best epoch {wording.fmt(metrics.value.get('best_epoch'))}")
        if not page.replicated:
            del row["seeds done"]
        row["updated"] = "–" if v.updated is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(v.updated))
        row["note"] = ui.md("; ".join(filter(None, notes)))          # st.table renders its cells as Markdown
        rows.append(row)
    return pd.DataFrame(rows)


def task_progress(task, task_states, message, root=None):
    st.subheader(task.title + ("" if root is None else f" · {root.label}"),
                 anchor=f"variants-{task.name}" + ("" if root is None else f"-{root.name}"))
    if message and not task_states:
        st.info(f"{task.title}: no variants listed ({ui.md(message)}).", icon=":material/info:")
        return
    if message:
        st.caption(f"Config: {ui.md(message)}")
    st.progress(*status.progress(task_states))
    with st.expander(f"Every variant ({len(task_states)}, {sum(v.state == 'done' for v in task_states)} done)"):
        with ui.guard(f"The {task.title.lower()} table"):
            ui.state_table(overview_rows(task_page.TaskPage(task, task_states)) if root is None
                           else pd.DataFrame([status.row(v, *status.variant_estimates(root.path, v))
                                              for v in task_states]).assign(
                               variant=lambda f: f["variant"].map(ui.md), note=lambda f: f["note"].map(ui.md)))
    for v in task_states:
        if v.state == "failed":
            st.error(f"**{ui.md(v.variant)}** failed: {ui.md(v.detail)}", icon=":material/error:")
            st.code("\n".join(v.log_tail) or "(empty log)", language="text")
        elif v.state == "interrupted":
            st.warning(f"**{ui.md(v.variant)}**: {ui.md(v.detail)}", icon=":material/pause_circle:")


def live_progress(running):
    """running: [(root, run)] of the running runs (one VariantState per seed)."""
    st.subheader("Live progress", anchor="live-progress")
    st.caption(f"Curves of running runs, checked every {wording.fmt(ui.settings().refresh)} s "
               "(a history.csv is re-read only when its modification time changes).")
    for root, r in running:
        fraction = min(r.epochs_done / r.epochs_planned, 1.0) if r.epochs_planned else 0.0
        where = "" if root.name == "baseline" else f" ({root.label})"
        st.progress(fraction, text=ui.md(f"{tasks.TASKS[r.task].title} · {r.variant}{where} · seed {r.seed}: "
                                         f"{r.detail}"))
    for name in dict.fromkeys(r.task for _, r in running):
        task = tasks.TASKS[name]
        with ui.guard(f"{task.title} live curves"):
            frames = task_page.histories(
                (f"{r.variant}{'' if root.name == 'baseline' else f' ({root.name})'} · seed {r.seed}",
                 Path(tasks.run_dir(root.path, name, r.variant, r.seed)) / "history.csv", False)
                for root, r in running if r.task == name)
            charts.curves(frames, task.panels[0], colours=ui.label_colours(
                name, frames, lambda label: label.split(" · seed ")[0]))


def variants_section(config, expected):
    """expected: whether a run ran when the page ran; when that changes the whole page reruns."""
    roots = all_roots(config)
    if any_running(roots) != expected:
        st.rerun()                # a run started or ended: refresh the page
    st.header("Runs")
    st.caption("Every results root: the baseline (results/) and each experiment (results/experiments/<name>/), "
               "its runs counted (a run: one seed of one variant). The same counts in a terminal: "
               "`python -m nnlab.status --summary`.")
    root_counts(roots)
    st.subheader("Baseline", anchor="baseline", divider="gray")
    st.caption(ui.INTERVALS_CAPTION)
    for name, (task_states, message) in roots[0].tasks.items():
        task_progress(tasks.TASKS[name], task_states, message)
    if len(roots) > 1:
        st.subheader("Experiments", anchor="experiments", divider="gray")
        st.caption("Each experiment's own runs (the variants its change touches); the Experiments page compares "
                   "them with the baseline.")
    for root in roots[1:]:
        for name, (task_states, message) in root.tasks.items():
            task_progress(tasks.TASKS[name], task_states, message, root)
    running = [(root, r) for root in roots for v in root.states for r in v.runs if r.state == "running"]
    if running:
        live_progress(running)


ui.intro("nnlab results", "Three neural-network experiments from scratch in NumPy: a sparse autoencoder, a trigram "
         "language model and recurrent activity classifiers. At a glance: each task's key metric per variant and "
         "its best variant; below, the runs of the baseline and of every experiment.")
config, config_message = ui.config()
if config_message:
    st.warning(f"Config: {ui.md(config_message)}. Variants are listed from the results folder only.",
               icon=":material/settings_alert:")
st.header("At a glance")
if sentence := status.data_sentence(loaders.load_json(tasks.data_file(ui.results(), "source.json")).value):
    st.caption(ui.md(sentence[0].upper() + sentence[1:]) + " (the Data page says more).")
for column, name in zip(st.columns(len(tasks.TASKS)), tasks.TASKS):
    with column, ui.guard(f"The {tasks.TASKS[name].title.lower()} summary"):
        glance(name)
expected = any_running(all_roots(config))
ui.live(lambda: variants_section(config, expected), active=expected, key="overview-variants", idle=ui.IDLE_POLL_SECONDS)
