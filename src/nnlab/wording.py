"""How nnlab writes its numbers, wherever it shows them (the workflow's answers, the app): a metric's level (an
accuracy in percent), a difference (an accuracy's in points), a p-value, and an estimate of aggregate.json with
its 95% interval and how that interval was computed, by the names aggregates give their intervals."""
import math

import numpy as np

CLIPPED = ", clipped to the metric's range"   # the end of an aggregate's interval text when clipped


def t_name(k):
    """How a t interval over k seeds is named in aggregates and the app: "t, 5 seeds"."""
    return f"t, {k} seeds"


def fmt(value, digits=4):
    """A number to `digits` significant digits; "–" for none, nan or inf; anything else as its text."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}g}" if math.isfinite(value) else "–"
    return "–" if value is None else str(int(value)) if isinstance(value, np.integer) else str(value)


def level(metric, x, digits=3):
    """A metric's value: an accuracy in percent ("94.8%"), others as numbers (metric None: a number)."""
    accuracy = metric is not None and metric.is_accuracy and isinstance(x, (int, float)) and math.isfinite(x)
    return f"{fmt(100.0 * x, digits)}%" if accuracy else fmt(x, digits)


def difference(metric, d):
    """A difference a − b as its number is said: an accuracy's in points (0.012 -> 1.2)."""
    return 100 * d if metric.is_accuracy and isinstance(d, (int, float)) else d


def signed(value, spec):
    """value formatted by spec, without the sign of a value that rounds to zero ("-0.0")."""
    text = format(value, spec)
    return text.lstrip("+-") if float(text) == 0 else text


def amount(metric, d):
    """The size of a difference in words: "1.2 points" of an accuracy, "0.0123" of anything else."""
    return f"{abs(difference(metric, d)):.1f} points" if metric.is_accuracy else f"{abs(d):.4g}"


def signed_amount(metric, d):
    """A difference with its sign and the metric's label, where no direction is said: "+1.2 points of test
    accuracy", "-0.0123 of test cross-entropy"."""
    number = signed(difference(metric, d), "+.1f" if metric.is_accuracy else "+.4g")
    return f"{number} {'points of ' if metric.is_accuracy else 'of '}{metric.label}"


def difference_bounds(metric):
    """(low, high) that a difference a − b of `metric` can take (None: unbounded on that side): an accuracy's
    lies in [−1, 1] (−100 to 100 points); a loss's, bounded below by 0 only, is unbounded both ways."""
    low, high = metric.bounds
    return (None if high is None or low is None else low - high, None if high is None or low is None else high - low)


def clip_difference(metric, low, high):
    """(low, high, clipped): a difference's interval clipped to the range the difference can take
    (difference_bounds), and whether it was."""
    lowest, highest = difference_bounds(metric)
    new_low = low if lowest is None or not math.isfinite(low) else max(low, lowest)
    new_high = high if highest is None or not math.isfinite(high) else min(high, highest)
    return new_low, new_high, (new_low, new_high) != (low, high)


def oriented(d, low, high):
    """(size, low, high) of a difference d with its interval (low, high), as the size is said: |d|, with the
    interval of |d|'s direction (for d < 0 the interval of −d: negated and swapped), so the size always lies
    in the interval said beside it and a positive interval means "in the direction said"."""
    return (d, low, high) if d >= 0 else (-d, -high, -low)


def difference_span(metric, low, high, clipped=False):
    """"95% CI -0.4 to 2.2": a difference's interval, an accuracy's in points; ", clipped to the metric's
    range" when clipped (clip_difference)."""
    spec = ".1f" if metric.is_accuracy else ".4g"
    return (f"95% CI {signed(difference(metric, low), spec)} to {signed(difference(metric, high), spec)}"
            + (CLIPPED if clipped else ""))


def said_difference(metric, a, b, d, low, high, clipped=False, words=("better than", "worse than"),
                    level="level with"):
    """A difference a − b of `metric` in words, the one way the workflow's answers and the claims say it:
    (head, span), e.g. ("gru-full is better than rnn-full by 8.1 points of test accuracy",
    "95% CI 7.2 to 9.1"). The size is unsigned and its interval is the interval of that size (oriented):
    "better than X by 0.596 of test cross-entropy (95% CI 0.407 to 0.785)". The metric is named by its
    label, as the app's selectors name it. words: how a is said against b when a is ahead, behind."""
    if d == 0 or not math.isfinite(d):
        head = f"{a} is {level} {b} in {metric.label}"
        return head, difference_span(metric, low, high, clipped)
    ahead = (d < 0) if metric.lower_is_better else (d > 0)
    size, s_low, s_high = oriented(d, low, high)
    unit = "points of " if metric.is_accuracy else "of "
    number = f"{difference(metric, size):.1f}" if metric.is_accuracy else f"{size:.4g}"
    head = f"{a} is {words[0] if ahead else words[1]} {b} by {number} {unit}{metric.label}"
    return head, difference_span(metric, s_low, s_high, clipped)


def p_text(p, name="p"):
    """"p = 0.17", "p < 0.001" below 0.001 (never "0" or "4.5e-285"), "no p-value" for none; name: e.g.
    "Holm-adjusted p"."""
    if p is None or not isinstance(p, (int, float, np.floating)) or not math.isfinite(p):
        return f"no {name}-value" if name == "p" else f"no {name}"
    return f"{name} < 0.001" if p < 0.001 else f"{name} = {p:.2g}"


def has_interval(estimate):
    return all(isinstance(estimate.get(k), (int, float)) and math.isfinite(estimate[k]) for k in ("low", "high"))


def span(estimate, digits=3, metric=None):
    """"93%–96%": an estimate's interval ("–" when it has none)."""
    return (f"{level(metric, estimate['low'], digits)}–{level(metric, estimate['high'], digits)}"
            if has_interval(estimate) else "–")


def sd_text(estimate, metric=None):
    """" ± 0.012 sd" (" ± 1.2% sd" for an accuracy) when the interval is a t interval over seeds, else ""."""
    t = has_interval(estimate) and estimate["interval"].startswith("t,")
    return f" ± {level(metric, estimate['sd'], 2)} sd" if t else ""


def how(metric, estimate):
    """How an estimate's interval was computed, in words ("" when it has none)."""
    interval = estimate.get("interval", "none")
    if interval.endswith(" set"):          # one run's own interval on its test, validation, ... set
        return f"Wilson, {interval}" if metric.is_accuracy else f"normal over per-sample losses, {interval}"
    if interval.startswith("t,"):
        return f"t over {fmt(estimate.get('n'), 6)} seeds" + (CLIPPED if interval.endswith(CLIPPED) else "")
    return ""


def ci_text(metric, estimate):
    """e.g. "95% CI 93%–96%, t over 5 seeds" (the estimate has an interval)."""
    return f"95% CI {span(estimate, 3, metric)}, {how(metric, estimate)}"


def estimate_text(metric, estimate):
    """e.g. "94.8% ± 1.2% sd (95% CI 93%–96%, t over 5 seeds)"; "no interval" said so."""
    text = level(metric, estimate.get("mean")) + sd_text(estimate, metric)
    if has_interval(estimate):
        return f"{text} ({ci_text(metric, estimate)})"
    n = estimate.get("n")
    return f"{text} (no interval: {'one run' if n in (None, 1) else f'{fmt(n, 6)} runs'})"


def estimate_cell(estimate, metric=None):
    """A table cell: "95.17% (93.4%–96.6%)", or the value alone when it has no interval."""
    text = level(metric, estimate.get("mean"), 4)
    return f"{text} ({span(estimate, 3, metric)})" if has_interval(estimate) else text
