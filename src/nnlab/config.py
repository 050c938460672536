"""Validation of config.yaml against its JSON schema, with one-line messages."""
import functools
import math
import numbers
import re
from pathlib import Path

import jsonschema
import yaml

from nnlab.errors import ConfigError

DEMO_DATA_DIR = "results/demo"
PUBLIC_DATA_DIR = "results/public"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

# A configuration holds about 130 values. YAML aliases share one node, so a few lines of
# anchors (`&a [*b, *b, ...]`) can stand for 10^7 values that every walk over the config
# would visit one by one (it took minutes before the unknown key was reported): refuse
# more values than this, or deeper nesting, before anything walks the config.
MAX_VALUES = 10_000
MAX_DEPTH = 20
# The shipped config.yaml is about 10 KB: a file beyond this is no configuration (and /dev/zero or
# a FIFO would otherwise be read until memory ran out).
MAX_BYTES = 4 * 2**20

# JSON Schema's draft 7 counts 2.0 as an integer, and the config reached the training code
# as a float (range(2.0), seed1.0/ folders, a variant rnn-tbptt5.0). Integers are ints here;
# a float equal to one is converted in place by validate().
_STRICT = jsonschema.validators.extend(
    jsonschema.Draft7Validator,
    type_checker=jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool)),
)


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
    if kind == "uniqueItems":
        return "a list without repeated items"
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
    if isinstance(value, int) and len(str(abs(value))) > 20:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, numbers.Number):
        return repr(value)
    text = repr(value)
    if len(text) > 80:
        text = text[:60] + " ..."
    if isinstance(value, str):
        return text
    return f"{text} (a {type(value).__name__})"


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


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: YAML forbids it, and
    PyYAML would keep the second value silently (a recipe with two `learning_rate:` lines
    trained with the last one). Keys merged in with `<<: *anchor` may still be overridden."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: PyYAML refuses it below
                continue
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found key {key!r} a second time in one mapping (first on line {first})",
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(path):
    """The mapping of settings in the YAML file at `path`.

    ConfigError (one line) when the file cannot be read, is not YAML (with the line and
    column of the problem, which Snakemake's own reader leaves out), gives a key twice in
    one mapping, is not a mapping, or holds more than MAX_VALUES values once its aliases are
    expanded, or more than MAX_BYTES bytes."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"{path}: expected a configuration of at most {MAX_BYTES // 2**20} MiB, found more")
        data = yaml.load(raw.decode("utf-8"), Loader=_UniqueKeyLoader)
    except OSError as error:
        raise ConfigError(f"{path}: expected a readable YAML file, found {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError(f"{path}, line {line}, column {column}: expected UTF-8 text, found byte "
                          f"0x{raw[error.start]:02x}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(error.problem or error.context or "a syntax error").split())
        raise ConfigError(f"{path}{where}: expected valid YAML ({problem})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: expected valid YAML ({' '.join(str(error).split())})") from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"{_found(data)}"
        raise ConfigError(f"{path}: expected a mapping of settings (key: value lines), found {found}")
    check_size(data, source=str(path))
    return data


def check_size(config, source="config"):
    """Raise ConfigError unless `config` holds at most MAX_VALUES values (aliases counted
    every time they occur) nested at most MAX_DEPTH deep, none containing itself.

    Each shared node is counted once (memoised by id) and the count stops at the first
    container holding more than MAX_VALUES values, so an alias bomb, or the copy of one that
    Snakemake's merge of a --configfile expands, is refused in milliseconds. The message
    names that container by its keys (up to the first list index)."""
    sizes, open_nodes = {}, set()

    def refuse(path, expected, found):
        keys = path[:next((i for i, key in enumerate(path) if isinstance(key, int)), len(path))]
        raise ConfigError(f"{source}: key '{_key(keys)}': expected {expected}, found {found}")

    def size(node, path):
        if not isinstance(node, (dict, list)):
            return 1
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            refuse(path, "a value", "one that contains itself (a recursive YAML alias)")
        if len(path) >= MAX_DEPTH:
            refuse(path, f"at most {MAX_DEPTH} levels of nesting", "more")
        open_nodes.add(id(node))
        total = 0
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            total += size(value, (*path, key))
            if total > MAX_VALUES:
                refuse(path, f"at most {MAX_VALUES} values in the configuration (YAML aliases counted "
                             "each time they occur)", "more")
        open_nodes.discard(id(node))
        sizes[id(node)] = total
        return total

    size(config, ())


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


def _whole_floats(errors):
    """Key paths of the floats equal to an integer that the schema refused for not being one
    (also inside oneOf alternatives)."""
    for error in errors:
        if (error.validator == "type" and "integer" in (error.validator_value if isinstance(
                error.validator_value, list) else [error.validator_value])
                and isinstance(error.instance, float) and error.instance.is_integer()):
            yield tuple(error.absolute_path)
        yield from _whole_floats(error.context or ())


def _to_int(config, path):
    """config's value at key path `path` (a float equal to an integer) made an int, in place."""
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = int(node[path[-1]])


