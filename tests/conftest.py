"""Shared fixtures: the tiny workflow is run once per test session and read by many tests."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnlab.tasks import run_dir

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
TINY = ROOT / ".test" / "config.yaml"


def snakemake(workdir, *args, check=True, timeout=600, configfile=TINY):
    """Run the project's Snakefile in `workdir` with the tiny config (or `configfile`); returns
    CompletedProcess."""
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(configfile), *args]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


# The suite's replicates: the tiny run trains every variant with seeds 0 and 1 (issue 14).
TINY_SEEDS = [0, 1]


def run_folder(results, task, variant, seed=0):
    """The folder of one run (nnlab.tasks.run_dir: results/<task>/<variant>/seed<seed>)."""
    return Path(run_dir(results, task, variant, seed))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The whole workflow on the tiny config with 2 seeds per variant, run once; yields the
    results folder (runs in <task>/<variant>/seed0 and seed1, aggregates beside them)."""
    workdir = tmp_path_factory.mktemp("tiny")
    snakemake(workdir, "--cores", "2", "--quiet", "rules", "--config", f"replicates={len(TINY_SEEDS)}")
    return workdir / "results"
