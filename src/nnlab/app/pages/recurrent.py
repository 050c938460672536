"""Recurrent classifier: test accuracy per variant with error bars, curves (loss, accuracy,
gradient norm; means over seeds with bands) with full and truncated BPTT side by side, metrics
with intervals, one variant's aggregate and one seed's confusion matrices and per-class scores,
two variants compared, and live classification of a test window."""
import re

import numpy as np
import pandas as pd
import streamlit as st

from nnlab.app import loaders, ui

CAPTION = ("A recurrent layer (tanh RNN, LSTM or GRU) read over the whole accelerometer window, trained "
           "with full or truncated back-propagation through time, then an MLP with softmax over six "
           "activities.")
METRICS = ["test_accuracy", "test_cross_entropy", "val_accuracy", "val_cross_entropy", "train_accuracy",
           "best_epoch", "epochs_run", "seconds_per_epoch"]


def truncated(name):
    """Whether a variant trains with truncated BPTT (its `truncation`, else its name)."""
    hp = page.hyperparameters(name)
    if "truncation" in hp:
        return hp["truncation"] not in (None, 0, False)
    return bool(re.search(r"tbptt|trunc", name, re.I))


def variant_of(label):
    """The variant a curve's label names ("lstm-full" or "lstm-full · seed 2")."""
    return label.split(" · seed ")[0]


def columns(name):
    hp = page.hyperparameters(name)
    return {"BPTT": "truncated" if truncated(name) else "full", **{k: hp[k] for k in ("cell", "truncation") if k in hp}}


def draw_curves(frames):
    for column, kind in zip(st.columns(2), (False, True)):
        with column:
            st.subheader("Truncated BPTT" if kind else "Full BPTT")
            group = {name: frame for name, frame in frames.items() if truncated(variant_of(name)) == kind}
            if not group:
                st.caption("No chosen variant of this kind.")
                continue
            ui.curves_chart(group, ui.LOSS, "cross-entropy", "cross-entropy", height=180)
            ui.curves_chart(group, ui.ACCURACY, "accuracy", "accuracy", height=180)
            ui.curves_chart(group, [("grad_norm", "‖∂L/∂Wh‖")], "gradient norm (mean over batches)", "norm",
                            height=180, log_scale=True)


def per_class(metrics):
    """Precision, recall (from metrics.json; null where a class was never predicted or present)
    and their F1, per class, as text: a null shows as '–'."""
    table = {}
    for split in ("train", "test"):
        scores = {}
        for score in ("precision", "recall"):
            values = metrics.get(f"{split}_{score}")
            if not isinstance(values, dict):
                raise ValueError(f"metrics.json has no per-class {split}_{score}")
            scores[score] = loaders.metric_values(values, list(values))
        p, r = pd.Series(scores["precision"], dtype=float), pd.Series(scores["recall"], dtype=float)
        for name, values in (("precision", p), ("recall", r), ("F1", 2 * p * r / (p + r))):
            table[f"{split} {name}"] = values.map(lambda x: ui.fmt(None if pd.isna(x) else x, 3))
    return pd.DataFrame(table).rename_axis("class").reset_index()


def accuracy_title(metrics, split):
    """The confusion chart's title: the run's accuracy, with its test-set interval (Wilson)."""
    if not metrics.ok:
        return split
    try:
        estimate = loaders.run_estimates(metrics.value).get(f"{split}_accuracy")
    except ValueError:
        estimate = None
    return f"{split}: accuracy " + (ui.estimate_text(f"{split}_accuracy", estimate) if estimate else "–")


def confusion(name, seed):
    metrics = page.metrics(name, seed)
    for column, split in zip(st.columns(2), ("train", "test")):
        with column:
            loaded = loaders.load_confusion(page.run(name, seed) / f"confusion_{split}.csv")
            if not ui.problem(loaded, f"{split} confusion matrix"):
                ui.confusion_chart(loaded.value, accuracy_title(metrics, split))
    st.subheader("Per class")
    if not ui.problem(metrics, "per-class scores"):
        try:
            table = per_class(metrics.value)
        except ValueError as error:
            ui.problem(loaders.Loaded(metrics.path, error=str(error)), "per-class scores")
        else:
            st.dataframe(table, hide_index=True, width="stretch")
    figures = sorted(page.run(name, seed).glob("confusion*.png"))
    if figures:
        with st.expander("Saved confusion figures"):
            for column, path in zip(st.columns(len(figures)), figures):
                with column:
                    ui.image(path, caption=path.name)


