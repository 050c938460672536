"""Named experiments: a change to the configuration, trained beside the baseline (docs/experiments.md).

config["experiments"] maps a name to an overlay of the baseline's settings:

    set:      {dotted.key: value}      settings of the task sections to change, e.g.
                                       recurrent.recipes.tuned.learning_rate: 0.003
    sweep:    {dotted.key: [values]}   one experiment per point of the product of the lists,
                                       named <name>-<key><value>-... (with `set` applied to each)
    variants: [name, ...]              train only these variants of the tasks it changes
    point_of: sweep name               (written by the workflow) the sweep a `set` came from

results/config.yaml records every experiment expanded (`set` complete, `variants`, `point_of`):
expanding that again gives the same experiments.

check_entry() checks each entry, so that a mistake names its experiment and key; plan() (and
expand(), its experiments) turns them into Experiment values: the experiment's effective config
and, for each task its overlay touches, the variants it trains with their settings: those whose
runs can differ from the baseline's (the baseline's runs stand for the others, and for a sweep's
point at the baseline's settings, which competes for the sweep's winner). The baseline is the
config itself; an experiment shares its data, seeds and replicates.
"""
import copy
import dataclasses
import itertools
import re
from dataclasses import dataclass, field

from nnlab.errors import ConfigError
from nnlab.tasks import TASKS
from nnlab.variants import _num, autoencoder_sweep

MAX_POINTS = 200                                 # experiments one config may define, sweeps expanded
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]{0,99}")
# Snakemake takes a path whose wildcard ends in a part repeated 20 times or more for a runaway
# recursion of rules (PeriodicWildcardError, snakemake.io.PeriodicityDetector): such a name is refused.
PERIODIC = re.compile(r"(.+)\1{19,}$")


@dataclass(frozen=True)
class Experiment:
    name: str
    settings: dict          # {dotted key: value}: the whole change against the baseline
    sweep: str | None       # the sweep this is a point of (its name in the config), or None
    config: dict            # the effective configuration
    variants: dict          # {task: {variant: settings}}, only the tasks the change touches
    shared: dict = field(default_factory=dict)   # {task: [variant]}: unchanged, the baseline's runs stand for them


def _error(name, what):
    return ConfigError(f"config: key 'experiments.{name}': {what}")


