"""Experiment 2, the trigram language model: gradients, forward passes, top-k, the rules."""
import json

import numpy as np
import pandas as pd
import pytest

from conftest import snakemake
from nnlab.errors import ConfigError
from nnlab import models
from nnlab.experiments.language_model import PREDICTION_COLUMNS, pca_2d, sample_indices
from nnlab.nn.layers import embedding_backward, softmax
from nnlab.train import lr_schedule
from nnlab.models import language_model as lm
from nnlab.nn.optim import SGD
from nnlab.train import fit
from nnlab.variants import language_model_map_variant, language_model_variants, run_settings

V = 13


def batch(n=17, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, (n, 3))
    x[0] = [4, 4, 4]  # one word three times
    return x, rng.integers(0, V, n)


def reference_logits(w, x, order_aware):
    """Straightforward float64 forward pass: sum (or concatenate) the three embeddings."""
    w = {k: np.asarray(v, np.float64) for k, v in w.items()}
    e = w["R"][x].reshape(len(x), -1) if order_aware else w["R"][x].sum(axis=1)
    h = 1 / (1 + np.exp(-(e @ w["W1"] + w["b1"])))
    return h @ w["W2"] + w["b2"]


def test_gradcheck():
    checks = lm.gradcheck()
    assert len(checks) == 4
    for name, error in checks:
        assert error <= 1e-6, (name, error)


@pytest.mark.parametrize("order_aware", [False, True])
def test_forward_is_the_documented_model(order_aware):
    model = lm.LanguageModel(V, 5, 7, order_aware=order_aware, init_std=0.5, seed=3)
    x, _ = batch()
    expected = reference_logits(model.params.w, x, order_aware)
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-4, atol=1e-5)
    probs = model.predict_proba(x)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_word_order_matters_only_when_order_aware():
    x = np.array([[1, 2, 3], [3, 1, 2]])
    summed = lm.LanguageModel(V, 5, 7, init_std=0.5, seed=3).predict_proba(x)
    np.testing.assert_allclose(summed[0], summed[1], rtol=1e-6)  # equal up to float rounding
    ordered = lm.LanguageModel(V, 5, 7, order_aware=True, init_std=0.5, seed=3).predict_proba(x)
    assert not np.allclose(ordered[0], ordered[1])


@pytest.mark.parametrize("order_aware", [False, True])
def test_training_and_prediction_forward_agree_exactly(order_aware):
    model = lm.LanguageModel(V, 5, 7, order_aware=order_aware, init_std=0.5, seed=3)
    x, y = batch()
    logits = model.forward(x).copy()           # what step() computes before its backward pass
    loss, correct = model.step(x, y)
    assert (loss, correct / len(y)) == model.evaluate(x, y)
    probs = model.predict_proba(x)
    assert np.array_equal(probs, softmax(logits))
    assert correct == np.count_nonzero(probs.argmax(axis=1) == y)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(len(y)), y])), rel=1e-5)
    # ... and after a round trip through params.npz (allow_pickle=False)
    model.words = np.array([f"w{i}" for i in range(V)])
    loaded = lm.LanguageModel.from_arrays(model.save_arrays())
    assert np.array_equal(loaded.predict_proba(x), probs) and loaded.words[3] == "w3"
    with pytest.raises(ValueError, match="0..12"):
        model.predict_proba(np.array([[1, 2, -1]]))  # a negative index would silently wrap around


@pytest.mark.parametrize("order_aware", [False, True])
def test_embedding_gradient_by_index_matches_naive_accumulation(order_aware):
    rng = np.random.default_rng(1)
    x, _ = batch()
    D = 4
    de = rng.standard_normal((len(x), 3 * D if order_aware else D)).astype(np.float32)
    dR = embedding_backward(de, x, np.full((V, D), np.nan, np.float32), order_aware)
    expected = np.zeros((V, D))
    for i in range(len(x)):
        for k in range(3):
            expected[x[i, k]] += de[i, k * D:(k + 1) * D] if order_aware else de[i]
    np.testing.assert_allclose(dR, expected, rtol=1e-5, atol=1e-6)


