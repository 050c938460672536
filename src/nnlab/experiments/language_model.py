"""Experiment 2: train one trigram language-model variant and write its results; embedding map."""

import numpy as np
import pandas as pd

from nnlab import models
from nnlab.figures import save_curves
from nnlab.io import read_npz, save_csv, save_figure, save_npz
from nnlab.models.language_model import LanguageModel, top_k
from nnlab.results import accuracy_with_interval, mean_with_interval, write_metrics
from nnlab.tasks import TASKS
from nnlab.train import fit_recipe

TOP_K = 10  # candidates per sampled trigram in predictions.csv; test top-10 accuracy
PUNCTUATION = (".", ",", "?")   # the report's dominant predictions (claim 2.4)
PREDICTION_COLUMNS = ["sample", "test_index", "word1", "word2", "word3", "true_word", "true_rank",
                      "rank", "candidate", "probability"]


def build(hp, words):
    """The model that hyperparameters hp describe, over the vocabulary `words`."""
    return LanguageModel(len(words), hp["embedding_dim"], hp["hidden"], order_aware=hp["order_aware"],
                         init=hp["init"], init_std=hp["init_std"], weight_decay=hp["weight_decay"],
                         seed=hp["seed"], words=words)


def sample_indices(n, k, seed):
    """k distinct test rows chosen by `seed` alone, so every variant shows the same trigrams."""
    return np.sort(np.random.default_rng(seed).choice(n, size=min(k, n), replace=False))


def prediction_table(model, words, x, y, rows, k=TOP_K):
    """Long table, k rows per sampled trigram: the trigram, its true 4th word and the rank of
    that word among all V (1 = most probable), then the top-k candidates by probability."""
    probs = model.predict_proba(x)
    idx, p = top_k(probs, k)
    true_p = probs[np.arange(len(y)), y][:, None]
    true_rank = 1 + (probs > true_p).sum(axis=1)
    records = []
    for s in range(len(x)):
        for r in range(idx.shape[1]):
            records.append([s + 1, int(rows[s]), *(str(words[i]) for i in x[s]), str(words[y[s]]),
                            int(true_rank[s]), r + 1, str(words[idx[s, r]]), round(float(p[s, r]), 6)])
    return pd.DataFrame(records, columns=PREDICTION_COLUMNS)


def punctuation_shares(words, predicted, train_labels):
    """test_punctuation_share: the share of test trigrams whose most probable 4th word is one of
    PUNCTUATION, with its Wilson interval; train_punctuation_share: those words' share of the
    training labels (the report's claim 2.4: the top predictions are dominated by them because they
    are over-represented). Words the vocabulary lacks are not counted."""
    marks = np.flatnonzero(np.isin(np.asarray(words).astype(str), PUNCTUATION))
    return {**accuracy_with_interval("test_punctuation_share", np.isin(predicted, marks)),
            "train_punctuation_share": float(np.isin(train_labels, marks).mean()) if len(train_labels) else 0.0}


def perplexity(cross_entropy):
    """exp of a mean cross-entropy (nats): a number for any finite loss, inf past float range."""
    with np.errstate(over="ignore"):
        return float(np.exp(np.float64(cross_entropy)))


def train_variant(trigrams_path, variant, hp, out, log, data_files=()):
    """Train one variant; out: dict of paths params, history, metrics, scores (each test
    trigram's cross-entropy and correctness), predictions, curves."""
    data = np.load(trigrams_path, allow_pickle=False)
    words = data["words"]
    train, val = (data["x_train"], data["y_train"]), (data["x_val"], data["y_val"])
    x_test, y_test = data["x_test"], data["y_test"]
    model = build(hp, words)
    log(f"{variant}: {len(train[0])} / {len(val[0])} / {len(x_test)} trigrams over {len(words)} words, "
        f"{len(model.params)} parameters, hyperparameters {hp}")
    result = fit_recipe(model, hp, train, val, seed=hp["seed"], history_path=out["history"], log=log)
    val_losses, val_correct, _ = model.sample_scores(*val, k=TOP_K)
    val_ce = float(val_losses.mean())
    losses, correct, top, predicted = model.sample_scores(x_test, y_test, k=TOP_K, predicted=True)
    test_ce = float(losses.mean())
    train_losses, train_correct, _ = model.sample_scores(*train, k=None)     # the kept model, as the report's training CE
    log(f"best epoch {result.best_epoch}: validation cross-entropy {val_ce:.4f}, test cross-entropy "
        f"{test_ce:.4f}, accuracy {correct.mean():.4f}, top-{TOP_K} {top.mean():.4f}")
    models.save(out["params"], model)
    save_npz(out["scores"], loss=losses.astype(np.float32), correct=correct)
    rows = sample_indices(len(x_test), hp["prediction_samples"], hp["seed"])
    save_csv(out["predictions"], prediction_table(model, words, x_test[rows], y_test[rows], rows, TOP_K))
    save_curves(out["curves"], pd.read_csv(out["history"]), TASKS["language_model"].panels,
                title=f"{variant} (best epoch {result.best_epoch})")
    write_metrics(out["metrics"], "language_model", variant, hp, result, data_files,   # last: marks the job done
                  **mean_with_interval("val_cross_entropy", val_losses), **accuracy_with_interval("val_accuracy", val_correct),
                  **mean_with_interval("test_cross_entropy", losses), **accuracy_with_interval("test_accuracy", correct),
                  **accuracy_with_interval("test_top10_accuracy", top), test_perplexity=perplexity(test_ce),
                  **mean_with_interval("train_cross_entropy", train_losses),
                  **accuracy_with_interval("train_accuracy", train_correct),
                  **punctuation_shares(words, predicted, train[1]))


