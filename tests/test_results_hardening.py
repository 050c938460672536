"""Issue 20: the aggregates and comparisons trust nothing a run folder says about itself.

A damaged, missing, mislabelled or implausible value in a run's files stops the aggregate or
summary job with one line naming the file and the key; seeds that give identical results are
not called a real difference; intervals stay inside a metric's range; a params.npz is checked
from its headers before it is read; a finite loss that runs away is 'diverged'.
"""
import json
import math
import zipfile

import numpy as np
import pytest

from nnlab import models, replicates
from nnlab.errors import DataError, Diverged
from nnlab.io import save_npz, write_json
from nnlab.tasks import TASKS

from test_hardening import assert_one_line as one_line
from test_replicates import record, runs_and_scores


def write_runs(root, runs, scores=None):
    """The recurrent run folders of `runs` ({variant: [records]}) under root; returns
    (metrics paths, scores paths of seed 0)."""
    metrics, score_paths = [], []
    for variant, records in runs.items():
        for r in records:
            folder = root / "recurrent" / variant / f"seed{r['hyperparameters']['seed']}"
            write_json(folder / "metrics.json", r)
            (folder / "history.csv").write_text("epoch,val_loss\n1,1.0\n2,0.5\n")
            metrics.append(folder / "metrics.json")
            if scores is not None and r["hyperparameters"]["seed"] == 0:
                save_npz(folder / "scores.npz", **scores[variant])
                score_paths.append(folder / "scores.npz")
    return metrics, score_paths


def write_aggregates(root, runs, scores):
    """The run folders of `runs` and each variant's aggregate; (metrics, first-seed scores,
    aggregate paths)."""
    metrics, score_paths = write_runs(root, runs, scores)
    aggregates = []
    for variant in runs:
        folder = root / "recurrent" / variant
        mine = [p for p in metrics if p.parent.parent == folder]
        replicates.write_aggregate(mine, [p.parent / "history.csv" for p in mine], folder / "aggregate.json",
                                   folder / "history_mean.csv")
        aggregates.append(folder / "aggregate.json")
    return metrics, score_paths, aggregates


def aggregate_of(metrics_paths, tmp_path):
    return replicates.write_aggregate(metrics_paths, [p.parent / "history.csv" for p in metrics_paths],
                                      tmp_path / "aggregate.json", tmp_path / "history_mean.csv")


@pytest.mark.parametrize("damage, found", [
    ('"test_accuracy": NaN', "nan"),
    ('"test_accuracy": "0.95"', "'0.95'"),
    (None, "no such key"),
])
def test_a_damaged_metric_stops_the_aggregate_naming_file_and_key(tmp_path, damage, found):
    runs, _ = runs_and_scores(3)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"]})
    text = paths[1].read_text()
    if damage is None:
        record_ = json.loads(text)
        del record_["test_accuracy"]
        paths[1].write_text(json.dumps(record_))
    else:
        paths[1].write_text(text.replace(f'"test_accuracy": {runs["gru-full"][1]["test_accuracy"]}', damage))
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[1]), "'test_accuracy'", found, "delete")
    assert not (tmp_path / "aggregate.json").exists()


def test_a_truncated_metrics_json_is_one_line_with_what_to_do(tmp_path):
    runs, _ = runs_and_scores(3)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"]})
    paths[2].write_text(paths[2].read_text()[:40])
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[2]), "JSONDecodeError", f"delete {paths[2].parent} and rerun")


@pytest.mark.parametrize("key, value, expected", [
    ("hyperparameters", {"cell": "gru", "seed": 0, "mlp": [4]}, "'hyperparameters.seed': expected 1"),
    ("variant", "lstm-full", "'variant': expected 'gru-full'"),
    ("task", "language_model", "'task': expected 'recurrent'"),
    ("test_accuracy", 17, "'test_accuracy': expected a value in [0, 1], found 17"),
    ("test_cross_entropy", -0.5, "'test_cross_entropy': expected a value in >= 0, found -0.5"),
])
def test_a_run_that_says_something_else_than_its_folder_or_its_range_is_refused(tmp_path, key, value, expected):
    runs, _ = runs_and_scores(3)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"]})
    damaged = dict(json.loads(paths[1].read_text()), **{key: value})
    paths[1].write_text(json.dumps(damaged))
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[1]), expected)