def test_chunked_evaluation_equals_one_pass(monkeypatch):
    model = lm.LanguageModel(V, 5, 7, init_std=0.5, seed=3)
    x, y = batch(n=50)
    loss, acc = model.evaluate(x, y)
    probs = model.predict_proba(x)
    losses, correct, top = model.sample_scores(x, y, k=V)
    assert losses.mean() == pytest.approx(loss, rel=1e-6) and correct.mean() == acc and top.all()
    monkeypatch.setattr(lm, "EVAL_CHUNK", 7)
    loss7, acc7 = model.evaluate(x, y)
    assert loss7 == pytest.approx(loss, rel=1e-6) and acc7 == acc
    assert np.allclose(model.predict_proba(x), probs, atol=1e-7)
    np.testing.assert_allclose(model.sample_scores(x, y, k=V)[0], losses, rtol=1e-6)


def test_top_k_sorted_with_ties_broken_by_index():
    probs = np.array([[0.1, 0.4, 0.2, 0.2, 0.1], [0.5, 0.0, 0.3, 0.1, 0.1]])
    idx, p = lm.top_k(probs, 3)
    assert idx.tolist() == [[1, 2, 3], [0, 2, 3]]
    assert np.array_equal(p, np.take_along_axis(probs, idx, axis=1))
    idx, _ = lm.top_k(probs, 10)  # k larger than V: every word
    assert idx.shape == (2, 5) and idx[1].tolist() == [0, 2, 3, 4, 1]


