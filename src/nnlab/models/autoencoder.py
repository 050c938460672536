"""Sparse autoencoder (experiment 1).

x (N, Lin) -> h = sigmoid(x W1 + b1) (N, Lhid) -> o = sigmoid(h W2 + b2) (N, Lin)

    J = 1/(2N) sum_i ||x_i - o_i||^2 + lambda/2 (||W1||^2 + ||W2||^2)
        + beta sum_b KL(rho || rho_hat_b),   rho_hat_b = mean_i h_ib

All weights and biases start uniform in [-w0, w0], w0 = sqrt(6 / (Lin + Lhid)).
"""
import numpy as np

from nnlab.nn.layers import sigmoid
from nnlab.nn.params import Params


def ae_shapes(Lin, Lhid):
    return {"W1": (Lin, Lhid), "b1": (Lhid,), "W2": (Lhid, Lin), "b2": (Lin,)}


def ae_init(Lin, Lhid, rng, dtype=np.float32):
    """A Params with W1, b1, W2, b2 uniform in [-w0, w0]."""
    params = Params(ae_shapes(Lin, Lhid), dtype)
    w0 = np.sqrt(6.0 / (Lin + Lhid))
    params.flat[:] = rng.uniform(-w0, w0, size=params.flat.size)
    return params


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) per hidden unit, for Bernoulli means rho (scalar) and rho_hat (Lhid,)."""
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def kl_divergence_grad(rho, rho_hat):
    """d KL(rho || rho_hat) / d rho_hat."""
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def ae_forward(w, x):
    """w: dict of W1, b1, W2, b2; x (N, Lin) -> h (N, Lhid), o (N, Lin)."""
    h = sigmoid(x @ w["W1"] + w["b1"])
    o = sigmoid(h @ w["W2"] + w["b2"])
    return h, o


def ae_terms(w, x, lam, beta, rho, h=None, o=None):
    """The three terms of J and the cached activations, as a dict."""
    if h is None:
        h, o = ae_forward(w, x)
    n = x.shape[0]
    diff = o - x
    rho_hat = np.clip(h.mean(axis=0), 1e-12, 1 - 1e-12)
    return {
        "reconstruction": float(np.vdot(diff, diff)) / (2 * n),
        "weight_decay": lam / 2 * (float(np.vdot(w["W1"], w["W1"])) + float(np.vdot(w["W2"], w["W2"]))),
        "sparsity": beta * float(kl_divergence(rho, rho_hat).sum()),
        "h": h, "o": o, "diff": diff, "rho_hat": rho_hat,
    }


def ae_backward(w, g, x, lam, beta, rho, t):
    """Write dJ/dW1, db1, dW2, db2 into the gradient views g, given terms t from ae_terms."""
    n = x.shape[0]
    h, o = t["h"], t["o"]
    dz2 = t["diff"] * o * (1 - o) / n                         # (N, Lin)
    np.matmul(h.T, dz2, out=g["W2"])
    g["W2"] += lam * w["W2"]
    dz2.sum(axis=0, out=g["b2"])
    dh = dz2 @ w["W2"].T                                      # (N, Lhid)
    dh += (beta / n) * kl_divergence_grad(rho, t["rho_hat"])
    dz1 = dh * h * (1 - h)
    np.matmul(x.T, dz1, out=g["W1"])
    g["W1"] += lam * w["W1"]
    dz1.sum(axis=0, out=g["b1"])


def aeCost(We, data, params):
    """The course's interface: J and its gradient at the flat weight vector We.

    We (Lin*Lhid + Lhid + Lhid*Lin + Lin,) in the order W1, b1, W2, b2;
    data (N, Lin); params: dict with Lin, Lhid, lambda, beta, rho.
    Returns (J, Jgrad) with Jgrad shaped like We.
    """
    p = Params(ae_shapes(params["Lin"], params["Lhid"]), We.dtype)
    p.flat[:] = We
    t = ae_terms(p.w, data, params["lambda"], params["beta"], params["rho"])
    ae_backward(p.w, p.g, data, params["lambda"], params["beta"], params["rho"], t)
    return t["reconstruction"] + t["weight_decay"] + t["sparsity"], p.grad.copy()


class SparseAutoencoder:
    """The autoencoder as a model for nnlab.train.fit (targets are the inputs)."""

    def __init__(self, Lin, Lhid, lam, beta, rho, seed=0, dtype=np.float32):
        self.Lin, self.Lhid, self.lam, self.beta, self.rho = Lin, Lhid, lam, beta, rho
        self.params = ae_init(Lin, Lhid, np.random.default_rng(seed), dtype)

    def loss_terms(self, x):
        t = ae_terms(self.params.w, x, self.lam, self.beta, self.rho)
        return {k: t[k] for k in ("reconstruction", "weight_decay", "sparsity")}, t

    def step(self, x, _y=None):
        t = ae_terms(self.params.w, x, self.lam, self.beta, self.rho)
        ae_backward(self.params.w, self.params.g, x, self.lam, self.beta, self.rho, t)
        return t["reconstruction"] + t["weight_decay"] + t["sparsity"], None

    def evaluate(self, x, _y=None):
        terms, _ = self.loss_terms(x)
        return sum(terms.values()), None

    def reconstruct(self, x):
        return ae_forward(self.params.w, x)[1]

    def hidden(self, x):
        return ae_forward(self.params.w, x)[0]


def gradcheck():
    """[(name, max relative error)] of the analytic gradient against central differences, float64."""
    from nnlab.nn.gradcheck import check_params, numeric_gradient, relative_error

    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (11, 20))
    model = SparseAutoencoder(20, 7, lam=1e-3, beta=0.5, rho=0.1, seed=1, dtype=np.float64)
    checks = [("autoencoder", check_params(lambda: model.step(x)[0], model.params))]
    rho_hat = rng.uniform(0.05, 0.9, 7)
    numeric = numeric_gradient(lambda: kl_divergence(0.1, rho_hat).sum(), rho_hat)
    checks.append(("autoencoder KL term", relative_error(kl_divergence_grad(0.1, rho_hat), numeric)))
    return checks
