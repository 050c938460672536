"""Recurrent cells and classifier (nnlab.nn.recurrent, nnlab.models.recurrent,
nnlab.experiments.recurrent): gradients, truncation semantics, confusion counts, config."""
import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nnlab.config import validate
from nnlab.errors import ConfigError
from nnlab import models
from nnlab.experiments.recurrent import confusion_matrix, precision_recall_f1, train_variant
from nnlab.models.recurrent import RecurrentClassifier, gradcheck
from nnlab.nn import recurrent
from nnlab.nn.recurrent import CELLS
from nnlab.nn.workspace import Workspace
from nnlab.variants import recurrent_variants

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_forward(cell, x, Wx, Wh, b, h0=None, c0=None):
    """The textbook per-step equations, unfused and unoptimised. x (T, N, D) -> h (T, N, H)."""
    T, N, _ = x.shape
    H = Wh.shape[0]
    h = np.zeros((N, H)) if h0 is None else h0
    c = np.zeros((N, H)) if c0 is None else c0
    out = []
    for t in range(T):
        if cell == "rnn":
            h = np.tanh(x[t] @ Wx + h @ Wh + b)
        elif cell == "lstm":
            z = x[t] @ Wx + h @ Wh + b
            i, f, o, g = (z[:, j * H:(j + 1) * H] for j in range(4))
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xz = x[t] @ Wx + b
            u = sigmoid(xz[:, :H] + h @ Wh[:, :H])                  # update gate: 1 keeps h
            r = sigmoid(xz[:, H:2 * H] + h @ Wh[:, H:2 * H])
            n = np.tanh(xz[:, 2 * H:] + (r * h) @ Wh[:, 2 * H:])
            h = (1 - u) * n + u * h
        out.append(h)
    return np.stack(out)


