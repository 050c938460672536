"""Trigram neural language model (experiment 2): predict the 4th word from three.

    x (N, 3) word indices
    -> e = R[x1] + R[x2] + R[x3]                     (N, D)    order ignored (SUM)
       or e = [R[x1], R[x2], R[x3]]                  (N, 3D)   order_aware
    -> h = sigmoid(e W1 + b1)                        (N, P)
    -> p = softmax(h W2 + b2)                        (N, V)    cost: mean cross-entropy

The three context words share one embedding matrix R (V, D). Without order they are
SUMMED, in training and in prediction alike (the same `forward` serves both).

Speed (float32, one BLAS thread): every activation lives in a workspace allocated once
and every op writes into it (`out=`); the softmax gradient is computed in place in the
logits buffer from the exponentials the loss already needed; embedding gradients are
scattered by index with one unbuffered `np.add.at` over flat positions of dR.
"""
import numpy as np

from nnlab.nn.init import gaussian, xavier_uniform
from nnlab.nn.params import Params

CONTEXT = 3  # words of context


def lm_shapes(V, D, P, order_aware=False, context=CONTEXT):
    """Parameter shapes; W1 is (3D, P) when order_aware, else (D, P)."""
    din = context * D if order_aware else D
    return {"R": (V, D), "W1": (din, P), "b1": (P,), "W2": (P, V), "b2": (V,)}


def lm_init(params, init="gaussian", init_std=0.01, rng=None):
    """'gaussian': every weight and bias N(0, init_std^2) (the course);
    'xavier': R N(0, init_std^2), W1 and W2 Xavier-uniform, biases 0."""
    rng = rng or np.random.default_rng(0)
    if init == "gaussian":
        params.flat[:] = gaussian(rng, params.flat.shape, init_std, params.dtype)
    elif init == "xavier":
        params.flat[:] = 0
        params.w["R"][...] = gaussian(rng, params.shapes["R"], init_std, params.dtype)
        for name in ("W1", "W2"):
            params.w[name][...] = xavier_uniform(rng, *params.shapes[name], dtype=params.dtype)
    else:
        raise ValueError(f"init: expected 'gaussian' or 'xavier', found {init!r}")
    return params


# ------------------------------------------------------------------ embedding layer


def context_embed_forward(R, x, out, order_aware=False):
    """R (V, D), x (N, C) -> out (N, D) = sum_k R[x_k], or (N, C*D) = [R[x_1], ..., R[x_C]]."""
    D = R.shape[1]
    if order_aware:
        for k in range(x.shape[1]):
            out[:, k * D:(k + 1) * D] = R[x[:, k]]
    else:
        np.add(R[x[:, 0]], R[x[:, 1]], out=out)
        for k in range(2, x.shape[1]):
            out += R[x[:, k]]
    return out


def context_embed_backward(de, x, dR, order_aware=False, positions=None):
    """de (N, D) or (N, C*D) -> dR (V, D) overwritten, accumulated by index (no one-hot).

    positions (V, D): flat index v*D + j of each element of dR (pass it to save its
    construction); each of the N*C*D contributions is added at positions[x] in one
    unbuffered np.add.at over the flattened dR.
    """
    V, D = dR.shape
    n, c = x.shape
    if positions is None:
        positions = np.arange(V * D).reshape(V, D)
    dR.fill(0)
    values = de.reshape(n, c, D) if order_aware else np.broadcast_to(de[:, None, :], (n, c, D))
    np.add.at(dR.reshape(-1), positions[x].reshape(-1), values.reshape(-1))
    return dR


# ------------------------------------------------------------------------- the model


class Workspace:
    """Preallocated activations for up to `n` samples; slices [:m] serve smaller batches."""

    def __init__(self, n, din, P, V, dtype):
        self.n = n
        self.e = np.empty((n, din), dtype)
        self.z = np.empty((n, P), dtype)          # pre-activation, then dL/dh, then dL/dz
        self.h = np.empty((n, P), dtype)
        self.logits = np.empty((n, V), dtype)     # logits -> exp -> dL/dlogits, in place
        self.tmp = np.empty((n, P), dtype)
        self.de = np.empty((n, din), dtype)


