"""The Streamlit results browser (app.py) on small synthetic results that follow the results
contract: every page, missing / partial / corrupt results, and both live predictions.

`write_results` builds the fixture folder; test_app_e2e.py reuses it.
"""
import contextlib
import functools
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nnlab import colours, tasks
from nnlab.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
TINY_CONFIG = ROOT / ".test" / "config.yaml"
PAGES = "src/nnlab/app/pages"
WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "."]
CLASSES = ["downstairs", "jogging", "sitting", "standing", "upstairs", "walking"]
LM_FALLBACK = {"d4-p8": {"embedding_dim": 4, "hidden": 8}, "d2-p6": {"embedding_dim": 2, "hidden": 6}}
REC_FALLBACK = {"lstm-full": {"cell": "lstm", "truncation": None}, "gru-tbptt5": {"cell": "gru", "truncation": 5}}


# ------------------------------------------------------------------------ the fixture


def _png(path, seed=0, size=24):
    from PIL import Image

    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((rng.random((size, size, 3)) * 255).astype(np.uint8)).save(path)


def _json(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2))


def _history(path, epochs, accuracy=False, extra=None, scale=1.0):
    rows = []
    for e in range(1, epochs + 1):
        row = {"epoch": e, "train_loss": 2.0 * scale / e, "val_loss": 2.2 * scale / e,
               "train_accuracy": 0.5 + 0.04 * e / scale if accuracy else None,
               "val_accuracy": 0.45 + 0.04 * e / scale if accuracy else None, "seconds": 0.1}
        row.update({k: v * scale / e for k, v in (extra or {}).items()})
        rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)


def _log(results, task, variant, lines, age=0.0, seed=0):
    path = results / "logs" / task / variant / f"seed{seed}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"12:00:0{i % 10} {line}\n" for i, line in enumerate(
        [f"rule {task}_train: threads 1", *lines])))
    if age:
        old = time.time() - age
        os.utime(path, (old, old))
    return path


def _variants(config, function, fallback):
    from nnlab import variants

    try:
        found = getattr(variants, function)(config)
    except (AttributeError, KeyError, TypeError):
        found = None
    return dict(found) if found else dict(fallback)


def _write_data(results, words=WORDS):
    data = results / "data"
    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.savez(data / "patches.npz", x=rng.uniform(0.1, 0.9, (40, 256)).astype(np.float32))
    _png(data / "patches_rgb.png", 1)
    _png(data / "patches_normalized.png", 2)
    V = len(words)
    tri = {}
    for split, n in (("train", 300), ("val", 40), ("test", 40)):
        tri[f"x_{split}"] = rng.integers(0, V, (n, 3))
        tri[f"y_{split}"] = rng.integers(0, V, n)
    tri["x_test"][0] = [0, 1, 2]            # "the cat sat" -> "on", a known test trigram
    tri["y_test"][0] = 3
    np.savez(data / "trigrams.npz", words=np.array(words), **tri)
    act = {}
    for split, n in (("train", 36), ("val", 12), ("test", 18)):
        act[f"x_{split}"] = rng.standard_normal((n, 20, 3)).astype(np.float32)
        act[f"y_{split}"] = np.arange(n) % len(CLASSES)
    np.savez(data / "activity.npz", classes=np.array(CLASSES), mean=np.zeros(3, np.float32),
             sd=np.ones(3, np.float32), **act)


def _scores(rng, n, accuracy=None, loss=1.0):
    """scores.npz arrays of one run on n test items: per-item losses (mean about `loss`) and,
    for a classifier, whether each item was right."""
    arrays = {"loss": rng.gamma(4.0, loss / 4.0, n).astype(np.float32)}
    if accuracy is not None:
        arrays["correct"] = rng.random(n) < accuracy
    return arrays


def _run(results, task, name, seed, metrics, scores, files):
    """One done run: files(folder) writes its own files, then scores.npz and metrics.json (with
    every metric of the task in nnlab.tasks: those `metrics` does not set at a plausible value)."""
    from nnlab.tasks import TASKS

    folder = results / task / name / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    files(folder)
    np.savez(folder / "scores.npz", **scores)
    rest = {m.name: 0.5 if m.is_accuracy else 1 + seed / 10 for m in TASKS[task].all_metrics if m.name not in metrics}
    _json(folder / "metrics.json", {"task": task, "variant": name, **rest, **metrics})
    return folder / "metrics.json"


def _aggregate(results, task, runs, seeds):
    """aggregate.json and history_mean.csv of every variant whose runs are all done, then the
    task's summary and comparisons tables: written by nnlab.replicates, as the workflow does."""
    from nnlab import replicates
    from nnlab.io import save_csv

    aggregates, records, scores = [], {}, {}
    for name, paths in runs.items():
        if len(paths) == len(seeds):
            folder = results / task / name
            replicates.write_aggregate(paths, [p.parent / "history.csv" for p in map(Path, paths)], folder / "aggregate.json",
                                       folder / "history_mean.csv")
            aggregates.append(json.loads((folder / "aggregate.json").read_text()))
            records[name] = [json.loads(Path(p).read_text()) for p in paths]
            with np.load(Path(paths[0]).parent / "scores.npz") as data:
                scores[name] = {k: data[k] for k in data.files}
    summary = results / "summary"
    save_csv(summary / f"{task}.csv", replicates.summary_table(aggregates))
    save_csv(summary / f"{task}_comparisons.csv", replicates.comparisons(task, records, scores))


def _write_autoencoder(results, config, seeds):
    from nnlab import variants
    from nnlab.results import mean_with_interval

    task = "autoencoder"
    sweep, grid = variants.autoencoder_sweep(config), variants.autoencoder_grid(config)
    names = list(sweep) + list(grid)
    chosen_name = list(sweep)[0]
    chosen = sweep[chosen_name]
    running, failed, not_started = names[-1], names[-2], names[-3] if len(names) > 3 else None
    runs = {}
    for i, name in enumerate(names):
        hp = dict(sweep.get(name) or grid[name])
        if hp.get("beta") is None:
            hp.update(beta=chosen["beta"], rho=chosen["rho"], sparsity_from="sweep selection")
        if name == not_started:
            continue
        for r, seed in enumerate(seeds):
            last = r == len(seeds) - 1
            folder = results / task / name / f"seed{seed}"
            if name == failed and last:
                _log(results, task, name, ["loading patches", "error: diverged at epoch 3: training loss became nan"],
                     seed=seed)
                continue
            _history(folder / "history.csv", 2 if name == running and last else hp["epochs"], scale=1 + r / 20)
            _log(results, task, name, ["epoch 1/2  train_loss 2.0", "epoch 2/2  train_loss 1.0"], seed=seed)
            if name == running and last:
                continue
            rng = np.random.default_rng(1000 * i + seed)

            def files(folder, hp=hp, rng=rng, i=i):
                np.savez(folder / "params.npz", W1=rng.standard_normal((256, hp["hidden"])).astype(np.float32),
                         b1=np.zeros(hp["hidden"], np.float32), W2=np.zeros((hp["hidden"], 256), np.float32),
                         b2=np.zeros(256, np.float32))
                for fig in ("features", "curves", "reconstructions"):
                    _png(folder / f"{fig}.png", i)

            scores = _scores(rng, 40, loss=0.01 + i / 1000)
            m = {"hyperparameters": {**hp, "seed": seed}, "epochs_run": hp["epochs"], "best_epoch": hp["epochs"],
                 "stopped_early": False, "seconds_per_epoch": 0.1, "loss": 1.0 + i / 10 + seed / 100,
                 **mean_with_interval("reconstruction_mse", scores["loss"]), "mean_activation": hp["rho"] * 1.05,
                 "activation_relative_error": 0.05}
            runs.setdefault(name, []).append(_run(results, task, name, seed, m, scores, files))
    candidates = [{"variant": n, "beta": sweep[n]["beta"], "rho": sweep[n]["rho"],
                   "reconstruction_mse": 0.02 - 0.001 * j, "mean_activation": sweep[n]["rho"],
                   "activation_relative_error": 0.05, "qualified": True} for j, n in enumerate(sweep)]
    _json(results / task / "selection.json", {"criterion": "lowest held-out reconstruction MSE", "tolerance": 0.5,
                                              "chosen": candidates[0], "candidates": candidates})
    _png(results / task / "grid_features.png", 9)
    _aggregate(results, task, runs, seeds)
    return {"running": running, "failed": failed, "not_started": not_started, "chosen": chosen_name}


def _write_language_model(results, config, seeds, words=WORDS):
    from nnlab.models.language_model import LanguageModel
    from nnlab.results import accuracy_with_interval, mean_with_interval

    task = "language_model"
    names = _variants(config, "language_model_variants", LM_FALLBACK)
    runs = {}
    for i, (name, hp) in enumerate(names.items()):
        hp = dict(hp)
        D = int(hp.get("embedding_dim", hp.get("D", 4)))
        P = int(hp.get("hidden", hp.get("P", 8)))
        for r, seed in enumerate(seeds):
            model = LanguageModel(len(words), D, P, order_aware=bool(hp.get("order_aware")), init_std=0.5,
                                  seed=100 * i + seed, words=words)

            def files(folder, model=model, i=i, r=r):
                np.savez(folder / "params.npz", **model.save_arrays())
                _history(folder / "history.csv", 3, accuracy=True, scale=1 + i / 5 + r / 20)
                _png(folder / "curves.png", i)
                predictions = [[s + 1, s, *trigram, true, 2, k + 1, WORDS[(k + s) % len(WORDS)], 0.3 / (k + 1)]
                               for s, (trigram, true) in enumerate([(["the", "cat", "sat"], "on"),
                                                                    (["a", "dog", "ran"], "to")])
                               for k in range(10)]
                pd.DataFrame(predictions, columns=["sample", "test_index", "word1", "word2", "word3", "true_word",
                                                   "true_rank", "rank", "candidate", "probability"]).to_csv(
                    folder / "predictions.csv", index=False)

            _log(results, task, name, ["epoch 3/3"], seed=seed)
            rng = np.random.default_rng(100 * i + seed)
            scores = _scores(rng, 40, accuracy=0.19 + 0.05 * i, loss=2.2 - 0.1 * i)
            top10 = rng.random(40) < 0.8
            m = {"hyperparameters": {**hp, "seed": seed}, "epochs_run": 3, "best_epoch": 3, "seconds_per_epoch": 0.1,
                 "val_cross_entropy": 2.1 - 0.1 * i + 0.01 * r, "val_accuracy": 0.2 + 0.01 * r,
                 **mean_with_interval("test_cross_entropy", scores["loss"]),
                 **accuracy_with_interval("test_accuracy", scores["correct"]),
                 **accuracy_with_interval("test_top10_accuracy", top10)}
            runs.setdefault(name, []).append(_run(results, task, name, seed, m, scores, files))
    _png(results / task / "embedding_map.png", 5)
    pd.DataFrame({"word": words, "x": np.cos(np.arange(len(words))), "y": np.sin(np.arange(len(words)))}).to_csv(
        results / task / "embedding_map.csv", index=False)
    _aggregate(results, task, runs, seeds)
    return list(names)


