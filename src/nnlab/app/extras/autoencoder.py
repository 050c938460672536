"""Autoencoder extras: the β × ρ sweep with its chosen pair (selection.json) and the L_hid × λ grid's features."""
import pandas as pd
import streamlit as st

from nnlab import wording
from nnlab.app import loaders, ui


def selection(page):
    """(Loaded selection.json, its chosen pair: a dict, empty when there is none)."""
    loaded = loaders.load_json(page.task_file("selection.json"))
    found = loaded.value.get("chosen") if loaded.ok else None
    return loaded, found if isinstance(found, dict) else {}


def preferred(page):
    """The sweep's chosen variant is shown first."""
    return selection(page)[1].get("variant")


def mse(page, name):
    """(held-out MSE estimate or None, reason it is unreadable or "")."""
    loaded = page.estimates(name) if name in page.by_name else None
    if loaded is None or loaded.missing:
        return None, ""
    return (loaded.value.get("reconstruction_mse"), "") if loaded.ok else (None, loaded.error)


def sweep(page):
    loaded, pick = selection(page)
    if ui.problem(loaded, "sweep selection"):
        return
    st.markdown(f"**Chosen:** β = {wording.fmt(pick.get('beta'))}, ρ = {wording.fmt(pick.get('rho'))} "
                f"({ui.md(pick.get('variant', '?'), code=True)}) · criterion: "
                f"{ui.md(loaded.value.get('criterion', '?'))}")
    candidates = loaded.value.get("candidates")
    candidates = pd.DataFrame(candidates if isinstance(candidates, list) else [])
    if candidates.empty or not {"beta", "rho", "variant", "reconstruction_mse"} <= set(candidates.columns):
        st.info("selection.json lists no candidates.", icon=ui.WAIT)
        return
    candidates.insert(0, "chosen", candidates["variant"].eq(pick.get("variant")).map({True: "★", False: ""}))
    candidates.insert(5, "MSE 95% CI", [wording.span(e) if (e := mse(page, str(n))[0]) else "–"
                                        for n in candidates["variant"]])
    left, right = st.columns([3, 2])
    left.dataframe(candidates, hide_index=True, width="stretch")
    left.caption("reconstruction_mse: the held-out MSE the selection used; its 95% CI as the variant's aggregate "
                 "gives it (t over seeds, or normal over the held-out patches of one run).")
    values = candidates.assign(mse=pd.to_numeric(candidates["reconstruction_mse"], errors="coerce"))
    pivot = values.pivot_table(index="beta", columns="rho", values="mse")
    mark = (pick.get("beta"), pick.get("rho"))

    def highlight(frame):
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        if mark[0] in styles.index and mark[1] in styles.columns:
            styles.loc[mark] = "background-color: #ffe08a; font-weight: bold"
        return styles

    right.caption("Held-out reconstruction MSE, rows β, columns ρ (chosen pair highlighted)")
    right.dataframe(pivot.style.apply(highlight, axis=None).format("{:.5f}", na_rep="-"), width="stretch")


def grid(page):
    names = [v.variant for v in page.states if page.hyperparameters(v.variant).get("part") == "grid"]
    if not names:
        st.info("No grid variants.")
        return
    side, combined = st.tabs(["Side by side", "Combined figure"])
    with side:
        st.caption("Rows: hidden units L_hid; columns: weight decay λ. Each tile is one hidden unit's input weights "
                   "(the first seed's run).")
        cells = {(page.hyperparameters(n).get("hidden"), page.hyperparameters(n).get("lambda")): n for n in names}
        lambdas = sorted({lam for _, lam in cells if lam is not None})
        for hidden in sorted({h for h, _ in cells if h is not None}):
            for column, lam in zip(st.columns(max(len(lambdas), 3)), lambdas):     # >= 3: tiles stay small
                with column:
                    tile(page, cells.get((hidden, lam)), f"L_hid = {wording.fmt(hidden)}, λ = {wording.fmt(lam)}")
    with combined:
        ui.image(page.task_file("grid_features.png"), "features of every grid variant", "grid figure", "content")


def tile(page, name, title):
    if name is None:
        st.caption(f"{title}: not in the config")
        return
    v = page.by_name[name]
    if not v.done_seeds:
        st.markdown(f"**{title}**\n\n{ui.state_badge(v.state)}")
        return
    estimate, error = mse(page, name)
    if error:
        st.error(f"{ui.md(name)} metrics: {ui.md(error)}", icon=ui.BROKEN)
    extra = f" · MSE {wording.estimate_cell(estimate)}" if estimate else " · metrics unreadable" if error else ""
    ui.image(page.run(name) / "features.png", caption=title + extra, what=title)


SECTIONS = [("β × ρ sweep", sweep), ("L_hid × λ grid", grid)]
