"""Language-model extras: one run's predictions, live prediction of the 4th word, the embedding map."""
import re

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnlab import tasks
from nnlab.app import charts, loaders, ui
from nnlab.models.language_model import top_k

KEYS = ["lm-w1", "lm-w2", "lm-w3"]     # the context: the one source of truth every input writes to
TYPED, TYPED_ERROR = "lm-typed", "lm-typed-error"
TOP = 10
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
                 **{f"#{k}": f"{c} · {p:.2f}" for k, (c, p) in enumerate(zip(group["candidate"],
                                                                            group["probability"]), 1)}}
                for _, group in table.sort_values(["sample", "rank"]).groupby("sample", sort=True)
                for first in [group.iloc[0]]]
        ranks = [c for c in pd.DataFrame(rows).columns if c.startswith("#")]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"lm-predictions-{name}-{seed}",
                     column_config={"trigram": st.column_config.TextColumn("trigram", pinned=True),
                                    "its rank": st.column_config.NumberColumn("its rank", format="%d"),
                                    **{c: st.column_config.TextColumn(c, width="small") for c in ranks}})
        st.caption("#1 to #10: the model's most probable 4th words, best first, each with its probability; "
                   "its rank: where the true 4th word came among all the vocabulary's words.")
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


def default_trigram(words, test):
    """The first test trigram made of words (each with a letter or digit: not "~ ~ ~" of padding), else the
    first test trigram, else the vocabulary's first three words: word indices."""
    if test is None or not len(test[0]):
        return [0, 1, 2]
    wordy = [all(re.search(r"\w", words[int(i)]) for i in row) for row in test[0][:1000]]
    return [int(i) for i in test[0][wordy.index(True) if True in wordy else 0]]


def set_context(context_words):
    for k, w in zip(KEYS, context_words):
        st.session_state[k] = w


def typed_context(words):
    """on_change of the typed trigram: valid, it becomes the context (the three word boxes show it) and the box
    empties; else the error is kept to say."""
    typed = st.session_state.get(TYPED, "")
    parts, unknown = typed.split(), [w for w in typed.split() if w not in words]
    st.session_state[TYPED_ERROR] = None
    if not parts:
        return
    if len(parts) != 3:
        st.session_state[TYPED_ERROR] = f"Type exactly three words separated by spaces; found {len(parts)}."
    elif unknown:
        st.session_state[TYPED_ERROR] = (f"Not in the {len(words)}-word vocabulary: "
                                         f"{', '.join(ui.md(repr(w)) for w in unknown)}.")
    else:
        set_context(parts)
        st.session_state[TYPED] = ""


def context_picker(page, words, test):
    """The three words of the context (KEYS in session_state: the word boxes, the typed trigram and the Random
    button all write there), or None after saying why a typed one cannot be used."""
    if any(st.session_state.get(k) not in words for k in KEYS):
        set_context([words[i] for i in default_trigram(words, test)])

    def random_trigram(i):
        set_context([words[int(w)] for w in test[0][i]])
        st.session_state[TYPED], st.session_state[TYPED_ERROR] = "", None

    st.caption("Pick three words (type in a box to search) or type a trigram and press Enter; every trained "
               "variant shows its 10 most probable 4th words" +
               (" (the model of its first seed)." if page.replicated else "."))
    cols = st.columns([1, 1, 1, 2, 1], vertical_alignment="bottom")
    picked = [column.selectbox(f"word {i + 1}", words, key=k, on_change=st.session_state.update,
                               args=({TYPED_ERROR: None},)) for i, (column, k) in enumerate(zip(cols, KEYS))]
    cols[3].text_input("…or type three words", key=TYPED, placeholder="e.g. " + " ".join(words[:3]),
                       on_change=typed_context, args=(words,))
    if test is not None and len(test[0]):
        ui.random_button(cols[4], len(test[0]), random_trigram, help="a random trigram from the test set")
    if error := st.session_state.get(TYPED_ERROR):
        st.error(error)
        return None
    return picked


