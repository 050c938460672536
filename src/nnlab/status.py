"""The state of each run and variant of a results folder, as the app's Overview and `python -m nnlab.status`
show it; the states are docs/app.md's."""
import functools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from nnlab import replicates, runner, tasks, variants, wording
from nnlab.errors import DataError, beside

STATES = ("done", "running", "failed", "interrupted", "not started")
STALE_MIN_SECONDS = 120.0      # "recently": within this, or 3 epochs' time when epochs are slower
LOG_TAIL_BYTES = 64 * 1024
LOG_TAIL_LINES = 15            # the lines of a failed run's log the Overview shows


@dataclass
class VariantState:
    """The state of one run (seed set), or of a variant over its runs (seed None, runs set)."""
    task: str
    variant: str
    state: str
    hyperparameters: dict = field(default_factory=dict)
    epochs_done: int = 0
    epochs_planned: int | None = None
    updated: float | None = None        # latest mtime of its files (seconds since the epoch)
    detail: str = ""
    log_tail: list = field(default_factory=list)
    seed: int | None = None
    runs: list = field(default_factory=list)
    unused: list = field(default_factory=list)      # seed folders the config does not train

    @property
    def seeds(self):
        return [r.seed for r in self.runs]

    @property
    def done_seeds(self):
        return [r.seed for r in self.runs if r.state == "done"]

    @property
    def seeds_done(self):
        return f"{len(self.done_seeds)}/{len(self.runs)}"


def disk_seeds(results, task, variant):
    """The seeds whose run folders (seed<S>/) exist for a variant."""
    try:
        entries = list(Path(tasks.variant_dir(results, task, variant)).iterdir())
    except OSError:
        return []
    return sorted(s for p in entries if (s := tasks.seed_of(p.name)) is not None and p.is_dir())


def result_variants(results, task):
    """Variant folders present under results/<task>/ (any with a run folder or an aggregate)."""
    folder = Path(tasks.task_dir(results, task))
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and not p.name.startswith(".")
                  and (Path(tasks.aggregate_file(results, task, p.name)).exists() or disk_seeds(results, task, p.name)))


def file_key(path):
    """(mtime_ns, size) of a file, or None when it does not exist."""
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _mtime(path):
    return key[0] / 1e9 if (key := file_key(path)) else None


@functools.lru_cache(maxsize=256)
def _history_rows(path, key):
    """(completed epochs, the slowest epoch's seconds, why it is unreadable or "") of a history.csv;
    key: its (mtime, size)."""
    try:
        frame = replicates.read_history(path, whole=False)
    except DataError as error:
        return 0, 0.0, beside(error, path)
    return len(frame), float(frame["seconds"].max()) if "seconds" in frame and len(frame) else 0.0, ""


def read_log_tail(path, max_bytes=LOG_TAIL_BYTES):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, 2) - max_bytes))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def run_state(results, task, variant, seed, hyperparameters=None):
    """The VariantState of one run (variant, seed) from the files in `results`."""
    now = time.time()
    folder = Path(tasks.run_dir(results, task, variant, seed))
    metrics, history = folder / "metrics.json", folder / "history.csv"
    log = Path(tasks.run_log(results, task, variant, seed))
    hp = dict(hyperparameters or {})
    planned = hp.get("epochs") if isinstance(hp.get("epochs"), int) else None
    finetune = hp.get("finetune") if isinstance(hp.get("finetune"), dict) else {}
    if planned and isinstance(finetune.get("epochs"), int):          # a second training stage
        planned += finetune["epochs"]
    times = [t for t in (_mtime(metrics), _mtime(history), _mtime(log)) if t is not None]
    out = VariantState(task, variant, "not started", hp, 0, planned, max(times, default=None), seed=seed)
    if metrics.exists():                 # done: its epochs are in metrics.json (no history read)
        out.state = "done"
        return out
    stat = file_key(history)
    epochs, slowest, unreadable = _history_rows(str(history), stat) if stat else (0, 0.0, "")
    out.epochs_done = epochs
    lines, error = runner.attempt(read_log_tail(log))        # "" when there is no log
    out.log_tail = [line for line in lines if line.strip()][-LOG_TAIL_LINES:]
    stale_after = max(STALE_MIN_SECONDS, 3 * slowest)
    recent = any(now - t <= stale_after for t in (_mtime(history), _mtime(log)) if t is not None)
    if error is not None:
        out.state, out.detail = "failed", error
    elif recent and (stat or log.exists()):
        out.state = "running"
        out.detail = (f"epoch {epochs}" + (f" of {planned}" if planned and epochs <= planned else "")
                      if stat else "starting")
    elif stat:
        out.state = "interrupted"
        out.detail = (f"history.csv stopped at epoch {epochs} with no metrics.json and no error in the log "
                      f"(last written {int(now - out.updated)} s ago)")
    if unreadable and out.state in ("running", "interrupted"):
        out.detail = f"history.csv unreadable: {unreadable}"
    return out


