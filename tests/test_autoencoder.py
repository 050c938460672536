"""Experiment 1: the cost on a hand case, the KL term, and gradients."""
import numpy as np
import pytest

from nnlab.models import autoencoder as ae
from nnlab.nn.gradcheck import numeric_gradient, relative_error


def test_cost_on_a_hand_computed_case():
    # Lin = 1, Lhid = 1, zero weights: h = o = sigmoid(0) = 0.5 for every sample.
    data = np.array([[0.1], [0.9]])
    We = np.zeros(4)
    params = {"Lin": 1, "Lhid": 1, "lambda": 0.2, "beta": 2.0, "rho": 0.1}
    J, grad = ae.aeCost(We, data, params)
    reconstruction = (0.4**2 + 0.4**2) / (2 * 2)
    sparsity = 2.0 * (0.1 * np.log(0.1 / 0.5) + 0.9 * np.log(0.9 / 0.5))
    assert J == pytest.approx(reconstruction + sparsity, rel=1e-12)
    We[0] = 1.0  # W1 = 1 now adds lambda/2 * 1 and changes h
    J2, _ = ae.aeCost(We, data, params)
    h = 1 / (1 + np.exp(-data[:, 0]))
    rho_hat = h.mean()
    expected = (np.sum((data[:, 0] - 0.5) ** 2) / 4 + 0.1
                + 2.0 * (0.1 * np.log(0.1 / rho_hat) + 0.9 * np.log(0.9 / (1 - rho_hat))))
    assert J2 == pytest.approx(expected, rel=1e-12)


def test_kl_term_is_zero_at_rho_and_its_gradient_matches():
    assert ae.kl_divergence(0.05, np.array([0.05]))[0] == pytest.approx(0)
    rho_hat = np.array([0.01, 0.3, 0.8])
    numeric = numeric_gradient(lambda: ae.kl_divergence(0.1, rho_hat).sum(), rho_hat)
    assert relative_error(ae.kl_divergence_grad(0.1, rho_hat), numeric) < 1e-6


def test_aecost_gradient_matches_central_differences():
    rng = np.random.default_rng(3)
    data = rng.uniform(0.1, 0.9, (7, 12))
    params = {"Lin": 12, "Lhid": 5, "lambda": 1e-3, "beta": 0.7, "rho": 0.05}
    We = ae.ae_init(12, 5, rng, np.float64).flat.copy()
    _, grad = ae.aeCost(We, data, params)
    numeric = numeric_gradient(lambda: ae.aeCost(We, data, params)[0], We)
    assert relative_error(grad, numeric) < 1e-6


def test_gradcheck_entries_pass():
    assert all(err < 1e-6 for _, err in ae.gradcheck())


def test_init_is_uniform_within_w0():
    params = ae.ae_init(256, 64, np.random.default_rng(0))
    w0 = np.sqrt(6 / (256 + 64))
    assert np.abs(params.flat).max() <= w0 and np.abs(params.flat).max() > 0.9 * w0


def test_training_lowers_the_cost_in_float32():
    from nnlab.nn.optim import Adam
    from nnlab.train import fit

    x = np.random.default_rng(0).uniform(0.1, 0.9, (200, 16)).astype(np.float32)
    model = ae.SparseAutoencoder(16, 4, lam=1e-4, beta=0.1, rho=0.1)
    before = model.evaluate(x)[0]
    fit(model, Adam(0.01), (x, None), epochs=5, batch_size=32, log=lambda s: None)
    assert model.params.flat.dtype == np.float32 and model.evaluate(x)[0] < before


def test_selection_takes_the_sparsest_reached_rho_then_lowest_error(tmp_path):
    import json

    from nnlab.experiments.autoencoder import select_sparsity

    runs = [  # (beta, rho, mean activation, held-out mse)
        (0.1, 0.01, 0.03, 0.006),    # misses rho by 200%
        (0.5, 0.05, 0.055, 0.0052),  # qualifies
        (2.0, 0.05, 0.051, 0.0059),  # qualifies, worse error
        (0.1, 0.1, 0.11, 0.0041),    # qualifies, lowest error but less sparse
    ]
    paths = []
    for i, (beta, rho, act, mse) in enumerate(runs):     # run folders as the workflow writes them
        p = tmp_path / "autoencoder" / f"v{i}" / "seed0" / "metrics.json"
        p.parent.mkdir(parents=True)
        p.write_text(json.dumps({"task": "autoencoder", "variant": f"v{i}",
                                 "hyperparameters": {"beta": beta, "rho": rho, "seed": 0},
                                 "reconstruction_mse": mse, "mean_activation": act,
                                 "activation_relative_error": abs(act - rho) / rho, "loss": 0.5,
                                 "reconstruction": 0.4, "sparsity": 0.1, "weight_decay": 0.01, "best_epoch": 3,
                                 "epochs_run": 3, "seconds_per_epoch": 0.1}))
        paths.append(p)
    chosen = select_sparsity(paths, 0.2, tmp_path / "selection.json")
    assert (chosen["beta"], chosen["rho"]) == (0.5, 0.05)
    saved = json.loads((tmp_path / "selection.json").read_text())
    assert [c["qualified"] for c in saved["candidates"]] == [False, True, True, True]
    assert select_sparsity(paths[:1], 0.2, tmp_path / "s2.json")["variant"] == "v0"  # none qualifies
