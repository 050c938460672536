"""How nnlab says whether a number, or a difference between two variants, is real.

Two sources of uncertainty, both at 95%:

- the finite test set, from one run: an accuracy's Wilson interval; a mean cross-entropy's
  normal interval mean +- 1.96 sd / sqrt(n) over the per-sample losses; two classifiers on
  the same test items: McNemar's exact test on the discordant items and the paired accuracy
  difference with its interval; two language models: the paired per-sample cross-entropy
  difference, mean +- 1.96 sd / sqrt(n);
- training randomness, from replicates (seeds): a metric's t interval over k seeds; two
  variants paired by seed: the mean difference, its t interval and the paired t-test p-value
  (fewer than 3 seeds: too few to say).

Many pairs compared at once: Holm-adjusted p-values within a task; a difference is called real
only when its adjusted p < 0.05. scipy.stats supplies the distributions; it is imported on
first use (it takes seconds to import), so readers of the results, such as the app, never
pay for it.
"""
import math

import numpy as np

LEVEL = 0.95
MIN_SEEDS = 3          # fewer seeds than this: too few to say anything about a difference
ALPHA = 0.05           # a difference is real when its Holm-adjusted p is below this
SAME = 1e-9            # paired differences whose sd is below this share of their size differ by rounding only


def is_real(p_holm):
    """Whether Holm-adjusted p-values (a number or a column) call differences real; NaN: no."""
    return p_holm < ALPHA


def _scipy_stats():
    from scipy import stats

    return stats


def _z(level=LEVEL):
    return float(_scipy_stats().norm.ppf(0.5 + level / 2))


def wilson(k, n, level=LEVEL):
    """(low, high): Wilson score interval of the proportion k / n (NaN, NaN when n is 0)."""
    if n == 0:
        return math.nan, math.nan
    ci = _scipy_stats().binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def mean_interval(values, level=LEVEL):
    """(mean, low, high): normal interval mean +- z sd / sqrt(n) of many per-sample values."""
    v = np.asarray(values, np.float64)
    mean = float(v.mean()) if v.size else math.nan
    if v.size < 2:
        return mean, math.nan, math.nan
    half = _z(level) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return mean, mean - half, mean + half


def t_interval(values, level=LEVEL):
    """(mean, sd, low, high) over k replicates: mean +- t(1 - (1 - level)/2, k - 1) sd / sqrt(k).
    sd and the interval are NaN with fewer than 2 values."""
    v = np.asarray(values, np.float64)
    k = v.size
    mean = float(v.mean()) if k else math.nan
    if k < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(v.std(ddof=1))
    half = float(_scipy_stats().t.ppf(0.5 + level / 2, k - 1)) * sd / math.sqrt(k)
    return mean, sd, mean - half, mean + half


def mcnemar(correct_a, correct_b, level=LEVEL):
    """Two classifiers on the same n test items (boolean arrays: item right or wrong).

    b = items only A gets right, c = items only B gets right. Returns a dict: n, b, c,
    difference = accuracy A - accuracy B = (b - c) / n, its interval (low, high) from the
    paired-proportions variance ((b + c) - (b - c)^2 / n) / n^2, and p, McNemar's exact test:
    two-sided binomial test of b out of b + c at 1/2 (1 when there are no discordant items)."""
    a, bb = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    n = int(a.size)
    b, c = int(np.count_nonzero(a & ~bb)), int(np.count_nonzero(~a & bb))
    difference = (b - c) / n if n else math.nan
    half = _z(level) * math.sqrt(max((b + c) - (b - c) ** 2 / n, 0.0)) / n if n else math.nan
    p = float(_scipy_stats().binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0
    return {"n": n, "b": b, "c": c, "difference": difference, "low": difference - half, "high": difference + half,
            "p": p}


def paired_mean_difference(values_a, values_b, level=LEVEL):
    """Per-item values of two models on the same items (e.g. per-sample cross-entropies):
    dict n, difference = mean(a - b), its normal interval, and the two-sided p of a z test."""
    d = np.asarray(values_a, np.float64) - np.asarray(values_b, np.float64)
    mean, low, high = mean_interval(d, level)
    se = float(d.std(ddof=1)) / math.sqrt(d.size) if d.size > 1 else math.nan
    p = float(2 * _scipy_stats().norm.sf(abs(mean) / se)) if se and se > 0 else (1.0 if mean == 0 else math.nan)
    return {"n": int(d.size), "difference": mean, "low": low, "high": high, "p": p}


def paired_t(values_a, values_b, level=LEVEL):
    """Two variants paired by seed: dict k, difference = mean(a - b), its t interval and the
    paired t-test p-value; the interval and p are NaN with fewer than MIN_SEEDS seeds, and p is
    NaN when every seed gives the same difference (nothing is known about the noise then)."""
    a, b = np.asarray(values_a, np.float64), np.asarray(values_b, np.float64)
    d = a - b
    k = int(d.size)
    mean = float(d.mean()) if k else math.nan
    if k < MIN_SEEDS:
        return {"k": k, "difference": mean, "low": math.nan, "high": math.nan, "p": math.nan}
    _, _, low, high = t_interval(d, level)
    if float(d.std(ddof=1)) <= SAME * float(np.abs(d).max()):     # identical differences, but for rounding
        p = math.nan                                              # (0.1 + 0.2 - 0.3): no noise known, no test
    else:
        p = float(_scipy_stats().ttest_rel(a, b).pvalue)
    return {"k": k, "difference": mean, "low": low, "high": high, "p": p}


def holm(pvalues):
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN, and is not counted)."""
    p = np.asarray(pvalues, np.float64)
    out = np.full(p.shape, math.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = idx.size
    running = 0.0
    for rank, i in enumerate(idx[np.argsort(p[idx], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out
