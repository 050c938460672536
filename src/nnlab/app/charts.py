"""The app's charts, in Altair, each drawn from a tidy frame."""
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

MAX_POINTS = 500      # per curve: a longer history is drawn every k-th epoch (and its last)


def show(chart, height):
    """`height`: the plotting area's; the width fits the container, axes and legends come on top."""
    fit_width = alt.AutoSizeParams(type="fit-x", contains="padding")     # Streamlit's default "fit" squeezes the height
    st.altair_chart(chart.properties(height=height, autosize=fit_width).configure_legend(
        orient="bottom", columns=4, labelLimit=240, symbolOpacity=1), width="stretch")   # not a band's pale swatch


def title(text, subtitle=""):
    return alt.TitleParams(text, subtitle=subtitle or alt.Undefined, anchor="start")


def intervals(data, metric, caption=None, zero=False):
    """A point per variant (columns variant, value, low, high, interval) with its 95% interval, on an axis that
    fits the values; zero (a forest plot of differences): a line at zero, points filled where `real`."""
    axis = alt.Axis(format="%" if metric.is_accuracy else "~g")
    y = alt.Y("variant:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = ["variant", alt.Tooltip("value:Q", format=".4g"), alt.Tooltip("low:Q", format=".4g"),
               alt.Tooltip("high:Q", format=".4g"), "interval"]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    rule = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low:Q", scale=alt.Scale(zero=False), title=metric.label, axis=axis), x2="high:Q")
    fill = alt.condition("datum.real", alt.value("#4c78a8"), alt.value("white")) if zero else alt.value("#4c78a8")
    point = base.mark_point(filled=True, size=70, opacity=1, stroke="#4c78a8").encode(x="value:Q", fill=fill)
    layers = [rule, point]
    if zero:
        layers.append(alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(
            x="zero:Q"))
    better = {True: "lower is better", False: "higher is better"}.get(metric.lower_is_better, "")
    caption = caption or f"{metric.label} per variant, with its 95% CI"
    chart = alt.layer(*layers).properties(title=title(caption, better))
    show(chart, max(60, 24 * len(data)))


def thin(frame):
    """(frame, k): every k-th row of a long history (and its last), at most about MAX_POINTS."""
    k = -(-len(frame) // MAX_POINTS)
    if k <= 1:
        return frame, 1
    return frame.iloc[sorted(set(range(0, len(frame), k)) | {len(frame) - 1})], k


def long_curves(frames, columns):
    """frames {label: history}; columns [(column, label)] -> long frame epoch, value, low, high, variant, split."""
    parts = [pd.DataFrame({"epoch": frame["epoch"], "value": frame[column], "low": frame.get(f"{column}_low", np.nan),
                           "high": frame.get(f"{column}_high", np.nan), "variant": variant, "split": split})
             for variant, frame in frames.items() for column, split in columns if column in frame.columns]
    if not parts:
        return pd.DataFrame(columns=["epoch", "value", "low", "high", "variant", "split"])
    return pd.concat(parts, ignore_index=True).dropna(subset=["value"]).astype({"low": float, "high": float})


def curves(frames, panel, height=240):
    """A task's Panel over {label: history frame}: colour variant, dash split, a 95% band where there is one."""
    data = long_curves(frames, panel.columns)
    if data.empty:
        st.caption(f"{panel.title}: no values recorded yet.")
        return
    banded = data["low"].notna().any()
    values = pd.concat([data["value"], data["low"], data["high"]]).dropna()
    scale = alt.Scale(type="log") if panel.log_scale and (values > 0).all() else alt.Scale(zero=False)
    axis = alt.Axis(format="%" if panel.percent else "~g")
    splits = [label for _, label in panel.columns if label in set(data["split"])]
    x = alt.X("epoch:Q", title="epoch", scale=alt.Scale(zero=False, nice=False),
              axis=alt.Axis(tickMinStep=1, format="d"))
    color = alt.Color("variant:N", title=None, scale=alt.Scale(scheme="tableau10"))   # distinct hues, none pale
    line = alt.Chart(data).mark_line(point=len(data) <= 200).encode(
        x=x, y=alt.Y("value:Q", title=panel.y_title, scale=scale, axis=axis), color=color,
        strokeDash=alt.StrokeDash("split:N", legend=None,
                                  scale=alt.Scale(domain=splits, range=[[1, 0], [6, 4], [2, 2]][:len(splits)])),
        tooltip=["variant", "split", "epoch", alt.Tooltip("value:Q", format=".2%" if panel.percent else ".4g")])
    layers = [line]
    if banded:
        layers.insert(0, alt.Chart(data).mark_area(opacity=0.18).encode(
            x=x, y=alt.Y("low:Q", scale=scale, stack=None, axis=axis), y2="high:Q", color=color, detail="split:N"))
    subtitle = ", ".join(f"{s}: {style}" for s, style in zip(splits, ["solid", "dashed", "dotted"]))
    show(alt.layer(*layers).properties(title=title(panel.title, subtitle if len(splits) > 1 else "")), height)


def panels(frames, panels):
    """Every panel over the same curves, two to a row."""
    for column, panel in zip(st.columns(min(len(panels), 2)) * 2, panels):
        with column:
            curves(frames, panel)


def confusion(counts, caption):
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
    show(alt.layer(rect, text).properties(title=title(caption)), 30 * len(order))


def plot(mark, data, caption, height=200, **encoding):
    """A tidy frame as `mark` ("bar", "line", ...) with tooltips; the channels as Altair encodings."""
    chart = alt.Chart(data, mark=alt.MarkDef(mark, tooltip=True), title=title(caption))
    show(chart.encode(**encoding), height)
