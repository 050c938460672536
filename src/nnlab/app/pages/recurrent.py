"""Recurrent classifier: curves (loss, accuracy, gradient norm) with full and truncated BPTT
side by side, confusion matrices, per-class scores, and live classification of a test window."""
import re

import numpy as np
import pandas as pd
import streamlit as st

from nnlab.app import loaders, predict, ui

TASK = "recurrent"
s = ui.settings()
folder, states, by_name = ui.task_page(
    TASK, "Recurrent activity classifier",
    "A recurrent layer (tanh RNN, LSTM or GRU) read over the whole accelerometer window, trained "
    "with full or truncated back-propagation through time, then an MLP with softmax over six "
    "activities.")
if not states:
    st.info("No recurrent variants yet: the config defines none and the results folder holds none.",
            icon=":material/hourglass_empty:")
done = [v.variant for v in states if v.state == "done"]


def hyperparameters(name):
    return ui.variant_hyperparameters(TASK, by_name[name])


def truncated(name):
    """Whether a variant trains with truncated BPTT (its `truncation`, else its name)."""
    hp = hyperparameters(name)
    if "truncation" in hp:
        return hp["truncation"] not in (None, 0, False)
    return bool(re.search(r"tbptt|trunc", name, re.I))


# ------------------------------------------------------------------------ curves
st.header("Training curves")
with ui.guard("Training curves"):
    with_history = [v.variant for v in states if (folder / v.variant / "history.csv").exists()]
    if not with_history:
        st.info("No variant has a history.csv yet.", icon=":material/hourglass_empty:")
    else:
        chosen = st.multiselect("Variants", with_history, default=with_history, key="rec-curves")

        def curves():
            frames, bad = ui.histories(TASK, chosen)
            ui.history_problems(bad)
            groups = {"Full BPTT": {k: f for k, f in frames.items() if not truncated(k)},
                      "Truncated BPTT": {k: f for k, f in frames.items() if truncated(k)}}
            for column, (title, group) in zip(st.columns(2), groups.items()):
                with column:
                    st.subheader(title)
                    if not group:
                        st.caption("No chosen variant of this kind.")
                        continue
                    ui.curves_chart(group, [("train_loss", "train"), ("val_loss", "validation")],
                                    "cross-entropy", "cross-entropy", height=180)
                    ui.curves_chart(group, [("train_accuracy", "train"), ("val_accuracy", "validation")],
                                    "accuracy", "accuracy", height=180)
                    ui.curves_chart(group, [("grad_norm", "‖∂L/∂Wh‖")], "gradient norm (mean over batches)",
                                    "norm", height=180, log_scale=True)

        ui.live(curves, active=any(by_name[c].state == "running" for c in chosen), key="rec-curves-live")

# ----------------------------------------------------------------------- metrics
st.header("Metrics")
with ui.guard("Metrics"):
    METRICS = ["best_epoch", "epochs_run", "val_cross_entropy", "val_accuracy", "train_accuracy", "test_accuracy",
               "seconds_per_epoch"]
    if not done:
        st.info("No variant has finished yet.", icon=":material/hourglass_empty:")
    else:
        rows = []
        for n in done:
            m = loaders.load_json(folder / n / "metrics.json")
            if not m.ok:
                ui.problem(m, f"{n} metrics")
                continue
            hp = hyperparameters(n)
            rows.append({"variant": n, "BPTT": "truncated" if truncated(n) else "full",
                         **{k: hp.get(k) for k in ("cell", "truncation") if k in hp},
                         **{k: m.value.get(k) for k in METRICS}})
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         column_config={k: st.column_config.NumberColumn(format="%.4f")
                                        for k in METRICS if "accuracy" in k or "entropy" in k})
        summary = s.results / "summary" / f"{TASK}.csv"
        if summary.exists():
            ui.csv_download(summary, f"Download {TASK}.csv", key="rec-summary-download")

# --------------------------------------------------------------------- confusion
st.header("Confusion matrices")
with ui.guard("Confusion matrices"):
    if done:
        name = ui.variant_picker("Variant", done, key="rec-confusion")
        matrices = {}
        for column, split in zip(st.columns(2), ("train", "test")):
            with column:
                loaded = loaders.load_confusion(folder / name / f"confusion_{split}.csv")
                if not ui.problem(loaded, f"{split} confusion matrix"):
                    matrices[split] = loaded.value
                    total = loaded.value.to_numpy().sum()
                    accuracy = np.trace(loaded.value.to_numpy()) / total if total else float("nan")
                    ui.confusion_chart(loaded.value, f"{split}: accuracy {accuracy:.3f}")
        if matrices:
            st.subheader("Per class")
            tables = [ui.per_class_table(m).set_index("class").add_prefix(f"{split} ")
                      for split, m in matrices.items()]
            table = pd.concat(tables, axis=1).reset_index()
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.3f")
                                        for c in table.columns if not c.endswith("support") and c != "class"})
        figures = sorted((folder / name).glob("confusion*.png"))
        if figures:
            with st.expander("Saved confusion figures"):
                for column, path in zip(st.columns(len(figures)), figures):
                    with column:
                        ui.image(path, caption=path.name)
    else:
        st.info("No variant has finished yet.", icon=":material/hourglass_empty:")

