"""The figures of the report's claims (nnlab.claims.FIGURES), one PNG each, drawn from the runs in
the report's root ("course") and the baseline ("tuned"). A figure whose runs are missing says so
in place of its data."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from nnlab import claims, colours, replicates, stats, tasks  # noqa: E402
from nnlab.experiments.autoencoder import feature_images, grid_figure  # noqa: E402
from nnlab.figures import tile  # noqa: E402
from nnlab.io import read_npz, save_figure  # noqa: E402

LABELS = {"course": "report's recipe", "tuned": "nnlab tuned"}
STYLE = {"course": "-", "tuned": "--"}
VARIANT_COLOURS = plt.get_cmap("tab10").colors     # for what is not a variant: seeds, measures, hidden sizes


def palette(config, task, variants):
    """{variant: its one colour} for a figure showing `variants` (nnlab.colours, as in the app): looked up
    with every variant shown, so two the config does not list still get different colours."""
    return colours.task_colours(config, task, variants)


def _titled(fig, text):
    """The figure's title above its panels (tight_layout alone lets it overlap the panels' own titles)."""
    fig.suptitle(text, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))


def _none(ax, text="not run yet"):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _estimate(values):
    """(mean, low, high) over seeds (NaN interval with fewer than 2)."""
    mean, _, low, high = stats.t_interval(values)
    return mean, low, high


def features(roots, seeds, path, config=None):
    """1.1, 1.2: the report's choice (beta 0.1, rho 0.5) under its recipe, beside each root's own pick."""
    panels = [("course", claims.REPORT_CHOICE, "the report's choice")]
    for recipe in claims.RECIPES:
        chosen = claims.selection(roots[recipe])
        if chosen:
            panels.append((recipe, chosen, f"nnlab's pick, {LABELS[recipe]}"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.6), squeeze=False)
    for ax, (recipe, choice, title) in zip(axes[0], panels):
        variant = choice.get("variant") or f"sweep-beta{choice['beta']:g}-rho{choice['rho']:g}"
        params = f"{tasks.run_dir(roots[recipe], 'autoencoder', variant, seeds[0])}/params.npz"
        try:
            W1 = read_npz(params, ["W1"])["W1"]
        except (OSError, ValueError):
            _none(ax, f"{variant}: not run yet")
            continue
        ax.imshow(tile(feature_images(W1)), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{title}\n{variant} ({LABELS[recipe]})", fontsize=9)
        ax.set_axis_off()
    _titled(fig, "Input weights of each hidden unit (first seed)")
    save_figure(path, fig)


def roughness(roots, seeds, path, config=None):
    """1.3a, 1.3b: feature roughness of the grid against lambda, one line per L_hid."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, recipe in zip(axes, claims.RECIPES):
        root, drawn = roots[recipe], False
        grid = {}
        for variant in _grid_variants(root, seeds):
            records = claims.runs(root, "autoencoder", variant, seeds)
            hp = records[0][1]["hyperparameters"]
            grid.setdefault(hp["hidden"], []).append((hp["lambda"], [r["feature_roughness"] for _, r, _ in records
                                                                     if "feature_roughness" in r]))
        for i, (hidden, points) in enumerate(sorted(grid.items())):
            points = sorted((lam, *_estimate(v)) for lam, v in points if v)
            if not points:
                continue
            lam, mean, low, high = map(np.asarray, zip(*points))
            ax.plot(lam, mean, "o-", color=VARIANT_COLOURS[i], label=f"L_hid {hidden}")
            ax.fill_between(lam, low, high, color=VARIANT_COLOURS[i], alpha=0.2)
            drawn = True
        if not drawn:
            _none(ax)
            continue
        ax.set_xscale("log")
        ax.set_xlabel("lambda (weight decay)")
        ax.set_title(LABELS[recipe], fontsize=10)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("feature roughness (1: white noise)")
    _titled(fig, "Roughness of the hidden units' weight images (mean over seeds, 95% t band)")
    save_figure(path, fig)


def _grid_variants(root, seeds):
    folder = tasks.task_dir(root, "autoencoder")
    from pathlib import Path

    names = sorted(p.name for p in Path(folder).glob("grid-*") if p.is_dir()) if Path(folder).is_dir() else []
    return [n for n in names if claims.runs(root, "autoencoder", n, seeds)]


def grid(roots, seeds, path, config=None):
    """1.3c: the report's grid (beta 0.1, rho 0.5), rows L_hid, columns lambda (first seed)."""
    root = roots["course"]
    params, hp = [], {}
    for variant in _grid_variants(root, seeds):
        p = f"{tasks.run_dir(root, 'autoencoder', variant, seeds[0])}/params.npz"
        records = claims.runs(root, "autoencoder", variant, seeds[:1])
        if records:
            params.append(p)
            hp[p] = records[0][1]["hyperparameters"]
    if params:
        grid_figure(params, hp, path)
        return
    fig, ax = plt.subplots(figsize=(6, 3))
    _none(ax)
    save_figure(path, fig)