def next_words(page, name, words, context, truth=()):
    """The 10 most probable 4th words of one trained variant; `truth`: the words that follow the context in the
    test set, marked."""
    st.markdown(f"**{ui.md(name)}**" + (f" · seed {page.seed(name)}" if len(page.by_name[name].runs) > 1 else ""))
    loaded = page.model(name)
    if ui.problem(loaded, "model"):
        return
    model = loaded.value.model
    if model.words is not None and list(model.words) != words:
        st.error(f"This model's vocabulary ({model.V} words) does not match the data's ({len(words)} words).")
        return
    top, probs = top_k(loaded.value.predict_proba(np.array([context])), TOP)
    found = [words[j] for j in top[0]]
    table = pd.DataFrame({"4th word": found, "probability": probs[0].astype(float)},
                         index=pd.RangeIndex(1, top.shape[1] + 1, name="rank"))     # the rank: a narrow index
    config = {"probability": st.column_config.ProgressColumn("probability", format="%.3f", min_value=0.0,
                                                             max_value=1.0),
              "_index": st.column_config.NumberColumn("#", width=28)}
    if truth:
        table.insert(1, "in the test set", [w in truth for w in found])
        config["in the test set"] = st.column_config.CheckboxColumn(
            "true", width=44, help="This word follows the context in the test set (the true 4th word).")
        table = table.style.apply(lambda row: ["background-color: #ffe08a; font-weight: bold"
                                               if row["in the test set"] else "" for _ in row], axis=1)
    st.dataframe(table, hide_index=False, width="stretch", key=f"lm-live-{name}", column_config=config)
    if truth and not any(w in truth for w in found):
        st.caption(f"The true 4th word ({ui.md(', '.join(truth))}) is not among its {TOP}.")


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
    truth = ()
    if test is not None and (match := np.all(test[0] == context, axis=1)).any():
        follow = pd.Series([words[int(j)] for j in test[1][match]]).value_counts()
        truth = tuple(follow.index)
        st.caption("In the test set this trigram is followed by: "
                   + ", ".join(f"{ui.md(w)} ({c})" for w, c in follow.head(5).items())
                   + ". Highlighted in each model's list: these true 4th words.")
    for start in range(0, len(page.trained), 3):
        for column, name in zip(st.columns(3), page.trained[start:start + 3]):
            with column:
                next_words(page, name, words, context, truth)


def embedding_map(page):
    """The word embeddings on their first two principal components (embedding_map.csv: word, x, y) as an
    interactive map (hover: the word; scroll to zoom, drag to pan); the workflow's PNG when there is no CSV."""
    loaded = loaders.load_csv(page.task_file("embedding_map.csv"))
    if loaded.ok and not {"word", "x", "y"} <= set(loaded.value.columns):
        loaded = loaders.Loaded(loaded.path, error="expected the columns word, x and y")
    if loaded.missing:
        ui.image(page.task_file("embedding_map.png"),
                 "the word embeddings (rows of R) on their first two principal components", "embedding map",
                 "content")
        return
    if ui.problem(loaded, "embedding map"):
        return
    data = loaded.value[["word", "x", "y"]].astype({"word": str})
    data[["x", "y"]] = data[["x", "y"]].apply(pd.to_numeric, errors="coerce")
    data = data.dropna()
    def view(column):
        """The first view: the 1st to 99th percentiles (an outlier does not squash the rest), with room around."""
        low, high = data[column].quantile([0.01, 0.99]) if len(data) >= 100 else (data[column].min(), data[column].max())
        pad = 0.06 * (high - low) or 1.0
        return alt.Scale(domain=[float(low - pad), float(high + pad)], zero=False, nice=False)

    outside = int((~data["x"].between(*view("x").domain) | ~data["y"].between(*view("y").domain)).sum())
    base = alt.Chart(data).encode(x=alt.X("x:Q", title="principal component 1", scale=view("x")),
                                  y=alt.Y("y:Q", title="principal component 2", scale=view("y")),
                                  tooltip=["word"])
    points = base.mark_circle(size=40, opacity=0.7, color="#4e79a7", clip=True)
    labels = base.mark_text(align="left", dx=5, fontSize=10, color="#555555", clip=True).encode(text="word:N")
    charts.show(alt.layer(points, labels).properties(
        title=charts.title("the word embeddings (rows of R) on their first two principal components",
                           f"{len(data)} words; hover for a word, scroll to zoom, drag to pan, double-click to reset"))
        .interactive(), 520)
    st.caption((f"{outside} outlying words lie beyond the first view (the 1st to 99th percentiles): zoom out or "
                "drag to see them. " if outside else "")
               + f"From {ui.rel(loaded.path)}; the static figure for the HTML report is embedding_map.png.")


SECTIONS = [("Live prediction", live_prediction), ("Embedding map", embedding_map)]
