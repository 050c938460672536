"""Overview: per task, how far its runs are, every variant's state and key metrics; live curves."""
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import status, tasks, wording
from nnlab.app import charts, task_page, ui


def all_states(config):
    return {name: status.task_states(ui.results(), name, config) for name in tasks.TASKS}


def any_running(states):
    """Whether any run runs: when this changes the whole page reruns."""
    return any(v.state == "running" for task_states, _ in states.values() for v in task_states)


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


def task_progress(task, task_states, message):
    st.subheader(task.title, anchor=f"variants-{task.name}")
    if message and not task_states:
        st.info(f"{task.title}: no variants listed ({ui.md(message)}).", icon=":material/info:")
        return
    if message:
        st.caption(f"Config: {ui.md(message)}")
    st.progress(*status.progress(task_states))
    with st.expander(f"Every variant ({len(task_states)}, {sum(v.state == 'done' for v in task_states)} done)"):
        with ui.guard(f"The {task.title.lower()} table"):
            ui.state_table(overview_rows(task_page.TaskPage(task, task_states)))
    for v in task_states:
        if v.state == "failed":
            st.error(f"**{ui.md(v.variant)}** failed: {ui.md(v.detail)}", icon=":material/error:")
            st.code("\n".join(v.log_tail) or "(empty log)", language="text")
        elif v.state == "interrupted":
            st.warning(f"**{ui.md(v.variant)}**: {ui.md(v.detail)}", icon=":material/pause_circle:")


def live_progress(running):
    """running: the running runs (one VariantState per seed)."""
    st.subheader("Live progress", anchor="live-progress")
    st.caption(f"Curves of running runs, checked every {wording.fmt(ui.settings().refresh)} s "
               "(a history.csv is re-read only when its modification time changes).")
    for r in running:
        fraction = min(r.epochs_done / r.epochs_planned, 1.0) if r.epochs_planned else 0.0
        st.progress(fraction, text=ui.md(f"{tasks.TASKS[r.task].title} · {r.variant} · seed {r.seed}: {r.detail}"))
    for name in dict.fromkeys(r.task for r in running):
        task = tasks.TASKS[name]
        with ui.guard(f"{task.title} live curves"):
            frames = task_page.histories((f"{r.variant} · seed {r.seed}", Path(tasks.run_dir(
                ui.results(), name, r.variant, r.seed)) / "history.csv", False) for r in running if r.task == name)
            charts.curves(frames, task.panels[0])


def variants_section(config, expected):
    """expected: whether a run ran when the page ran; when that changes the whole page reruns."""
    states = all_states(config)
    if any_running(states) != expected:
        st.rerun()                # a run started or ended: refresh the page
    for name, (task_states, message) in states.items():
        task_progress(tasks.TASKS[name], task_states, message)
    running = [r for task_states, _ in states.values() for v in task_states for r in v.runs if r.state == "running"]
    if running:
        live_progress(running)


ui.intro("nnlab results", "Three neural-network experiments from scratch in NumPy: a sparse autoencoder, a trigram "
         "language model and recurrent activity classifiers. This page lists every variant the config defines "
         "and the state of its runs; each task's page has its results.")
config, config_message = ui.config()
if config_message:
    st.warning(f"Config: {ui.md(config_message)}. Variants are listed from the results folder only.",
               icon=":material/settings_alert:")
st.header("Variants")
st.caption(ui.INTERVALS_CAPTION)
expected = any_running(all_states(config))
ui.live(lambda: variants_section(config, expected), active=expected, key="overview-variants", idle=ui.IDLE_POLL_SECONDS)
