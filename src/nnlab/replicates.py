"""From the runs of every variant (one per seed) to what a user compares: per-variant
aggregates, the per-task summary table and every pair of variants compared.

Layout (README, "What the workflow produces"): run r of a variant uses seed `seed + r` and
lives in results/<task>/<variant>/seed<seed + r>/ (params.npz, history.csv, metrics.json,
scores.npz, figures); beside the seed folders, aggregate.json and history_mean.csv; per task,
results/summary/<task>.csv and results/summary/<task>_comparisons.csv. One seed reads the
same way as many.
"""
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab import stats
from nnlab.io import save_csv, write_json
from nnlab.results import _plain

# The metrics compared between variants, per task; the first is the task's key metric.
COMPARED = {
    "autoencoder": ["reconstruction_mse"],
    "language_model": ["test_cross_entropy", "test_accuracy"],
    "recurrent": ["test_accuracy", "test_cross_entropy"],
}
SKIPPED = ("task", "variant", "hyperparameters", "provenance")


def lower_is_better(metric):
    return any(word in metric for word in ("cross_entropy", "mse", "loss", "perplexity"))


def is_accuracy(metric):
    return metric.endswith("accuracy")


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


def _interval(values):
    """The aggregate of one metric over the runs of a variant."""
    mean, sd, low, high = stats.t_interval(values)
    return {"mean": mean, "sd": sd, "n": len(values), "low": low, "high": high}


def aggregate(records):
    """Per-variant aggregate of its runs' metrics.json records (one per seed): for every scalar
    metric its mean, sd, n and 95% interval over seeds (t, interval "t, k seeds"); with a single
    run, the interval is that run's own where it has one (metric_low / metric_high: Wilson for
    accuracies, normal over per-sample losses), named by its evaluation_set()."""
    records = sorted(records, key=lambda r: r["hyperparameters"]["seed"])
    names = sorted(set().union(*(scalar_metrics(r) for r in records)) - {n for r in records for n in r
                                                                          if n.endswith(("_low", "_high"))})
    metrics = {}
    for name in names:
        values = [scalar_metrics(r).get(name) for r in records]
        values = [v for v in values if v is not None and math.isfinite(v)]
        entry = _interval(values)
        if len(values) == 1 and f"{name}_low" in records[0]:
            entry.update(low=records[0][f"{name}_low"], high=records[0][f"{name}_high"], interval=evaluation_set(name))
        else:
            entry["interval"] = f"t, {len(values)} seeds" if len(values) > 1 else "none"
        metrics[name] = entry
    hp = {k: v for k, v in records[0]["hyperparameters"].items() if k != "seed"}
    return {"task": records[0]["task"], "variant": records[0]["variant"],
            "seeds": [r["hyperparameters"]["seed"] for r in records], "hyperparameters": hp, "metrics": metrics}


