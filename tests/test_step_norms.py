"""The backward signal's size at every step: the `norms` argument of the cells' backward passes
and RecurrentClassifier.hidden_grad_norms, against finite differences of the loss with
respect to each hidden state."""
import numpy as np
import pytest

from nnlab.models.recurrent import RecurrentClassifier
from nnlab.nn.denormals import flush_denormals
from nnlab.nn.layers import cross_entropy
from nnlab.nn.optim import SGD
from nnlab.nn.recurrent import CELLS

T, N, C, H, K = 6, 3, 2, 4, 3


def tiny_model(cell, truncation=None, dtype=np.float64):
    model = RecurrentClassifier(cell, C, H, [5], K, truncation=truncation, forget_bias=0.5,
                                weight_decay=0.1, seed=2, dtype=dtype)
    model.params.flat += 0.3 * np.random.default_rng(3).standard_normal(len(model.params))
    return model


def data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, T, C)), rng.integers(0, K, n)


def states(model, x):
    """The states after every step of the full forward pass: h (T, N, H) and, for the LSTM,
    c (T, N, H); copies."""
    w = model.params.w
    h, cache = CELLS[model.cell][0](np.ascontiguousarray(x.transpose(1, 0, 2)), w["Wx"], w["Wh"], w["b"])
    return h.copy(), (cache[4][1:].copy() if model.cell == "lstm" else None)


def losses_from(model, x, y, t, h_t, c_t):
    """Per-sample cross-entropy (N,) as a function of the state after step t: the cell's
    forward over x[:, t+1:] started from h0 = h_t (and c0 = c_t, held fixed), then the head."""
    if t == T - 1:
        last = h_t
    else:
        w = model.params.w
        state = (h_t, c_t) if model.cell == "lstm" else (h_t,)
        h, _ = CELLS[model.cell][0](np.ascontiguousarray(x[:, t + 1:].transpose(1, 0, 2)),
                                    w["Wx"], w["Wh"], w["b"], *state)
        last = h[-1]
    return cross_entropy(model.head(last.copy())[0], y)[0]


def numeric_hidden_grads(model, x, y, eps=1e-6):
    """dL_n/dh_t[n] (T, N, H) by central differences, every sample at once (L_n depends on
    sample n's state only)."""
    h, c = states(model, x)
    grads = np.zeros((T, N, H))
    for t in range(T):
        c_t = None if c is None else c[t]
        for i in range(H):
            plus, minus = h[t].copy(), h[t].copy()
            plus[:, i] += eps
            minus[:, i] -= eps
            difference = losses_from(model, x, y, t, plus, c_t) - losses_from(model, x, y, t, minus, c_t)
            grads[t, :, i] = difference / (2 * eps)
    return grads


def backward_norms(model, x, y, k=None, fill=0.0):
    """norms (T, N) written by the cell's backward pass for the per-sample losses."""
    logits, (rcache, caches) = model.forward(x, keep=None)
    dlogits = np.exp(logits - logits.max(axis=1, keepdims=True))
    dlogits /= dlogits.sum(axis=1, keepdims=True)
    dlogits[np.arange(len(y)), y] -= 1
    norms = np.full((T, len(y)), fill)
    grads = CELLS[model.cell][1](model.head_backward(dlogits, caches), rcache, k, norms=norms)
    return norms, grads


@pytest.mark.parametrize("cell", list(CELLS))
def test_norms_are_those_of_the_finite_difference_gradients_at_every_step(cell):
    model = tiny_model(cell)
    x, y = data()
    numeric = numeric_hidden_grads(model, x, y)
    assert np.all(np.linalg.norm(numeric, axis=2) > 1e-6)      # a signal at every step
    norms, _ = backward_norms(model, x, y)
    np.testing.assert_allclose(norms, np.linalg.norm(numeric, axis=2), rtol=1e-6)
    np.testing.assert_allclose(model.hidden_grad_norms(x, y), np.linalg.norm(numeric, axis=2).mean(axis=1),
                               rtol=1e-6)


