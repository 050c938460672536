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
from nnlab.nn.layers import affine_backward, affine_forward, softmax, softmax_cross_entropy
from nnlab.nn.params import Params
from nnlab.nn.recurrent import CELLS, Workspace

EVAL_CHUNK = 256  # samples per forward pass when evaluating (bounds the workspace memory)


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
                 weight_decay=0.0, seed=0, dtype=np.float32):
        if cell not in CELLS:
            raise ValueError(f"cell: expected one of {', '.join(CELLS)}, found {cell!r}")
        self.cell, self.hidden, self.truncation, self.weight_decay = cell, hidden, truncation, weight_decay
        self.layers = len(mlp) + 1
        self.decayed = ["Wx", "Wh"] + [f"W{layer}" for layer in range(1, self.layers + 1)]
        self.params = Params(classifier_shapes(cell, n_in, hidden, mlp, n_classes), dtype)
        self.ws = Workspace()
        self.grad_norms = []
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

    def forward(self, x):
        """x (N, T, C) -> logits (N, K), cache."""
        w = self.params.w
        xt = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=self.params.dtype)   # (T, N, C)
        h, rcache = CELLS[self.cell][0](xt, w["Wx"], w["Wh"], w["b"], ws=self.ws)
        out, caches = h[-1], []
        for layer in range(1, self.layers + 1):
            out, cache = affine_forward(out, w[f"W{layer}"], w[f"b{layer}"])
            caches.append(cache)
            if layer < self.layers:
                out = np.tanh(out)
                caches.append(out)
        return out, (rcache, caches)

    def backward(self, dlogits, cache):
        """Fill params.grad from dlogits (N, K)."""
        rcache, caches = cache
        g = self.params.g
        dout = dlogits
        for layer in range(self.layers, 0, -1):
            if layer < self.layers:
                t = caches.pop()
                dout = dout * (1 - t * t)
            dout, g[f"W{layer}"][...], g[f"b{layer}"][...] = affine_backward(dout, caches.pop())
        g["Wx"][...], g["Wh"][...], g["b"][...] = CELLS[self.cell][1](dout, rcache, self.truncation)
        if self.weight_decay:
            for name in self.decayed:
                g[name] += self.weight_decay * self.params.w[name]

    def decay_term(self):
        """weight_decay / 2 * sum of the squared weight-matrix entries."""
        if not self.weight_decay:
            return 0.0
        return 0.5 * self.weight_decay * sum(float(np.vdot(self.params.w[n], self.params.w[n])) for n in self.decayed)

    def loss(self, x, y):
        """Mean cross-entropy (without the decay term) and what backward needs."""
        logits, cache = self.forward(x)
        loss, dlogits, probs = softmax_cross_entropy(logits, y)
        return loss, dlogits, probs, cache

    # ------------------------------------------------------------------ the fit() interface

    def step(self, x, y):
        """Gradient of the objective into params.grad; returns (cross-entropy, number correct)."""
        loss, dlogits, probs, cache = self.loss(x, y)
        self.backward(dlogits, cache)
        self.grad_norms.append(float(np.linalg.norm(self.params.g["Wh"])))
        return loss, int(np.count_nonzero(probs.argmax(axis=1) == y))

    def predict_proba(self, x):
        """x (N, T, C) -> class probabilities (N, K), in chunks of EVAL_CHUNK samples."""
        return np.concatenate([softmax(self.forward(x[i:i + EVAL_CHUNK])[0])
                               for i in range(0, len(x), EVAL_CHUNK)])

    def evaluate(self, x, y):
        probs = self.predict_proba(x)
        picked = probs[np.arange(len(y)), y]
        loss = -np.log(np.maximum(picked, np.finfo(probs.dtype).tiny)).mean()
        return float(loss), float(np.mean(probs.argmax(axis=1) == y))

    def epoch_extras(self):
        """grad_norm: the mean over the epoch's batches of ||dL/dWh||, before any clipping."""
        norms, self.grad_norms = self.grad_norms, []
        return {"grad_norm": float(np.mean(norms)) if norms else None}


def gradcheck():
    """[(name, max relative error)] for each cell, full and truncated BPTT, in float64.

    The truncated gradient is checked against central differences of the truncated graph:
    the state entering the last k steps is computed once and then held constant, and the
    loss is the classifier's loss on the last k steps started from that state.
    """
    from nnlab.nn.gradcheck import check_params

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
                error = check_params(lambda: _loss_and_grad(model, x, y), model.params)
                checks.append((f"{cell} full BPTT", error))
            else:
                error = check_truncated(model, x, y)
                checks.append((f"{cell} truncated BPTT k={k} (detached graph)", error))
    return checks


def _loss_and_grad(model, x, y):
    """The objective (cross-entropy + decay term); fills params.grad."""
    loss, dlogits, _, cache = model.loss(x, y)
    model.backward(dlogits, cache)
    return loss + model.decay_term()


def truncated_graph_loss(model, x, y, state):
    """Objective of the last k steps started from the constant state (h0[, c0])."""
    k = model.truncation
    w = model.params.w
    xt = np.ascontiguousarray(x[:, -k:].transpose(1, 0, 2))
    forward = CELLS[model.cell][0]
    h, _ = forward(xt, w["Wx"], w["Wh"], w["b"], *state)
    out = h[-1]
    for layer in range(1, model.layers + 1):
        out = out @ w[f"W{layer}"] + w[f"b{layer}"]
        if layer < model.layers:
            out = np.tanh(out)
    return softmax_cross_entropy(out, y)[0] + model.decay_term()


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

    _loss_and_grad(model, x, y)
    analytic = model.params.grad.copy()
    state = detached_state(model, x)
    numeric = numeric_gradient(lambda: truncated_graph_loss(model, x, y, state), model.params.flat)
    return relative_error(analytic, numeric)
