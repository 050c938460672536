"""Every model variant the config defines, by readable name.

Each function maps a validated config to {variant name: hyperparameters}; the rules
make one cached job per name, and the app lists the same names.
"""


def _num(x):
    """A short, stable text for a number in a variant name (0.0005 -> 5e-04, 0.05 -> 0.05)."""
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1:
        return str(int(x))
    text = f"{x:g}"
    return text


def autoencoder_sweep(config):
    """Part b: base model over beta x rho."""
    ae = config["autoencoder"]
    base = {k: ae[k] for k in ("optimizer", "learning_rate", "batch_size", "epochs", "holdout_fraction")}
    out = {}
    for beta in ae["sweep"]["beta"]:
        for rho in ae["sweep"]["rho"]:
            name = f"sweep-beta{_num(beta)}-rho{_num(rho)}"
            out[name] = dict(base, hidden=ae["hidden"], **{"lambda": ae["lambda"]}, beta=beta, rho=rho,
                             seed=config["seed"], part="sweep")
    return out


def autoencoder_grid(config):
    """Part d: L_hid x lambda with beta, rho fixed (None where 'auto': taken from the sweep)."""
    ae = config["autoencoder"]
    base = {k: ae[k] for k in ("optimizer", "learning_rate", "batch_size", "epochs", "holdout_fraction")}
    fixed = {k: (None if ae["grid"][k] == "auto" else ae["grid"][k]) for k in ("beta", "rho")}
    out = {}
    for hidden in ae["grid"]["hidden"]:
        for lam in ae["grid"]["lambda"]:
            name = f"grid-h{hidden}-lambda{_num(lam)}"
            out[name] = dict(base, hidden=hidden, **{"lambda": lam}, **fixed, seed=config["seed"], part="grid")
    return out


def autoencoder_variants(config):
    return {**autoencoder_sweep(config), **autoencoder_grid(config)}
