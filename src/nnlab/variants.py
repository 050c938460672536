"""Every model variant the config defines, by readable name.

Each function maps a validated config to {variant name: hyperparameters}; the rules make one
cached job per name, and the app lists the same names. Every experiment trains with the
recipe its config section chooses (`recipe: course | tuned`, settings under `recipes`); the
hyperparameters of a variant are its recipe's settings (nested ones, like the recurrent
`finetune` stage, stay nested), its own settings and the recipe's name: everything a run needs
but its seed, which run_settings() adds. They flow one way, from here through the rule's params
to the experiment and into metrics.json.
"""
from nnlab.errors import ConfigError


def _num(x):
    """A short, stable text for a number in a variant name (0.0005 -> 0.0005, 2.0 -> 2)."""
    if isinstance(x, int) or float(x).is_integer() and abs(x) >= 1:
        return str(int(x))
    return f"{x:g}"


def recipe(config, task):
    """The training settings that config[task] chooses, with recipe=<its name>."""
    section = config[task]
    return dict(section["recipes"][section["recipe"]], recipe=section["recipe"])


def seeds(config):
    """The seeds every variant is trained with: replicate r uses seed + r."""
    return [config["seed"] + r for r in range(config.get("replicates", 1))]


def run_settings(hp, seed):
    """The complete settings of one run: its variant's hyper-parameters and its seed, keys
    sorted (at every depth): the rule's params, so the order of keys in a config file is never
    a reason to retrain."""
    return sorted_settings(dict(hp, seed=int(seed)))


def sorted_settings(value):
    """`value` with the keys of every mapping in it sorted."""
    return {k: sorted_settings(value[k]) for k in sorted(value)} if isinstance(value, dict) else value


def _add(out, name, hp, key):
    """out[name] = hp, refusing a name already taken (duplicate or colliding list entries)."""
    if name in out:
        raise ConfigError(f"config: key '{key}': expected distinct entries, found two that both make "
                          f"variant {name}")
    out[name] = hp


def autoencoder_sweep(config):
    """Part b: base model over beta x rho."""
    ae = config["autoencoder"]
    base = dict(recipe(config, "autoencoder"), holdout_fraction=ae["holdout_fraction"], hidden=ae["hidden"],
                **{"lambda": ae["lambda"]})
    out = {}
    for beta in ae["sweep"]["beta"]:
        for rho in ae["sweep"]["rho"]:
            _add(out, f"sweep-beta{_num(beta)}-rho{_num(rho)}", dict(base, beta=beta, rho=rho, part="sweep"),
                 "autoencoder.sweep")
    return out


def autoencoder_grid(config):
    """Part d: L_hid x lambda with beta, rho fixed (None where 'auto': taken from the sweep)."""
    ae = config["autoencoder"]
    base = dict(recipe(config, "autoencoder"), holdout_fraction=ae["holdout_fraction"])
    fixed = {k: (None if ae["grid"][k] == "auto" else ae["grid"][k]) for k in ("beta", "rho")}
    out = {}
    for hidden in ae["grid"]["hidden"]:
        for lam in ae["grid"]["lambda"]:
            _add(out, f"grid-h{hidden}-lambda{_num(lam)}",
                 dict(base, hidden=hidden, **{"lambda": lam}, **fixed, part="grid"), "autoencoder.grid")
    return out


def autoencoder_variants(config):
    """Both parts; a variant's `part` ('sweep' or 'grid') says which."""
    return {**autoencoder_sweep(config), **autoencoder_grid(config)}


def recurrent_variants(config):
    """Experiment 3: cells x truncation, named <cell>-full or <cell>-tbptt<k>. The recipe's
    learning_rate is one number or one per cell ({rnn: ..., lstm: ..., gru: ...}), resolved here
    to the cell's; its fine-tuning stage stays nested under `finetune`."""
    rc = config["recurrent"]
    base = recipe(config, "recurrent")
    rates = base.pop("learning_rate")
    base.update(hidden=rc["hidden"], mlp=rc["mlp"])
    out = {}
    for cell in rc["cells"]:
        for k in rc["truncation"]:
            name = f"{cell}-full" if k is None else f"{cell}-tbptt{k}"
            lr = rates[cell] if isinstance(rates, dict) else rates
            _add(out, name, dict(base, learning_rate=lr, cell=cell, truncation=k),
                 "recurrent.truncation")
    return out


def language_model_variants(config):
    """Experiment 2: one variant per (D, P[, order_aware]) entry. Names: d<D>-p<P>, with
    '-ordered' when the three embeddings are concatenated."""
    lm = config["language_model"]
    base = recipe(config, "language_model")
    out = {}
    for v in lm["variants"]:
        name = f"d{v['embedding_dim']}-p{v['hidden']}" + ("-ordered" if v["order_aware"] else "")
        _add(out, name, dict(base, embedding_dim=v["embedding_dim"], hidden=v["hidden"], order_aware=v["order_aware"],
                             prediction_samples=lm["prediction_samples"]),
             "language_model.variants")
    return out


def language_model_map_variant(config):
    """The largest (most parameters) variant without word order: the one whose embeddings are mapped."""
    variants = {k: v for k, v in language_model_variants(config).items() if not v["order_aware"]}
    if not variants:
        return None
    return max(variants, key=lambda k: (variants[k]["embedding_dim"] * variants[k]["hidden"],
                                        variants[k]["embedding_dim"], k))