def _mean_history(root, task, variant, seeds):
    """The seeds' mean history (nnlab.replicates.mean_history: per column its mean, low and high) over the epochs
    every seed reached (replicates.every_seed: the curve stops where the first seed stopped); None: no runs."""
    frames = [pd.read_csv(folder / "history.csv") for _, _, folder in claims.runs(root, task, variant, seeds)]
    return replicates.every_seed(replicates.mean_history(frames)) if frames else None


def lm_curves(roots, seeds, path, config=None):
    """2.1-2.3: validation cross-entropy and accuracy per epoch of the summed-embedding sizes."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    sizes = ("d32-p256", "d16-p128", "d8-p64")
    colour = palette(config, "language_model", sizes)
    drawn = False
    for recipe in claims.RECIPES:
        for variant in sizes:
            history = _mean_history(roots[recipe], "language_model", variant, seeds)
            for ax, column in ((left, "val_loss"), (right, "val_accuracy")):
                if history is None or f"{column}_mean" not in history:
                    continue
                curve = history.dropna(subset=[f"{column}_mean"])
                if curve.empty:
                    continue
                ax.plot(curve["epoch"], curve[f"{column}_mean"], STYLE[recipe], color=colour[variant],
                        label=f"{variant}, {LABELS[recipe]}")
                ax.fill_between(curve["epoch"], curve[f"{column}_low"], curve[f"{column}_high"],
                                color=colour[variant], alpha=0.15)
                drawn = True
    if not drawn:
        _none(left)
        _none(right)
    left.axhspan(4.0, 4.5, color="orange", alpha=0.15, label="report: 4 to 4.5 after epoch 1")
    left.axhline(2.8418, color="red", lw=1, label="report: best validation 2.8418")
    right.axhline(0.237, color="red", lw=1, label="report: never above 23.7%")
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    for ax, label in ((left, "validation cross-entropy"), (right, "validation accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    _titled(fig, "Language model per epoch (mean over seeds, 95% t band, up to the epoch every seed reached; solid: "
                 "the report's recipe)")
    save_figure(path, fig)


def punctuation(roots, seeds, path, config=None):
    """2.4: the share of test predictions that are '.', ',' or '?' beside those words' share of the labels."""
    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = False
    for i, recipe in enumerate(claims.RECIPES):
        records = [r for _, r, _ in claims.runs(roots[recipe], "language_model", "d32-p256", seeds)
                   if "test_punctuation_share" in r]
        if not records:
            continue
        for j, (key, label) in enumerate((("test_punctuation_share", "top predictions"),
                                          ("train_punctuation_share", "training labels"))):
            mean, low, high = _estimate([r[key] for r in records])
            x = i * 3 + j
            ax.bar(x, mean, color=VARIANT_COLOURS[j], label=label if i == 0 else None)
            if np.isfinite(low):
                ax.errorbar(x, mean, yerr=[[mean - low], [high - mean]], color="black", capsize=4)
        drawn = True
    if not drawn:
        _none(ax)
    ax.axhline(0.5, color="red", lw=1, ls=":", label="half")
    ax.set_xticks([0.5, 3.5], [f"d32-p256, {LABELS[r]}" for r in claims.RECIPES])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share that is '.', ',' or '?'")
    ax.legend(fontsize=8)
    ax.set_title("Punctuation among the top predictions and the training labels (95% t interval)", fontsize=10)
    fig.tight_layout()
    save_figure(path, fig)


def _intervals(ax, rows, percent=False):
    """rows [(label, values over seeds, colour)] as points with their 95% t intervals."""
    for y, (label, values, colour) in enumerate(rows):
        if not values:
            ax.text(0.02, y, "not run yet", color="grey", va="center", transform=ax.get_yaxis_transform())
            continue
        mean, low, high = _estimate(values)
        if percent:                       # a share's interval stays within 0% to 100%
            low, high = max(low, 0.0), min(high, 1.0)
        if np.isfinite(low):
            ax.plot([low, high], [y, y], color=colour, lw=2)
        ax.plot(mean, y, "o", color=colour)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_xlim(0, 1)


def _values(root, task, variant, seeds, key):
    return [v for _, r, f in claims.runs(root, task, variant, seeds) if (v := _read(key, r, f)) is not None]


def _read(key, record, folder):
    return claims.Q[key].read(record, folder) if key in claims.Q else record.get(key)


def lm_order(roots, seeds, path, config=None):
    """2.5: test cross-entropy of the order-aware against the summed embedding."""
    fig, ax = plt.subplots(figsize=(7, 3))
    shown = ("d32-p256", "d32-p256-ordered")
    colour = palette(config, "language_model", shown)
    rows = [(f"{v}, {LABELS[r]}", _values(roots[r], "language_model", v, seeds, "test_cross_entropy"),
             colour[v]) for r in claims.RECIPES for v in shown]
    _intervals(ax, rows)
    ax.set_xlabel("test cross-entropy (lower is better), mean with 95% t interval")
    fig.tight_layout()
    save_figure(path, fig)


