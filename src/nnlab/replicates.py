"""From the runs of every variant (one per seed) to what a user compares: per-variant
aggregates, the per-task summary table and every pair of variants compared.

Layout (docs/results.md): run r of a variant uses seed `seed + r` and
lives in results/<task>/<variant>/seed<seed + r>/ (params.npz, history.csv, metrics.json,
scores.npz, figures); beside the seed folders, aggregate.json and history_mean.csv; per task,
results/summary/<task>.csv and results/summary/<task>_comparisons.csv. One seed reads the
same way as many.
"""
import io
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab import stats
from nnlab.errors import DataError, reason
from nnlab.io import NPZ_ERRORS, read_npz, save_csv, write_json
from nnlab.results import _plain
from nnlab.tasks import TASKS, history_bounds, run_of
from nnlab.wording import CLIPPED, clip_difference, p_text, said_difference, signed, t_name

SKIPPED = ("task", "variant", "hyperparameters", "provenance")


def evaluation_set(metric):
    """Where a run's own interval of `metric` comes from: 'test set', 'validation set',
    'training set' or, for the autoencoder's reconstruction error, 'held-out set'."""
    for prefix, name in (("test_", "test set"), ("val_", "validation set"), ("train_", "training set")):
        if metric.startswith(prefix):
            return name
    return "held-out set"


