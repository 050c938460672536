"""The workflow as a whole: the DAG, the tiny run's results contract, config errors, the
configuration a run uses."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, TINY, snakemake


def test_dry_run_of_default_config_plans_every_stage(tmp_path):
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", "--configfile", str(ROOT / "config.yaml"))
    for rule in ("demo_patches", "demo_trigrams", "demo_activity", "prepare_patches", "prepare_trigrams",
                 "prepare_activity", "autoencoder_train", "autoencoder_select", "summary", "effective_config"):
        assert rule in proc.stdout


def test_a_mistyped_variant_path_has_no_rule_rather_than_a_failing_input_function(tmp_path):
    """Variant names are matched literally: '.' in sweep-beta0.5-rho0.05 is no regex wildcard."""
    proc = snakemake(tmp_path, "-n", "results/autoencoder/sweep-beta0X5-rho0.05/metrics.json", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "MissingRuleException" in text and "No rule to produce" in text, text[-2000:]
    assert "InputFunctionException" not in text


@pytest.mark.parametrize("task", ["autoencoder", "language_model", "recurrent"])
def test_one_summary_rule_serves_every_task_and_no_other_name(tmp_path, task):
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", "--", f"results/summary/{task}.csv")
    assert "summary" in proc.stdout
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
    assert len(summary) == 4
    for variant in summary["variant"]:
        folder = tiny_run / "autoencoder" / variant
        metrics = json.loads((folder / "metrics.json").read_text())
        for key in ("task", "variant", "hyperparameters", "epochs_run", "seconds_per_epoch", "loss",
                    "reconstruction_mse", "reconstruction", "weight_decay", "sparsity", "mean_activation"):
            assert key in metrics, key
        assert metrics["hyperparameters"]["seed"] == 0
        assert metrics["provenance"]["data_sha256"]["data1.h5"]
        history = pd.read_csv(folder / "history.csv")
        assert list(history.columns[:6]) == ["epoch", "train_loss", "val_loss", "train_accuracy",
                                             "val_accuracy", "seconds"]
        assert len(history) == metrics["epochs_run"]
        params = np.load(folder / "params.npz", allow_pickle=False)
        assert params["W1"].shape == (256, metrics["hyperparameters"]["hidden"])
        assert (folder / "features.png").stat().st_size > 0
    chosen = json.loads((tiny_run / "autoencoder" / "selection.json").read_text())["chosen"]
    grid = summary[summary["part"] == "grid"]
    assert set(grid["beta"]) == {chosen["beta"]} and set(grid["rho"]) == {chosen["rho"]}


@pytest.mark.parametrize("override, key", [
    ("autoencoder={'recipes': {'tuned': {'learning_rate': -1}}}", "autoencoder.recipes.tuned.learning_rate"),
    ("threads=0", "threads"),
    ("data_dir=/nonexistent/folder", "data_dir"),
])
def test_bad_config_fails_before_any_job_with_one_line(tmp_path, override, key):
    proc = snakemake(tmp_path, "-n", "--config", override, check=False)
    assert proc.returncode != 0
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"'{key}'" in lines[0], proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_html_report_after_a_run_holds_every_category(tiny_run):
    report = tiny_run.parent / "report.html"
    snakemake(tiny_run.parent, "--report", str(report))
    text = report.read_text(errors="replace")
    for category in ("Data", "Autoencoder", "Language model", "Recurrent classifiers"):
        assert category in text, category


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
    assert used == yaml.safe_load(TINY.read_text())
