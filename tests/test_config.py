"""A catalogue of bad configuration values: each is one line naming key, expectation, finding."""
import copy
from pathlib import Path

import pytest
import yaml

from nnlab.config import validate
from nnlab.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def with_value(path, value):
    cfg = config()
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    assert last in node, f"{path} is not a key of config.yaml"   # keys move; fail, don't add one
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return cfg


def test_shipped_configs_are_valid():
    validate(config(), SCHEMA)
    validate(yaml.safe_load((ROOT / ".test" / "config.yaml").read_text()), SCHEMA)


BAD = [
    ("threads", 0, "threads", "expected a value >= 1, found 0"),
    ("seed", -1, "seed", "found -1"),
    ("seed", "one", "seed", "expected a value of type integer, found 'one'"),
    ("resources.mem_mb", 0, "resources.mem_mb", "found 0"),
    ("autoencoder.recipes.tuned.learning_rate", 0, "autoencoder.recipes.tuned.learning_rate",
     "expected a value > 0, found 0"),
    ("autoencoder.recipes.tuned.learning_rate", -0.5, "autoencoder.recipes.tuned.learning_rate",
     "found -0.5"),
    ("autoencoder.hidden", -3, "autoencoder.hidden", "found -3"),
    ("autoencoder.recipes.tuned.batch_size", 2.5, "autoencoder.recipes.tuned.batch_size",
     "integer, found 2.5"),
    ("autoencoder.recipes.course.optimizer", "rmsprop", "autoencoder.recipes.course.optimizer",
     "one of 'sgd', 'adam', found 'rmsprop'"),
    ("autoencoder.sweep.rho", [0.05, 1.5], "autoencoder.sweep.rho.1", "found 1.5"),
    ("autoencoder.sweep.beta", [], "autoencoder.sweep.beta", "at least 1 item"),
    ("autoencoder.grid.rho", "sometimes", "autoencoder.grid.rho", "found 'sometimes'"),
    ("autoencoder.holdout_fraction", 1.0, "autoencoder.holdout_fraction", "expected a value < 1, found 1.0"),
    ("data.validation_fraction", True, "data.validation_fraction", "found True (a boolean)"),
    ("demo.patches", "many", "demo.patches", "found 'many'"),
    ("autoencoder.recipes.tuned.epochs", KeyError, "autoencoder.recipes.tuned.epochs",
     "expected a value, found none"),
    ("data_dir", "", "data_dir", "non-empty string"),
    # sizes that can only be a mistake are bounded, so they fail here, not with a MemoryError
    ("autoencoder.hidden", 100000000, "autoencoder.hidden", "expected a value <= 100000, found 100000000"),
    ("recurrent.hidden", 10**9, "recurrent.hidden", "expected a value <= 100000"),
    ("autoencoder.recipes.tuned.epochs", 10**9, "autoencoder.recipes.tuned.epochs", "expected a value <= 100000"),
    ("replicates", 0, "replicates", "expected a value >= 1, found 0"),
    ("replicates", 1000, "replicates", "expected a value <= 100, found 1000"),
    # NaN and +-inf (YAML .nan, .inf, -.inf) pass every JSON-Schema bound; each is refused by key
    ("data.validation_fraction", float("nan"), "data.validation_fraction",
     "expected a finite number, found nan"),
    ("recurrent.recipes.course.learning_rate", float("nan"), "recurrent.recipes.course.learning_rate",
     "expected a finite number, found nan"),
    ("recurrent.recipes.tuned.learning_rate.gru", float("nan"),
     "recurrent.recipes.tuned.learning_rate.gru", "expected a finite number, found nan"),
    ("autoencoder.holdout_fraction", float("-inf"), "autoencoder.holdout_fraction",
     "expected a finite number, found -inf"),
    ("autoencoder.lambda", float("inf"), "autoencoder.lambda", "expected a finite number, found inf"),
    ("autoencoder.recipes.tuned.epochs", float("inf"), "autoencoder.recipes.tuned.epochs",
     "expected a finite number, found inf"),
    ("autoencoder.sweep.beta", [0.5, float("nan")], "autoencoder.sweep.beta.1",
     "expected a finite number, found nan"),
    ("recurrent.recipes.tuned.weight_decay", float("inf"), "recurrent.recipes.tuned.weight_decay",
     "expected a finite number, found inf"),
]


@pytest.mark.parametrize("path, value, key, words", BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_bad_value_is_one_line_naming_the_key(path, value, key, words):
    with pytest.raises(ConfigError) as info:
        validate(with_value(path, value), SCHEMA)
    message = str(info.value)
    assert "\n" not in message
    assert f"key '{key}'" in message and words in message, message


@pytest.mark.parametrize("key, text", [
    ("data.validation_fraction", ".nan"),
    ("recurrent.recipes.course.learning_rate", ".NaN"),
    ("autoencoder.recipes.tuned.learning_rate", ".inf"),
    ("language_model.recipes.tuned.lr_final_fraction", "-.Inf"),
])
def test_non_finite_yaml_numbers_are_refused_by_key(key, text):
    """As written in config.yaml (YAML 1.1 spellings of NaN and infinity)."""
    value = yaml.safe_load(f"value: {text}")["value"]
    with pytest.raises(ConfigError) as info:
        validate(with_value(key, value), SCHEMA)
    found = {".nan": "nan", ".NaN": "nan", ".inf": "inf", "-.Inf": "-inf"}[text]
    assert str(info.value) == f"config: key '{key}': expected a finite number, found {found}"


def test_non_finite_strings_from_command_line_overrides_are_refused():
    cfg = with_value("recurrent.recipes.course.learning_rate", ".nan")   # as --config passes it
    with pytest.raises(ConfigError, match=r"^config: key 'recurrent.recipes.course.learning_rate': "
                       r"expected a finite number, found nan$"):
        validate(cfg, SCHEMA)


def test_unknown_keys_are_named_with_the_allowed_ones():
    cfg = config()
    cfg["autoencoder"]["hiden"] = 64
    with pytest.raises(ConfigError, match=r"unknown key 'autoencoder.hiden': expected one of .*hidden"):
        validate(cfg, SCHEMA)
    cfg = copy.deepcopy(config())
    cfg["colour"] = "blue"
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        validate(cfg, SCHEMA)


def test_number_like_strings_from_command_line_overrides_are_read_as_numbers():
    cfg = config()
    recipe = cfg["autoencoder"]["recipes"]["tuned"]
    recipe["learning_rate"] = "1e-3"     # as snakemake passes --config autoencoder={...}
    recipe["epochs"] = "5"
    validate(cfg, SCHEMA)
    assert recipe["learning_rate"] == 0.001 and recipe["epochs"] == 5
    recipe["learning_rate"] = "-1"
    with pytest.raises(ConfigError, match="found -1$"):
        validate(cfg, SCHEMA)
