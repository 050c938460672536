"""The variants a config defines and the state of each run in a results folder (no Streamlit).

Every variant is trained once per seed (nnlab.variants.seeds: replicate r uses seed + r); each
run has its own folder results/<task>/<variant>/seed<S>/ and log
results/logs/<task>/<variant>/seed<S>.log. A run is
  done         its metrics.json exists;
  failed       no metrics.json, and the log's last attempt ends in an error line (the
               format is nnlab.runner's, which writes these logs);
  running      no metrics.json, and its log or history.csv was written recently;
  interrupted  history.csv exists but nothing was written recently and no error was logged
               (a killed job, or a crash whose traceback went to the terminal, not the log);
  not started  none of the above.
A variant is failed, running or interrupted when one of its runs is (in that order), done
when all of its runs are, and not started otherwise (some runs may be done: see seeds_done).
"""
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from nnlab import runner, variants
from nnlab.config import validate
from nnlab.errors import ConfigError

STATES = ("done", "running", "failed", "interrupted", "not started")
STALE_MIN_SECONDS = 120.0      # "recently": within this, or 3 epochs' time when epochs are slower
LOG_TAIL_BYTES = 64 * 1024
SEED_FOLDER = re.compile(r"seed(\d+)")


@dataclass(frozen=True)
class Task:
    name: str               # folder under results/ and the summary's file name
    title: str
    variants_function: str  # in nnlab.variants: config -> {variant: hyperparameters}
    key_metrics: tuple      # metrics.json keys shown on the Overview


TASKS = {
    "autoencoder": Task("autoencoder", "Autoencoder", "autoencoder_variants",
                        ("reconstruction_mse", "loss", "mean_activation")),
    "language_model": Task("language_model", "Language model", "language_model_variants",
                           ("val_cross_entropy", "test_cross_entropy", "test_accuracy", "test_top10_accuracy")),
    "recurrent": Task("recurrent", "Recurrent classifier", "recurrent_variants",
                      ("val_cross_entropy", "val_accuracy", "train_accuracy", "test_accuracy")),
}


@dataclass
class VariantState:
    """The state of one run (seed set), or of a variant over its runs (seed None, runs set)."""
    task: str
    variant: str
    state: str
    in_config: bool
    hyperparameters: dict = field(default_factory=dict)
    epochs_done: int = 0
    epochs_planned: int | None = None
    updated: float | None = None        # latest mtime of its files (seconds since the epoch)
    detail: str = ""
    log_tail: list = field(default_factory=list)
    seed: int | None = None
    runs: list = field(default_factory=list)

    @property
    def folder(self):
        """The run's folder (relative to the results folder), or the variant's."""
        folder = Path(self.task) / self.variant
        return folder if self.seed is None else folder / f"seed{self.seed}"

    @property
    def seeds(self):
        return [r.seed for r in self.runs]

    @property
    def done_seeds(self):
        return [r.seed for r in self.runs if r.state == "done"]

    @property
    def seeds_done(self):
        return f"{len(self.done_seeds)}/{len(self.runs)}"


def load_config(path, schema=None):
    """(config dict or None, message or None): the YAML at `path`, validated when `schema` exists."""
    path = Path(path)
    if not path.is_file():
        return None, f"no config file at {path}"
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, f"{path}: not readable as YAML ({type(error).__name__}: {str(error).splitlines()[0]})"
    if not isinstance(config, dict):
        return None, f"{path}: expected a mapping of settings, found {type(config).__name__}"
    if schema is not None and Path(schema).is_file():
        try:
            validate(config, schema, source=str(path))
        except ConfigError as error:
            return None, str(error)          # the workflow would not run it either
    return config, None


def config_variants(config, task):
    """({variant: hyperparameters}, message or None) that `config` defines for `task`."""
    if config is None:
        return {}, "no valid config"
    try:
        return dict(getattr(variants, TASKS[task].variants_function)(config)), None
    except KeyError as error:
        return {}, f"the config has no {error} settings"
    except Exception as error:  # noqa: BLE001 - a bad config must not break the app
        return {}, f"could not list variants: {type(error).__name__}: {error}"


def config_seeds(config):
    """The seeds the config trains every variant with ([] without a valid config)."""
    try:
        return list(variants.seeds(config)) if config is not None else []
    except Exception:  # noqa: BLE001 - a bad config must not break the app
        return []


def disk_seeds(results, task, variant):
    """The seeds whose run folders (seed<S>/) exist under results/<task>/<variant>/."""
    try:
        entries = list((Path(results) / task / variant).iterdir())
    except OSError:
        return []
    return sorted(int(m.group(1)) for p in entries if (m := SEED_FOLDER.fullmatch(p.name)) and p.is_dir())


def result_variants(results, task):
    """Variant folders present under results/<task>/ (any with a run folder or an aggregate)."""
    folder = Path(results) / task
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and not p.name.startswith(".")
                  and ((p / "aggregate.json").exists() or disk_seeds(results, task, p.name)))