def variant_state(results, task, variant, hyperparameters=None, seeds=()):
    """The VariantState of a variant over the runs of `seeds` (none: the seed folders found)."""
    found = disk_seeds(results, task, variant)
    seeds = sorted(seeds) or found or [0]
    runs = [run_state(results, task, variant, s, hyperparameters) for s in seeds]
    out = VariantState(task, variant, "not started", dict(hyperparameters or {}), runs=runs,
                       epochs_planned=runs[0].epochs_planned, unused=[s for s in found if s not in seeds])
    out.updated = max((r.updated for r in runs if r.updated is not None), default=None)
    lead = next((r for name in ("failed", "running", "interrupted") for r in runs if r.state == name), None)
    if lead is not None:
        out.state, out.epochs_done, out.log_tail = lead.state, lead.epochs_done, lead.log_tail
        out.detail = (f"seed {lead.seed}: " if len(runs) > 1 else "") + lead.detail
    elif all(r.state == "done" for r in runs):
        out.state = "done"
    if out.unused:
        out.detail = "; ".join(filter(None, [out.detail, "not used by the config: "
                                             + ", ".join(map(tasks.seed_folder, out.unused))]))
    return out


def task_states(results, task, config):
    """(states of every variant the config defines, then those found only in the results), message."""
    defined, seeds, message = {}, [], "no valid config"
    if config is not None:
        try:
            defined, seeds, message = dict(tasks.TASKS[task].variants(config)), variants.seeds(config), None
        except KeyError as error:
            message = f"the config has no {error} settings"
        except Exception as error:  # noqa: BLE001 - a bad config must not break the app
            message = f"could not list variants: {type(error).__name__}: {error}"
    states = [variant_state(results, task, v, hp, seeds=seeds) for v, hp in defined.items()]
    for extra in result_variants(results, task):
        if extra not in defined:
            state = variant_state(results, task, extra)
            state.detail = (state.detail + "; " if state.detail else "") + "not defined by the current config"
            states.append(state)
    return states, message


def estimates_file(results, v):
    """(the file that holds a variant's estimates, whether it is a lone run's): its aggregate.json, or before that
    is written, the metrics.json of a variant's one done run (read by replicates.run_estimates)."""
    path = Path(tasks.aggregate_file(results, v.task, v.variant))
    if path.exists() or len(v.runs) != 1 or v.state != "done":
        return path, False
    return Path(tasks.run_dir(results, v.task, v.variant, v.seeds[0])) / "metrics.json", True


def unreadable(path, why):
    return f"{Path(path).name} unreadable: {why}"


def variant_estimates(results, v):
    """(a variant's {metric: estimate} or None, why they cannot be read or ""), once one of its seeds is done."""
    path, lone = estimates_file(results, v)
    if not v.done_seeds or not path.exists():
        return None, ""
    try:
        return (replicates.run_estimates if lone else replicates.read_estimates)(path), ""
    except DataError as error:
        return None, unreadable(path, beside(error, path))