@pytest.mark.parametrize("cell", list(CELLS))
def test_the_gradient_vectors_are_the_finite_difference_ones(cell):
    """dL/dh_t itself, not only its norm: the truncated pass through the steps t..T-1 leaves
    dJ/dh_t in its dh scratch array (nnlab.nn.recurrent), as it holds it when it reaches t."""
    model = tiny_model(cell)
    x, y = data(1)
    numeric = numeric_hidden_grads(model, x, y)
    for t in range(T):
        backward_norms(model, x, y, k=T - t)
        analytic = model.ws.arrays[f"{cell}.dh"][:, :N].T          # (N, H) after step t
        np.testing.assert_allclose(analytic, numeric[t], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cell", list(CELLS))
def test_truncated_pass_writes_only_the_steps_it_goes_through_and_norms_change_no_gradient(cell):
    model = tiny_model(cell)
    x, y = data()
    full, grads_full = backward_norms(model, x, y)
    part, grads_part = backward_norms(model, x, y, k=2, fill=np.nan)
    assert np.all(np.isnan(part[:T - 2]))
    np.testing.assert_array_equal(part[T - 2:], full[T - 2:])
    logits, cache = model.forward(x, keep=None)
    dout = model.head_backward(logits, cache[1])
    without = CELLS[cell][1](dout.copy(), cache[0])
    with_norms = CELLS[cell][1](dout.copy(), model.forward(x, keep=None)[1][0], norms=np.zeros((T, N)))
    for a, b in zip(without, with_norms):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", list(CELLS))
def test_hidden_grad_norms_is_full_bptt_per_sample_mean_and_leaves_training_alone(cell):
    x, y = data(2, n=7)
    xb, yb = data(3)
    model, twin = tiny_model(cell, truncation=2), tiny_model(cell, truncation=2)
    opt, twin_opt = SGD(0.1, 0.9), SGD(0.1, 0.9)
    for m, o in ((model, opt), (twin, twin_opt)):        # momentum and a workspace in use
        m.step(xb, yb)
        o.step(m.params)
    model.params.grad[...] = 7.0
    norms = model.hidden_grad_norms(x, y)
    assert norms.shape == (T,) and norms.dtype == np.float64
    reference = tiny_model(cell)                        # full BPTT, the same weights
    reference.params.flat[...] = model.params.flat
    np.testing.assert_array_equal(norms, reference.hidden_grad_norms(x, y))
    assert np.all(model.params.grad == 7.0) and len(model.grad_norms) == 1
    # per-sample means: the same for any split of the samples
    split = (3 * model.hidden_grad_norms(x[:3], y[:3]) + 4 * model.hidden_grad_norms(x[3:], y[3:])) / 7
    np.testing.assert_allclose(split, norms, rtol=1e-12)
    results = []
    for m, o in ((model, opt), (twin, twin_opt)):
        results.append(m.step(xb, yb))
        o.step(m.params)
    assert results[0] == results[1]
    np.testing.assert_array_equal(model.params.grad, twin.params.grad)
    np.testing.assert_array_equal(model.params.flat, twin.params.flat)


def test_a_float32_model_is_measured_in_float64():
    x, y = data(4)
    model = tiny_model("lstm", dtype=np.float32)
    twin = tiny_model("lstm")
    twin.params.flat[...] = model.params.flat
    norms = model.hidden_grad_norms(x.astype(np.float32), y)
    assert norms.dtype == np.float64
    np.testing.assert_array_equal(norms, twin.hidden_grad_norms(x.astype(np.float32), y))


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_signal_vanishing_below_float32s_range_is_read_the_same_flushed_or_not(cell):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((4, 150, C)).astype(np.float32), rng.integers(0, K, 4)
    model = RecurrentClassifier(cell, C, H, [5], K, seed=1, dtype=np.float32)
    model.params.w["Wh"][...] *= 0.1
    with flush_denormals(False):
        unflushed = model.hidden_grad_norms(x, y)
    with flush_denormals():
        flushed = model.hidden_grad_norms(x, y)
    np.testing.assert_array_equal(flushed, unflushed)
    assert np.any((flushed > 0) & (flushed < 1e-38)) and flushed[-1] > 1e-3   # in float32: 0 or subnormal


def test_no_samples_is_one_line_error():
    with pytest.raises(ValueError, match="^hidden_grad_norms: expected at least one sample, found none$"):
        tiny_model("rnn").hidden_grad_norms(np.zeros((0, T, C)), np.zeros(0, int))
