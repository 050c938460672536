"""Autoencoder: one variant's features, curves, reconstructions and metrics; the beta x rho
sweep with the chosen pair marked; the L_hid x lambda grid side by side."""
import pandas as pd
import streamlit as st

from nnlab.app import loaders, ui

TASK = "autoencoder"
folder, states, by_name = ui.task_page(
    TASK, "Sparse autoencoder",
    "256 → L_hid → 256 sigmoid autoencoder on 16×16 patches; cost = reconstruction + "
    "λ/2 (‖W1‖² + ‖W2‖²) + β Σ KL(ρ ‖ ρ̂).")


def part(v, hp):
    return hp.get("part") or ("sweep" if v.variant.startswith("sweep") else
                              "grid" if v.variant.startswith("grid") else "other")


selection = loaders.load_json(folder / "selection.json")
chosen = selection.value.get("chosen") if selection.ok else None
chosen = chosen if isinstance(chosen, dict) else {}
hps = {v.variant: ui.variant_hyperparameters(TASK, v) for v in states}

# ------------------------------------------------------------------ one variant
st.header("Variant")
with ui.guard("Variant"):
    with_results = [v.variant for v in states if v.state != "not started"]
    if not states:
        st.info("No autoencoder variants: the config defines none and the results folder holds none.")
    elif not with_results:
        st.info("No autoencoder variant has results yet.", icon=":material/hourglass_empty:")
    else:
        name = ui.variant_picker("Variant", with_results, default=chosen.get("variant"), key="ae-variant",
                                 help="Variants with results; the sweep's chosen (β, ρ) is preselected.")
        v = by_name[name]
        vdir = folder / name
        st.markdown(f"**{name}** {ui.state_badge(v.state)}"
                    + (" · ★ chosen by the sweep" if name == chosen.get("variant") else ""))
        metrics = loaders.load_json(vdir / "metrics.json")
        if metrics.ok:
            ui.metric_row(metrics.value, ["reconstruction_mse", "loss", "mean_activation", "epochs_run",
                                          "seconds_per_epoch"],
                          {"reconstruction_mse": "held-out MSE", "loss": "cost J (train)",
                           "mean_activation": "mean activation ρ̂", "epochs_run": "epochs",
                           "seconds_per_epoch": "s / epoch"})
        else:
            ui.problem(metrics, "metrics")

        left, right = st.columns(2)
        with left:
            ui.image(vdir / "features.png", caption="input weights of each hidden unit", what="features")
        with right:
            ui.image(vdir / "reconstructions.png", caption="held-out patches (left) and reconstructions (right)",
                     what="reconstructions")

        def curves():
            frames, bad = ui.histories(TASK, [name])
            ui.history_problems(bad)
            if not frames and not bad:
                ui.problem(loaders.load_history(vdir / "history.csv"), "curves")
            ui.curves_chart(frames, [("train_loss", "train"), ("val_loss", "held-out")], "cost J per epoch", "cost J")

        ui.live(curves, active=v.state == "running", key="ae-curves")
        with st.expander("Hyper-parameters and all metrics"):
            ui.hyperparameter_table(hps[name])
            if metrics.ok:
                st.json({k: val for k, val in metrics.value.items() if k != "provenance"}, expanded=False)
                if "provenance" in metrics.value:
                    st.caption("Provenance")
                    st.json(metrics.value["provenance"], expanded=False)