def row(v, estimates=None, problem=""):
    """A variant's cells of the status tables (the app's Overview, `python -m nnlab.status`): state, variant,
    seeds done, epochs ("12 / 60"; a done variant's mean epochs run), its task's compared metrics with their
    95% intervals from `estimates` ({metric: estimate}, estimates_file's), the intervals' names, and a note:
    the run's detail, then `problem` (why the estimates cannot be read) or that the aggregate is not written yet."""
    unwritten = "aggregate.json not written yet" if v.state == "done" and estimates is None and not problem else ""
    estimates = estimates or {}
    planned = f" / {v.epochs_planned}" if v.epochs_planned and v.epochs_done <= v.epochs_planned else ""
    epochs = wording.fmt(estimates.get("epochs_run", {}).get("mean"), 3) if v.state == "done" else \
        f"{v.epochs_done}{planned}"
    compared = tasks.TASKS[v.task].compared
    found = [(m, estimates[m.name]) for m in compared if m.name in estimates]
    return {"state": v.state, "variant": v.variant, "seeds done": v.seeds_done, "epochs": epochs,
            **{m.label: "–" for m in compared}, **{m.label: wording.estimate_cell(e, metric=m) for m, e in found},
            "95% CI": ", ".join(sorted({e["interval"] for _, e in found if wording.has_interval(e)})),
            "note": "; ".join(filter(None, [v.detail, problem, unwritten]))}


def progress(states):
    """(fraction of runs done, "3 of 6 runs done · 1 running · 1 failed") of a task's variant states."""
    runs = [r for v in states for r in v.runs]
    count = {name: sum(r.state == name for r in runs) for name in STATES}
    text = f"{count['done']} of {len(runs)} runs done" + "".join(
        f" · {count[name]} {name}" for name in STATES[1:-1] if count[name])
    return count["done"] / max(len(runs), 1), text


def root_state(states):
    """One word for a root's variant states: failed, running, done, partly done (some runs done, none
    running: stopped, or seeds added since) or not started."""
    runs = [r.state for v in states for r in v.runs]
    for name in ("failed", "running"):
        if name in runs or any(v.state == name for v in states):
            return name
    done = runs.count("done")
    return "done" if runs and done == len(runs) else "partly done" if done else "not started"


@dataclass
class Root:
    """One results root: the baseline (results/) or a named experiment (results/experiments/<name>/), with the
    states of its variants per task: {task: (states, message)} (only the tasks it trains)."""
    name: str                     # "baseline" or the experiment's name
    path: Path
    tasks: dict

    @property
    def label(self):
        return (self.name if self.name == "baseline" else "the report's recipe" if self.name == "report"
                else f"experiment {self.name}")

    @property
    def states(self):
        return [v for states, _ in self.tasks.values() for v in states]


def roots(results, config):
    """[Root]: the baseline, the report's recipe (results/report/, once it exists), then each experiment of the config (nnlab.overlays; its trained variants, the
    config's seeds), then experiment folders on disk the config does not name (their variants as found)."""
    from nnlab import overlays

    results = Path(results)
    out = [Root("baseline", results, {name: task_states(results, name, config) for name in tasks.TASKS})]
    experiments, seeds = {}, []
    if config is not None:
        try:
            experiments, seeds = overlays.expand(config), variants.seeds(config)
        except Exception:  # noqa: BLE001 - a config the planner refuses: its experiments as found on disk
            experiments = {}
    report = Path(tasks.report_dir(results))
    if config is not None and report.is_dir():      # the report's recipe (the claims target), once it has runs
        from nnlab import claims
        try:
            variants_of = claims.report_experiment({k: v for k, v in config.items() if k != "experiments"}).variants
        except Exception:  # noqa: BLE001 - a config the planner refuses: the report's runs as found on disk
            variants_of = None
        if variants_of is None:
            per_task = {task: ([variant_state(report, task, v) for v in result_variants(report, task)], None)
                        for task in tasks.TASKS}
        else:
            per_task = {task: ([variant_state(report, task, v, hp, seeds=seeds or variants.seeds(config))
                                for v, hp in vs.items()], None) for task, vs in variants_of.items()}
        out.append(Root("report", report, {t: s for t, s in per_task.items() if s[0]}))
    for name, experiment in experiments.items():
        root = Path(tasks.experiment_dir(results, name))
        out.append(Root(name, root, {task: ([variant_state(root, task, v, hp, seeds=seeds) for v, hp in vs.items()],
                                            None) for task, vs in experiment.variants.items() if task in tasks.TASKS}))
    folder = Path(tasks.experiment_dir(results, "x")).parent
    found = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in experiments) \
        if folder.is_dir() else []
    for name in found:
        root = folder / name
        per_task = {task: ([variant_state(root, task, v) for v in result_variants(root, task)],
                           "the config no longer has this experiment: its runs as found in its folder")
                    for task in tasks.TASKS}
        out.append(Root(name, root, {t: s for t, s in per_task.items() if s[0]}))
    return out


