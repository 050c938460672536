"""Data: where the files came from, the preprocessing figures, dataset sizes, class balance and vocabulary."""
import re

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnlab import tasks
from nnlab.app import charts, loaders, ui

SPLITS = {"train": "train", "val": "validation", "test": "test"}
XY = [f"{a}_{split}" for split in SPLITS for a in ("x", "y")]


def arrays(name, keys, optional=()):
    """The arrays `keys` of data/<name> (nothing else is read), or None after showing why not."""
    loaded = loaders.load_npz(tasks.data_file(ui.results(), name), keys, optional)
    return None if ui.problem(loaded) else loaded.value


LINK = re.compile(r"https?://[^\s()<>\[\]]+")
SOURCE_NAMES = {"demo": "the demo", "public": "the public sources", "course": "the course files"}
FILE_TASKS = {"data1": "image patches", "data2": "trigrams", "data3": "activity windows"}


def source():
    """Where data1.h5, data2.h5 and data3.h5 came from (results/data/source.json, rule data_source)."""
    loaded = loaders.load_json(tasks.data_file(ui.results(), "source.json"))
    if ui.problem(loaded, "the data's source"):
        return
    record = loaded.value
    kind, files = record.get("source"), record.get("files") or {}
    st.markdown(f"Source: **{SOURCE_NAMES.get(kind, kind)}** (`{record.get('data_dir')}`).")
    if kind == "demo":
        st.caption("Seeded files built from data that ships with the dependencies: they exercise every stage, "
                   "but their numbers are not the course's nor the public data's (`--config source=public`).")
    if kind != "public":
        if files:
            st.dataframe(pd.DataFrame([{"file": f"{name}.h5", "for": FILE_TASKS.get(name, ""), "what": f.get("name")}
                                       for name, f in files.items()]), hide_index=True, width="stretch")
        return
    for column, (name, f) in zip(st.columns(len(files)), files.items()):
        downloads = f.get("files") or []
        with column.container(border=True):
            home = str(f.get("homepage") or "")
            title = f"[{ui.md(f.get('name'))}]({home})" if LINK.fullmatch(home) else ui.md(f.get("name"))
            st.markdown(f"**{name}.h5** · {FILE_TASKS.get(name, '')}  \n{title}")
            st.markdown(f"**Cite:** {ui.md(f.get('citation'))}  \n**Licence:** {ui.md(f.get('licence'))}")
            hashes = "; ".join(f"`{d.get('url', '').rsplit('/', 1)[-1]}` {d.get('sha256', '')[:12]}…" for d in downloads[:2])
            more = f" and {len(downloads) - 2} more" if len(downloads) > 2 else ""
            st.caption(f"Downloaded {len(downloads)} file{'s' if len(downloads) != 1 else ''}, sha256 found: "
                       f"{hashes}{more}. Checked by {ui.md(downloads[0].get('checked')) if downloads else '-'}.")
    activity = files.get("data3") or {}
    if activity:
        dropped = activity.get("dropped") or {}
        records = sum((activity.get("records") or {}).values())
        said = ", ".join(f"{n:,} {reason}" for reason, n in sorted(dropped.items())) or "none"
        st.caption(f"WISDM: {records:,} records read, {activity.get('kept', 0):,} kept; dropped: {said}. "
                   f"Windows of {activity.get('steps')} samples of one user doing one activity; the test users "
                   f"{activity.get('test_users')} are not among the training users (drawn with seed "
                   f"{activity.get('seed')}). The lab's readme travels with the data: "
                   f"`{record.get('data_dir')}/WISDM_readme.txt`.")


