"""Recurrent activity classifier (experiment 3).

x (N, T, C) -> recurrent layer (rnn | lstm | gru, H units, h0 = 0) -> last hidden state
h_T (N, H) -> MLP with tanh hidden layers (sizes from config, default H -> 64 -> 64)
-> affine -> softmax over K classes. Objective: mean cross-entropy
+ weight_decay / 2 * (sum of squared weight-matrix entries: Wx, Wh, W1..WL; no biases).

Parameters (one flat buffer): the cell's fused Wx (C, G*H), Wh (H, G*H), b (G*H,), then
W1, b1, ..., WL, bL of the MLP. Weights are Xavier-uniform, per gate block for the fused
matrices (fan_in C or H, fan_out H); biases are zero, except the LSTM forget gate's
(`forget_bias`). Training is float32; gradient checks run the same code in float64.
"""
import numpy as np

from nnlab.nn.init import xavier_uniform
from nnlab.errors import DataError
from nnlab.nn.layers import (L2Penalty, affine_backward, affine_forward, cross_entropy, softmax,
                             softmax_cross_entropy, tanh_grad)
from nnlab.nn.params import Params
from nnlab.nn.recurrent import CELLS
from nnlab.nn.workspace import Workspace, in_chunks

EVAL_CHUNK = 256  # samples per forward pass when evaluating (bounds the workspace memory)
GRAD_NORM_CHUNK = 64  # samples per pass of hidden_grad_norms (float64, every step kept)


def classifier_shapes(cell, n_in, hidden, mlp, n_classes):
    gates = CELLS[cell][2]
    shapes = {"Wx": (n_in, gates * hidden), "Wh": (hidden, gates * hidden), "b": (gates * hidden,)}
    sizes = [hidden, *mlp, n_classes]
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        shapes[f"W{layer}"] = (fan_in, fan_out)
        shapes[f"b{layer}"] = (fan_out,)
    return shapes


