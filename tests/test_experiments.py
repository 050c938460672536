"""Named experiments (issue 19): a change kept beside the baseline and compared with it."""
import copy
import shutil

import pandas as pd
import pytest
import yaml

from conftest import ROOT, TINY, TINY_SEEDS, snakemake
from nnlab import overlays
from nnlab.config import validate
from nnlab.errors import ConfigError

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
LR = "recurrent.recipes.tuned.learning_rate"
LM_LR = "language_model.recipes.tuned.learning_rate"
# One experiment on two recurrent variants and a two-point sweep on one language-model variant.
EXPERIMENTS = {
    "rnn-fast": {"set": {LR: 0.03}, "variants": ["rnn-full", "gru-full"]},
    "lm-lr": {"sweep": {LM_LR: [0.001, 0.004]}, "variants": ["d4-p8"]},
}


@pytest.fixture()
def config():
    return yaml.safe_load(TINY.read_text())


def expand(config, experiments):
    return overlays.expand(dict(config, experiments=experiments),
                           validate=lambda c, source: validate(c, SCHEMA, source))


def test_experiments_and_sweeps_expand_to_readable_names_and_their_own_settings(config):
    found = expand(config, EXPERIMENTS)
    assert list(found) == ["rnn-fast", "lm-lr-learning_rate0.001", "lm-lr-learning_rate0.004"]
    fast = found["rnn-fast"]
    assert list(fast.variants) == ["recurrent"] and sorted(fast.variants["recurrent"]) == ["gru-full", "rnn-full"]
    assert fast.variants["recurrent"]["gru-full"]["learning_rate"] == 0.03 and fast.sweep is None
    point = found["lm-lr-learning_rate0.004"]
    assert point.sweep == "lm-lr" and list(point.variants["language_model"]) == ["d4-p8"]
    assert point.variants["language_model"]["d4-p8"]["learning_rate"] == 0.004
    assert point.config["recurrent"] == config["recurrent"]          # only the touched task changes
    again = expand(config, overlays.effective(found))                 # results/config.yaml expands the same
    assert {n: (e.settings, e.sweep, e.variants) for n, e in again.items()} == \
           {n: (e.settings, e.sweep, e.variants) for n, e in found.items()}


def test_a_product_sweep_and_a_point_equal_to_the_baseline(config):
    baseline_lr = config["language_model"]["recipes"]["tuned"]["learning_rate"]
    sweep = {LM_LR: [0.001, baseline_lr], "language_model.recipes.tuned.batch_size": [8, 16]}
    found = expand(config, {"grid": {"sweep": sweep, "variants": ["d4-p8"]}})
    # 2 x 2 points; the one at the baseline's own settings is the baseline's run, not trained again
    assert len(found) == 4 - (config["language_model"]["recipes"]["tuned"]["batch_size"] in (8, 16))
    assert all(name.startswith("grid-learning_rate") and "-batch_size" in name for name in found)