def mean_history(frames):
    """Per epoch, over the runs' history tables: n and, for every numeric column, its mean and
    95% t interval (empty where fewer than 2 runs reached the epoch)."""
    rows = []
    for epoch, group in pd.concat(frames, ignore_index=True).groupby("epoch", sort=True):
        row = {"epoch": int(epoch), "n": len(group)}
        for column in group.columns:
            if column == "epoch" or not pd.api.types.is_numeric_dtype(group[column]):
                continue
            mean, _, low, high = stats.t_interval(group[column].dropna())
            row.update({f"{column}_mean": mean, f"{column}_low": low, f"{column}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def write_aggregate(metrics_paths, history_paths, aggregate_path, history_mean_path):
    """aggregate.json and history_mean.csv of one variant from its runs' metrics.json and
    history.csv files."""
    records = [json.loads(Path(p).read_text()) for p in metrics_paths]
    write_json(aggregate_path, _plain(aggregate(records)))
    save_csv(history_mean_path, mean_history([pd.read_csv(p) for p in history_paths]))


def summary_table(aggregates):
    """One row per variant: variant, seeds, its scalar hyperparameters, then per metric the
    mean, sd, 95% interval and how the interval was computed."""
    rows = []
    for agg in aggregates:
        row = {"variant": agg["variant"], "seeds": len(agg["seeds"])}
        row.update({k: v for k, v in agg["hyperparameters"].items() if not isinstance(v, (dict, list))})
        for name, m in agg["metrics"].items():
            key = name if name not in row else f"metric_{name}"
            row.update({key: m["mean"], f"{key}_sd": m["sd"], f"{key}_low": m["low"], f"{key}_high": m["high"],
                        f"{key}_interval": m["interval"]})
        rows.append(row)
    return pd.DataFrame(rows)


def _test_set_comparison(metric, scores_a, scores_b):
    """The paired test on the evaluation set both runs share: McNemar for an accuracy, the
    paired per-sample loss difference otherwise."""
    if is_accuracy(metric):
        r = stats.mcnemar(scores_a["correct"], scores_b["correct"])
        return {"method": "McNemar exact", **{k: r[k] for k in ("difference", "low", "high", "p")}}
    r = stats.paired_mean_difference(scores_a["loss"], scores_b["loss"])
    return {"method": "paired per-sample difference", **{k: r[k] for k in ("difference", "low", "high", "p")}}


def comparisons(task, runs, scores):
    """Every pair of variants on every compared metric of the task.

    runs: {variant: [metrics.json records, one per seed]}; scores: {variant: scores.npz arrays
    of the first seed's run}. Differences are a - b; seeds pair runs by seed (paired t over
    the seeds both have); the test-set columns compare the first seed's runs on the items they
    share. p_holm and test_set_p_holm are Holm-adjusted within the task."""
    rows = []
    for metric in COMPARED[task]:
        for a, b in itertools.combinations(runs, 2):
            by_seed = [{r["hyperparameters"]["seed"]: scalar_metrics(r).get(metric) for r in runs[v]} for v in (a, b)]
            seeds = sorted(s for s in set(by_seed[0]) & set(by_seed[1])
                           if by_seed[0][s] is not None and by_seed[1][s] is not None)
            seed = stats.paired_t([by_seed[0][s] for s in seeds], [by_seed[1][s] for s in seeds])
            row = {"question": f"{a} vs {b}: {metric}", "metric": metric, "a": a, "b": b, "seeds": seed["k"],
                   "difference": seed["difference"], "low": seed["low"], "high": seed["high"], "p": seed["p"]}
            if a in scores and b in scores:
                test = _test_set_comparison(metric, scores[a], scores[b])
                row.update({f"test_set_{k}": v for k, v in test.items()})
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = stats.holm(table["p"])
    if "test_set_p" in table:
        table["test_set_p_holm"] = stats.holm(table["test_set_p"])
    table["answer"] = [answer(row) for row in table.to_dict("records")]
    return table


def _amount(metric, value):
    return f"{abs(value) * 100:.1f} points" if is_accuracy(metric) else f"{abs(value):.4g}"


def _signed(value, spec):
    """value formatted by spec, without the sign of a value that rounds to zero ("-0.0")."""
    text = format(value, spec)
    return text.lstrip("-") if float(text) == 0 else text


def _span(metric, low, high):
    if is_accuracy(metric):
        return f"95% CI {_signed(low * 100, '.1f')} to {_signed(high * 100, '.1f')}"
    return f"95% CI {_signed(low, '.4g')} to {_signed(high, '.4g')}"


def _direction(row, difference):
    """'a is better than b' or 'a is worse than b' for a difference a - b of row's metric."""
    better = (difference < 0) if lower_is_better(row["metric"]) else (difference > 0)
    return f"{row['a']} is {'better' if better else 'worse'} than {row['b']}"


def _p(p):
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def answer(row):
    """The comparison in words and numbers, e.g. 'gru-full is better than lstm-full by 0.9 points
    of test_accuracy (95% CI -0.4 to 2.2, p = 0.17, 5 seeds): not distinguishable'. Intervals
    are those of the difference a - b; 'real' means a Holm-adjusted p below 0.05."""
    metric, parts = row["metric"], []
    if row["seeds"] >= stats.MIN_SEEDS and not math.isnan(row["p"]):
        if row["difference"] == 0:
            head = f"{row['a']} and {row['b']} have the same mean {metric}"
        else:
            head = f"{_direction(row, row['difference'])} by {_amount(metric, row['difference'])} of {metric}"
        real = row["p_holm"] < 0.05
        parts.append(f"{head} ({_span(metric, row['low'], row['high'])}, {_p(row['p'])}, {row['seeds']} seeds): "
                     + ("a real difference" if real else "not distinguishable")
                     + f" (Holm-adjusted {_p(row['p_holm'])})")
    else:
        parts.append(f"Too few seeds to say anything about training randomness ({row['seeds']} "
                     f"seed{'s' if row['seeds'] != 1 else ''}; at least {stats.MIN_SEEDS} are needed: "
                     f"--config replicates=5)")
    if not math.isnan(row.get("test_set_p", math.nan)):
        d = row["test_set_difference"]
        head = (f"{row['a']} and {row['b']} are level" if d == 0
                else f"{_direction(row, d)} by {_amount(metric, d)}")
        real = row["test_set_p_holm"] < 0.05
        parts.append(f"on the test set of the first seed, {head} ({_span(metric, row['test_set_low'], row['test_set_high'])}, "
                     f"{row['test_set_method']} {_p(row['test_set_p'])}): "
                     + ("a real difference" if real else "not distinguishable") + " on this test set"
                     + f" (Holm-adjusted {_p(row['test_set_p_holm'])})")
    return "; ".join(parts) + "."


def write_summary(task, aggregate_paths, summary_path, comparisons_path, first_seed):
    """summary/<task>.csv and summary/<task>_comparisons.csv from the variants' aggregates and
    their runs' folders (seed<s>/metrics.json; the first seed's scores.npz)."""
    aggregates = [json.loads(Path(p).read_text()) for p in aggregate_paths]
    runs, scores = {}, {}
    for path, agg in zip(aggregate_paths, aggregates):
        folder = Path(path).parent
        runs[agg["variant"]] = [json.loads((folder / f"seed{s}" / "metrics.json").read_text()) for s in agg["seeds"]]
        first = folder / f"seed{first_seed}" / "scores.npz"
        if first.exists():
            with np.load(first, allow_pickle=False) as data:
                scores[agg["variant"]] = {k: data[k] for k in data.files}
    save_csv(summary_path, summary_table(aggregates))
    save_csv(comparisons_path, comparisons(task, runs, scores))
