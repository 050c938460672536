"""Language model: curves of the chosen variants overlaid, metrics, prediction tables, live
next-word prediction from every trained variant, and the embedding map."""
import numpy as np
import pandas as pd
import streamlit as st

from nnlab.app import loaders, predict, ui

TASK = "language_model"
s = ui.settings()
folder, states, by_name = ui.task_page(
    TASK, "Neural language model",
    "Predict the 4th word from three: a shared word embedding R (order ignored), logistic "
    "hidden units, softmax over the vocabulary; SGD with momentum, early stopping on "
    "validation cross-entropy.")
if not states:
    st.info("No language-model variants yet: the config defines none and the results folder holds none.",
            icon=":material/hourglass_empty:")
done = [v.variant for v in states if v.state == "done"]


def varying_hyperparameters(names):
    """{variant: {hp: value}} restricted to the hyper-parameters that differ between variants."""
    hps = {n: ui.variant_hyperparameters(TASK, by_name[n]) for n in names}
    keys = sorted({k for hp in hps.values() for k in hp if not isinstance(hp[k], (dict, list))})
    varying = [k for k in keys if len({str(hp.get(k)) for hp in hps.values()}) > 1] or []
    return {n: {k: hps[n].get(k) for k in varying} for n in names}


# ------------------------------------------------------------------------ curves
st.header("Training curves")
with ui.guard("Training curves"):
    with_history = [v.variant for v in states if (folder / v.variant / "history.csv").exists()]
    if not with_history:
        st.info("No variant has a history.csv yet.", icon=":material/hourglass_empty:")
    else:
        chosen = st.multiselect("Variants", with_history, default=with_history, key="lm-curves")

        def curves():
            frames, bad = ui.histories(TASK, chosen)
            ui.history_problems(bad)
            left, right = st.columns(2)
            with left:
                ui.curves_chart(frames, [("train_loss", "train"), ("val_loss", "validation")],
                                "cross-entropy per epoch", "cross-entropy")
            with right:
                ui.curves_chart(frames, [("train_accuracy", "train"), ("val_accuracy", "validation")],
                                "accuracy per epoch", "accuracy")

        ui.live(curves, active=any(by_name[c].state == "running" for c in chosen), key="lm-curves-live")

# ----------------------------------------------------------------------- metrics
st.header("Metrics")
with ui.guard("Metrics"):
    METRICS = ["best_epoch", "epochs_run", "val_cross_entropy", "val_accuracy", "test_cross_entropy",
               "test_accuracy", "test_top10_accuracy", "seconds_per_epoch"]
    if not done:
        st.info("No variant has finished yet.", icon=":material/hourglass_empty:")
    else:
        varying = varying_hyperparameters(done)
        rows = []
        for n in done:
            m = loaders.load_json(folder / n / "metrics.json")
            if not m.ok:
                ui.problem(m, f"{n} metrics")
                continue
            rows.append({"variant": n, **varying[n], **{k: m.value.get(k) for k in METRICS}})
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                         column_config={k: st.column_config.NumberColumn(format="%.4f")
                                        for k in METRICS if "accuracy" in k or "entropy" in k})
        summary = s.results / "summary" / f"{TASK}.csv"
        if summary.exists():
            ui.csv_download(summary, f"Download {TASK}.csv", key="lm-summary-download")

# ------------------------------------------------------------------ predictions
st.header("Prediction tables")
with ui.guard("Prediction tables"):
    st.caption("Top-10 predicted 4th words for sampled test trigrams (`predictions.csv`).")
    with_predictions = [n for n in done if (folder / n / "predictions.csv").exists()] or done
    if with_predictions:
        name = ui.variant_picker("Variant", with_predictions, key="lm-predictions")
        loaded = loaders.load_csv(folder / name / "predictions.csv")
        if not ui.problem(loaded, "prediction table"):
            table = loaded.value
            long = {"sample", "word1", "word2", "word3", "true_word", "true_rank", "rank", "candidate", "probability"}
            if long <= set(table.columns):          # one row per candidate: show one row per trigram
                rows = []
                for _, group in table.sort_values(["sample", "rank"]).groupby("sample", sort=True):
                    first = group.iloc[0]
                    rows.append({"trigram": f"{first['word1']} {first['word2']} {first['word3']}",
                                 "true 4th word": first["true_word"], "its rank": first["true_rank"],
                                 "top-10 predictions": ", ".join(f"{c} ({p:.2f})" for c, p in
                                                                  zip(group["candidate"], group["probability"]))})
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                             column_config={"top-10 predictions": st.column_config.TextColumn(width="large")})
                with st.expander("The full table"):
                    st.dataframe(table, hide_index=True, width="stretch")
            else:
                st.dataframe(table, hide_index=True, width="stretch")
    else:
        st.info("No prediction tables yet.", icon=":material/hourglass_empty:")