def test_seed_zero_copied_over_the_other_seeds_is_caught(tmp_path):
    runs, _ = runs_and_scores(3)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"]})
    for p in paths[1:]:
        p.write_text(paths[0].read_text())
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[1]), "'hyperparameters.seed': expected 1", "found 0", "copied")


@pytest.mark.parametrize("damage", ["truncated", "no correct", "other length"])
def test_damaged_first_seed_scores_stop_the_summary_naming_the_file(tmp_path, damage):
    runs, scores = runs_and_scores(3)
    metrics, score_paths, aggregates = write_aggregates(tmp_path, runs, scores)
    bad = score_paths[1]
    if damage == "truncated":
        bad.write_bytes(bad.read_bytes()[:100])
    elif damage == "no correct":
        save_npz(bad, loss=scores["lstm-full"]["loss"])
    else:
        save_npz(bad, loss=scores["lstm-full"]["loss"][:-5], correct=scores["lstm-full"]["correct"][:-5])
    with pytest.raises(DataError) as excinfo:
        replicates.write_summary("recurrent", aggregates, metrics, score_paths, tmp_path / "s.csv", tmp_path / "c.csv")
    one_line(excinfo, str(bad), "rerun")
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "c.csv").exists()


def test_identical_seeds_are_not_called_a_real_difference():
    runs = {v: [record(v, s, acc, 0.3) for s in range(3)] for v, acc in (("gru-full", 0.95), ("rnn-full", 0.867))}
    table = replicates.comparisons("recurrent", runs, {})
    row = table[table["question"] == "gru-full vs rnn-full: test_accuracy"].iloc[0]
    assert math.isnan(row["p"])
    assert "real difference" not in row["answer"] and "no information about seed-to-seed noise" in row["answer"]
    assert row["answer"].startswith("Every one of the 3 seeds gave the same difference of test accuracy (0.083")


def test_t_intervals_are_clipped_to_the_metric_range_and_say_so():
    agg = replicates.aggregate([record("gru-full", 0, 0.99, 0.3), record("gru-full", 1, 0.5, 0.31)])
    accuracy = agg["metrics"]["test_accuracy"]
    assert accuracy["low"] == 0.0 and accuracy["high"] == 1.0
    assert accuracy["interval"] == "t, 2 seeds, clipped to the metric's range"
    assert agg["metrics"]["test_cross_entropy"]["interval"] == "t, 2 seeds"      # inside its range: as it is
    assert agg["metrics"]["test_cross_entropy"]["low"] < 0.3


def test_a_huge_array_in_params_npz_is_refused_from_its_header(tmp_path):
    from nnlab.models.autoencoder import SparseAutoencoder

    path = tmp_path / "params.npz"
    models.save(path, SparseAutoencoder(16, 4, 1e-4, 0.1, 0.05, seed=0))
    assert isinstance(models.load(path), SparseAutoencoder)
    with zipfile.ZipFile(path, "a") as archive:          # a 1 GiB array of zeros, a few MB on disk
        with archive.open("huge.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (2**27,)})
            f.write(b"\0" * (2**20))
    with pytest.raises(DataError) as excinfo:
        models.load(path)
    one_line(excinfo, str(path), "'huge'", "1,024 MiB", "256 MiB limit")


def test_a_finite_runaway_loss_is_diverged_not_a_traceback():
    from nnlab.models.language_model import LanguageModel
    from nnlab.nn.optim import make_optimizer
    from nnlab.train import fit

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 50, (400, 3)), rng.integers(0, 50, 400)
    model = LanguageModel(50, 8, 16, seed=0)
    with pytest.raises(Diverged) as excinfo:
        fit(model, make_optimizer("sgd", 1e3, 0.9), (x, y), epochs=5, batch_size=20, log=lambda s: None)
    one_line(excinfo, "diverged at epoch", "times its value at the start")


