"""Overview: every variant the current config defines, with its state and key metrics;
live curves of running variants; failed variants' last log lines; the summary tables."""
import pandas as pd
import streamlit as st

from nnlab.app import loaders, state, ui


def all_states(config):
    return {task: state.task_states(ui.results(), task, config) for task in state.TASKS}


def signature(states):
    """What the rest of the page depends on: whether anything runs (the refresh interval) and
    the summary tables. When it changes the whole page reruns; other changes stay in the fragment."""
    running = any(v.state == "running" for task_states, _ in states.values() for v in task_states)
    return running, tuple(loaders.file_key(ui.results() / "summary" / f"{task}.csv") for task in state.TASKS)


def overview_rows(task, states):
    """The status board of one task: text cells (a static table keeps them in the page's text)."""
    rows = []
    for v in states:
        planned = v.epochs_planned if v.epochs_planned and v.epochs_done <= v.epochs_planned else None
        row = {"state": v.state, "variant": ui.md(v.variant),
               "epochs": f"{v.epochs_done}" + (f" / {planned}" if planned else "")}
        notes = [v.detail] if v.detail else []
        metrics = loaders.load_json(ui.results() / v.folder / "metrics.json") if v.state == "done" else None
        values = {}
        if metrics is not None and metrics.ok:
            row["epochs"] = ui.fmt(metrics.value.get("epochs_run", v.epochs_done))
            if metrics.value.get("stopped_early"):
                notes.append(f"stopped early; best epoch {ui.fmt(metrics.value.get('best_epoch'))}")
            values = metrics.value
        elif metrics is not None:
            notes.append(f"metrics.json unreadable: {metrics.error}")
        row.update({key.replace("_", " "): ui.fmt(values.get(key)) for key in state.TASKS[task].key_metrics})
        row["updated"] = ui.when(v.updated)
        row["note"] = ui.md("; ".join(notes))          # st.table renders its cells as Markdown
        rows.append(row)
    return pd.DataFrame(rows)


def task_variants(task, task_states, message):
    title = state.TASKS[task].title
    st.subheader(title, anchor=f"variants-{task}")
    if message and not task_states:
        st.info(f"{title}: no variants listed ({ui.md(message)}).", icon=":material/info:")
        return
    if message:
        st.caption(f"Config: {ui.md(message)}")
    with ui.guard(f"The {title.lower()} table"):
        ui.state_table(overview_rows(task, task_states))
    for v in task_states:
        if v.state == "failed":
            st.error(f"**{ui.md(v.variant)}** failed: {ui.md(v.detail)}", icon=":material/error:")
            st.code("\n".join(v.log_tail) or "(empty log)", language="text")
        elif v.state == "interrupted":
            st.warning(f"**{ui.md(v.variant)}**: {ui.md(v.detail)}", icon=":material/pause_circle:")


def live_progress(running):
    st.subheader("Live progress", anchor="live-progress")
    st.caption(f"Curves of running variants, checked every {ui.fmt(ui.settings().refresh)} s "
               "(a history.csv is re-read only when its modification time changes).")
    for v in running:
        fraction = min(v.epochs_done / v.epochs_planned, 1.0) if v.epochs_planned else 0.0
        st.progress(fraction, text=ui.md(f"{state.TASKS[v.task].title} · {v.variant}: {v.detail}"))
    for task in dict.fromkeys(v.task for v in running):
        title = state.TASKS[task].title
        with ui.guard(f"{title} live curves"):
            ui.curves(task, [v.variant for v in running if v.task == task], lambda frames: ui.curves_chart(
                frames, ui.LOSS, f"{title}: loss of running variants", "loss"))


def variants_section(config, expected):
    states = all_states(config)
    full_run = st.session_state.pop("overview-full-run", False)
    if not full_run and signature(states) != expected:
        st.rerun()                    # a run started or ended, or a summary changed: refresh the page
    for column, name in zip(st.columns(len(state.STATES)), state.STATES):
        count = sum(v.state == name for task_states, _ in states.values() for v in task_states)
        column.metric(name, count, icon=ui.STATE_STYLE[name][0], border=True)
    for task, (task_states, message) in states.items():
        task_variants(task, task_states, message)
    running = [v for task_states, _ in states.values() for v in task_states if v.state == "running"]
    if running:
        live_progress(running)


def summary_tables():
    st.caption("One row per variant: hyper-parameters and metrics. Click a column header to sort.")
    for task, spec in state.TASKS.items():
        st.subheader(spec.title, anchor=f"summary-{task}")
        loaded = loaders.load_csv(ui.results() / "summary" / f"{task}.csv")
        if loaded.missing:
            st.info(f"{ui.md(ui.rel(loaded.path), code=True)} has not been produced yet: it is written when "
                    "every variant of the task is done.", icon=ui.WAIT)
        elif not ui.problem(loaded, "summary table"):
            st.dataframe(loaded.value, hide_index=True, width="stretch", key=f"summary-{task}")
            ui.csv_download(loaded.path, f"Download {task}.csv", key=f"download-{task}")


st.title("nnlab results")
st.caption("Three neural-network experiments from scratch in NumPy: a sparse autoencoder, a trigram "
           "language model and recurrent activity classifiers. This page lists every variant the "
           "current config defines and the state of its results.")
ui.results_banner()
config, config_message = ui.config()
if config_message:
    st.warning(f"Config: {ui.md(config_message)}. Variants are listed from the results folder only.",
               icon=":material/settings_alert:")
st.header("Variants")
expected = signature(all_states(config))
st.session_state["overview-full-run"] = True         # the fragment's first run is part of this one
ui.live(lambda: variants_section(config, expected), active=expected[0], key="overview-variants",
        idle=ui.IDLE_POLL_SECONDS)
ui.section("Summary tables", summary_tables)
