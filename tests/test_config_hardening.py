"""Issue 20, configuration: whole-number floats at integer keys, bounded truncation and seed,
YAML files with a syntax error, and YAML alias bombs; each refused in one line, before any job."""
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE, TINY, snakemake
from nnlab.config import MAX_VALUES, check_size, load_yaml, validate
from nnlab.errors import ConfigError

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def tiny():
    return yaml.safe_load(TINY.read_text())


def integer_keys(schema, node=None, path=()):
    """Every key path of the schema where an integer goes ('0' standing for a list's items)."""
    node = schema if node is None else node
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    types = node.get("type", [])
    if "integer" in (types if isinstance(types, list) else [types]):
        yield path
    for key, child in node.get("properties", {}).items():
        yield from integer_keys(schema, child, (*path, key))
    if "items" in node:
        yield from integer_keys(schema, node["items"], (*path, 0))
    for child in node.get("oneOf", []):
        yield from integer_keys(schema, child, path)


def resolve(schema, path):
    """The (integer) schema node at `path`, for its minimum."""
    node = schema
    for key in path:
        node = node["items"] if key == 0 else node["properties"][key]
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].split("/")[-1]]
        for child in node.get("oneOf", []):
            child = schema["definitions"][child["$ref"].split("/")[-1]] if "$ref" in child else child
            if child.get("type") in ("integer", "object", "array"):
                node = child
    return node


SCHEMA_DICT = yaml.safe_load(SCHEMA.read_text())
INTEGER_KEYS = sorted(set(integer_keys(SCHEMA_DICT)), key=str)


def test_the_schema_walk_finds_the_integer_keys():
    """Not vacuous: the walk reaches top-level, nested, list-item and oneOf integers."""
    for path in [("seed",), ("replicates",), ("resources", "mem_mb"), ("recurrent", "truncation", 0),
                 ("recurrent", "recipes", "tuned", "finetune", "epochs"),
                 ("language_model", "recipes", "course", "patience"), ("autoencoder", "grid", "hidden", 0),
                 ("language_model", "variants", 0, "embedding_dim")]:
        assert path in INTEGER_KEYS, path
    assert len(INTEGER_KEYS) >= 30


def at(cfg, path):
    *parents, last = path
    for key in parents:
        cfg = cfg[key]
    return cfg, last


def whole_value(cfg, path):
    """An integer that is valid at `path` and distinct from the list's other items."""
    node, last = at(cfg, path)
    current = node[last]
    return current if isinstance(current, int) and not isinstance(current, bool) else \
        resolve(SCHEMA_DICT, path).get("minimum", 1)


@pytest.mark.parametrize("path", INTEGER_KEYS, ids=[".".join(map(str, p)) for p in INTEGER_KEYS])
def test_every_integer_key_takes_a_whole_float_as_an_int_and_refuses_any_other(path):
    cfg = tiny()
    node, last = at(cfg, path)
    value = whole_value(cfg, path)
    node[last] = float(value)
    validate(cfg, SCHEMA)
    assert type(node[last]) is int and node[last] == value

    cfg = tiny()
    node, last = at(cfg, path)
    node[last] = value + 0.5
    with pytest.raises(ConfigError) as info:
        validate(cfg, SCHEMA)
    key = ".".join(map(str, path))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"config: key '{key}': expected")
    assert "integer" in message and message.endswith(f"found {value + 0.5!r}"), message


def test_a_float_exponent_from_a_recipe_becomes_an_int():
    """`epochs: 1e1` (a string to YAML 1.1, a float after the override conversion)."""
    cfg = tiny()
    cfg["recurrent"]["recipes"]["tuned"]["epochs"] = "1e1"
    cfg["recurrent"]["truncation"] = [None, 5.0]
    validate(cfg, SCHEMA)
    assert cfg["recurrent"]["recipes"]["tuned"]["epochs"] == 10
    assert type(cfg["recurrent"]["recipes"]["tuned"]["epochs"]) is int
    assert [type(k) for k in cfg["recurrent"]["truncation"]] == [type(None), int]


