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


def test_a_size_and_its_interval_share_one_sign_convention():
    """The size is said unsigned, beside the interval of that size: a lower loss by 0.5958 with a - b's
    interval -0.7849 to -0.4067 reads "better ... by 0.5958 ... (95% CI 0.4067 to 0.7849)"."""
    head, span = wording.said_difference(LOSS, "d8-p16", "d32-p256", -0.5958, -0.7849, -0.4067)
    assert head == "d8-p16 is better than d32-p256 by 0.5958 of test cross-entropy"
    assert span == "95% CI 0.4067 to 0.7849"
    head, span = wording.said_difference(ACCURACY, "rnn-full", "gru-full", -0.081, -0.091, 0.012)
    assert head == "rnn-full is worse than gru-full by 8.1 points of test accuracy"
    assert span == "95% CI -1.2 to 9.1"                 # the interval of "worse by": 8.1 lies in it
    head, span = wording.said_difference(ACCURACY, "gru-full", "rnn-full", 0.081, 0.072, 0.091)
    assert (head, span) == ("gru-full is better than rnn-full by 8.1 points of test accuracy", "95% CI 7.2 to 9.1")
    head, _ = wording.said_difference(LOSS, "a", "b", 0.0, -0.1, 0.1)
    assert head == "a is level with b in test cross-entropy"
    assert wording.oriented(-2.0, -3.0, 1.0) == (2.0, -1.0, 3.0) and wording.oriented(2.0, 1.0, 3.0) == (2.0, 1.0, 3.0)


def test_metrics_are_named_by_their_labels_never_their_keys():
    for metric in (LOSS, ACCURACY, TASKS["autoencoder"].key_metric):
        head, _ = wording.said_difference(metric, "a", "b", 0.01, 0.0, 0.02)
        assert metric.label in head and metric.name not in head


def test_p_values_below_a_thousandth_are_said_so_never_as_zero_or_exponents():
    assert wording.p_text(0.0) == "p < 0.001" and wording.p_text(4.5e-285) == "p < 0.001"
    assert wording.p_text(0.00099) == "p < 0.001" and wording.p_text(0.001) == "p = 0.001"
    assert wording.p_text(0.6712) == "p = 0.67" and wording.p_text(np.float64(0.0412)) == "p = 0.041"
    assert wording.p_text(1e-300, "Holm-adjusted p") == "Holm-adjusted p < 0.001"
    assert wording.p_text(math.nan) == "no p-value" and wording.p_text(None, "Holm-adjusted p") == "no Holm-adjusted p"
    assert "e-" not in wording.p_text(0.0012)


def test_intervals_of_differences_are_clipped_to_what_a_difference_can_be_and_say_so():
    assert wording.difference_bounds(ACCURACY) == (-1.0, 1.0)             # -100 to 100 points
    assert wording.difference_bounds(LOSS) == (None, None)                 # losses: >= 0 each, unbounded apart
    assert wording.clip_difference(ACCURACY, -1.047, 0.2) == (-1.0, 0.2, True)
    assert wording.clip_difference(ACCURACY, -0.5, 0.2) == (-0.5, 0.2, False)
    assert wording.clip_difference(LOSS, -104.7, 3.0) == (-104.7, 3.0, False)
    _, span = wording.said_difference(ACCURACY, "a", "b", -0.4, -1.0, 0.2, clipped=True)
    assert span == "95% CI -20.0 to 100.0, clipped to the metric's range"
    assert wording.difference_span(ACCURACY, -1.0, 0.2, clipped=False) == "95% CI -100.0 to 20.0"


def test_a_difference_without_a_direction_keeps_its_sign():
    assert wording.signed_amount(ACCURACY, -0.0123) == "-1.2 points of test accuracy"
    assert wording.signed_amount(LOSS, 0.0123) == "+0.0123 of test cross-entropy"
    assert wording.signed_amount(ACCURACY, -0.0001) == wording.signed_amount(ACCURACY, 0.0001) == \
        "0.0 points of test accuracy"                                                  # no "-0.0", no "+0.0"