DATA_SOURCES = {
    "demo": "the demo files, built from data that ships with the dependencies (not the course's numbers)",
    "public": "the public sources (the Kodak photographs, the 2012 course's 4-grams, WISDM v1.1)",
    "course": "the course files",
}


def data_sentence(record):
    """Which data a results folder was made from, in a line, from its data/source.json (a dict); None
    when the record says nothing usable."""
    if not isinstance(record, dict) or record.get("source") not in DATA_SOURCES:
        return None
    return f"data: {DATA_SOURCES[record['source']]} in {record.get('data_dir')}"


def data_line(results):
    """data_sentence of results/data/source.json, or None when it is missing or unreadable."""
    try:
        record = json.loads(Path(tasks.data_file(results, "source.json")).read_text())
    except (OSError, ValueError):
        return None
    return data_sentence(record)


def summary_lines(all_roots):
    """One line per root ("baseline: 27 of 27 runs done", "experiment lr: 4 of 6 runs done · 1 running · 1 failed"),
    then one per task of it: the Overview's counts, as `python -m nnlab.status --summary` prints them."""
    lines = []
    for root in all_roots:
        lines.append(f"{root.label}: {progress(root.states)[1]}")
        lines += [f"  {tasks.TASKS[t].title}: {progress(states)[1]}" for t, (states, _) in root.tasks.items()]
    return lines


def key_metric_rows(task, table):
    """A task's key metric per variant from its summary table (summary/<task>.csv, as a DataFrame): a frame of
    variant, value, low, high, interval (rows with a value only, in the table's order). ValueError: no such
    columns."""
    import pandas as pd

    metric = tasks.TASKS[task].key_metric
    missing = [c for c in ("variant", metric.name) if c not in table.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)}")
    out = pd.DataFrame({"variant": table["variant"].astype(str),
                        "value": pd.to_numeric(table[metric.name], errors="coerce")})
    for end in ("low", "high"):
        column = table.get(f"{metric.name}_{end}")
        out[end] = pd.to_numeric(column, errors="coerce") if column is not None else float("nan")
    interval = table.get(f"{metric.name}_interval")
    out["interval"] = interval.fillna("none").astype(str) if interval is not None else "none"
    return out.dropna(subset=["value"]).reset_index(drop=True)


def best(task, rows):
    """The row (a Series) of `rows` (key_metric_rows') with the best key metric, by its direction; None when
    there are none."""
    if rows is None or rows.empty:
        return None
    values = rows["value"]
    return rows.loc[values.idxmin() if tasks.TASKS[task].key_metric.lower_is_better else values.idxmax()]


def best_text(task, rows):
    """"best: gru-full, test accuracy 81.2% (95% CI 79%–83%)", or "" when no variant has a value."""
    found = best(task, rows)
    if found is None:
        return ""
    metric = tasks.TASKS[task].key_metric
    estimate = {"mean": found["value"], "low": found["low"], "high": found["high"], "interval": found["interval"]}
    interval = f" (95% CI {wording.span(estimate, 3, metric)})" if wording.has_interval(estimate) else ""
    return f"best: {found['variant']}, {metric.label} {wording.level(metric, found['value'])}{interval}"