def _point_name(name, point):
    """<name>-<last part of each key><value>, e.g. lr-learning_rate0.003-batch_size64."""
    parts = [name]
    for key, value in point.items():
        leaf = key.rsplit(".", 1)[-1]
        text = _num(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        parts.append(f"{leaf}{text}")
    return "-".join(parts)


def _kind(value):
    """What a YAML value is, in words, for a message: 'None', '9 (a number)', "'gru-full' (a text)"."""
    if value is None:
        return "null"
    if isinstance(value, (list, dict)) and not value:
        return f"an empty {'list' if isinstance(value, list) else 'mapping'}"
    if isinstance(value, bool):
        return f"{value!r} (a boolean)"
    kind = {int: "a number", float: "a number", str: "a text", list: "a list", dict: "a mapping"}.get(
        type(value), f"a {type(value).__name__}")
    text = repr(value)
    return f"{text[:60] + ' ...' if len(text) > 60 else text} ({kind})"


def _name(name):
    """An entry's name as the user wrote it: YAML reads 1.0, on, true and null as a number, a
    boolean or null, which would name no folder as written."""
    if not isinstance(name, str):
        shown = "null" if name is None else repr(name)
        raise ConfigError(f"config: key 'experiments.{shown}': expected a name YAML reads as text (quote a "
                          f"name such as 1.0, on or null), found {_kind(name)}")
    return name


def _settings(name, key, value, lists=False):
    """`set` or `sweep` of an entry: a mapping of dotted keys (texts) to values, or, for a sweep, to
    lists of 1..MAX_POINTS plain values (a number, text, boolean or null: each names a point)."""
    if not isinstance(value, dict) or not value:
        raise _error(name, f"key '{key}': expected a mapping of dotted task settings to "
                           f"{'lists of values' if lists else 'values'}, found {_kind(value)}")
    for dotted, values in value.items():
        if not isinstance(dotted, str):
            raise _error(name, f"key '{key}': expected dotted task settings (texts) as keys, found {_kind(dotted)}")
        if not lists:
            continue
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_POINTS:
            raise _error(name, f"key '{key}.{dotted}': expected a list of 1 to {MAX_POINTS} values, found "
                               f"{_kind(values) if not isinstance(values, list) else f'{len(values)} values'}")
        nested = next((v for v in values if isinstance(v, (list, dict))), None)
        if nested is not None:
            raise _error(name, f"key '{key}.{dotted}': expected plain values (numbers, texts, booleans, null: "
                               f"each names a point; give a list- or mapping-valued setting as a `set` "
                               f"experiment of its own), found {_kind(nested)}")
    return value


ENTRY_KEYS = ("set", "sweep", "variants", "point_of")


def check_entry(name, spec):
    """One entry of the experiments section, checked: a mapping of `set` and/or `sweep`, optional
    `variants` (a list of distinct variant names) and `point_of` (the workflow's record, with
    `set` only). Every mistake is one ConfigError line naming the entry and the key."""
    name = _name(name)
    if not isinstance(spec, dict):
        raise _error(name, f"expected a mapping with 'set' or 'sweep', found {_kind(spec)}")
    unknown = [k for k in spec if k not in ENTRY_KEYS]
    if unknown:
        raise _error(name, f"unknown key {unknown[0]!r}: expected one of {', '.join(sorted(ENTRY_KEYS))}")
    if "set" not in spec and "sweep" not in spec:
        raise _error(name, "expected 'set' or 'sweep' with at least one setting, found none")
    for key in ("set", "sweep"):
        if key in spec:
            _settings(name, key, spec[key], lists=key == "sweep")
    variants = spec.get("variants", [])
    if (not isinstance(variants, list) or "variants" in spec and not variants
            or not all(isinstance(v, str) for v in variants)):
        found = _kind(variants) if not isinstance(variants, list) else (
            "an empty list" if not variants else _kind(next(v for v in variants if not isinstance(v, str))))
        raise _error(name, f"key 'variants': expected a list of variant names, found {found}")
    twice = next((v for i, v in enumerate(variants) if v in variants[:i]), None)
    if twice is not None:
        raise _error(name, f"key 'variants': expected distinct variant names, found {twice!r} twice")
    if "point_of" in spec and (not isinstance(spec["point_of"], str) or "sweep" in spec or not spec["point_of"]):
        found = "a 'sweep' beside it" if "sweep" in spec else _kind(spec["point_of"])
        raise _error(name, f"key 'point_of': expected the name of the sweep a `set` came from (results/config.yaml "
                           f"writes it; leave it out), found {found}")
    return name


def section(config):
    """config["experiments"] checked (check_entry): {} when absent or null."""
    experiments = config.get("experiments")
    if experiments is None:
        return {}
    if not isinstance(experiments, dict):
        raise ConfigError(f"config: key 'experiments': expected a mapping of experiment names to entries, found "
                          f"{_kind(experiments)}")
    for name, spec in experiments.items():
        check_entry(name, spec)
    return experiments


def _points(name, spec):
    """[(experiment name, {dotted key: value}, sweep name or None, entry name)] of one entry of the
    section (checked by check_entry)."""
    base = dict(spec.get("set") or {})
    sweep = spec.get("sweep") or {}
    if not sweep:
        return [(name, base, spec.get("point_of"), name)]
    keys = list(sweep)
    size = 1
    for key in keys:
        size *= len(sweep[key])
    if size > MAX_POINTS:
        raise _error(name, f"expected a sweep of at most {MAX_POINTS} points, found {size}")
    return [(_point_name(name, dict(zip(keys, values))), dict(base, **dict(zip(keys, values))), name, name)
            for values in itertools.product(*(sweep[k] for k in keys))]


def _apply(config, name, settings):
    """A deep copy of `config` with `settings` set; every dotted key must exist in a task section."""
    out = copy.deepcopy(config)
    for key, value in settings.items():
        parts = key.split(".")
        if parts[0] not in TASKS:
            raise _error(name, f"key '{key}': expected a setting of a task ({', '.join(f'{t}.' for t in TASKS)}), "
                               f"found '{parts[0]}' (experiments share the baseline's data, seeds and replicates)")
        node = out
        for i, part in enumerate(parts[:-1]):
            node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                raise _error(name, f"key '{key}': expected a key the config has, found no "
                                   f"'{'.'.join(parts[:i + 1])}' section")
        if parts[-1] not in node:
            raise _error(name, f"key '{key}': expected a key the config has, found no '{parts[-1]}' in "
                               f"'{'.'.join(parts[:-1])}'")
        node[parts[-1]] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class Plan:
    experiments: dict       # {name: Experiment}: what each experiment trains
    baseline_points: dict   # {sweep: {task: [variant]}}: the variants whose point of the sweep is the baseline's run


def _selection(config):
    """What the autoencoder grid's `auto` sparsity is selected from: the sweep's variants and the tolerance."""
    return autoencoder_sweep(config), config["autoencoder"]["selection_tolerance"]


def _unchanged(baseline, config, task, variants):
    """The variants (of `task`, set in the effective `config`) whose runs could not differ from the
    baseline's: the same name and settings, and, for the autoencoder when the experiment changes the
    selection that grid variants with beta or rho `auto` take (the sweep's variants or
    selection_tolerance), neither such a grid variant nor a sweep variant (the experiment's
    selection reads its own sweep runs)."""
    base = TASKS[task].variants(baseline)
    selection_changed = (task == "autoencoder" and any(map(_auto, TASKS[task].variants(config).values()))
                         and _selection(baseline) != _selection(config))

    def depends(hp):
        return selection_changed and (hp["part"] == "sweep" or _auto(hp))

    return [v for v, hp in variants.items() if base.get(v) == hp and not depends(hp)]


def _auto(hp):
    """Whether an autoencoder variant is a grid variant whose beta or rho is `auto` (selected)."""
    return hp["part"] == "grid" and (hp["beta"] is None or hp["rho"] is None)


def _check_trained_tasks(label, baseline, experiment):
    """Refuse a task the experiment changes that its `variants` leave without a variant (nothing of
    the change would be trained), and grid variants with `auto` sparsity whose selection the
    experiment changes trained without the sweep it is selected from."""
    touched = {key.split(".")[0] for key in experiment.settings}
    for task in sorted(touched - set(experiment.variants), key=list(TASKS).index):
        variants = TASKS[task].variants(experiment.config)
        if len(_unchanged(baseline, experiment.config, task, variants)) < len(variants):
            raise _error(label, f"key 'variants': expected at least one variant of each task it changes, found "
                                f"none of {task}'s ({', '.join(variants)}): its change of {task} would not be trained")
    ae = experiment.variants.get("autoencoder", {})
    auto = [v for v, hp in ae.items() if _auto(hp)]
    if auto and _selection(baseline) != _selection(experiment.config) and not any(
            hp["part"] == "sweep" for hp in ae.values()):
        raise _error(label, f"key 'variants': expected autoencoder sweep variants beside {auto[0]} (its beta/rho "
                            f"'auto' is selected from the sweep, which this experiment changes), found none")


def plan(config, validate=None):
    """The Plan of config["experiments"]: {name: Experiment}, sweeps expanded, in the config's order,
    each training only the variants whose runs can differ from the baseline's (_unchanged: the
    baseline's runs stand for the others), and the sweeps' points at the baseline's settings.

    validate(config, source): the schema check of each effective config (nnlab.config.validate
    with the schema bound). Refused, each in one ConfigError line: a malformed entry
    (check_entry), a name that is not a safe folder name or is taken twice, a key the config does
    not have or outside the task sections, a value the schema refuses, more than MAX_POINTS
    experiments, an unknown variant, a changed task left without variants, and an experiment
    (or a whole sweep) whose runs would all be the baseline's own."""
    entries = section(config)
    baseline = {k: v for k, v in config.items() if k != "experiments"}
    points = [p for name, spec in entries.items() for p in _points(name, spec)]
    if len(points) > MAX_POINTS:
        raise ConfigError(f"config: key 'experiments': expected at most {MAX_POINTS} experiments (sweeps "
                          f"expanded), found {len(points)}")
    out, baseline_points = {}, {}
    for name, settings, sweep, label in points:
        _check_name(label, name, out)
        experiment = overlay(baseline, name, settings, entries[label].get("variants") or [], validate, sweep, label)
        _check_trained_tasks(label, baseline, experiment)
        shared = {t: _unchanged(baseline, experiment.config, t, vs) for t, vs in experiment.variants.items()}
        trained = {t: {v: hp for v, hp in vs.items() if v not in shared[t]} for t, vs in experiment.variants.items()}
        trained = {t: vs for t, vs in trained.items() if vs}
        if sweep is not None:
            for task, variants in shared.items():
                known = baseline_points.setdefault(sweep, {}).setdefault(task, [])
                known += [v for v in variants if v not in known]
        if trained:
            out[name] = dataclasses.replace(experiment, variants=trained,
                                            shared={t: vs for t, vs in shared.items() if vs})
        elif sweep is None:
            raise _error(label, "expected a change, found settings identical to the baseline's for every variant "
                                "it trains")
    for label, spec in entries.items():
        if spec.get("sweep") and not any(e.sweep == label for e in out.values()):
            raise _error(label, "expected a change, found every point of the sweep at the baseline's settings for "
                                "every variant it trains (the baseline's runs are its results)")
    return Plan(out, baseline_points)


def expand(config, validate=None):
    """{name: Experiment} of config["experiments"] (plan())."""
    return plan(config, validate).experiments


def _check_name(label, name, taken):
    """Refuse a point's name that is not a safe folder name, that Snakemake would take for a
    runaway recursion, or that is taken."""
    if not SAFE_NAME.fullmatch(name):
        raise _error(label, f"expected a name of letters, digits and . _ + = - (at most 100, starting with a "
                            f"letter or digit: it names a folder), found {name!r}")
    if PERIODIC.search(name):
        raise _error(label, f"expected a name not ending in a part repeated 20 times or more (Snakemake "
                            f"takes such a folder for a runaway recursion), found {name!r}")
    if name in taken or name == "baseline":
        raise _error(label, f"expected a name of its own, found {name!r} twice" if name in taken
                     else "expected a name of its own, found 'baseline', which names the baseline")


def overlay(baseline, name, settings, wanted=(), validate=None, sweep=None, label=None):
    """The Experiment `name`: `baseline` (a config without its experiments) with `settings` set,
    checked by validate(config, source), training the variants `wanted` of the tasks the settings
    touch (all of them when none are named). Also the report's recipe (nnlab.claims.RECIPE)."""
    label = label or name
    effective = _apply(baseline, label, settings)
    if validate is not None:
        validate(effective, f"config (experiment {name})")
    tasks = sorted({key.split(".")[0] for key in settings}, key=list(TASKS).index)
    try:
        variants = {task: TASKS[task].variants(effective) for task in tasks}
    except ConfigError as error:             # nnlab.variants names the key, not the experiment
        raise _error(label, str(error).removeprefix("config: ")) from None
    known = {v for vs in variants.values() for v in vs}
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise _error(label, f"key 'variants': expected variants of {', '.join(tasks)} "
                            f"({', '.join(sorted(known))}), found {', '.join(map(str, unknown))}")
    if wanted:
        variants = {t: {v: hp for v, hp in vs.items() if v in wanted} for t, vs in variants.items()}
        variants = {t: vs for t, vs in variants.items() if vs}
    return Experiment(name, settings, sweep, effective, variants)


def effective(experiments):
    """The experiments section that gives `experiments` again: each point's whole change, the
    variants it trains and the sweep it is a point of (results/config.yaml records this)."""
    out = {}
    for name, e in experiments.items():
        entry = {"set": dict(e.settings), "variants": [v for vs in e.variants.values() for v in vs]}
        if e.sweep:
            entry["point_of"] = e.sweep
        out[name] = entry
    return out