class RecurrentClassifier:
    """A model for nnlab.train.fit. truncation: None (full BPTT) or k (truncated BPTT)."""

    def __init__(self, cell, n_in, hidden, mlp, n_classes, truncation=None, forget_bias=0.0,
                 weight_decay=0.0, seed=0, dtype=np.float32, classes=None):
        if cell not in CELLS:
            raise ValueError(f"cell: expected one of {', '.join(CELLS)}, found {cell!r}")
        self.cell, self.hidden, self.truncation = cell, hidden, truncation
        self.layers = len(mlp) + 1
        self.params = Params(classifier_shapes(cell, n_in, hidden, mlp, n_classes), dtype)
        self.l2 = L2Penalty(weight_decay, self.params,
                            ["Wx", "Wh"] + [f"W{layer}" for layer in range(1, self.layers + 1)])
        self.ws = Workspace()
        self.grad_norms = []
        self.classes = None if classes is None else [str(c) for c in classes]
        self._init(np.random.default_rng(seed), forget_bias)

    def _init(self, rng, forget_bias):
        w, H = self.params.w, self.hidden
        for name, fan_in in (("Wx", w["Wx"].shape[0]), ("Wh", H)):
            for block in range(w[name].shape[1] // H):
                w[name][:, block * H:(block + 1) * H] = xavier_uniform(rng, fan_in, H, dtype=w[name].dtype)
        for layer in range(1, self.layers + 1):
            w[f"W{layer}"][...] = xavier_uniform(rng, *w[f"W{layer}"].shape, dtype=w[f"W{layer}"].dtype)
        if self.cell == "lstm":
            w["b"][H:2 * H] = forget_bias             # gate blocks [i, f, o, g]

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x, keep=None, ws=None, w=None):
        """x (N, T, C) -> logits (N, K), cache; in the workspace ws (default: the model's), with
        the weights w (default: params.w; another dtype computes in that dtype)."""
        w = self.params.w if w is None else w
        xt = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=w["Wh"].dtype)     # (T, N, C)
        ws = self.ws if ws is None else ws
        h, rcache = CELLS[self.cell][0](xt, w["Wx"], w["Wh"], w["b"], ws=ws, keep=keep)
        logits, caches = self.head(h[-1], w)
        return logits, (rcache, caches)

    def head(self, h_last, w=None):
        """The MLP on the last hidden state: h_last (N, H) -> logits (N, K), caches; weights w
        (default: params.w)."""
        w, out, caches = self.params.w if w is None else w, h_last, []
        for layer in range(1, self.layers + 1):
            out, cache = affine_forward(out, w[f"W{layer}"], w[f"b{layer}"])
            caches.append(cache)
            if layer < self.layers:
                out = np.tanh(out, out=out)
                caches.append(out)
        return out, caches

    def head_backward(self, dlogits, caches, grads=None):
        """dlogits (N, K) -> the gradient with respect to the last hidden state (N, H); the MLP's
        weight gradients go into grads (params.g) when given. Consumes caches (head's)."""
        dout = dlogits
        for layer in range(self.layers, 0, -1):
            if layer < self.layers:
                dout *= tanh_grad(caches.pop())
            dW, db = (grads[f"W{layer}"], grads[f"b{layer}"]) if grads is not None else (None, None)
            dout, _, _ = affine_backward(dout, caches.pop(), dW, db)
        return dout

    def backward(self, dlogits, cache):
        """Fill params.grad from dlogits (N, K)."""
        rcache, caches = cache
        g = self.params.g
        dout = self.head_backward(dlogits, caches, g)
        g["Wx"][...], g["Wh"][...], g["b"][...] = CELLS[self.cell][1](dout, rcache, self.truncation)
        self.l2.add_gradient()

    def penalty(self):
        """weight_decay / 2 * sum of the squared weight-matrix entries (biases excluded)."""
        return self.l2.value()

    # ------------------------------------------------------------------ the fit() interface

    def step(self, x, y):
        """Gradient of cross-entropy + penalty() into params.grad; returns (cross-entropy, number correct)."""
        logits, cache = self.forward(x, keep=self.truncation)
        loss, correct = softmax_cross_entropy(logits, y)      # logits now hold dL/dlogits
        self.backward(logits, cache)
        self.grad_norms.append(float(np.linalg.norm(self.params.g["Wh"])))
        return loss, correct

    def predict_proba(self, x):
        """x (N, T, C) -> class probabilities (N, K), EVAL_CHUNK samples per forward pass."""
        return in_chunks(lambda xb: softmax(self.forward(xb, keep=0)[0]), (x,), EVAL_CHUNK)

    def sample_scores(self, x, y):
        """Per sample: cross-entropy (N,) float64 and the predicted class (N,), EVAL_CHUNK
        samples per forward pass."""
        def scores(xb, yb):
            logits = self.forward(xb, keep=0)[0]
            predicted = logits.argmax(axis=1)
            return cross_entropy(logits, yb)[0], predicted
        return in_chunks(scores, (x, y), EVAL_CHUNK)

    def evaluate(self, x, y):
        """(mean cross-entropy, accuracy) over (x, y); no gradients."""
        losses, predicted = self.sample_scores(x, y)
        return float(losses.mean()), float(np.mean(predicted == y))

    def hidden_grad_norms(self, x, y):
        """The size of the backward signal at every step: x (N, T, C), y (N,) -> float64 (T,),
        entry t the mean over the N samples of ||dL_n/dh_t||, where L_n is sample n's
        cross-entropy (no weight decay; so independent of N) and h_t (H,) its hidden state after
        step t (for the LSTM with the cell state c_t held fixed). Full back-propagation through
        time whatever self.truncation, computed in float64 whatever the model's dtype: a
        vanishing signal is read down to float64's normal range (2.2e-308) rather than flushed
        or made subnormal at float32's (1.2e-38), so the norms are the same with subnormal
        numbers flushed or not (nnlab.nn.denormals). Reads the weights only: params.grad, the
        optimiser, the training workspace and grad_norms are left as they were (its own
        workspace, GRAD_NORM_CHUNK samples per pass)."""
        if len(x) == 0:
            raise ValueError("hidden_grad_norms: expected at least one sample, found none")
        w = {name: weights.astype(np.float64) for name, weights in self.params.w.items()}
        ws = Workspace()
        T = x.shape[1]

        def per_sample(xb, yb):
            logits, (rcache, caches) = self.forward(xb, keep=None, ws=ws, w=w)
            dlogits = softmax(logits)                       # dL_n/dlogits_n = softmax - onehot
            dlogits[np.arange(len(yb)), yb] -= 1
            norms = np.zeros((T, len(yb)))
            CELLS[self.cell][1](self.head_backward(dlogits, caches), rcache, None, norms=norms)
            return norms.T                                  # (N, T)
        return in_chunks(per_sample, (x, y), GRAD_NORM_CHUNK).mean(axis=0)

    def epoch_extras(self):
        """grad_norm: the mean over the epoch's batches of ||dL/dWh||, before any clipping."""
        norms, self.grad_norms = self.grad_norms, []
        return {"grad_norm": float(np.mean(norms)) if norms else None}

    # ------------------------------------------------------------------ saving and loading

    def save_arrays(self):
        """Everything needed to rebuild the classifier, for np.savez (loads with allow_pickle=False)."""
        arrays = {"model": np.array("recurrent"), "cell": np.array(self.cell), **self.params.arrays()}
        if self.classes is not None:
            arrays["classes"] = np.asarray(self.classes, dtype=str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays, source="params"):
        """The classifier saved by save_arrays (its class names in .classes). The MLP sizes come
        from the shapes of W1..WL; truncation only shapes training, so it is not needed."""
        for key in ("cell", "Wx", "Wh", "W1"):
            if key not in arrays:
                raise DataError(f"{source}: key '{key}': expected an array, found none")
        cell = str(arrays["cell"])
        if cell not in CELLS:
            raise DataError(f"{source}: key 'cell': expected one of {', '.join(CELLS)}, found {cell!r}")
        layers = 1
        while f"W{layers + 1}" in arrays:
            layers += 1
        mlp = [int(arrays[f"W{i}"].shape[1]) for i in range(1, layers)]
        (n_in, _), hidden = arrays["Wx"].shape, arrays["Wh"].shape[0]
        model = cls(cell, int(n_in), int(hidden), mlp, int(arrays[f"W{layers}"].shape[1]),
                    classes=arrays["classes"] if "classes" in arrays else None)
        model.params.load(arrays, source)
        return model


