"""The primitives every model is built from, each once. `*_forward` returns (out, cache) and
`*_backward` takes (dout, cache), as in CS231n; the element-wise ones write in place (`out=`)
because the models keep their activations in preallocated workspaces.

Shapes: N samples, D inputs, M outputs, V vocabulary, C context words, K classes.
"""
import numpy as np


def affine_forward(x, W, b, out=None):
    """x (N, D), W (D, M), b (M,) -> out (N, M) = x W + b (written into `out` when given), cache."""
    out = np.matmul(x, W, out=out)
    out += b
    return out, (x, W)


def affine_backward(dout, cache, dW=None, db=None, dx=None, need_dx=True):
    """dout (N, M) -> dx (N, D), dW (D, M), db (M,), each written into the array given for it
    (a gradient view, a workspace buffer) or new; dx is None when not need_dx (a first layer)."""
    x, W = cache
    dW = np.matmul(x.T, dout, out=dW)
    db = dout.sum(axis=0, out=db)
    return (np.matmul(dout, W.T, out=dx) if need_dx else None), dW, db


def sigmoid(z, out=None):
    """1 / (1 + exp(-z)), computed as (1 + tanh(z / 2)) / 2: it cannot overflow, keeps z's dtype,
    and NumPy's vectorised tanh is faster than exp plus a reciprocal (docs/performance.md).
    out may be z (in place)."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def sigmoid_grad(s, out=None):
    """sigmoid' from its output s: s (1 - s)."""
    out = np.subtract(1, s, out=out)
    out *= s
    return out


def tanh_grad(t, out=None):
    """tanh' from its output t: 1 - t^2."""
    out = np.multiply(t, t, out=out)
    np.subtract(1, out, out=out)
    return out


def _shifted_exp(logits, y=None):
    """In place: logits <- exp(logits - rowmax). Returns the row sums s (N, 1) and, given labels
    y (N,), each row's shifted true logit (<= 0; 0 when it is a largest logit)."""
    logits -= logits.max(axis=1, keepdims=True)
    true = None if y is None else logits[np.arange(len(y)), y]
    np.exp(logits, out=logits)
    return logits.sum(axis=1, keepdims=True), true


def softmax(logits):
    """In place: logits (N, K) -> probabilities, rows summing to 1. Returns logits."""
    s, _ = _shifted_exp(logits)
    logits /= s
    return logits


def softmax_cross_entropy(logits, y):
    """Training: mean cross-entropy of integer labels y (N,) under softmax(logits (N, K)),
    in log-sum-exp form. logits is overwritten with d(mean loss)/dlogits = (softmax - onehot) / N.
    Returns (loss, number correct); a sample is correct when its label has the largest logit."""
    n = len(y)
    s, true = _shifted_exp(logits, y)
    loss = float(np.mean(np.log(s[:, 0], dtype=np.float64) - true))
    correct = int(np.count_nonzero(true == 0))
    logits *= 1.0 / (s * n)
    logits[np.arange(n), y] -= 1.0 / n
    return loss, correct


def cross_entropy(logits, y):
    """Evaluation: per-sample cross-entropy (N,) float64 and correctness (N,) bool of labels y
    under softmax(logits). logits is overwritten (with exp(logits - rowmax))."""
    s, true = _shifted_exp(logits, y)
    return np.log(s[:, 0], dtype=np.float64) - true, true == 0


def embedding_forward(R, x, out, concat=False):
    """R (V, D), x (N, C) word indices -> out (N, D) = sum_k R[x_k] (order ignored), or with
    concat out (N, C*D) = [R[x_1], ..., R[x_C]]. A gather: no one-hot matrix."""
    D = R.shape[1]
    if concat:
        for k in range(x.shape[1]):
            out[:, k * D:(k + 1) * D] = R[x[:, k]]
    else:
        np.add(R[x[:, 0]], R[x[:, 1]], out=out)
        for k in range(2, x.shape[1]):
            out += R[x[:, k]]
    return out


def embedding_backward(dout, x, dR, concat=False, positions=None):
    """dout (N, D) or (N, C*D) -> dR (V, D), overwritten: contributions added at each word's row
    with one unbuffered np.add.at over the flattened dR (no one-hot matrix).

    positions (V, D), the flat index v*D + j of each element of dR, may be passed to save
    building it on every call."""
    V, D = dR.shape
    n, c = x.shape
    if positions is None:
        positions = np.arange(V * D).reshape(V, D)
    dR.fill(0)
    values = dout.reshape(n, c, D) if concat else np.broadcast_to(dout[:, None, :], (n, c, D))
    np.add.at(dR.reshape(-1), positions[x].reshape(-1), values.reshape(-1))
    return dR


class L2Penalty:
    """weight_decay / 2 * the sum of the squared entries of the weights `names` of a Params:
    value() and, in the backward pass, add_gradient(), which adds weight_decay * W to each
    one's gradient. The one place a model's weight decay is spelled."""

    def __init__(self, weight_decay, params, names):
        self.weight_decay = float(weight_decay)
        self.weights = [params.w[name] for name in names]
        self.grads = [params.g[name] for name in names]

    def value(self):
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(float(np.vdot(w, w)) for w in self.weights)

    def add_gradient(self):
        if self.weight_decay:
            for w, g in zip(self.weights, self.grads):
                g += self.weight_decay * w