def runner_up_text(task, rows, comparisons):
    """How the best variant (best()) stands against the runner-up on the key metric, from the comparisons table
    the workflow wrote (summary/<task>_comparisons.csv as a DataFrame; its `real` decides, never this code):
    "a real difference from the runner-up, lstm-full", "not distinguishable from the runner-up, lstm-full",
    "too few seeds to tell it from the runner-up, lstm-full", or "" when there is no such comparison."""
    import math

    from nnlab import stats

    found = best(task, rows)
    if found is None or len(rows) < 2 or comparisons is None or \
            not {"a", "b", "metric", "seeds", "real"} <= set(comparisons.columns):
        return ""
    metric = tasks.TASKS[task].key_metric
    others = rows[rows["variant"] != found["variant"]]
    second = best(task, others.reset_index(drop=True))
    match = comparisons[(comparisons["a"].astype(str) == found["variant"])
                        & (comparisons["b"].astype(str) == second["variant"])
                        & (comparisons["metric"].astype(str) == metric.name)]
    if match.empty:
        return ""
    row = match.iloc[0]
    try:
        seeds = float(row["seeds"])
    except (TypeError, ValueError):
        seeds = math.nan
    if not math.isfinite(seeds) or seeds < stats.MIN_SEEDS:
        return f"too few seeds to tell it from the runner-up, {second['variant']}"
    if str(row["real"]) == "True":
        return f"a real difference from the runner-up, {second['variant']}"
    return f"not distinguishable from the runner-up, {second['variant']}"


def main(argv=None):
    """`python -m nnlab.status [RESULTS] [--config FILE]`: every variant's state, in a terminal (a
    cluster's login node, say); exit status 1 when a run failed, 2 for a bad folder or config."""
    import argparse

    from nnlab import config as nnlab_config
    from nnlab.errors import ConfigError

    parser = argparse.ArgumentParser(
        prog="python -m nnlab.status", description="Every variant's state, as the app's Overview shows it.",
        epilog="Exit status: 0, or 1 when a run failed, 2 for a results folder or config that cannot be read.")
    parser.add_argument("results", nargs="?", default="results", help="the results folder (default: results)")
    parser.add_argument("--config", help="the config whose variants to list (default: RESULTS/config.yaml, "
                                         "else config.yaml)")
    parser.add_argument("--summary", action="store_true",
                        help="only the run counts of each root (the baseline and each experiment) and each task's "
                             "best variant: a few lines, as `make run` may end with")
    args = parser.parse_args(argv)
    results = Path(args.results)
    if not results.is_dir():
        found = "a file" if results.exists() else "no folder"
        parser.exit(2, f"error: {results}: expected the workflow's results folder, found {found}\n")
    config = None
    try:
        config = nnlab_config.read(Path(args.config or nnlab_config.of_results(results, "config.yaml")))
    except ConfigError as error:
        if args.config:                   # the one asked for: no listing from another source
            parser.exit(2, f"error: {error}\n")
        print(f"note: {error}; variants listed from the results folder only", file=sys.stderr)
    all_roots = roots(results, config)
    failed = any(v.state == "failed" for root in all_roots for v in root.states)
    if args.summary:
        print("\n".join(filter(None, [data_line(results), *summary_lines(all_roots)])))
        for name, task in tasks.TASKS.items():
            if text := best_text(name, rows := _key_rows(results, name)):
                print(f"{task.title}: " + "; ".join(filter(None, [text, runner_up_text(
                    name, rows, _table(tasks.comparisons_file(results, name)))])))
        return 1 if failed else 0
    print("\n".join(summary_lines(all_roots)) + "\n")
    for root in all_roots:
        for name, (states, message) in root.tasks.items():
            task = tasks.TASKS[name]
            where = "" if root.name == "baseline" else f" · {root.label}"
            print(f"{task.title}{where}: {progress(states)[1]}" + (f" ({message})" if message and config else ""))
            if root.name == "baseline" and (text := best_text(name, rows := _key_rows(results, name))):
                print("  " + "; ".join(filter(None, [text, runner_up_text(
                    name, rows, _table(tasks.comparisons_file(results, name)))])))
            rows = [row(v, *variant_estimates(root.path, v)) for v in states]
            widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in rows[0]} if rows else {}
            for cells in [dict(zip(widths, widths))] + rows if rows else []:
                print("  ".join(cells[c].ljust(w) for c, w in widths.items()).rstrip())
            print()
    return 1 if failed else 0


def _table(path):
    """A CSV table, or None when it is missing or unreadable."""
    import pandas as pd

    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def _key_rows(results, task):
    """key_metric_rows of summary/<task>.csv, or None when it is missing or unreadable."""
    table = _table(tasks.summary_file(results, task))
    try:
        return None if table is None else key_metric_rows(task, table)
    except ValueError:
        return None


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:             # `python -m nnlab.status | head`: the reader has stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(141) from None     # 128 + SIGPIPE, as a shell reports a command stopped that way
