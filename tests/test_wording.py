"""How numbers are written: levels, differences, estimates and their intervals (nnlab.wording)."""
import math

import numpy as np

from nnlab import wording
from nnlab.tasks import TASKS

ACCURACY = TASKS["recurrent"].key_metric                 # test_accuracy
LOSS = TASKS["recurrent"].metric("test_cross_entropy")


def test_numbers_levels_and_differences():
    assert wording.fmt(0.123456) == "0.1235" and wording.fmt(np.float32(2.5), 2) == "2.5"
    assert wording.fmt(np.int64(7)) == "7" and wording.fmt(12) == "12" and wording.fmt("x") == "x"
    assert [wording.fmt(v) for v in (None, math.nan, math.inf)] == ["–", "–", "–"]
    assert wording.level(ACCURACY, 0.9481) == "94.8%" and wording.level(LOSS, 0.9481) == "0.948"
    assert wording.level(ACCURACY, math.nan) == "–" and wording.level(None, 0.5) == "0.5"
    assert wording.difference(ACCURACY, 0.012) == 1.2 and wording.difference(LOSS, 0.012) == 0.012
    assert wording.amount(ACCURACY, -0.0123) == "1.2 points" and wording.amount(LOSS, -0.0123) == "0.0123"
    assert wording.difference_span(ACCURACY, -0.0004, 0.022) == "95% CI 0.0 to 2.2"      # no "-0.0"
    assert wording.difference_span(LOSS, -0.25, 0.5) == "95% CI -0.25 to 0.5"
    assert wording.p_text(0.0004) == "p < 0.001" and wording.p_text(0.1734) == "p = 0.17"


def test_estimates_say_their_interval_and_how_it_was_computed():
    """aggregate.json's interval names: a t interval over seeds (maybe clipped to the metric's range),
    one run's own interval on a set, or none."""
    t = {"mean": 0.948, "sd": 0.012, "n": 5, "low": 0.933, "high": 0.963, "interval": wording.t_name(5)}
    assert wording.estimate_text(ACCURACY, t) == "94.8% ± 1.2% sd (95% CI 93.3%–96.3%, t over 5 seeds)"
    assert wording.estimate_cell(t, metric=ACCURACY) == "94.8% (93.3%–96.3%)"
    clipped = dict(t, mean=0.99, low=0.97, high=1.0, interval=wording.t_name(5) + wording.CLIPPED)
    assert wording.how(ACCURACY, clipped) == "t over 5 seeds, clipped to the metric's range"
    assert wording.ci_text(ACCURACY, clipped) == "95% CI 97%–100%, t over 5 seeds, clipped to the metric's range"
    one = {"mean": 0.41, "sd": None, "n": 1, "low": 0.39, "high": 0.43, "interval": "test set"}
    assert wording.estimate_text(LOSS, one) == "0.41 (95% CI 0.39–0.43, normal over per-sample losses, test set)"
    assert wording.how(ACCURACY, one) == "Wilson, test set" and wording.sd_text(one) == ""
    bare = {"mean": 0.5, "sd": None, "n": 1, "low": None, "high": None, "interval": "none"}
    assert wording.estimate_text(ACCURACY, bare) == "50% (no interval: one run)"
    assert wording.span(bare) == "–" and wording.estimate_cell(bare, metric=ACCURACY) == "50%"
