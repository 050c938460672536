"""Writing the per-run results contract (docs/results.md): metrics.json
with provenance and test-set intervals. The per-variant aggregates and the per-task summary
tables are nnlab.replicates'."""
import hashlib
import math
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np

from nnlab.errors import Diverged
from nnlab.io import write_json

PACKAGES = ["nnlab", "numpy", "scipy", "h5py", "pandas", "matplotlib", "snakemake", "threadpoolctl"]


def sha256(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def git_commit(folder=Path(__file__).resolve().parent):
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def provenance(data_files=()):
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "packages": versions,
        "git_commit": git_commit(),
        "data_sha256": {Path(p).name: sha256(p) for p in data_files},
    }


def _plain(value):
    """JSON-safe plain Python values; non-finite floats become None (never NaN in results)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def mean_with_interval(name, values):
    """{name, name_low, name_high}: the mean of per-sample values (losses, errors) and its 95%
    normal interval over the samples (nnlab.stats.mean_interval)."""
    from nnlab.stats import mean_interval

    mean, low, high = mean_interval(values)
    return {name: mean, f"{name}_low": low, f"{name}_high": high}


def accuracy_with_interval(name, correct):
    """{name, name_low, name_high}: the share of correct samples and its Wilson 95% interval."""
    from nnlab.stats import wilson

    correct = np.asarray(correct, bool)
    low, high = wilson(int(correct.sum()), correct.size)
    return {name: float(correct.mean()), f"{name}_low": low, f"{name}_high": high}


def write_metrics(path, task, variant, hyperparameters, fit, data_files=(), **metrics):
    """metrics.json with the contract's common keys, task metrics and provenance, written
    atomically; a metric that is not finite (a test loss beyond float range) is Diverged, and
    nothing is written; an interval end that is not (a split too small for one) is null."""
    for name, value in metrics.items():
        if isinstance(value, float) and not math.isfinite(value) and not name.endswith(("_low", "_high")):
            raise Diverged(f"diverged: after training, {name} is {value} (lower the learning rate or enable "
                           "gradient clipping)")
    record = {
        "task": task,
        "variant": variant,
        "hyperparameters": hyperparameters,
        "epochs_run": fit.epochs_run,
        "best_epoch": fit.best_epoch,
        "stopped_early": fit.stopped_early,
        "seconds_per_epoch": fit.seconds_per_epoch,
        **metrics,
        "provenance": provenance(data_files),
    }
    write_json(path, _plain(record))
    return record