def test_learns_a_deterministic_rule():
    """4th word = (first word + third word) mod V: learnable only with word order."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 8, (4000, 3))
    y = (x[:, 0] + 2 * x[:, 2]) % 8
    model = lm.LanguageModel(8, 8, 32, order_aware=True, init="xavier", init_std=0.5, seed=0)
    result = fit(model, SGD(0.5, 0.9), (x[:3500], y[:3500]), (x[3500:], y[3500:]), epochs=15,
                 batch_size=50, patience=3, log=lambda s: None)
    assert result.best["val_accuracy"] > 0.9


def test_lr_schedules_reach_the_final_fraction_one_epoch_after_the_last():
    assert lr_schedule("constant", 10, 0.1) is None
    cosine, expo = lr_schedule("cosine", 10, 0.1), lr_schedule("exponential", 10, 0.1)
    assert cosine(1) == pytest.approx(1) and cosine(6) == pytest.approx(0.55) and cosine(11) == pytest.approx(0.1)
    assert expo(1) == pytest.approx(1) and expo(11) == pytest.approx(0.1)
    assert expo(6) == pytest.approx(0.1 ** 0.5)
    to_zero = lr_schedule("cosine", 50, 0.0)
    assert to_zero(50) > 0 and to_zero(50) == pytest.approx(0.5 * (1 + np.cos(np.pi * 49 / 50)))


def test_pca_2d_finds_the_main_direction():
    t = np.linspace(-1, 1, 20)
    X = np.stack([t, 2 * t, 0.01 * np.sin(9 * t)], axis=1)
    xy, explained = pca_2d(X)
    assert xy.shape == (20, 2) and np.abs(xy[:, 0]).max() > 100 * np.abs(xy[:, 1]).max()
    assert explained[0] > 0.99 and explained.sum() <= 1 + 1e-12


def lm_config(**overrides):
    recipe = {"optimizer": "sgd", "learning_rate": 0.15, "momentum": 0.85, "batch_size": 200, "epochs": 50,
              "patience": 5, "init": "gaussian", "init_std": 0.01, "weight_decay": 0.0, "lr_schedule": "constant",
              "lr_final_fraction": 1.0}
    lm_cfg = {"recipe": "course", "prediction_samples": 5,
              "variants": [{"embedding_dim": 32, "hidden": 256, "order_aware": False},
                           {"embedding_dim": 8, "hidden": 64, "order_aware": False},
                           {"embedding_dim": 32, "hidden": 256, "order_aware": True}],
              "recipes": {"course": recipe, "tuned": dict(recipe, optimizer="adam", learning_rate=0.002)}}
    lm_cfg.update(overrides)
    return {"seed": 7, "language_model": lm_cfg}


def test_variants_names_recipe_and_map_choice():
    variants = language_model_variants(lm_config())
    assert list(variants) == ["d32-p256", "d8-p64", "d32-p256-ordered"]
    assert variants["d8-p64"]["learning_rate"] == 0.15 and variants["d8-p64"]["recipe"] == "course"
    assert "seed" not in variants["d8-p64"]                      # a run's seed is added once, per run
    assert run_settings(variants["d8-p64"], 8) == dict(variants["d8-p64"], seed=8)
    tuned = language_model_variants(lm_config(recipe="tuned"))
    assert tuned["d8-p64"]["optimizer"] == "adam" and tuned["d8-p64"]["recipe"] == "tuned"
    assert language_model_map_variant(lm_config()) == "d32-p256"
    twice = lm_config(variants=[{"embedding_dim": 8, "hidden": 64, "order_aware": False}] * 2)
    with pytest.raises(ConfigError, match="'language_model.variants': expected distinct entries.*d8-p64"):
        language_model_variants(twice)


def test_sampled_trigrams_depend_on_the_seed_only():
    assert np.array_equal(sample_indices(1000, 5, 0), sample_indices(1000, 5, 0))
    assert len(set(sample_indices(1000, 5, 0))) == 5 and len(sample_indices(3, 5, 0)) == 3


# ------------------------------------------------------------------ the rules, end to end

TARGETS = ["results/summary/language_model.csv", "results/language_model/embedding_map.png",
           "results/language_model/embedding_map.csv"]
METRICS = ["task", "variant", "hyperparameters", "epochs_run", "seconds_per_epoch", "best_epoch",
           "val_cross_entropy", "val_accuracy", "test_cross_entropy", "test_accuracy", "test_top10_accuracy",
           "test_perplexity"]


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    """Only the language-model rules (and their data) on the tiny config, one seed (replicates: 1);
    yields the results folder."""
    workdir = tmp_path_factory.mktemp("tiny-lm")
    snakemake(workdir, "--cores", "2", "--quiet", "rules", "--", *TARGETS)
    return workdir / "results"


def test_rules_write_the_results_contract(lm_run):
    summary = pd.read_csv(lm_run / "summary" / "language_model.csv")
    assert sorted(summary["variant"]) == ["d4-p8", "d8-p16", "d8-p16-ordered"]
    words = np.load(lm_run / "data" / "trigrams.npz", allow_pickle=False)["words"]
    assert set(summary["seeds"]) == {1}
    for variant in summary["variant"]:
        folder = lm_run / "language_model" / variant / "seed0"   # replicates 1: the one run is seed 0's
        assert [p.name for p in folder.parent.iterdir() if p.is_dir()] == ["seed0"]
        assert json.loads((folder.parent / "aggregate.json").read_text())["seeds"] == [0]
        metrics = json.loads((folder / "metrics.json").read_text())
        for key in METRICS:
            assert key in metrics, key
        assert metrics["test_perplexity"] == pytest.approx(np.exp(metrics["test_cross_entropy"]))
        assert 0 < metrics["test_accuracy"] <= metrics["test_top10_accuracy"] <= 1
        for name in ("val_cross_entropy", "val_accuracy", "test_cross_entropy", "test_accuracy", "test_top10_accuracy"):
            assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"], name
        history = pd.read_csv(folder / "history.csv")
        assert list(history.columns[:6]) == ["epoch", "train_loss", "val_loss", "train_accuracy",
                                             "val_accuracy", "seconds"]
        assert len(history) == metrics["epochs_run"] and history[["train_accuracy", "val_accuracy"]].notna().all().all()
        best = history.loc[history["epoch"] == metrics["best_epoch"], "val_loss"].item()
        assert metrics["val_cross_entropy"] == pytest.approx(best, rel=1e-6)
        params = np.load(folder / "params.npz", allow_pickle=False)
        assert params["words"].dtype.kind == "U" and list(params["words"]) == list(words)
        model = models.load(folder / "params.npz")
        assert isinstance(model, lm.LanguageModel) and model.order_aware == variant.endswith("-ordered")
        assert (folder / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert (lm_run / "language_model" / "embedding_map.png").read_bytes()[:4] == b"\x89PNG"
    points = pd.read_csv(lm_run / "language_model" / "embedding_map.csv", keep_default_na=False)
    assert list(points.columns) == ["word", "x", "y"] and sorted(points["word"]) == sorted(words)


def test_predictions_list_the_same_trigrams_for_every_variant(lm_run):
    tables = {v: pd.read_csv(lm_run / "language_model" / v / "seed0" / "predictions.csv", keep_default_na=False)
              for v in ("d4-p8", "d8-p16", "d8-p16-ordered")}
    trigram = ["sample", "test_index", "word1", "word2", "word3", "true_word"]
    for table in tables.values():
        assert list(table.columns) == PREDICTION_COLUMNS
        assert len(table) == 3 * 10 and table.groupby("sample").size().eq(10).all()
        assert table["rank"].tolist() == list(range(1, 11)) * 3
        for _, group in table.groupby("sample"):
            assert group["probability"].is_monotonic_decreasing and group["probability"].sum() <= 1 + 1e-6
            assert group["candidate"].is_unique
            true_rank = group["true_rank"].iloc[0]
            if true_rank <= 10:
                assert group["candidate"].iloc[true_rank - 1] == group["true_word"].iloc[0]
        assert table[trigram].equals(tables["d4-p8"][trigram])


# ------------------------------------------------------------------ the embedding map: CSV and PNG (issue 28)

def test_embedding_map_writes_the_points_it_draws_and_a_readable_view(tmp_path, monkeypatch):
    """embedding_map.csv holds word, x, y for every word, exactly the points the PNG scatters; one far
    outlier does not set the axes (it is named instead) and crowded words share labels sparingly."""
    from nnlab.experiments import language_model as experiment
    from nnlab.io import save_npz

    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(198)] + ["null", "far"])     # "null" must stay a word
    R = rng.normal(size=(200, 8))
    R[-1] = 400.0                                                         # one outlier
    save_npz(tmp_path / "params.npz", R=R.astype(np.float32), words=words)
    saved = []
    monkeypatch.setattr(experiment, "save_figure", lambda path, fig: saved.append(fig))
    experiment.embedding_map(tmp_path / "params.npz", "d8-p64", tmp_path / "map.png", tmp_path / "map.csv")
    table = pd.read_csv(tmp_path / "map.csv", keep_default_na=False)
    assert list(table.columns) == ["word", "x", "y"] and list(table["word"]) == list(words)
    xy, _ = pca_2d(R.astype(np.float32))
    assert np.allclose(table[["x", "y"]].to_numpy(), xy, atol=1e-6)
    [fig] = saved
    ax = fig.axes[0]
    [points] = ax.collections
    assert np.allclose(points.get_offsets(), table[["x", "y"]].to_numpy())   # the PNG's points are the CSV's
    far = table.iloc[-1]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert not (x0 <= far["x"] <= x1 and y0 <= far["y"] <= y1)                # not squashing the others
    inside = table["x"].between(x0, x1) & table["y"].between(y0, y1)
    assert inside.sum() >= 190
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("outside this view: ") and "\"far\" (" in t for t in texts)
    labels = [t for t in texts if not t.startswith("outside")]
    assert 0 < len(labels) < inside.sum() and "far" not in labels            # fewer labels than points
    assert all(w in set(table["word"]) for w in labels)
