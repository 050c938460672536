"""Numeric gradients by central differences, for checking analytic ones in float64."""
import numpy as np


def numeric_gradient(f, x, h=1e-5):
    """Central-difference gradient of scalar f() with respect to array x (changed in place, restored)."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f()
        flat[i] = old - h
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(analytic, numeric):
    """max |a - n| / max(|a| + |n|, tiny) over all elements."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    denom = np.maximum(np.abs(a) + np.abs(n), 1e-8)
    return float(np.max(np.abs(a - n) / denom))


def check_params(loss_and_grad, params, h=1e-5):
    """Compare the analytic gradient of a model's loss with central differences.

    loss_and_grad() -> loss, evaluated at params.flat, filling params.grad.
    Returns the maximum relative error over every parameter.
    """
    assert params.dtype == np.float64, "gradient checks run in float64"
    loss_and_grad()
    analytic = params.grad.copy()
    numeric = numeric_gradient(loss_and_grad, params.flat, h)
    return relative_error(analytic, numeric)


def check_model(model, x, y=None, h=1e-5):
    """Max relative error of a model's analytic gradient of its objective, step(x, y)'s loss
    plus penalty(), against central differences (the model must be float64)."""
    return check_params(lambda: model.step(x, y)[0] + model.penalty(), model.params, h)