def test_a_repeated_truncation_written_once_as_a_float_is_refused():
    cfg = tiny()
    cfg["recurrent"]["truncation"] = [None, 5, 5.0]
    with pytest.raises(ConfigError, match=r"^config: key 'recurrent.truncation': expected a list without "
                                          r"repeated items, found \[None, 5, 5\] \(a list\)$"):
        validate(cfg, SCHEMA)


@pytest.mark.parametrize("path, value, words", [
    ("recurrent.truncation.1", int("7" * 250), "expected a value <= 100000 or a value of type null, "
                                        "found a 250-digit number"),
    ("recurrent.truncation.1", 100001, "expected a value <= 100000 or a value of type null, found 100001"),
    ("demo.activity_steps", 100001, "expected a value <= 100000, found 100001"),
    ("seed", 10**300, "expected a value <= 1000000000, found a 301-digit number"),
    ("threads", 1025, "expected a value <= 1024, found 1025"),
    ("demo.patches", 10**6 + 1, "expected a value <= 1000000, found 1000001"),
    ("demo.vocab_size", 10**5 + 1, "expected a value <= 100000, found 100001"),
    ("demo.activity_train", 10**12, "expected a value <= 1000000, found 1000000000000"),
    ("language_model.prediction_samples", 10**6 + 1, "expected a value <= 1000000, found 1000001"),
    ("resources.mem_mb", 10**20, "expected a value <= 1000000000, found a 21-digit number"),
], ids=["truncation-250-digits", "truncation-100001", "activity_steps-100001", "seed-301-digits", "threads",
        "demo-patches", "demo-vocab", "demo-activity", "prediction-samples", "mem_mb"])
def test_truncation_and_seed_are_bounded(path, value, words):
    """Both are part of file names: hundreds of digits made 'File name too long' after the data jobs."""
    cfg = tiny()
    node, last = at(cfg, [int(k) if k.isdigit() else k for k in path.split(".")])
    node[last] = value
    with pytest.raises(ConfigError) as info:
        validate(cfg, SCHEMA)
    assert str(info.value) == f"config: key '{path}': {words}"


def test_truncation_up_to_the_sequence_length_bound_is_accepted():
    cfg = tiny()
    cfg["recurrent"]["truncation"] = [None, 100000]
    validate(cfg, SCHEMA)


TOO_MANY = (f"{{source}}: key '{{key}}': expected at most {MAX_VALUES} values in the configuration (YAML "
            "aliases counted each time they occur), found more")


