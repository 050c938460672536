"""The one training loop every model uses (the model protocol: nnlab.models), and the one way
a recipe (optimizer, learning rate, schedule, batches, epochs, patience, clipping) becomes a
call of it: fit_recipe.
"""
import csv
import math
import time
from dataclasses import dataclass, field

import numpy as np

from nnlab.errors import Diverged
from nnlab.nn.optim import make_optimizer

HISTORY_COLUMNS = ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "seconds"]
DIVERGED_FACTOR = 10       # an epoch whose mean training loss is over this times the starting loss has diverged


@dataclass
class FitResult:
    history: list = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    stopped_early: bool = False

    @property
    def seconds_per_epoch(self):
        return float(np.mean([row["seconds"] for row in self.history])) if self.history else 0.0

    @property
    def best(self):
        return self.history[self.best_epoch - 1] if self.history else {}


def batches(n, batch_size, rng):
    """Shuffled index arrays covering range(n); the last one holds the remainder."""
    order = rng.permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def lr_schedule(kind, epochs, final_fraction):
    """epoch (1-based) -> learning-rate multiplier, or None for 'constant'. 'cosine' and
    'exponential' start at 1 and decay towards final_fraction, which they would reach one
    epoch after the last (so the last epoch still learns when final_fraction is 0):
    cosine f + (1 - f) (1 + cos(pi (epoch - 1) / epochs)) / 2, exponential f ** ((epoch - 1) / epochs)."""
    if kind == "constant":
        return None
    if kind == "cosine":
        return lambda epoch: final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
    if kind == "exponential":
        return lambda epoch: final_fraction ** ((epoch - 1) / epochs)
    raise ValueError(f"lr_schedule: expected 'constant', 'cosine' or 'exponential', found {kind!r}")


def clip_by_norm(grad, max_norm):
    """Scale grad in place so its 2-norm is at most max_norm; return the norm before."""
    norm = float(np.sqrt(np.dot(grad, grad)))
    if max_norm and norm > max_norm:
        grad *= max_norm / norm
    return norm


class History:
    """history.csv, one row appended and flushed per epoch so a run can be followed live."""

    def __init__(self, path, columns, append=False):
        self.path, self.columns = path, columns
        if path is not None and not append:
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(columns)

    def append(self, row):
        if self.path is None:
            return
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow(["" if row.get(c) is None else row[c] for c in self.columns])


def _fmt(value):
    return "-" if value is None else f"{value:.4f}"


def fit(model, optimizer, train, val=None, *, epochs, batch_size, seed=0, patience=None,
        clip_norm=None, history_path=None, log=print, schedule=None, epoch_offset=0, after_epoch=None):
    """Train `model` on train = (x, y) with mini-batches, in place.

    val = (x, y) enables validation each epoch; with `patience`, training stops after that
    many epochs without a lower validation loss and the best weights are restored.
    schedule(epoch) -> optional learning-rate multiplier applied to optimizer.lr.
    A non-finite training loss raises Diverged naming the epoch, and so does an epoch whose mean
    training loss is over DIVERGED_FACTOR times the loss of this fit's first batch (the loss
    at the start): a finite loss that has run away.
    epoch_offset > 0 continues an earlier fit() (e.g. a fine-tuning stage): history rows are
    numbered from epoch_offset + 1 and appended to history_path under its existing header.
    after_epoch(epoch) is called after each epoch's history row (epoch numbered as in the history),
    for measurements that do not fit a row (e.g. the per-step gradient norms of the recurrent runs).
    """
    x, y = train
    n = len(x)
    rng = np.random.default_rng(seed)
    extras = list(model.epoch_extras().keys()) if hasattr(model, "epoch_extras") else []
    history = History(history_path, HISTORY_COLUMNS + extras, append=epoch_offset > 0)
    result = FitResult()
    best_loss, best_flat, waited = math.inf, None, 0
    base_lr = optimizer.lr
    start_loss = None
    for epoch in range(1, epochs + 1):
        if schedule is not None:
            optimizer.lr = base_lr * schedule(epoch)
        start = time.perf_counter()
        total_loss, total_correct, has_accuracy = 0.0, 0, False
        for idx in batches(n, batch_size, rng):
            loss, correct = model.step(x[idx], y[idx] if y is not None else None)
            if not math.isfinite(loss):
                raise Diverged(f"diverged at epoch {epoch}: training loss became {loss} "
                               f"(lower the learning rate or enable gradient clipping)")
            if start_loss is None:
                start_loss = loss
            if clip_norm:
                clip_by_norm(model.params.grad, clip_norm)
            optimizer.step(model.params)
            total_loss += loss * len(idx)
            if correct is not None:
                total_correct += correct
                has_accuracy = True
        if total_loss / n > DIVERGED_FACTOR * start_loss:
            raise Diverged(f"diverged at epoch {epoch}: mean training loss {total_loss / n:.4g} is over "
                           f"{DIVERGED_FACTOR} times its value at the start ({start_loss:.4g}; lower the "
                           f"learning rate or enable gradient clipping)")
        row = {"epoch": epoch_offset + epoch, "train_loss": total_loss / n,
               "train_accuracy": total_correct / n if has_accuracy else None,
               "val_loss": None, "val_accuracy": None}
        if val is not None:
            row["val_loss"], row["val_accuracy"] = model.evaluate(*val)
            if not math.isfinite(row["val_loss"]):
                raise Diverged(f"diverged at epoch {epoch}: validation loss became {row['val_loss']}")
        if extras:
            row.update(model.epoch_extras())
        row["seconds"] = time.perf_counter() - start
        result.history.append(row)
        result.epochs_run = epoch
        history.append(row)
        if after_epoch is not None:
            after_epoch(epoch_offset + epoch)
        log(f"epoch {epoch}/{epochs}  train_loss {_fmt(row['train_loss'])}  val_loss {_fmt(row['val_loss'])}  "
            f"train_acc {_fmt(row['train_accuracy'])}  val_acc {_fmt(row['val_accuracy'])}  {row['seconds']:.2f}s")
        monitored = row["val_loss"] if val is not None else row["train_loss"]
        if monitored < best_loss:
            best_loss, result.best_epoch, waited = monitored, epoch, 0
            if val is not None and patience is not None:
                best_flat = model.params.flat.copy()
        else:
            waited += 1
            if val is not None and patience is not None and waited >= patience:
                result.stopped_early = True
                log(f"early stop: no lower validation loss for {patience} epochs; "
                    f"restoring epoch {result.best_epoch}")
                break
    if best_flat is not None:
        model.params.flat[:] = best_flat
    elif val is None or patience is None:
        result.best_epoch = result.epochs_run
    optimizer.lr = base_lr
    return result


def fit_recipe(model, recipe, train, val=None, *, seed, **kwargs):
    """fit() with the optimiser, schedule, batch size, epochs, patience and clipping a recipe
    (a variant's hyperparameters) names; keyword arguments go to fit()."""
    optimizer = make_optimizer(recipe["optimizer"], recipe["learning_rate"], recipe.get("momentum", 0.0))
    return fit(model, optimizer, train, val, epochs=recipe["epochs"], batch_size=recipe["batch_size"], seed=seed,
               patience=recipe.get("patience"), clip_norm=recipe.get("clip_norm"),
               schedule=lr_schedule(recipe["lr_schedule"], recipe["epochs"], recipe["lr_final_fraction"]), **kwargs)
