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


def recurrent_variants(config):
    """Experiment 3: cells x truncation, named <cell>-full or <cell>-tbptt<k>. learning_rate is
    one number or one per cell ({rnn: ..., lstm: ..., gru: ...})."""
    rc = config["recurrent"]
    ft = rc["finetune"]
    base = {k: rc[k] for k in ("hidden", "mlp", "forget_bias", "weight_decay", "optimizer", "learning_rate",
                               "momentum", "batch_size", "epochs", "patience", "clip_norm", "lr_schedule")}
    base.update({f"finetune_{k}": ft[k] for k in ("epochs", "optimizer", "learning_rate", "momentum")})
    out = {}
    for cell in rc["cells"]:
        for k in rc["truncation"]:
            name = f"{cell}-full" if k is None else f"{cell}-tbptt{k}"
            lr = rc["learning_rate"][cell] if isinstance(rc["learning_rate"], dict) else rc["learning_rate"]
            out[name] = dict(base, learning_rate=lr, cell=cell, truncation=k, seed=config["seed"])
    return out


def language_model_variants(config):
    """Experiment 2: one variant per (D, P[, order_aware]) entry, trained with the chosen recipe.

    Names: d<D>-p<P>, with '-ordered' when the three embeddings are concatenated.
    """
    lm = config["language_model"]
    recipe = dict(lm["recipes"][lm["recipe"]], recipe=lm["recipe"])
    out = {}
    for v in lm["variants"]:
        name = f"d{v['embedding_dim']}-p{v['hidden']}" + ("-ordered" if v["order_aware"] else "")
        if name in out:
            from nnlab.errors import ConfigError

            raise ConfigError(f"config: key 'language_model.variants': expected distinct variants, "
                              f"found {name} twice")
        out[name] = dict(embedding_dim=v["embedding_dim"], hidden=v["hidden"], order_aware=v["order_aware"],
                         **recipe, prediction_samples=lm["prediction_samples"], seed=config["seed"])
    return out


def language_model_map_variant(config):
    """The largest (most parameters) variant without word order: the one whose embeddings are mapped."""
    variants = {k: v for k, v in language_model_variants(config).items() if not v["order_aware"]}
    if not variants:
        return None
    return max(variants, key=lambda k: (variants[k]["embedding_dim"] * variants[k]["hidden"],
                                        variants[k]["embedding_dim"], k))