def gradcheck():
    """[(name, max relative error)] for each cell, full and truncated BPTT, in float64.

    The truncated gradient is checked against central differences of the truncated graph:
    the state entering the last k steps is computed once and then held constant, and the
    loss is the classifier's loss on the last k steps started from that state.
    """
    from nnlab.nn.gradcheck import check_model

    rng = np.random.default_rng(0)
    T, N, C, K, k = 9, 4, 3, 3, 4
    x = rng.standard_normal((N, T, C))
    y = rng.integers(0, K, N)
    checks = []
    for cell in CELLS:
        for truncation in (None, k):
            model = RecurrentClassifier(cell, C, 5, [4], K, truncation=truncation, forget_bias=0.5,
                                        weight_decay=0.05, seed=1, dtype=np.float64)
            model.params.flat += 0.3 * rng.standard_normal(len(model.params))   # non-trivial biases
            if truncation is None:
                error = check_model(model, x, y)
                checks.append((f"{cell} full BPTT", error))
            else:
                error = check_truncated(model, x, y)
                checks.append((f"{cell} truncated BPTT k={k} (detached graph)", error))
    return checks


def truncated_graph_loss(model, x, y, state):
    """Objective of the last k steps started from the constant state (h0[, c0])."""
    k = model.truncation
    w = model.params.w
    xt = np.ascontiguousarray(x[:, -k:].transpose(1, 0, 2))
    forward = CELLS[model.cell][0]
    h, _ = forward(xt, w["Wx"], w["Wh"], w["b"], *state)
    return softmax_cross_entropy(model.head(h[-1])[0], y)[0] + model.penalty()


def detached_state(model, x):
    """The state entering the last k steps, (h0,) or (h0, c0), computed from x's first T-k steps."""
    k, w = model.truncation, model.params.w
    T = x.shape[1]
    xt = np.ascontiguousarray(x[:, :T - k].transpose(1, 0, 2))
    forward = CELLS[model.cell][0]
    ws = Workspace()
    h, cache = forward(xt, w["Wx"], w["Wh"], w["b"], ws=ws)
    if model.cell == "lstm":
        return h[-1].copy(), cache[4][-1].copy()       # cache (x, Wh, A, h, c, tc, ws): c[T-k]
    return (h[-1].copy(),)


def check_truncated(model, x, y):
    """Max relative error between the truncated analytic gradient of the full-length model
    and the numeric gradient of the truncated graph (state before the last k steps constant)."""
    from nnlab.nn.gradcheck import numeric_gradient, relative_error

    model.step(x, y)
    analytic = model.params.grad.copy()
    state = detached_state(model, x)
    numeric = numeric_gradient(lambda: truncated_graph_loss(model, x, y, state), model.params.flat)
    return relative_error(analytic, numeric)