# ---------------------------------------------------------------- live prediction
st.header("Live classification")
with ui.guard("Live classification"):
    trained = [n for n in done if (folder / n / "params.npz").exists()]
    data = loaders.load_npz(s.results / "data" / "activity.npz")
    if not trained:
        st.info("Live classification needs a trained variant (a done variant with params.npz).",
                icon=":material/hourglass_empty:")
    elif not ui.problem(data, "test sequences"):
        arrays = data.value
        missing = [k for k in ("x_test", "y_test", "classes") if k not in arrays]
        if missing:
            st.error(f"`data/activity.npz` lacks {', '.join(missing)}.")
        else:
            classes = [str(c) for c in arrays["classes"]]
            x_test, y_test = arrays["x_test"], arrays["y_test"]
            left, mid, right = st.columns([2, 2, 1], vertical_alignment="bottom")
            only = left.selectbox("True class", ["any"] + classes, key="rec-class")
            pool = np.arange(len(y_test)) if only == "any" else np.flatnonzero(y_test == classes.index(only))
            if not len(pool):
                st.info(f"No test window of class {only}.")
            else:
                if st.session_state.get("rec-pick", 0) >= len(pool):
                    st.session_state["rec-pick"] = 0

                def shuffle(n=len(pool)):
                    st.session_state["rec-pick"] = int(np.random.default_rng().integers(n))

                pick = mid.number_input(f"Test window (0 to {len(pool) - 1} of {len(pool)})", 0, len(pool) - 1,
                                        key="rec-pick", step=1)
                right.button("Random", on_click=shuffle, icon=":material/casino:", key="rec-random")
                i = int(pool[int(pick)])
                sequence = x_test[i]
                truth = classes[int(y_test[i])]
                st.markdown(f"Test window **#{i}** · true class **{truth}** · {sequence.shape[0]} steps")
                signal = np.asarray(sequence, dtype=np.float64)
                label = "standardized value"
                if "mean" in arrays and "sd" in arrays and np.size(arrays["mean"]) == signal.shape[1]:
                    signal = signal * np.ravel(arrays["sd"]) + np.ravel(arrays["mean"])
                    label = "acceleration"
                names = ["x", "y", "z"] if signal.shape[1] == 3 else [f"channel {c}" for c in range(signal.shape[1])]
                long = pd.DataFrame(signal, columns=names).rename_axis("step").reset_index().melt(
                    "step", var_name="axis", value_name="value")
                ui.chart(long, {
                    "title": "the accelerometer signals",
                    "mark": {"type": "line", "tooltip": True},
                    "encoding": {"x": {"field": "step", "type": "quantitative", "title": "time step"},
                                 "y": {"field": "value", "type": "quantitative", "title": label},
                                 "color": {"field": "axis", "type": "nominal", "title": "axis"}},
                }, 200)

                rows, problems = [], []
                for n in trained:
                    loaded = loaders.load_model(TASK, folder / n / "params.npz")
                    if not loaded.ok:
                        problems.append((n, loaded))
                        continue
                    try:
                        with loaded.value.lock:
                            probs = predict.class_probabilities(loaded.value.model, sequence)
                    except Exception as error:  # noqa: BLE001 - one bad model must not hide the others
                        problems.append((n, loaders.Loaded(folder / n / "params.npz", error=f"{type(error).__name__}: {error}")))
                        continue
                    if len(probs) != len(classes):
                        problems.append((n, loaders.Loaded(folder / n / "params.npz",
                                                           error=f"{len(probs)} outputs for {len(classes)} classes")))
                        continue
                    predicted = classes[int(np.argmax(probs))]
                    rows.append({"variant": n, "predicted": predicted, "correct": "yes" if predicted == truth else "no",
                                 **dict(zip(classes, probs))})
                for n, loaded in problems:
                    ui.problem(loaded, f"{n} model")
                if rows:
                    table = pd.DataFrame(rows)
                    st.dataframe(table, hide_index=True, width="stretch", key="rec-live-table",
                                 column_config={c: st.column_config.ProgressColumn(c, format="%.2f", min_value=0.0,
                                                                                   max_value=1.0) for c in classes})
                    long = table.melt(["variant", "predicted", "correct"], classes, var_name="class",
                                      value_name="probability")
                    ui.chart(long, {
                        "title": "class probabilities",
                        "mark": {"type": "bar", "tooltip": True},
                        "encoding": {
                            "x": {"field": "class", "type": "nominal", "sort": classes, "title": None,
                                  "axis": {"labelAngle": -30}},
                            "xOffset": {"field": "variant", "type": "nominal"},
                            "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]}},
                            "color": {"field": "variant", "type": "nominal"},
                        },
                    }, 200)
