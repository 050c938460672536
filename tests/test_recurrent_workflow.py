"""Experiment 3 end to end: the recurrent rules on the tiny config (shared tiny_run fixture)."""
import json

import numpy as np
import pandas as pd

from conftest import TINY_SEEDS, run_folder, snakemake

VARIANTS = ["rnn-full", "rnn-tbptt5", "lstm-full", "lstm-tbptt5", "gru-full", "gru-tbptt5"]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def test_summary_has_one_row_per_variant(tiny_run):
    summary = pd.read_csv(tiny_run / "summary" / "recurrent.csv")
    assert summary["variant"].tolist() == VARIANTS
    for column in ("cell", "truncation", "best_epoch", "val_cross_entropy", "val_accuracy", "train_accuracy",
                   "test_accuracy", "test_accuracy_low", "test_accuracy_high", "seconds_per_epoch"):
        assert summary[column].notna().any(), column


def test_results_contract_per_variant(tiny_run):
    activity = np.load(tiny_run / "data" / "activity.npz", allow_pickle=False)
    classes = [str(c) for c in activity["classes"]]
    for variant, seed in ((v, s) for v in VARIANTS for s in TINY_SEEDS):
        folder = run_folder(tiny_run, "recurrent", variant, seed)
        metrics = json.loads((folder / "metrics.json").read_text())
        hp = metrics["hyperparameters"]
        assert metrics["task"] == "recurrent" and metrics["variant"] == variant
        assert hp["cell"] == variant.split("-")[0] and hp["seed"] == seed
        assert hp["truncation"] == (None if variant.endswith("full") else 5)
        for key in ("epochs_run", "seconds_per_epoch", "best_epoch", "val_cross_entropy", "val_accuracy",
                    "train_accuracy", "test_accuracy"):
            assert isinstance(metrics[key], (int, float)), key
        assert set(metrics["test_precision"]) == set(metrics["test_recall"]) == set(metrics["test_f1"]) == set(classes)
        assert metrics["provenance"]["data_sha256"]["data3.h5"]

        history = pd.read_csv(folder / "history.csv")
        assert list(history.columns) == ["epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy",
                                         "seconds", "grad_norm"]
        assert history["epoch"].tolist() == list(range(1, metrics["epochs_run"] + 1))
        assert history["grad_norm"].notna().all()
        best = history.loc[history["val_loss"].idxmin()]
        assert metrics["best_epoch"] == best["epoch"]

        for split, n in (("train", len(activity["y_train"])), ("test", len(activity["y_test"]))):
            confusion = pd.read_csv(folder / f"confusion_{split}.csv", index_col="true")
            assert list(confusion.index) == list(confusion.columns) == classes
            assert confusion.to_numpy().sum() == n
            assert metrics[f"{split}_accuracy"] == np.trace(confusion.to_numpy()) / n
            assert (folder / f"confusion_{split}.png").read_bytes()[:4] == b"\x89PNG"
        assert (folder / "curves.png").read_bytes()[:4] == b"\x89PNG"

        params = np.load(folder / "params.npz", allow_pickle=False)
        H = hp["hidden"]
        assert params["Wh"].shape == (H, GATES[hp["cell"]] * H)
        assert params["Wx"].shape == (activity["x_train"].shape[2], GATES[hp["cell"]] * H)


def test_recurrent_jobs_are_cached(tiny_run):
    proc = snakemake(tiny_run.parent, "-n", "--quiet", "rules", "--config", f"replicates={len(TINY_SEEDS)}",
                     "--", "results/summary/recurrent.csv")
    assert "Nothing to be done" in proc.stdout + proc.stderr
