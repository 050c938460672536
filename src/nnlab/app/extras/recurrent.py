"""Recurrent extras: full and truncated BPTT side by side, confusion matrices, per-class scores, live classification."""
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnlab import tasks, wording
from nnlab.app import charts, loaders, ui
from nnlab.diagrams import CELL_DIAGRAMS
from nnlab.errors import reason

DRAWN = ("confusion_train.png", "confusion_test.png")      # drawn here from the CSVs, not shown twice
SPLITS = ("train", "test")
SCORES = {"precision": "precision", "recall": "recall", "f1": "F1"}     # per class, in metrics.json


def groups(page, names):
    """Full and truncated back-propagation through time, side by side."""
    truncated = {n: page.hyperparameters(n).get("truncation") not in (None, 0, False) for n in names}
    return {"Full BPTT": [n for n in names if not truncated[n]], "Truncated BPTT": [n for n in names if truncated[n]]}


def per_class(metrics):
    """Per class, precision, recall and F1 as metrics.json stores them (null: '–'), as text; a score it does not
    hold (F1 in results written before it was) is left out."""
    table = {}
    for split in SPLITS:
        for score, label in SCORES.items():
            if (values := metrics.get(key := f"{split}_{score}")) is None:
                continue
            numbers = isinstance(values, dict) and all(type(v) in (int, float, type(None)) for v in values.values())
            if not numbers:
                raise ValueError(f"expected a number or null per class in {key}, found {str(values)[:60]}")
            table[f"{split} {label}"] = values
    if not table:
        raise ValueError(f"no per-class scores ({', '.join(f'{s}_{score}' for s in SPLITS for score in SCORES)})")
    classes = list(dict.fromkeys(c for values in table.values() for c in values))     # as metrics.json lists them
    share = tasks.TASKS["recurrent"].metric("test_accuracy")          # scores are shares: in percent, as accuracies
    return (pd.DataFrame(table, index=classes).map(lambda v: wording.level(share, v))
            .rename_axis("class").reset_index())


def run(page, name, seed):
    st.subheader("Confusion matrices")
    estimates = page.run_estimates(name, seed)
    estimates = estimates.value if estimates.ok else {}
    for column, split in zip(st.columns(2), SPLITS):
        with column:
            loaded = loaders.load_confusion(page.run(name, seed) / f"confusion_{split}.csv")
            if not ui.problem(loaded, f"{split} confusion matrix"):
                e = estimates.get(f"{split}_accuracy")
                metric = page.task.metric(f"{split}_accuracy")
                accuracy = wording.level(metric, e.get("mean")) if e else "–"
                interval = wording.ci_text(metric, e) if e and wording.has_interval(e) else "no interval"
                charts.confusion(loaded.value, f"{split}: accuracy {accuracy}", interval)
    st.subheader("Per class")
    scores = page.metrics(name, seed).parsed(per_class)
    if not ui.problem(scores, "per-class scores"):
        st.dataframe(scores.value, hide_index=True, width="stretch")


def window_picker(y_test, classes):
    """The number of the test window picked (its index in the test set, the one numbering the page uses), None
    after saying there is none. A class narrows the windows offered; the number stays the test set's."""
    left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
    only = left.selectbox("True class", ["any"] + classes, key="rec-class")
    pool = np.arange(len(y_test)) if only == "any" else np.flatnonzero(y_test == classes.index(only))
    if not len(pool):
        st.info(f"No test window of class {ui.md(only)}.")
        return None
    pool = [int(i) for i in pool]
    if st.session_state.get("rec-pick") not in pool:
        st.session_state["rec-pick"] = pool[0]
    pick = mid.selectbox(f"Test window (of {len(y_test)})" if only == "any" else
                         f"Test window ({len(pool)} {only} windows of {len(y_test)})",
                         pool, key="rec-pick", format_func=lambda i: f"#{i}",
                         help="Its number in the test set (from 0), whichever class is picked.")
    ui.random_button(right, len(pool), lambda i: st.session_state.update({"rec-pick": pool[i]}), key="rec-random")
    return int(pick)


def classify(page, name, sequence, classes):
    """{class: probability} of one trained variant, or None after showing why not."""
    loaded = page.model(name)
    if loaded.ok:
        try:
            probs = loaded.value.predict_proba(np.asarray(sequence, dtype=np.float32)[None])[0]
            if len(probs) == len(classes) and loaded.value.model.classes in (None, classes):
                return dict(zip(classes, probs.astype(float)))
            loaded = loaders.Loaded(loaded.path, error=f"its {len(probs)} classes are not the data's {len(classes)}")
        except Exception as error:  # noqa: BLE001 - one bad model must not hide the others
            loaded = loaders.Loaded(loaded.path, error=reason(error))
    ui.problem(loaded, f"{name} model")
    return None


