"""Sparse autoencoder (experiment 1).

x (N, Lin) -> h = sigmoid(x W1 + b1) (N, Lhid) -> o = sigmoid(h W2 + b2) (N, Lin)

    J = 1/(2N) sum_i ||x_i - o_i||^2 + lambda/2 (||W1||^2 + ||W2||^2)
        + beta sum_b KL(rho || rho_hat_b),   rho_hat_b = mean_i h_ib

All weights and biases start uniform in [-w0, w0], w0 = sqrt(6 / (Lin + Lhid)).
"""
import numpy as np

from nnlab.errors import DataError
from nnlab.nn.init import xavier_uniform
from nnlab.nn.layers import L2Penalty, affine_backward, affine_forward, sigmoid, sigmoid_grad
from nnlab.nn.params import Params
from nnlab.nn.workspace import Workspace, in_chunks

EVAL_CHUNK = 4096  # patches per forward pass when evaluating (bounds the workspace memory)


def ae_shapes(Lin, Lhid):
    return {"W1": (Lin, Lhid), "b1": (Lhid,), "W2": (Lhid, Lin), "b2": (Lin,)}


def ae_init(Lin, Lhid, rng, dtype=np.float32):
    """A Params with W1, b1, W2, b2 uniform in [-w0, w0]."""
    params = Params(ae_shapes(Lin, Lhid), dtype)
    params.flat[:] = xavier_uniform(rng, Lin, Lhid, shape=params.flat.shape, dtype=dtype)
    return params


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) per hidden unit, for Bernoulli means rho (scalar) and rho_hat (Lhid,)."""
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def kl_divergence_grad(rho, rho_hat):
    """d KL(rho || rho_hat) / d rho_hat."""
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def aeCost(We, data, params):
    """The course's interface: J and its gradient at the flat weight vector We.

    We (Lin*Lhid + Lhid + Lhid*Lin + Lin,) in the order W1, b1, W2, b2;
    data (N, Lin); params: dict with Lin, Lhid, lambda, beta, rho.
    Returns (J, Jgrad) with Jgrad shaped like We.
    """
    model = SparseAutoencoder(params["Lin"], params["Lhid"], params["lambda"], params["beta"], params["rho"],
                              dtype=We.dtype)
    model.params.flat[:] = We
    J = model.step(data)[0] + model.penalty()
    return J, model.params.grad.copy()


class SparseAutoencoder:
    """The autoencoder as a model for nnlab.train.fit (targets are the inputs). Its loss is
    J without the weight-decay term, which is penalty()."""

    def __init__(self, Lin, Lhid, lam, beta, rho, seed=0, dtype=np.float32):
        self.Lin, self.Lhid, self.lam, self.beta, self.rho = Lin, Lhid, lam, beta, rho
        self.params = ae_init(Lin, Lhid, np.random.default_rng(seed), dtype)
        self.l2 = L2Penalty(lam, self.params, ("W1", "W2"))
        self.ws = Workspace()

    def forward(self, x):
        """x (N, Lin) -> h (N, Lhid), o (N, Lin), cache: views into the workspace, overwritten
        by the next call. The one forward pass of training and evaluation."""
        n, w, dtype = len(x), self.params.w, self.params.dtype
        z1, cache1 = affine_forward(x, w["W1"], w["b1"], out=self.ws.get("h", (n, self.Lhid), dtype))
        h = sigmoid(z1, out=z1)
        z2, cache2 = affine_forward(h, w["W2"], w["b2"], out=self.ws.get("o", (n, self.Lin), dtype))
        return h, sigmoid(z2, out=z2), (cache1, cache2)

    def sparsity(self, h):
        """The sparsity term beta sum_b KL(rho || rho_hat_b) of hidden activations h (N, Lhid),
        and rho_hat (Lhid,), their mean over the samples (clipped into (0, 1))."""
        rho_hat = np.clip(h.mean(axis=0), 1e-12, 1 - 1e-12)
        return self.beta * float(kl_divergence(self.rho, rho_hat).sum()), rho_hat

    def step(self, x, _y=None):
        """Gradient of J into params.grad; returns (reconstruction + sparsity, None)."""
        n, g, ws = len(x), self.params.g, self.ws
        h, o, (cache1, cache2) = self.forward(x)
        sparsity, rho_hat = self.sparsity(h)
        dz2 = np.subtract(o, x, out=ws.get("dz2", o.shape, o.dtype))
        reconstruction = float(np.vdot(dz2, dz2)) / (2 * n)
        dz2 *= sigmoid_grad(o, out=ws.get("do", o.shape, o.dtype))
        dz2 /= n                                                              # dJ/dz2 (N, Lin)
        dh, _, _ = affine_backward(dz2, cache2, g["W2"], g["b2"], ws.get("dh", h.shape, h.dtype))
        dh += (self.beta / n) * kl_divergence_grad(self.rho, rho_hat)
        dh *= sigmoid_grad(h, out=ws.get("dsig", h.shape, h.dtype))           # dJ/dz1 (N, Lhid)
        affine_backward(dh, cache1, g["W1"], g["b1"], need_dx=False)
        self.l2.add_gradient()
        return reconstruction + sparsity, None

    def penalty(self):
        """lambda / 2 (||W1||^2 + ||W2||^2)."""
        return self.l2.value()

    def sample_scores(self, x, _y=None):
        """Per sample: squared reconstruction error ||x_i - o_i||^2 (N,) float64 and hidden
        activations h (N, Lhid), EVAL_CHUNK samples per forward pass."""
        def scores(xb):
            h, o, _ = self.forward(xb)
            diff = np.subtract(o, xb, out=o)
            return np.square(diff, out=diff).sum(axis=1, dtype=np.float64), h
        return in_chunks(scores, (x,), EVAL_CHUNK)

    def terms(self, x):
        """J's terms on x (reconstruction, sparsity, the weight-decay penalty) and the hidden
        activations h (N, Lhid) they came from."""
        squared, h = self.sample_scores(x)
        return {"reconstruction": float(squared.mean()) / 2, "sparsity": self.sparsity(h)[0],
                "penalty": self.penalty()}, h

    def evaluate(self, x, _y=None):
        """(reconstruction + sparsity terms of J on x, None); no gradients."""
        terms, _ = self.terms(x)
        return terms["reconstruction"] + terms["sparsity"], None

    def reconstruct(self, x):
        """x (N, Lin) -> o (N, Lin), a new array."""
        return in_chunks(lambda xb: self.forward(xb)[1], (x,), EVAL_CHUNK)

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
