"""The workflow as a whole: the DAG, the tiny run's results contract, replicates (issue 14),
config errors, the configuration a run uses."""
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, TINY, TINY_SEEDS, run_folder, snakemake
from nnlab.tasks import TASKS


def test_dry_run_of_default_config_plans_every_stage(tmp_path):
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", "--configfile", str(ROOT / "config.yaml"))
    for rule in ("demo_patches", "demo_trigrams", "demo_activity", "prepare_patches", "prepare_trigrams",
                 "prepare_activity", "autoencoder_train", "autoencoder_select", "summary", "effective_config"):
        assert rule in proc.stdout


def test_a_mistyped_variant_path_has_no_rule_rather_than_a_failing_input_function(tmp_path):
    """Variant names are matched literally: '.' in sweep-beta0.5-rho0.05 is no regex wildcard."""
    proc = snakemake(tmp_path, "-n", "results/autoencoder/sweep-beta0X5-rho0.05/seed0/metrics.json", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "MissingRuleException" in text and "No rule to produce" in text, text[-2000:]
    assert "InputFunctionException" not in text


@pytest.mark.parametrize("task", list(TASKS))
def test_one_summary_rule_serves_every_task_and_no_other_name(tmp_path, task):
    for target in (f"results/summary/{task}.csv", f"results/summary/{task}_comparisons.csv"):
        proc = snakemake(tmp_path, "-n", "--quiet", "rules", "--", target)
        assert "summary" in proc.stdout and "aggregate" in proc.stdout
    proc = snakemake(tmp_path, "-n", "results/summary/other.csv", check=False)
    assert proc.returncode != 0 and "No rule to produce" in proc.stdout + proc.stderr


def test_tiny_run_writes_data_outputs(tiny_run):
    patches = np.load(tiny_run / "data" / "patches.npz", allow_pickle=False)["x"]
    assert patches.shape[1] == 256 and patches.min() >= 0.1 - 1e-6 and patches.max() <= 0.9 + 1e-6
    trigrams = np.load(tiny_run / "data" / "trigrams.npz", allow_pickle=False)
    assert trigrams["x_train"].min() == 0 and trigrams["x_train"].max() < len(trigrams["words"])
    activity = np.load(tiny_run / "data" / "activity.npz", allow_pickle=False)
    assert list(activity["classes"]) == ["downstairs", "jogging", "sitting", "standing", "upstairs", "walking"]
    for name in ("patches_rgb.png", "patches_normalized.png"):
        assert (tiny_run / "data" / name).read_bytes()[:4] == b"\x89PNG"


def test_tiny_run_results_contract_for_autoencoder(tiny_run):
    summary = pd.read_csv(tiny_run / "summary" / "autoencoder.csv")
    assert len(summary) == 4 and set(summary["seeds"]) == {len(TINY_SEEDS)}
    for variant in summary["variant"]:
        for seed in TINY_SEEDS:
            folder = run_folder(tiny_run, "autoencoder", variant, seed)
            metrics = json.loads((folder / "metrics.json").read_text())
            for key in ("task", "variant", "hyperparameters", "epochs_run", "seconds_per_epoch", "loss",
                        "reconstruction_mse", "reconstruction", "weight_decay", "sparsity", "mean_activation"):
                assert key in metrics, key
            assert metrics["hyperparameters"]["seed"] == seed
            assert metrics["provenance"]["data_sha256"]["data1.h5"]
            history = pd.read_csv(folder / "history.csv")
            assert list(history.columns[:6]) == ["epoch", "train_loss", "val_loss", "train_accuracy",
                                                 "val_accuracy", "seconds"]
            assert len(history) == metrics["epochs_run"]
            params = np.load(folder / "params.npz", allow_pickle=False)
            assert params["W1"].shape == (256, metrics["hyperparameters"]["hidden"])
            assert (folder / "features.png").stat().st_size > 0
    selection = json.loads((tiny_run / "autoencoder" / "selection.json").read_text())
    chosen = selection["chosen"]
    assert {c["seeds"] for c in selection["candidates"]} == {len(TINY_SEEDS)}  # the mean over seeds
    grid = summary[summary["part"] == "grid"]
    assert set(grid["beta"]) == {chosen["beta"]} and set(grid["rho"]) == {chosen["rho"]}


# ------------------------------------------------------------------ replicates (issue 14)




def variants_of(results, task):
    return pd.read_csv(results / "summary" / f"{task}.csv")["variant"].tolist()


def test_every_variant_has_one_run_per_seed_with_its_own_params(tiny_run):
    for task in TASKS:
        for variant in variants_of(tiny_run, task):
            folder = tiny_run / task / variant
            assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == [f"seed{s}" for s in TINY_SEEDS]
            runs = [run_folder(tiny_run, task, variant, s) for s in TINY_SEEDS]
            for seed, run in zip(TINY_SEEDS, runs):
                assert json.loads((run / "metrics.json").read_text())["hyperparameters"]["seed"] == seed
                for name in ("params.npz", "history.csv", "scores.npz"):
                    assert (run / name).is_file(), run / name
                assert (tiny_run / "logs" / task / variant / f"seed{seed}.log").is_file()
                assert (tiny_run / "benchmarks" / task / variant / f"seed{seed}.tsv").is_file()
            with np.load(runs[0] / "params.npz") as a, np.load(runs[1] / "params.npz") as b:
                weights = [k for k in a.files if a[k].dtype.kind == "f" and a[k].size > 1]
                assert weights and any(not np.array_equal(a[k], b[k]) for k in weights), (task, variant)


def test_aggregate_beside_the_seed_folders_has_n_seeds(tiny_run):
    for task in TASKS:
        for variant in variants_of(tiny_run, task):
            aggregate = json.loads((tiny_run / task / variant / "aggregate.json").read_text())
            assert aggregate["task"] == task and aggregate["variant"] == variant
            assert aggregate["seeds"] == TINY_SEEDS
            key = {"autoencoder": "reconstruction_mse", "language_model": "test_cross_entropy",
                   "recurrent": "test_accuracy"}[task]
            entry = aggregate["metrics"][key]
            values = [json.loads((run_folder(tiny_run, task, variant, s) / "metrics.json").read_text())[key]
                      for s in TINY_SEEDS]
            assert entry["n"] == 2 and entry["mean"] == pytest.approx(np.mean(values))
            assert entry["low"] <= entry["mean"] <= entry["high"]
            history = pd.read_csv(tiny_run / task / variant / "history_mean.csv")
            assert {"epoch", "n", "train_loss_mean", "train_loss_low", "train_loss_high"} <= set(history.columns)


def test_summary_has_interval_columns_and_comparisons_both_orders_of_every_pair_and_metric(tiny_run):
    for task in TASKS:
        compared = [m.name for m in TASKS[task].compared]
        summary = pd.read_csv(tiny_run / "summary" / f"{task}.csv")
        for suffix in ("", "_sd", "_low", "_high", "_interval"):
            assert f"{compared[0]}{suffix}" in summary.columns, (task, compared[0] + suffix)
        assert set(summary["seeds"]) == {2}
        comparisons = pd.read_csv(tiny_run / "summary" / f"{task}_comparisons.csv")
        n = len(summary)
        assert len(comparisons) == n * (n - 1) * len(compared), task
        pairs = {m: set(zip(g["a"], g["b"])) for m, g in comparisons.groupby("metric")}
        assert set(pairs) == set(compared)
        for metric, found in pairs.items():
            assert len(found) == n * (n - 1) and all(a != b and (b, a) in found for a, b in found)
        assert (comparisons["seeds"] == 2).all()
        assert comparisons["answer"].str.len().gt(0).all()
        assert comparisons["question"].tolist() == [f"{a} vs {b}: {m}" for a, b, m in
                                                    zip(comparisons["a"], comparisons["b"], comparisons["metric"])]


def planned(proc):
    """(rule, wildcards) of every job a dry run plans."""
    jobs = []
    for block in re.split(r"\n(?=\s*(?:local)?(?:rule|checkpoint) \w+:)", proc.stdout):  # indented in a group
        head = re.match(r"\s*(?:local)?(?:rule|checkpoint) (\w+):", block)
        if head:
            wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            reason = re.search(r"^\s+reason: (.*)$", block, re.M)
            jobs.append((head.group(1), wildcards.group(1) if wildcards else "", reason.group(1) if reason else ""))
    return jobs


def test_a_third_seed_plans_only_its_own_runs_and_keeps_every_existing_one(tiny_run, tmp_path):
    """--config replicates=3 after a 2-seed run: the new seed's training jobs, the aggregates,
    the selection and the summaries, but no run of seeds 0 and 1 (each (variant, seed) is its
    own cached job). The autoencoder grid waits for the selection (a checkpoint): the dry run
    lists its existing runs as pending on it, and the real run keeps them, since the selection,
    now averaged over 3 seeds, is re-read before they are scheduled."""
    workdir = tmp_path / "tiny"
    shutil.copytree(tiny_run.parent, workdir, symlinks=True)
    jobs = planned(snakemake(workdir, "-n", "--config", "replicates=3"))
    trained = [(rule, w) for rule, w, _ in jobs if rule.endswith("_train")]
    new = [(rule, w) for rule, w in trained if w.endswith("seed=2")]
    expected = sum(len(variants_of(tiny_run, task)) for task in TASKS)
    assert len(new) == expected
    pending = [(rule, w, why) for rule, w, why in jobs if rule.endswith("_train") and not w.endswith("seed=2")]
    for rule, w, why in pending:
        assert rule == "autoencoder_train" and "variant=grid-" in w and why.endswith("selection.json"), (rule, w, why)
    others = {rule for rule, _, _ in jobs if not rule.endswith("_train")}
    assert others <= {"aggregate", "summary", "autoencoder_select", "autoencoder_grid_figure", "effective_config",
                      "all"}, others
    assert not others & {"demo_patches", "demo_trigrams", "demo_activity", "prepare_patches", "prepare_trigrams",
                         "prepare_activity"}

    # The autoencoder for real: the sweep's new runs, the selection again, the grid's new runs only.
    grid = [v for v in variants_of(tiny_run, "autoencoder") if v.startswith("grid-")]
    before = {(v, s): (run_folder(workdir / "results", "autoencoder", v, s) / "metrics.json").stat().st_mtime_ns
              for v in grid for s in TINY_SEEDS}
    chosen = json.loads((workdir / "results/autoencoder/selection.json").read_text())["chosen"]
    proc = snakemake(workdir, "--cores", "2", "--config", "replicates=3", "--", "results/summary/autoencoder.csv")
    retrained = re.findall(r"wildcards: variant=(grid-\S+), seed=([01])\b", proc.stdout)
    now = json.loads((workdir / "results/autoencoder/selection.json").read_text())["chosen"]
    after = {key: (run_folder(workdir / "results", "autoencoder", *key) / "metrics.json").stat().st_mtime_ns
             for key in before}
    if (now["beta"], now["rho"]) == (chosen["beta"], chosen["rho"]):
        assert not retrained and after == before
    else:  # a different choice: the grid follows it, every seed
        assert after != before
    aggregate = json.loads((workdir / "results/autoencoder" / grid[0] / "aggregate.json").read_text())
    assert aggregate["seeds"] == [0, 1, 2]


@pytest.mark.parametrize("override, key", [
    ("autoencoder={'recipes': {'tuned': {'learning_rate': -1}}}", "autoencoder.recipes.tuned.learning_rate"),
    ("threads=0", "threads"),
    ("data_dir=/nonexistent/folder", "data_dir"),
    ("replicates=0", "replicates"),
])
def test_bad_config_fails_before_any_job_with_one_line(tmp_path, override, key):
    proc = snakemake(tmp_path, "-n", "--config", override, check=False)
    assert proc.returncode != 0
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"'{key}'" in lines[0], proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_html_report_after_a_run_holds_every_category(tiny_run):
    report = tiny_run.parent / "report.html"
    snakemake(tiny_run.parent, "--report", str(report), "--config", f"replicates={len(TINY_SEEDS)}")
    text = report.read_text(errors="replace")
    for category in ("Data", "Autoencoder", "Language model", "Recurrent classifiers", "Comparisons"):
        assert category in text, category
    for task in TASKS:  # the summary and comparison tables of every task
        assert f"{task}_comparisons.csv" in text and f"summary/{task}.csv" in text, task


def recurrent_learning_rate_path(cfg):
    """Keys leading to the recurrent learning rate (per-recipe settings when the config has them)."""
    section = cfg["recurrent"]
    if "recipes" in section:
        return ["recurrent", "recipes", section["recipe"], "learning_rate"]
    return ["recurrent", "learning_rate"]


def nested(path, value):
    """{'a': {'b': value}} for path ['a', 'b']."""
    for key in reversed(path):
        value = {key: value}
    return value


def lookup(cfg, path):
    for key in path:
        cfg = cfg[key]
    return cfg


def effective_config(workdir, *args):
    """Run only the effective_config rule; return results/config.yaml, read."""
    snakemake(workdir, "--cores", "1", *args, "--", "results/config.yaml")
    return yaml.safe_load((workdir / "results" / "config.yaml").read_text())


def write_config(tmp_path, cfg):
    path = tmp_path / "my-config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_a_configfile_is_the_whole_configuration_without_config_yaml(tmp_path):
    """A --configfile that lacks a key is refused; config.yaml's value is not taken instead."""
    cfg = yaml.safe_load(TINY.read_text())
    del cfg["demo"]
    proc = snakemake(tmp_path, "-n", "--configfile", str(write_config(tmp_path, cfg)), check=False)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(lines) == 1 and "'demo'" in lines[0], proc.stdout + proc.stderr


def test_nested_override_applies_over_the_configfile_only(tmp_path):
    """Issue 15 item 3: a nested --config override used to be merged over config.yaml, so a cell
    the override did not name took config.yaml's rate (gru 0.002) instead of the configfile's."""
    tiny = yaml.safe_load(TINY.read_text())
    path = recurrent_learning_rate_path(tiny)
    rate = lookup(tiny, path)
    per_cell = dict(rate) if isinstance(rate, dict) else {cell: rate for cell in ("rnn", "lstm", "gru")}
    cfg = yaml.safe_load(TINY.read_text())
    lookup(cfg, path[:-1])[path[-1]] = per_cell
    override = f"{path[0]}={nested(path[1:], {'rnn': 0.05})!r}"
    used = effective_config(tmp_path, "--configfile", str(write_config(tmp_path, cfg)), "--config", override)
    assert lookup(used, path) == dict(per_cell, rnn=0.05)
    text = (tmp_path / "results" / "config.yaml").read_text()
    assert "my-config.yaml" in text and "# Overrides: --config" in text


def test_the_issue_example_never_takes_config_yaml_values(tmp_path):
    """`--configfile .test/config.yaml --config "recurrent={'learning_rate': {'rnn': 0.05}}"`: the
    run uses the tiny config's rate for gru, or, when the tiny config gives one number for all
    cells, refuses the incomplete per-cell override in one line; never config.yaml's 0.002."""
    tiny = yaml.safe_load(TINY.read_text())
    path = recurrent_learning_rate_path(tiny)
    rate = lookup(tiny, path)
    override = f"{path[0]}={nested(path[1:], {'rnn': 0.05})!r}"
    if isinstance(rate, dict):
        used = effective_config(tmp_path, "--config", override)
        assert lookup(used, path) == dict(rate, rnn=0.05)
    else:
        proc = snakemake(tmp_path, "-n", "--config", override, check=False)
        lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
        assert proc.returncode != 0 and len(lines) == 1, proc.stdout + proc.stderr
        assert f"'{'.'.join(path)}" in lines[0], lines


def test_the_effective_config_is_rewritten_when_the_config_changes(tmp_path):
    assert effective_config(tmp_path)["seed"] == 0
    assert effective_config(tmp_path, "--config", "seed=3")["seed"] == 3
    proc = snakemake(tmp_path, "-n", "--config", "seed=3", "--", "results/config.yaml")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_rule_all_records_the_effective_config(tiny_run):
    used = yaml.safe_load((tiny_run / "config.yaml").read_text())
    assert used == dict(yaml.safe_load(TINY.read_text()), replicates=len(TINY_SEEDS))