def _mtime(path):
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def parse_history(path):
    """history.csv as numbers; a partly written last line is dropped."""
    raw = Path(path).read_bytes()
    if not raw.strip():
        raise ValueError("empty file")
    if not raw.endswith(b"\n") and raw.count(b"\n") >= 1:
        raw = raw[:raw.rfind(b"\n") + 1]     # the last line is still being written
    frame = pd.read_csv(io.BytesIO(raw))
    if "epoch" not in frame.columns:
        raise ValueError(f"no 'epoch' column (found {', '.join(map(str, frame.columns)) or 'none'})")
    frame = frame.apply(pd.to_numeric, errors="coerce")
    frame = frame[frame["epoch"].notna()].reset_index(drop=True)
    frame["epoch"] = frame["epoch"].astype(int)
    return frame


def _history_rows(path):
    """(completed epochs, the slowest epoch's seconds) of a history.csv."""
    try:
        frame = parse_history(path)
    except (OSError, ValueError):
        return 0, 0.0
    return len(frame), float(frame["seconds"].max()) if "seconds" in frame and len(frame) else 0.0


def read_log_tail(path, max_bytes=LOG_TAIL_BYTES):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def run_log(results, task, variant, seed):
    return Path(results) / "logs" / task / variant / f"seed{seed}.log"


def run_state(results, task, variant, seed, hyperparameters=None, in_config=True, now=None, tail_lines=15):
    """The VariantState of one run (variant, seed) from the files in `results`."""
    results = Path(results)
    now = time.time() if now is None else now
    folder = results / task / variant / f"seed{seed}"
    metrics, history = folder / "metrics.json", folder / "history.csv"
    log = run_log(results, task, variant, seed)
    hp = dict(hyperparameters or {})
    planned = hp.get("epochs") if isinstance(hp.get("epochs"), int) else None
    if planned and isinstance(hp.get("finetune_epochs"), int):      # a second training stage
        planned += hp["finetune_epochs"]
    times = [t for t in (_mtime(metrics), _mtime(history), _mtime(log)) if t is not None]
    updated = max(times) if times else None
    out = VariantState(task, variant, "not started", in_config, hp, 0, planned, updated, seed=seed)
    if metrics.exists():                 # done: its epochs are in metrics.json (no history read)
        out.state = "done"
        return out
    epochs, slowest = _history_rows(history) if history.exists() else (0, 0.0)
    out.epochs_done = epochs
    lines, error = runner.attempt(read_log_tail(log) if log.exists() else "")
    out.log_tail = [line for line in lines if line.strip()][-tail_lines:]
    stale_after = max(STALE_MIN_SECONDS, 3 * slowest)
    recent = any(now - t <= stale_after for t in (_mtime(history), _mtime(log)) if t is not None)
    if error is not None:
        out.state, out.detail = "failed", error
    elif recent and (history.exists() or log.exists()):
        out.state = "running"
        out.detail = (f"epoch {epochs}" + (f" of {planned}" if planned and epochs <= planned else "")
                      if history.exists() else "starting")
    elif history.exists():
        out.state = "interrupted"
        out.detail = (f"history.csv stopped at epoch {epochs} with no metrics.json and no error in the log "
                      f"(last written {int(now - updated)} s ago)")
    return out


def variant_state(results, task, variant, hyperparameters=None, in_config=True, seeds=(), now=None):
    """The VariantState of a variant over its runs: the seeds given (the config's) and those
    with a run folder; the first failed, running or interrupted run leads its state and detail."""
    seeds = sorted(set(seeds) | set(disk_seeds(results, task, variant))) or [0]
    runs = [run_state(results, task, variant, s, hyperparameters, in_config, now) for s in seeds]
    out = VariantState(task, variant, "not started", in_config, dict(hyperparameters or {}), runs=runs,
                       epochs_planned=runs[0].epochs_planned)
    times = [r.updated for r in runs if r.updated is not None]
    out.updated = max(times) if times else None
    lead = next((r for name in ("failed", "running", "interrupted") for r in runs if r.state == name), None)
    if lead is not None:
        out.state, out.epochs_done, out.log_tail = lead.state, lead.epochs_done, lead.log_tail
        out.detail = (f"seed {lead.seed}: " if len(runs) > 1 else "") + lead.detail
    elif all(r.state == "done" for r in runs):
        out.state = "done"
    return out


def task_states(results, task, config):
    """(states of every variant the config defines, then those found only in the results), message."""
    defined, message = config_variants(config, task)
    seeds = config_seeds(config)
    states = [variant_state(results, task, v, hp, seeds=seeds) for v, hp in defined.items()]
    for extra in result_variants(results, task):
        if extra not in defined:
            state = variant_state(results, task, extra, in_config=False)
            state.detail = (state.detail + "; " if state.detail else "") + "not defined by the current config"
            states.append(state)
    return states, message
