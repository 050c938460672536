"""Aggregates over seeds, the summary table and the comparisons of every pair of variants."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from nnlab import replicates, stats, wording
from nnlab.tasks import TASKS
from nnlab.io import save_npz, write_json


def record(variant, seed, accuracy, ce, **extra):
    """A recurrent run's metrics.json record with every metric the task reports."""
    return {"task": "recurrent", "variant": variant, "hyperparameters": {"cell": variant[:3], "seed": seed, "mlp": [4]},
            "test_accuracy": accuracy, "test_cross_entropy": ce, "epochs_run": 10, "stopped_early": False,
            "val_accuracy": 0.9, "val_cross_entropy": 0.3, "train_accuracy": 0.95, "train_cross_entropy": 0.2,
            "best_epoch": 8, "seconds_per_epoch": 1.5, "test_precision": {"a": 1.0}, "provenance": {}, **extra}


def test_aggregate_over_seeds_is_a_t_interval():
    agg = replicates.aggregate([record("gru-full", s, acc, 0.3) for s, acc in ((2, 0.92), (0, 0.90), (1, 0.94))])
    assert agg["seeds"] == [0, 1, 2] and "seed" not in agg["hyperparameters"]
    m = agg["metrics"]["test_accuracy"]
    half = 4.302652730 * 0.02 / math.sqrt(3)            # t(0.975, 2) sd / sqrt(3)
    assert (m["mean"], m["sd"], m["n"]) == pytest.approx((0.92, 0.02, 3))
    assert (m["low"], m["high"]) == pytest.approx((0.92 - half, 0.92 + half)) and m["interval"] == "t, 3 seeds"
    assert "stopped_early" not in agg["metrics"] and "test_precision" not in agg["metrics"]


def test_estimates_read_back_as_aggregated_a_null_interval_named_none(tmp_path):
    """read_estimates (the app, python -m nnlab.status): an aggregate.json's metrics as aggregate() gave them."""
    agg = replicates.aggregate([record("gru-full", s, acc, 0.3) for s, acc in ((0, 0.90), (1, 0.94))])
    path = tmp_path / "aggregate.json"
    write_json(path, agg)
    assert replicates.read_estimates(path)["test_accuracy"] == pytest.approx(agg["metrics"]["test_accuracy"])
    agg["metrics"]["test_accuracy"]["interval"] = None
    write_json(path, agg)
    assert replicates.read_estimates(path)["test_accuracy"]["interval"] == "none"


def test_one_seed_keeps_the_runs_test_set_interval():
    agg = replicates.aggregate([record("gru-full", 0, 0.9, 0.3, test_accuracy_low=0.87, test_accuracy_high=0.925)])
    m = agg["metrics"]["test_accuracy"]
    assert (m["mean"], m["low"], m["high"], m["interval"]) == (0.9, 0.87, 0.925, "test set")
    assert math.isnan(agg["metrics"]["test_cross_entropy"]["low"])
    assert "test_accuracy_low" not in agg["metrics"]
    agg = replicates.aggregate([record("gru-full", 0, 0.9, 0.3, val_accuracy=0.8, val_accuracy_low=0.7,
                                       val_accuracy_high=0.88)])
    assert agg["metrics"]["val_accuracy"]["interval"] == "validation set"
    assert [replicates.evaluation_set(m) for m in ("test_accuracy", "train_cross_entropy", "reconstruction_mse")] \
        == ["test set", "training set", "held-out set"]


def test_mean_history_bands():
    frames = [pd.DataFrame({"epoch": [1, 2, 3], "val_loss": [1.0, 0.5, 0.4]}),
              pd.DataFrame({"epoch": [1, 2], "val_loss": [2.0, 1.5]})]
    mean = replicates.mean_history(frames)
    assert mean["n"].tolist() == [2, 2, 1] and mean["val_loss_mean"].tolist() == [1.5, 1.0, 0.4]
    assert mean["val_loss_low"][0] < 1.5 < mean["val_loss_high"][0] and math.isnan(mean["val_loss_low"][2])


NOISE = [0.001, -0.001, 0.002, -0.002, 0.0]       # seed-to-seed noise with mean 0 over five seeds


def runs_and_scores(n_seeds):
    rng = np.random.default_rng(0)
    runs = {"gru-full": [record("gru-full", s, 0.95 + 0.002 * s, 0.20) for s in range(n_seeds)],
            "lstm-full": [record("lstm-full", s, 0.90 + 0.003 * s, 0.30 + NOISE[s]) for s in range(n_seeds)],
            "rnn-full": [record("rnn-full", s, 0.951 - 0.01 * (s % 2), 0.25) for s in range(n_seeds)]}
    truth = rng.random(600) < 0.9
    scores = {v: {"correct": truth ^ (rng.random(600) < p), "loss": rng.gamma(2, 0.1 + p, 600)}
              for v, p in (("gru-full", 0.02), ("lstm-full", 0.08), ("rnn-full", 0.03))}
    return runs, scores


