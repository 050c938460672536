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


def test_affine_backward_writes_into_the_arrays_it_is_given():
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    out = np.full((4, 3), np.nan)
    assert layers.affine_forward(x, W, b, out=out)[0] is out
    np.testing.assert_allclose(out, x @ W + b)
    dW, db, dx = np.full((5, 3), np.nan), np.full(3, np.nan), np.full((4, 5), np.nan)
    grads = layers.affine_backward(dout, (x, W), dW, db, dx)
    assert grads[0] is dx and grads[1] is dW and grads[2] is db
    for given, new in zip(grads, layers.affine_backward(dout, (x, W))):
        np.testing.assert_array_equal(given, new)
    assert layers.affine_backward(dout, (x, W), need_dx=False)[0] is None


def test_l2_penalty_value_and_gradient_come_from_one_list_of_weights():
    p = Params({"W": (2, 2), "b": (3,), "V": (3,)}, np.float64)
    p.flat[:] = rng.standard_normal(len(p))
    l2 = layers.L2Penalty(0.5, p, ["W", "V"])
    assert l2.value() == pytest.approx(0.25 * (np.sum(p.w["W"] ** 2) + np.sum(p.w["V"] ** 2)), rel=1e-12)
    p.grad[:] = 1.0
    l2.add_gradient()                                       # adds to what the data term left there
    np.testing.assert_allclose(p.grad - 1.0, numeric_gradient(l2.value, p.flat), atol=1e-9)
    assert np.all(p.g["b"] == 1.0)                          # a weight not named is not decayed
    before = p.grad.copy()
    none = layers.L2Penalty(0.0, p, ["W", "V"])
    none.add_gradient()
    assert none.value() == 0.0
    np.testing.assert_array_equal(p.grad, before)


def test_in_chunks_stacks_each_result_and_copies_workspace_views_out():
    from nnlab.nn.workspace import Workspace, in_chunks

    x, y = rng.standard_normal((11, 3)), np.arange(11)
    ws = Workspace()

    def f(xb, yb):                                          # returns views into one reused buffer
        out = ws.get("out", (len(xb), 3), x.dtype)
        np.multiply(xb, 2, out=out)
        return out, yb + 1, None

    for size in (1, 4, 11, 50):
        doubled, shifted, nothing = in_chunks(f, (x, y), size)
        np.testing.assert_array_equal(doubled, 2 * x)
        np.testing.assert_array_equal(shifted, y + 1)
        assert nothing is None and doubled.base is None
    np.testing.assert_array_equal(in_chunks(lambda xb: xb.sum(axis=1), (x,), 4), x.sum(axis=1))
    assert in_chunks(lambda xb: xb[:, 0], (x[:0],), 4).shape == (0,)


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
