"""The report's claims (nnlab.claims): the registry, every verdict rule on constructed numbers, the
measurements, and the claims target end to end on the tiny configuration with 3 seeds."""
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake
from nnlab import claims, claims_figures, tasks
from nnlab.claims import NOT_DISTINGUISHABLE, NOT_REPRODUCED, NOT_TESTED, REPRODUCED
from nnlab.experiments.autoencoder import feature_roughness

nan = math.nan


# ------------------------------------------------------------------------------- the registry


def test_registry_is_complete_and_consistent():
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    assert {c.question for c in claims.CLAIMS} == {1, 2, 3}
    assert set(claims.FIGURES) == set(claims_figures.DRAW)
    for c in claims.CLAIMS:
        assert c.task in tasks.TASKS and c.why and c.statement
        assert c.rule in (claims.RANGE, claims.BETTER, claims.NOT_WORSE, claims.CHOICE, claims.SHOWN)
        if c.rule in (claims.RANGE, claims.BETTER, claims.NOT_WORSE):
            assert c.quantity in claims.Q and c.a
        if c.rule in (claims.BETTER, claims.NOT_WORSE):
            assert c.b and c.b != c.a
        if c.rule == claims.RANGE:
            assert c.low is not None or c.high is not None
        assert c.test and c.measure


def test_the_report_recipe_trains_what_the_claims_compare():
    from nnlab.config import read

    config = read(Path(__file__).resolve().parents[1] / "config.yaml")
    experiment = claims.report_experiment({k: v for k, v in config.items() if k != "experiments"})
    for task, variants in claims.needed_variants().items():
        assert set(variants) <= set(experiment.variants[task]), task
    assert all(hp["recipe"] == "course" for hp in experiment.variants["recurrent"].values())
    assert all(hp["recipe"] == "course" for hp in experiment.variants["language_model"].values())
    ae = experiment.variants["autoencoder"]
    assert "sweep-beta0.1-rho0.5" in ae and all(hp["epochs"] == 20 for hp in ae.values())
    assert all((hp["beta"], hp["rho"]) == (0.1, 0.5) for hp in ae.values() if hp["part"] == "grid")
    assert claims.changed(config) == {}
    with pytest.raises(claims.ConfigError, match=r"^config: key 'report.set': key 'recurrent.hiden': expected a key"):
        claims.report_experiment(dict(config, report={"set": {"recurrent.hiden": 3}}))
    trial = dict(config, report={"set": {"autoencoder.recipes.tuned.epochs": 2}})
    assert claims.changed(trial) == {"autoencoder.recipes.tuned.epochs": 2}


# ------------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize("low, high, report_low, report_high, verdict", [
    (2.80, 2.90, 2.8418, 2.8418, REPRODUCED),          # a point the interval holds
    (2.85, 2.90, 2.8418, 2.8418, NOT_REPRODUCED),      # a point it misses
    (4.1, 4.3, 4.0, 4.5, REPRODUCED),                  # inside the range
    (2.9, 3.1, 4.0, 4.5, NOT_REPRODUCED),              # outside
    (3.9, 4.2, 4.0, 4.5, NOT_DISTINGUISHABLE),         # across its edge
    (0.30, 0.35, None, 0.237, NOT_REPRODUCED),         # "at most": above it
    (0.10, 0.20, None, 0.237, REPRODUCED),
    (2.5, 6.0, 2.0, None, REPRODUCED),                 # "at least"
    (nan, nan, 0.0, 1.0, NOT_TESTED),                  # no interval (too few seeds)
])
def test_range_verdict(low, high, report_low, report_high, verdict):
    assert claims.range_verdict(low, high, report_low, report_high) == verdict


@pytest.mark.parametrize("difference, p_holm, lower, seeds, p, verdict", [
    (0.05, 0.01, False, 5, 0.002, REPRODUCED),          # a real difference the claimed way
    (-0.05, 0.01, False, 5, 0.002, NOT_REPRODUCED),     # a real one the other way
    (0.05, 0.30, False, 5, 0.06, NOT_DISTINGUISHABLE),
    (-0.2, 0.01, True, 5, 0.002, REPRODUCED),           # lower is better: a negative difference wins
    (-1000.0, nan, True, 3, nan, REPRODUCED),           # the same difference on every seed: its sign decides
    (0.0, nan, False, 3, nan, NOT_REPRODUCED),          # identical: not better
    (0.05, 0.01, False, 2, 0.01, NOT_TESTED),           # too few seeds
])
def test_better_verdict(difference, p_holm, lower, seeds, p, verdict):
    assert claims.better_verdict(difference, p_holm, lower, seeds, p) == verdict