def _write_recurrent(results, config, seeds):
    from nnlab.models.recurrent import RecurrentClassifier
    from nnlab.results import accuracy_with_interval, mean_with_interval

    task = "recurrent"
    names = _variants(config, "recurrent_variants", REC_FALLBACK)
    runs = {}
    for i, (name, hp) in enumerate(names.items()):
        hp = dict(hp)
        for r, seed in enumerate(seeds):
            model = RecurrentClassifier(hp.get("cell", "lstm"), 3, 5, [4], len(CLASSES), seed=100 * i + seed,
                                        classes=CLASSES)

            def files(folder, model=model, i=i, r=r):
                np.savez(folder / "params.npz", **model.save_arrays())
                _history(folder / "history.csv", 3, accuracy=True, extra={"grad_norm": 0.5}, scale=1 + i / 5 + r / 20)
                steps = np.arange(1, 21)
                pd.DataFrame({"epoch": 3, "step": steps, "norm": 0.9 ** (20 - steps) / (1 + i)}).to_csv(
                    folder / "grad_steps.csv", index=False)              # per-step gradient norms
                counts = np.diag(np.full(len(CLASSES), 3)) + 1
                for split in ("train", "test"):
                    table = pd.DataFrame(counts, columns=CLASSES)
                    table.insert(0, "true", CLASSES)                 # the layout nnlab.experiments.recurrent writes
                    table.to_csv(folder / f"confusion_{split}.csv", index=False)
                    _png(folder / f"confusion_{split}.png", i)

            _log(results, task, name, ["epoch 3/3"], seed=seed)
            rng = np.random.default_rng(100 * i + seed)
            scores = _scores(rng, 18, accuracy=0.5 + 0.06 * i, loss=1.2 - 0.1 * i)
            per_class = {c: round(0.4 + 0.1 * j, 2) for j, c in enumerate(CLASSES)}
            m = {"hyperparameters": {**hp, "seed": seed}, "epochs_run": 3, "best_epoch": 2, "seconds_per_epoch": 0.1,
                 "val_cross_entropy": 1.2 + 0.01 * r, "val_accuracy": 0.6 + 0.01 * r, "train_accuracy": 0.7,
                 **mean_with_interval("test_cross_entropy", scores["loss"]),
                 **accuracy_with_interval("test_accuracy", scores["correct"]), "classes": CLASSES,
                 "train_precision": per_class, "train_recall": per_class, "train_f1": per_class,
                 "test_precision": {**per_class, "sitting": None}, "test_recall": per_class,  # 'sitting' never
                 "test_f1": {**per_class, "sitting": 0.0}}                                    # predicted
            runs.setdefault(name, []).append(_run(results, task, name, seed, m, scores, files))
    _aggregate(results, task, runs, seeds)
    return list(names)


def _schema_knows(key):
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    return key in schema.get("properties", {})


def write_experiment(results, task="recurrent", name="lr-e2e", shift=0.01):
    """A synthetic named experiment over `results` (write_results'): every done run of the task's
    first two variants copied to results/experiments/<name>/, each metric of the task moved by
    `shift` times 1, 2, ... (one per seed), then summary/<task>_experiments.csv and its forest plot written by nnlab.replicates,
    as rule experiments does. Returns the experiment's variants."""
    import shutil

    from nnlab import replicates
    from nnlab.tasks import experiment_dir, experiments_file, forest_file

    variants = sorted(p.parent.name for p in (results / task).glob("*/aggregate.json"))[:2]
    metrics, scores = [], []
    for variant in variants:
        for k, run in enumerate(sorted((results / task / variant).glob("seed*"))):
            if not (run / "metrics.json").exists():
                continue
            copy = Path(experiment_dir(results, name)) / task / variant / run.name
            shutil.copytree(run, copy)
            record = json.loads((copy / "metrics.json").read_text())
            for metric in tasks.TASKS[task].metrics:
                if isinstance(record.get(metric.name), (int, float)):
                    moved = record[metric.name] + shift * (1 + k)          # a different change per seed
                    record[metric.name] = min(max(moved, 0.0), 1.0 if metric.is_accuracy else 1e9)
            (copy / "metrics.json").write_text(json.dumps(record))
            metrics.append(copy / "metrics.json")
            scores += [copy / "scores.npz"] if run.name == sorted((results / task / variant).glob("seed*"))[0].name else []
        shutil.copy(results / task / variant / "history_mean.csv", copy.parent / "history_mean.csv")
        metrics += sorted((results / task / variant).glob("seed*/metrics.json"))
        scores.append(sorted((results / task / variant).glob("seed*/scores.npz"))[0])
    replicates.write_experiments(task, metrics, scores, {name: None}, experiments_file(results, task),
                                 forest_file(results, task))
    return variants


def write_results(folder, words=WORDS, seeds=1, config=None):
    """Synthetic results in the workflow's layout (one folder per run: results/<task>/<variant>/
    seed<S>/, replicate r with seed + r) for the variants of a config (names from nnlab.variants):
    data, autoencoder (done, running, failed and not-started variants; with several seeds the
    running and failed ones have their other seeds done), language model and recurrent variants
    with real params.npz and scores.npz; aggregate.json, history_mean.csv and the summary and
    comparisons tables written by nnlab.replicates from them. `words`: the vocabulary; `seeds`:
    runs per variant; `config`: the config file (default: the tiny one with a 3 x 1 grid).
    Returns (results folder, config path, info)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results"
    tiny = config is None
    config = yaml.safe_load(Path(config or TINY_CONFIG).read_text())
    if tiny:
        config["autoencoder"]["grid"]["hidden"] = [4, 9, 16]    # five variants: room for every state
    if seeds > 1 or _schema_knows("replicates"):
        config["replicates"] = seeds
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    run_seeds = [config["seed"] + r for r in range(seeds)]
    _write_data(results, words)
    info = _write_autoencoder(results, config, run_seeds)
    info["language_model"] = _write_language_model(results, config, run_seeds, words)
    info["recurrent"] = _write_recurrent(results, config, run_seeds)
    info["seeds"] = run_seeds
    info["claims"] = write_claims(results, run_seeds)
    return results, config_path, info


def write_claims(results, seeds):
    """summary/claims.csv and its figures, written by nnlab.claims from the recurrent runs copied into the
    report's root (results/report/) and the baseline; returns the claims table."""
    from nnlab import claims, claims_figures

    report = Path(tasks.report_dir(results))
    shutil.copytree(results / "recurrent", report / "recurrent", dirs_exist_ok=True)
    roots = {"course": str(report), "tuned": str(results)}
    (results / "summary" / "claims").mkdir(parents=True, exist_ok=True)
    claims_figures.draw_all(roots, seeds, {n: tasks.claims_figure(results, n) for n in claims.FIGURES})
    return claims.write(roots, seeds, tasks.claims_file(results))


def run_folder(results, task, variant, seed=0):
    return results / task / variant / f"seed{seed}"


