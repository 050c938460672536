"""Autoencoder extras: the β × ρ sweep with its chosen pair (selection.json) and the L_hid × λ grid's features."""
import pandas as pd
import streamlit as st

from nnlab import wording
from nnlab.app import charts, loaders, ui

CHOSEN = " ★ chosen"      # the chosen (β, ρ) variant's label on the key-metric chart


def selection(page):
    """(Loaded selection.json, its chosen pair: a dict, empty when there is none)."""
    loaded = loaders.load_json(page.task_file("selection.json"))
    found = loaded.value.get("chosen") if loaded.ok else None
    return loaded, found if isinstance(found, dict) else {}


def preferred(page):
    """The sweep's chosen variant is shown first."""
    return selection(page)[1].get("variant")


def key_metric(page, data, colours):
    """The held-out MSE per variant in two groups, the β × ρ sweep and the L_hid × λ grid, side by side; the
    chosen (β, ρ) marked ★ (selection.json)."""
    chosen = preferred(page)
    part = {v.variant: page.hyperparameters(v.variant).get("part") for v in page.states}
    groups = {"β × ρ sweep": data[[part.get(n, str(n).split("-")[0]) == "sweep" for n in data["variant"]]],
              "L_hid × λ grid": data[[part.get(n, str(n).split("-")[0]) == "grid" for n in data["variant"]]]}
    rest = data[~data["variant"].isin(pd.concat([g["variant"] for g in groups.values()]))]
    if not rest.empty:
        groups["other"] = rest
    groups = {k: g for k, g in groups.items() if not g.empty}
    for column, (label, group) in zip(st.columns(len(groups)) if groups else [], groups.items()):
        hidden = sorted({page.hyperparameters(n).get("hidden") for n in group["variant"] if n in page.by_name} - {None})
        units = f" ({', '.join(map(wording.fmt, hidden))} hidden units)" if hidden else ""
        marked = group.assign(variant=[n + CHOSEN if n == chosen else n for n in group["variant"]])
        with column:
            charts.intervals(marked, page.task.key_metric, f"{label}{units}",
                             colours={n + CHOSEN if n == chosen else n: c for n, c in colours.items()})
    if chosen:
        st.caption(f"★ chosen: {ui.md(chosen, code=True)}, the sweep's (β, ρ) that the grid uses (selection.json).")


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
    candidates.insert(0, "chosen", candidates["variant"].eq(pick.get("variant")))
    candidates["MSE 95% CI"] = [wording.span(e) if (e := mse(page, str(n))[0]) else "–" for n in candidates["variant"]]
    first = ["variant", "chosen", "beta", "rho", "reconstruction_mse", "MSE 95% CI"]
    candidates = candidates[first + [c for c in candidates.columns if c not in first]]
    left, right = st.columns([3, 2])
    left.dataframe(candidates, hide_index=True, width="stretch", key="ae-sweep-table", column_config={
        "variant": st.column_config.TextColumn("variant", pinned=True),
        "chosen": st.column_config.CheckboxColumn("chosen"),
        "beta": st.column_config.NumberColumn("β", format="%g"),
        "rho": st.column_config.NumberColumn("ρ", format="%g"),
        "reconstruction_mse": st.column_config.NumberColumn("held-out MSE", format="%.4g"),
        "MSE 95% CI": st.column_config.TextColumn("held-out MSE: 95% CI"),
        "mean_activation": st.column_config.NumberColumn("mean activation", format="%.4g"),
        "activation_relative_error": st.column_config.NumberColumn("activation: relative error from ρ",
                                                                   format="%.3g"),
        "qualified": st.column_config.CheckboxColumn("qualified")})
    left.caption("Held-out MSE: the one the selection used; its 95% CI as the variant's aggregate gives it (t over "
                 "seeds, or normal over the held-out patches of one run).")
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
