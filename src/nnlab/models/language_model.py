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
scattered by index with one unbuffered `np.add.at` over flat positions of dR
(nnlab.nn.layers.embedding_backward).
"""
import numpy as np

from nnlab.errors import DataError
from nnlab.nn.init import gaussian, xavier_uniform
from nnlab.nn.layers import (L2Penalty, affine_backward, affine_forward, cross_entropy, embedding_backward,
                             embedding_forward, sigmoid, sigmoid_grad, softmax, softmax_cross_entropy)
from nnlab.nn.params import Params
from nnlab.nn.workspace import Workspace, in_chunks

CONTEXT = 3  # words of context
EVAL_CHUNK = 4096  # samples per forward pass when evaluating or predicting


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


class LanguageModel:
    """The model for nnlab.train.fit: step(x, y) -> (mean cross-entropy, n correct)."""

    def __init__(self, vocab_size, embedding_dim, hidden, order_aware=False, init="gaussian",
                 init_std=0.01, weight_decay=0.0, seed=0, dtype=np.float32, words=None):
        self.V, self.D, self.P = vocab_size, embedding_dim, hidden
        self.order_aware = bool(order_aware)
        self.words = None if words is None else np.asarray(words, dtype=str)
        self.din = CONTEXT * embedding_dim if order_aware else embedding_dim
        self.params = Params(lm_shapes(vocab_size, embedding_dim, hidden, order_aware), dtype)
        lm_init(self.params, init, init_std, np.random.default_rng(seed))
        self.positions = np.arange(vocab_size * embedding_dim).reshape(vocab_size, embedding_dim)
        self.l2 = L2Penalty(weight_decay, self.params, ("R", "W1", "W2"))
        self.ws = Workspace()

    def forward(self, x):
        """x (n, 3) -> logits (n, V): a view into the workspace, overwritten by the next call.
        The one forward pass of training, evaluation and prediction."""
        return self._forward(x)[0]

    def _forward(self, x):
        """forward(x) and the cache of its two affine layers, for step()'s backward pass."""
        n, ws, w, dtype = len(x), self.ws, self.params.w, self.params.dtype
        e = embedding_forward(w["R"], x, ws.get("e", (n, self.din), dtype), self.order_aware)
        z, cache1 = affine_forward(e, w["W1"], w["b1"], out=ws.get("z", (n, self.P), dtype))
        h = sigmoid(z, out=ws.get("h", (n, self.P), dtype))
        logits, cache2 = affine_forward(h, w["W2"], w["b2"], out=ws.get("logits", (n, self.V), dtype))
        return logits, (cache1, cache2)

    def step(self, x, y):
        """Forward and backward on a batch; fills params.grad with the gradient of the mean
        cross-entropy + penalty(); returns (mean cross-entropy, n correct)."""
        n, ws, g, dtype = len(x), self.ws, self.params.g, self.params.dtype
        dlogits, (cache1, cache2) = self._forward(x)
        loss, correct = softmax_cross_entropy(dlogits, y)      # in place: logits -> dL/dlogits
        dz, _, _ = affine_backward(dlogits, cache2, g["W2"], g["b2"], ws.get("z", (n, self.P), dtype))  # dL/dh
        h = cache2[0]
        dz *= sigmoid_grad(h, out=ws.get("tmp", (n, self.P), dtype))                 # dL/dz
        de, _, _ = affine_backward(dz, cache1, g["W1"], g["b1"], ws.get("de", (n, self.din), dtype))
        embedding_backward(de, x, g["R"], self.order_aware, self.positions)
        self.l2.add_gradient()
        return loss, correct

    def penalty(self):
        """weight_decay / 2 * (||R||^2 + ||W1||^2 + ||W2||^2)."""
        return self.l2.value()

    def sample_scores(self, x, y, k=10, predicted=False):
        """Per sample: cross-entropy (n,) float64, whether the true word has the largest logit (n,),
        and whether it is among the k largest logits (n,) (ties counted in its favour; None when k
        is None, as in the per-epoch evaluation); predicted: also the word with the largest logit
        (n,); EVAL_CHUNK samples per forward pass."""
        def scores(xb, yb):
            logits = self.forward(xb)
            top = None
            if k is not None:
                top = (logits > logits[np.arange(len(yb)), yb][:, None]).sum(axis=1) < k
            return (*cross_entropy(logits, yb), top) + ((logits.argmax(axis=1),) if predicted else ())
        return in_chunks(scores, (x, y), EVAL_CHUNK)

    def evaluate(self, x, y):
        """(mean cross-entropy, accuracy) over (x, y); no gradients."""
        losses, correct, _ = self.sample_scores(x, y, k=None)
        return float(losses.mean()), float(correct.mean())

    def predict_proba(self, x):
        """x (n, 3) word indices in 0..V-1 -> next-word probabilities (n, V), a new array."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != CONTEXT or (x.size and (x.min() < 0 or x.max() >= self.V)):
            raise ValueError(f"expected word indices of shape (n, {CONTEXT}) in 0..{self.V - 1}, "
                             f"found shape {x.shape}" + (f", range {x.min()}..{x.max()}" if x.size else ""))
        return in_chunks(lambda xb: softmax(self.forward(xb)), (x,), EVAL_CHUNK)

    # ------------------------------------------------------------------ saving and loading

    def save_arrays(self):
        """Everything needed to rebuild the model, for np.savez (loads with allow_pickle=False)."""
        arrays = {"model": np.array("language_model"), "order_aware": np.array(self.order_aware),
                  **self.params.arrays()}
        if self.words is not None:
            arrays["words"] = self.words
        return arrays

    @classmethod
    def from_arrays(cls, arrays, source="params"):
        """The model saved by save_arrays (its vocabulary in .words, or None)."""
        for key in ("R", "W1", "W2", "order_aware"):
            if key not in arrays:
                raise DataError(f"{source}: key '{key}': expected an array, found none")
        (V, D), P = arrays["R"].shape, arrays["W1"].shape[1]
        model = cls(V, D, P, order_aware=bool(arrays["order_aware"]),
                    words=arrays["words"] if "words" in arrays else None)
        model.params.load(arrays, source)
        return model


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
    from nnlab.nn.gradcheck import check_model, numeric_gradient, relative_error

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
        checks.append((name, check_model(model, x, y)))
    logits = rng.standard_normal((5, 7))
    labels = rng.integers(0, 7, 5)
    numeric = numeric_gradient(lambda: softmax_cross_entropy(logits.copy(), labels)[0], logits)
    analytic = logits.copy()
    softmax_cross_entropy(analytic, labels)
    checks.append(("softmax cross-entropy", relative_error(analytic, numeric)))
    return checks
