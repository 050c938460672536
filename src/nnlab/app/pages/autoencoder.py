"""Autoencoder: one variant's metrics over its seeds and one seed's features, reconstructions and
curves; held-out MSE per variant with error bars; the beta x rho sweep with the chosen pair
marked; the L_hid x lambda grid side by side; two variants compared."""
import pandas as pd
import streamlit as st

from nnlab.app import loaders, ui

SCORES = ["reconstruction_mse", "mean_activation", "activation_relative_error"]
LABELS = {"reconstruction_mse": "held-out MSE", "loss": "cost J (train)", "mean_activation": "mean activation ρ̂",
          "epochs_run": "epochs", "seconds_per_epoch": "s / epoch"}


def part(name):
    hp = page.hyperparameters(name)
    return hp.get("part") or ("sweep" if name.startswith("sweep") else "grid" if name.startswith("grid") else "")


def estimate(name, key):
    """The mean of `key` in a variant's aggregate (None when it has none)."""
    loaded = page.estimates(name)
    return loaded.value[key]["mean"] if loaded.ok and key in loaded.value else None


def one_variant():
    with_results = [v.variant for v in page.states if v.state != "not started" or v.done_seeds]
    if not with_results:
        st.info("No autoencoder variant has results yet.", icon=ui.WAIT)
        return
    name, seed = ui.run_picker(page, with_results, "ae", default=chosen.get("variant"),
                               help="Variants with results; the sweep's chosen (β, ρ) is preselected.")
    v, folder = page.by_name[name], page.run(name, seed)
    st.markdown(f"**{ui.md(name)}** {ui.state_badge(v.state)}"
                + (f" · {v.seeds_done} seeds done" if len(v.runs) > 1 else "")
                + (" · ★ chosen by the sweep" if name == chosen.get("variant") else ""))
    estimates = page.estimates(name)
    if v.done_seeds and not ui.problem(estimates, "metrics"):
        ui.estimate_row(estimates.value, LABELS)
    metrics = page.metrics(name, seed)
    if len(v.runs) > 1:
        st.subheader(f"Seed {seed}")
    left, right = st.columns(2)
    with left:
        ui.image(folder / "features.png", caption="input weights of each hidden unit", what="features")
    with right:
        ui.image(folder / "reconstructions.png", caption="held-out patches (left) and reconstructions (right)",
                 what="reconstructions")
    sources = ui.curve_sources(page, name)
    mean = bool(sources) and sources[0][2]
    ui.live(lambda: ui.curves(sources, lambda frames: ui.curves_chart(
        frames, [("train_loss", "train"), ("val_loss", "held-out")],
        "cost J per epoch" + (" (mean over seeds, 95% band)" if mean else ""), "cost J")),
        active=v.state == "running", key="ae-curves")
    with st.expander("Hyper-parameters and all metrics" + (f" (seed {seed})" if len(v.runs) > 1 else "")):
        ui.hyperparameter_table(page.hyperparameters(name))
        if estimates.ok:
            ui.estimates_table(estimates.value)
        if metrics.ok:
            st.json({k: val for k, val in metrics.value.items() if k != "provenance"}, expanded=False)
            if "provenance" in metrics.value:
                st.caption("Provenance")
                st.json(metrics.value["provenance"], expanded=False)


def highlight(frame, mark):
    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
    if mark[0] in styles.index and mark[1] in styles.columns:
        styles.loc[mark] = "background-color: #ffe08a; font-weight: bold"
    return styles


def sweep():
    names = [v.variant for v in page.states if part(v.variant) == "sweep"]
    if selection.ok:
        st.markdown(f"**Chosen:** β = {ui.fmt(chosen.get('beta'))}, ρ = {ui.fmt(chosen.get('rho'))} "
                    f"({ui.md(chosen.get('variant', '?'), code=True)}) · criterion: "
                    f"{ui.md(selection.value.get('criterion', '?'))}")
        candidates = selection.value.get("candidates")
        candidates = pd.DataFrame(candidates if isinstance(candidates, list) else [])
    else:
        ui.problem(selection, "sweep selection")
        candidates = pd.DataFrame([{"variant": n, "beta": page.hyperparameters(n).get("beta"),
                                    "rho": page.hyperparameters(n).get("rho"),
                                    **{k: estimate(n, k) for k in SCORES}}
                                   for n in names if page.estimates(n).ok])
    if candidates.empty or not {"beta", "rho", "variant"} <= set(candidates.columns):
        if names:
            st.info("No sweep variant has metrics yet.", icon=ui.WAIT)
        return
    candidates["chosen"] = candidates["variant"].eq(chosen.get("variant")).map({True: "★", False: ""})
    candidates["MSE 95% CI"] = [mse_interval(str(n)) for n in candidates["variant"]]
    order = [c for c in ["chosen", "variant", "beta", "rho", "reconstruction_mse", "MSE 95% CI", *SCORES[1:],
                         "qualified"] if c in candidates.columns]
    left, right = st.columns([3, 2])
    left.dataframe(candidates[order], hide_index=True, width="stretch")
    left.caption("reconstruction_mse: the held-out MSE, averaged over the seeds where there are several; "
                 "its 95% CI as the variant's aggregate gives it (t over seeds, or normal over the held-out "
                 "patches of one run).")
    if "reconstruction_mse" in candidates:
        mse = pd.to_numeric(candidates["reconstruction_mse"], errors="coerce")
        pivot = candidates.assign(mse=mse).pivot_table(index="beta", columns="rho", values="mse")
        pivot.index = [f"β = {ui.fmt(b)}" for b in pivot.index]
        pivot.columns = [f"ρ = {ui.fmt(r)}" for r in pivot.columns]
        mark = (f"β = {ui.fmt(chosen.get('beta'))}", f"ρ = {ui.fmt(chosen.get('rho'))}")
        right.caption("Held-out reconstruction MSE (chosen pair highlighted)")
        right.dataframe(pivot.style.apply(highlight, axis=None, mark=mark).format("{:.5f}", na_rep="-"),
                        width="stretch")


