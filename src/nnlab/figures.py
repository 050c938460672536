"""Figures shared by the experiments (matplotlib, Agg backend, saved atomically)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from nnlab import colours, wording  # noqa: E402
from nnlab.io import save_figure  # noqa: E402


def tile(images, cols=None, pad=1, fill=1.0):
    """images (n, h, w[, 3]) -> one mosaic array with `pad` pixels of `fill` between tiles."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    shape = (rows * (h + pad) + pad, cols * (w + pad) + pad) + images.shape[3:]
    mosaic = np.full(shape, fill, dtype=np.float64)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        mosaic[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = img
    return mosaic


def normalize_each(images):
    """Contrast-normalise each image to [0, 1] on its own."""
    images = np.asarray(images, np.float64)
    lo = images.min(axis=tuple(range(1, images.ndim)), keepdims=True)
    hi = images.max(axis=tuple(range(1, images.ndim)), keepdims=True)
    return (images - lo) / np.where(hi > lo, hi - lo, 1)


def save_mosaic(path, mosaic, title=None, cmap="gray", size=6):
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    save_figure(path, fig)


def save_curves(path, history, panels, title=None):
    """One chart per panel (nnlab.tasks.Panel: its history columns against epoch)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for column, label in panel.columns:
            if column in history and history[column].notna().any():
                ax.plot(history["epoch"], history[column], marker=".", label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(panel.y_title)
        ax.set_title(panel.title)
        if panel.log_scale:
            ax.set_yscale("log")
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(path, fig)


def save_forest(path, table, metric, title=None, config=None, task=None):
    """A forest plot of experiment comparisons (nnlab.replicates.experiment_comparisons): one row
    per experiment and variant, the difference in `metric` (a nnlab.tasks.Metric) against the
    baseline with its 95% interval, a line at zero; filled where the difference is real (Holm-
    adjusted p < 0.05), open where it is not distinguishable or has no interval. Each row in its
    variant's colour (nnlab.colours.task_colours of `config` and `task`), as in the app."""
    rows = table[table["metric"] == metric.name].reset_index(drop=True) if len(table) else table
    palette = colours.task_colours(config, task, list(rows["variant"]) if len(rows) else [])
    unit = " (points)" if metric.is_accuracy else ""
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * max(len(rows), 1)))
    for i, row in rows.iterrows():
        y = len(rows) - 1 - i
        d, low, high = (wording.difference(metric, row[k]) for k in ("difference", "low", "high"))
        real, colour = row["real"], palette[row["variant"]]
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [y, y], color=colour, lw=2)
        ax.plot([d], [y], "o", color=colour, mfc=colour if real else "white", ms=7)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(rows)), [f"{r['variant']} ({r['experiment']})" for _, r in rows.iloc[::-1].iterrows()])
    better = "lower" if metric.lower_is_better else "higher"
    ax.set_xlabel(f"{metric.label}: experiment - baseline{unit}, 95% CI ({better} is better)")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    save_figure(path, fig)