# ---------------------------------------------------------------- live prediction
st.header("Live prediction")
with ui.guard("Live prediction"):
    trained = [n for n in done if (folder / n / "params.npz").exists()]
    data = loaders.load_npz(s.results / "data" / "trigrams.npz")
    words = [str(w) for w in data.value["words"]] if data.ok and "words" in data.value else None
    for n in trained if words is None else []:        # no data: the vocabulary saved with a model
        first = loaders.load_model(TASK, folder / n / "params.npz")
        if first.ok and getattr(first.value.model, "words", None) is not None:
            words = [str(w) for w in first.value.model.words]
            st.caption(f"Vocabulary from `{ui.rel(first.path)}` (`data/trigrams.npz` is not readable).")
            break
    if not trained:
        st.info("Live prediction needs a trained variant (a done variant with params.npz).",
                icon=":material/hourglass_empty:")
    elif words is None:
        ui.problem(data, "vocabulary")
        st.error("Live prediction needs the vocabulary: `data/trigrams.npz` (key 'words').")
    else:
        index = {w: i for i, w in enumerate(words)}
        test = (data.value["x_test"], data.value["y_test"]) if data.ok and "x_test" in data.value else None
        keys = ["lm-w1", "lm-w2", "lm-w3"]
        if any(st.session_state.get(k) not in index for k in keys):
            start = test[0][0] if test is not None and len(test[0]) else [0, 1, 2]
            for k, i in zip(keys, start):
                st.session_state[k] = words[int(i)]

        def random_trigram():
            rng = np.random.default_rng()
            i = int(rng.integers(len(test[0])))
            for k, w in zip(keys, test[0][i]):
                st.session_state[k] = words[int(w)]
            st.session_state["lm-typed"] = ""

        st.caption("Pick three words (type in a box to search) or type a trigram; every trained variant "
                   "shows its 10 most probable 4th words.")
        cols = st.columns([1, 1, 1, 2, 1], vertical_alignment="bottom")
        for i, (column, k) in enumerate(zip(cols, keys)):
            column.selectbox(f"word {i + 1}", words, key=k)
        typed = cols[3].text_input("…or type three words", key="lm-typed", placeholder="e.g. " + " ".join(words[:3]))
        if test is not None and len(test[0]):
            cols[4].button("Random", on_click=random_trigram, icon=":material/casino:",
                           help="a random trigram from the test set")
        context_words = [st.session_state[k] for k in keys]
        if typed.strip():
            parts = typed.split()
            unknown = [w for w in parts if w not in index]
            if len(parts) != 3:
                st.error(f"Type exactly three words separated by spaces; found {len(parts)}.")
                context_words = None
            elif unknown:
                st.error(f"Not in the {len(words)}-word vocabulary: {', '.join(repr(w) for w in unknown)}.")
                context_words = None
            else:
                context_words = parts
        if context_words is not None:
            context = [index[w] for w in context_words]
            st.markdown("Context: **" + " ".join(context_words) + " …**")
            if test is not None:
                match = np.all(test[0] == np.asarray(context), axis=1)
                if match.any():
                    follow = pd.Series([words[int(j)] for j in test[1][match]]).value_counts()
                    st.caption("In the test set this trigram is followed by: "
                               + ", ".join(f"{w} ({c})" for w, c in follow.head(5).items()))
            per_row = 3
            for start in range(0, len(trained), per_row):
                for column, n in zip(st.columns(per_row), trained[start:start + per_row]):
                    with column:
                        st.markdown(f"**{n}**")
                        loaded = loaders.load_model(TASK, folder / n / "params.npz")
                        if ui.problem(loaded, "model"):
                            continue
                        model = loaded.value.model
                        vocab = [str(w) for w in model.words] if getattr(model, "words", None) is not None else words
                        if len(vocab) != model.V or any(w not in vocab for w in context_words):
                            st.error(f"This model's vocabulary ({model.V} words) does not match the data's "
                                     f"({len(words)} words).")
                            continue
                        with loaded.value.lock:
                            top, probs = predict.next_words(model, [vocab.index(w) for w in context_words], k=10)
                        table = pd.DataFrame({"rank": np.arange(1, len(top) + 1),
                                              "4th word": [vocab[int(j)] for j in top],
                                              "probability": probs})
                        st.dataframe(table, hide_index=True, width="stretch", key=f"lm-live-{n}",
                                     column_config={"probability": st.column_config.ProgressColumn(
                                         "probability", format="%.3f", min_value=0.0, max_value=1.0)})

# ------------------------------------------------------------------ embedding map
st.header("Embedding map")
with ui.guard("Embedding map"):
    ui.image(folder / "embedding_map.png", caption="the word embeddings (rows of R) on their first two principal components",
             what="embedding map", width="content")