@pytest.mark.parametrize("experiments, words", [
    ({"x": {"set": {"recurrent.recipes.tuned.learnin_rate": 0.1}}}, ["'experiments.x'", "learnin_rate",
                                                                      "expected a key the config has"]),
    ({"x": {"set": {"seed": 3}}}, ["'experiments.x'", "'seed'", "expected a setting of a task"]),
    ({"x": {"set": {"recurrent.hidden": -4}}}, ["experiment x", "recurrent.hidden"]),
    ({"x": {"set": {LR: 0.01}}}, ["'experiments.x'", "identical to the baseline"]),
    ({"": {"set": {LR: 0.5}}}, ["expected a name of letters", "''"]),
    ({"a/b": {"set": {LR: 0.5}}}, ["expected a name of letters", "'a/b'"]),
    ({"baseline": {"set": {LR: 0.5}}}, ["'baseline', which names the baseline"]),
    ({"s-learning_rate0.5": {"set": {LR: 0.5}}, "s": {"sweep": {LR: [0.5, 0.7]}}},
     ["'experiments.s'", "'s-learning_rate0.5' twice"]),
    ({"big": {"sweep": {LR: [0.1 + i for i in range(20)], "recurrent.hidden": list(range(1, 12))}}},
     ["'experiments.big'", "at most 200 points, found 220"]),
    ({"x": {"set": {LR: 0.5}, "variants": ["gru-ful"]}}, ["'experiments.x'", "key 'variants'", "gru-ful"]),
    ({"x": {}}, ["'experiments.x'", "'set' or 'sweep'"]),
])
def test_bad_experiments_are_refused_in_one_line(config, experiments, words):
    assert config["recurrent"]["recipes"]["tuned"]["learning_rate"] == 0.01     # the case 'identical' above
    with pytest.raises(ConfigError) as excinfo:
        expand(config, experiments)
    message = str(excinfo.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


ONE_LM = {"embedding_dim": 4, "hidden": 8, "order_aware": False}


@pytest.mark.parametrize("experiments, words", [          # issue 29, items 1, 2, 8, 9, 10
    ({"x": {"sett": {"recurrent.hidden": 9}}}, ["'experiments.x'", "unknown key 'sett'", "set, sweep"]),
    ({"x": {"set": ["recurrent.hidden", 9]}}, ["'experiments.x'", "key 'set'", "a mapping", "(a list)"]),
    ({"x": None}, ["'experiments.x'", "'set' or 'sweep'", "found null"]),
    ({"x": {"sweep": {"recurrent.hidden": 9}}}, ["'experiments.x'", "'sweep.recurrent.hidden'", "a list of 1 to 200"]),
    ({"x": {"sweep": {"recurrent.hidden": []}}}, ["'experiments.x'", "'sweep.recurrent.hidden'", "found 0 values"]),
    ({"x": {"sweep": {}}}, ["'experiments.x'", "key 'sweep'", "an empty mapping"]),
    ({"x": {"set": {LR: 0.5}, "variants": "gru-full"}}, ["'experiments.x'", "key 'variants'", "'gru-full' (a text)"]),
    ({"x": {"set": {LR: 0.5}, "variants": []}}, ["'experiments.x'", "key 'variants'", "an empty list"]),
    ({"x": {"set": {LR: 0.5}, "variants": ["gru-full", "gru-full"]}}, ["'experiments.x'", "'gru-full' twice"]),
    ({"x": {"sweep": {LR: [0.5]}, "point_of": "y"}}, ["'experiments.x'", "key 'point_of'", "'sweep' beside it"]),
    ({"x": {"set": {LR: 0.5}, "point_of": 3}}, ["'experiments.x'", "key 'point_of'", "found 3"]),
    ({"x": {"sweep": {LR: [0.001 * i for i in range(1, 202)]}}}, ["'experiments.x'", "found 201 values"]),
    ({"x": {"set": {1: 2}}}, ["'experiments.x'", "key 'set'", "found 1 (a number)"]),
    ([{"x": 1}], ["key 'experiments'", "a mapping of experiment names", "(a list)"]),
    ({1.0: {"set": {LR: 0.5}}}, ["'experiments.1.0'", "a name YAML reads as text", "1.0 (a number)"]),
    ({1: {"set": {LR: 0.5}}}, ["'experiments.1'", "a name YAML reads as text"]),
    ({True: {"set": {LR: 0.5}}}, ["'experiments.True'", "True (a boolean)"]),
    ({None: {"set": {LR: 0.5}}}, ["'experiments.null'", "found null"]),
    ({"x": {"sweep": {"recurrent.truncation": [[None], [None, 5]]}}},
     ["'experiments.x'", "'sweep.recurrent.truncation'", "expected plain values", "[None] (a list)"]),
    ({"x": {"sweep": {LR: [{"rnn": 0.1, "lstm": 0.1, "gru": 0.1}]}}}, ["'experiments.x'", "(a mapping)"]),
    ({"a" * 100: {"set": {LR: 0.5}}}, ["repeated 20 times"]),
    ({"x" + "ab" * 20: {"set": {LR: 0.5}}}, ["repeated 20 times"]),
    ({"x": {"set": {"language_model.variants": [ONE_LM, ONE_LM]}}},
     ["'experiments.x'", "key 'language_model.variants'", "d4-p8"]),
])
def test_a_mistake_inside_an_entry_names_the_experiment_and_the_key(config, experiments, words):
    with pytest.raises(ConfigError) as excinfo:
        expand(config, experiments)
    message = str(excinfo.value)
    assert "\n" not in message and "type null" not in message
    for word in words:
        assert word in message, message


def test_a_quoted_numeric_name_and_a_long_name_that_is_not_periodic_are_accepted(config):
    found = expand(config, {"1.0": {"set": {LR: 0.5}}, "a" * 19 + "-b" * 19: {"set": {LR: 0.4}}})
    assert list(found) == ["1.0", "a" * 19 + "-b" * 19]


@pytest.mark.parametrize("name", ["1.0"])
def test_a_name_yaml_reads_as_no_text_stops_the_workflow_in_one_line(tmp_path, name):
    text = TINY.read_text() + f"experiments:\n  {name}:\n    set:\n      {LR}: 0.5\n"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    proc = snakemake(tmp_path, "-n", "--cores", "1", check=False, configfile=path)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(errors) == 1 and "a name YAML reads as text" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr and "KeyError" not in proc.stderr


def test_unchanged_variants_are_not_trained_again(config):
    """Issue 29, item 6: renaming some language-model variants retrained the unchanged one."""
    renamed = [ONE_LM, {"embedding_dim": 6, "hidden": 8, "order_aware": False}]
    found = expand(config, {"x": {"set": {"language_model.variants": renamed}},
                            "y": {"set": {LR: 0.5}, "variants": ["gru-full"]}})
    assert list(found["x"].variants["language_model"]) == ["d6-p8"]            # d4-p8 is the baseline's own
    assert found["x"].shared == {"language_model": ["d4-p8"]} and found["y"].shared == {}
    autoencoder = expand(config, {"ae": {"set": {"autoencoder.grid.hidden": [4, 5]}}})["ae"]
    assert list(autoencoder.variants["autoencoder"]) == ["grid-h5-lambda0.0001"]   # the sweep is unchanged
    assert autoencoder.shared == {"autoencoder": ["sweep-beta0.5-rho0.05", "sweep-beta0.5-rho0.2", "grid-h4-lambda0.0001"]}


def test_a_changed_selection_retrains_what_depends_on_it(config):
    """Issue 29, item 7: a new selection_tolerance was refused as identical; the grid's `auto`
    sparsity depends on it, and on the sweep it is selected from."""
    found = expand(config, {"tol": {"set": {"autoencoder.selection_tolerance": 0.9}}})["tol"]
    trained = found.variants["autoencoder"]
    assert {hp["part"] for hp in trained.values()} == {"sweep", "grid"} and found.shared == {}
    fixed = copy.deepcopy(config)
    fixed["autoencoder"]["grid"].update(beta=0.5, rho=0.05)                      # no `auto`: nothing depends on it
    with pytest.raises(ConfigError, match="identical to the baseline"):
        expand(fixed, {"tol": {"set": {"autoencoder.selection_tolerance": 0.9}}})
    with pytest.raises(ConfigError, match="expected autoencoder sweep variants beside grid-h4-lambda0.0001"):
        expand(config, {"tol": {"set": {"autoencoder.selection_tolerance": 0.9}, "variants": ["grid-h4-lambda0.0001"]}})


def test_a_change_left_untrained_or_a_sweep_of_the_baseline_alone_is_said(config):
    """Issue 29, item 17: both trained nothing, silently."""
    baseline_lr = config["language_model"]["recipes"]["tuned"]["learning_rate"]
    with pytest.raises(ConfigError, match="every point of the sweep at the baseline's settings"):
        expand(config, {"s": {"sweep": {LM_LR: [baseline_lr]}}})
    with pytest.raises(ConfigError, match="none of language_model's"):
        expand(config, {"x": {"set": {LR: 0.5, LM_LR: 0.5}, "variants": ["gru-full"]}})
    found = expand(config, {"x": {"set": {LR: 0.5, LM_LR: baseline_lr}, "variants": ["gru-full"]}})
    assert list(found["x"].variants) == ["recurrent"]                    # its language model is the baseline's


def test_a_sweeps_point_at_the_baseline_is_a_candidate_for_its_winner(config):
    """Issue 29, item 4: the baseline's point of a sweep was left out of the winner's choice."""
    from nnlab.replicates import experiment_comparisons

    baseline_lr = config["language_model"]["recipes"]["tuned"]["learning_rate"]
    plan = overlays.plan(dict(config, experiments={"s": {"sweep": {LM_LR: [baseline_lr, 0.0002]}, "variants": ["d4-p8"]}}))
    assert list(plan.experiments) == ["s-learning_rate0.0002"] and plan.baseline_points == {"s": {"language_model": ["d4-p8"]}}

    def runs(val_ce):
        return [{"task": "language_model", "variant": "d4-p8", "hyperparameters": {"seed": s}, "val_cross_entropy": v,
                 "test_cross_entropy": v, "test_accuracy": 0.5} for s, v in enumerate(val_ce)]

    baseline = {"d4-p8": (runs([1.5, 1.6, 1.55]), None)}
    experiments = {"s-learning_rate0.0002": {"d4-p8": (runs([3.2, 3.3, 3.3]), None)}}
    sweeps = {"s-learning_rate0.0002": "s"}
    table = experiment_comparisons("language_model", baseline, experiments, sweeps, {"s": ["d4-p8"]})
    assert not table["winner"].any()
    assert table["answer"].str.contains("is its point at the baseline's settings").all()
    assert table["answer"].str.contains("best mean validation cross-entropy over its seeds").all()   # a label, not a key
    assert not table["answer"].str.contains("val_cross_entropy|test_cross_entropy").any()
    table = experiment_comparisons("language_model", baseline, experiments, sweeps)      # no baseline point
    assert table["winner"].all()


def test_a_bad_experiment_stops_the_workflow_before_any_job(tmp_path, config):
    config["experiments"] = {"x": {"set": {"recurrent.recipes.tuned.learnin_rate": 0.1}}}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(tmp_path, "-n", "--cores", "1", check=False, configfile=path)
    assert proc.returncode != 0
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "experiments.x" in errors[0] and "learnin_rate" in errors[0]
    assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()


def baseline_files(results):
    """{relative path: (mtime, bytes)} of every file outside experiments/, summary/ and logs."""
    return {str(p.relative_to(results)): (p.stat().st_mtime_ns, p.read_bytes()) for p in results.rglob("*")
            if p.is_file() and p.relative_to(results).parts[0] not in ("experiments", "summary", "logs",
                                                                        "benchmarks", "config.yaml")}


@pytest.fixture(scope="module")
def with_experiments(tiny_run, tmp_path_factory):
    """The finished tiny run, copied, then run again with EXPERIMENTS added."""
    workdir = tmp_path_factory.mktemp("experiments")
    shutil.copytree(tiny_run.parent, workdir, symlinks=True, dirs_exist_ok=True)
    before = baseline_files(workdir / "results")
    config = dict(yaml.safe_load(TINY.read_text()), experiments=copy.deepcopy(EXPERIMENTS))
    path = workdir / "experiments.yaml"
    path.write_text(yaml.safe_dump(config))
    snakemake(workdir, "--cores", "2", "--quiet", "rules", "--config", f"replicates={len(TINY_SEEDS)}",
              configfile=path)
    return workdir, path, before


def test_adding_experiments_retrains_nothing_of_the_baseline(with_experiments):
    workdir, _, before = with_experiments
    assert baseline_files(workdir / "results") == before         # same files, same bytes, same times
    runs = sorted((workdir / "results" / "experiments").glob("*/*/*/seed*/metrics.json"))
    assert [str(p.relative_to(workdir / "results" / "experiments")).rsplit("/", 1)[0] for p in runs] == sorted(
        f"{e}/{t}/{v}/seed{s}" for e, t, vs in (("rnn-fast", "recurrent", ("rnn-full", "gru-full")),
                                                 ("lm-lr-learning_rate0.001", "language_model", ("d4-p8",)),
                                                 ("lm-lr-learning_rate0.004", "language_model", ("d4-p8",)))
        for v in vs for s in TINY_SEEDS)
    assert not list((workdir / "results" / "experiments").glob("*/autoencoder"))    # untouched task: not trained


def test_experiments_table_has_intervals_p_values_and_one_winner_per_sweep(with_experiments):
    workdir, _, _ = with_experiments
    summary = workdir / "results" / "summary"
    recurrent = pd.read_csv(summary / "recurrent_experiments.csv")
    assert sorted(set(zip(recurrent["experiment"], recurrent["variant"]))) == [("rnn-fast", "gru-full"),
                                                                              ("rnn-fast", "rnn-full")]
    for column in ("difference", "low", "high", "p", "p_holm", "test_set_difference", "test_set_low",
                   "test_set_high", "test_set_p", "test_set_p_holm", "real", "test_set_real", "answer", "winner",
                   "selected_on"):
        assert column in recurrent, column
    assert set(recurrent["metric"]) == {"test_accuracy", "test_cross_entropy"} and (recurrent["seeds"] == 2).all()
    assert recurrent["answer"].str.startswith("Too few seeds").all()           # 2 seeds: said, as everywhere
    lm = pd.read_csv(summary / "language_model_experiments.csv")
    assert set(lm["sweep"]) == {"lm-lr"} and lm["selected_on"].eq("val_cross_entropy").all()
    winners = lm[lm["winner"]]
    assert winners["experiment"].nunique() == 1
    best = lm.groupby("experiment")["selection_mean"].first().idxmin()
    assert winners["experiment"].iloc[0] == best                               # the lowest validation CE
    assert (summary / "recurrent_experiments.png").stat().st_size > 1000
    recorded = yaml.safe_load((workdir / "results" / "config.yaml").read_text())["experiments"]
    assert recorded["lm-lr-learning_rate0.004"] == {"set": {LM_LR: 0.004}, "variants": ["d4-p8"], "point_of": "lm-lr"}


def test_changing_one_overlay_reruns_that_experiment_alone(with_experiments):
    workdir, path, _ = with_experiments
    config = yaml.safe_load(path.read_text())
    config["experiments"]["rnn-fast"]["set"][LR] = 0.02
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(workdir, "-n", "--cores", "1", "--config", f"replicates={len(TINY_SEEDS)}", configfile=path)
    trained = [line.split("output: ")[1].split("/seed")[0] for line in proc.stdout.splitlines()
               if "output: " in line and "/params.npz" in line]
    assert sorted(trained) == sorted(f"results/experiments/rnn-fast/recurrent/{v}" for v in ("rnn-full", "gru-full")
                                     for _ in TINY_SEEDS)


def test_the_experiments_page_shows_the_forest_plot_the_answer_and_the_curves(with_experiments, monkeypatch):
    from test_app import charts, run_page, texts

    workdir, _, _ = with_experiments
    at = run_page(workdir / "results", None, "experiments", monkeypatch=monkeypatch)
    shown = texts(at)
    assert "Recurrent activity classifier" in shown and "Neural language model" in shown
    assert "Filled: a real difference" in shown and "Too few seeds to say anything" in shown
    boxes = [s.value for s in at.selectbox]      # per task: experiment, variant, metric; the curves' variant
    assert boxes == ["lm-lr-learning_rate0.001", "d4-p8", "test_cross_entropy", "d4-p8",
                     "rnn-fast", "rnn-full", "test_accuracy", "rnn-full"]
    at.selectbox[5].select("gru-full").run()
    assert not at.exception and "gru-full (rnn-fast)" in texts(at)
    drawn = charts(at)
    forests = [c for c in drawn if "experiment − baseline" in c["title"]]
    assert len(forests) == 2 and set(forests[1]["data"]["variant"]) == {"rnn-full (rnn-fast)", "gru-full (rnn-fast)"}
    curves = [c for c in drawn if c not in forests]
    assert {"d4-p8 (baseline)", "d4-p8 (lm-lr-learning_rate0.004)"} <= set(curves[0]["data"]["variant"])


def test_the_experiments_page_without_experiments_says_how_to_add_them(tiny_run, monkeypatch):
    from test_app import run_page, texts

    at = run_page(tiny_run, None, "experiments", monkeypatch=monkeypatch)
    assert "No experiment results yet" in texts(at)


def test_the_experiments_page_says_when_a_variant_lacks_the_picked_metric(tmp_path, monkeypatch):
    from test_app import run_page, texts

    summary = tmp_path / "results" / "summary"
    summary.mkdir(parents=True)
    row = dict(experiment="e", sweep="", a="rnn-full (e)", difference=0.01, low=-0.01, high=0.03, p=0.2,
               p_holm=0.4, real=False, seeds=3, answer="not distinguishable", winner=False, selected_on="")
    pd.DataFrame([{**row, "variant": "rnn-full", "metric": "test_accuracy"},
                  {**row, "variant": "gru-full", "metric": "test_cross_entropy"}]).to_csv(
        summary / "recurrent_experiments.csv", index=False)
    at = run_page(tmp_path / "results", None, "experiments", monkeypatch=monkeypatch)
    at.selectbox[1].select("gru-full").run()            # its only metric is not the one picked
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "No comparison of gru-full on test_accuracy in e." in texts(at)


def test_a_run_whose_settings_are_not_its_folders_is_refused(tiny_run, tmp_path):
    """Issue 29, item 5: a run's own record of its settings must match what its folder stands for."""
    from nnlab.errors import DataError
    from nnlab.replicates import write_aggregate

    folder = tmp_path / "results" / "recurrent" / "gru-full" / "seed1"
    shutil.copytree(tiny_run / "recurrent" / "gru-full" / "seed1", folder)
    record = yaml.safe_load((folder / "metrics.json").read_text())
    expected = {k: v for k, v in record["hyperparameters"].items() if k != "seed"}
    paths = [str(folder / "metrics.json")], [str(folder / "history.csv")]
    write_aggregate(*paths, tmp_path / "a.json", tmp_path / "h.csv", {"results": {"gru-full": expected}})
    for key, value in (("learning_rate", 0.03), ("finetune", {**expected["finetune"], "epochs": 9}), ("hidden", True)):
        settings = {str(tmp_path / "results"): {"gru-full": {**expected, key: value}}}
        with pytest.raises(DataError) as excinfo:
            write_aggregate(*paths, tmp_path / "a.json", tmp_path / "h.csv", settings)
        message = str(excinfo.value)
        assert message.startswith(f"{folder / 'metrics.json'}: key 'hyperparameters.{key}': expected {value!r}")
        assert "\n" not in message


def test_a_run_copied_from_an_experiment_into_the_baseline_stops_the_comparison(with_experiments, tmp_path):
    """Issue 29, item 5: a copied run was averaged in silently and flipped the experiment's answer."""
    workdir, _, _ = with_experiments
    copied = tmp_path / "copy"
    shutil.copytree(workdir, copied, symlinks=True)
    path = copied / "again.yaml"
    path.write_text(yaml.safe_dump(dict(yaml.safe_load(TINY.read_text()), experiments=copy.deepcopy(EXPERIMENTS))))
    target = copied / "results" / "recurrent" / "gru-full" / "seed1"
    shutil.rmtree(target)
    shutil.copytree(copied / "results" / "experiments" / "rnn-fast" / "recurrent" / "gru-full" / "seed1", target)
    for file in target.iterdir():
        file.touch()
    proc = snakemake(copied, "--cores", "1", "--config", f"replicates={len(TINY_SEEDS)}", check=False, configfile=path)
    assert proc.returncode != 0
    line = "results/recurrent/gru-full/seed1/metrics.json: key 'hyperparameters.learning_rate': expected 0.01"
    assert line in proc.stdout + proc.stderr, proc.stderr[-3000:]


ROW = dict(experiment="e", sweep="", variant="rnn-full", a="rnn-full (e)", metric="test_accuracy", difference=0.01,
           low=-0.01, high=0.03, p=0.2, p_holm=0.4, real=False, seeds=3, answer="not distinguishable", winner=False,
           selected_on="")


def experiments_page(tmp_path, monkeypatch, rows=None, text=None, recorded=None):
    """The Experiments page over a results folder holding recurrent_experiments.csv (`rows`, or `text`)
    and, when given, a results/config.yaml recording the experiments `recorded`."""
    from test_app import run_page

    summary = tmp_path / "results" / "summary"
    summary.mkdir(parents=True)
    path = summary / "recurrent_experiments.csv"
    if text is None:
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        path.write_text(text)
    if recorded is not None:
        (tmp_path / "results" / "config.yaml").write_text(yaml.safe_dump({"experiments": {e: {} for e in recorded}}))
    return run_page(tmp_path / "results", None, "experiments", monkeypatch=monkeypatch)


def test_a_truncated_experiments_table_says_why(tmp_path, monkeypatch):
    """Issue 29, item 14: a truncated table gave AttributeError: 'float' object has no attribute 'replace'."""
    text = pd.DataFrame([ROW, {**ROW, "variant": "gru-full", "a": "gru-full (e)"}]).to_csv(index=False)
    at = experiments_page(tmp_path, monkeypatch, text=text[:text.rindex("gru-full (e)") + 5])
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "found row 3 without metric, answer" in errors[0] and "truncated" in errors[0], errors
    assert [s.value for s in at.selectbox][:2] == ["e", "rnn-full"]               # the whole row is still shown


def test_text_nan_inf_and_unknown_metrics_in_the_experiments_table_are_named(tmp_path, monkeypatch):
    """Issue 29, item 15: these showed no message naming the cells."""
    rows = [{**ROW, "difference": "abc"}, {**ROW, "variant": "gru-full", "a": "gru-full (e)", "p_holm": "NaN"},
            {**ROW, "variant": "lstm-full", "a": "lstm-full (e)", "high": "inf"},
            {**ROW, "variant": "rnn-tbptt5", "a": "rnn-tbptt5 (e)", "metric": "test_accuracyy"}]
    at = experiments_page(tmp_path, monkeypatch, rows)
    from test_app import plain

    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 2, errors
    assert "test_accuracyy" in errors[0] and "left out" in errors[0]
    for cell in ("'abc' in difference of rnn-full (e) on test_accuracy", "'NaN' in p_holm of gru-full (e)",
                 "'inf' in high of lstm-full (e)"):
        assert cell in errors[1], errors[1]


def test_a_huge_experiments_table_is_read_and_drawn_in_part(tmp_path, monkeypatch):
    """Issue 29, item 16: 50,000 experiments took 25 s and 1.35 GB and never answered in a browser."""
    from nnlab.app import loaders
    from test_app import charts

    monkeypatch.setattr(loaders, "MAX_TABLE_ROWS", 300)
    rows = [{**ROW, "experiment": f"e{i}", "a": f"rnn-full (e{i})"} for i in range(400)]
    at = experiments_page(tmp_path, monkeypatch, rows, recorded=[f"e{i}" for i in range(400)])
    shown = texts_of(at)
    assert "only its first 300 rows were read" in shown and "Drawn: the first 200 of its 300 rows" in shown
    forests = [c for c in charts(at) if "experiment − baseline" in c["title"]]
    assert len(forests[0]["data"]) == 200
    monkeypatch.setattr(loaders, "MAX_TABLE_BYTES", 5000)
    (tmp_path / "results" / "summary" / "recurrent_experiments.csv").write_text(pd.DataFrame(rows[:100]).to_csv(index=False))
    from test_app import run_page

    at = run_page(tmp_path / "results", None, "experiments", monkeypatch=monkeypatch)
    assert "or 0 MiB: only its first" in texts_of(at) and not at.error


def texts_of(at):
    from test_app import texts

    return texts(at)


def test_experiments_the_configuration_no_longer_has_are_said_and_left_out(tmp_path, monkeypatch):
    """Issue 29, item 3: a removed experiment's table stayed on screen as current, its folder reported nowhere."""
    (tmp_path / "results" / "experiments" / "old" / "recurrent").mkdir(parents=True)
    (tmp_path / "results" / "experiments" / "e").mkdir(parents=True)
    rows = [ROW, {**ROW, "experiment": "old", "a": "rnn-full (old)"}]
    at = experiments_page(tmp_path, monkeypatch, rows, recorded=["e"])
    warnings = [w.value for w in at.warning]
    assert any("folders of experiments the configuration no longer has" in w and "old" in w for w in warnings)
    assert any("holds experiments the configuration no longer has" in w and ": old: left out" in w for w in warnings)
    assert [s.value for s in at.selectbox][0] == "e" and len(at.selectbox[0].options) == 1
    (tmp_path / "results" / "config.yaml").write_text(yaml.safe_dump({"seed": 0}))      # experiments: {} now
    from test_app import run_page

    at = run_page(tmp_path / "results", None, "experiments", monkeypatch=monkeypatch)
    assert "has no experiment of the current configuration to show" in texts_of(at) and not at.selectbox