# --------------------------------------------------------------------- the sweep
st.header("β × ρ sweep")
with ui.guard("β × ρ sweep"):
    sweep = [v for v in states if part(v, hps[v.variant]) == "sweep"]
    if selection.ok:
        st.markdown(f"**Chosen:** β = {ui.fmt(chosen.get('beta'))}, ρ = {ui.fmt(chosen.get('rho'))} "
                    f"(`{chosen.get('variant', '?')}`) · criterion: {selection.value.get('criterion', '?')}")
        candidates = selection.value.get("candidates")
        candidates = pd.DataFrame(candidates if isinstance(candidates, list) else [])
    else:
        ui.problem(selection, "sweep selection")
        rows = []
        for v in sweep:
            m = loaders.load_json(folder / v.variant / "metrics.json")
            if m.ok:
                rows.append({"variant": v.variant, "beta": hps[v.variant].get("beta"), "rho": hps[v.variant].get("rho"),
                             "reconstruction_mse": m.value.get("reconstruction_mse"),
                             "mean_activation": m.value.get("mean_activation"),
                             "activation_relative_error": m.value.get("activation_relative_error")})
        candidates = pd.DataFrame(rows)
    if not candidates.empty and {"beta", "rho", "variant"} <= set(candidates.columns):
        candidates["chosen"] = candidates["variant"].eq(chosen.get("variant")).map({True: "★", False: ""})
        order = [c for c in ["chosen", "variant", "beta", "rho", "reconstruction_mse", "mean_activation",
                             "activation_relative_error", "qualified"] if c in candidates.columns]
        left, right = st.columns([3, 2])
        with left:
            st.dataframe(candidates[order], hide_index=True, width="stretch")
        with right:
            if "reconstruction_mse" in candidates:
                pivot = candidates.pivot_table(index="beta", columns="rho", values="reconstruction_mse")
                pivot.index = [f"β = {ui.fmt(b)}" for b in pivot.index]
                pivot.columns = [f"ρ = {ui.fmt(r)}" for r in pivot.columns]
                mark = (f"β = {ui.fmt(chosen.get('beta'))}", f"ρ = {ui.fmt(chosen.get('rho'))}")

                def highlight(frame):
                    styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
                    if mark[0] in styles.index and mark[1] in styles.columns:
                        styles.loc[mark[0], mark[1]] = "background-color: #ffe08a; font-weight: bold"
                    return styles

                st.caption("Held-out reconstruction MSE (chosen pair highlighted)")
                st.dataframe(pivot.style.apply(highlight, axis=None).format("{:.5f}", na_rep="-"), width="stretch")
    elif sweep:
        st.info("No sweep variant has metrics yet.", icon=":material/hourglass_empty:")

# ---------------------------------------------------------------------- the grid
st.header("L_hid × λ grid")
with ui.guard("L_hid × λ grid"):
    grid = [v for v in states if part(v, hps[v.variant]) == "grid"]
    if not grid:
        st.info("No grid variants.")
    else:
        hiddens = sorted({hps[v.variant].get("hidden") for v in grid if hps[v.variant].get("hidden") is not None})
        lambdas = sorted({hps[v.variant].get("lambda") for v in grid if hps[v.variant].get("lambda") is not None})
        cell = {(hps[v.variant].get("hidden"), hps[v.variant].get("lambda")): v for v in grid}
        side, combined, table = st.tabs(["Side by side", "Combined figure", "Metrics"])
        with side:
            st.caption("Rows: hidden units L_hid; columns: weight decay λ. Each tile is one hidden unit's "
                       "input weights.")
            for h in hiddens:
                for column, lam in zip(st.columns(max(len(lambdas), 3)), lambdas):   # >= 3: tiles stay small
                    with column:
                        v = cell.get((h, lam))
                        title = f"L_hid = {h}, λ = {ui.fmt(lam)}"
                        if v is None:
                            st.caption(f"{title}: not in the config")
                            continue
                        m = loaders.load_json(folder / v.variant / "metrics.json")
                        extra = f" · MSE {ui.fmt(m.value.get('reconstruction_mse'))}" if m.ok else ""
                        if v.state != "done":
                            st.markdown(f"**{title}**")
                            st.markdown(ui.state_badge(v.state))
                        else:
                            ui.image(folder / v.variant / "features.png", caption=title + extra, what=title)
        with combined:
            ui.image(folder / "grid_features.png", caption="features of every grid variant", what="grid figure",
                     width="content")
        with table:
            rows = []
            for v in grid:
                m = loaders.load_json(folder / v.variant / "metrics.json")
                rows.append({"L_hid": hps[v.variant].get("hidden"), "lambda": hps[v.variant].get("lambda"),
                             "state": v.state,
                             "reconstruction_mse": m.value.get("reconstruction_mse") if m.ok else None,
                             "mean_activation": m.value.get("mean_activation") if m.ok else None})
            frame = pd.DataFrame(rows)
            st.dataframe(frame, hide_index=True, width="stretch")
            if frame["reconstruction_mse"].notna().any():
                st.caption("Held-out reconstruction MSE")
                st.dataframe(frame.pivot_table(index="L_hid", columns="lambda", values="reconstruction_mse"),
                             width="stretch")