def scalar_metrics(record):
    """The numeric top-level metrics of a metrics.json record (no bools, lists or dicts)."""
    return {k: float(v) for k, v in record.items()
            if k not in SKIPPED and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _interval(values, bounds=(None, None)):
    """The aggregate of one metric over the runs of a variant; a t interval reaching outside the
    metric's range (an accuracy's [0, 1]) is clipped to it, and says so."""
    mean, sd, low, high = stats.t_interval(values)
    entry = {"mean": mean, "sd": sd, "n": len(values), "low": low, "high": high}
    if len(values) > 1:
        entry["interval"] = t_name(len(values))
        lowest, highest = bounds
        if (lowest is not None and low < lowest) or (highest is not None and high > highest):
            entry["low"] = low if lowest is None else max(low, lowest)
            entry["high"] = high if highest is None else min(high, highest)
            entry["interval"] += CLIPPED
    else:
        entry["interval"] = "none"
    return entry


def _bounds(task, name):
    return TASKS[task].metric(name, plain=True).bounds     # unbounded for a key the registry does not list


def aggregate(records):
    """Per-variant aggregate of its runs' metrics.json records (one per seed, checked by
    read_run): for every scalar metric its mean, sd, n and 95% interval over seeds (t, interval
    "t, k seeds", clipped to the metric's range); with a single run, the interval is that run's
    own where it has one (metric_low / metric_high: Wilson for accuracies, normal over
    per-sample losses), named by its evaluation_set()."""
    records = sorted(records, key=lambda r: r["hyperparameters"]["seed"])
    task = records[0]["task"]
    names = sorted(set().union(*(scalar_metrics(r) for r in records)) - {n for r in records for n in r
                                                                          if n.endswith(("_low", "_high"))})
    metrics = {}
    for name in names:
        values = [scalar_metrics(r).get(name) for r in records]
        values = [v for v in values if v is not None and math.isfinite(v)]
        entry = _interval(values, _bounds(task, name))
        if len(values) == 1 and f"{name}_low" in records[0]:
            entry.update(low=records[0][f"{name}_low"], high=records[0][f"{name}_high"], interval=evaluation_set(name))
        metrics[name] = entry
    hp = {k: v for k, v in records[0]["hyperparameters"].items() if k != "seed"}
    return {"task": task, "variant": records[0]["variant"],
            "seeds": [r["hyperparameters"]["seed"] for r in records], "hyperparameters": hp, "metrics": metrics}


def mean_history(frames):
    """Per epoch, over the runs' history tables: n (the runs that reached the epoch) and, for every
    numeric column, its mean and 95% t interval (empty where fewer than 2 runs reached the epoch),
    the interval clipped to the column's range (tasks.history_bounds: an accuracy's band within
    [0, 1], a loss's or a norm's at or above 0)."""
    rows = []
    for epoch, group in pd.concat(frames, ignore_index=True).groupby("epoch", sort=True):
        row = {"epoch": int(epoch), "n": len(group)}
        for column in group.columns:
            if column == "epoch" or not pd.api.types.is_numeric_dtype(group[column]):
                continue
            mean, _, low, high = stats.t_interval(group[column].dropna())
            lowest, highest = history_bounds(column)
            if lowest is not None and math.isfinite(low):
                low = max(low, lowest)
            if highest is not None and math.isfinite(high):
                high = min(high, highest)
            row.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def every_seed(mean):
    """The epochs of a mean_history table that every one of its runs reached (n at its maximum): a mean
    curve drawn over them stops where the first seed stopped, instead of jumping to the mean of the
    seeds left (early stopping ends seeds at different epochs)."""
    return mean[mean["n"] == mean["n"].max()] if len(mean) else mean


def _redo(path):
    return f"delete {Path(path).parent} and rerun the workflow"


MAX_METRIC = 2**53               # a number of a run or an aggregate beyond this (say best_epoch 10**20) is implausible


def plausible(value):
    """A finite int or float (not a bool) of size at most MAX_METRIC."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and abs(value) <= MAX_METRIC)


def read_run(path, settings=None):
    """The metrics.json record of a finished run at <task>/<variant>/seed<S>/metrics.json, checked
    against its folder (task, variant, seed; with `settings`, its settings: check_settings) and its
    task's metrics (each a finite number in the metric's range); every other number in it is finite
    and of size at most 2^53, and a run's own interval of a metric (metric_low, metric_high: both,
    or both null) holds the metric. Anything else is one DataError line naming the file and the key."""
    path = Path(path)
    _, task, variant, seed = run_of(path)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: expected the JSON record of a finished run, found {reason(error)}; "
                        f"{_redo(path)}") from None
    if not isinstance(record, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(record).__name__}; {_redo(path)}")
    hp = record.get("hyperparameters")
    found = {"task": record.get("task"), "variant": record.get("variant"),
             "hyperparameters.seed": hp.get("seed") if isinstance(hp, dict) else None}
    for key, expected in (("task", task), ("variant", variant), ("hyperparameters.seed", seed)):
        if found[key] != expected or isinstance(found[key], bool):
            raise DataError(f"{path}: key '{key}': expected {expected!r}, as the run's folder says, found "
                            f"{found[key]!r} (a copied or moved run?); {_redo(path)}")
    if task not in TASKS:
        raise DataError(f"{path}: key 'task': expected one of {', '.join(TASKS)}, found {task!r}")
    check_settings(path, hp, settings)
    for metric in TASKS[task].all_metrics:
        value = record.get(metric.name)
        low, high = metric.bounds
        if not plausible(value):
            raise DataError(f"{path}: key '{metric.name}': expected a finite number of size at most 2^53, found "
                            f"{'no such key' if metric.name not in record else repr(value)[:40]}; {_redo(path)}")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"[{low:g}, {high:g}]" if high is not None else f">= {low:g}"
            raise DataError(f"{path}: key '{metric.name}': expected a value in {span}, found {value!r}; "
                            f"{_redo(path)}")
    checked = set(SKIPPED) | {metric.name for metric in TASKS[task].all_metrics}
    for key, value in record.items():       # every other number the aggregate reads (parameters, steps, ...)
        interval_end, name = key.endswith(("_low", "_high")), key.rsplit("_", 1)[0]
        if interval_end and not {f"{name}_low", f"{name}_high"} <= record.keys():
            raise DataError(f"{path}: keys '{name}_low', '{name}_high': expected both ends of {name}'s interval (or "
                            f"neither), found only '{key}'; {_redo(path)}")
        if key in checked or isinstance(value, (bool, dict, list)) or (interval_end and value is None):
            continue                        # null interval ends: a split too small for an interval
        if not plausible(value):
            raise DataError(f"{path}: key '{key}': expected a finite number of size at most 2^53, found "
                            f"{repr(value)[:40]}; {_redo(path)}")
        if interval_end:                    # a run's own interval holds its value
            mean, low, high = record.get(name), record.get(f"{name}_low"), record.get(f"{name}_high")
            if not all(isinstance(v, (int, float)) for v in (mean, low, high)) or not low <= mean <= high:
                raise DataError(f"{path}: keys '{name}_low', '{name}_high': expected {name}_low <= {name} <= "
                                f"{name}_high, found {low!r} <= {mean!r} <= {high!r}; {_redo(path)}")
    return record


def _same(found, expected):
    """Equal, and a boolean only where a boolean is expected (True == 1 in Python)."""
    if isinstance(expected, dict) and isinstance(found, dict):
        return found.keys() == expected.keys() and all(_same(found[k], v) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(found, list):
        return len(found) == len(expected) and all(map(_same, found, expected))
    return found == expected and isinstance(found, bool) == isinstance(expected, bool)


def check_settings(path, hp, settings):
    """Refuse a run whose own record of its settings (metrics.json's `hyperparameters`, `hp`) is not
    what its folder stands for: settings {root: {variant: settings}} as the workflow passes them
    (the seed aside, which read_run checks against the folder), looked up by the run's root and
    variant; a run copied from an experiment into the baseline (same task, variant and seed)
    would otherwise be averaged in as the baseline's. One DataError line naming the first
    differing key."""
    if not settings:
        return
    folder = Path(path).parent
    by_root = {Path(root): variants for root, variants in settings.items()}
    expected = by_root.get(folder.parents[2], {}).get(folder.parent.name)
    for key in sorted(expected or {}):
        found = hp.get(key, "no such key")
        if key not in hp or not _same(found, expected[key]):
            raise DataError(f"{path}: key 'hyperparameters.{key}': expected {expected[key]!r}, the setting of "
                            f"{folder.parent.name} in {folder.parents[2]} (the run's folder), found "
                            f"{repr(found)[:60] if key in hp else found} (a run copied from another folder, or "
                            f"made with other settings?); {_redo(path)}")


MAX_EPOCHS = 200_000            # the most rows a history.csv can need: the schema's epochs (<= 100,000)
MAX_HISTORY_BYTES = 64 * 2**20  # plus the recurrent fine-tuning's (<= 100,000); nothing beyond is read


def read_history(path, whole=True):
    """A run's history.csv: numbers by a whole epoch in 0..MAX_EPOCHS, or one DataError line. At
    most MAX_EPOCHS rows and MAX_HISTORY_BYTES are read: beyond them, attrs["cut"] is set.
    whole=False, a run still being written: an empty file is no rows yet, a last line without its
    newline is left out, and a cut is no error (whole=True it is: no valid config's run is that long)."""
    advice = f"; {_redo(path)}" if whole else ""        # a live run's file: not for deleting
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_HISTORY_BYTES + 1)
        cut = len(raw) > MAX_HISTORY_BYTES
        if (cut or not whole) and b"\n" in raw:
            raw = raw[:raw.rfind(b"\n") + 1]            # a line cut off here, or still being written
        if whole or raw.strip():
            frame = pd.read_csv(io.BytesIO(raw), nrows=MAX_EPOCHS + 1)
        else:
            frame = pd.DataFrame({"epoch": []})          # a live run's file before its header: no rows yet
    except (OSError, UnicodeDecodeError, ValueError) as error:   # pandas' parser errors are ValueErrors
        raise DataError(f"{path}: expected a run's history table, found {reason(error)}{advice}") from None
    if frame.empty:
        frame = frame.astype(float)                      # a header alone: a run that has just started
    cut = cut or len(frame) > MAX_EPOCHS
    frame = frame.head(MAX_EPOCHS)
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if "epoch" not in frame.columns:
        found = f"no 'epoch' column (columns {', '.join(map(str, frame.columns))})"
    elif text:
        found = f"text in column '{text[0]}'"
    elif not ((frame["epoch"] % 1 == 0) & frame["epoch"].between(0, MAX_EPOCHS)).all():
        found = f"an epoch that is not a whole number from 0 to {MAX_EPOCHS:,}"
    elif cut and whole:
        found = f"more than {MAX_EPOCHS:,} epochs or {MAX_HISTORY_BYTES // 2**20} MiB"
    else:
        frame = frame.astype({"epoch": int})
        frame.attrs["cut"] = cut
        return frame
    raise DataError(f"{path}: expected a run's history table of numbers by epoch, found {found[:120]}{advice}")


def read_aggregate(path):
    """A variant's aggregate.json as write_aggregate wrote it: every metric's mean, sd, n, low and
    high a finite number (of size at most 2^53) or null, its interval a text; or one DataError line."""
    try:
        aggregate_ = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        aggregate_ = error
    if (not isinstance(aggregate_, dict) or not isinstance(aggregate_.get("variant"), str)
            or not isinstance(aggregate_.get("metrics"), dict) or not isinstance(aggregate_.get("seeds"), list)):
        found = reason(aggregate_) if isinstance(aggregate_, Exception) else "no variant, seeds or metrics"
        raise DataError(f"{path}: expected a variant's aggregate (JSON with variant, seeds and metrics), found "
                        f"{found}; delete it and rerun the workflow")
    for name, entry in aggregate_["metrics"].items():
        if not isinstance(entry, dict):
            raise DataError(f"{path}: metric '{name}': expected an object, found {repr(entry)[:40]}; delete it and "
                            "rerun the workflow")
        for key in ("mean", "sd", "n", "low", "high", "interval"):
            value, text = entry.get(key), key == "interval"
            if key not in entry or not (value is None or (isinstance(value, str) if text else plausible(value))):
                expected = "a text" if text else "a finite number of size at most 2^53, or null"
                found = repr(value)[:40] if key in entry else "no such key"
                raise DataError(f"{path}: metric '{name}', key '{key}': expected {expected}, found {found}; delete "
                                "it and rerun the workflow")
    return aggregate_


def read_estimates(path):
    """{metric: {mean, sd, n, low, high, interval}} of an aggregate.json (read_aggregate); a null interval: "none"."""
    metrics = read_aggregate(path)["metrics"]
    return {str(name): {**entry, "interval": entry.get("interval") or "none"} for name, entry in metrics.items()}


def run_estimates(path):
    """The estimates of one run's metrics.json, as the aggregate of that one run gives them."""
    return aggregate([read_run(path)])["metrics"]


def read_scores(path, keys):
    """The arrays `keys` of a run's scores.npz (header-checked), or one DataError line."""
    try:
        return read_npz(path, keys)
    except NPZ_ERRORS as error:
        raise DataError(f"{path}: expected the per-sample scores of a run ({', '.join(keys)}), found "
                        f"{reason(error)}; {_redo(path)}") from None


def read_first_scores(task, paths):
    """{path: arrays} of the first seeds' scores.npz files the paired test-set comparisons read:
    `loss`, and `correct` when an accuracy is compared, all of one length (the same test items)."""
    keys = ["loss"] + (["correct"] if any(m.is_accuracy for m in TASKS[task].compared) else [])
    out, first = {}, None
    for path in paths:
        arrays = read_scores(path, keys)
        sizes = {len(a) for a in arrays.values()}
        first = first or (path, sizes)
        if len(sizes) > 1 or sizes != first[1]:
            raise DataError(f"{path}: expected {', '.join(keys)} of one length, that of {first[0]} "
                            f"({min(first[1])} samples), found lengths {sorted(sizes)}; {_redo(path)}")
        out[path] = arrays
    return out


def write_aggregate(metrics_paths, history_paths, aggregate_path, history_mean_path, settings=None):
    """aggregate.json and history_mean.csv of one variant from its runs' metrics.json and
    history.csv files (each run's settings checked against `settings`: check_settings)."""
    records = [read_run(p, settings) for p in metrics_paths]
    write_json(aggregate_path, _plain(aggregate(records)))
    save_csv(history_mean_path, mean_history([read_history(p) for p in history_paths]))


def flat_settings(hp, prefix=""):
    """The scalar settings of nested hyper-parameters, one column each: {"finetune.epochs": 2, ...}."""
    out = {}
    for key, value in hp.items():
        if isinstance(value, dict):
            out.update(flat_settings(value, f"{prefix}{key}."))
        elif not isinstance(value, list):
            out[f"{prefix}{key}"] = value
    return out


def summary_table(aggregates):
    """One row per variant: variant, seeds, its scalar hyperparameters, then per metric the
    mean, sd, 95% interval and how the interval was computed."""
    rows = []
    for agg in aggregates:
        row = {"variant": agg["variant"], "seeds": len(agg["seeds"])}
        row.update(flat_settings(agg["hyperparameters"]))
        for name, m in agg["metrics"].items():
            key = name if name not in row else f"metric_{name}"
            row.update({key: m["mean"], f"{key}_sd": m["sd"], f"{key}_low": m["low"], f"{key}_high": m["high"],
                        f"{key}_interval": m["interval"]})
        rows.append(row)
    return pd.DataFrame(rows)


def _test_set_comparison(metric, scores_a, scores_b):
    """The paired test on the evaluation set both runs share: McNemar for an accuracy, the
    paired per-sample loss difference otherwise (metric: a nnlab.tasks.Metric)."""
    if metric.is_accuracy:
        r = stats.mcnemar(scores_a["correct"], scores_b["correct"])
        return {"method": "McNemar exact", **_clipped(metric, r)}
    r = stats.paired_mean_difference(scores_a["loss"], scores_b["loss"])
    return {"method": "paired per-sample difference", **_clipped(metric, r)}


def _clipped(metric, r):
    """difference, low, high, p of a test's result, the interval clipped to the range a difference of the
    metric can take (wording.clip_difference: an accuracy's to [-1, 1]), and `clipped` saying whether it was."""
    low, high, clipped = clip_difference(metric, r["low"], r["high"])
    return {"difference": r["difference"], "low": low, "high": high, "clipped": clipped, "p": r["p"]}


def _compare(metric, a, b, runs_a, runs_b, scores_a=None, scores_b=None):
    """One comparison row of `metric` (a nnlab.tasks.Metric), a - b: paired by seed over the seeds
    both have runs of, and on the first seed's evaluation set (the task's evaluation_set) when both
    scores are given. Intervals are clipped to the range a difference of the metric can take."""
    by_seed = [{r["hyperparameters"]["seed"]: scalar_metrics(r).get(metric.name) for r in runs} for runs in (runs_a, runs_b)]
    seeds = sorted(s for s in set(by_seed[0]) & set(by_seed[1]) if by_seed[0][s] is not None and by_seed[1][s] is not None)
    seed = stats.paired_t([by_seed[0][s] for s in seeds], [by_seed[1][s] for s in seeds])
    row = {"question": f"{a} vs {b}: {metric.name}", "metric": metric.name, "a": a, "b": b, "seeds": seed["k"],
           **_clipped(metric, seed)}
    if scores_a is not None and scores_b is not None:
        row.update({f"test_set_{k}": v for k, v in _test_set_comparison(metric, scores_a, scores_b).items()})
    return row


def _holm_and_answers(task, table, mirror=False):
    """p_holm (and test_set_p_holm) over the table's rows, whether each difference is real (Holm-adjusted
    p below stats.ALPHA), the mirrored rows when asked, and the answers."""
    table["p_holm"] = stats.holm(table["p"])
    table["real"] = stats.is_real(table["p_holm"])
    if "test_set_p" in table:
        table["test_set_p_holm"] = stats.holm(table["test_set_p"])
        table["test_set_real"] = stats.is_real(table["test_set_p_holm"])
    if mirror:
        table = pd.concat([table, mirrored(table)], ignore_index=True)
    table["answer"] = [answer(task, row) for row in table.to_dict("records")]
    return table


def comparisons(task, runs, scores):
    """Every pair of variants on every compared metric of the task (nnlab.tasks), in both orders.

    runs: {variant: [metrics.json records, one per seed]}; scores: {variant: scores.npz arrays
    of the first seed's run}. Differences are a - b; seeds pair runs by seed (paired t over
    the seeds both have); the test-set columns compare the first seed's runs on the items they
    share. p_holm and test_set_p_holm are Holm-adjusted within the task, over one order of each
    pair; the row b-vs-a is then a-vs-b mirrored (differences and intervals negated, same p)."""
    rows = [_compare(metric, a, b, runs[a], runs[b], scores.get(a), scores.get(b))
            for metric in TASKS[task].compared for a, b in itertools.combinations(runs, 2)]
    table = pd.DataFrame(rows)
    return table if table.empty else _holm_and_answers(task, table, mirror=True)


def _selection_mean(spec, runs):
    """The mean of the task's selection metric over `runs` (NaN when a run lacks it)."""
    selection = [scalar_metrics(r).get(spec.selection) for r in runs]
    return float(np.mean(selection)) if selection and None not in selection else math.nan


def experiment_comparisons(task, baseline, experiments, sweeps, baseline_points=None):
    """Every experiment's variants against the baseline's runs of the same variant, on every
    compared metric of the task; differences are experiment - baseline, Holm over the table.

    baseline: {variant: (records, first seed's scores or None)}; experiments: {name: {variant:
    (records, scores)}}; sweeps: {name: the sweep it is a point of, or None}; baseline_points:
    {sweep: [variant]}, the variants whose point of the sweep is the baseline's run. Per sweep and
    variant, the point with the best mean of the task's selection metric (a validation metric,
    never the test set) is the winner, the baseline's point included: when it wins, no row does,
    and each row of the sweep and variant says so."""
    spec = TASKS[task]
    rows = []
    for name, variants in experiments.items():
        for variant, (runs, scores) in variants.items():
            a, b = f"{variant} ({name})", f"{variant} (baseline)"
            base_runs, base_scores = baseline.get(variant, ([], None))   # none: a renamed variant
            common = dict(experiment=name, sweep=sweeps.get(name) or "", variant=variant, selected_on=spec.selection,
                          selection_mean=_selection_mean(spec, runs))
            for metric in spec.compared:
                rows.append({**_compare(metric, a, b, runs, base_runs, scores, base_scores), **common})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = _holm_and_answers(task, table)
    _winners(spec, table, baseline, baseline_points or {})
    missing = ~table["variant"].isin(list(baseline))
    table.loc[missing, "answer"] = [f"{v} has no baseline variant of that name: not compared." for v in table.loc[missing, "variant"]]
    columns = ["experiment", "sweep", "variant"] + [c for c in table.columns if c not in ("experiment", "sweep", "variant")]
    return table[columns]


def _winners(spec, table, baseline, baseline_points):
    """table["winner"] and the winner's sentence in the answers: per sweep and variant, the point of
    best mean selection metric, the sweep's point at the baseline's settings (its runs) included."""
    lower = spec.metric(spec.selection).lower_is_better
    table["winner"] = False
    for (sweep, variant), group in table[table["sweep"] != ""].groupby(["sweep", "variant"]):
        candidates = dict(group.groupby("experiment", sort=False)["selection_mean"].first())
        if variant in baseline_points.get(sweep, ()) and variant in baseline:
            candidates[None] = _selection_mean(spec, baseline[variant][0])     # None: the baseline's point
        candidates = {k: v for k, v in candidates.items() if not math.isnan(v)}
        if not candidates:
            continue
        best = (min if lower else max)(candidates, key=candidates.get)
        if best is None:
            table.loc[group.index, "answer"] += (f" The winner of sweep {sweep} for this variant is its point at the "
                                                 f"baseline's settings (the baseline's runs): the best mean "
                                                 f"{spec.metric(spec.selection).label} over its seeds.")
            continue
        won = group.index[group["experiment"] == best]
        table.loc[won, "winner"] = True
        table.loc[won, "answer"] += (f" The winner of sweep {sweep} for this variant: the best mean "
                                     f"{spec.metric(spec.selection).label} over its seeds.")


def mirrored(table):
    """The rows b-vs-a of a table of a-vs-b comparisons: a and b swapped, differences and their
    intervals negated; p-values unchanged."""
    out = table.copy()
    out["a"], out["b"] = table["b"], table["a"]
    out["question"] = [f"{r['b']} vs {r['a']}: {r['metric']}" for r in table.to_dict("records")]
    for prefix in ("", "test_set_"):
        if f"{prefix}difference" in table:
            out[f"{prefix}difference"] = -table[f"{prefix}difference"]
            out[f"{prefix}low"], out[f"{prefix}high"] = -table[f"{prefix}high"], -table[f"{prefix}low"]
    return out


def answer(task, row):
    """The comparison in words and numbers, e.g. 'gru-full is better than lstm-full by 0.9 points
    of test accuracy (95% CI -0.4 to 2.2, p = 0.17, 5 seeds): not distinguishable'. The size is said
    unsigned with the interval of that size (wording.said_difference); 'real' means a Holm-adjusted
    p below stats.ALPHA; the second part compares the first seed's runs on the task's evaluation set."""
    spec = TASKS[task]
    metric, parts = spec.metric(row["metric"]), []
    if row["seeds"] >= stats.MIN_SEEDS and math.isnan(row["p"]):
        parts.append(f"Every one of the {row['seeds']} seeds gave the same difference of {metric.label} "
                     f"({signed(row['difference'], '.4g')}): identical results carry no information about "
                     f"seed-to-seed noise, so there is no p-value (are some runs copies of each other?)")
    elif row["seeds"] >= stats.MIN_SEEDS:
        head, span = said_difference(metric, row["a"], row["b"], row["difference"], row["low"], row["high"],
                                     bool(row.get("clipped", False)))
        parts.append(f"{head} ({span}, {p_text(row['p'])}, {row['seeds']} seeds): "
                     + ("a real difference" if row["real"] else "not distinguishable")
                     + f" ({p_text(row['p_holm'], 'Holm-adjusted p')})")
    else:
        parts.append(f"Too few seeds to say anything about training randomness ({row['seeds']} "
                     f"seed{'s' if row['seeds'] != 1 else ''}; at least {stats.MIN_SEEDS} are needed: "
                     f"--config replicates=5)")
    if not math.isnan(row.get("test_set_p", math.nan)):
        head, span = said_difference(metric, row["a"], row["b"], row["test_set_difference"], row["test_set_low"],
                                     row["test_set_high"], bool(row.get("test_set_clipped", False)))
        parts.append(f"on the {spec.evaluation_set} of the first seed, {head} ({span}, "
                     f"{row['test_set_method']} {p_text(row['test_set_p'])}): "
                     + ("a real difference" if row["test_set_real"] else "not distinguishable")
                     + f" on {'these' if spec.evaluation_set.endswith('s') else 'this'} {spec.evaluation_set}"
                     + f" ({p_text(row['test_set_p_holm'], 'Holm-adjusted p')})")
    return "; ".join(parts) + "."


def write_summary(task, aggregate_paths, metrics_paths, scores_paths, summary_path, comparisons_path, settings=None):
    """summary/<task>.csv and summary/<task>_comparisons.csv from the variants' aggregates, every
    run's metrics.json (its settings checked against `settings`: check_settings) and the first
    seed's scores.npz (the files the summary rule declares)."""
    aggregates = [read_aggregate(p) for p in aggregate_paths]
    runs = {agg["variant"]: [] for agg in aggregates}
    for path in metrics_paths:
        runs[run_of(path)[2]].append(read_run(path, settings))
    scores = {run_of(path)[2]: arrays for path, arrays in read_first_scores(task, scores_paths).items()}
    save_csv(summary_path, summary_table(aggregates))
    save_csv(comparisons_path, comparisons(task, runs, scores))


def write_experiments(task, metrics_paths, scores_paths, sweeps, table_path, forest_path, baseline_points=None,
                      settings=None, config=None):
    """summary/<task>_experiments.csv and its forest plot from every run the experiments rule
    declares: the experiments' and the baseline's (all seeds' metrics.json, their settings checked
    against `settings` (check_settings), first seeds' scores); baseline_points: {sweep: [variant]}
    whose point of the sweep is the baseline's run; config: the one whose variants decide the forest's
    colours (nnlab.colours)."""
    from nnlab.figures import save_forest

    runs, scores = {}, {}
    for path in metrics_paths:
        experiment, _, variant, _ = run_of(path)
        runs.setdefault(experiment, {}).setdefault(variant, []).append(read_run(path, settings))
    for path, arrays in read_first_scores(task, scores_paths).items():
        experiment, _, variant, _ = run_of(path)
        scores.setdefault(experiment, {})[variant] = arrays
    baseline = {v: (records, scores.get(None, {}).get(v)) for v, records in runs.pop(None, {}).items()}
    experiments = {name: {v: (records, scores.get(name, {}).get(v)) for v, records in variants.items()}
                   for name, variants in runs.items()}
    table = experiment_comparisons(task, baseline, experiments, sweeps, baseline_points)
    save_forest(forest_path, table, TASKS[task].key_metric, title=TASKS[task].title, config=config, task=task)
    save_csv(table_path, table)
