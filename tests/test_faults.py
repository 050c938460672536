"""Faults: interruption, determinism, divergence (issue 8), on the tiny configuration."""
import json
import os
import pty
import select
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import ROOT, SNAKEMAKE, TINY, snakemake

AE = "results/autoencoder/sweep-beta0.5-rho0.05/seed0"  # one run: variant and seed
# A few seconds: long enough to be interrupted (the tiny config's own recipe, 600 epochs).
SLOW_AE = "autoencoder={'recipe': 'tuned', 'recipes': {'tuned': {'epochs': 600}}}"


def comparable(metrics_path):
    """metrics.json without timings and provenance (which differ from run to run)."""
    metrics = json.loads(open(metrics_path).read())
    metrics.pop("provenance")
    metrics.pop("seconds_per_epoch")
    return metrics


def same_params(a, b):
    with np.load(a, allow_pickle=False) as pa, np.load(b, allow_pickle=False) as pb:
        return sorted(pa.files) == sorted(pb.files) and all(np.array_equal(pa[k], pb[k]) for k in pa.files)


def start(workdir, *args):
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(TINY), "--cores", "1", "--quiet", "rules", *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_for_epochs(history, epochs=5, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if history.exists() and len(history.read_text().splitlines()) > epochs:
            return
        time.sleep(0.05)
    raise AssertionError(f"{history} never reached {epochs} epochs")


def training_pids(workdir):
    out = subprocess.run(["pgrep", "-f", f"{workdir}/.snakemake/scripts/.*train_autoencoder"],
                         capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("uninterrupted")
    snakemake(workdir, "--cores", "1", "--config", SLOW_AE, "--quiet", "rules", "--", f"{AE}/metrics.json")
    return workdir / AE


def test_kill_9_of_a_training_job_then_rerun_matches(tmp_path, uninterrupted):
    proc = start(tmp_path, "--config", SLOW_AE, "--", f"{AE}/metrics.json")
    wait_for_epochs(tmp_path / AE / "history.csv")
    pids = training_pids(tmp_path)
    assert pids, "no training process found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert proc.wait(timeout=120) != 0
    assert not (tmp_path / AE / "metrics.json").exists()
    snakemake(tmp_path, "--cores", "1", "--config", SLOW_AE, "--", f"{AE}/metrics.json")
    assert comparable(tmp_path / AE / "metrics.json") == comparable(uninterrupted / "metrics.json")
    assert same_params(tmp_path / AE / "params.npz", uninterrupted / "params.npz")


def test_kill_9_of_the_whole_workflow_then_rerun_matches(tmp_path, uninterrupted):
    proc = start(tmp_path, "--config", SLOW_AE, "--", f"{AE}/metrics.json")
    wait_for_epochs(tmp_path / AE / "history.csv")
    os.killpg(proc.pid, signal.SIGKILL)  # snakemake and its running job, as in a crash
    proc.wait(timeout=60)
    assert not (tmp_path / AE / "metrics.json").exists()
    leftovers = [p.name for p in (tmp_path / AE).iterdir() if p.name.startswith(".")]
    snakemake(tmp_path, "--unlock")  # as docs/running.md says: unlock after a crash, then rerun
    snakemake(tmp_path, "--cores", "1", "--config", SLOW_AE, "--", f"{AE}/metrics.json")
    assert comparable(tmp_path / AE / "metrics.json") == comparable(uninterrupted / "metrics.json")
    assert same_params(tmp_path / AE / "params.npz", uninterrupted / "params.npz")
    assert not [p.name for p in (tmp_path / AE).iterdir() if p.name.startswith(".") and p.name not in leftovers]


def test_closing_the_terminal_leaves_no_lock_and_the_same_command_resumes(tmp_path, uninterrupted):
    """Issue 15 item 8: SIGHUP (the terminal closed) used to end snakemake at once, leaving its
    lock, so the same command then stopped with LockException. The workflow handles SIGHUP as
    Ctrl-C: running jobs are stopped and marked incomplete, the lock is released."""
    terminal, tty = pty.openpty()
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
           str(TINY), "--cores", "1", "--config", SLOW_AE, "--", f"{AE}/metrics.json"]
    # A terminal's shell starts the command with SIGHUP at its default, whatever this process inherited: a suite
    # started under nohup has SIGHUP ignored in pytest, an ignored signal is kept across exec, and snakemake then
    # rightly leaves it alone (as docs/running.md says of nohup) and finishes with 0.
    proc = subprocess.Popen(cmd, stdin=tty, stdout=tty, stderr=tty, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    os.close(tty)
    history, deadline = tmp_path / AE / "history.csv", time.time() + 120
    while not (history.exists() and len(history.read_text().splitlines()) > 5):
        assert time.time() < deadline and proc.poll() is None, "training never started"
        if select.select([terminal], [], [], 0.05)[0]:
            os.read(terminal, 1 << 16)  # keep the terminal's buffer from filling
    os.close(terminal)  # the terminal window goes away ...
    os.killpg(proc.pid, signal.SIGHUP)  # ... and its session gets SIGHUP
    assert proc.wait(timeout=60) != 0
    assert not (tmp_path / AE / "metrics.json").exists()
    locks = tmp_path / ".snakemake" / "locks"
    assert not locks.exists() or not list(locks.iterdir())
    snakemake(tmp_path, "--cores", "1", "--config", SLOW_AE, "--", f"{AE}/metrics.json")  # no --unlock
    assert comparable(tmp_path / AE / "metrics.json") == comparable(uninterrupted / "metrics.json")
    assert same_params(tmp_path / AE / "params.npz", uninterrupted / "params.npz")


def test_a_stale_lock_is_removed_by_the_documented_unlock_command(tmp_path):
    """After kill -9 or a power loss the lock stays; `snakemake --unlock` (docs/cluster.md,
    profiles/default) removes it, and Snakemake's LockException names that option."""
    proc = start(tmp_path, "--config", SLOW_AE, "--", f"{AE}/metrics.json")
    wait_for_epochs(tmp_path / AE / "history.csv")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    locked = snakemake(tmp_path, "--cores", "1", "--", f"{AE}/metrics.json", check=False)
    assert locked.returncode != 0
    assert "LockException" in locked.stderr + locked.stdout and "--unlock" in locked.stderr + locked.stdout
    snakemake(tmp_path, "--unlock")
    snakemake(tmp_path, "-n", "--", f"{AE}/metrics.json")


def test_same_config_twice_gives_identical_results_and_records_the_seed(tmp_path, tiny_run):
    """Also: replicates=1 (here) and the suite's replicates=2 (tiny_run) give seed 0 the same run."""
    targets = [f"{AE}/metrics.json", "results/recurrent/gru-tbptt5/seed0/metrics.json",
               "results/language_model/d4-p8/seed0/metrics.json"]
    snakemake(tmp_path, "--cores", "2", "--", *targets)
    for target in targets:
        folder = os.path.dirname(target)
        again, first = tmp_path / folder, tiny_run.parent / folder
        assert comparable(again / "metrics.json") == comparable(first / "metrics.json"), target
        assert same_params(again / "params.npz", first / "params.npz"), target
        assert comparable(again / "metrics.json")["hyperparameters"]["seed"] == 0


def test_another_seed_gives_other_numbers(tmp_path, tiny_run):
    """seed=1: its (only) run is seed1, on demo data built with seed 1."""
    other = AE.replace("/seed0", "/seed1")
    snakemake(tmp_path, "--cores", "1", "--config", "seed=1", "--", f"{other}/metrics.json")
    assert not (tmp_path / AE).exists()
    metrics = comparable(tmp_path / other / "metrics.json")
    assert metrics["hyperparameters"]["seed"] == 1
    assert metrics["loss"] != comparable(tiny_run.parent / AE / "metrics.json")["loss"]
    assert not same_params(tmp_path / other / "params.npz", tiny_run.parent / AE / "params.npz")


def test_huge_learning_rate_ends_the_job_with_a_diverged_message(tmp_path):
    proc = snakemake(tmp_path, "--cores", "1", "--config",
                     "autoencoder={'recipe': 'course', 'recipes': {'course': {'learning_rate': 1e6}}}", "--", f"{AE}/metrics.json",
                     check=False)
    assert proc.returncode != 0
    log = (tmp_path / "results/logs/autoencoder/sweep-beta0.5-rho0.05/seed0.log").read_text()
    assert "error: diverged at epoch 1" in log
    assert not (tmp_path / AE / "metrics.json").exists()


def test_metrics_record_provenance(tiny_run):
    provenance = json.loads((tiny_run / "autoencoder/sweep-beta0.5-rho0.05/seed0/metrics.json").read_text())["provenance"]
    assert provenance["packages"]["numpy"] == np.__version__
    assert len(provenance["data_sha256"]["data1.h5"]) == 64
    assert "git_commit" in provenance