def bomb(levels, key="bomb"):
    """YAML text: `key` holds 10**(levels + 1) leaves, built from aliases in a few lines."""
    lines = [f"{key}:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


class Walked(dict):
    """A mapping that counts how often the size check walks it (its items())."""
    walks = 0

    def items(self):
        Walked.walks += 1
        return super().items()


class Tripwire(dict):
    """A mapping the size check must never reach."""

    def items(self):
        raise AssertionError("the size check walked past the container that was over the limit")


def test_an_alias_bomb_under_an_unknown_key_is_refused_walking_each_shared_node_once():
    """10^7 leaves: 224 s before the one-line error, when every walk visited every leaf."""
    cfg = tiny()
    cfg.update(yaml.safe_load(bomb(6)))
    with pytest.raises(ConfigError) as info:
        validate(cfg, SCHEMA)
    assert str(info.value) == TOO_MANY.format(source="config", key="bomb")
    node = Walked({f"k{i}": "x" for i in range(10)})
    for _ in range(6):                                   # the same node ten times per level: 10^7 leaves
        node = Walked({f"k{i}": node for i in range(10)})
    Walked.walks = 0
    with pytest.raises(ConfigError):
        check_size({"bomb": node})
    assert Walked.walks <= 7                              # each of the 7 distinct nodes once, at most


def test_an_alias_bomb_under_a_known_key_names_that_key():
    cfg = tiny()
    cfg["autoencoder"]["sweep"]["beta"] = yaml.safe_load(bomb(4))["bomb"]["a4"]
    with pytest.raises(ConfigError) as info:
        validate(cfg, SCHEMA)
    assert str(info.value) == TOO_MANY.format(source="config", key="autoencoder.sweep.beta")


def test_an_expanded_alias_bomb_is_refused_where_it_goes_over_the_limit():
    """Snakemake's merge of a --configfile copies every mapping: the bomb reaches the
    workflow expanded, 10^7 values that share nothing; the walk stops at the limit."""
    def expanded(level):
        return {f"k{i}": expanded(level - 1) if level else "x" for i in range(10)}
    cfg = tiny()
    cfg["bomb"] = {"a": expanded(3), "b": expanded(3), "c": Tripwire(x=1)}   # 2 x 10^4 values, then the wire
    with pytest.raises(ConfigError) as info:
        validate(cfg, SCHEMA)
    assert str(info.value) == TOO_MANY.format(source="config", key="bomb")


def test_a_config_just_below_the_size_limit_is_checked_further():
    cfg = tiny()
    cfg["autoencoder"]["sweep"]["beta"] = [0.5] * (MAX_VALUES - 200)
    validate(cfg, SCHEMA)


def test_a_recursive_alias_is_refused_in_one_line():
    cfg = tiny()
    cfg["autoencoder"]["sweep"]["beta"] = yaml.safe_load("x: &a [0.5, *a]")["x"]
    with pytest.raises(ConfigError, match=r"^config: key 'autoencoder.sweep.beta': expected a value, found one "
                                          r"that contains itself \(a recursive YAML alias\)$"):
        validate(cfg, SCHEMA)


@pytest.mark.parametrize("text, where, problem", [
    ("seed: 0\nrecurrent:\n  cells: [rnn, lstm\n  hidden: 8\n", "line 4, column 9", "expected ',' or ']'"),
    ("seed: 0\nrecurrent:\n\thidden: 8\n", "line 3, column 1", "found character '\\t'"),
    ("seed: 0\ndata_dir: a: b\n", "line 2, column 12", "mapping values are not allowed here"),
])
def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path, text, where, problem):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}, {where}: expected valid YAML (")
    assert problem in message, message


@pytest.mark.parametrize("text, found", [("", "an empty file"), ("- 1\n- 2\n", "[1, 2] (a list)")])
def test_a_yaml_file_that_is_no_mapping_is_refused(tmp_path, text, found):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}: expected a mapping of settings (key: value lines), found {found}"


def test_load_yaml_refuses_a_bomb_and_reads_the_shipped_configs(tmp_path):
    assert load_yaml(ROOT / "config.yaml") == yaml.safe_load((ROOT / "config.yaml").read_text())
    assert load_yaml(TINY) == tiny()
    path = tmp_path / "config.yaml"
    path.write_text(TINY.read_text() + bomb(6))
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert str(info.value) == TOO_MANY.format(source=path, key="bomb")


# The workflow: refused before any job runs, one `error:` line.

def error_lines(proc):
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]


def write(tmp_path, cfg):
    path = tmp_path / "my-config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_whole_floats_from_the_command_line_plan_integer_seeds(tmp_path):
    """replicates=2.0 was Snakemake's TypeError, seed=1.0 paths seed1.0/."""
    proc = snakemake(tmp_path, "-n", "--config", "replicates=2.0", "seed=1.0")
    assert "seed1/" in proc.stdout and "seed2/" in proc.stdout
    assert "seed1.0" not in proc.stdout and "seed3/" not in proc.stdout


def test_whole_floats_in_a_configfile_plan_integer_variants(tmp_path):
    """epochs: 1e1 died in training with a TypeError; truncation 5.0 made variant rnn-tbptt5.0."""
    text = TINY.read_text().replace("truncation: [null, 5]", "truncation: [null, 5.0]")
    text = text.replace("epochs: 2", "epochs: 1e1")
    assert "5.0]" in text and "1e1" in text
    path = tmp_path / "my-config.yaml"
    path.write_text(text)
    proc = snakemake(tmp_path, "-n", "--configfile", str(path), "--", "results/config.yaml",
                     "results/recurrent/rnn-tbptt5/seed0/metrics.json")
    assert "rnn-tbptt5/" in proc.stdout and "tbptt5.0" not in proc.stdout
    proc = snakemake(tmp_path, "-n", "--configfile", str(path), "--",
                     "results/recurrent/rnn-tbptt5.0/seed0/metrics.json", check=False)
    assert proc.returncode != 0 and "No rule to produce" in proc.stdout + proc.stderr


