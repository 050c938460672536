"""Data: the preprocessing figures, dataset sizes, class balance and vocabulary."""
import numpy as np
import pandas as pd
import streamlit as st

from nnlab.app import loaders, ui

s = ui.settings()
data_dir = s.results / "data"
st.title("Data")
st.caption("The course files after validation and preprocessing (`data/` in the results folder).")
ui.results_banner()

SPLITS = ("train", "val", "test")
SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}


def arrays(name, keys):
    """The arrays of data/<name>, or None after showing why not."""
    loaded = loaders.load_npz(data_dir / name)
    if ui.problem(loaded):
        return None
    missing = [k for k in keys if k not in loaded.value]
    if missing:
        st.error(f"`{ui.rel(loaded.path)}` lacks the key(s) {', '.join(missing)}: "
                 f"found {', '.join(loaded.value) or 'none'}.", icon=":material/broken_image:")
        return None
    return loaded.value


# ------------------------------------------------------------------------ patches
st.header("Image patches (experiment 1)")
with ui.guard("Image patches (experiment 1)"):
    st.caption("Luminosity Y = 0.2126 R + 0.7152 G + 0.0722 B; each patch's mean removed; clipped at "
               "±3 standard deviations (over all pixels) and mapped onto [0.1, 0.9].")
    patches = arrays("patches.npz", ["x"])
    if patches is not None:
        x = patches["x"]
        side = int(round(np.sqrt(x.shape[1]))) if x.ndim == 2 else None
        cols = st.columns(3)
        cols[0].metric("patches", f"{x.shape[0]:,}")
        cols[1].metric("pixels per patch", f"{x.shape[1]}" + (f" ({side}×{side})" if side else "") if x.ndim == 2 else "?")
        cols[2].metric("value range", f"{float(x.min()):.3f} to {float(x.max()):.3f}" if x.size else "-")
    left, right = st.columns(2)
    with left:
        ui.image(data_dir / "patches_rgb.png", caption="random patches, RGB", what="RGB patches")
    with right:
        ui.image(data_dir / "patches_normalized.png", caption="the same patches, normalized",
                 what="normalized patches")

# ----------------------------------------------------------------------- trigrams
st.header("Trigrams (experiment 2)")
with ui.guard("Trigrams (experiment 2)"):
    keys = [f"{a}_{b}" for b in SPLITS for a in ("x", "y")] + ["words"]
    trigrams = arrays("trigrams.npz", keys)
    if trigrams is not None:
        words = [str(w) for w in trigrams["words"]]
        V = len(words)
        sizes = pd.DataFrame([{"split": SPLIT_NAMES[sp], "4-grams": len(trigrams[f"y_{sp}"])} for sp in SPLITS])
        c1, c2 = st.columns([1, 2])
        with c1:
            st.metric("vocabulary", f"{V} words")
            st.dataframe(sizes, hide_index=True, width="stretch")
        valid = all(int(trigrams[f"x_{sp}"].max(initial=0)) < V and int(trigrams[f"y_{sp}"].max(initial=0)) < V
                    and int(trigrams[f"x_{sp}"].min(initial=0)) >= 0 and int(trigrams[f"y_{sp}"].min(initial=0)) >= 0
                    for sp in SPLITS)
        if not valid:
            st.error("`data/trigrams.npz`: word indices outside the vocabulary.", icon=":material/broken_image:")
        else:
            as_target = np.bincount(trigrams["y_train"], minlength=V)
            in_context = np.bincount(np.asarray(trigrams["x_train"]).ravel(), minlength=V)
            vocab = pd.DataFrame({"index": np.arange(V), "word": words, "as 4th word (train)": as_target,
                                  "in context (train)": in_context})
            with c2:
                top = vocab.nlargest(25, "as 4th word (train)")
                ui.chart(top, {
                    "title": "most frequent 4th words (train)",
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {"x": {"field": "as 4th word (train)", "type": "quantitative", "title": "count"},
                                 "y": {"field": "word", "type": "nominal", "sort": "-x", "title": None,
                                   "axis": {"labelOverlap": False}}},
                }, max(200, 16 * len(top)))
            with st.expander(f"Vocabulary ({V} words)"):
                st.dataframe(vocab, hide_index=True, width="stretch", height=360)

# ----------------------------------------------------------------------- activity
st.header("Activity windows (experiment 3)")
with ui.guard("Activity windows (experiment 3)"):
    activity = arrays("activity.npz", [f"{a}_{b}" for b in SPLITS for a in ("x", "y")] + ["classes"])
    if activity is not None:
        classes = [str(c) for c in activity["classes"]]
        shape = activity["x_train"].shape
        c = st.columns(4)
        c[0].metric("train / validation / test",
                    " / ".join(f"{len(activity[f'y_{sp}'])}" for sp in SPLITS))
        c[1].metric("time steps T", shape[1] if len(shape) > 1 else "?")
        c[2].metric("channels", shape[2] if len(shape) > 2 else "?")
        c[3].metric("classes", len(classes))
        try:
            balance = pd.DataFrame({SPLIT_NAMES[sp]: np.bincount(activity[f"y_{sp}"], minlength=len(classes))
                                    for sp in SPLITS}, index=classes)
            if len(balance) != len(classes):
                raise ValueError("labels outside the class list")
        except (ValueError, TypeError) as error:
            st.error(f"`data/activity.npz`: class labels do not match its {len(classes)} classes ({error}).",
                     icon=":material/broken_image:")
        else:
            left, right = st.columns([1, 2])
            with left:
                st.caption("Class balance (windows per class)")
                st.dataframe(balance, width="stretch")
            with right:
                long = balance.rename_axis("class").reset_index().melt("class", var_name="split", value_name="windows")
                long["share"] = long["windows"] / long.groupby("split")["windows"].transform("sum")
                ui.chart(long, {
                    "title": "class balance per split",
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "x": {"field": "class", "type": "nominal", "title": None, "axis": {"labelAngle": -30}},
                        "xOffset": {"field": "split", "type": "nominal", "sort": [SPLIT_NAMES[sp] for sp in SPLITS]},
                        "y": {"field": "share", "type": "quantitative", "title": "share of split",
                              "axis": {"format": "%"}},
                        "color": {"field": "split", "type": "nominal", "sort": [SPLIT_NAMES[sp] for sp in SPLITS]},
                    },
                }, 200)
        if "mean" in activity and "sd" in activity:
            st.caption("Standardization applied to every channel (from the training split): "
                       + ", ".join(f"channel {i}: mean {float(m):.3f}, sd {float(d):.3f}"
                                   for i, (m, d) in enumerate(zip(np.ravel(activity["mean"]), np.ravel(activity["sd"])))))