@pytest.mark.parametrize("low, high, lower, verdict", [
    (-0.01, 0.03, False, REPRODUCED),                   # at worst 1 point behind: within the 2-point margin
    (-0.10, -0.05, False, NOT_REPRODUCED),              # surely more than 2 points behind
    (-0.05, 0.01, False, NOT_DISTINGUISHABLE),
    (-0.03, 0.01, True, REPRODUCED),                    # a loss: at most 0.01 higher
    (nan, nan, False, NOT_TESTED),
])
def test_not_worse_verdict(low, high, lower, verdict):
    assert claims.not_worse_verdict(low, high, 0.02, lower) == verdict


def test_choice_verdict():
    assert claims.choice_verdict({"beta": 0.1, "rho": 0.5, "variant": "x"}, claims.REPORT_CHOICE) == REPRODUCED
    assert claims.choice_verdict({"beta": 0.5, "rho": 0.05}, claims.REPORT_CHOICE) == NOT_REPRODUCED
    assert claims.choice_verdict(None, claims.REPORT_CHOICE) == NOT_TESTED


# -------------------------------------------------------------------------------- measurements


def test_feature_roughness_white_noise_against_smooth_images():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(256, 200))                           # 200 units of white noise
    assert feature_roughness(noise).mean() == pytest.approx(1.0, abs=0.03)
    y, x = np.mgrid[0:16, 0:16]
    blob = np.exp(-((x - 7.5) ** 2 + (y - 7.5) ** 2) / 20.0).reshape(256, 1)
    assert feature_roughness(blob)[0] < 0.05
    checker = ((x + y) % 2).reshape(256, 1).astype(float)
    assert feature_roughness(checker)[0] == pytest.approx(2.0, rel=0.01)
    assert feature_roughness(3.0 * noise) == pytest.approx(feature_roughness(noise))      # scale-free


def test_largest_fall_and_gradient_decades():
    assert claims.largest_fall([0.2, 0.5, 0.85, 0.6, 0.5, 0.9]) == pytest.approx(0.35)
    assert claims.largest_fall([0.1, 0.2, 0.3]) == 0.0
    assert claims.gradient_decades([1e-6, 1e-3, 1.0]) == pytest.approx(6.0)        # vanishing
    assert claims.gradient_decades([1e4, 10.0, 1.0]) == pytest.approx(4.0)         # exploding
    assert claims.gradient_decades([0.0, 1.0]) == pytest.approx(-np.log10(np.finfo(np.float32).tiny))


def write_run(root, task, variant, seed, **record):
    folder = Path(tasks.run_dir(root, task, variant, seed))
    folder.mkdir(parents=True)
    hp = {"seed": seed}
    base = {"task": task, "variant": variant, "hyperparameters": hp, "best_epoch": 1, "epochs_run": 1,
            "seconds_per_epoch": 1.0}
    base.update({m.name: 0.5 for m in tasks.TASKS[task].metrics})
    base.update(record)
    (folder / "metrics.json").write_text(json.dumps(base))
    (folder / "history.csv").write_text("epoch,val_loss,val_accuracy\n1,1.0,0.5\n2,0.9,0.6\n")
    pd.DataFrame({"epoch": [1, 1], "step": [1, 2], "norm": [0.5, 1.0]}).to_csv(folder / "grad_steps.csv")
    return folder


def test_table_holm_and_sentences_on_constructed_runs(tmp_path):
    """gru-full runs 2x faster on every seed with noise: 3.7a reproduced; 3.4a's LSTM at 95% is out of
    'about 80%'; the RNN has one seed only in the baseline: not tested there."""
    course, tuned = tmp_path / "report", tmp_path
    seeds = [0, 1, 2]
    for s in seeds:
        write_run(course, "recurrent", "lstm-full", s, stage1_test_accuracy=0.95 + 0.01 * s, seconds_per_epoch=2.0 + 0.1 * s)
        write_run(course, "recurrent", "gru-full", s, stage1_test_accuracy=0.90, seconds_per_epoch=1.0 + 0.03 * s * s)
    rnn = write_run(tuned, "recurrent", "rnn-full", 0, test_accuracy=0.3)
    pd.DataFrame({"epoch": [1, 1, 1], "step": [1, 2, 3], "norm": [1e-5, 1e-2, 1.0]}).to_csv(rnn / "grad_steps.csv")
    frame = claims.table({"course": str(course), "tuned": str(tuned)}, seeds).set_index("claim")
    assert frame.loc["3.7a", "course_verdict"] == REPRODUCED
    assert frame.loc["3.7a", "course_p_holm"] >= frame.loc["3.7a", "course_p"]
    assert frame.loc["3.4a", "course_verdict"] == NOT_REPRODUCED
    assert frame.loc["3.4b", "course_verdict"] == NOT_REPRODUCED and frame.loc["3.4b", "course_seeds"] == 3
    assert frame.loc["3.6", "course_verdict"] == REPRODUCED              # LSTM 5 points ahead on every seed, noisy
    assert frame.loc["3.1", "tuned_verdict"] == NOT_TESTED and frame.loc["3.1", "tuned_seeds"] == 1
    assert frame.loc["3.2", "tuned_value"] == pytest.approx(5.0)        # five powers of ten, one seed
    assert frame.loc["3.3", "course_verdict"] == NOT_TESTED              # no RNN runs under the report's recipe
    assert "too few to test" in frame.loc["3.1", "answer"]
    # one way to say a difference (nnlab.wording.said_difference): the size with the interval of that size
    faster = frame.loc["3.7a", "answer"]                                 # gru - lstm seconds < 0: ahead
    assert "gru-full is ahead of lstm-full by 1.05 of seconds per epoch (95% CI 0.9" in faster
    assert "lstm-full is ahead of gru-full by 6.0 points of test accuracy" in frame.loc["3.6", "answer"]
    assert frame.loc["3.4a", "answer"].startswith("Not reproduced (the report: about 80%)")
    assert "95% CI" in frame.loc["3.4a", "answer"] and "75% to 85%" in frame.loc["3.4a", "answer"]
    assert set(frame["verdict"]) <= set(claims.VERDICTS)
    assert (frame.loc[frame["rule"] == claims.SHOWN, "verdict"] == claims.SHOWN).all()


