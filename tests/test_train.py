"""The one training loop: batching, history, early stopping, divergence guard."""
import numpy as np
import pandas as pd
import pytest

from nnlab.errors import Diverged
from nnlab.nn.optim import SGD
from nnlab.nn.params import Params
from nnlab.train import HISTORY_COLUMNS, batches, clip_by_norm, fit


class Scripted:
    """A one-weight model whose validation losses follow a script; records batch sizes."""

    def __init__(self, val_losses, train_loss=1.0):
        self.params = Params({"w": (1,)}, np.float64)
        self.val_losses = list(val_losses)
        self.train_loss = train_loss
        self.batch_sizes = []

    def step(self, x, y):
        self.batch_sizes.append(len(x))
        self.params.grad[:] = -1.0  # each step adds lr to w: w counts the steps
        return self.train_loss, int(len(x))

    def evaluate(self, x, y):
        return self.val_losses.pop(0), 0.5


def test_batches_cover_every_sample_once_with_a_remainder_batch():
    parts = batches(10, 4, np.random.default_rng(0))
    assert [len(p) for p in parts] == [4, 4, 2]
    assert sorted(np.concatenate(parts)) == list(range(10))


def test_fit_uses_remainder_batch_and_writes_history(tmp_path):
    model = Scripted([3.0, 2.0])
    x = np.zeros((10, 1))
    lines = []
    result = fit(model, SGD(1.0), (x, np.zeros(10)), (x, x), epochs=2, batch_size=4,
                 history_path=tmp_path / "history.csv", log=lines.append)
    assert model.batch_sizes == [4, 4, 2, 4, 4, 2]
    history = pd.read_csv(tmp_path / "history.csv")
    assert list(history.columns) == HISTORY_COLUMNS
    assert list(history["val_loss"]) == [3.0, 2.0] and list(history["train_accuracy"]) == [1.0, 1.0]
    assert len(lines) == 2 and "epoch 1/2" in lines[0] and "val_loss 3.0000" in lines[0]
    assert result.epochs_run == 2 and result.best_epoch == 2


def test_early_stopping_restores_the_best_weights():
    model = Scripted([5.0, 4.0, 1.0, 2.0, 3.0, 4.0, 0.5])
    x = np.zeros((3, 1))
    result = fit(model, SGD(1.0), (x, x), (x, x), epochs=7, batch_size=3, patience=3, log=lambda s: None)
    assert result.stopped_early and result.epochs_run == 6 and result.best_epoch == 3
    assert model.params.flat[0] == 3.0  # the weights after epoch 3 (one step per epoch)


def test_divergence_guard_names_the_epoch():
    model = Scripted([1.0], train_loss=float("nan"))
    with pytest.raises(Diverged, match="diverged at epoch 1"):
        fit(model, SGD(1.0), (np.zeros((2, 1)), None), epochs=3, batch_size=2, log=lambda s: None)


def test_clip_by_norm_scales_only_large_gradients():
    g = np.array([3.0, 4.0])
    assert clip_by_norm(g, 10.0) == 5.0 and list(g) == [3.0, 4.0]
    assert clip_by_norm(g, 1.0) == 5.0
    np.testing.assert_allclose(g, [0.6, 0.8])