def mse_interval(name):
    """The held-out MSE's interval of a variant and how it was computed, as a cell."""
    loaded = page.estimates(name) if name in page.by_name else None
    e = loaded.value.get("reconstruction_mse") if loaded is not None and loaded.ok else None
    return ui.span(e) if e and ui.has_interval(e) else "–"


def grid():
    names = [v.variant for v in page.states if part(v.variant) == "grid"]
    if not names:
        st.info("No grid variants.")
        return
    hps = {n: page.hyperparameters(n) for n in names}
    scores = {n: page.estimates(n) for n in names}
    rows = pd.DataFrame([{"variant": n, "L_hid": hps[n].get("hidden"), "lambda": hps[n].get("lambda"),
                          "state": page.by_name[n].state, **dict.fromkeys(SCORES[:2]),
                          **({k: scores[n].value[k]["mean"] for k in SCORES[:2] if k in scores[n].value}
                             if scores[n].ok else {}),
                          "mse_ci": mse_interval(n), "note": scores[n].error or ""} for n in names])
    side, combined, table = st.tabs(["Side by side", "Combined figure", "Metrics"])
    with side:
        st.caption("Rows: hidden units L_hid; columns: weight decay λ. Each tile is one hidden unit's "
                   "input weights.")
        lambdas = sorted(rows["lambda"].dropna().unique())
        for hidden, by_lambda in rows.dropna(subset=["L_hid"]).groupby("L_hid"):
            cells = dict(zip(by_lambda["lambda"], by_lambda.itertuples()))
            for column, lam in zip(st.columns(max(len(lambdas), 3)), lambdas):   # >= 3: tiles stay small
                with column:
                    grid_tile(cells.get(lam), f"L_hid = {ui.fmt(hidden)}, λ = {ui.fmt(lam)}")
    with combined:
        ui.image(page.folder / "grid_features.png", caption="features of every grid variant", what="grid figure",
                 width="content")
    with table:
        for name, loaded in scores.items():
            if page.by_name[name].state == "done":
                ui.problem(loaded, f"{name} metrics")
        st.dataframe(rows[["variant", "L_hid", "lambda", "state", SCORES[0], "mse_ci", SCORES[1], "note"]].rename(
            columns={"mse_ci": "MSE 95% CI"}), hide_index=True, width="stretch")
        if rows["reconstruction_mse"].notna().any():
            st.caption("Held-out reconstruction MSE")
            st.dataframe(rows.pivot_table(index="L_hid", columns="lambda", values="reconstruction_mse"),
                         width="stretch")


def grid_tile(row, title):
    if row is None:
        st.caption(f"{title}: not in the config")
    elif row.state != "done":
        st.markdown(f"**{title}**")
        st.markdown(ui.state_badge(row.state))
    else:
        extra = (f" · MSE {ui.fmt(row.reconstruction_mse)}" + (f", 95% CI {row.mse_ci}" if row.mse_ci != "–" else "")
                 if row.note == "" else " · metrics unreadable")
        ui.image(page.run(row.variant) / "features.png", caption=title + extra, what=title)


page = ui.task_page("autoencoder", "Sparse autoencoder",
                    "256 → L_hid → 256 sigmoid autoencoder on 16×16 patches; cost = reconstruction + "
                    "λ/2 (‖W1‖² + ‖W2‖²) + β Σ KL(ρ ‖ ρ̂).")
selection = loaders.load_json(page.folder / "selection.json")
chosen = selection.value.get("chosen") if selection.ok else None
chosen = chosen if isinstance(chosen, dict) else {}
ui.section("Variant", one_variant)
ui.section("Key metric", ui.bars_section, page, "reconstruction_mse")
ui.section("β × ρ sweep", sweep)
ui.section("L_hid × λ grid", grid)
ui.section("Compare two variants", ui.compare_section, page, "ae")