def test_perplexity_of_any_finite_loss_is_a_number():
    from nnlab.experiments.language_model import perplexity

    assert perplexity(2.0) == pytest.approx(math.e ** 2) and perplexity(733.0) == math.inf


def test_registry_metrics_are_written_by_every_task(tiny_run):
    """Every metric the registry lists is in every run's metrics.json (read_run would refuse it)."""
    for name in TASKS:
        for path in sorted((tiny_run / name).glob("*/seed*/metrics.json")):
            replicates.read_run(path)


def test_a_deleted_file_of_a_run_is_made_again(tiny_run, tmp_path):
    """Every file of the results contract is requested: deleting one reruns its run."""
    import shutil

    from conftest import TINY_SEEDS, snakemake

    workdir = tmp_path / "copy"
    shutil.copytree(tiny_run.parent, workdir, symlinks=True)
    variant = sorted(p.name for p in (workdir / "results" / "recurrent").iterdir() if p.is_dir())[0]
    missing = f"results/recurrent/{variant}/seed{TINY_SEEDS[1]}/scores.npz"
    (workdir / missing).unlink()
    proc = snakemake(workdir, "-n", "--cores", "1", "--config", f"replicates={len(TINY_SEEDS)}")
    assert f"Missing output files: {missing}" in proc.stdout
    assert "recurrent_train        1" in proc.stdout


def test_a_tasks_summary_is_written_while_other_tasks_still_train(tiny_run):
    """Aggregates and summaries run as soon as their inputs exist, ahead of waiting training jobs:
    the recurrent summary (its runs go first) exists before the last language-model run ends."""
    summary = (tiny_run / "summary" / "recurrent.csv").stat().st_mtime
    last_lm = max(p.stat().st_mtime for p in (tiny_run / "language_model").glob("*/seed*/metrics.json"))
    assert summary < last_lm


@pytest.mark.parametrize("key, value, expected", [
    ("parameters", "NaN", "'parameters': expected a finite number of size at most 2^53, found nan"),
    ("parameters", "1e20", "'parameters': expected a finite number of size at most 2^53, found 1e+20"),
    ("steps", '"24"', "'steps': expected a finite number of size at most 2^53, found '24'"),
    ("test_accuracy_low", "0.99", "expected test_accuracy_low <= test_accuracy <= test_accuracy_high, found 0.99"),
    ("test_accuracy_high", '"0.95"',
     "'test_accuracy_high': expected a finite number of size at most 2^53, found '0.95'"),
])
def test_every_number_the_aggregate_reads_is_checked(tmp_path, key, value, expected):
    """Not only the registry's metrics: the run's size and step count, and its own interval of a metric."""
    runs, _ = runs_and_scores(3)
    for r in runs["gru-full"]:
        r.update(parameters=1000, steps=24, test_accuracy_low=r["test_accuracy"] - 0.02,
                 test_accuracy_high=r["test_accuracy"] + 0.02)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"][:1]})
    aggregate_of(paths, tmp_path)                       # as written: accepted
    damaged = json.loads(paths[0].read_text())
    paths[0].write_text(json.dumps(damaged).replace(f'"{key}": {json.dumps(damaged[key])}', f'"{key}": {value}'))
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path / "again")
    one_line(excinfo, str(paths[0]), expected, "delete")


def test_an_interval_with_one_end_is_refused(tmp_path):
    """A null end passes (a split too small for an interval) only with its other end beside it."""
    runs, _ = runs_and_scores(3)
    run = dict(runs["gru-full"][0], test_accuracy_low=None)           # and no test_accuracy_high
    paths, _ = write_runs(tmp_path, {"gru-full": [run]})
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[0]), "expected both ends of test_accuracy's interval (or neither), found only "
             "'test_accuracy_low'", "delete")


