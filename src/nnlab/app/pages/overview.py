"""Overview: every variant the current config defines, with its state (over its seeds) and key
metrics with their intervals; live curves of running runs; failed runs' last log lines; the
summary tables."""
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
    """The status board of one task: text cells (a static table keeps them in the page's text).
    A variant's metrics are its aggregate's (mean and 95% interval); the seeds column, "3/5 done",
    appears when some variant has several runs."""
    page = ui.TaskPage(task, states)
    keys = state.TASKS[task].key_metrics
    rows = []
    for v in states:
        planned = v.epochs_planned if v.epochs_planned and v.epochs_done <= v.epochs_planned else None
        row = {"state": v.state, "variant": ui.md(v.variant)}
        if page.replicated:
            row["seeds done"] = v.seeds_done
        row["epochs"] = f"{v.epochs_done}" + (f" / {planned}" if planned else "")
        notes = [v.detail] if v.detail else []
        estimates = page.estimates(v.variant) if v.done_seeds else None
        values = {}
        if estimates is not None and estimates.ok:
            values = estimates.value
            if v.state == "done" and "epochs_run" in values:
                row["epochs"] = ui.fmt(values["epochs_run"]["mean"], 3)
            if len(v.runs) == 1 and (metrics := page.metrics(v.variant)).ok and metrics.value.get("stopped_early"):
                notes.append(f"stopped early; best epoch {ui.fmt(metrics.value.get('best_epoch'))}")
        elif estimates is not None and not estimates.missing:
            notes.append(f"{estimates.path.name} unreadable: {estimates.error}")
        elif v.state == "done":
            notes.append("aggregate.json not written yet")
        row.update({key.replace("_", " "): ui.estimate_cell(values[key]) if key in values else "–" for key in keys})
        row["95% CI"] = ui.intervals_note(values, keys) if values else ""
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
    """running: the running runs (one VariantState per seed)."""
    st.subheader("Live progress", anchor="live-progress")
    st.caption(f"Curves of running runs, checked every {ui.fmt(ui.settings().refresh)} s "
               "(a history.csv is re-read only when its modification time changes).")
    for r in running:
        fraction = min(r.epochs_done / r.epochs_planned, 1.0) if r.epochs_planned else 0.0
        st.progress(fraction, text=ui.md(f"{state.TASKS[r.task].title} · {r.variant} · seed {r.seed}: {r.detail}"))
    for task in dict.fromkeys(r.task for r in running):
        title = state.TASKS[task].title
        with ui.guard(f"{title} live curves"):
            ui.curves([(f"{r.variant} · seed {r.seed}", ui.results() / r.folder / "history.csv", False)
                       for r in running if r.task == task], lambda frames: ui.curves_chart(
                frames, ui.LOSS, f"{title}: loss of running runs", "loss"))


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
    running = [r for task_states, _ in states.values() for v in task_states for r in v.runs if r.state == "running"]
    if running:
        live_progress(running)


def summary_tables():
    st.caption("One row per variant: its key metrics with their 95% interval (low, high) first, then the "
               "hyper-parameters and every metric's mean over the seeds, sd, interval and how the interval "
               "was computed. Click a column header to sort.")
    for task, spec in state.TASKS.items():
        st.subheader(spec.title, anchor=f"summary-{task}")
        table = ui.summary_file(f"{task}.csv", [], "summary table")
        if table is not None:                        # the key metrics first, where a screen shows them
            first = ["variant", "seeds"] + [f"{m}{end}" for m in spec.key_metrics for end in ("", "_low", "_high")]
            first = [c for c in first if c in table.columns]
            table = table[first + [c for c in table.columns if c not in first]]
            st.dataframe(table, hide_index=True, width="stretch", key=f"summary-{task}")
            ui.csv_download(ui.results() / "summary" / f"{task}.csv", f"Download {task}.csv", key=f"download-{task}")


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
st.caption(ui.INTERVALS_CAPTION)
expected = signature(all_states(config))
st.session_state["overview-full-run"] = True         # the fragment's first run is part of this one
ui.live(lambda: variants_section(config, expected), active=expected[0], key="overview-variants",
        idle=ui.IDLE_POLL_SECONDS)
ui.section("Summary tables", summary_tables)