def corrupt(results, info):
    """Damage one file of each kind, in place (the first variant of each task is the one each
    page shows by default)."""
    ae = sorted(p for p in (results / "autoencoder").iterdir() if (p / "seed0" / "metrics.json").exists())
    (ae[0] / "aggregate.json").write_text('{"task": "autoencoder", "varia')        # truncated JSON
    (ae[1] / "seed0" / "features.png").write_bytes((ae[1] / "seed0" / "features.png").read_bytes()[:60])  # truncated
    (ae[1] / "seed0" / "history.csv").write_text("not,a,history\n1,2,3\n")
    (results / "autoencoder" / "selection.json").write_text("[1, 2")
    (results / "summary" / "autoencoder.csv").write_bytes(b"\x00\xff\xfe garbage \x00\n\x01")
    (results / "summary" / "recurrent_comparisons.csv").write_text('a,b\n"unterminated,1\n')
    (results / "data" / "patches.npz").write_bytes(b"PK\x03\x04 truncated")
    (results / "data" / "patches_rgb.png").write_text("not a png")
    np.savez(results / "data" / "trigrams.npz", words=np.array([object()], dtype=object))  # needs pickle
    lm_variants = [run_folder(results, "language_model", n) for n in info["language_model"]]
    data = (lm_variants[0] / "params.npz").read_bytes()
    (lm_variants[0] / "params.npz").write_bytes(data[: len(data) // 2])
    (lm_variants[0] / "predictions.csv").write_text('a,b\n"unterminated,1\n')
    rec = [run_folder(results, "recurrent", n) for n in info["recurrent"]]
    (rec[0] / "confusion_test.csv").write_text("a,b,c\n1,2,3\n")
    np.savez(rec[-1] / "params.npz", Wx=np.zeros((3, 7)), Wh=np.zeros((5, 7)), b=np.zeros(7))


# ------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return write_results(tmp_path_factory.mktemp("app"))


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    results, config, info = write_results(tmp_path_factory.mktemp("app-corrupt"))
    corrupt(results, info)
    return results, config, info


TASK_PAGES = tuple(tasks.TASKS)


def task_script(task):
    """A task's page as app.py registers it (st.Page(partial(task_page.render, task)))."""
    from nnlab.app import task_page

    task_page.render(task)


def run_page(results, config, page=None, setup=None, monkeypatch=None, timeout=60):
    """AppTest of app.py on `page` (None: the Overview; "data"; or a task's page, drawn by
    task_page.render as app.py's navigation does); config None: the app's default."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NNLAB_RESULTS", str(results))
    if config is None:
        monkeypatch.delenv("NNLAB_CONFIG", raising=False)
    else:
        monkeypatch.setenv("NNLAB_CONFIG", str(config))
    if page in TASK_PAGES:
        at = AppTest.from_function(task_script, args=(page,), default_timeout=timeout)
    else:
        at = AppTest.from_file(str(APP), default_timeout=timeout)
        if page:                                   # pages keep their file names as URL paths
            at.switch_page(f"{PAGES}/{page}.py")
    at.run()
    if setup:
        setup(at)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def plain(markdown):
    """Markdown text as shown: backslash escapes removed (the app escapes text from files)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(markdown)).replace("\u2060", "")


def texts(at, kinds=("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "code")):
    return "\n".join(plain(e.value) if kind != "code" else str(e.value) for kind in kinds for e in getattr(at, kind))


def frames(at):
    """The data of every st.dataframe and st.table."""
    return [d.value for d in at.dataframe] + [t.value for t in at.table]


def other_warnings(at):
    """Warnings other than the comparison panel's "too few seeds" (expected with one seed)."""
    return [str(w.value) for w in at.warning if not str(w.value).startswith("Too few seeds")]


def charts(at):
    """The Altair charts on the page, each with its data ({"spec": ..., "data": frame or None})."""
    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        datasets = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
        title = spec.get("title")
        out.append({"spec": spec, "data": datasets[0] if datasets else None,
                    "title": str(title.get("text") if isinstance(title, dict) else title)})
    return out


def colour_of(spec, name):
    """The colour a chart gives the variant `name`: from the domain and range of its colour, stroke or fill scale."""
    for layer in spec.get("layer", [spec]):
        for channel in ("color", "stroke", "fill"):
            scale = (layer.get("encoding", {}).get(channel) or {}).get("scale") or {}
            if name in scale.get("domain", []):
                return scale["range"][scale["domain"].index(name)]
    return None


def marks(spec):
    kind = [layer["mark"] for layer in spec.get("layer", [])] or [spec["mark"]]
    return [m["type"] if isinstance(m, dict) else m for m in kind]


def column_formats(at, column):
    """{column: format} that st.column_config gives the numbers of every st.dataframe having `column`."""
    return [{name: c.get("type_config", {}).get("format") for name, c in json.loads(d.proto.columns).items()}
            for d in at.dataframe if column in d.value.columns]


BOARDS = {"autoencoder": 0, "language_model": 1, "recurrent": 2}


def board(at, task="autoencoder", raw=False):
    """The Overview's status table of a task (folded under its progress bar), its cells as
    shown, or as written."""
    table = at.table[BOARDS[task]].value
    return table if raw else table.map(plain)


# ------------------------------------------------------------------ pure helpers


def test_settings_precedence(tmp_path):
    from nnlab.app.settings import resolve

    default = resolve(tmp_path, [], {})
    assert default.results == tmp_path / "results" and default.config == tmp_path / "config.yaml"
    assert default.refresh == 3.0
    env = resolve(tmp_path, [], {"NNLAB_RESULTS": "/x/r", "NNLAB_CONFIG": "/x/c.yaml", "NNLAB_REFRESH": "7"})
    assert env.results == Path("/x/r") and env.config == Path("/x/c.yaml") and env.refresh == 7
    cli = resolve(tmp_path, ["--results", "/y/r", "--refresh", "2"], {"NNLAB_RESULTS": "/x/r", "NNLAB_REFRESH": "x"})
    assert cli.results == Path("/y/r") and cli.refresh == 2


def test_without_config_the_results_folders_own_config_is_read(tmp_path):
    """The workflow writes the effective config into the results folder: the app lists its variants."""
    from nnlab.app.settings import resolve

    (tmp_path / "results").mkdir()
    assert resolve(tmp_path, [], {}).config == tmp_path / "config.yaml"         # none there: beside app.py
    (tmp_path / "results" / "config.yaml").write_text("# The configuration this run used\nseed: 0\n")
    assert resolve(tmp_path, [], {}).config == tmp_path / "results" / "config.yaml"
    assert resolve(tmp_path, ["--config", "/c.yaml"], {}).config == Path("/c.yaml")
    assert resolve(tmp_path, [], {"NNLAB_CONFIG": "/e.yaml"}).config == Path("/e.yaml")


@pytest.mark.parametrize("argv, environ, message", [
    ([], {"NNLAB_REFRESH": "nan"}, "NNLAB_REFRESH: expected a positive number of seconds, found 'nan'"),
    ([], {"NNLAB_REFRESH": "inf"}, "NNLAB_REFRESH: expected a positive number of seconds, found 'inf'"),
    ([], {"NNLAB_REFRESH": "soon"}, "NNLAB_REFRESH: expected a positive number of seconds, found 'soon'"),
    (["--refresh", "-1"], {}, "--refresh: expected a positive number of seconds, found '-1'"),
    (["--refresh", "NaN"], {"NNLAB_REFRESH": "5"}, "--refresh: expected a positive number of seconds, found 'NaN'"),
])
def test_a_setting_that_is_not_a_finite_number_is_refused_by_name(tmp_path, argv, environ, message):
    from nnlab.app.settings import resolve
    from nnlab.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        resolve(tmp_path, argv, environ)
    assert str(error.value) == message


def test_the_app_says_in_one_line_which_setting_it_refuses(synthetic, monkeypatch):
    results, config, _ = synthetic
    monkeypatch.setenv("NNLAB_REFRESH", "nan")
    at = run_page(results, config, monkeypatch=monkeypatch)
    assert [plain(e.value) for e in at.error] == ["NNLAB_REFRESH: expected a positive number of seconds, found 'nan'"]
    assert "checked every nan" not in texts(at) and not at.table


def run_job(log, job, rule="x_train"):
    """runner.run(job) as a workflow script runs it, writing `log`."""
    from types import SimpleNamespace

    from nnlab import runner

    with contextlib.suppress(SystemExit, ValueError):
        runner.run(SimpleNamespace(log=[str(log)], rule=rule, threads=1), job)


def test_job_state_is_read_with_the_runners_own_definition(tmp_path):
    """The runner writes the lines the app reads: a user error's one line, an unexpected
    failure's type and message, and only the latest attempt counts."""
    from nnlab.status import run_state
    from nnlab.errors import DataError

    def variant_state(results, task, variant):
        return run_state(results, task, variant, 0)

    log = tmp_path / "logs" / "t" / "a" / "seed0.log"
    log.parent.mkdir(parents=True)

    def bad_data(write):
        write("epoch 1/5  validation error 0.3")
        raise DataError("data.h5: key 'x': expected 3 dimensions, found 2")

    run_job(log, bad_data)
    failed = variant_state(tmp_path, "t", "a")
    assert failed.state == "failed" and failed.detail == "data.h5: key 'x': expected 3 dimensions, found 2"
    assert failed.log_tail[0] == "rule x_train: threads 1"
    run_job(log, lambda write: write("epoch 1/5"))                     # a rerun that is still going
    assert variant_state(tmp_path, "t", "a").state == "running"
    run_job(log, lambda write: int("nan"))
    crashed = variant_state(tmp_path, "t", "a")
    assert crashed.state == "failed" and crashed.detail.startswith("unexpected failure: ValueError: invalid literal")
    assert any("Traceback" in line for line in crashed.log_tail)


def test_a_job_killed_with_kill_9_shows_as_interrupted(tmp_path):
    script = (f"from types import SimpleNamespace; import time; from nnlab import runner\n"
              f"def job(log):\n"
              f"    open({str(tmp_path / 't' / 'a' / 'seed3' / 'history.csv')!r}, 'w').write('epoch,seconds\\n1,0.1\\n')\n"
              f"    log('epoch 1/5'); print('started', flush=True); time.sleep(60)\n"
              f"runner.run(SimpleNamespace(log=[{str(tmp_path / 'logs' / 't' / 'a' / 'seed3.log')!r}], rule='x_train', "
              f"threads=1), job)\n")
    from nnlab.status import variant_state

    (tmp_path / "t" / "a" / "seed3").mkdir(parents=True)
    (tmp_path / "logs" / "t" / "a").mkdir(parents=True)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "started"
        running = variant_state(tmp_path, "t", "a", seeds=[2, 3])
        assert running.state == "running" and running.seeds == [2, 3] and running.seeds_done == "0/2"
        assert running.detail.startswith("seed 3: ")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    old = time.time() - 3600
    for path in (tmp_path / "t" / "a" / "seed3" / "history.csv", tmp_path / "logs" / "t" / "a" / "seed3.log"):
        os.utime(path, (old, old))
    interrupted = variant_state(tmp_path, "t", "a", seeds=[2, 3])
    assert interrupted.state == "interrupted" and "seed 3: history.csv stopped at epoch 1" in interrupted.detail
    history = tmp_path / "t" / "a" / "seed3" / "history.csv"
    history.write_text("epoch,seconds\n1,lots\n")
    os.utime(history, (old, old))
    damaged = variant_state(tmp_path, "t", "a", seeds=[2, 3])           # says so, not "epoch 0"
    assert damaged.state == "interrupted" and damaged.detail == (
        "seed 3: history.csv unreadable: expected a run's history table of numbers by epoch, found text in column "
        "'seconds'")


def test_variant_states(tmp_path):
    from nnlab.status import run_state

    results = tmp_path
    assert run_state(results, "t", "a", 0).state == "not started"
    _history(results / "t" / "a" / "seed0" / "history.csv", 2)
    _log(results, "t", "a", ["epoch 2/5"])
    running = run_state(results, "t", "a", 0, {"epochs": 5})
    assert running.state == "running" and running.epochs_done == 2 and "epoch 2 of 5" in running.detail
    old = time.time() - 3600
    for p in (results / "t" / "a" / "seed0" / "history.csv", results / "logs" / "t" / "a" / "seed0.log"):
        os.utime(p, (old, old))
    assert run_state(results, "t", "a", 0).state == "interrupted"
    _log(results, "t", "a", ["error: diverged at epoch 3"])
    failed = run_state(results, "t", "a", 0)
    assert failed.state == "failed" and "diverged" in failed.detail and failed.log_tail
    _json(results / "t" / "a" / "seed0" / "metrics.json", {})
    assert run_state(results, "t", "a", 0).state == "done"


def test_a_variant_is_done_when_every_seed_is(tmp_path):
    """A variant over its runs: the config's seeds and any seed folder found; done when all are."""
    from nnlab.status import variant_state

    for seed in (0, 1):
        _json(tmp_path / "t" / "a" / f"seed{seed}" / "metrics.json", {})
    partial = variant_state(tmp_path, "t", "a", seeds=[0, 1, 2])
    assert (partial.state, partial.seeds_done, partial.done_seeds) == ("not started", "2/3", [0, 1])
    _json(tmp_path / "t" / "a" / "seed2" / "metrics.json", {})
    assert variant_state(tmp_path, "t", "a", seeds=[0, 1, 2]).state == "done"
    _json(tmp_path / "t" / "a" / "seed7" / "metrics.json", {})           # a seed the config does not list
    fewer = variant_state(tmp_path, "t", "a", seeds=[0, 1])              # replicates lowered from 3 to 2
    assert (fewer.state, fewer.seeds, fewer.seeds_done, fewer.unused) == ("done", [0, 1], "2/2", [2, 7])
    assert fewer.detail == "not used by the config: seed2, seed7"
    moved = variant_state(tmp_path, "t", "a", seeds=[8, 9])              # seed=8 replicates=2 on the old runs
    assert (moved.state, moved.seeds_done, moved.unused) == ("not started", "0/2", [0, 1, 2, 7])
    assert variant_state(tmp_path, "t", "a").seeds_done == "4/4"          # no config: the folders there are
    _log(tmp_path, "t", "a", ["error: diverged"], seed=3)
    failed = variant_state(tmp_path, "t", "a", seeds=[0, 1, 2, 3])
    assert failed.state == "failed" and failed.detail.startswith("seed 3: diverged; ") and failed.seeds_done == "3/4"


def test_the_overview_counts_the_configs_seeds_and_lists_other_seed_folders(tmp_path, monkeypatch):
    """Issue 20 (9): runs with 3 seeds, then the config lowered to 2 replicates."""
    results, config, info = write_results(tmp_path, seeds=3)
    lowered = yaml.safe_load(config.read_text()) | {"replicates": 2}
    config.write_text(yaml.safe_dump(lowered))
    at = run_page(results, config, monkeypatch=monkeypatch)
    table = board(at, "recurrent").set_index("variant")
    assert set(table["seeds done"]) == {"2/2"}
    assert table["note"].str.contains("not used by the config: seed2").all()
    config.write_text(yaml.safe_dump(lowered | {"seed": 2}))            # seeds 2 and 3 on the seed-0 runs
    table = board(run_page(results, config, monkeypatch=monkeypatch), "recurrent").set_index("variant")
    assert set(table["seeds done"]) == {"1/2"} and set(table["state"]) == {"not started"}
    assert table["note"].str.contains("not used by the config: seed0, seed1").all()


def test_history_parser_drops_a_partly_written_line(tmp_path):
    from nnlab.app.loaders import parse_history

    path = tmp_path / "history.csv"
    path.write_text("epoch,train_loss,val_loss\n1,2.0,2.1\n2,1.5,1.6\n3,1.")
    frame = parse_history(path)
    assert list(frame["epoch"]) == [1, 2] and not frame.attrs["cut"]
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="epoch"):
        parse_history(path)
    path.write_text("epoch,train_loss\n")                 # a run that has just started
    assert parse_history(path).empty


def test_history_is_read_only_as_far_as_the_schema_allows(tmp_path, monkeypatch):
    from nnlab import replicates

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    most = schema["definitions"]["epochs"]["maximum"]
    finetune = schema["definitions"]["recurrent_recipe"]["properties"]["finetune"]["properties"]["epochs"]["maximum"]
    assert replicates.MAX_EPOCHS == most + finetune                   # the recurrent recipe's two stages
    monkeypatch.setattr(replicates, "MAX_EPOCHS", 50)
    path = tmp_path / "history.csv"
    _history(path, 80)
    frame = replicates.read_history(path, whole=False)
    assert list(frame["epoch"]) == list(range(1, 51)) and frame.attrs["cut"]
    with pytest.raises(DataError, match="more than 50 epochs"):      # the workflow's aggregate refuses it
        replicates.read_history(path)
    monkeypatch.setattr(replicates, "MAX_HISTORY_BYTES", 300)               # a byte bound too: whole lines only
    frame = replicates.read_history(path, whole=False)
    assert frame.attrs["cut"] and 0 < len(frame) < 10 and frame["seconds"].notna().all()


def test_history_is_re_read_only_when_it_changes(tmp_path, monkeypatch):
    """Live progress: each refresh stats history.csv; it is parsed again only after it changed."""
    from nnlab.app import loaders

    calls = []
    parse = loaders.parse_history
    monkeypatch.setattr(loaders, "parse_history", lambda p: calls.append(p) or parse(p))
    path = tmp_path / "history.csv"
    _history(path, 2)
    assert len(loaders.load_history(path).value) == 2
    assert len(loaders.load_history(path).value) == 2 and len(calls) == 1
    with open(path, "a") as f:
        f.write("3,0.5,0.6,,,0.1\n")
    later = time.time() + 2
    os.utime(path, (later, later))
    assert list(loaders.load_history(path).value["epoch"]) == [1, 2, 3] and len(calls) == 2


def test_per_class_scores_are_shown_as_metrics_json_has_them_or_refused():
    from nnlab.app.extras.recurrent import per_class

    table = per_class({"test_precision": {"b": 0.5, "a": None}, "test_recall": {"b": 1, "a": 0.25, "c": 0.5},
                       "train_f1": {"b": None, "a": None}, "test_f1": None, "epochs": 3})
    assert list(table.columns) == ["class", "train F1", "test precision", "test recall"]
    from nnlab import wording

    share = tasks.TASKS["recurrent"].metric("test_accuracy")            # scores in percent, as accuracies
    pct_ = functools.partial(wording.level, share)
    assert table.values.tolist() == [["b", "–", pct_(0.5), pct_(1)], ["a", "–", "–", pct_(0.25)],
                                     ["c", "–", "–", pct_(0.5)]]
    assert pct_(0.5) == "50%"
    for bad, key in (({"test_recall": 0.5}, "test_recall"), ({"train_f1": {"a": "high"}}, "train_f1"),
                     ({"test_precision": {"a": [1]}}, "test_precision"),
                     ({"train_recall": {"a": True}}, "train_recall")):
        with pytest.raises(ValueError, match=f"expected a number or null per class in {key}, found "):
            per_class(bad)
    with pytest.raises(ValueError, match=r"no per-class scores \(train_precision, "):
        per_class({"epochs": 3})


def test_confusion_parser_reads_the_workflows_matrices_and_refuses_others(tmp_path):
    from nnlab.app.loaders import parse_confusion

    path = tmp_path / "c.csv"
    table = pd.DataFrame([[3, 1], [0, 4]], columns=["a", "b"])
    table.insert(0, "true", ["a", "b"])                    # as nnlab.experiments.recurrent writes it
    table.to_csv(path, index=False)
    counts = parse_confusion(path)
    assert list(counts.index) == ["a", "b"] and counts.loc["a", "b"] == 1 and counts.loc["b", "b"] == 4
    path.write_text("true,a,b\na,1,2\n")
    with pytest.raises(ValueError, match="square matrix, found 1 x 2"):
        parse_confusion(path)
    for text in ("true,a,b\na,1,x\nb,0,4\n", "true,a,b\na,1,\nb,0,4\n", "true\n"):
        path.write_text(text)
        with pytest.raises(ValueError, match="expected a count in every cell"):
            parse_confusion(path)


def test_status_command_prints_the_overview_states_in_a_terminal(synthetic, tmp_path, capsys):
    """`python -m nnlab.status`: per task the Overview's progress line and a row per variant with
    its state; exit status 1 when a run failed, 2 and one line for a folder that is not there."""
    from nnlab import replicates, status, wording

    results, config, info = synthetic
    assert status.main([str(results), "--config", str(config)]) == 1          # one autoencoder run failed
    out = capsys.readouterr().out
    states = dict(line.split()[:2][::-1] for line in out.splitlines() if line.split()[:1] and
                  line.split()[0] in ("done", "running", "failed", "interrupted"))
    assert states[info["running"]] == "running" and states[info["failed"]] == "failed"
    assert states[info["chosen"]] == "done" and "diverged at epoch 3" in out
    chosen = next(line for line in out.splitlines() if line.split()[1:2] == [info["chosen"]])
    mse = replicates.read_aggregate(tasks.aggregate_file(results, "autoencoder", info["chosen"]))["metrics"]
    assert wording.estimate_cell(mse["reconstruction_mse"]) in chosen        # its key metric with its 95% interval
    assert "held-out MSE" in out and "95% CI" in out
    assert re.search(rf"not started +{re.escape(info['not_started'])}", out)
    runs = len(info["language_model"])
    assert f"Neural language model: {runs} of {runs} runs done\n" in out
    assert "Sparse autoencoder: " in out and " · 1 running · 1 failed" in out
    with pytest.raises(SystemExit) as stop:
        status.main([str(tmp_path / "nowhere")])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (f"error: {tmp_path / 'nowhere'}: expected the workflow's results folder, "
                                       "found no folder\n")
    with pytest.raises(SystemExit) as stop:                       # a config asked for but unreadable: no listing
        status.main([str(results), "--config", str(tmp_path / "none.yaml")])
    assert stop.value.code == 2 and not capsys.readouterr().out
    done = tmp_path / "done"                                      # nothing failed: exit status 0
    shutil.copytree(results / "language_model", done / "language_model")
    first = info["language_model"][0]
    Path(tasks.aggregate_file(done, "language_model", first)).write_text("[]")
    assert status.main([str(done), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"Neural language model: {runs} of {runs} runs done\n" in out
    assert re.search(rf"done +{re.escape(first)} .* aggregate.json unreadable: expected a variant's aggregate", out)
    second, third = info["language_model"][1:3]         # one seed each: the Overview's estimates, in a terminal
    v = status.variant_state(done, "language_model", second, seeds=info["seeds"])
    lone = status.row(v, *status.variant_estimates(done, v))
    Path(tasks.aggregate_file(done, "language_model", second)).unlink()       # before it is written: its run's
    empty = Path(tasks.aggregate_file(done, "language_model", third))
    empty.write_text(json.dumps({**json.loads(empty.read_text()), "metrics": {}}))
    status.main([str(done), "--config", str(config)])
    out = capsys.readouterr().out
    second_line = next(line for line in out.splitlines() if line.split()[1:2] == [second])
    assert lone["test accuracy"] in second_line and "test set" in second_line and "not written" not in second_line
    third_line = next(line for line in out.splitlines() if line.split()[1:2] == [third])
    assert "not written" not in third_line and "%" not in third_line

    def original(variant):
        return json.loads(Path(tasks.aggregate_file(results, "language_model", variant)).read_text())

    null = original(first)                      # an interval aggregate.json leaves null is named "none"
    null["metrics"]["test_accuracy"]["interval"] = None
    Path(tasks.aggregate_file(done, "language_model", first)).write_text(json.dumps(null))
    empty.write_text(json.dumps(original(third)))          # an aggregate of a variant with no done seed: not read
    (Path(tasks.run_dir(done, "language_model", third, info["seeds"][0])) / "metrics.json").unlink()
    status.main([str(done), "--config", str(config)])
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if len(line.split()) > 1}
    assert "%" in lines[first] and "None" not in lines[first] and "%" not in lines[third]


# ------------------------------------------------------------------------- pages


def test_overview_lists_every_config_variant_with_its_state(synthetic, monkeypatch):
    results, config, info = synthetic
    at = run_page(results, config, monkeypatch=monkeypatch)
    from nnlab import variants

    table = board(at)
    expected = variants.autoencoder_variants(yaml.safe_load(config.read_text()))
    assert list(table["variant"])[:len(expected)] == list(expected)
    states = dict(zip(table["variant"], table["state"]))
    assert states[info["running"]] == "running"
    assert states[info["failed"]] == "failed"
    assert states[info["not_started"]] == "not started"
    assert states[info["chosen"]] == "done"
    errors = texts(at, ("error",))
    assert info["failed"] in errors and "diverged at epoch 3" in errors
    assert any("diverged" in str(c.value) for c in at.code)       # the log's last lines
    assert "Live progress" in texts(at)
    assert not at.dataframe and not at.get("download_button")      # the summary tables are the task pages'
    progress = [p.proto.text for p in at.get("progress")]
    runs = len(info["language_model"])
    assert f"{runs} of {runs} runs done" in progress                # each task's progress summary
    assert any(re.fullmatch(r"\d+ of \d+ runs done · 1 running · 1 failed", p) for p in progress), progress
    assert [e.label for e in at.expander][:3] == [f"Every variant ({len(board(at, t))}, "
                                                  f"{sum(board(at, t)['state'] == 'done')} done)" for t in BOARDS]


def test_overview_follows_a_variant_from_running_to_done(tmp_path, monkeypatch):
    results, config, info = write_results(tmp_path)
    at = run_page(results, config, monkeypatch=monkeypatch)
    assert dict(zip(board(at)["variant"], board(at)["state"]))[info["running"]] == "running"
    _json(run_folder(results, "autoencoder", info["running"]) / "metrics.json",
          {"task": "autoencoder", "variant": info["running"], "reconstruction_mse": 0.5})
    at.run()
    assert dict(zip(board(at)["variant"], board(at)["state"]))[info["running"]] == "done"
    assert "Live progress" not in texts(at)


def experiment_with_a_running_and_a_failed_run(tmp_path):
    """Results of the tiny config over 2 seeds with experiment lr-e2e in the config (write_experiment's runs of
    two recurrent variants), its second seed of the first variant running and of the second failed.
    Returns (results, config path, info, the experiment's variants)."""
    from nnlab.tasks import experiment_dir

    results, config, info = write_results(tmp_path, seeds=2)
    variants = write_experiment(results)
    cfg = yaml.safe_load(config.read_text())
    cfg["experiments"] = {"lr-e2e": {"set": {"recurrent.recipes.tuned.learning_rate": 0.003}, "variants": variants}}
    config.write_text(yaml.safe_dump(cfg))
    root = Path(experiment_dir(results, "lr-e2e"))
    running = Path(tasks.run_dir(root, "recurrent", variants[0], info["seeds"][1]))
    (running / "metrics.json").unlink()
    _history(running / "history.csv", 2, accuracy=True)
    _log(root, "recurrent", variants[0], ["epoch 2/3"], seed=info["seeds"][1])
    failed = Path(tasks.run_dir(root, "recurrent", variants[1], info["seeds"][1]))
    (failed / "metrics.json").unlink()
    _log(root, "recurrent", variants[1], ["error: diverged at epoch 2: training loss became nan"],
         seed=info["seeds"][1])
    return results, config, info, variants


def test_overview_counts_the_runs_of_every_root_and_names_the_best_variant(tmp_path, monkeypatch, capsys):
    """The Overview counts the runs of the baseline and of each experiment (a running and a failed one among
    them), as `python -m nnlab.status` does; per task it shows the key metric of each variant with its interval
    and names the best one, by the key metric's direction."""
    from nnlab import config as nnlab_config, stats, status

    results, config, info, variants = experiment_with_a_running_and_a_failed_run(tmp_path)
    roots = status.roots(results, nnlab_config.read(config))
    assert [r.label for r in roots] == ["baseline", "the report's recipe", "experiment lr-e2e"]
    lines = status.summary_lines(roots)
    assert "experiment lr-e2e: 2 of 4 runs done · 1 running · 1 failed" in lines
    baseline_runs = sum(len(v.runs) for v in roots[0].states)
    assert lines[0].startswith(f"baseline: ") and f"of {baseline_runs} runs done" in lines[0]

    at = run_page(results, config, monkeypatch=monkeypatch)
    shown = texts(at, ("markdown",))
    for line in (line for line in lines if not line.startswith(" ")):
        assert line.replace(": ", "**: ", 1) in shown                 # the same counts as the terminal's
    errors = texts(at, ("error",))
    assert f"{variants[1]}** failed: seed {info['seeds'][1]}: diverged at epoch 2" in errors
    assert "experiment lr-e2e" in texts(at, ("subheader",))
    assert "Live progress" in texts(at)
    for name, task in tasks.TASKS.items():                            # at a glance: the key metric, the best
        summary = pd.read_csv(tasks.summary_file(results, name))
        metric = task.key_metric
        pick = summary[metric.name].idxmin() if metric.lower_is_better else summary[metric.name].idxmax()
        assert f"Best: {summary.loc[pick, 'variant']}, {metric.label} " in shown
        ranked = summary.sort_values(metric.name, ascending=bool(metric.lower_is_better))["variant"].tolist()
        table = pd.read_csv(tasks.comparisons_file(results, name))      # the runner-up, as the workflow decided
        row = table[(table["a"] == ranked[0]) & (table["b"] == ranked[1]) & (table["metric"] == metric.name)].iloc[0]
        said = ("Too few seeds to tell it from" if row["seeds"] < stats.MIN_SEEDS else
                "A real difference from" if str(row["real"]) == "True" else "Not distinguishable from")
        assert f"{said} the runner-up, {ranked[1]}" in texts(at, ("caption",))
        chart = next(c for c in charts(at) if c["title"] == f"{metric.label}, 95% CI")
        assert list(chart["data"]["variant"]) == list(summary["variant"])
        np.testing.assert_allclose(chart["data"]["low"], summary[f"{metric.name}_low"])

    assert status.main([str(results), "--config", str(config), "--summary"]) == 1     # a run failed
    out = capsys.readouterr().out
    assert "\n".join(lines) in out
    assert "Recurrent activity classifier: best: " in out and "from the runner-up, " in out


def test_data_page(synthetic, monkeypatch):
    results, config, _ = synthetic
    at = run_page(results, config, "data", monkeypatch=monkeypatch)
    assert not at.error and not at.warning
    assert len(at.get("image")) == 2
    vocab = next(f for f in frames(at) if "word" in f.columns)
    assert list(vocab["word"]) == WORDS
    balance = next(f for f in frames(at) if "validation" in f.columns and "train" in f.columns)
    assert list(balance.index) == CLASSES and balance["test"].sum() == 18


def test_autoencoder_page_marks_the_chosen_pair(synthetic, monkeypatch):
    results, config, info = synthetic
    at = run_page(results, config, "autoencoder", monkeypatch=monkeypatch)
    assert not at.error and not other_warnings(at)
    assert at.selectbox(key="autoencoder-variant").value == info["chosen"]
    sweep = next(f for f in frames(at) if "chosen" in f.columns)
    assert list(sweep.loc[sweep["chosen"].astype(bool), "variant"]) == [info["chosen"]]
    assert list(sweep.columns[:5]) == ["variant", "chosen", "beta", "rho", "reconstruction_mse"]   # variant first
    [config_] = [json.loads(d.proto.columns) for d in at.dataframe if "chosen" in d.value.columns]
    assert config_["beta"]["label"] == "β" and config_["reconstruction_mse"]["label"] == "held-out MSE"
    sweep_chart = next(c for c in charts(at) if c["title"].startswith("β × ρ sweep"))     # grouped: sweep, grid
    assert list(sweep_chart["data"]["variant"]).count(info["chosen"] + " ★ chosen") == 1       # the chosen pair marked
    assert all(v.startswith("sweep-") for v in sweep_chart["data"]["variant"])
    assert all(v.startswith("grid-") for c in charts(at) if c["title"].startswith("L_hid × λ grid")
               for v in c["data"]["variant"])
    assert len(at.get("image")) >= 3                                  # features, reconstructions, grid
    captions = [c.caption for image in at.get("image") for c in image.proto.imgs]
    assert "input weights of each hidden unit" in captions and "learning curves" not in captions
    at.selectbox(key="autoencoder-variant").set_value(info["running"]).run()
    assert not at.exception
    assert "has not been produced yet" in texts(at)                  # its figures, not yet written


def test_language_model_live_prediction(synthetic, monkeypatch):
    from nnlab import models

    results, config, info = synthetic

    def pick(at):
        for key, word in zip(("lm-w1", "lm-w2", "lm-w3"), ("dog", "ran", "to")):
            at.selectbox(key=key).set_value(word)

    at = run_page(results, config, "language_model", setup=pick, monkeypatch=monkeypatch)
    assert not at.error and not other_warnings(at)
    tables = [f for f in frames(at) if "4th word" in f.columns]
    assert len(tables) == len(info["language_model"])
    for name, table in zip(info["language_model"], tables):
        model = models.load(run_folder(results, "language_model", name) / "params.npz")
        probs = model.predict_proba(np.array([[WORDS.index("dog"), WORDS.index("ran"), WORDS.index("to")]]))[0]
        best = np.argsort(-probs, kind="stable")[:10]
        assert list(table["4th word"]) == [WORDS[i] for i in best]
        np.testing.assert_allclose(table["probability"], probs[best], rtol=1e-5)
    assert "Context: **dog ran to …**" in texts(at)
    compact = next(f for f in frames(at) if "true 4th word" in f.columns)
    assert list(compact["trigram"]) == ["the cat sat", "a dog ran"] and list(compact["true 4th word"]) == ["on", "to"]
    assert [c for c in compact.columns if c.startswith("#")] == [f"#{k}" for k in range(1, 11)]   # one cell each
    assert compact.loc[0, "#1"] == f"{WORDS[0]} · 0.30"

    at.text_input(key="lm-typed").set_value("the cat sat").run()
    assert not at.exception and "followed by: on (1)" in texts(at)
    at.text_input(key="lm-typed").set_value("the zebra sat").run()
    assert "Not in the 12-word vocabulary: 'zebra'" in texts(at)
    at.button[0].click().run()                                      # a random test trigram
    assert not at.exception and at.text_input(key="lm-typed").value == ""


def test_live_prediction_has_one_context_a_real_default_and_marks_the_true_word(tmp_path, monkeypatch):
    """The word boxes, the typed trigram and the Random button share one context (the boxes show what was
    typed); by default it is the first test trigram of words (not one of padding like "~ ~ ~" or ". . ."), and
    the true 4th word of a test trigram is marked in each model's list."""
    results, config, info = write_results(tmp_path)
    data = dict(np.load(results / "data" / "trigrams.npz"))
    dot = WORDS.index(".")
    data["x_test"][0], data["x_test"][1], data["y_test"][1] = [dot, dot, dot], [0, 1, 2], 3   # padding first
    np.savez(results / "data" / "trigrams.npz", **data)
    at = run_page(results, config, "language_model", monkeypatch=monkeypatch)
    boxes = [at.selectbox(key=k) for k in ("lm-w1", "lm-w2", "lm-w3")]
    assert [b.value for b in boxes] == ["the", "cat", "sat"]          # the first test trigram of words
    assert "Context: **the cat sat …**" in texts(at)
    tables = [f for f in frames(at) if "4th word" in f.columns]
    assert tables and all("in the test set" in t.columns for t in tables)
    for table in tables:                                              # "on" follows it in the test set
        assert list(table.loc[table["in the test set"], "4th word"]) == (["on"] if "on" in set(table["4th word"])
                                                                         else [])
    at.text_input(key="lm-typed").set_value("a dog ran").run()
    assert not at.exception
    assert [at.selectbox(key=k).value for k in ("lm-w1", "lm-w2", "lm-w3")] == ["a", "dog", "ran"]
    assert at.text_input(key="lm-typed").value == "" and "Context: **a dog ran …**" in texts(at)
    at.selectbox(key="lm-w3").set_value("sat").run()                   # a box changes the one context
    assert "Context: **a dog sat …**" in texts(at)
    at.text_input(key="lm-typed").set_value("a dog").run()
    assert "Type exactly three words" in texts(at, ("error",))
    assert [at.selectbox(key=k).value for k in ("lm-w1", "lm-w2", "lm-w3")] == ["a", "dog", "sat"]


def test_embedding_map_is_interactive_with_the_png_as_fallback(synthetic, tmp_path, monkeypatch):
    results, config, _ = synthetic
    at = run_page(results, config, "language_model", monkeypatch=monkeypatch)
    chart = next(c for c in charts(at) if c["title"].startswith("the word embeddings"))
    assert list(chart["data"]["word"]) == WORDS and marks(chart["spec"]) == ["circle", "text"]
    assert chart["spec"]["layer"][0]["encoding"]["tooltip"] == [{"field": "word", "type": "nominal"}]
    assert any(p.get("bind") == "scales" for p in chart["spec"].get("params", []) +
               [q for layer in chart["spec"]["layer"] for q in layer.get("params", [])])     # zoom and pan
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    many = pd.DataFrame({"word": [f"w{i}" for i in range(150)], "x": np.linspace(-1, 1, 150), "y": 0.0})
    many.loc[0, "x"] = 1000.0                                         # one outlier does not squash the view
    many.to_csv(copy / "language_model" / "embedding_map.csv", index=False)
    at = run_page(copy, config, "language_model", monkeypatch=monkeypatch)
    chart = next(c for c in charts(at) if c["title"].startswith("the word embeddings"))
    assert chart["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"][1] < 10
    assert "1 outlying words lie beyond the first view" in texts(at, ("caption",))
    (copy / "language_model" / "embedding_map.csv").unlink()
    at = run_page(copy, config, "language_model", monkeypatch=monkeypatch)
    assert not any(c["title"].startswith("the word embeddings") for c in charts(at))
    captions = [c.caption for image in at.get("image") for c in image.proto.imgs]
    assert any("principal components" in c for c in captions)


def test_mean_curves_stop_where_seeds_stop_and_bands_stay_in_range(tmp_path, monkeypatch):
    """A mean over seeds is drawn only at the epochs every seed reached (history_mean.csv's n), said in a
    caption; a band past an accuracy's [0, 1] is clipped at draw time; the Experiments page's forest plot is
    in points with zero on its axis."""
    from nnlab.tasks import experiments_file, history_mean_file

    results, config, info = write_results(tmp_path, seeds=3)
    name = info["recurrent"][0]
    path = Path(history_mean_file(results, "recurrent", name))
    mean = pd.read_csv(path)
    last = int(mean["epoch"].max())
    mean.loc[mean["epoch"] == last, "n"] = 2                         # one seed stopped early
    mean.loc[0, ["val_accuracy_low", "val_accuracy_high"]] = [-0.2, 1.3]
    mean.to_csv(path, index=False)
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    curve = next(c for c in charts(at) if c["title"] == "accuracy" and name in set(c["data"]["variant"]))
    drawn = curve["data"][curve["data"]["variant"] == name]
    assert drawn["epoch"].max() == last - 1 and (drawn["seeds"] == 3).all()
    assert drawn["low"].min() >= 0 and drawn["high"].max() <= 1
    assert f"{name}: the mean over its 3 seeds is drawn to epoch {last - 1}" in texts(at, ("caption",))

    variants = write_experiment(results)
    at = run_page(results, config, "experiments", monkeypatch=monkeypatch)
    forest = next(c for c in charts(at) if "experiment − baseline" in c["title"])
    x = forest["spec"]["layer"][0]["encoding"]["x"]
    assert x["title"] == "test accuracy: difference in points"
    low, high = x["scale"]["domain"]
    assert low <= 0 <= high and low <= forest["data"]["low"].min() and forest["data"]["high"].max() <= high
    table = pd.read_csv(experiments_file(results, "recurrent"))
    key = table[table["metric"] == "test_accuracy"]
    np.testing.assert_allclose(forest["data"]["value"], 100 * key["difference"])      # in points
    curves = next(c for c in charts(at) if c["title"] == "accuracy")
    for label in (f"{variants[0]} (baseline)", f"{variants[0]} (lr-e2e)"):
        assert colour_of(curves["spec"], label) is not None
    assert colour_of(forest["spec"], f"{variants[0]} (lr-e2e)") == colour_of(curves["spec"], f"{variants[0]} (lr-e2e)")
    assert colour_of(curves["spec"], f"{variants[0]} (baseline)") == \
        colours.task_colours(yaml.safe_load(config.read_text()), "recurrent")[variants[0]]
    [whole] = [d for d in at.dataframe if "p_holm" in d.value.columns]         # names first, readable headers
    assert list(whole.value.columns[:6]) == ["experiment", "variant", "a", "b", "metric", "answer"]
    labels = {c: v.get("label") for c, v in json.loads(whole.proto.columns).items()}
    assert labels["p_holm"] == "Holm-adjusted p" and labels["a"] == "A" and labels["test_set_p"] == "test set: p"


def test_comparison_tables_name_each_tasks_evaluation_set(synthetic, monkeypatch):
    """The one-seed columns (test_set_*) are headed by what the task is evaluated on: the autoencoder's
    held-out patches, the recurrent classifier's test set."""
    results, config, _ = synthetic
    for name, said in (("autoencoder", "held-out patches: p"), ("recurrent", "test set: p")):
        assert tasks.task(name).evaluation_set in said
        at = run_page(results, config, name, monkeypatch=monkeypatch)
        [whole] = [d for d in at.dataframe if "p_holm" in d.value.columns and "test_set_p" in d.value.columns]
        labels = {c: v.get("label") for c, v in json.loads(whole.proto.columns).items()}
        assert labels["test_set_p"] == said


def test_recurrent_page_and_live_classification(synthetic, monkeypatch):
    results, config, info = synthetic
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert not at.error and not other_warnings(at)
    table = next(f for f in frames(at) if "predicted" in f.columns)
    assert list(table["variant"]) == info["recurrent"]
    np.testing.assert_allclose(table[CLASSES].sum(axis=1), 1.0, rtol=1e-5)
    per_class = next(f for f in frames(at) if "test recall" in f.columns).set_index("class")
    assert list(per_class.index) == CLASSES                          # as metrics.json says, not recomputed
    assert per_class.loc["jogging", "test recall"] == "50%" and per_class.loc["walking", "train F1"] == "90%"
    assert per_class.loc["sitting", "test precision"] == "–" and per_class.loc["sitting", "test F1"] == "0%"
    subheaders = texts(at, ("subheader",))
    assert "Full BPTT" in subheaders and "Truncated BPTT" in subheaders
    at.selectbox(key="rec-class").set_value("jogging").run()
    assert not at.exception
    y_test = list(np.load(results / "data" / "activity.npz")["y_test"])
    jogging = [i for i, y in enumerate(y_test) if CLASSES[y] == "jogging"]
    box = at.selectbox(key="rec-pick")                  # one numbering: the test set's, whichever class is picked
    assert box.options == [f"#{i}" for i in jogging]
    box.set_value(jogging[-1]).run()
    assert not at.exception
    assert f"Test window **#{jogging[-1]}** of {len(y_test)} · true class **jogging**" in texts(at, ("markdown",))
    heatmaps = [c for c in charts(at) if c["title"].startswith(("train: accuracy", "test: accuracy"))]
    assert len(heatmaps) == 2 and all(marks(c["spec"]) == ["rect", "text"] for c in heatmaps)
    assert not at.get("image")                          # the confusion matrices once: not also as PNGs


def test_a_huge_history_is_read_within_bounds_and_drawn_thinned(tmp_path, monkeypatch):
    """Issue 20 (3): 10^6 rows in a done run's history.csv (the Recurrent page) and in a running
    run's (the Overview): both pages answer, each curve is drawn from at most charts.MAX_POINTS
    epochs, and the pages say what they did not read and did not draw."""
    from nnlab import replicates
    from nnlab.app import charts as app_charts

    results, config, info = write_results(tmp_path)
    n = 10**6
    rows = "\n".join(f"{e},{1 / e:.6g},{1.1 / e:.6g},0.5,0.5,0.1,0.5" for e in range(1, n + 1))
    header = "epoch,train_loss,val_loss,train_accuracy,val_accuracy,seconds,grad_norm\n"
    for path in (run_folder(results, "recurrent", info["recurrent"][0]) / "history.csv",
                 run_folder(results, "autoencoder", info["running"]) / "history.csv"):
        path.write_text(header + rows + "\n")
    start = time.perf_counter()
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch, timeout=120)
    seconds = time.perf_counter() - start
    shown = texts(at, ("caption",))
    assert f"is longer than the app reads ({replicates.MAX_EPOCHS:,} epochs, the most the config schema allows" in shown
    assert f"only its first {replicates.MAX_EPOCHS:,} epochs were read" in shown
    assert f"{info['recurrent'][0]}: {replicates.MAX_EPOCHS:,} epochs, drawn every 400 epochs and at the last." in shown
    for chart in charts(at):
        if {"epoch", "split"} <= set(chart["data"]):           # learning curves (not per-step norms)
            assert chart["data"].groupby(["variant", "split"]).size().max() <= app_charts.MAX_POINTS + 1
    at = run_page(results, config, monkeypatch=monkeypatch, timeout=120)
    assert dict(zip(board(at)["variant"], board(at)["state"]))[info["running"]] == "running"
    assert f"only its first {replicates.MAX_EPOCHS:,} epochs were read" in texts(at, ("caption",))
    print(f"recurrent page over a 10^6-row history: {seconds:.1f} s")


# ------------------------------------------------- seeds, intervals and comparisons


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    """140 runs: the default config's 28 variants x 5 seeds (the last autoencoder variants
    running, failed and not started)."""
    return write_results(tmp_path_factory.mktemp("app-5-seeds"), seeds=5, config=ROOT / "config.yaml")


def pct(fraction, digits=3):
    """An accuracy as the app shows it: in percent, `digits` significant digits."""
    return f"{100 * fraction:.{digits}g}%"


def test_one_seed_looks_as_before_plus_test_set_intervals(synthetic, monkeypatch):
    results, config, info = synthetic
    at = run_page(results, config, monkeypatch=monkeypatch)
    table = board(at, "recurrent")
    assert "seeds done" not in table.columns                          # one seed: no seeds column
    row = table.set_index("variant").loc[info["recurrent"][0]]
    metrics = json.loads((run_folder(results, "recurrent", info["recurrent"][0]) / "metrics.json").read_text())
    assert row["test accuracy"] == (f"{pct(metrics['test_accuracy'], 4)} ({pct(metrics['test_accuracy_low'])}–"
                                    f"{pct(metrics['test_accuracy_high'])})")          # in percent, as the tables
    assert row["95% CI"] == "test set"
    assert "Wilson for accuracies" in texts(at, ("caption",))
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert "Seed" not in [s.label for s in at.selectbox]              # nothing to pick with one run
    shown = texts(at)
    assert f"accuracy {pct(metrics['test_accuracy'])} (95% CI" not in shown   # (the chart title holds it)
    titles = [c["title"] for c in charts(at)]
    assert titles, titles
    heatmap = next(c for c in charts(at) if c["title"] == f"test: accuracy {pct(metrics['test_accuracy'])}")
    assert heatmap["spec"]["title"]["subtitle"] == (f"95% CI {pct(metrics['test_accuracy_low'])}–"
                                                    f"{pct(metrics['test_accuracy_high'])}, Wilson, test set")
    every = next(f for f in frames(at) if "computed as" in f.columns).set_index("key")
    assert every.loc["test_accuracy", "computed as"] == "Wilson, test set"
    assert every.loc["test_cross_entropy", "computed as"] == "normal over per-sample losses, test set"
    assert every.loc["val_accuracy", "computed as"] == "no interval"
    points = next(c for c in charts(at) if c["title"] == "test accuracy per variant, with its 95% CI")
    assert marks(points["spec"]) == ["rule", "point"] and list(points["data"]["variant"]) == info["recurrent"]
    assert (points["data"]["interval"] == "test set").all()
    x_scale = points["spec"]["layer"][0]["encoding"]["x"]["scale"]          # the axis spans the values, not zero
    assert x_scale["zero"] is False and x_scale["domain"][0] <= points["data"]["low"].min()
    assert x_scale["domain"][1] >= points["data"]["high"].max()
    curves = [c for c in charts(at) if c["title"] == "accuracy"]
    assert curves and all(marks(c["spec"]) == ["line"] for c in curves)   # one run: its curve, no band
    y = [c["spec"]["layer"][0]["encoding"]["y"]["axis"]["format"] for c in curves]
    assert y == ["%"] * len(curves)                                  # accuracies in percent, as in the tables
    loss = next(c for c in charts(at) if c["title"] == "cross-entropy")
    assert loss["spec"]["layer"][0]["encoding"]["y"]["axis"]["format"] == "~g"


def test_one_seed_comparison_says_too_few_seeds(synthetic, monkeypatch):
    results, config, info = synthetic
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    [warning] = [plain(w.value) for w in at.warning]
    assert warning.startswith("Too few seeds to say anything about training randomness (1 seed; at least 3 "
                              "are needed")
    assert warning.count("Too few seeds") == 1                       # said once, not by the app and the answer
    table = pd.read_csv(results / "summary" / "recurrent_comparisons.csv")
    first = table.iloc[0]
    assert first["answer"] in warning and "on the test set of the first seed" in warning
    numbers = next(f for f in frames(at) if "difference (A − B)" in f.columns)
    assert list(numbers["comparison"]) == ["over 1 seed (paired t)", "test set of the first seed (McNemar exact)"]
    assert numbers["95% CI"][0] == "–" and numbers["p"][0] == "–"


def test_overview_shows_seeds_done_and_intervals_over_seeds(replicated, monkeypatch):
    results, config, info = replicated
    at = run_page(results, config, monkeypatch=monkeypatch)
    table = board(at).set_index("variant")
    assert table.loc[info["chosen"], "seeds done"] == "5/5" and table.loc[info["chosen"], "state"] == "done"
    assert not table["note"].str.contains("not used").any()
    assert table.loc[info["running"], "seeds done"] == "4/5" and table.loc[info["running"], "state"] == "running"
    assert table.loc[info["failed"], "seeds done"] == "4/5" and table.loc[info["failed"], "state"] == "failed"
    assert table.loc[info["not_started"], "seeds done"] == "0/5"
    assert table.loc[info["failed"], "note"].startswith("seed 4: diverged at epoch 3")
    aggregate = json.loads((results / "autoencoder" / info["chosen"] / "aggregate.json").read_text())
    m = aggregate["metrics"]["reconstruction_mse"]
    assert table.loc[info["chosen"], "held-out MSE"] == f"{m['mean']:.4g} ({m['low']:.3g}–{m['high']:.3g})"
    assert table.loc[info["chosen"], "95% CI"] == "t, 5 seeds"
    boards = [f for f in frames(at) if "state" in f.columns]        # the baseline's three tasks first
    assert sum(len(f) for f in boards[:3]) == 28
    assert table.loc[info["running"], "note"].startswith("seed 4: epoch 2 of ")   # the running run's progress


def test_task_page_over_five_seeds(replicated, monkeypatch):
    results, config, info = replicated
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert not at.error and not at.warning
    metrics = next(f for f in frames(at) if "test_accuracy_low" in f.columns)        # summary/recurrent.csv
    summary = pd.read_csv(results / "summary" / "recurrent.csv")
    first = list(metrics.columns[:list(metrics.columns).index("test_accuracy")])
    assert first[:2] == ["variant", "seeds"] and {"cell", "truncation"} <= set(first) and "hidden" not in first
    pd.testing.assert_frame_equal(metrics[list(summary.columns)], summary, check_dtype=False)
    [formats] = column_formats(at, "test_accuracy_low")
    assert formats["test_accuracy"] == formats["test_accuracy_high"] == "percent"
    assert formats["test_cross_entropy"] == "%.4g"
    summary = summary.set_index("variant")
    points = next(c for c in charts(at) if c["title"].startswith("test accuracy per variant"))
    np.testing.assert_allclose(points["data"]["low"], summary.loc[info["recurrent"], "test_accuracy_low"])
    assert (points["data"]["interval"] == "t, 5 seeds").all()
    band = next(c for c in charts(at) if c["title"] == "accuracy")
    assert marks(band["spec"]) == ["area", "line"]
    mean = pd.read_csv(results / "recurrent" / info["recurrent"][0] / "history_mean.csv")
    shown = band["data"][(band["data"]["variant"] == info["recurrent"][0]) & (band["data"]["split"] == "validation")]
    np.testing.assert_allclose(shown["value"], mean["val_accuracy_mean"])
    np.testing.assert_allclose(shown["low"], mean["val_accuracy_low"])
    assert "bands: its 95% t interval per epoch, clipped to the metric's range" in texts(at, ("caption",))
    key = points                                  # one colour per variant: the key metric, the curves, the live bars
    bars = next(c for c in charts(at) if c["title"] == "class probabilities")
    expected = colours.task_colours(yaml.safe_load(config.read_text()), "recurrent")
    for name in info["recurrent"]:
        curve = next(c for c in charts(at) if c["title"] == "accuracy" and name in set(c["data"]["variant"]))
        assert colour_of(key["spec"], name) == colour_of(curve["spec"], name) == colour_of(bars["spec"], name) \
            == expected[name]
    every = next(f for f in frames(at) if "computed as" in f.columns).set_index("key")
    assert every.loc["test_accuracy", "computed as"] == "t over 5 seeds"
    assert "± " in every.loc["test_accuracy", "value"] and every.loc["test_accuracy", "value"].endswith("% sd")
    # one seed's run: seed 0 by default, then seed 3
    assert at.selectbox(key=f"recurrent-seed-{info['recurrent'][0]}").value == 0
    at.selectbox(key=f"recurrent-seed-{info['recurrent'][0]}").set_value(3).run()
    run = json.loads((run_folder(results, "recurrent", info["recurrent"][0], 3) / "metrics.json").read_text())
    assert "Seed 3" in texts(at, ("subheader",))
    assert any(c["title"] == f"test: accuracy {pct(run['test_accuracy'])}" and
               c["spec"]["title"]["subtitle"].startswith("95% CI") for c in charts(at))


def answer_shown(at):
    boxes = [e for kind in ("success", "info", "warning") for e in getattr(at, kind)]
    return [plain(e.value) for e in boxes if " vs " not in plain(e.value) and (" than " in plain(e.value)
                                                                           or "Too few" in plain(e.value))]


@pytest.mark.parametrize("task", TASK_PAGES)
def test_compare_two_variants_in_either_order(replicated, task, monkeypatch):
    """summary/<task>_comparisons.csv holds both orders of every pair: the panel shows the row of
    the pair picked, in words and numbers."""
    results, config, info = replicated
    table = pd.read_csv(results / "summary" / f"{task}_comparisons.csv")
    first = table.iloc[-1].to_dict()

    def pick(a, b):
        def setup(at):
            at.selectbox(key=f"{task}-compare-a").set_value(a)
            at.selectbox(key=f"{task}-compare-b").set_value(b)
            at.selectbox(key=f"{task}-compare-metric").set_value(first["metric"])
        return setup

    for a, b in ((first["a"], first["b"]), (first["b"], first["a"])):
        [row] = table[(table["a"] == a) & (table["b"] == b) & (table["metric"] == first["metric"])].to_dict("records")
        at = run_page(results, config, task, setup=pick(a, b), monkeypatch=monkeypatch)
        [shown] = answer_shown(at)
        assert shown == row["answer"] and shown.startswith(f"{a} ")
        numbers = next(f for f in frames(at) if "difference (A − B)" in f.columns)
        assert numbers["comparison"][0] == "over 5 seeds (paired t)"
        points = 100 if row["metric"].endswith("accuracy") else 1         # accuracies in points, as the answer
        assert numbers["difference (A − B)"][0] == f"{points * row['difference']:.3g}"
        assert numbers["95% CI"][0] == f"{points * row['low']:.3g} to {points * row['high']:.3g}"
        assert numbers["p"][0] == f"{row['p']:.2g}"
        where = getattr(tasks.TASKS[task], "evaluation_set", "test set")    # each set named as what it is
        assert numbers["comparison"][1].startswith(f"{where} of the first seed (")
    full = next(f for f in frames(at) if "answer" in f.columns and "question" in f.columns)
    assert len(full) == len(table)                                      # the whole table, under an expander
    assert any(e.label.startswith("All comparisons") for e in at.expander)


def test_compare_the_same_variant_twice(replicated, monkeypatch):
    results, config, info = replicated
    v = info["recurrent"][0]
    at = run_page(results, config, "recurrent", setup=lambda at: at.selectbox(key="recurrent-compare-b").set_value(v),
                  monkeypatch=monkeypatch)
    assert "Pick two different variants." in texts(at, ("info",))


def test_every_page_renders_over_a_tiny_workflow_run_with_two_seeds(tiny_run, monkeypatch):
    """The real files of the tiny workflow (conftest's tiny_run, two seeds): every page, no exception."""
    results = tiny_run
    for page in ALL_PAGES:                  # no --config: the app reads the run's own results/config.yaml
        at = run_page(results, None, page, monkeypatch=monkeypatch)
        assert not at.error, (page, texts(at, ("error",)))
    seeds = sorted(p.name for p in (results / "recurrent" / "gru-full").glob("seed*"))
    at = run_page(results, None, monkeypatch=monkeypatch)
    assert f"Config: `{results / 'config.yaml'}`" in texts(at, ("caption",))      # the sidebar says which
    from nnlab import variants

    tiny = variants.recurrent_variants(yaml.safe_load(TINY_CONFIG.read_text()))
    assert list(board(at, "recurrent")["variant"]) == list(tiny)           # not the default config's 12
    assert set(board(at, "recurrent")["state"]) == {"done"}
    assert set(board(at)["seeds done"]) == {f"{len(seeds)}/{len(seeds)}"}


# ------------------------------------------------------- missing, partial, corrupt

ALL_PAGES = [None, "data", *TASK_PAGES]


@pytest.mark.parametrize("page", ALL_PAGES)
def test_pages_without_a_results_folder(tmp_path, page, monkeypatch):
    at = run_page(tmp_path / "nowhere", TINY_CONFIG, page, monkeypatch=monkeypatch)
    assert "No results folder at" in texts(at, ("warning",))


def test_overview_with_partial_results_lists_config_variants_as_not_started(tmp_path, monkeypatch):
    results = tmp_path / "results"
    _write_data(results)
    at = run_page(results, TINY_CONFIG, monkeypatch=monkeypatch)
    assert set(board(at)["state"]) == {"not started"}
    assert re.fullmatch(r"0 of \d+ runs done", at.get("progress")[0].proto.text)


def test_the_reports_recipe_is_a_root_of_its_own_on_the_overview(synthetic, monkeypatch):
    """results/report/ (the claims target's runs) is counted beside the baseline, over the variants the
    claims need, not mixed into the baseline's counts."""
    from nnlab import claims, config as nnlab_config, status

    results, config, _ = synthetic
    roots = status.roots(results, nnlab_config.read(config))
    report = next(r for r in roots if r.name == "report")
    assert report.label == "the report's recipe" and roots[0].name == "baseline"
    planned = claims.report_experiment(nnlab_config.read(config)).variants["recurrent"]   # what `claims` trains
    shown = {v.variant for v in report.tasks["recurrent"][0]}
    assert shown == set(planned) and shown <= set(claims.needed_variants()["recurrent"])
    assert all(r.path != tasks.report_dir(results) for r in roots if r.name != "report")
    at = run_page(results, config, monkeypatch=monkeypatch)
    assert any("**the report's recipe**" in m.value for m in at.markdown)


def test_a_root_reads_partly_done_when_some_runs_are_done_and_none_run():
    """The Overview's badge of a root: failed, then running, then done / partly done / not started."""
    from types import SimpleNamespace as NS

    from nnlab import status

    def variant(*states):
        return NS(state=states[0], runs=[NS(state=s) for s in states])

    assert status.root_state([variant("done", "done"), variant("not started", "not started")]) == "partly done"
    assert status.root_state([variant("done"), variant("done")]) == "done"
    assert status.root_state([variant("not started")]) == "not started" == status.root_state([])
    assert status.root_state([variant("done"), variant("running", "not started")]) == "running"
    assert status.root_state([variant("failed", "done"), variant("running")]) == "failed"


def test_overview_with_a_broken_config(synthetic, tmp_path, monkeypatch):
    results, _, _ = synthetic
    bad = tmp_path / "config.yaml"
    bad.write_text("seed: [unclosed\n")
    at = run_page(results, bad, monkeypatch=monkeypatch)
    assert f"{bad}, line 2, column 1: expected valid YAML" in texts(at, ("warning",))   # where, in one line
    table = board(at)
    assert len(table) > 0 and table["note"].str.contains("not defined by the current config").all()


@pytest.mark.parametrize("page, messages", [
    (None, ["aggregate.json unreadable: expected a variant's aggregate (JSON with variant, seeds and metrics), found JSONDecodeError"]),
    ("data", ["could not read `data/patches.npz`", "could not read `data/patches_rgb.png`",
              "could not read `data/trigrams.npz`: ValueError: key 'words' holds Python objects"]),
    ("autoencoder", ["could not read `autoencoder/selection.json`"]),
    ("language_model", ["could not read `language_model/", "prediction table", "Vocabulary from `language_model/"]),
    ("recurrent", ["test confusion matrix", "expected a square matrix",
                   "comparisons: could not read `summary/recurrent_comparisons.csv`"]),
])
def test_corrupt_files_give_a_message_in_place(damaged, page, messages, monkeypatch):
    results, config, info = damaged
    at = run_page(results, config, page, monkeypatch=monkeypatch)
    shown = texts(at) + "\n" + "\n".join(plain(r) for f in frames(at) for r in f.to_numpy().ravel())
    for message in messages:
        assert message in shown, (message, shown[:3000])


def test_corrupt_autoencoder_variant_figures_and_history(damaged, monkeypatch):
    results, config, _ = damaged
    ae = sorted(p for p in (results / "autoencoder").iterdir() if (p / "seed0" / "metrics.json").exists())
    at = run_page(results, config, "autoencoder",
                  setup=lambda at: at.selectbox(key="autoencoder-variant").set_value(ae[1].name),
                  monkeypatch=monkeypatch)
    shown = texts(at)
    assert f"could not read `autoencoder/{ae[1].name}/seed0/features.png`" in shown
    assert "no 'epoch' column" in shown
    assert len(at.get("image")) >= 1                                    # the rest still renders


def test_corrupt_models_do_not_hide_the_others(damaged, monkeypatch):
    results, config, info = damaged
    lm = info["language_model"]
    at = run_page(results, config, "language_model", monkeypatch=monkeypatch)
    assert f"could not read `language_model/{lm[0]}/seed0/params.npz`" in texts(at, ("error",))
    assert [len(f) for f in frames(at) if "4th word" in f.columns] == [10] * (len(lm) - 1)
    rec = info["recurrent"]
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert f"could not read `recurrent/{rec[-1]}/seed0/params.npz`" in texts(at, ("error",))
    assert list(next(f for f in frames(at) if "predicted" in f.columns)["variant"]) == rec[:-1]


def test_unexpected_layouts_do_not_break_any_page(tmp_path, monkeypatch):
    """Valid files with the wrong layout: each page still renders (a message in place)."""
    results, config, info = write_results(tmp_path)
    _json(results / "autoencoder" / "selection.json", {"chosen": "sweep", "candidates": {"a": 1}})
    _json(run_folder(results, "autoencoder", info["chosen"]) / "metrics.json", {"hyperparameters": [1], "loss": "low"})
    _json(results / "autoencoder" / info["chosen"] / "aggregate.json", {"metrics": {"loss": [1]}})
    lm = run_folder(results, "language_model", info["language_model"][0])
    _json(lm / "metrics.json", {"hyperparameters": "none", "test_accuracy": "high"})
    _json(lm.parent / "aggregate.json", {"metrics": "none"})
    pd.DataFrame({"x": [1]}).to_csv(lm / "predictions.csv", index=False)
    pd.DataFrame({"epoch": ["x"], "val_loss_mean": ["y"]}).to_csv(lm.parent / "history_mean.csv", index=False)
    rec = run_folder(results, "recurrent", info["recurrent"][0])
    pd.DataFrame({"a": ["x"], "b": ["y"]}).to_csv(rec / "history.csv", index=False)
    pd.DataFrame({"variant": ["x"]}).to_csv(results / "summary" / "recurrent.csv", index=False)
    pd.DataFrame({"a": ["x"], "b": ["y"]}).to_csv(results / "summary" / "language_model_comparisons.csv", index=False)
    np.savez(results / "data" / "activity.npz", x_test=np.zeros((2, 5, 3)), y_test=np.array([0, 9]),
             classes=np.array(["a", "b"]))
    for page in ALL_PAGES:
        run_page(results, config, page, monkeypatch=monkeypatch)


def test_an_unexpected_error_is_confined_to_its_section(synthetic, monkeypatch):
    from nnlab.app import charts

    def broken(counts, title, subtitle=""):
        raise RuntimeError("boom")

    results, config, info = synthetic
    monkeypatch.setattr(charts, "confusion", broken)
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert "One variant could not be shown: RuntimeError: boom" in texts(at, ("error",))
    assert any("predicted" in f.columns for f in frames(at))        # the live section still runs


def test_app_script_does_not_read_pytest_arguments(synthetic, monkeypatch):
    """app.py parses script arguments only when it is the script being run."""
    results, config, _ = synthetic
    monkeypatch.setattr("sys.argv", ["pytest", "--results", "/elsewhere"])
    at = run_page(results, config, monkeypatch=monkeypatch)
    assert str(results) in texts(at, ("caption",))


def test_no_pickle_anywhere_in_the_app():
    app = [APP, *sorted((ROOT / "src" / "nnlab" / "app").rglob("*.py"))]
    for path in app:
        text = path.read_text()
        assert "allow_pickle=True" not in text and "use_container_width" not in text, path


# ------------------------------------------------- text from files is never markup

IMAGE = "![p](http://127.0.0.1:8699/vocab.png)"


def unescaped_markup(at):
    """Markdown-rendering elements holding an image or link that Markdown would act on."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success")
    return [str(e.value) for kind in kinds for e in getattr(at, kind)
            if "![" in str(e.value) or "](" in str(e.value)]


def test_a_vocabulary_word_with_markdown_is_shown_literally(tmp_path, monkeypatch):
    words = [*WORDS[:-1], IMAGE]
    results, config, _ = write_results(tmp_path, words)

    def pick(at):
        for key, word in zip(("lm-w1", "lm-w2", "lm-w3"), ("the", IMAGE, "sat")):
            at.selectbox(key=key).set_value(word)

    at = run_page(results, config, "language_model", setup=pick, monkeypatch=monkeypatch)
    context = next(str(m.value) for m in at.markdown if str(m.value).startswith("Context:"))
    assert context == "Context: **the " + ui_md(IMAGE) + " sat …**"
    assert not unescaped_markup(at), unescaped_markup(at)
    at.text_input(key="lm-typed").set_value("* _ [").run()             # typed by the user
    assert "Not in the 12-word vocabulary: '\\*', '\\_', '\\['." in [str(e.value) for e in at.error]
    assert not any("**" in str(m.value) and "'*'" in str(m.value) for m in at.error)
    at = run_page(results, config, "data", monkeypatch=monkeypatch)
    assert IMAGE in list(next(f for f in frames(at) if "word" in f.columns)["word"])   # a table cell, as text


def test_a_failed_jobs_log_line_with_markdown_is_shown_literally(tmp_path, monkeypatch):
    results, config, info = write_results(tmp_path)
    line = f"error: data1.h5: key 'x' {IMAGE} see [here](http://127.0.0.1:8699/x) *bold*"
    _log(results, "autoencoder", info["failed"], [line])
    at = run_page(results, config, monkeypatch=monkeypatch)
    assert any(line in str(c.value) for c in at.code)                 # the log's lines, verbatim
    failed = next(str(e.value) for e in at.error if info["failed"] in plain(e.value))
    assert ui_md(IMAGE) in failed and "\\*bold\\*" in failed
    note = dict(zip(board(at)["variant"], board(at, raw=True)["note"]))[info["failed"]]   # a table cell
    assert plain(note) == line.removeprefix("error: ") and "![" not in note and "](" not in note
    assert not unescaped_markup(at), unescaped_markup(at)


def ui_md(text):
    from nnlab.app import ui

    return ui.md(text)


def test_markdown_escape_and_code_spans():
    from nnlab.app.ui import md

    assert md("a*b_c [x](y) ![i](j) `k` $m$ :red[n]") == \
        "a\\*b\\_c \\[x\\]\\(y\\) \\!\\[i\\]\\(j\\) \\`k\\` \\$m\\$ \\:red\\[n\\]"
    assert md("two\nlines") == "two lines"
    assert md("a/b.csv", code=True) == "`a/b.csv`" and md("a`b", code=True) == "`` a`b ``"


# ------------------------------------------ one bad metrics.json blanks nothing else


def test_one_implausible_metric_leaves_the_other_recurrent_variants(tmp_path, monkeypatch):
    results, config, info = write_results(tmp_path)
    bad, *good = info["recurrent"]
    for path in (results / "recurrent" / bad / "aggregate.json", run_folder(results, "recurrent", bad) / "metrics.json"):
        record = json.loads(path.read_text())
        if "metrics" in record:
            record["metrics"]["best_epoch"]["mean"] = 10**20
        else:
            record["best_epoch"] = 10**20
        _json(path, record)
    at = run_page(results, config, monkeypatch=monkeypatch)
    table = board(at, "recurrent").set_index("variant")
    assert "metric 'best_epoch', key 'mean'" in table.loc[bad, "note"] and table.loc[bad, "test accuracy"] == "–"
    assert (table.loc[good, "test accuracy"] != "–").all()
    assert not table.loc[good, "note"].str.contains("unreadable").any()
    at = run_page(results, config, "recurrent", monkeypatch=monkeypatch)
    assert (f"metrics: could not read `recurrent/{bad}/aggregate.json`: metric 'best_epoch', key 'mean': expected "
            "a finite number of size at most 2^53, or null, found 100000000000000000000") in texts(at, ("error",))
    assert len([f for f in frames(at) if "predicted" in f.columns][0]) == len(info["recurrent"])   # still classifies
    at.selectbox(key="recurrent-variant").set_value(good[0]).run()
    assert not at.error and [m.label for m in at.metric] == ["test accuracy", "test cross-entropy"]
    (results / "recurrent" / bad / "aggregate.json").unlink()        # a lone run is read as the workflow reads it
    note = board(run_page(results, config, monkeypatch=monkeypatch), "recurrent").set_index("variant").loc[bad, "note"]
    assert "metrics.json unreadable: key 'best_epoch': expected a finite number of size at most 2^53" in note


def test_one_grid_variant_with_a_string_metric_leaves_the_grid(tmp_path, monkeypatch):
    from nnlab import variants

    results, config, info = write_results(tmp_path)
    settings = dict(variants.autoencoder_grid(yaml.safe_load(config.read_text())))
    grid = list(settings)
    done = json.loads((run_folder(results, "autoencoder", info["chosen"]) / "metrics.json").read_text())
    for i, name in enumerate(grid):                      # all done (one run, no aggregate yet); the first
        (results / "autoencoder" / name / "aggregate.json").unlink(missing_ok=True)    # with a string metric
        _json(run_folder(results, "autoencoder", name) / "metrics.json",
              {**done, "variant": name, "hyperparameters": {**settings[name], "seed": 0},
               "reconstruction_mse": "low" if i == 0 else 0.01 * i, "reconstruction_mse_low": 0.0,
               "reconstruction_mse_high": 1.0})
        _png(run_folder(results, "autoencoder", name) / "features.png", i)
    bad, good = grid[0], grid[1:]
    at = run_page(results, config, "autoencoder", monkeypatch=monkeypatch)
    assert (f"{bad} metrics: key 'reconstruction_mse': expected a finite number of size at most 2^53, found 'low'; "
            in texts(at, ("error",)))
    captions = [c.caption for image in at.get("image") for c in image.proto.imgs]
    tiles = [c for c in captions if c.startswith("L_hid = ")]
    assert len(tiles) == len(grid) and sum(" · MSE 0.0" in c for c in tiles) == len(good)
    assert sum(c.endswith("metrics unreadable") for c in tiles) == 1


# ------------------------------------------------------- arrays read within bounds


def fake_array(path, key, shape, mode="a"):
    """Add to the .npz at `path` a member `key` whose .npy header declares `shape` float32 but
    which holds only a few bytes: reading it would fail, and would take shape's memory."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, mode) as archive:
        archive.writestr(f"{key}.npy", header.getvalue() + bytes(16))


def test_npz_reads_only_the_keys_asked_for_within_bounds(tmp_path):
    from nnlab.io import read_npz as parse_npz

    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(6.0).reshape(2, 3), y=np.arange(2))
    fake_array(path, "huge", (200_000_000,))
    arrays = parse_npz(path, ["x"], optional=["y", "absent"])
    assert set(arrays) == {"x", "y"} and arrays["x"].shape == (2, 3)
    with pytest.raises(ValueError, match=r"key 'huge' declares \(200000000,\) float32 \(763 MiB\).*not loaded"):
        parse_npz(path, ["x", "huge"])
    with pytest.raises(ValueError, match="no key\\(s\\) z; found huge, x, y"):
        parse_npz(path, ["z"])


def test_an_extra_huge_array_is_ignored_and_a_needed_one_refused(tmp_path, monkeypatch):
    results, config, info = write_results(tmp_path)
    activity = results / "data" / "activity.npz"
    fake_array(activity, "extra", (200_000_000,))
    for page in ("data", "recurrent"):
        at = run_page(results, config, page, monkeypatch=monkeypatch)
        assert not at.error, texts(at, ("error",))
    with np.load(activity) as data:
        arrays = {k: data[k] for k in data.files if k not in ("x_train", "extra")}
    np.savez(activity, **arrays)
    fake_array(activity, "x_train", (100_000, 1000, 3))
    at = run_page(results, config, "data", monkeypatch=monkeypatch)
    assert ("could not read `data/activity.npz`: ValueError: key 'x_train' declares (100000, 1000, 3) float32 "
            "(1,144 MiB), over the 256 MiB limit: not loaded") in texts(at, ("error",))
    assert len(at.get("image")) == 2 and any("word" in f.columns for f in frames(at))    # the rest as usual


# ------------------------------------------------------------------------ the report page


def test_report_page_shows_each_claim_with_verdict_numbers_and_figure(replicated, monkeypatch):
    """Five seeds: every claim of claims.csv under its question, with its verdict badge and nnlab's numbers
    under both recipes; the cells drawn; a claim's own answer is the table's."""
    from nnlab import claims

    results, config, info = replicated
    at = run_page(results, config, "report", monkeypatch=monkeypatch)
    assert not at.error, texts(at, ("error",))
    table = info["claims"]
    shown = texts(at)
    assert [h.value for h in at.header] == [f"Question {q}: {t}" for q, t in claims.QUESTIONS.items()]
    for row in table.itertuples():
        assert f"**{row.claim}** " in shown and row.verdict in shown, row.claim
    assert plain(table.set_index("claim").loc["3.1", "answer"]) in shown
    three_one = table.set_index("claim").loc["3.1"]
    assert three_one["course_seeds"] == 5 and three_one["course_verdict"] in claims.VERDICTS
    small = [f for f in frames(at) if list(f.columns) == ["", "value", "verdict"]]      # one per claim, in order
    assert len(small) == len(table)
    cells = small[list(table["claim"]).index("3.1")].set_index("")
    assert cells.loc["course", "value"].startswith(pct(three_one["course_value"]))
    assert cells.loc["course", "verdict"] == three_one["course_verdict"]
    assert len(at.get("graphviz_chart")) == 3
    counts = {m.label: m.value for m in at.metric}
    assert sum(int(counts[v]) for v in claims.VERDICTS) == len(table)
    norms = [c for c in charts(at) if c["title"].startswith("‖∂L/∂h_t‖")]     # a line per root: told apart
    assert norms and len(set(norms[0]["data"]["variant"])) > 1
    for chart in norms:
        lines = list(dict.fromkeys(chart["data"]["variant"]))
        assert len({colour_of(chart["spec"], line) for line in lines}) == len(lines), lines


def test_report_page_before_the_claims_target_says_how_to_run_it(synthetic, tmp_path, monkeypatch):
    results, config, _ = synthetic
    bare = tmp_path / "results"
    bare.mkdir()
    at = run_page(bare, config, "report", monkeypatch=monkeypatch)
    assert "snakemake --cores 2 claims --config replicates=5" in texts(at, ("info",))
    assert len(at.get("graphviz_chart")) == 3


def test_report_page_names_an_unreadable_claims_table(synthetic, tmp_path, monkeypatch):
    results, config, _ = synthetic
    broken = tmp_path / "results"
    shutil.copytree(results, broken)
    Path(tasks.claims_file(broken)).write_text("claim,verdict\n1.1,reproduced\n")
    at = run_page(broken, config, "report", monkeypatch=monkeypatch)
    assert "summary/claims.csv" in texts(at, ("error",)) and "no column(s)" in texts(at, ("error",))
