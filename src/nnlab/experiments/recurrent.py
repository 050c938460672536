"""Experiment 3: train one recurrent activity classifier variant and write its results."""
import copy
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab import models
from nnlab.data.preprocess import resplit_activity
from nnlab.figures import save_curves
from nnlab.io import save_csv, save_figure, save_npz
from nnlab.models.recurrent import RecurrentClassifier
from nnlab.nn.workspace import Workspace
from nnlab.results import accuracy_with_interval, mean_with_interval, write_metrics
from nnlab.tasks import TASKS
from nnlab.train import FitResult, fit_recipe


def confusion_matrix(y_true, y_pred, k):
    """(k, k) counts: row = true class, column = predicted class."""
    counts = np.zeros((k, k), np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def precision_recall_f1(counts):
    """Per-class precision (of the predictions of each class), recall (of each true class) and
    F1 = 2 tp / (predicted + present); NaN where a class was never predicted (precision), never
    present (recall), or neither (F1)."""
    hits, predicted, present = np.diag(counts).astype(np.float64), counts.sum(axis=0), counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / predicted, hits / present, 2 * hits / (predicted + present)


PROBE = 32                     # training windows whose per-step gradient norms are recorded
GRAD_EPOCHS = (0, 1, 2, 3, 5, 10, 20, 30, 40, 50, 60, 80, 100)   # and every 50th after: epochs recorded


def recorded(epoch):
    """Whether the per-step gradient norms are recorded after `epoch` (0: the initial weights)."""
    return epoch in GRAD_EPOCHS or (epoch > GRAD_EPOCHS[-1] and epoch % 50 == 0)


class StepNorms:
    """||dL_n/dh_t|| for every step t of full BPTT, mean over PROBE fixed training windows, after
    the epochs `recorded` picks: rows epoch, step (1..T), norm (grad_steps.csv; the report's claim
    3.2, vanishing or exploding recurrent gradients). Whatever the run's truncation, the norms are
    those of full BPTT: how far back the loss still reaches."""

    def __init__(self, model, x, y):
        self.model, self.x, self.y, self.rows = model, x[:PROBE], y[:PROBE], []

    def __call__(self, epoch):
        if recorded(epoch):
            norms = self.model.hidden_grad_norms(self.x, self.y)
            self.rows += [(epoch, t + 1, float(n)) for t, n in enumerate(norms)]

    def frame(self):
        return pd.DataFrame(self.rows, columns=["epoch", "step", "norm"])


def train_stages(model, data, hp, history_path, log, after_epoch=None):
    """The main stage, then the optional fine-tuning stage with its own optimiser (the course
    author's: SGD, lr 0.001, momentum 0.35). One history file with continuous epoch numbers;
    the weights of the epoch with the lowest validation cross-entropy over both stages win.
    Returns (FitResult, the first stage's model on every split: {stage1_<split>_accuracy,
    stage1_<split>_cross_entropy, stage1_epochs_run, stage1_best_epoch}, empty without fine-tuning)."""
    train, val = (data["x_train"], data["y_train"]), (data["x_val"], data["y_val"])
    common = dict(history_path=history_path, log=log, after_epoch=after_epoch)
    first = fit_recipe(model, hp, train, val, seed=hp["seed"], **common)
    finetune = hp["finetune"]
    if not finetune["epochs"]:
        return first, {}
    stage1 = {"stage1_epochs_run": first.epochs_run, "stage1_best_epoch": first.best_epoch}
    for split in ("train", "val", "test"):
        cross_entropy, accuracy = model.evaluate(data[f"x_{split}"], data[f"y_{split}"])
        stage1.update({f"stage1_{split}_cross_entropy": cross_entropy, f"stage1_{split}_accuracy": accuracy})
    best_first, kept = first.best["val_loss"], model.params.flat.copy()
    log(f"fine-tuning from epoch {first.best_epoch}: {finetune['optimizer']}, lr {finetune['learning_rate']}, "
        f"momentum {finetune['momentum']}, at most {finetune['epochs']} epochs")
    stage = dict(hp, **finetune, lr_schedule="constant")
    second = fit_recipe(model, stage, train, val, seed=hp["seed"] + 1, epoch_offset=first.epochs_run, **common)
    if second.best["val_loss"] < best_first:
        best_epoch = first.epochs_run + second.best_epoch
    else:
        model.params.flat[:] = kept
        best_epoch = first.best_epoch
        log(f"fine-tuning did not lower the validation cross-entropy; keeping epoch {best_epoch}")
    return FitResult(history=first.history + second.history, best_epoch=best_epoch,
                     epochs_run=first.epochs_run + second.epochs_run,
                     stopped_early=first.stopped_early or second.stopped_early), stage1


def train_variant(data_path, variant, hp, out, log, data_files=()):
    """Train one variant; out: dict of paths params, history, metrics, scores (each test
    window's cross-entropy and correctness), grad_steps (per-step gradient norms, StepNorms),
    confusion_train, confusion_test, confusion_train_png, confusion_test_png, curves."""
    data = dict(np.load(data_path, allow_pickle=False))
    data["x_train"], data["y_train"], data["x_val"], data["y_val"] = resplit_activity(data, hp["seed"], data_path)
    classes = [str(c) for c in data["classes"]]
    _, T, C = data["x_train"].shape
    model = RecurrentClassifier(hp["cell"], C, hp["hidden"], hp["mlp"], len(classes), truncation=hp["truncation"],
                                forget_bias=hp["forget_bias"], weight_decay=hp["weight_decay"], seed=hp["seed"],
                                classes=classes)
    log(f"{variant}: train {data['x_train'].shape}, validation {data['x_val'].shape}, test {data['x_test'].shape}; "
        f"{len(model.params)} parameters; hyperparameters {hp}")
    Path(out["history"]).parent.mkdir(parents=True, exist_ok=True)
    workspace = training_workspace_bytes(model, data["x_train"], data["y_train"], hp["batch_size"])
    step_norms = StepNorms(model, data["x_train"], data["y_train"])
    step_norms(0)
    result, stage1 = train_stages(model, data, hp, out["history"], log, after_epoch=step_norms)
    models.save(out["params"], model)
    save_csv(out["grad_steps"], step_norms.frame())

    scores = {}
    for split in ("train", "val", "test"):
        y = data[f"y_{split}"]
        losses, predicted = model.sample_scores(data[f"x_{split}"], y)
        counts = confusion_matrix(y, predicted, len(classes))
        per_class = dict(zip(("precision", "recall", "f1"), precision_recall_f1(counts)))
        scores[split] = {"cross_entropy": float(losses.mean()), "accuracy": float(np.trace(counts) / len(y)),
                         "counts": counts, **{k: dict(zip(classes, v)) for k, v in per_class.items()},
                         "losses": losses, "correct": predicted == y}
    save_npz(out["scores"], loss=scores["test"]["losses"].astype(np.float32), correct=scores["test"]["correct"])
    for split in ("train", "test"):
        counts = scores[split]["counts"]
        table = pd.DataFrame(counts, columns=classes)
        table.insert(0, "true", classes)
        save_csv(out[f"confusion_{split}"], table)
        save_confusion_figure(out[f"confusion_{split}_png"], counts, classes,
                              f"{variant}, {split}: accuracy {scores[split]['accuracy']:.1%} "
                              f"(rows true, columns predicted)")
    log(f"{variant}: best epoch {result.best_epoch} of {result.epochs_run}; accuracy train "
        f"{scores['train']['accuracy']:.4f}, validation {scores['val']['accuracy']:.4f}, "
        f"test {scores['test']['accuracy']:.4f}")
    save_curves(out["curves"], pd.read_csv(out["history"]), TASKS["recurrent"].panels,
                title=f"{variant} (best epoch {result.best_epoch})")
    write_metrics(                                     # last: metrics.json marks the job done
        out["metrics"], "recurrent", variant, hp, result, data_files,
        steps=T, parameters=len(model.params), workspace_bytes=workspace, classes=classes, **stage1,
        **{k: v for split in ("train", "val", "test") for k, v in {
            **mean_with_interval(f"{split}_cross_entropy", scores[split]["losses"]),
            **accuracy_with_interval(f"{split}_accuracy", scores[split]["correct"])}.items()},
        **{f"{split}_{k}": scores[split][k] for split in ("train", "test") for k in ("precision", "recall", "f1")},
    )
    return scores


def training_workspace_bytes(model, x, y, batch_size):
    """The bytes of scratch memory (forward cache and backward buffers) one training step of
    `batch_size` windows holds (the report's claim 3.7: the GRU's cache takes less memory than the
    LSTM's). Measured on a copy, so the model's own workspace and gradients are untouched."""
    probe = copy.deepcopy(model)
    probe.ws = Workspace()
    probe.step(x[:batch_size], y[:batch_size])
    return int(sum(a.nbytes for a in probe.ws.arrays.values()))


def save_confusion_figure(path, counts, classes, title):
    """Counts in each cell, coloured by the share of the true class (row)."""
    import matplotlib.pyplot as plt

    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 * len(classes) + 2.5, 0.9 * len(classes) + 1.8))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    save_figure(path, fig)
