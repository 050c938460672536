"""The statistics against hand-worked cases and textbook values."""
import math

import numpy as np
import pytest

from nnlab import stats


def test_wilson_interval_textbook_and_closed_form():
    low, high = stats.wilson(0, 10)                 # the textbook zero-successes case
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.2775, abs=1e-4)
    k, n, z = 81, 263, 1.959963984540054            # Newcombe (1998): 0.2553 to 0.3662
    p = k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert stats.wilson(k, n) == pytest.approx((centre - half, centre + half), abs=1e-9)
    assert stats.wilson(k, n) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert all(math.isnan(v) for v in stats.wilson(0, 0))


def test_t_interval_of_one_to_five():
    mean, sd, low, high = stats.t_interval([1, 2, 3, 4, 5])
    half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)    # t(0.975, 4) = 2.7764
    assert (mean, sd) == pytest.approx((3.0, math.sqrt(2.5))) and (low, high) == pytest.approx((3 - half, 3 + half))
    assert math.isnan(stats.t_interval([0.9])[2])


def test_mean_interval_is_normal():
    values = np.arange(100.0)
    mean, low, high = stats.mean_interval(values)
    assert mean == 49.5 and high - mean == pytest.approx(1.959964 * values.std(ddof=1) / 10, rel=1e-6)


@pytest.mark.parametrize("b, c, p", [(1, 6, 16 / 128), (0, 5, 2 / 32), (3, 3, 1.0), (0, 0, 1.0)])
def test_mcnemar_exact_hand_worked(b, c, p):
    # items: b only A right, c only B right, 10 both right, 4 both wrong
    a = np.array([1] * b + [0] * c + [1] * 10 + [0] * 4, bool)
    bb = np.array([0] * b + [1] * c + [1] * 10 + [0] * 4, bool)
    result = stats.mcnemar(a, bb)
    n = b + c + 14
    assert (result["b"], result["c"], result["n"]) == (b, c, n)
    assert result["p"] == pytest.approx(p)
    assert result["difference"] == pytest.approx((b - c) / n)
    half = 1.959964 * math.sqrt((b + c) - (b - c) ** 2 / n) / n
    assert result["high"] - result["difference"] == pytest.approx(half, rel=1e-6)


def test_paired_t_on_students_sleep_data():
    """Cushny and Peebles' sleep data (Student, 1908): R's t.test(paired = TRUE) gives
    t = -4.0621, df = 9, p = 0.002833, 95% CI -2.4598858 to -0.7001142."""
    drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    result = stats.paired_t(drug1, drug2)
    assert result["k"] == 10 and result["difference"] == pytest.approx(-1.58)
    assert result["p"] == pytest.approx(0.002833, abs=1e-6)
    assert (result["low"], result["high"]) == pytest.approx((-2.4598858, -0.7001142), abs=1e-6)


def test_paired_t_says_nothing_with_too_few_seeds():
    result = stats.paired_t([0.9, 0.8], [0.7, 0.75])
    assert result["difference"] == pytest.approx(0.125) and math.isnan(result["p"]) and math.isnan(result["low"])


def test_paired_mean_difference():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 2.0, 2.0, 3.5])
    result = stats.paired_mean_difference(a, b)
    d = a - b
    assert result["difference"] == pytest.approx(0.5)
    assert result["high"] - 0.5 == pytest.approx(1.959964 * d.std(ddof=1) / 2, rel=1e-6)
    assert result["p"] == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(0.5 / (d.std(ddof=1) / 2) / math.sqrt(2)))))


def test_holm_step_down():
    adjusted = stats.holm([0.01, 0.04, 0.03, 0.005, math.nan])
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[4])