def patches():
    st.caption("Luminosity Y = 0.2126 R + 0.7152 G + 0.0722 B; each patch's mean removed; clipped at "
               "±3 standard deviations (over all pixels) and mapped onto [0.1, 0.9].")
    found = arrays("patches.npz", ["x"])
    if found is not None:
        x = found["x"]
        side = int(round(np.sqrt(x.shape[1]))) if x.ndim == 2 else None
        cols = st.columns(3)
        cols[0].metric("patches", f"{x.shape[0]:,}")
        cols[1].metric("pixels per patch", f"{x.shape[1]} ({side}×{side})" if side else "?")
        cols[2].metric("value range", f"{float(x.min()):.3f} to {float(x.max()):.3f}" if x.size else "-")
    for column, (name, caption) in zip(st.columns(2), [("rgb", "random patches, RGB"),
                                                      ("normalized", "the same patches, normalized")]):
        with column:
            ui.image(tasks.data_file(ui.results(), f"patches_{name}.png"), caption=caption, what=f"{name} patches")


def trigrams():
    found = arrays("trigrams.npz", XY + ["words"])
    if found is None:
        return
    words = [str(w) for w in found["words"]]
    V = len(words)
    vocab = pd.DataFrame({"index": np.arange(V), "word": words,
                          "as 4th word (train)": np.bincount(found["y_train"], minlength=V),
                          "in context (train)": np.bincount(found["x_train"].ravel(), minlength=V)})
    left, right = st.columns([1, 2])
    left.metric("vocabulary", f"{V} words")
    left.dataframe(pd.DataFrame([{"split": name, "4-grams": len(found[f"y_{split}"])}
                                 for split, name in SPLITS.items()]), hide_index=True, width="stretch")
    with right:
        charts.plot("bar", vocab.nlargest(25, "as 4th word (train)"), "most frequent 4th words (train)",
                    max(200, 16 * min(V, 25)), x=alt.X(field="as 4th word (train)", type="quantitative", title="count"),
                    y=alt.Y("word:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)))
    with st.expander(f"Vocabulary ({V} words)"):
        st.dataframe(vocab, hide_index=True, width="stretch", height=360)


def activity():
    found = arrays("activity.npz", XY + ["classes"], optional=["mean", "sd"])
    if found is None:
        return
    classes = [str(c) for c in found["classes"]]
    shape = found["x_train"].shape
    cols = st.columns(6)
    for column, (split, name) in zip(cols, SPLITS.items()):
        column.metric(f"{name} windows", f"{len(found[f'y_{split}']):,}")
    cols[3].metric("time steps T", shape[1] if len(shape) > 1 else "?")
    cols[4].metric("channels", shape[2] if len(shape) > 2 else "?")
    cols[5].metric("classes", len(classes))
    balance = pd.DataFrame({name: np.bincount(found[f"y_{split}"], minlength=len(classes))
                            for split, name in SPLITS.items()}, index=classes)
    left, right = st.columns([1, 2])
    left.caption("Class balance (windows per class)")
    left.dataframe(balance, width="stretch")
    long = balance.rename_axis("class").reset_index().melt("class", var_name="split", value_name="windows")
    long["share"] = long["windows"] / long.groupby("split")["windows"].transform("sum")
    order = list(SPLITS.values())
    with right:
        charts.plot("bar", long, "class balance per split",
                    x=alt.X("class:N", title=None, axis=alt.Axis(labelAngle=-30)),
                    y=alt.Y("share:Q", title="share of split", axis=alt.Axis(format="%")),
                    xOffset=alt.XOffset("split:N", sort=order), color=alt.Color("split:N", sort=order))
    if "mean" in found and "sd" in found:
        st.caption("Standardization applied to every channel (from the training split): "
                   + ", ".join(f"channel {i}: mean {float(m):.3f}, sd {float(d):.3f}"
                               for i, (m, d) in enumerate(zip(np.ravel(found["mean"]), np.ravel(found["sd"])))))


ui.intro("Data", "The course files after validation and preprocessing (`data/` in the results folder).")
ui.section("Source", source)
ui.section("Image patches (experiment 1)", patches)
ui.section("Trigrams (experiment 2)", trigrams)
ui.section("Activity windows (experiment 3)", activity)