@pytest.mark.parametrize("history, found", [
    ("a,b\n1,2\n", "no 'epoch' column"),
    ("epoch,val_loss\n1,0.5\n2,lots\n", "text in column 'val_loss'"),
    ("epoch,val_loss\n1.5,0.5\n", "not a whole number"),
    ("epoch,val_loss\n" + "".join(f"{e},0.5\n" for e in range(1, 12)), "more than 10 epochs"),
])
def test_a_history_that_is_not_a_table_of_numbers_by_epoch_stops_the_aggregate(tmp_path, history, found,
                                                                             monkeypatch):
    monkeypatch.setattr(replicates, "MAX_EPOCHS", 10)          # longer than any valid config's run
    runs, _ = runs_and_scores(3)
    paths, _ = write_runs(tmp_path, {"gru-full": runs["gru-full"]})
    (paths[1].parent / "history.csv").write_text(history)
    with pytest.raises(DataError) as excinfo:
        aggregate_of(paths, tmp_path)
    one_line(excinfo, str(paths[1].parent / "history.csv"), found, "delete")
    assert not (tmp_path / "history_mean.csv").exists()


@pytest.mark.parametrize("damage, expected", [
    ("truncated", "expected a variant's aggregate"),
    ("a list", "expected a variant's aggregate"),
    ('"mean": "high"', "metric 'test_accuracy', key 'mean': expected a finite number of size at most 2^53, or null, "
                       "found 'high'"),
    ('"sd": 1e300', "metric 'test_accuracy', key 'sd': expected a finite number of size at most 2^53, or null, found "
                    "1e+300"),
    ("no mean", "metric 'test_accuracy', key 'mean': expected a finite number of size at most 2^53, or null, found "
                "no such key"),
    ('"interval": 3', "metric 'test_accuracy', key 'interval': expected a text, found 3"),
    ("not an object", "metric 'test_accuracy': expected an object, found [1]"),
])
def test_a_damaged_aggregate_stops_the_summary_naming_it(tmp_path, damage, expected):
    runs, scores = runs_and_scores(3)
    metrics, score_paths, aggregates = write_aggregates(tmp_path, runs, scores)
    bad = aggregates[1]
    record = json.loads(bad.read_text())
    if damage.startswith('"'):
        key, value = damage.split(": ")
        record["metrics"]["test_accuracy"][key.strip('"')] = json.loads(value)
    elif damage == "not an object":
        record["metrics"]["test_accuracy"] = [1]
    elif damage == "no mean":
        del record["metrics"]["test_accuracy"]["mean"]
    bad.write_text(bad.read_text()[:30] if damage == "truncated" else "[1, 2]" if damage == "a list"
                   else json.dumps(record))
    with pytest.raises(DataError) as excinfo:
        replicates.write_summary("recurrent", aggregates, metrics, score_paths, tmp_path / "s.csv", tmp_path / "c.csv")
    one_line(excinfo, str(bad), expected, "delete it and rerun")
    assert not (tmp_path / "s.csv").exists()


def test_differences_equal_but_for_rounding_are_not_tested():
    from nnlab import stats

    result = stats.paired_t([0.3, 0.1 + 0.2, 0.3], [0.0, 0.0, 0.0])   # 0.1 + 0.2 is 0.30000000000000004
    assert math.isnan(result["p"]) and result["difference"] == pytest.approx(0.3)
    assert stats.paired_t([0.3, 0.31, 0.29], [0.0, 0.0, 0.0])["p"] < 0.01       # real spread: tested


def test_a_metric_beyond_float_range_after_training_is_diverged_and_nothing_written(tmp_path):
    from types import SimpleNamespace

    from nnlab.results import write_metrics

    fit = SimpleNamespace(epochs_run=3, best_epoch=3, stopped_early=False, seconds_per_epoch=0.1)
    with pytest.raises(Diverged) as excinfo:
        write_metrics(tmp_path / "metrics.json", "language_model", "d4-p8", {"seed": 0}, fit,
                      test_cross_entropy=733.0, test_perplexity=math.inf)
    one_line(excinfo, "diverged", "test_perplexity is inf", "learning rate")
    assert not (tmp_path / "metrics.json").exists()