def pca_2d(X):
    """Rows of X (n, d) on their first two principal components -> (n, 2), and the fraction of
    the variance each of the two explains."""
    X = np.asarray(X, np.float64)
    X = X - X.mean(axis=0)
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:2].T, (S[:2] ** 2) / max(float((S ** 2).sum()), np.finfo(float).tiny)


# The static map's view: each axis spans these quantiles of the points (widened by MAP_MARGIN of that
# span on each side), so one far word does not squash the rest into a corner; the words outside it are
# named in the figure. Labels: at most one per cell of a LABEL_GRID x LABEL_GRID grid over the view.
MAP_QUANTILES = (0.01, 0.99)
MAP_MARGIN = 0.08
LABEL_GRID = (22, 48)          # columns (a label is wide), rows


def map_table(params_path):
    """(DataFrame word, x, y: the embeddings R on their first two principal components, one row per
    word in vocabulary order; the fraction of the variance each component explains)."""
    arrays = read_npz(params_path, ["R", "words"])
    xy, explained = pca_2d(arrays["R"])
    words = [w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in arrays["words"]]
    return pd.DataFrame({"word": words, "x": xy[:, 0], "y": xy[:, 1]}), explained


def map_view(table):
    """((x_low, x_high), (y_low, y_high)) of the static map: robust quantiles of the points, widened."""
    view = []
    for column in ("x", "y"):
        low, high = np.quantile(table[column], MAP_QUANTILES)
        span = max(high - low, 1e-12)
        view.append((low - MAP_MARGIN * span, high + MAP_MARGIN * span))
    return tuple(view)


def labelled(table, view):
    """The rows of the points inside `view` that get a label: at most one per cell of a LABEL_GRID grid
    over the view, the word farthest from the centre first (the crowded middle keeps fewer labels)."""
    (x0, x1), (y0, y1) = view
    inside = table[table["x"].between(x0, x1) & table["y"].between(y0, y1)]
    order = (inside["x"] ** 2 + inside["y"] ** 2).sort_values(ascending=False).index
    cells, keep = set(), []
    for i in order:
        cell = (int((table.at[i, "x"] - x0) / (x1 - x0) * LABEL_GRID[0]),
                int((table.at[i, "y"] - y0) / (y1 - y0) * LABEL_GRID[1]))
        if cell not in cells:
            cells.add(cell)
            keep.append(i)
    return sorted(keep)


def embedding_map(params_path, variant, path, csv_path=None):
    """2-D PCA map of the learned word embeddings R: the PNG at `path` (a robust view, at most one label
    per grid cell, the words outside the view named) and, when csv_path is given, every word's
    coordinates (word, x, y: the points the PNG draws) for the app's interactive map."""
    import matplotlib.pyplot as plt

    table, explained = map_table(params_path)
    if csv_path is not None:
        save_csv(csv_path, table)
    view = map_view(table)
    (x0, x1), (y0, y1) = view
    outside = table[~(table["x"].between(x0, x1) & table["y"].between(y0, y1))]
    fig, ax = plt.subplots(figsize=(14, 14))
    ax.scatter(table["x"], table["y"], s=6, color="tab:blue", alpha=0.5)
    shown = labelled(table, view)
    for i in shown:
        ax.annotate(table.at[i, "word"], (table.at[i, "x"], table.at[i, "y"]), fontsize=7, ha="center",
                    va="bottom")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(f"principal component 1 ({explained[0]:.0%} of the variance)")
    ax.set_ylabel(f"principal component 2 ({explained[1]:.0%} of the variance)")
    ax.set_title(f"{variant}: word embeddings (rows of R), first two principal components; "
                 f"{len(shown)} of {len(table)} words labelled (all in embedding_map.csv)", fontsize=10)
    if len(outside):
        named = ", ".join(f"\"{r.word}\" ({r.x:.2g}, {r.y:.2g})" for r in outside.itertuples())
        ax.text(0.01, 0.01, f"outside this view: {named}", transform=ax.transAxes, fontsize=8, va="bottom",
                wrap=True, bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "grey"})
    save_figure(path, fig)
