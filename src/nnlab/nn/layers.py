"""Forward/backward pairs. Each `*_forward` returns (out, cache); each `*_backward`
takes (dout, cache) and returns the gradients of its inputs, as in CS231n.

Shapes: N samples, D inputs, M outputs, V vocabulary, K classes.
"""
import numpy as np


def affine_forward(x, W, b):
    """x (N, D), W (D, M), b (M,) -> out (N, M)."""
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    """dout (N, M) -> dx (N, D), dW (D, M), db (M,)."""
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def sigmoid(z):
    """Logistic function 1 / (1 + exp(-z)) = (1 + tanh(z / 2)) / 2: no overflow, z's dtype."""
    s = np.tanh(z * 0.5)
    s += 1
    s *= 0.5
    return s


def sigmoid_forward(z):
    """z (any shape) -> s = 1 / (1 + exp(-z))."""
    s = sigmoid(z)
    return s, s


def sigmoid_backward(dout, s):
    return dout * s * (1 - s)


def tanh_forward(z):
    t = np.tanh(z)
    return t, t


def tanh_backward(dout, t):
    return dout * (1 - t * t)


def softmax(logits):
    """logits (N, K) -> probabilities (N, K), rows summing to 1."""
    z = logits - logits.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y (N,) under softmax(logits (N, K)).

    Returns (loss, dlogits, probs); dlogits is the gradient of the mean loss.
    """
    n = logits.shape[0]
    probs = softmax(logits)
    rows = np.arange(n)
    picked = probs[rows, y]
    loss = -np.log(np.maximum(picked, np.finfo(probs.dtype).tiny)).mean()
    dlogits = probs.copy()
    dlogits[rows, y] -= 1
    dlogits /= n
    return float(loss), dlogits, probs


def embedding_forward(idx, R):
    """idx (N, C) integer indices into R (V, D) -> out (N, C, D), a gather (no one-hot)."""
    return R[idx], (idx, R.shape)


def embedding_backward(dout, cache):
    """dout (N, C, D) -> dR (V, D), gradients accumulated by index."""
    idx, shape = cache
    dR = np.zeros(shape, dout.dtype)
    np.add.at(dR, idx.ravel(), dout.reshape(-1, shape[1]))
    return dR