def live_classification(page):
    if not page.trained:
        st.info("Live classification needs a trained variant (a done run with params.npz).", icon=ui.WAIT)
        return
    data = loaders.load_npz(tasks.data_file(ui.results(), "activity.npz"), ["x_test", "y_test", "classes"],
                            optional=["mean", "sd"])
    if ui.problem(data, "test sequences"):
        return
    classes, x_test, y_test = [str(c) for c in data.value["classes"]], data.value["x_test"], data.value["y_test"]
    if page.replicated:
        st.caption("Every trained variant classifies with the model of its first seed.")
    i = window_picker(y_test, classes)
    if i is None:
        return
    truth = classes[int(y_test[i])]
    st.markdown(f"Test window **#{i}** of {len(y_test)} · true class **{ui.md(truth)}** · {x_test[i].shape[0]} steps")
    signal, unit = np.asarray(x_test[i], dtype=np.float64), "standardized value"
    if "mean" in data.value and "sd" in data.value and np.size(data.value["mean"]) == signal.shape[1]:
        signal, unit = signal * np.ravel(data.value["sd"]) + np.ravel(data.value["mean"]), "acceleration"
    names = ["x", "y", "z"] if signal.shape[1] == 3 else [f"channel {c}" for c in range(signal.shape[1])]
    long = pd.DataFrame(signal, columns=names).rename_axis("step").reset_index().melt("step", var_name="axis")
    charts.plot("line", long, f"the accelerometer signals ({unit})", x="step:Q", y="value:Q", color="axis:N")
    rows = []
    for name in page.trained:
        if (probs := classify(page, name, x_test[i], classes)) is not None:
            predicted = max(probs, key=probs.get)
            rows.append({"variant": name, "predicted": predicted,
                         "correct": "yes" if predicted == truth else "no", **probs})
    if not rows:
        return
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch", key="rec-live-table",
                 column_config={c: st.column_config.ProgressColumn(c, format="%.2f", min_value=0.0, max_value=1.0,
                                                                   width="small")     # six classes fit the page
                                for c in classes})
    long = table.melt(["variant", "predicted", "correct"], classes, var_name="class", value_name="probability")
    names = list(table["variant"])
    charts.plot("bar", long, "class probabilities", names=names,
                x=alt.X("class:N", sort=classes, title=None, axis=alt.Axis(labelAngle=-30)),
                y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1])), xOffset=alt.XOffset("variant:N", sort=names),
                color=alt.Color("variant:N", title=None, sort=names,
                                scale=charts.colour_scale(ui.colours("recurrent", names), names)))


def cells(page=None):
    """The three cells, drawn from their equations (nnlab.diagrams), one tab each."""
    for tab, diagram in zip(st.tabs([d.title for d in CELL_DIAGRAMS.values()]), CELL_DIAGRAMS.values()):
        with tab:
            st.graphviz_chart(diagram.draw())
            st.caption(ui.md(diagram.caption))


def step_norms(roots):
    """‖∂L/∂h_t‖ for every step t of full BPTT (grad_steps.csv) of each full-BPTT variant's first seed, at its
    last recorded epoch, in each root {label: results folder}."""
    parts = []
    for label, root in roots.items():
        for folder in sorted(Path(tasks.task_dir(root, "recurrent")).glob("*-full")):
            runs = sorted(folder.glob("seed*/grad_steps.csv"), key=lambda p: tasks.seed_of(p.parent.name) or 0)
            if not runs:
                continue
            loaded = loaders.load_csv(runs[0])
            if ui.problem(loaded, f"{folder.name} per-step gradient norms"):
                continue
            frame = loaded.value
            if frame.empty or not {"epoch", "step", "norm"} <= set(frame.columns):
                continue
            last = frame[frame["epoch"] == frame["epoch"].max()]
            name = folder.name if len(roots) == 1 else f"{folder.name} ({label})"
            own = Path(root) == Path(ui.results())      # the baseline's variant keeps its colour; another root's
            parts.append(last.assign(variant=f"{name}, epoch {int(last['epoch'].iloc[0])}",   # is an extra name
                                     colour_key=folder.name if own else name))
    if not parts:
        st.caption("No per-step gradient norms yet: the recurrent runs write grad_steps.csv.")
        return
    data = pd.concat(parts, ignore_index=True)
    data = data[data["norm"] > 0]                  # a norm that reached zero has no place on a log scale
    names = list(dict.fromkeys(data["variant"]))
    keys = dict(zip(data["variant"], data["colour_key"]))
    colours = ui.label_colours("recurrent", names, keys.get)
    charts.plot("line", data, "‖∂L/∂h_t‖ per time step at the last recorded epoch (first seed)", height=260,
                x=alt.X("step:Q", title="time step t"),
                y=alt.Y("norm:Q", scale=alt.Scale(type="log"), title="mean ‖∂L_n/∂h_t‖ (log scale)"),
                color=alt.Color("variant:N", title=None, sort=names, scale=charts.colour_scale(colours, names)),
                names=names, tooltip=["variant", "step", alt.Tooltip("norm:Q", format=".3g")])
    st.caption("How far back the loss reaches: the mean over 32 fixed training windows of the gradient with respect "
               "to the hidden state after step t, back-propagated through every step (grad_steps.csv). A line that "
               "falls by powers of ten towards t = 1 is a vanishing gradient.")


def page_step_norms(page):
    step_norms({"": ui.results()})


SECTIONS = [("Live classification", live_classification), ("The cells, from their equations", cells),
            ("The backward signal per time step", page_step_norms)]
