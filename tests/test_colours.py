"""One colour per variant: the registry's order decides it, the same for every caller."""
import yaml

from nnlab import colours

CONFIG = yaml.safe_load(open("config.yaml"))


def test_every_autoencoder_variant_has_its_own_colour_and_the_families_start_apart():
    mapping = colours.task_colours(CONFIG, "autoencoder")
    assert len(set(mapping.values())) == len(mapping) >= 18
    sweep = [c for n, c in mapping.items() if n.startswith("sweep-")]
    grid = [c for n, c in mapping.items() if n.startswith("grid-")]
    assert sweep[0] == colours.PALETTE[0] and grid[0] == colours.PALETTE[10]


def test_a_variant_keeps_its_colour_whatever_else_is_shown():
    plain = colours.task_colours(CONFIG, "recurrent")
    with_extra = colours.task_colours(CONFIG, "recurrent", extra=["zz-experiment", "lstm-full"])
    assert all(with_extra[name] == colour for name, colour in plain.items())
    assert with_extra["zz-experiment"] not in plain.values()


def test_scale_gives_each_shown_name_its_colour_in_the_order_shown():
    mapping = colours.task_colours(CONFIG, "recurrent")
    domain, range_ = colours.scale(mapping, ["gru-full", "rnn-full", "new"])
    assert domain == ["gru-full", "rnn-full", "new"]
    assert range_[:2] == [mapping["gru-full"], mapping["rnn-full"]] and range_[2] not in range_[:2]


def test_a_config_the_registry_cannot_read_still_colours_the_names_shown():
    assert colours.task_colours({}, "recurrent", extra=["b", "a"]) == {"a": colours.PALETTE[0],
                                                                        "b": colours.PALETTE[1]}