def random_cell(cell, T=6, N=3, D=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    G = CELLS[cell][2]
    return (rng.standard_normal((T, N, D)), 0.5 * rng.standard_normal((D, G * H)),
            0.5 * rng.standard_normal((H, G * H)), 0.5 * rng.standard_normal(G * H))


# ------------------------------------------------------------------------------ cells


@pytest.mark.parametrize("cell", list(CELLS))
def test_forward_matches_textbook_equations(cell):
    x, Wx, Wh, b = random_cell(cell)
    h, _ = CELLS[cell][0](x, Wx, Wh, b)
    np.testing.assert_allclose(h, reference_forward(cell, x, Wx, Wh, b), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", list(CELLS))
def test_saturated_inputs_stay_finite_without_warnings(cell):
    x, Wx, Wh, b = random_cell(cell)
    x = x.astype(np.float32) * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h, cache = CELLS[cell][0](x, Wx.astype(np.float32), Wh.astype(np.float32), b.astype(np.float32))
        grads = CELLS[cell][1](np.ones(h.shape[1:], np.float32), cache)
    assert np.all(np.isfinite(h)) and np.all(np.abs(h) <= 1)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_gradient_checks_pass():
    checks = dict(gradcheck())
    assert len(checks) == 6
    for name, error in checks.items():
        assert error <= 1e-6, name


@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("T, k", [(9, 4), (19, 11)])
def test_truncated_gradient_is_full_gradient_of_the_detached_graph(cell, T, k):
    """BPTT truncated at k over T steps == full BPTT over the last k steps started from
    the (constant) state the first T-k steps produced (k = 11: across a chunk boundary)."""
    x, Wx, Wh, b = random_cell(cell, T=T)
    forward, backward, _ = CELLS[cell]
    dh = np.random.default_rng(5).standard_normal((3, 4))
    h, cache = forward(x, Wx, Wh, b)
    truncated = backward(dh, cache, k)
    state = [h[T - k - 1]] + ([cache[4][T - k]] if cell == "lstm" else [])   # lstm cache: c[t+1] after step t
    _, cache_tail = forward(x[T - k:], Wx, Wh, b, *state)
    tail = backward(dh, cache_tail)
    for got, want in zip(truncated, tail):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    full = backward(dh, forward(x, Wx, Wh, b)[1])
    assert not np.allclose(full[1], truncated[1])      # truncation changes dWh for k < T


@pytest.mark.parametrize("cell", list(CELLS))
def test_weight_gradients_do_not_depend_on_the_chunking(cell, monkeypatch):
    """The backward passes add the weight gradients chunk by chunk (CHUNK steps per product):
    for every truncation, including chunks cut short at either end, the sum equals the one
    product over all kept steps (CHUNK >= T) and the step-by-step sum (CHUNK = 1)."""
    default = recurrent.CHUNK
    T = 2 * default + 3
    x, Wx, Wh, b = random_cell(cell, T=T)
    forward, backward, _ = CELLS[cell]
    dh = np.random.default_rng(7).standard_normal((3, 4))

    def grads(chunk, k):
        monkeypatch.setattr(recurrent, "CHUNK", chunk)
        return backward(dh, forward(x, Wx, Wh, b)[1], k)
    for k in (None, 1, default, default + 1, T - 1):
        chunked = grads(default, k)
        for chunk in (T, 1):
            for got, want in zip(chunked, grads(chunk, k)):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", list(CELLS))
def test_keeping_only_the_last_steps_changes_nothing_but_memory(cell):
    """forward(keep=k) works in two alternating slots before the last k steps: the same
    states and the same truncated gradients; a backward pass beyond the kept steps is refused."""
    T = 2 * recurrent.CHUNK + 3
    x, Wx, Wh, b = random_cell(cell, T=T)
    forward, backward, _ = CELLS[cell]
    dh = np.random.default_rng(3).standard_normal((3, 4))
    h_all, cache_all = forward(x, Wx, Wh, b)
    want = {k: backward(dh, cache_all, k) for k in (1, 2, 5, T - 2, T)}
    for keep in (0, 1, 2, 5, T - 2, T, T + 4):
        h, cache = forward(x, Wx, Wh, b, keep=keep)
        np.testing.assert_array_equal(h, h_all)
        for k, grads in want.items():
            if k <= keep:
                for got, expected in zip(backward(dh, cache, k), grads):
                    np.testing.assert_array_equal(got, expected)
            elif cell != "rnn":
                with pytest.raises(ValueError, match="kept the last"):
                    backward(dh, cache, k)
    if cell == "lstm":                                  # the final cell state is kept whatever keep is
        np.testing.assert_array_equal(forward(x, Wx, Wh, b, keep=0)[1][4][-1], cache_all[4][-1])


@pytest.mark.parametrize("cell", list(CELLS))
def test_truncation_at_or_beyond_T_is_full_bptt(cell):
    x, Wx, Wh, b = random_cell(cell, T=5)
    forward, backward, _ = CELLS[cell]
    dh = np.ones((3, 4))
    full = backward(dh, forward(x, Wx, Wh, b)[1])
    for k in (5, 50):
        for got, want in zip(backward(dh, forward(x, Wx, Wh, b)[1], k), full):
            np.testing.assert_array_equal(got, want)


def test_truncation_one_step_ignores_the_recurrent_path():
    """k = 1: dWh = h_{T-1}^T da_T only, da_T through the last step alone."""
    x, Wx, Wh, b = random_cell("rnn", T=5)
    h, cache = CELLS["rnn"][0](x, Wx, Wh, b)
    dh = np.ones((3, 4))
    dWx, dWh, db = CELLS["rnn"][1](dh, cache, 1)
    da = dh * (1 - h[-1] ** 2)
    np.testing.assert_allclose(dWh, h[-2].T @ da)
    np.testing.assert_allclose(dWx, x[-1].T @ da)
    np.testing.assert_allclose(db, da.sum(0))


def test_workspace_reuses_buffers_and_follows_shapes():
    ws = Workspace()
    a = ws.get("a", (2, 3), np.float32)
    assert ws.get("a", (2, 3), np.float32).base is a.base
    assert ws.get("a", (1, 3), np.float32).base is a.base          # a smaller batch: a view of the same buffer
    assert ws.get("a", (4, 3), np.float32).shape == (4, 3) and ws.get("a", (4, 3), np.float32).base is not a.base
    assert ws.get("a", (4, 2), np.float32).shape == (4, 2)
    model = RecurrentClassifier("gru", 3, 5, [4], 3, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 7, 3)).astype(np.float32), rng.integers(0, 3, 10)
    model.step(x[:4], y[:4])
    buffers = {name: id(arr) for name, arr in model.ws.arrays.items()}
    model.step(x[4:8], y[4:8])
    assert {name: id(arr) for name, arr in model.ws.arrays.items()} == buffers


# ------------------------------------------------------------------------- classifier


def test_classifier_float32_matches_float64_and_records_grad_norm():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((6, 8, 3)), rng.integers(0, 4, 6)
    m32 = RecurrentClassifier("lstm", 3, 6, [5, 5], 4, forget_bias=1.0, seed=2)
    m64 = RecurrentClassifier("lstm", 3, 6, [5, 5], 4, forget_bias=1.0, seed=2, dtype=np.float64)
    assert m32.params.w["b"][6:12].tolist() == [1.0] * 6          # forget block of [i, f, o, g]
    loss32, _ = m32.step(x.astype(np.float32), y)
    loss64, _ = m64.step(x, y)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(m32.params.grad, m64.params.grad, rtol=1e-3, atol=1e-5)
    assert m32.epoch_extras()["grad_norm"] == pytest.approx(np.linalg.norm(m64.params.g["Wh"]), rel=1e-4)
    assert m32.epoch_extras() == {"grad_norm": None}          # reset after each epoch


def test_weight_decay_adds_to_weight_gradients_not_biases_nor_reported_loss():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((5, 6, 3)).astype(np.float32), rng.integers(0, 3, 5)
    plain = RecurrentClassifier("rnn", 3, 4, [5], 3, seed=0)
    decayed = RecurrentClassifier("rnn", 3, 4, [5], 3, weight_decay=0.1, seed=0)
    loss_plain, _ = plain.step(x, y)
    loss_decayed, _ = decayed.step(x, y)
    assert loss_decayed == loss_plain                      # history's train_loss: cross-entropy alone
    for name in plain.params.shapes:
        extra = decayed.params.g[name] - plain.params.g[name]
        want = 0.1 * plain.params.w[name] if name.startswith("W") else 0 * extra
        np.testing.assert_allclose(extra, want, atol=1e-6)


def test_evaluate_in_chunks_equals_one_pass(monkeypatch):
    from nnlab.models import recurrent as models

    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((11, 5, 3)).astype(np.float32), rng.integers(0, 3, 11)
    model = RecurrentClassifier("rnn", 3, 4, [], 3, seed=0)
    whole = model.evaluate(x, y)
    monkeypatch.setattr(models, "EVAL_CHUNK", 4)
    assert model.evaluate(x, y) == pytest.approx(whole, rel=1e-6)


# ------------------------------------------------------------------------ results


def test_confusion_counts_and_precision_recall_f1_on_a_hand_case():
    y_true = [0, 0, 1, 2, 2, 2, 3]
    y_pred = [0, 1, 1, 2, 0, 2, 0]
    counts = confusion_matrix(y_true, y_pred, 5)
    np.testing.assert_array_equal(counts, [[1, 1, 0, 0, 0],
                                           [0, 1, 0, 0, 0],
                                           [1, 0, 2, 0, 0],
                                           [1, 0, 0, 0, 0],
                                           [0, 0, 0, 0, 0]])
    precision, recall, f1 = precision_recall_f1(counts)
    np.testing.assert_allclose(precision[:3], [1 / 3, 1 / 2, 1])
    assert np.isnan(precision[3]) and np.isnan(recall[4])   # class 3 never predicted, class 4 never present
    np.testing.assert_allclose(recall[:4], [1 / 2, 1, 2 / 3, 0])
    # F1 = 2 p r / (p + r) where both exist; 0 for class 3 (present, never predicted, so p is undefined)
    np.testing.assert_allclose(f1[:4], [2 / 5, 2 / 3, 4 / 5, 0])
    assert np.isnan(f1[4])                          # neither predicted nor present


def activity_npz(path, n=40, T=12, C=3, K=3, seed=0):
    """Tiny separable activity data: each class a sine of its own frequency plus noise."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in (("train", n), ("val", n // 4), ("test", n // 2)):
        y = np.arange(count) % K
        t = np.arange(T)
        x = np.sin(np.outer(y + 1, t) * 0.6)[:, :, None] + 0.3 * rng.standard_normal((count, T, C))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = x.astype(np.float32), y
    arrays["classes"] = np.array(["a", "b", "c"])
    arrays["split_seed"], arrays["validation_fraction"] = np.array(seed), np.array(0.2)
    np.savez(path, **arrays)
    return path


def test_a_replicate_draws_its_own_validation_split(tmp_path):
    from nnlab.data.preprocess import resplit_activity

    data = dict(np.load(activity_npz(tmp_path / "activity.npz"), allow_pickle=False))
    same = resplit_activity(data, 0)
    for got, key in zip(same, ("x_train", "y_train", "x_val", "y_val")):
        assert got is data[key]                       # the run with the data's own seed: as stored
    x_tr, y_tr, x_va, y_va = resplit_activity(data, 1)
    union = np.concatenate([data["x_train"], data["x_val"]])
    assert len(x_tr) + len(x_va) == len(union) and len(x_va) == len(data["x_val"])
    assert not np.array_equal(x_va, data["x_val"])    # another seed, another validation set
    assert sorted(np.bincount(y_va)) == sorted(np.bincount(data["y_val"]))   # still stratified
    assert {tuple(r) for r in np.round(np.concatenate([x_tr, x_va])[:, 0, :], 5)} == \
        {tuple(r) for r in np.round(union[:, 0, :], 5)}


def variant_outputs(folder):
    names = {"params": "params.npz", "history": "history.csv", "metrics": "metrics.json",
             "confusion_train": "confusion_train.csv", "confusion_test": "confusion_test.csv",
             "confusion_train_png": "confusion_train.png", "confusion_test_png": "confusion_test.png",
             "curves": "curves.png", "scores": "scores.npz", "grad_steps": "grad_steps.csv"}
    return {key: str(folder / name) for key, name in names.items()}


def test_two_stage_training_writes_one_continuous_history(tmp_path):
    import json

    data = activity_npz(tmp_path / "activity.npz")
    hp = dict(cell="gru", truncation=4, hidden=6, mlp=[5], forget_bias=0.0, weight_decay=1e-3, optimizer="adam",
              learning_rate=0.02, momentum=0.0, batch_size=8, epochs=3, patience=3, clip_norm=1.0,
              lr_schedule="cosine", lr_final_fraction=0.0, seed=0,
              finetune=dict(epochs=2, optimizer="sgd", learning_rate=0.001, momentum=0.35))
    out = variant_outputs(tmp_path / "gru-tbptt4")
    train_variant(data, "gru-tbptt4", hp, out, log=lambda s: None)
    history = pd.read_csv(out["history"])
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert history["grad_norm"].notna().all() and (history["grad_norm"] > 0).all()
    metrics = json.loads(Path(out["metrics"]).read_text())
    best = history.loc[history["val_loss"].idxmin()]
    assert metrics["best_epoch"] == best["epoch"] and metrics["epochs_run"] == 5
    assert metrics["val_cross_entropy"] == pytest.approx(best["val_loss"], rel=1e-5)
    confusion = pd.read_csv(out["confusion_test"], index_col="true")
    assert list(confusion.index) == list(confusion.columns) == ["a", "b", "c"]
    assert confusion.to_numpy().sum() == 20
    assert metrics["test_accuracy"] == pytest.approx(np.trace(confusion.to_numpy()) / 20)
    assert set(metrics["test_recall"]) == {"a", "b", "c"}
    params = np.load(out["params"], allow_pickle=False)
    assert params["Wh"].shape == (6, 18) and params["W2"].shape == (5, 3)
    for split in ("train", "val", "test"):                     # every accuracy and cross-entropy with its interval
        for name in (f"{split}_accuracy", f"{split}_cross_entropy"):
            assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"]
    scores = np.load(out["scores"], allow_pickle=False)
    assert scores["correct"].mean() == pytest.approx(metrics["test_accuracy"])
    assert scores["loss"].mean() == pytest.approx(metrics["test_cross_entropy"], rel=1e-5)
    model = models.load(out["params"])
    assert model.cell == "gru" and model.classes == ["a", "b", "c"]
    arrays = np.load(data, allow_pickle=False)
    predicted = model.predict_proba(arrays["x_test"]).argmax(axis=1)      # the saved model, rebuilt
    assert np.mean(predicted == arrays["y_test"]) == pytest.approx(metrics["test_accuracy"])


# ------------------------------------------------------------------------- config


@pytest.fixture(scope="module")
def tiny_config():
    return yaml.safe_load((ROOT / ".test/config.yaml").read_text())


def test_variant_names(tiny_config):
    config = copy.deepcopy(tiny_config)
    config["recurrent"]["truncation"] = [None, 20]
    variants = recurrent_variants(config)
    assert list(variants) == ["rnn-full", "rnn-tbptt20", "lstm-full", "lstm-tbptt20", "gru-full", "gru-tbptt20"]
    assert variants["lstm-tbptt20"]["truncation"] == 20 and variants["lstm-full"]["truncation"] is None
    chosen = config["recurrent"]["recipes"][config["recurrent"]["recipe"]]
    assert variants["gru-full"]["finetune"] == chosen["finetune"]             # nested, as in the config
    assert {hp["recipe"] for hp in variants.values()} == {config["recurrent"]["recipe"]}


def test_learning_rate_per_cell(tiny_config):
    config = copy.deepcopy(tiny_config)
    recipe = config["recurrent"]["recipes"][config["recurrent"]["recipe"]]
    recipe["learning_rate"] = {"rnn": 0.001, "lstm": 0.002, "gru": 0.003}
    validate(config, SCHEMA)
    rates = {name: hp["learning_rate"] for name, hp in recurrent_variants(config).items()}
    assert rates == {"rnn-full": 0.001, "rnn-tbptt5": 0.001, "lstm-full": 0.002, "lstm-tbptt5": 0.002,
                     "gru-full": 0.003, "gru-tbptt5": 0.003}
    del recipe["learning_rate"]["gru"]
    with pytest.raises(ConfigError, match="'recurrent.recipes.tuned.learning_rate'"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("key, value, where", [
    ("cells", ["rnn", "transformer"], "recurrent.cells.1"),
    ("truncation", [None, 0], "recurrent.truncation.1"),
    ("truncation", [-20], "recurrent.truncation.0"),
    ("truncation", [2.5], "recurrent.truncation.0"),
    ("recipe.optimizer", "rmsprop", "recurrent.recipes.tuned.optimizer"),
    ("recipe.clip_norm", 0, "recurrent.recipes.tuned.clip_norm"),
    ("hidden", 0, "recurrent.hidden"),
    ("recipe.momentum", 1.0, "recurrent.recipes.tuned.momentum"),
    ("recipe.lr_schedule", "step", "recurrent.recipes.tuned.lr_schedule"),
    ("recipe.weight_decay", -1e-4, "recurrent.recipes.tuned.weight_decay"),
    ("recipe", "best", "recurrent.recipe"),
    ("bogus", 1, "recurrent.bogus"),
])
def test_bad_recurrent_config_is_one_line_error(tiny_config, key, value, where):
    config = copy.deepcopy(tiny_config)
    section = config["recurrent"]
    if key.startswith("recipe."):
        section, key = section["recipes"]["tuned"], key.split(".", 1)[1]
    section[key] = value
    with pytest.raises(ConfigError) as excinfo:
        validate(config, SCHEMA)
    message = str(excinfo.value)
    assert "\n" not in message and f"'{where}'" in message


def test_recurrent_section_is_required(tiny_config):
    config = copy.deepcopy(tiny_config)
    del config["recurrent"]
    with pytest.raises(ConfigError, match="'recurrent'"):
        validate(config, SCHEMA)