def window_picker(x_test, y_test, classes):
    """The index of the test window picked (None after saying there is none)."""
    left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
    only = left.selectbox("True class", ["any"] + classes, key="rec-class")
    pool = np.arange(len(y_test)) if only == "any" else np.flatnonzero(y_test == classes.index(only))
    if not len(pool):
        st.info(f"No test window of class {ui.md(only)}.")
        return None
    if st.session_state.get("rec-pick", 0) >= len(pool):
        st.session_state["rec-pick"] = 0

    def shuffle(n=len(pool)):
        st.session_state["rec-pick"] = int(np.random.default_rng().integers(n))

    pick = mid.number_input(f"Test window (0 to {len(pool) - 1} of {len(pool)})", 0, len(pool) - 1,
                            key="rec-pick", step=1)
    right.button("Random", on_click=shuffle, icon=":material/casino:", key="rec-random")
    return int(pool[int(pick)])


def signal_chart(data, sequence):
    signal, label = np.asarray(sequence, dtype=np.float64), "standardized value"
    if "mean" in data and "sd" in data and np.size(data["mean"]) == signal.shape[1]:
        signal, label = signal * np.ravel(data["sd"]) + np.ravel(data["mean"]), "acceleration"
    names = ["x", "y", "z"] if signal.shape[1] == 3 else [f"channel {c}" for c in range(signal.shape[1])]
    long = pd.DataFrame(signal, columns=names).rename_axis("step").reset_index().melt(
        "step", var_name="axis", value_name="value")
    ui.chart(long, {"title": "the accelerometer signals", "mark": {"type": "line", "tooltip": True},
                    "encoding": {"x": {"field": "step", "type": "quantitative", "title": "time step"},
                                 "y": {"field": "value", "type": "quantitative", "title": label},
                                 "color": {"field": "axis", "type": "nominal", "title": "axis"}}}, 200)


def classify(name, sequence, classes):
    """{class: probability} of one trained variant, or None after showing why not."""
    loaded = loaders.load_model(page.run(name) / "params.npz")
    if loaded.ok:
        try:
            with loaded.value.lock:
                probs = loaded.value.model.predict_proba(np.asarray(sequence, dtype=np.float32)[None])[0]
            if len(probs) == len(classes) and loaded.value.model.classes in (None, classes):
                return dict(zip(classes, probs.astype(float)))
            loaded = loaders.Loaded(loaded.path, error=f"its {len(probs)} classes are not the data's {len(classes)}")
        except Exception as error:  # noqa: BLE001 - one bad model must not hide the others
            loaded = loaders.Loaded(loaded.path, error=loaders.reason(error))
    ui.problem(loaded, f"{name} model")
    return None


def live_classification():
    trained = [n for n in page.trained if (page.run(n) / "params.npz").exists()]
    data = loaders.load_npz(ui.results() / "data" / "activity.npz", ["x_test", "y_test", "classes"],
                            optional=["mean", "sd"])
    if not trained:
        st.info("Live classification needs a trained variant (a done run with params.npz).", icon=ui.WAIT)
        return
    if ui.problem(data, "test sequences"):
        return
    classes, x_test, y_test = [str(c) for c in data.value["classes"]], data.value["x_test"], data.value["y_test"]
    if page.replicated:
        st.caption("Every trained variant classifies with the model of its first seed.")
    i = window_picker(x_test, y_test, classes)
    if i is None:
        return
    truth = classes[int(y_test[i])]
    st.markdown(f"Test window **#{i}** · true class **{ui.md(truth)}** · {x_test[i].shape[0]} steps")
    signal_chart(data.value, x_test[i])
    rows = []
    for name in trained:
        probs = classify(name, x_test[i], classes)
        if probs is not None:
            predicted = max(probs, key=probs.get)
            rows.append({"variant": name, "predicted": predicted, "correct": "yes" if predicted == truth else "no",
                         **probs})
    if not rows:
        return
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch", key="rec-live-table",
                 column_config={c: st.column_config.ProgressColumn(c, format="%.2f", min_value=0.0, max_value=1.0)
                                for c in classes})
    ui.chart(table.melt(["variant", "predicted", "correct"], classes, var_name="class", value_name="probability"), {
        "title": "class probabilities", "mark": {"type": "bar", "tooltip": True},
        "encoding": {"x": {"field": "class", "type": "nominal", "sort": classes, "title": None,
                           "axis": {"labelAngle": -30}},
                     "xOffset": {"field": "variant", "type": "nominal"},
                     "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]}},
                     "color": {"field": "variant", "type": "nominal"}}}, 200)


page = ui.task_page("recurrent", "Recurrent activity classifier", CAPTION)
ui.training_sections(page, "rec", draw_curves, METRICS, columns, "test_accuracy", confusion, "Confusion matrices")
ui.section("Live classification", live_classification)