@functools.lru_cache(maxsize=4)
def _schema(path):
    """The JSON schema at `path`, read once: validate() runs once per experiment (up to 200)."""
    with open(path) as f:
        return yaml.safe_load(f)


def validate(config, schema_path, source="config"):
    """Raise ConfigError (one line) for the first schema violation, deepest first.

    Too large a config (YAML aliases) is refused before anything else. Number-like strings
    from command-line overrides are converted first (in place), and so is a float equal to
    an integer where the schema wants an integer (10.0, 1e1 -> 10); any other float there
    is refused. Every number must be finite (YAML's .nan, .inf and -.inf are refused by key)."""
    schema = _schema(str(schema_path))
    check_size(config, source)
    coerce_scalars(config)
    found = non_finite(config)
    if found:
        path, value = found
        raise ConfigError(f"{source}: key '{_key(path)}': expected a finite number, found {value!r}")
    validator = _STRICT(schema)
    errors = list(validator.iter_errors(config))
    whole = set(_whole_floats(errors))
    if whole:
        for path in whole:
            _to_int(config, path)
        errors = list(validator.iter_errors(config))
    if errors:
        error = min(errors, key=lambda e: (-len(e.absolute_path), str(e.absolute_path)))
        raise ConfigError(describe(error, source))
    return config


SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


def data_source(config):
    """demo, public or course: the config's `source`, or, left out, course when data_dir names
    another folder than the demo's, else demo. A choice that contradicts data_dir is refused."""
    data_dir = str(config.get("data_dir", DEMO_DATA_DIR)).rstrip("/")
    default = Path(data_dir) == Path(DEMO_DATA_DIR)
    source = config.get("source") or ("demo" if default else "course")
    if source == "course" and default:
        raise ConfigError(f"config: key 'data_dir': expected the folder of the course files when source is "
                          f"course, found the demo's folder {DEMO_DATA_DIR}")
    if source in ("demo", "public") and not default:
        raise ConfigError(f"config: key 'source': expected course (or none) when data_dir names a folder of "
                          f"course files ({data_dir}), found {source}; the {source} files are built in "
                          f"{DEMO_DATA_DIR if source == 'demo' else PUBLIC_DATA_DIR}")
    if source == "public" and not config.get("public"):
        raise ConfigError("config: key 'public': expected the public sources' settings (as in config.yaml) "
                          "when source is public, found none")
    patches = (config.get("public") or {}).get("patches") or {}
    stray = sorted(set(patches.get("sha256") or {}) - set(patches.get("files") or []))
    if stray:
        raise ConfigError(f"config: key 'public.patches.sha256': expected names among public.patches.files, "
                          f"found {stray[0]!r}")
    return source


def read(path):
    """The config file at `path` as the workflow reads it: load_yaml, then the schema (when the
    package sits in its repository, beside workflow/), the experiments (nnlab.overlays.expand) and
    the report's recipe (nnlab.claims) and the data source (data_source), as workflow/rules/common.smk
    checks them; ConfigError (one line) otherwise."""
    from nnlab import claims, overlays

    config = load_yaml(path)
    if SCHEMA.is_file():
        validate(config, SCHEMA, source=path)

        def check(effective, source):
            return validate(effective, SCHEMA, source)

        overlays.expand(config, validate=check)
        claims.report_experiment({k: v for k, v in config.items() if k != "experiments"}, validate=check)
    data_source(config)
    return config


def of_results(results, fallback):
    """The config a results folder was made with: RESULTS/config.yaml, which the workflow writes
    there, else the file `fallback`."""
    ran = Path(results) / "config.yaml"
    return ran if ran.is_file() else Path(fallback)


def main(argv=None):
    """`python -m nnlab.config FILE ...`: each file read as the workflow reads config.yaml (YAML
    errors with their line and column, which Snakemake's reader of a --configfile leaves out,
    then the schema); one line per file, exit status 1 when any is refused."""
    import sys

    files = sys.argv[1:] if argv is None else list(argv)
    usage = "usage: python -m nnlab.config FILE [FILE ...]"
    if {"-h", "--help"} & set(files):
        print(f"{usage}\n\nEach FILE is read as the workflow reads config.yaml (YAML, the schema, the "
              "experiments and the report's recipe): one line per file, 'ok' or the first mistake; exit "
              "status 1 when any is refused.")
        return 0
    options = [f for f in files if f.startswith("-") and f != "-"]
    if not files or options:
        print(f"error: expected FILE arguments, found {'none' if not files else f'the option {options[0]}'}\n{usage}",
              file=sys.stderr)
        return 2
    status = 0
    for path in files:
        try:
            read(path)
            print(f"{path}: ok")
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())