def test_comparisons_with_five_seeds_answer_in_words_and_numbers():
    runs, scores = runs_and_scores(5)
    table = replicates.comparisons("recurrent", runs, scores)
    assert len(table) == 2 * 2 * 3                      # two metrics x three pairs x both orders
    row = table[table["question"] == "gru-full vs lstm-full: test_accuracy"].iloc[0]
    assert row["seeds"] == 5 and row["difference"] == pytest.approx(0.05 - 0.001 * 2)
    assert row["low"] < row["difference"] < row["high"] and row["p"] < 0.001 and row["p_holm"] >= row["p"]
    assert row["test_set_method"] == "McNemar exact" and row["test_set_difference"] > 0
    assert row["answer"].startswith("gru-full is better than lstm-full by 4.8 points of test accuracy (95% CI")
    assert "5 seeds): a real difference (Holm-adjusted p < 0.001)" in row["answer"]
    accuracy = TASKS["recurrent"].metric("test_accuracy")
    assert wording.difference_span(accuracy, -0.0004, 0.02) == "95% CI 0.0 to 2.0"     # no "-0.0"
    ce = table[table["question"] == "gru-full vs lstm-full: test_cross_entropy"].iloc[0]
    assert ce["difference"] == pytest.approx(-0.1) and ce["test_set_method"] == "paired per-sample difference"
    assert ce["answer"].startswith("gru-full is better than lstm-full by 0.1 of test cross-entropy (95% CI ")
    size_low, size_high = (float(x) for x in ce["answer"].split("95% CI ")[1].split(",")[0].split(" to "))
    assert 0 < size_low <= 0.1 <= size_high                 # the interval of the size said, not of a - b
    assert (size_low, size_high) == pytest.approx((-ce["high"], -ce["low"]), rel=1e-3)
    assert "test_cross_entropy" not in ce["answer"] and "test_accuracy" not in row["answer"]
    noisy = table[table["question"] == "gru-full vs rnn-full: test_accuracy"].iloc[0]
    assert "not distinguishable" in noisy["answer"].split(";")[0]


def test_comparisons_hold_both_orders_mirrored():
    """b-vs-a is a-vs-b with the difference and its interval negated, the same p-values and the
    answer told from b's side; Holm counts each pair once."""
    table = replicates.comparisons("recurrent", *runs_and_scores(5))
    row = table[table["question"] == "gru-full vs lstm-full: test_accuracy"].iloc[0]
    back = table[table["question"] == "lstm-full vs gru-full: test_accuracy"].iloc[0]
    assert (back["a"], back["b"]) == ("lstm-full", "gru-full")
    assert back["difference"] == pytest.approx(-row["difference"])
    assert (back["low"], back["high"]) == pytest.approx((-row["high"], -row["low"]))
    assert back["test_set_difference"] == pytest.approx(-row["test_set_difference"])
    assert (back["test_set_low"], back["test_set_high"]) == pytest.approx((-row["test_set_high"], -row["test_set_low"]))
    for column in ("p", "p_holm", "test_set_p", "test_set_p_holm", "real", "test_set_real", "seeds"):
        assert back[column] == row[column]
    assert back["answer"].startswith("lstm-full is worse than gru-full by 4.8 points of test accuracy")
    one_order = table[table["a"] < table["b"]]
    assert list(one_order["p_holm"]) == pytest.approx(list(stats.holm(one_order["p"])), nan_ok=True)
    assert list(table["real"]) == list(table["p_holm"] < stats.ALPHA)          # decided once, read by all
    assert list(table["test_set_real"]) == list(table["test_set_p_holm"] < stats.ALPHA)


def test_comparisons_with_one_seed_say_there_are_too_few_seeds():
    runs, scores = runs_and_scores(1)
    table = replicates.comparisons("recurrent", runs, scores)
    row = table.iloc[0]
    assert row["seeds"] == 1 and math.isnan(row["p"])
    assert row["answer"].startswith("Too few seeds to say anything about training randomness (1 seed;")
    assert "on the test set of the first seed" in row["answer"]


