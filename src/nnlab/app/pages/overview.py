"""Overview: every variant the current config defines, with its state and key metrics;
live curves of running variants; failed variants' last log lines; the summary tables."""
import pandas as pd
import streamlit as st

from nnlab.app import loaders, state, ui

s = ui.settings()
st.title("nnlab results")
st.caption("Three neural-network experiments from scratch in NumPy: a sparse autoencoder, a trigram "
           "language model and recurrent activity classifiers. This page lists every variant the "
           "current config defines and the state of its results.")

ui.results_banner()
config, config_message = ui.config()
if config_message:
    st.warning(f"Config: {config_message}. Variants are listed from the results folder only.",
               icon=":material/settings_alert:")


def all_states():
    out = {}
    for task in state.TASKS:
        out[task] = state.task_states(s.results, task, config)
    return out


def signature(states):
    """What the rest of the page depends on: whether anything runs (the refresh interval) and
    the summary tables. When it changes the whole page reruns; other changes stay in the fragment."""
    running = any(v.state == "running" for task_states, _ in states.values() for v in task_states)
    return running, tuple(loaders.file_key(s.results / "summary" / f"{task}.csv") for task in state.TASKS)


def overview_rows(task, states):
    """The status board of one task: text cells (a static table keeps them in the page's text)."""
    rows = []
    for v in states:
        planned = v.epochs_planned if v.epochs_planned and v.epochs_done <= v.epochs_planned else None
        row = {"state": v.state, "variant": v.variant,
               "epochs": f"{v.epochs_done}" + (f" / {planned}" if planned else "")}
        notes = [v.detail] if v.detail else []
        metrics = loaders.load_json(s.results / v.folder / "metrics.json") if v.state == "done" else None
        if metrics is not None and metrics.ok:
            row["epochs"] = ui.fmt(metrics.value.get("epochs_run", v.epochs_done))
            if metrics.value.get("stopped_early"):
                notes.append(f"stopped early; best epoch {metrics.value.get('best_epoch')}")
        elif metrics is not None:
            notes.append(f"metrics.json unreadable: {metrics.error}")
        for key in state.TASKS[task].key_metrics:
            value = metrics.value.get(key) if metrics is not None and metrics.ok else None
            row[key.replace("_", " ")] = "–" if value is None else ui.fmt(value)
        row["updated"] = ui.when(v.updated)
        row["note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def variants_section(expected):
    states = all_states()
    full_run = st.session_state.pop("overview-full-run", False)
    if not full_run and signature(states) != expected:
        st.rerun()                    # a run started or ended, or a summary changed: refresh the page
    counts = {name: sum(v.state == name for task_states, _ in states.values() for v in task_states)
              for name in state.STATES}
    for column, name in zip(st.columns(len(state.STATES)), state.STATES):
        column.metric(name, counts[name], icon=ui.STATE_STYLE[name][0], border=True)

    running = []
    for task, (task_states, message) in states.items():
        title = state.TASKS[task].title
        st.subheader(title, anchor=f"variants-{task}")
        running += [v for v in task_states if v.state == "running"]
        if message and not task_states:
            st.info(f"{title}: no variants listed ({message}).", icon=":material/info:")
            continue
        if message:
            st.caption(f"Config: {message}")
        with ui.guard(f"The {title.lower()} table"):
            ui.state_table(overview_rows(task, task_states))
        for v in task_states:
            if v.state == "failed":
                st.error(f"**{v.variant}** failed: {v.detail}", icon=":material/error:")
                st.code("\n".join(v.log_tail) or "(empty log)", language="text")
            elif v.state == "interrupted":
                st.warning(f"**{v.variant}**: {v.detail}", icon=":material/pause_circle:")

    if running:
        st.subheader("Live progress", anchor="live-progress")
        st.caption(f"Curves of running variants, checked every {ui.fmt(s.refresh)} s "
                   "(a history.csv is re-read only when its modification time changes).")
        for v in running:
            fraction = min(v.epochs_done / v.epochs_planned, 1.0) if v.epochs_planned else 0.0
            st.progress(fraction, text=f"{state.TASKS[v.task].title} · {v.variant}: {v.detail}")
        by_task = {}
        for v in running:
            by_task.setdefault(v.task, []).append(v.variant)
        for task, variants in by_task.items():
            with ui.guard(f"{state.TASKS[task].title} live curves"):
                frames, bad = ui.histories(task, variants)
                ui.history_problems(bad)
                ui.curves_chart(frames, [("train_loss", "train"), ("val_loss", "validation")],
                                f"{state.TASKS[task].title}: loss of running variants", "loss")


st.header("Variants")
expected = signature(all_states())
st.session_state["overview-full-run"] = True         # the fragment's first run is part of this one
ui.live(lambda: variants_section(expected), active=expected[0], key="overview-variants",
        idle=ui.IDLE_POLL_SECONDS)

st.header("Summary tables")
st.caption("One row per variant: hyper-parameters and metrics. Click a column header to sort.")
for task, spec in state.TASKS.items():
    path = s.results / "summary" / f"{task}.csv"
    st.subheader(spec.title, anchor=f"summary-{task}")
    loaded = loaders.load_csv(path)
    if loaded.missing:
        st.info(f"`{ui.rel(path)}` has not been produced yet: it is written when every variant of "
                "the task is done.", icon=":material/hourglass_empty:")
        continue
    if ui.problem(loaded, "summary table"):
        continue
    with ui.guard(f"The {spec.title.lower()} summary"):
        st.dataframe(loaded.value, hide_index=True, width="stretch", key=f"summary-{task}")
        ui.csv_download(path, f"Download {task}.csv", key=f"download-{task}")
