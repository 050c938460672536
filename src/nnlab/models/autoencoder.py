"""Sparse autoencoder (experiment 1).

x (N, Lin) -> h = sigmoid(x W1 + b1) (N, Lhid) -> o = sigmoid(h W2 + b2) (N, Lin)

    J = 1/(2N) sum_i ||x_i - o_i||^2 + lambda/2 (||W1||^2 + ||W2||^2)
        + beta sum_b KL(rho || rho_hat_b),   rho_hat_b = mean_i h_ib

All weights and biases start uniform in [-w0, w0], w0 = sqrt(6 / (Lin + Lhid)).
"""
import numpy as np

from nnlab.errors import DataError
from nnlab.nn.layers import l2_penalty, sigmoid, sigmoid_grad
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


def ae_terms(w, x, beta, rho, h=None, o=None):
    """The reconstruction and sparsity terms of J and the cached activations, as a dict
    (the weight-decay term is the model's penalty(), nnlab.nn.layers.l2_penalty)."""
    if h is None:
        h, o = ae_forward(w, x)
    n = x.shape[0]
    diff = o - x
    rho_hat = np.clip(h.mean(axis=0), 1e-12, 1 - 1e-12)
    return {
        "reconstruction": float(np.vdot(diff, diff)) / (2 * n),
        "sparsity": beta * float(kl_divergence(rho, rho_hat).sum()),
        "h": h, "o": o, "diff": diff, "rho_hat": rho_hat,
    }


def ae_backward(w, g, x, lam, beta, rho, t):
    """Write dJ/dW1, db1, dW2, db2 into the gradient views g, given terms t from ae_terms."""
    n = x.shape[0]
    h, o = t["h"], t["o"]
    dz2 = t["diff"] * sigmoid_grad(o) / n                     # (N, Lin)
    np.matmul(h.T, dz2, out=g["W2"])
    g["W2"] += lam * w["W2"]
    dz2.sum(axis=0, out=g["b2"])
    dh = dz2 @ w["W2"].T                                      # (N, Lhid)
    dh += (beta / n) * kl_divergence_grad(rho, t["rho_hat"])
    dz1 = dh * sigmoid_grad(h)
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
    t = ae_terms(p.w, data, params["beta"], params["rho"])
    ae_backward(p.w, p.g, data, params["lambda"], params["beta"], params["rho"], t)
    J = t["reconstruction"] + t["sparsity"] + l2_penalty(params["lambda"], [p.w["W1"], p.w["W2"]])
    return J, p.grad.copy()


class SparseAutoencoder:
    """The autoencoder as a model for nnlab.train.fit (targets are the inputs). Its loss is
    J without the weight-decay term, which is penalty()."""

    def __init__(self, Lin, Lhid, lam, beta, rho, seed=0, dtype=np.float32):
        self.Lin, self.Lhid, self.lam, self.beta, self.rho = Lin, Lhid, lam, beta, rho
        self.params = ae_init(Lin, Lhid, np.random.default_rng(seed), dtype)

    def terms(self, x):
        """J's terms on x (reconstruction, sparsity, the weight-decay penalty) and the hidden
        activations h (N, Lhid) they came from."""
        t = ae_terms(self.params.w, x, self.beta, self.rho)
        return {"reconstruction": t["reconstruction"], "sparsity": t["sparsity"], "penalty": self.penalty()}, t["h"]

    def step(self, x, _y=None):
        """Gradient of J into params.grad; returns (reconstruction + sparsity, None)."""
        t = ae_terms(self.params.w, x, self.beta, self.rho)
        ae_backward(self.params.w, self.params.g, x, self.lam, self.beta, self.rho, t)
        return t["reconstruction"] + t["sparsity"], None

    def penalty(self):
        """lambda / 2 (||W1||^2 + ||W2||^2)."""
        return l2_penalty(self.lam, [self.params.w["W1"], self.params.w["W2"]])

    def evaluate(self, x, _y=None):
        t = ae_terms(self.params.w, x, self.beta, self.rho)
        return t["reconstruction"] + t["sparsity"], None

    def reconstruct(self, x):
        return ae_forward(self.params.w, x)[1]

    def hidden(self, x):
        return ae_forward(self.params.w, x)[0]

    # ------------------------------------------------------------------ saving and loading

    def save_arrays(self):
        """Everything needed to rebuild the model, for np.savez (loads with allow_pickle=False)."""
        return {"model": np.array("autoencoder"), "lambda": np.array(self.lam), "beta": np.array(self.beta),
                "rho": np.array(self.rho), **self.params.arrays()}

    @classmethod
    def from_arrays(cls, arrays, source="params"):
        for key in ("W1", "lambda", "beta", "rho"):
            if key not in arrays:
                raise DataError(f"{source}: key '{key}': expected an array, found none")
        Lin, Lhid = arrays["W1"].shape
        model = cls(int(Lin), int(Lhid), float(arrays["lambda"]), float(arrays["beta"]), float(arrays["rho"]))
        model.params.load(arrays, source)
        return model


def gradcheck():
    """[(name, max relative error)] of the analytic gradient against central differences, float64."""
    from nnlab.nn.gradcheck import check_model, numeric_gradient, relative_error

    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (11, 20))
    model = SparseAutoencoder(20, 7, lam=1e-3, beta=0.5, rho=0.1, seed=1, dtype=np.float64)
    checks = [("autoencoder", check_model(model, x))]
    rho_hat = rng.uniform(0.05, 0.9, 7)
    numeric = numeric_gradient(lambda: kl_divergence(0.1, rho_hat).sum(), rho_hat)
    checks.append(("autoencoder KL term", relative_error(kl_divergence_grad(0.1, rho_hat), numeric)))
    return checks
