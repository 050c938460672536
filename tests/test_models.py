"""The one model protocol: every model trains through the same calls, saves everything needed
to rebuild it in params.npz, and nnlab.models.load gives it back from that file alone."""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nnlab import models, variants
from nnlab.errors import ConfigError, DataError
from nnlab.io import save_npz
from nnlab.models.autoencoder import SparseAutoencoder
from nnlab.models.language_model import LanguageModel
from nnlab.models.recurrent import RecurrentClassifier
from nnlab.nn.gradcheck import check_model

ROOT = Path(__file__).resolve().parents[1]
rng = np.random.default_rng(0)


def cases(dtype=np.float32):
    """(model, x, y) for each of the three models, small."""
    x_ae = rng.uniform(0.1, 0.9, (7, 12)).astype(dtype)
    x_lm, y_lm = rng.integers(0, 9, (6, 3)), rng.integers(0, 9, 6)
    x_rc, y_rc = rng.standard_normal((5, 6, 3)).astype(dtype), rng.integers(0, 4, 5)
    return [
        (SparseAutoencoder(12, 5, lam=1e-2, beta=0.5, rho=0.1, seed=1, dtype=dtype), x_ae, None),
        (LanguageModel(9, 4, 6, order_aware=True, weight_decay=1e-2, init_std=0.5, seed=1, dtype=dtype,
                       words=[f"w{i}" for i in range(9)]), x_lm, y_lm),
        (RecurrentClassifier("lstm", 3, 5, [4], 4, forget_bias=1.0, weight_decay=1e-2, seed=1, dtype=dtype,
                             classes=list("abcd")), x_rc, y_rc),
    ]


@pytest.mark.parametrize("index", range(3), ids=["autoencoder", "language_model", "recurrent"])
def test_protocol_gradients_and_round_trip(index, tmp_path):
    model, x, y = cases(np.float64)[index]
    model.params.flat += 0.1 * rng.standard_normal(len(model.params))
    assert check_model(model, x, y) < 1e-6            # step's gradient is that of loss + penalty()
    assert model.penalty() > 0
    loss, _ = model.step(x, y)
    assert model.evaluate(x, y)[0] == pytest.approx(loss, rel=1e-10)   # same data loss, no penalty
    model, x, y = cases()[index]
    models.save(tmp_path / "params.npz", model)
    with np.load(tmp_path / "params.npz", allow_pickle=False) as saved:
        assert str(saved["model"]) in models.MODELS
    loaded = models.load(tmp_path / "params.npz")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.params.flat, model.params.flat)
    assert loaded.evaluate(x, y) == model.evaluate(x, y)


@pytest.mark.parametrize("index", range(3), ids=["autoencoder", "language_model", "recurrent"])
def test_sample_scores_in_chunks_equal_one_pass_and_make_evaluate(index, monkeypatch):
    model, x, y = cases(np.float64)[index]
    whole = model.sample_scores(x, y)
    monkeypatch.setattr(sys.modules[type(model).__module__], "EVAL_CHUNK", 2)   # 2 + 2 + ... + 1 rows
    chunked = model.sample_scores(x, y)
    assert len(chunked) == len(whole)
    for one, many in zip(whole, chunked):
        assert (one is None) == (many is None)
        if one is not None:
            assert len(many) == len(x)
            np.testing.assert_allclose(many, one, rtol=1e-12)
    loss, _ = model.evaluate(x, y)
    if isinstance(model, SparseAutoencoder):                 # squared error per patch, hidden activations
        squared, h = chunked
        np.testing.assert_allclose(squared, np.sum((model.reconstruct(x) - x) ** 2, axis=1), rtol=1e-12)
        assert loss == pytest.approx(squared.mean() / 2 + model.sparsity(h)[0], rel=1e-12)
    else:                                                   # cross-entropy per sample first
        assert loss == pytest.approx(chunked[0].mean(), rel=1e-12)


def test_loaded_models_keep_their_vocabulary_and_classes(tmp_path):
    _, lm_model, rc_model = (case[0] for case in cases())
    for name, model in (("lm", lm_model), ("rc", rc_model)):
        models.save(tmp_path / f"{name}.npz", model)
    assert list(models.load(tmp_path / "lm.npz").words) == [f"w{i}" for i in range(9)]
    loaded = models.load(tmp_path / "rc.npz")
    assert loaded.classes == list("abcd") and loaded.cell == "lstm"


def test_load_refuses_old_foreign_and_damaged_files_in_one_line(tmp_path):
    model = cases()[0][0]
    arrays = model.save_arrays()
    old = {k: v for k, v in arrays.items() if k != "model"}
    save_npz(tmp_path / "old.npz", **old)
    save_npz(tmp_path / "foreign.npz", **dict(arrays, model=np.array("transformer")))
    save_npz(tmp_path / "short.npz", **{k: v for k, v in arrays.items() if k != "W1"})
    save_npz(tmp_path / "shape.npz", **dict(arrays, b2=np.zeros(3, np.float32)))
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    for name, expected in [("old", "key 'model'.*older nnlab"), ("foreign", "key 'model'.*'transformer'"),
                           ("short", "key 'W1'"), ("shape", "key 'b2': expected shape"), ("junk", "unreadable"),
                           ("missing", "unreadable")]:
        with pytest.raises(DataError, match=expected) as excinfo:
            models.load(tmp_path / f"{name}.npz")
        assert "\n" not in str(excinfo.value) and f"{name}.npz" in str(excinfo.value)


# ------------------------------------------------------------------ recipes


@pytest.fixture
def tiny():
    return yaml.safe_load((ROOT / ".test/config.yaml").read_text())


@pytest.mark.parametrize("task, function", [("autoencoder", variants.autoencoder_variants),
                                            ("language_model", variants.language_model_variants),
                                            ("recurrent", variants.recurrent_variants)])
def test_every_experiment_trains_with_the_recipe_it_chooses(tiny, task, function):
    for choice in ("course", "tuned"):
        config = copy.deepcopy(tiny)
        config[task]["recipe"] = choice
        chosen = config[task]["recipes"][choice]
        for hp in function(config).values():
            assert hp["recipe"] == choice
            for key in ("optimizer", "batch_size", "epochs", "patience", "lr_schedule", "lr_final_fraction"):
                assert hp[key] == chosen[key]


def test_the_default_config_trains_every_experiment_with_its_tuned_recipe():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert {config[task]["recipe"] for task in ("autoencoder", "language_model", "recurrent")} == {"tuned"}
    assert config["autoencoder"]["recipes"]["course"]["optimizer"] == "sgd"


@pytest.mark.parametrize("part, key, values", [
    ("sweep", "beta", [0.5, 0.5]),
    ("grid", "lambda", [1e-4, 1.000001e-4]),       # distinct numbers, the same variant name
    ("grid", "hidden", [4, 4]),
])
def test_duplicate_autoencoder_entries_are_refused_in_one_line(tiny, part, key, values):
    tiny["autoencoder"][part][key] = values
    with pytest.raises(ConfigError, match=f"'autoencoder.{part}': expected distinct entries") as excinfo:
        variants.autoencoder_variants(tiny)
    assert "\n" not in str(excinfo.value)
