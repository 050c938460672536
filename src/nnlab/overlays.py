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

expand() turns them into Experiment values: the experiment's effective config and, for each
task its overlay touches, the variants it trains with their settings. The baseline is the
config itself; an experiment shares its data, seeds and replicates.
"""
import copy
import itertools
import re
from dataclasses import dataclass

from nnlab.errors import ConfigError
from nnlab.tasks import TASKS
from nnlab.variants import _num

MAX_POINTS = 200                                 # experiments one config may define, sweeps expanded
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+=-]{0,99}")


@dataclass(frozen=True)
class Experiment:
    name: str
    settings: dict          # {dotted key: value}: the whole change against the baseline
    sweep: str | None       # the sweep this is a point of (its name in the config), or None
    config: dict            # the effective configuration
    variants: dict          # {task: {variant: settings}}, only the tasks the change touches


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


def _points(name, spec):
    """[(experiment name, {dotted key: value}, sweep name or None, entry name)] of one entry of the section."""
    base = dict(spec.get("set") or {})
    sweep = spec.get("sweep") or {}
    if not base and not sweep:
        raise _error(name, "expected 'set' or 'sweep' with at least one setting, found none")
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


def expand(config, validate=None):
    """{name: Experiment} of config["experiments"], sweeps expanded, in the config's order.

    validate(config, source): the schema check of each effective config (nnlab.config.validate
    with the schema bound). Refused, each in one ConfigError line: a name that is not a safe
    folder name or is taken twice, a key the config does not have or outside the task sections,
    a value the schema refuses, more than MAX_POINTS experiments, an unknown variant, and an
    experiment whose variants are the baseline's own."""
    section = config.get("experiments") or {}
    baseline = {k: v for k, v in config.items() if k != "experiments"}
    points = [p for name, spec in section.items() for p in _points(str(name), spec)]
    if len(points) > MAX_POINTS:
        raise ConfigError(f"config: key 'experiments': expected at most {MAX_POINTS} experiments (sweeps "
                          f"expanded), found {len(points)}")
    out = {}
    for name, settings, sweep, label in points:
        if not SAFE_NAME.fullmatch(name):
            raise _error(label, f"expected a name of letters, digits and . _ + = - (at most 100, starting with a "
                                f"letter or digit: it names a folder), found {name!r}")
        if name in out or name == "baseline":
            raise _error(label, f"expected a name of its own, found {name!r} twice" if name in out
                         else "expected a name of its own, found 'baseline', which names the baseline")
        experiment = overlay(baseline, name, settings, section[label].get("variants") or [], validate, sweep, label)
        same = all(TASKS[t].variants(baseline).get(v) == hp for t, vs in experiment.variants.items()
                   for v, hp in vs.items())
        if same and sweep is not None:
            continue                     # the sweep's point at the baseline's values: the baseline is that run
        if same:
            raise _error(label, "expected a change, found settings identical to the baseline's for every variant "
                                "it trains")
        out[name] = experiment
    return out


def overlay(baseline, name, settings, wanted=(), validate=None, sweep=None, label=None):
    """The Experiment `name`: `baseline` (a config without its experiments) with `settings` set,
    checked by validate(config, source), training the variants `wanted` of the tasks the settings
    touch (all of them when none are named). Also the report's recipe (nnlab.claims.RECIPE)."""
    label = label or name
    effective = _apply(baseline, label, settings)
    if validate is not None:
        validate(effective, f"config (experiment {name})")
    tasks = sorted({key.split(".")[0] for key in settings}, key=list(TASKS).index)
    variants = {task: TASKS[task].variants(effective) for task in tasks}
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