class LanguageModel:
    """The model for nnlab.train.fit: step(x, y) -> (mean cross-entropy, n correct)."""

    def __init__(self, vocab_size, embedding_dim, hidden, order_aware=False, init="gaussian",
                 init_std=0.01, weight_decay=0.0, seed=0, dtype=np.float32):
        self.V, self.D, self.P = vocab_size, embedding_dim, hidden
        self.weight_decay = float(weight_decay)
        self.order_aware = bool(order_aware)
        self.din = CONTEXT * embedding_dim if order_aware else embedding_dim
        self.params = Params(lm_shapes(vocab_size, embedding_dim, hidden, order_aware), dtype)
        lm_init(self.params, init, init_std, np.random.default_rng(seed))
        self.positions = np.arange(vocab_size * embedding_dim).reshape(vocab_size, embedding_dim)
        self.ws = None

    def workspace(self, n):
        if self.ws is None or self.ws.n < n:
            self.ws = Workspace(n, self.din, self.P, self.V, self.params.dtype)
        return self.ws

    def forward(self, x):
        """x (n, 3) -> logits (n, V): a view into the workspace, overwritten by the next call.
        The one forward pass of training, evaluation and prediction."""
        n, ws, w = len(x), self.workspace(len(x)), self.params.w
        e, z, h, logits = ws.e[:n], ws.z[:n], ws.h[:n], ws.logits[:n]
        context_embed_forward(w["R"], x, e, self.order_aware)
        np.matmul(e, w["W1"], out=z)
        z += w["b1"]
        sigmoid_into(z, h)
        np.matmul(h, w["W2"], out=logits)
        logits += w["b2"]
        return logits

    def step(self, x, y):
        """Forward and backward on a batch; fills params.grad; returns (mean loss, n correct)."""
        n, ws, w, g = len(x), self.workspace(len(x)), self.params.w, self.params.g
        logits = self.forward(x)
        loss, correct, s = cross_entropy_in_place(logits, y)
        dlogits = logits                                     # (softmax - onehot(y)) / n, in place
        dlogits *= 1.0 / (s * n)                             # logits held exp(logits - max)
        dlogits[np.arange(n), y] -= 1.0 / n
        e, dz, h, tmp, de = ws.e[:n], ws.z[:n], ws.h[:n], ws.tmp[:n], ws.de[:n]
        np.matmul(h.T, dlogits, out=g["W2"])
        dlogits.sum(axis=0, out=g["b2"])
        np.matmul(dlogits, w["W2"].T, out=dz)                # dL/dh
        np.subtract(1.0, h, out=tmp)                         # sigmoid' = h (1 - h)
        tmp *= h
        dz *= tmp                                            # dL/dz
        np.matmul(e.T, dz, out=g["W1"])
        dz.sum(axis=0, out=g["b1"])
        np.matmul(dz, w["W1"].T, out=de)                     # dL/de
        context_embed_backward(de, x, g["R"], self.order_aware, self.positions)
        if self.weight_decay:                                # + d/dw of penalty(); loss stays the CE
            for name in ("R", "W1", "W2"):
                g[name] += self.weight_decay * w[name]
        return loss, correct

    def penalty(self):
        """weight_decay / 2 * (||R||^2 + ||W1||^2 + ||W2||^2): minimised along with the mean
        cross-entropy (the loss step() reports is the cross-entropy alone)."""
        w = self.params.w
        return 0.5 * self.weight_decay * sum(float(np.vdot(w[k], w[k])) for k in ("R", "W1", "W2"))

    def evaluate(self, x, y, chunk=4096):
        """(mean cross-entropy, accuracy) over (x, y), in chunks; no gradients."""
        total, correct = 0.0, 0
        for i in range(0, len(x), chunk):
            yb = y[i:i + chunk]
            loss, c, _ = cross_entropy_in_place(self.forward(x[i:i + chunk]), yb)
            total += loss * len(yb)
            correct += c
        return total / len(x), correct / len(x)

    def predict_proba(self, x, chunk=4096):
        """x (n, 3) word indices in 0..V-1 -> next-word probabilities (n, V), a new array."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != CONTEXT or (x.size and (x.min() < 0 or x.max() >= self.V)):
            raise ValueError(f"expected word indices of shape (n, {CONTEXT}) in 0..{self.V - 1}, "
                             f"found shape {x.shape}" + (f", range {x.min()}..{x.max()}" if x.size else ""))
        out = np.empty((len(x), self.V), self.params.dtype)
        for i in range(0, len(x), chunk):
            out[i:i + chunk] = softmax_rows(self.forward(x[i:i + chunk]))
        return out

    def scores(self, x, y, k=10, chunk=4096):
        """Test metrics: mean cross-entropy, top-1 and top-k accuracy (true word among the k
        largest logits, ties counted in its favour)."""
        total, correct, top = 0.0, 0, 0
        for i in range(0, len(x), chunk):
            xb, yb = x[i:i + chunk], y[i:i + chunk]
            logits = self.forward(xb)
            true = logits[np.arange(len(yb)), yb][:, None]
            top += int(((logits > true).sum(axis=1) < k).sum())
            loss, c, _ = cross_entropy_in_place(logits, yb)
            total += loss * len(yb)
            correct += c
        n = len(x)
        return {"cross_entropy": total / n, "accuracy": correct / n, f"top{k}_accuracy": top / n}

    def save_arrays(self, words=None):
        """Named arrays for np.savez (loadable with allow_pickle=False)."""
        arrays = self.params.arrays()
        arrays["order_aware"] = np.array(self.order_aware)
        arrays["combine"] = np.array("concatenate" if self.order_aware else "sum")
        if words is not None:
            arrays["words"] = np.asarray(words, dtype=str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, source="params"):
        """A model from saved arrays (e.g. np.load(params.npz)); its words in .words."""
        from nnlab.errors import DataError

        for key in ("R", "W1", "W2", "order_aware"):
            if key not in arrays:
                raise DataError(f"{source}: key '{key}': expected an array, found none")
        (V, D), P = arrays["R"].shape, arrays["W1"].shape[1]
        model = cls(V, D, P, order_aware=bool(arrays["order_aware"]))
        model.params.load(arrays, source)
        model.words = np.asarray(arrays["words"]) if "words" in arrays else None
        return model


# ------------------------------------------------------------------ helper functions


def sigmoid_into(z, out):
    """out = 1 / (1 + exp(-z)); exp overflows to inf for z < -88 (float32), giving 0."""
    np.negative(z, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def cross_entropy_in_place(logits, y):
    """Mean cross-entropy of labels y (n,) under softmax(logits (n, V)), log-sum-exp form.

    Overwrites logits with exp(logits - rowmax); returns (loss, n correct, s) where
    s (n, 1) are the row sums of that, so softmax = logits / s. A sample is correct
    when its true word has the largest logit.
    """
    rows = np.arange(len(y))
    logits -= logits.max(axis=1, keepdims=True)
    true = logits[rows, y]                                   # <= 0; 0 when the argmax
    np.exp(logits, out=logits)
    s = logits.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0], dtype=np.float64) - true))
    return loss, int(np.count_nonzero(true == 0)), s


def softmax_rows(logits):
    """Softmax of each row, computed as in training (in place)."""
    _, _, s = cross_entropy_in_place(logits, np.zeros(len(logits), np.intp))
    logits /= s
    return logits


def top_k(probs, k=10):
    """probs (n, V) -> (indices (n, k), values (n, k)), each row by decreasing probability
    (ties: lower index first)."""
    k = min(k, probs.shape[1])
    part = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(probs, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(probs, idx, axis=1)


def gradcheck():
    """[(name, max relative error)] of analytic against numeric gradients, float64."""
    from nnlab.nn.gradcheck import check_params, numeric_gradient, relative_error

    rng = np.random.default_rng(0)
    V, n = 11, 9
    x = rng.integers(0, V, (n, CONTEXT))
    x[0] = [2, 2, 5]                                         # a repeated word in one trigram
    y = rng.integers(0, V, n)
    checks = []
    for order_aware, weight_decay in ((False, 0.0), (True, 0.0), (False, 0.1)):
        model = LanguageModel(V, 4, 6, order_aware=order_aware, init="gaussian", init_std=0.5,
                              weight_decay=weight_decay, seed=1, dtype=np.float64)
        name = "language_model" + (" order_aware" if order_aware else "") + (" weight_decay" if weight_decay else "")
        checks.append((name, check_params(lambda: model.step(x, y)[0] + model.penalty(), model.params)))
    logits = rng.standard_normal((5, 7))
    labels = rng.integers(0, 7, 5)
    numeric = numeric_gradient(lambda: cross_entropy_in_place(logits.copy(), labels)[0], logits)
    work = logits.copy()
    _, _, s = cross_entropy_in_place(work, labels)
    analytic = work / (s * 5)
    analytic[np.arange(5), labels] -= 1 / 5
    checks.append(("language_model softmax cross-entropy", relative_error(analytic, numeric)))
    return checks
