"""Preprocessing on hand-made inputs."""
import numpy as np
import pytest

from nnlab.data import preprocess


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
