"""The workflow as a whole: the DAG, the tiny run's results contract, config errors."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, snakemake


def test_dry_run_of_default_config_plans_every_stage(tmp_path):
    proc = snakemake(tmp_path, "-n", "--quiet", "rules", "--configfile", str(ROOT / "config.yaml"))
    for rule in ("demo_patches", "demo_trigrams", "demo_activity", "prepare_patches", "prepare_trigrams",
                 "prepare_activity", "autoencoder_train", "autoencoder_select", "summary_autoencoder"):
        assert rule in proc.stdout


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
    ("autoencoder={'learning_rate': -1}", "autoencoder.learning_rate"),
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
