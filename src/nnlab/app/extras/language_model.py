"""Language-model extras: one run's predictions, live prediction of the 4th word, the embedding map."""
import numpy as np
import pandas as pd
import streamlit as st

from nnlab import tasks
from nnlab.app import loaders, ui
from nnlab.models.language_model import top_k

KEYS = ["lm-w1", "lm-w2", "lm-w3"]
PREDICTION_COLUMNS = {"sample", "word1", "word2", "word3", "true_word", "true_rank", "rank", "candidate", "probability"}


def run(page, name, seed):
    st.subheader("Predictions")
    st.caption("Top-10 predicted 4th words for sampled test trigrams (`predictions.csv` of this run).")
    loaded = loaders.load_csv(page.run(name, seed) / "predictions.csv")
    if ui.problem(loaded, "prediction table"):
        return
    table = loaded.value
    if PREDICTION_COLUMNS <= set(table.columns):        # one row per candidate: show one row per trigram
        rows = [{"trigram": f"{first['word1']} {first['word2']} {first['word3']}",
                 "true 4th word": first["true_word"], "its rank": first["true_rank"],
                 "top-10 predictions": ", ".join(f"{c} ({p:.2f})"
                                                 for c, p in zip(group["candidate"], group["probability"]))}
                for _, group in table.sort_values(["sample", "rank"]).groupby("sample", sort=True)
                for first in [group.iloc[0]]]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"top-10 predictions": st.column_config.TextColumn(width="large")})
    else:
        st.dataframe(table, hide_index=True, width="stretch")


def vocabulary(page):
    """(words, test trigrams (x, y) or None) from data/trigrams.npz, else the words a model saved."""
    data = loaders.load_npz(tasks.data_file(ui.results(), "trigrams.npz"), ["words"], optional=["x_test", "y_test"])
    if data.ok:
        words = [str(w) for w in data.value["words"]]
        return words, (data.value["x_test"], data.value["y_test"]) if "y_test" in data.value else None
    for name in page.trained:
        loaded = page.model(name)
        if loaded.ok and loaded.value.model.words is not None:
            st.caption(f"Vocabulary from {ui.rel(loaded.path)} (`data/trigrams.npz` is not readable).")
            return [str(w) for w in loaded.value.model.words], None
    ui.problem(data, "vocabulary")
    return None, None


def context_picker(page, words, test):
    """Three words picked or typed (None after saying why they cannot be used)."""
    if any(st.session_state.get(k) not in words for k in KEYS):
        for k, i in zip(KEYS, test[0][0] if test is not None and len(test[0]) else [0, 1, 2]):
            st.session_state[k] = words[int(i)]

    def random_trigram(i):
        for k, w in zip(KEYS, test[0][i]):
            st.session_state[k] = words[int(w)]
        st.session_state["lm-typed"] = ""

    st.caption("Pick three words (type in a box to search) or type a trigram; every trained variant shows its 10 "
               "most probable 4th words" + (" (the model of its first seed)." if page.replicated else "."))
    cols = st.columns([1, 1, 1, 2, 1], vertical_alignment="bottom")
    picked = [column.selectbox(f"word {i + 1}", words, key=k) for i, (column, k) in enumerate(zip(cols, KEYS))]
    typed = cols[3].text_input("…or type three words", key="lm-typed", placeholder="e.g. " + " ".join(words[:3]))
    if test is not None and len(test[0]):
        ui.random_button(cols[4], len(test[0]), random_trigram, help="a random trigram from the test set")
    if not typed.strip():
        return picked
    parts, unknown = typed.split(), [w for w in typed.split() if w not in words]
    if len(parts) != 3:
        st.error(f"Type exactly three words separated by spaces; found {len(parts)}.")
    elif unknown:
        st.error(f"Not in the {len(words)}-word vocabulary: {', '.join(ui.md(repr(w)) for w in unknown)}.")
    else:
        return parts
    return None


def next_words(page, name, words, context):
    """The 10 most probable 4th words of one trained variant."""
    st.markdown(f"**{ui.md(name)}**" + (f" · seed {page.seed(name)}" if len(page.by_name[name].runs) > 1 else ""))
    loaded = page.model(name)
    if ui.problem(loaded, "model"):
        return
    model = loaded.value.model
    if model.words is not None and list(model.words) != words:
        st.error(f"This model's vocabulary ({model.V} words) does not match the data's ({len(words)} words).")
        return
    top, probs = top_k(loaded.value.predict_proba(np.array([context])), 10)
    st.dataframe(pd.DataFrame({"rank": np.arange(1, top.shape[1] + 1), "4th word": [words[j] for j in top[0]],
                               "probability": probs[0].astype(float)}),
                 hide_index=True, width="stretch", key=f"lm-live-{name}",
                 column_config={"probability": st.column_config.ProgressColumn(
                     "probability", format="%.3f", min_value=0.0, max_value=1.0)})


def live_prediction(page):
    if not page.trained:
        st.info("Live prediction needs a trained variant (a done run with params.npz).", icon=ui.WAIT)
        return
    words, test = vocabulary(page)
    if words is None:
        st.error("Live prediction needs the vocabulary: `data/trigrams.npz` (key 'words').")
        return
    context_words = context_picker(page, words, test)
    if context_words is None:
        return
    context = [words.index(w) for w in context_words]
    st.markdown("Context: **" + " ".join(map(ui.md, context_words)) + " …**")
    if test is not None and (match := np.all(test[0] == context, axis=1)).any():
        follow = pd.Series([words[int(j)] for j in test[1][match]]).value_counts()
        st.caption("In the test set this trigram is followed by: "
                   + ", ".join(f"{ui.md(w)} ({c})" for w, c in follow.head(5).items()))
    for start in range(0, len(page.trained), 3):
        for column, name in zip(st.columns(3), page.trained[start:start + 3]):
            with column:
                next_words(page, name, words, context)


def embedding_map(page):
    ui.image(page.task_file("embedding_map.png"),
             "the word embeddings (rows of R) on their first two principal components", "embedding map", "content")


SECTIONS = [("Live prediction", live_prediction), ("Embedding map", embedding_map)]