def test_a_run_that_cannot_be_measured_is_one_line_and_one_that_does_not_record_it_is_left_out(tmp_path):
    folder = write_run(tmp_path / "report", "recurrent", "rnn-full", 0)
    write_run(tmp_path / "report", "recurrent", "rnn-full", 1)
    claim = next(c for c in claims.CLAIMS if c.id == "3.2")              # reads grad_steps.csv
    (folder / "grad_steps.csv").unlink()                                  # a run from before it was recorded
    assert list(claims.values(str(tmp_path / "report"), claim, "rnn-full", [0, 1])) == [1]
    (folder / "grad_steps.csv").write_text("epoch,step\n1,x\n")           # unreadable: one line naming the run
    with pytest.raises(claims.DataError, match=r"rnn-full/seed0: expected what claim 3.2 measures"):
        claims.values(str(tmp_path / "report"), claim, "rnn-full", [0, 1])


# ------------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def claims_run(tiny_run, tmp_path_factory):
    """The tiny baseline (seeds 0 and 1) copied, then `snakemake claims --config replicates=3`."""
    workdir = tmp_path_factory.mktemp("claims")
    shutil.copytree(tiny_run.parent, workdir, dirs_exist_ok=True, symlinks=True)
    before = {p: p.stat().st_mtime_ns for p in (workdir / "results").glob("*/*/seed0/metrics.json")}
    snakemake(workdir, "--cores", "2", "--quiet", "rules", "--config", "replicates=3", "--", "claims")
    return workdir / "results", before


def test_claims_target_end_to_end(claims_run):
    results, before = claims_run
    table = pd.read_csv(tasks.claims_file(results))
    assert list(table["claim"].astype(str)) == [c.id for c in claims.CLAIMS]
    assert set(table["verdict"]) <= set(claims.VERDICTS)
    assert table["recipe_changed"].notna().all() and "report.set" in table["answer"].iloc[0]
    rows = table.set_index("claim")
    assert rows.loc["3.3", "course_seeds"] == 3 and rows.loc["3.3", "verdict"] in claims.VERDICTS
    assert rows.loc["3.6", "verdict"] == NOT_TESTED           # the tiny report recipe trains no LSTM or GRU
    assert rows.loc["1.1", "course_chosen"].startswith("beta 0.1")
    for name in claims.FIGURES:
        assert Path(tasks.claims_figure(results, name)).read_bytes()[:4] == b"\x89PNG"
    report = Path(tasks.report_dir(results))
    record = json.loads((report / "recurrent/rnn-full/seed2/metrics.json").read_text())
    assert record["hyperparameters"]["recipe"] == "course" and "stage1_test_accuracy" in record
    steps = pd.read_csv(report / "recurrent/rnn-full/seed0/grad_steps.csv")
    assert set(steps["epoch"]) >= {0, 1} and steps.groupby("epoch")["step"].max().eq(record["steps"]).all()
    assert (report / "summary/recurrent_comparisons.csv").is_file()
    for path, mtime in before.items():                          # the baseline's runs are not retrained
        assert path.stat().st_mtime_ns == mtime, path


def test_the_default_target_trains_nothing_of_the_report(tiny_run):
    assert not Path(tasks.report_dir(tiny_run)).exists()


def test_docs_report_lists_every_claim_of_the_registry():
    text = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text()
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "|" in line[2:]]
    listed = [r for r in rows if r[:1].isdigit()]
    first = list(dict.fromkeys(r for r in listed if r in {c.id for c in claims.CLAIMS}))   # the registry table
    assert [c.id for c in claims.CLAIMS] == first
    assert set(c.id for c in claims.CLAIMS) <= set(listed)
