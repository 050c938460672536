"""Validation of config.yaml against its JSON schema, with one-line messages."""
import math
import numbers
import re

import jsonschema
import yaml

from nnlab.errors import ConfigError

DEMO_DATA_DIR = "results/demo"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _key(path):
    return ".".join(str(p) for p in path) or "(top level)"


def _expected(error):
    """What the schema wanted, in words."""
    kind, value = error.validator, error.validator_value
    if kind == "type":
        return f"a value of type {value}"
    if kind == "minimum":
        return f"a value >= {value}"
    if kind == "exclusiveMinimum":
        return f"a value > {value}"
    if kind == "maximum":
        return f"a value <= {value}"
    if kind == "exclusiveMaximum":
        return f"a value < {value}"
    if kind == "enum":
        return "one of " + ", ".join(repr(v) for v in value)
    if kind == "const":
        return repr(value)
    if kind == "minItems":
        return f"a list of at least {value} item(s)"
    if kind == "minLength":
        return "a non-empty string"
    if kind == "oneOf":
        return " or ".join(_expected(e) for e in sorted(error.context, key=lambda e: e.validator)
                           if not e.path) or "a value matching the schema"
    if kind == "required":
        return error.message
    return error.message


def _found(value):
    if isinstance(value, bool):
        return f"{value!r} (a boolean)"
    if isinstance(value, numbers.Number):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    return f"{value!r} (a {type(value).__name__})"


def describe(error, source="config"):
    """One line: the key, what was expected, what was found."""
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        key = _key(list(error.absolute_path) + [extra[0]]) if extra else _key(error.absolute_path)
        return f"{source}: unknown key '{key}': expected one of {', '.join(allowed)}"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{source}: key '{_key(list(error.absolute_path) + [missing])}': expected a value, found none"
    return f"{source}: key '{_key(error.absolute_path)}': expected {_expected(error)}, found {_found(error.instance)}"


def coerce_scalars(node):
    """Turn number-, boolean- and null-like strings into those values, in place.

    Snakemake passes the values inside a nested `--config key={...}` override as strings
    ('0.5', '1e-3', 'true'); read them as YAML would so they validate like config.yaml's.
    """
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, (dict, list)):
            coerce_scalars(value)
        elif isinstance(value, str) and value.strip():
            try:
                parsed = yaml.safe_load(value)
            except yaml.YAMLError:
                continue
            if parsed is None or isinstance(parsed, (bool, int, float)):
                node[key] = parsed
            elif _NUMBER.match(value.strip()):
                node[key] = float(value)  # YAML 1.1 reads '1e-3' (no dot) as a string
    return node


def non_finite(node, path=()):
    """(key path, value) of the first NaN or +-inf number in `node`, or None.

    JSON Schema cannot refuse these: every comparison with NaN is false, so `.nan` passes
    `minimum`/`maximum`, and `.inf` passes any lower bound."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        items = ()
    for key, value in items:
        if isinstance(value, (dict, list)):
            found = non_finite(value, (*path, key))
            if found:
                return found
        elif (isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
              and not math.isfinite(value)):
            return (*path, key), float(value)
    return None


def validate(config, schema_path, source="config"):
    """Raise ConfigError (one line) for the first schema violation, deepest first.

    Number-like strings from command-line overrides are converted first (in place).
    Every number must be finite (YAML's .nan, .inf and -.inf are refused by key)."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    coerce_scalars(config)
    found = non_finite(config)
    if found:
        path, value = found
        raise ConfigError(f"{source}: key '{_key(path)}': expected a finite number, found {value!r}")
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(config))
    if errors:
        error = min(errors, key=lambda e: (-len(e.absolute_path), str(e.absolute_path)))
        raise ConfigError(describe(error, source))
    return config