def test_write_summary_from_the_seed_folders(tmp_path):
    runs, scores = runs_and_scores(3)
    aggregates = []
    for variant, records in runs.items():
        for r in records:
            folder = tmp_path / "recurrent" / variant / f"seed{r['hyperparameters']['seed']}"
            write_json(folder / "metrics.json", r)
            pd.DataFrame({"epoch": [1, 2], "val_loss": [1.0, 0.5]}).to_csv(folder / "history.csv", index=False)
            save_npz(folder / "scores.npz", **scores[variant])
        metrics = [tmp_path / "recurrent" / variant / f"seed{s}" / "metrics.json" for s in range(3)]
        replicates.write_aggregate(metrics, [m.parent / "history.csv" for m in metrics], tmp_path / "recurrent" / variant / "aggregate.json",
                                   tmp_path / "recurrent" / variant / "history_mean.csv")
        aggregates.append(tmp_path / "recurrent" / variant / "aggregate.json")
    folders = [tmp_path / "recurrent" / v for v in runs]
    replicates.write_summary("recurrent", aggregates, [f / f"seed{s}" / "metrics.json" for f in folders for s in range(3)],
                             [f / "seed0" / "scores.npz" for f in folders], tmp_path / "summary.csv",
                             tmp_path / "comparisons.csv")
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary["variant"].tolist() == ["gru-full", "lstm-full", "rnn-full"] and (summary["seeds"] == 3).all()
    for column in ("test_accuracy", "test_accuracy_sd", "test_accuracy_low", "test_accuracy_high", "cell"):
        assert column in summary
    assert json.loads((tmp_path / "recurrent/gru-full/aggregate.json").read_text())["metrics"]["test_accuracy"]["n"] == 3
    comparisons = pd.read_csv(tmp_path / "comparisons.csv")
    assert len(comparisons) == 12 and comparisons["answer"].str.len().min() > 40


def test_comparison_intervals_are_clipped_to_a_difference_s_range_and_the_answer_says_so():
    """Two seeds far apart give a t interval wider than an accuracy difference can be (-100 to 100 points):
    it is clipped, the `clipped` column says so, and so does the answer; losses are never clipped."""
    runs = {"gru-full": [record("gru-full", 0, 0.99, 0.2), record("gru-full", 1, 0.30, 0.2),
                         record("gru-full", 2, 0.95, 0.2)],
            "rnn-full": [record("rnn-full", 0, 0.10, 0.5), record("rnn-full", 1, 0.60, 0.4),
                         record("rnn-full", 2, 0.20, 0.9)]}
    table = replicates.comparisons("recurrent", runs, {})
    acc = table[table["question"] == "gru-full vs rnn-full: test_accuracy"].iloc[0]
    assert acc["low"] >= -1.0 and acc["high"] == 1.0 and bool(acc["clipped"])
    assert "clipped to the metric's range" in acc["answer"] and "100.0" in acc["answer"]
    ce = table[table["question"] == "gru-full vs rnn-full: test_cross_entropy"].iloc[0]
    assert not bool(ce["clipped"]) and "clipped" not in ce["answer"]


def test_the_autoencoder_s_evaluation_set_is_named_the_held_out_patches():
    runs = {v: [dict(record(v, s, 0.9, 0.3), task="autoencoder", reconstruction_mse=0.01 + 0.001 * s + d)
                for s in range(1)] for v, d in (("sweep-a", 0.0), ("sweep-b", 0.002))}
    rng = np.random.default_rng(1)
    scores = {v: {"loss": rng.gamma(2, 0.01, 100)} for v in runs}
    row = replicates.comparisons("autoencoder", runs, scores).iloc[0]
    assert "on the held-out patches of the first seed" in row["answer"] and "test set" not in row["answer"]
    assert "held-out MSE" in row["answer"]


def test_mean_history_bands_stay_in_each_column_s_range_and_say_over_how_many_seeds():
    """Seeds stopping at epochs 3, 3 and 1 (early stopping), values far apart: n counts the seeds at each
    epoch, every band lies in its column's range (accuracy [0, 1]; losses and norms >= 0), and
    every_seed keeps only the epochs all three reached."""
    frames = [pd.DataFrame({"epoch": [1, 2, 3], "val_accuracy": [0.99, 0.98, 0.97], "train_loss": [0.01, 0.02, 0.0],
                            "grad_norm": [0.1, 0.1, 0.1]}),
              pd.DataFrame({"epoch": [1, 2, 3], "val_accuracy": [0.2, 0.1, 0.3], "train_loss": [3.0, 2.0, 1.0],
                            "grad_norm": [9.0, 8.0, 7.0]}),
              pd.DataFrame({"epoch": [1], "val_accuracy": [0.5], "train_loss": [1.0], "grad_norm": [1.0]})]
    mean = replicates.mean_history(frames)
    assert mean["n"].tolist() == [3, 2, 2]
    assert (mean["val_accuracy_low"] >= 0).all() and (mean["val_accuracy_high"] <= 1).all()
    assert mean["val_accuracy_high"].max() == 1.0 and mean["val_accuracy_low"].min() == 0.0     # clipped, not dropped
    for column in ("train_loss", "grad_norm"):
        assert (mean[f"{column}_low"] >= 0).all() and mean[f"{column}_low"].min() == 0.0
    assert mean["train_loss_high"][1] > 2.0                                  # unbounded above: not clipped
    assert replicates.every_seed(mean)["epoch"].tolist() == [1]
    from nnlab.tasks import history_bounds
    assert [history_bounds(c) for c in ("val_accuracy", "train_loss", "grad_norm", "seconds", "lr")] == \
        [(0.0, 1.0), (0.0, None), (0.0, None), (0.0, None), (None, None)]
