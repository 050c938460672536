"""Experiment 1: train one autoencoder variant and write its results; select beta, rho; grid figure."""
import json

import numpy as np
import pandas as pd

from nnlab import models
from nnlab.data.preprocess import split_holdout
from nnlab.figures import normalize_each, save_curves, save_mosaic, tile
from nnlab.io import read_npz, save_npz, write_json
from nnlab.models.autoencoder import SparseAutoencoder
from nnlab.replicates import read_run
from nnlab.results import mean_with_interval, write_metrics
from nnlab.tasks import TASKS
from nnlab.train import fit_recipe

PATCH = 16


def feature_images(W1):
    """W1 (Lin, Lhid) -> (Lhid, 16, 16): each hidden unit's input weights, contrast-normalised."""
    return normalize_each(W1.T.reshape(-1, PATCH, PATCH))


def feature_roughness(W1):
    """W1 (Lin, Lhid) -> (Lhid,): how rough each hidden unit's weight image (16x16) is, the mean
    squared difference of horizontally and vertically neighbouring weights over twice the
    image's variance. 1: as rough as white noise; near 0: smooth (blobs, slow gradients); up to
    2 for a checkerboard. Scale-free, so weight decay's shrinking alone does not change it
    (the report's claim 1.3: a larger lambda smooths the features, a larger L_hid learns more
    complicated ones)."""
    w = np.asarray(W1, np.float64).T.reshape(-1, PATCH, PATCH)
    steps = np.concatenate([np.diff(w, axis=1).reshape(len(w), -1), np.diff(w, axis=2).reshape(len(w), -1)], axis=1)
    variance = w.reshape(len(w), -1).var(axis=1)
    return (steps ** 2).mean(axis=1) / np.maximum(2 * variance, np.finfo(np.float64).tiny)


def resolve_sparsity(hp, selection_path):
    """Fill beta and rho left to 'auto' (None) from the sweep's selection file (once, in the
    workflow's ae_hp: the run's params then hold the values it trains with)."""
    hp = dict(hp)
    if hp.get("beta") is None or hp.get("rho") is None:
        chosen = json.loads(open(selection_path).read())["chosen"]
        hp["beta"] = chosen["beta"] if hp.get("beta") is None else hp["beta"]
        hp["rho"] = chosen["rho"] if hp.get("rho") is None else hp["rho"]
        hp["sparsity_from"] = "sweep selection"
    return hp


def train_variant(patches_path, variant, hp, out, log, data_files=()):
    """Train one variant with its complete settings `hp` (beta and rho resolved: resolve_sparsity);
    out: dict of paths params, history, metrics, scores (each held-out patch's squared error),
    features, curves, reconstructions."""
    x = np.load(patches_path, allow_pickle=False)["x"]
    train_idx, holdout_idx = split_holdout(len(x), hp["holdout_fraction"], hp["seed"], source=patches_path)
    x_train, x_holdout = x[train_idx], x[holdout_idx]
    model = SparseAutoencoder(x.shape[1], hp["hidden"], hp["lambda"], hp["beta"], hp["rho"], seed=hp["seed"])
    log(f"{variant}: {len(x_train)} training and {len(x_holdout)} held-out patches, hyperparameters {hp}")
    result = fit_recipe(model, hp, (x_train, None), (x_holdout, None), seed=hp["seed"],
                        history_path=out["history"], log=log)
    terms, h = model.terms(x_train)
    activation = float(h.mean())
    per_patch = model.sample_scores(x_holdout)[0] / x.shape[1]           # mean squared error of each held-out patch
    models.save(out["params"], model)
    save_npz(out["scores"], loss=per_patch.astype(np.float32))
    save_mosaic(out["features"], tile(feature_images(model.params.w["W1"])),
                title=f"{variant}: input weights of {hp['hidden']} hidden units")
    save_curves(out["curves"], pd.read_csv(out["history"]), TASKS["autoencoder"].panels, title=variant)
    shown = x_holdout[:16], model.reconstruct(x_holdout[:16])
    pairs = np.stack(shown, axis=1).reshape(-1, PATCH, PATCH)
    save_mosaic(out["reconstructions"], tile(pairs, cols=8),
                title="held-out patches (left) and reconstructions (right)")
    write_metrics(                                     # last: metrics.json marks the job done
        out["metrics"], "autoencoder", variant, hp, result, data_files,
        loss=sum(terms.values()), reconstruction=terms["reconstruction"], sparsity=terms["sparsity"],
        weight_decay=terms["penalty"],
        **mean_with_interval("reconstruction_mse", per_patch),
        mean_activation=activation,
        activation_relative_error=abs(activation - hp["rho"]) / hp["rho"],
        feature_roughness=float(feature_roughness(model.params.w["W1"]).mean()),
    )


def select_sparsity(metrics_paths, tolerance, path):
    """Choose (beta, rho), the sparsest pair that works: a sweep variant qualifies when its mean
    hidden activation (averaged over its runs, one per seed) is within `tolerance` (relative) of
    its rho; among qualified variants, those with the smallest rho, and among them the lowest
    held-out reconstruction MSE (mean over seeds). If none qualifies, the variant whose mean
    activation is relatively closest to its rho."""
    runs = {}
    for p in metrics_paths:
        m = read_run(p)
        runs.setdefault(m["variant"], []).append(m)
    rows = []
    for variant, records in runs.items():
        hp = records[0]["hyperparameters"]
        activation = float(np.mean([m["mean_activation"] for m in records]))
        rows.append({"variant": variant, "beta": hp["beta"], "rho": hp["rho"], "seeds": len(records),
                     "reconstruction_mse": float(np.mean([m["reconstruction_mse"] for m in records])),
                     "mean_activation": activation, "activation_relative_error": abs(activation - hp["rho"]) / hp["rho"]})
    for r in rows:
        r["qualified"] = r["activation_relative_error"] <= tolerance
    qualified = [r for r in rows if r["qualified"]]
    if qualified:
        sparsest = min(r["rho"] for r in qualified)
        chosen = min((r for r in qualified if r["rho"] == sparsest), key=lambda r: (r["reconstruction_mse"], r["variant"]))
        rule = (f"sparsest rho reached: among runs whose mean hidden activation is within {tolerance:.0%} "
                f"of rho, the smallest rho, then the lowest held-out reconstruction MSE")
    else:
        chosen = min(rows, key=lambda r: (r["activation_relative_error"], r["variant"]))
        rule = f"no run within {tolerance:.0%} of rho: the run whose mean activation is closest to rho"
    write_json(path, {"criterion": rule, "tolerance": tolerance, "chosen": chosen, "candidates": rows})
    return chosen


def grid_figure(params_paths, hp_by_path, path):
    """Nine feature mosaics laid out rows = L_hid, columns = lambda."""
    import matplotlib.pyplot as plt

    from nnlab.io import save_figure

    hiddens = sorted({hp["hidden"] for hp in hp_by_path.values()})
    lambdas = sorted({hp["lambda"] for hp in hp_by_path.values()})
    fig, axes = plt.subplots(len(hiddens), len(lambdas), figsize=(3.2 * len(lambdas), 3.4 * len(hiddens)),
                             squeeze=False)
    for p in params_paths:
        hp = hp_by_path[p]
        ax = axes[hiddens.index(hp["hidden"])][lambdas.index(hp["lambda"])]
        W1 = read_npz(p, ["W1"])["W1"]
        ax.imshow(tile(feature_images(W1)), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"L_hid {hp['hidden']}, lambda {hp['lambda']:g}", fontsize=9)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.tight_layout()
    save_figure(path, fig)