@pytest.mark.parametrize("change, words", [
    (lambda cfg: cfg["recurrent"].update(truncation=[None, int("7" * 250)]),
     "error: config: key 'recurrent.truncation.1': expected a value <= 100000 or a value of type null, "
     "found a 250-digit number"),
    (lambda cfg: cfg["autoencoder"]["recipes"]["tuned"].update(epochs=2.5),
     "error: config: key 'autoencoder.recipes.tuned.epochs': expected a value of type integer, found 2.5"),
])
def test_bad_integers_stop_the_workflow_before_any_job(tmp_path, change, words):
    cfg = tiny()
    change(cfg)
    proc = snakemake(tmp_path, "--cores", "1", "--configfile", str(write(tmp_path, cfg)), check=False)
    assert proc.returncode != 0 and error_lines(proc) == [words], proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not (tmp_path / "results").exists()
    assert "Traceback" not in proc.stderr


def copy_of_workflow(tmp_path, config_text):
    """The Snakefile and workflow/ beside a config.yaml with `config_text` (its default config)."""
    home = tmp_path / "nnlab"
    home.mkdir()
    shutil.copy(ROOT / "Snakefile", home)
    shutil.copytree(ROOT / "workflow", home / "workflow")
    (home / "config.yaml").write_text(config_text)
    return home


def default_config_run(home, workdir):
    """`snakemake -n` with the default config.yaml (no --configfile), so the Snakefile reads it."""
    return subprocess.run([str(SNAKEMAKE), "-s", str(home / "Snakefile"), "--directory", str(workdir), "-n"],
                          capture_output=True, text=True, timeout=300)


def test_a_malformed_default_config_names_file_line_and_column(tmp_path):
    """Snakemake's own reader said 'Config file is not valid JSON or YAML' without file or line."""
    text = TINY.read_text().replace("  hidden: 8\n", "  hidden: 8: 9\n")
    home = copy_of_workflow(tmp_path, text)
    line = text.splitlines().index("  hidden: 8: 9") + 1
    proc = default_config_run(home, tmp_path / "work")
    assert proc.returncode != 0
    assert error_lines(proc) == [f"error: {home / 'config.yaml'}, line {line}, column 12: expected valid YAML "
                                 "(mapping values are not allowed here)"], proc.stderr[-2000:]
    assert "not valid JSON or YAML" not in proc.stderr


def test_python_m_nnlab_config_names_line_and_column_of_a_configfile(tmp_path):
    """A --configfile is read by Snakemake before the workflow runs, so its YAML errors stay
    Snakemake's, without file or line; `python -m nnlab.config FILE` gives them."""
    bad = tmp_path / "bad.yaml"
    text = TINY.read_text().replace("  hidden: 8\n", "  hidden: 8: 9\n")
    bad.write_text(text)
    line = text.splitlines().index("  hidden: 8: 9") + 1
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(TINY.read_text() + "learning_rat: 0.1\n")
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", str(TINY), str(bad), str(unknown)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout == f"{TINY}: ok\n"
    assert proc.stderr.splitlines() == [
        f"error: {bad}, line {line}, column 12: expected valid YAML (mapping values are not allowed here)",
        f"error: {unknown}: unknown key 'learning_rat': expected one of autoencoder, data, data_dir, demo, "
        "experiments, language_model, public, recurrent, replicates, report, resources, seed, source, threads"], proc.stderr


def test_python_m_nnlab_config_checks_the_experiments_as_the_workflow_does(tmp_path):
    """Issue 29, item 11: a mistyped experiment key, or an experiment named 1, was 'ok'."""
    mistyped = tmp_path / "mistyped.yaml"
    mistyped.write_text(TINY.read_text() + "experiments:\n  x:\n    set:\n      recurrent.hiden: 9\n")
    numeric = tmp_path / "numeric.yaml"
    numeric.write_text(TINY.read_text() + "experiments:\n  1:\n    set:\n      recurrent.hidden: 9\n")
    fine = tmp_path / "fine.yaml"
    fine.write_text(TINY.read_text() + "experiments:\n  x:\n    set:\n      recurrent.hidden: 9\n")
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", str(mistyped), str(numeric), str(fine)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout == f"{fine}: ok\n", proc.stdout
    first, second = proc.stderr.splitlines()
    assert "'experiments.x'" in first and "'recurrent.hiden'" in first
    assert "'experiments.1'" in second and "a name YAML reads as text" in second


