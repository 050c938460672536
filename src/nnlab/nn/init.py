"""Weight initialisers; all draw from a given numpy Generator."""
import numpy as np


def xavier_uniform(rng, fan_in, fan_out, shape=None, dtype=np.float32):
    """Uniform in [-w0, w0], w0 = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio)."""
    w0 = np.sqrt(6.0 / (fan_in + fan_out))
    shape = (fan_in, fan_out) if shape is None else shape
    return rng.uniform(-w0, w0, size=shape).astype(dtype)


def gaussian(rng, shape, std=0.01, dtype=np.float32):
    """N(0, std^2)."""
    return (std * rng.standard_normal(shape)).astype(dtype)