def grad_steps(roots, seeds, path, config=None):
    """3.2: ||dJ/dh_t|| for every step t of full BPTT, at the recorded epochs (first seed)."""
    cells = ("rnn-full", "lstm-full", "gru-full")
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    for row, recipe in zip(axes, claims.RECIPES):
        for ax, variant in zip(row, cells):
            file = f"{tasks.run_dir(roots[recipe], 'recurrent', variant, seeds[0])}/grad_steps.csv"
            try:
                steps = pd.read_csv(file)
            except (OSError, ValueError):
                _none(ax, f"{variant}: not run yet")
                continue
            epochs = sorted(steps["epoch"].unique())
            colours = plt.get_cmap("viridis")(np.linspace(0, 1, max(len(epochs), 2)))
            for colour, epoch in zip(colours, epochs):
                part = steps[steps["epoch"] == epoch].sort_values("step")
                ax.plot(part["step"], np.maximum(part["norm"], 1e-45), color=colour, lw=1, label=f"epoch {epoch}")
            ax.set_yscale("log")
            ax.set_title(f"{variant}, {LABELS[recipe]}", fontsize=9)
            ax.legend(fontsize=6, ncol=2)
    for ax in axes[-1]:
        ax.set_xlabel("time step t")
    for ax in axes[:, 0]:
        ax.set_ylabel("mean ||dL/dh_t|| over 32 windows")
    _titled(fig, "How far back the loss reaches: the per-step gradient norm of full BPTT")
    save_figure(path, fig)


def recurrent_accuracy(roots, seeds, path, config=None):
    """3.1, 3.3-3.6, 3.8, 3.9: test accuracy after the first stage and after both, per variant."""
    variants = claims.needed_variants()["recurrent"]
    colour = palette(config, "recurrent", variants)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, (key, title) in zip(axes, (("stage1_test_accuracy", "after the first stage"),
                                       ("test_accuracy", "after both stages (the kept model)"))):
        rows = [(f"{v}, {LABELS[r]}", _values(roots[r], "recurrent", v, seeds, key), colour[v])
                for v in variants for r in claims.RECIPES]
        _intervals(ax, rows, percent=True)
        ax.axvline(0.8, color="red", lw=1, ls=":", label="report: about 80%")
        ax.set_title(f"test accuracy {title}", fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(path, fig)


def lstm_val(roots, seeds, path, config=None):
    """3.4b: the LSTM's validation accuracy per epoch, each seed (the report's recipe)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    records = claims.runs(roots["course"], "recurrent", "lstm-full", seeds)
    for i, (seed, record, folder) in enumerate(records):
        history = pd.read_csv(folder / "history.csv")
        ax.plot(history["epoch"], history["val_accuracy"], color=VARIANT_COLOURS[i % 10], lw=1, label=f"seed {seed}")
        if "stage1_epochs_run" in record:
            ax.axvline(record["stage1_epochs_run"] + 0.5, color=VARIANT_COLOURS[i % 10], ls=":", lw=0.8)
    if not records:
        _none(ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("epoch (dotted: where the second stage starts)")
    ax.set_ylabel("validation accuracy")
    ax.set_title("lstm-full under the report's recipe, each seed", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(path, fig)


def speed(roots, seeds, path, config=None):
    """3.7: seconds per epoch and the bytes one training batch holds, per cell (full BPTT)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.2))
    cells = ("rnn-full", "lstm-full", "gru-full")
    colour = palette(config, "recurrent", cells)
    _intervals(left, [(f"{v}, {LABELS[r]}", _values(roots[r], "recurrent", v, seeds, "seconds_per_epoch"),
                       colour[v]) for v in cells for r in claims.RECIPES])
    left.set_xlabel("seconds per epoch (mean, 95% t interval)")
    memory = [(v, _values(roots["course"], "recurrent", v, seeds, "workspace_bytes")) for v in cells]
    right.barh([v for v, _ in memory], [np.mean(m) / 2**20 if m else 0 for _, m in memory],
               color=[colour[v] for v in cells])
    right.invert_yaxis()
    right.set_xlabel("MiB of forward cache and backward buffers per training batch")
    fig.tight_layout()
    save_figure(path, fig)


DRAW = {"features": features, "roughness": roughness, "grid": grid, "lm_curves": lm_curves,
        "punctuation": punctuation, "lm_order": lm_order, "grad_steps": grad_steps,
        "recurrent_accuracy": recurrent_accuracy, "lstm_val": lstm_val, "speed": speed}


def draw_all(roots, seeds, paths, config=None):
    """Every figure of nnlab.claims.FIGURES: paths {name: file}; each variant in its colour of `config`
    (nnlab.colours: the workflow's config, as the app's)."""
    for name, path in paths.items():
        DRAW[name](roots, seeds, path, config)
        plt.close("all")
