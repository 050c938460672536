"""Optimisers that update a model's flat parameter buffer in place."""
import numpy as np


class SGD:
    """Gradient descent with momentum exactly as the course defines it:

        dW(n) = -lr * dJ/dW + momentum * dW(n-1);   W <- W + dW(n)
    """

    def __init__(self, lr, momentum=0.0):
        self.lr, self.momentum = float(lr), float(momentum)
        self.velocity = None

    def step(self, params):
        if self.velocity is None:
            self.velocity = np.zeros_like(params.flat)
        v = self.velocity
        v *= self.momentum
        v -= self.lr * params.grad
        params.flat += v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)
        self.m = self.v = None
        self.t = 0

    def step(self, params):
        g = params.grad
        if self.m is None:
            self.m, self.v = np.zeros_like(g), np.zeros_like(g)
            self.tmp = np.empty_like(g)
        self.t += 1
        m, v, tmp = self.m, self.v, self.tmp
        m *= self.beta1
        m += (1 - self.beta1) * g
        np.multiply(g, g, out=tmp)
        v *= self.beta2
        tmp *= 1 - self.beta2
        v += tmp
        step = self.lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        np.sqrt(v, out=tmp)
        tmp += self.eps * np.sqrt(1 - self.beta2**self.t)
        np.divide(m, tmp, out=tmp)
        tmp *= step
        params.flat -= tmp


def make_optimizer(name, lr, momentum=0.0, **kwargs):
    """Build an optimiser from config: name 'sgd' or 'adam'."""
    if name == "sgd":
        return SGD(lr, momentum)
    if name == "adam":
        return Adam(lr, **kwargs)
    raise ValueError(f"optimizer: expected 'sgd' or 'adam', found {name!r}")
