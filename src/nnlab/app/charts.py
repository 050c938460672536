"""The app's charts, in Altair, each drawn from a tidy frame; a variant's colour comes from nnlab.colours (one
colour per variant on every chart and page)."""
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnlab import tasks
from nnlab.colours import scale

MAX_POINTS = 500      # per curve: a longer history is drawn every k-th epoch (and its last)


LEGEND_CHARS = 96     # characters of legend labels per row: a row of long names gets fewer columns


def legend_columns(names):
    """Columns of a bottom legend so that no label is cut: 4, fewer when the longest name is long."""
    longest = max((len(str(n)) for n in names), default=1)
    return max(1, min(4, LEGEND_CHARS // max(longest + 4, 1)))


def show(chart, height, names=()):
    """`height`: the plotting area's; the width fits the container, axes and legends come on top. `names`: the
    legend's labels, shown whole (labelLimit 0: never cut; columns fewer when they are long)."""
    fit_width = alt.AutoSizeParams(type="fit-x", contains="padding")     # Streamlit's default "fit" squeezes the height
    st.altair_chart(chart.properties(height=height, autosize=fit_width).configure_legend(
        orient="bottom", columns=legend_columns(names), labelLimit=0, symbolOpacity=1),   # not a band's pale swatch
        width="stretch")


def colour_scale(colours, names):
    """alt.Scale giving each of `names` its colour from `colours` ({name: hex}, nnlab.colours.task_colours)."""
    domain, colour_range = scale(colours or {}, names)
    return alt.Scale(domain=domain, range=colour_range)


def title(text, subtitle=""):
    return alt.TitleParams(text, subtitle=subtitle or alt.Undefined, anchor="start")


def intervals(data, metric, caption=None, zero=False, colours=None, height=None):
    """A point per variant (columns variant, value, low, high, interval) with its 95% interval, on an axis that
    fits the values; colours {variant: hex}: each point in its variant's colour. zero (a forest plot of
    differences): an accuracy's differences in points, zero always on the axis (dashed), points filled where
    `real`. Intervals never run past the axis: its domain spans every bound (and is clipped to the metric's range)."""
    data = data.copy()
    if zero and metric.is_accuracy:                      # differences of accuracies: points, as the answers say
        data[["value", "low", "high"]] = 100.0 * data[["value", "low", "high"]].astype(float)
    ends = pd.concat([data["value"], data["low"], data["high"]]).dropna()
    ends = pd.concat([ends, pd.Series([0.0])]) if zero else ends
    low, high = float(ends.min()), float(ends.max())
    pad = 0.04 * (high - low) or 0.01 * max(abs(high), 1e-12)
    low, high = low - pad, high + pad
    if not zero and metric.bounds[0] is not None:
        low = max(low, metric.bounds[0])
    if not zero and metric.bounds[1] is not None:
        high = min(high, metric.bounds[1])
    if zero and metric.is_accuracy:
        low, high = max(low, -100.0), min(high, 100.0)
    percent = metric.is_accuracy and not zero
    axis = alt.Axis(format="%" if percent else "~g", tickCount=6)
    x_title = f"{metric.label}: difference in points" if zero and metric.is_accuracy else \
        f"{metric.label}: difference" if zero else metric.label
    names = list(dict.fromkeys(data["variant"]))
    y = alt.Y("variant:N", sort=None, title=None, axis=alt.Axis(labelLimit=0))
    number = ".1f" if zero and metric.is_accuracy else ".2%" if percent else ".4g"
    tooltip = ["variant", alt.Tooltip("value:Q", format=number), alt.Tooltip("low:Q", format=number),
               alt.Tooltip("high:Q", format=number), "interval"]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    x_scale = alt.Scale(domain=[low, high], nice=False, zero=False)
    hues = colour_scale(colours, names) if colours else None
    colour = (alt.Color("variant:N", scale=hues, legend=None) if colours
              else alt.value("#4c78a8"))
    rule = base.mark_rule(strokeWidth=2, clip=True).encode(
        x=alt.X("low:Q", scale=x_scale, title=x_title, axis=axis), x2="high:Q", color=colour)
    if zero:
        fill = alt.condition("datum.real", alt.Fill("variant:N", scale=hues, legend=None)
                             if colours else alt.value("#4c78a8"), alt.value("white"))
        point = base.mark_point(filled=True, size=70, opacity=1, strokeWidth=2, clip=True).encode(
            x="value:Q", fill=fill, stroke=alt.Stroke("variant:N", scale=hues, legend=None)
            if colours else alt.value("#4c78a8"))
    else:
        point = base.mark_point(filled=True, size=70, opacity=1, clip=True).encode(x="value:Q", color=colour)
    layers = [rule, point]
    if zero:
        layers.append(alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(
            x="zero:Q"))
    better = {True: "lower is better", False: "higher is better"}.get(metric.lower_is_better, "")
    caption = caption or f"{metric.label} per variant, with its 95% CI"
    chart = alt.layer(*layers).properties(title=title(caption, better))
    show(chart, height or max(60, 24 * len(data)))


def thin(frame):
    """(frame, k): every k-th row of a long history (and its last), at most about MAX_POINTS."""
    k = -(-len(frame) // MAX_POINTS)
    if k <= 1:
        return frame, 1
    return frame.iloc[sorted(set(range(0, len(frame), k)) | {len(frame) - 1})], k


def curve(frame, column, variant, split):
    """One column of a history as a long frame: its value and 95% band (low, high) within the column's range
    (tasks.history_bounds, the range the workflow clips history_mean.csv to; this keeps older files honest)."""
    lower, upper = tasks.history_bounds(column)
    low, high = (pd.to_numeric(frame[f"{column}_{end}"], errors="coerce").clip(lower, upper)
                 if f"{column}_{end}" in frame.columns else np.nan for end in ("low", "high"))
    return pd.DataFrame({"epoch": frame["epoch"], "value": frame[column], "low": low, "high": high,
                         "variant": variant, "split": split, "seeds": frame.get("n", np.nan)})


def long_curves(frames, columns):
    """frames {label: history}; columns [(column, label)] -> long frame epoch, value, low, high, variant, split
    (and seeds: the history's n, the runs a mean is taken over, where it has one)."""
    parts = [curve(frame, column, variant, split)
             for variant, frame in frames.items() for column, split in columns if column in frame.columns]
    if not parts:
        return pd.DataFrame(columns=["epoch", "value", "low", "high", "variant", "split", "seeds"])
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"]).astype({"low": float, "high": float})


def curves(frames, panel, height=240, colours=None):
    """A task's Panel over {label: history frame}: colour variant (colours {label: hex}: nnlab.colours'),
    dash split, a 95% band where there is one (clipped to the metric's range)."""
    data = long_curves(frames, panel.columns)
    if data.empty:
        st.caption(f"{panel.title}: no values recorded yet.")
        return
    banded = data["low"].notna().any()
    values = pd.concat([data["value"], data["low"], data["high"]]).dropna()
    scale = alt.Scale(type="log") if panel.log_scale and (values > 0).all() else alt.Scale(zero=False)
    if panel.percent:
        scale = alt.Scale(zero=False, domainMin=0.0 if values.min() < 0.05 else alt.Undefined,
                          domainMax=1.0 if values.max() > 0.95 else alt.Undefined)
    axis = alt.Axis(format="%" if panel.percent else "~g")
    splits = [label for _, label in panel.columns if label in set(data["split"])]
    names = list(frames)
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(zero=False, nice=False),
              axis=alt.Axis(tickMinStep=1, format="d"))
    color = alt.Color("variant:N", title=None, scale=colour_scale(colours, names), sort=names)
    tooltip = ["variant", "split", "epoch", alt.Tooltip("value:Q", format=".2%" if panel.percent else ".4g")]
    if data["seeds"].notna().any():
        tooltip.append(alt.Tooltip("seeds:Q", title="mean over seeds"))
    line = alt.Chart(data).mark_line(point=len(data) <= 200, clip=True).encode(
        x=x, y=alt.Y("value:Q", title=panel.y_title, scale=scale, axis=axis), color=color,
        strokeDash=alt.StrokeDash("split:N", legend=None,
                                  scale=alt.Scale(domain=splits, range=[[1, 0], [6, 4], [2, 2]][:len(splits)])),
        tooltip=tooltip)
    layers = [line]
    if banded:
        layers.insert(0, alt.Chart(data).mark_area(opacity=0.18, clip=True).encode(
            x=x, y=alt.Y("low:Q", scale=scale, stack=None, axis=axis), y2="high:Q", color=color, detail="split:N"))
    subtitle = ", ".join(f"{s}: {style}" for s, style in zip(splits, ["solid", "dashed", "dotted"]))
    show(alt.layer(*layers).properties(title=title(panel.title, subtitle if len(splits) > 1 else "")), height, names)


def panels(frames, panels, colours=None):
    """Every panel over the same curves, two to a row."""
    for column, panel in zip(st.columns(min(len(panels), 2)) * 2, panels):
        with column:
            curves(frames, panel, colours=colours)


def confusion(counts, caption, subtitle=""):
    """A confusion matrix (rows true, columns predicted): counts, coloured by their share of the row."""
    frame = counts.copy()
    frame.index, frame.columns = list(map(str, frame.index)), list(map(str, frame.columns))
    frame.index.name, frame.columns.name = "true", "predicted"
    long = frame.stack().rename("count").reset_index()
    totals = long.groupby("true")["count"].transform("sum").replace(0, np.nan)
    long["share"] = (long["count"] / totals).fillna(0.0)
    order = list(frame.columns)
    base = alt.Chart(long).encode(x=alt.X("predicted:N", sort=order, axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
                                  y=alt.Y("true:N", sort=order, axis=alt.Axis(labelOverlap=False)))
    share = alt.Color("share:Q", title="share of row", scale=alt.Scale(scheme="blues", domain=[0, 1]))
    rect = base.mark_rect().encode(color=share, tooltip=["true", "predicted", "count",
                                                         alt.Tooltip("share:Q", format=".0%")])
    contrast = alt.condition("datum.share > 0.5", alt.value("white"), alt.value("black"))
    text = base.mark_text(fontSize=12).encode(text="count:Q", color=contrast)
    show(alt.layer(rect, text).properties(title=title(caption, subtitle)), 30 * len(order))


def plot(mark, data, caption, height=200, names=(), **encoding):
    """A tidy frame as `mark` ("bar", "line", ...) with tooltips; the channels as Altair encodings; `names`: the
    legend's labels (show())."""
    chart = alt.Chart(data, mark=alt.MarkDef(mark, tooltip=True), title=title(caption))
    show(chart.encode(**encoding), height, names)
