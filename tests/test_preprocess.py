"""Preprocessing on hand-made inputs."""
import numpy as np
import pytest

from nnlab.data import preprocess
from nnlab.errors import DataError


def test_luminosity_mean_removal_clip_and_range():
    rgb = np.zeros((2, 3, 2, 2))
    rgb[0, 0] = [[1.0, 0.0], [0.0, 0.0]]     # red in one pixel: luminosity 0.2126
    rgb[1, 1] = [[0.0, 0.0], [0.0, 1.0]]     # green in one pixel: luminosity 0.7152
    x = preprocess.normalize_patches(rgb)
    y = np.array([[0.2126, 0, 0, 0], [0, 0, 0, 0.7152]])
    y -= y.mean(axis=1, keepdims=True)
    sd = y.std()
    expected = 0.1 + 0.8 * (np.clip(y, -3 * sd, 3 * sd) + 3 * sd) / (6 * sd)
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert x.dtype == np.float32 and x.shape == (2, 4)


def test_outliers_are_clipped_to_the_range_ends():
    gray = np.zeros((100, 1, 4, 4))
    gray[0, 0, 0, 0] = 1000.0                  # one huge pixel
    gray[1:, 0] = np.random.default_rng(0).standard_normal((99, 4, 4))
    x = preprocess.normalize_patches(np.repeat(gray, 3, axis=1))
    assert x[0, 0] == pytest.approx(0.9)            # clipped at +3 sd
    assert x.min() >= 0.1 - 1e-6 and np.sum(x == x.max()) == 1


def test_constant_patches_map_to_the_middle():
    assert np.all(preprocess.normalize_patches(np.ones((3, 3, 2, 2))) == 0.5)


def test_stratified_split_keeps_class_proportions_and_is_seeded():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    tr, va = preprocess.stratified_split(labels, 0.1, seed=1)
    assert sorted(np.concatenate([tr, va])) == list(range(100))
    assert list(np.bincount(labels[va])) == [5, 3, 2]
    tr2, va2 = preprocess.stratified_split(labels, 0.1, seed=1)
    assert np.array_equal(va, va2)
    assert not np.array_equal(va, preprocess.stratified_split(labels, 0.1, seed=2)[1])


def test_standardize_uses_training_statistics_only():
    train = np.array([[[0.0, 10.0]], [[2.0, 30.0]]])     # (N=2, T=1, C=2)
    test = np.array([[[4.0, 20.0]]])
    mean, sd, a, b = preprocess.standardize_channels(train, test)
    np.testing.assert_allclose(mean, [1, 20])
    np.testing.assert_allclose(sd, [1, 10])
    np.testing.assert_allclose(b[0, 0], [3.0, 0.0])


def test_prepare_activity_any_T_and_class_names():
    rng = np.random.default_rng(0)
    y = np.eye(6)[np.arange(60) % 6]
    raw = {"trX": rng.standard_normal((60, 7, 3)), "trY": y, "tstX": rng.standard_normal((12, 7, 3)),
           "tstY": y[:12]}
    out = preprocess.prepare_activity(raw, 0.1, seed=0)
    assert out["x_train"].shape == (54, 7, 3) and out["x_val"].shape == (6, 7, 3)
    assert list(out["classes"])[0] == "downstairs"
    assert np.abs(out["x_train"].mean(axis=(0, 1))).max() < 1e-6


def test_prepare_trigrams_is_zero_based():
    raw = {f"{s}x": np.array([[1, 2, 3]]) for s in ("train", "val", "test")}
    raw.update({f"{s}d": np.array([4]) for s in ("train", "val", "test")})
    raw["words"] = ["a", "b", "c", "d"]
    out = preprocess.prepare_trigrams(raw)
    assert out["x_train"].tolist() == [[0, 1, 2]] and out["y_test"].tolist() == [3]


# ------------------------------------------------------------ splits are never empty


@pytest.mark.parametrize("n, fraction, found", [
    (5, 0.1, "found 5 patches (0 held out, 5 for training)"),
    (1, 0.5, "found 1 patch (0 held out, 1 for training)"),
    (3, 0.9, "found 3 patches (3 held out, 0 for training)"),
])
def test_holdout_that_would_be_empty_is_refused_in_one_line(n, fraction, found):
    with pytest.raises(DataError) as info:
        preprocess.split_holdout(n, fraction, seed=0, source="results/data/patches.npz")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("results/data/patches.npz: key 'x': expected at least 1 held-out and "
                              f"1 training patch with autoencoder.holdout_fraction {fraction:g}")
    assert message.endswith(found), message


def test_holdout_minimum_named_in_the_message_is_enough():
    with pytest.raises(DataError, match=r"\(at least 6 patches\)"):
        preprocess.split_holdout(5, 0.1, seed=0)
    train, holdout = preprocess.split_holdout(6, 0.1, seed=0)
    assert len(train) == 5 and len(holdout) == 1


@pytest.mark.parametrize("per_class, fraction, n_val", [
    (2, 0.1, 6),        # the schema's minimum demo.activity_train (12): round(0.2) = 0 per class
    (20, 0.02, 6),      # the tiny config with validation_fraction 0.02: round(0.4) = 0 per class
    (2, 0.9, 6),        # round(1.8) = 2 would leave a class out of training
    (50, 0.1, 30),      # ordinary sizes are untouched: 5 per class
])
def test_stratified_split_has_every_class_in_train_and_validation(per_class, fraction, n_val):
    labels = np.repeat(np.arange(6), per_class)
    tr, va = preprocess.stratified_split(labels, fraction, seed=0)
    assert len(va) == n_val and len(tr) == len(labels) - n_val
    assert set(labels[va]) == set(labels[tr]) == set(range(6))
    assert sorted(np.concatenate([tr, va])) == list(range(len(labels)))


def test_stratified_split_keeps_single_item_classes_in_training():
    labels = np.array([0, 1, 1, 2])
    tr, va = preprocess.stratified_split(labels, 0.1, seed=0)
    assert list(labels[va]) == [1] and sorted(labels[tr]) == [0, 1, 2]


def test_stratified_split_refuses_when_no_class_has_two_items():
    with pytest.raises(DataError) as info:
        preprocess.prepare_activity(activity(np.arange(6)), 0.5, seed=0)
    assert str(info.value) == ("data3.h5: key 'trY': expected at least 2 items in some class for a "
                               "validation split (data.validation_fraction 0.5), found 6 items in "
                               "6 classes, at most 1 per class")


def activity(labels, k=6):
    rng = np.random.default_rng(0)
    y = np.eye(k)[labels]
    return {"trX": rng.standard_normal((len(labels), 4, 3)), "trY": y,
            "tstX": rng.standard_normal((k, 4, 3)), "tstY": np.eye(k)}


def test_prepare_activity_with_a_tiny_fraction_trains_and_validates_on_every_class():
    out = preprocess.prepare_activity(activity(np.arange(120) % 6), 0.02, seed=0)
    assert out["x_val"].shape == (6, 4, 3) and sorted(out["y_val"]) == list(range(6))
    assert out["x_train"].shape == (114, 4, 3)