def test_python_m_nnlab_config_help_and_options():
    """Issue 29, item 12: --help was read as a file name."""
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m nnlab.config FILE") and not proc.stderr
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", "--verbose", str(TINY)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.startswith("error: expected FILE arguments, found the option --verbose")


def test_python_m_nnlab_config_bounds_what_it_reads():
    """Issue 29, item 13: /dev/zero ended in a MemoryError traceback."""
    proc = subprocess.run([sys.executable, "-m", "nnlab.config", "/dev/zero"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and proc.stderr == "error: /dev/zero: expected a configuration of at most 4 MiB, found more\n"


def test_an_alias_bomb_in_the_default_config_is_refused_in_one_line(tmp_path):
    home = copy_of_workflow(tmp_path, TINY.read_text() + bomb(6))
    proc = default_config_run(home, tmp_path / "work")
    assert proc.returncode != 0
    assert error_lines(proc) == ["error: " + TOO_MANY.format(source=home / "config.yaml", key="bomb")], \
        proc.stderr[-2000:]


def test_an_alias_bomb_in_a_configfile_is_refused_in_one_line(tmp_path):
    path = tmp_path / "my-config.yaml"
    path.write_text(TINY.read_text() + bomb(6))
    proc = snakemake(tmp_path, "-n", "--configfile", str(path), check=False)
    assert proc.returncode != 0  # the file is named: the Snakefile checks each --configfile too
    assert error_lines(proc) == ["error: " + TOO_MANY.format(source=path, key="bomb")], proc.stderr[-2000:]


def test_deep_nesting_is_refused_before_any_walk_recurses_on_it():
    cfg = tiny()
    deep = 0.5
    for _ in range(30):
        deep = [deep]
    cfg["autoencoder"]["sweep"]["beta"] = deep
    with pytest.raises(ConfigError, match=r"^config: key 'autoencoder.sweep.beta': expected at most 20 levels "
                                          r"of nesting, found more$"):
        validate(cfg, SCHEMA)


def test_an_unreadable_or_undecodable_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.yaml: expected a readable YAML file, found No such file"):
        load_yaml(tmp_path / "missing.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(("# " + "x" * 20000 + "\nseed: 0\ndata_dir: caf\xe9\n").encode("latin-1"))
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert str(info.value) == f"{path}, line 3, column 14: expected UTF-8 text, found byte 0xe9"


def test_a_key_given_twice_is_refused_with_both_lines_and_merge_keys_still_override(tmp_path):
    """PyYAML keeps the second of two equal keys silently: a recipe with two learning_rate
    lines trained with the last. load_yaml names the file, the line and the first line."""
    path = tmp_path / "config.yaml"
    path.write_text("seed: 0\nrecurrent:\n  recipes:\n    tuned:\n      learning_rate: 0.002\n"
                    "      batch_size: 32\n      learning_rate: 0.004\n")
    with pytest.raises(ConfigError) as info:
        load_yaml(path)
    assert str(info.value) == (f"{path}, line 7, column 7: expected valid YAML (found key 'learning_rate' a "
                               f"second time in one mapping (first on line 5))")
    path.write_text("base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  x: 3\nother: {x: 1}\n")
    assert load_yaml(path) == {"base": {"x": 1, "y": 2}, "merged": {"x": 3, "y": 2}, "other": {"x": 1}}


def test_the_workflow_refuses_a_configfile_with_a_key_given_twice_before_any_job(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(TINY.read_text() + "replicates: 1\nreplicates: 2\n")
    proc = snakemake(tmp_path, "-n", check=False, configfile=path)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(errors) == 1, proc.stderr[-2000:]
    assert str(path) in errors[0] and "found key 'replicates' a second time" in errors[0]
    assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()
