"""One colour per variant, decided once: every app chart and every workflow figure asks here.

A task's variants take colours in registry order (the order nnlab.variants lists them for the
config), then any other name (an experiment's variants) in sorted order, so a variant keeps its
colour from chart to chart, page to page, and between the app and results/. PALETTE holds 20
distinguishable hues (Tableau 10, then the dark ends of Tableau 20b/20c), enough for the
autoencoder's beta x rho sweep and its hidden x lambda grid together.
"""
from nnlab import tasks

PALETTE = (
    # Tableau 10
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    # a second family: darker and distinct from the first
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
    "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
)


def assign(names):
    """{name: colour} for names in the order given; names past len(PALETTE) reuse it from the start."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


# Tasks whose variants come in families drawn apart: each family starts its own block of 10 colours,
# so the autoencoder's sweep is in Tableau 10 and its grid in the darker second family.
FAMILIES = {"autoencoder": ("sweep-", "grid-")}


def task_colours(config, task, extra=()):
    """{variant: colour} for `task`: its registry variants first (config order), then `extra` names the
    registry does not have (sorted). A config the registry cannot read gives the extras alone."""
    try:
        names = list(tasks.task(task).variants(config))
    except Exception:    # noqa: BLE001 - a damaged config still gets stable colours for what is shown
        names = []
    names += sorted(set(extra) - set(names))
    prefixes = FAMILIES.get(task, ())
    families = [[n for n in names if n.startswith(p)] for p in prefixes]
    if len(prefixes) * 10 > len(PALETTE) or any(len(f) > 10 for f in families):
        return assign(names)
    out = {}
    for block, family in enumerate(families):
        out.update({name: PALETTE[10 * block + i] for i, name in enumerate(family)})
    rest = [n for n in names if n not in out]
    spare = [c for c in PALETTE if c not in set(out.values())]
    out.update({name: spare[i % len(spare)] for i, name in enumerate(rest)})
    return {name: out[name] for name in names}


def scale(colours, names):
    """(domain, range) for a chart that shows `names`: each name's colour from `colours` (a name it lacks
    takes the next unused palette colour), in the order given."""
    used = set(colours.values())
    spare = iter([c for c in PALETTE if c not in used] + list(PALETTE))
    domain = list(dict.fromkeys(names))
    return domain, [colours.get(name) or next(spare) for name in domain]
