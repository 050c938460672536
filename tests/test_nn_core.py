"""Forward/backward pairs, optimisers and parameter buffers of the network core."""
import numpy as np
import pytest

from nnlab.errors import DataError
from nnlab.nn import layers
from nnlab.nn.gradcheck import numeric_gradient, relative_error
from nnlab.nn.optim import SGD, Adam, make_optimizer
from nnlab.nn.params import Params

rng = np.random.default_rng(0)


def test_affine_backward_matches_numeric():
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    out, cache = layers.affine_forward(x, W, b)
    dx, dW, db = layers.affine_backward(dout, cache)
    f = lambda: float(np.sum(layers.affine_forward(x, W, b)[0] * dout))  # noqa: E731
    for analytic, wrt in ((dx, x), (dW, W), (db, b)):
        assert relative_error(analytic, numeric_gradient(f, wrt)) < 1e-7


@pytest.mark.parametrize("f, grad", [(layers.sigmoid, layers.sigmoid_grad), (np.tanh, layers.tanh_grad)])
def test_elementwise_gradients_from_outputs_match_numeric(f, grad):
    z, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    numeric = numeric_gradient(lambda: float(np.sum(f(z) * dout)), z)
    assert relative_error(dout * grad(f(z)), numeric) < 1e-7


def test_sigmoid_is_stable_exact_and_works_in_place():
    z = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    expected = np.array([0.0, 1 / (1 + np.exp(5)), 0.5, 1 / (1 + np.exp(-5)), 1.0])
    with np.errstate(all="raise"):                          # no overflow warning, for any z
        np.testing.assert_allclose(layers.sigmoid(z), expected, rtol=1e-12, atol=1e-300)
    z32 = z.astype(np.float32)
    assert layers.sigmoid(z32, out=z32) is z32 and z32.dtype == np.float32
    np.testing.assert_allclose(z32, expected, rtol=1e-6, atol=1e-30)


def test_softmax_cross_entropy_value_gradient_and_per_sample_losses():
    logits, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    expected = -np.log(np.exp(logits[np.arange(5), y]) / np.exp(logits).sum(1))
    dlogits = logits.copy()
    loss, correct = layers.softmax_cross_entropy(dlogits, y)
    assert loss == pytest.approx(expected.mean(), rel=1e-12)
    assert correct == np.count_nonzero(logits.argmax(1) == y)
    numeric = numeric_gradient(lambda: layers.softmax_cross_entropy(logits.copy(), y)[0], logits)
    assert relative_error(dlogits, numeric) < 1e-7
    losses, hits = layers.cross_entropy(logits.copy(), y)
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    np.testing.assert_array_equal(hits, logits.argmax(1) == y)
    probs = layers.softmax(logits.copy())
    np.testing.assert_allclose(probs.sum(1), 1)
    np.testing.assert_allclose(probs[np.arange(5), y], np.exp(-expected), rtol=1e-12)
    big = np.array([[1000.0, 0.0], [0.0, -1000.0]])         # log-sum-exp: no overflow
    assert layers.cross_entropy(big, np.array([1, 0]))[0] == pytest.approx([1000.0, 0.0])


@pytest.mark.parametrize("concat", [False, True])
def test_embedding_gathers_and_accumulates_repeated_indices(concat):
    R = rng.standard_normal((6, 2))
    idx = np.array([[1, 1, 4], [4, 0, 1]])
    out = layers.embedding_forward(R, idx, np.empty((2, 6 if concat else 2)), concat)
    np.testing.assert_allclose(out[0], np.concatenate([R[1], R[1], R[4]]) if concat else R[1] + R[1] + R[4])
    dR = layers.embedding_backward(np.ones_like(out), idx, np.full((6, 2), np.nan), concat)
    np.testing.assert_array_equal(dR[:, 0], [1, 3, 0, 0, 2, 0])


def test_l2_penalty():
    assert layers.l2_penalty(0.5, [np.ones((2, 2)), np.full(3, 2.0)]) == pytest.approx(0.25 * (4 + 12))
    assert layers.l2_penalty(0.0, [np.ones(3)]) == 0.0


def test_sgd_momentum_follows_the_course_formula():
    p = Params({"w": (2,)}, np.float64)
    p.flat[:] = [1.0, -2.0]
    opt = SGD(lr=0.1, momentum=0.5)
    g1, g2 = np.array([1.0, 2.0]), np.array([-1.0, 0.5])
    p.grad[:] = g1
    opt.step(p)
    dw1 = -0.1 * g1
    np.testing.assert_allclose(p.flat, [1.0, -2.0] + dw1)
    p.grad[:] = g2
    opt.step(p)
    dw2 = -0.1 * g2 + 0.5 * dw1
    np.testing.assert_allclose(p.flat, [1.0, -2.0] + dw1 + dw2)


@pytest.mark.parametrize("opt", [SGD(0.1, 0.9), Adam(0.1), make_optimizer("sgd", 0.2)])
def test_optimisers_minimise_a_quadratic(opt):
    target = np.array([3.0, -1.0, 0.5])
    scale = np.array([1.0, 4.0, 0.5])
    p = Params({"w": (3,)}, np.float64)
    for _ in range(500):
        p.grad[:] = scale * (p.flat - target)
        opt.step(p)
    np.testing.assert_allclose(p.flat, target, atol=1e-3)


def test_adam_first_step_is_lr_times_sign():
    p = Params({"w": (3,)}, np.float64)
    p.grad[:] = [0.001, -5.0, 2.0]
    Adam(lr=0.01).step(p)
    np.testing.assert_allclose(p.flat, [-0.01, 0.01, -0.01], rtol=1e-5)


def test_params_views_share_the_flat_buffer_and_load_checks_shapes():
    p = Params({"W": (2, 3), "b": (3,)})
    assert len(p) == 9 and p.flat.dtype == np.float32
    p.w["W"][1, 2] = 7
    assert p.flat[5] == 7
    p.load({"W": np.ones((2, 3)), "b": np.zeros(3)})
    assert p.flat[:6].sum() == 6
    with pytest.raises(DataError, match="key 'b': expected shape"):
        p.load({"W": np.ones((2, 3)), "b": np.zeros(4)}, source="params.npz")
    with pytest.raises(DataError, match="key 'W'"):
        p.load({"b": np.zeros(3)})
    assert p.astype(np.float64).flat.dtype == np.float64
