"""The workflow's figures (nnlab.figures): what their axes say."""
import pandas as pd
from matplotlib.ticker import PercentFormatter

from nnlab import figures
from nnlab.tasks import TASKS


def test_curves_show_accuracies_in_percent_and_losses_as_numbers(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(figures, "save_figure", lambda path, fig: saved.append(fig))
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [0.9, 0.5], "val_loss": [1.0, 0.7],
                            "train_accuracy": [0.6, 0.8], "val_accuracy": [0.55, 0.75], "grad_norm": [2.0, 1.0]})
    panels = TASKS["recurrent"].panels                     # cross-entropy, accuracy, gradient norm
    figures.save_curves(tmp_path / "curves.png", history, panels)
    [fig] = saved
    percent = [isinstance(ax.yaxis.get_major_formatter(), PercentFormatter) for ax in fig.axes]
    assert percent == [p.percent for p in panels] == [False, True, False]


# ------------------------------------------------------------------ one colour per variant (issue 28)

import matplotlib.colors as mcolors  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from conftest import ROOT  # noqa: E402
from nnlab import claims, claims_figures, colours  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def same(a, b):
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def test_the_forest_draws_each_variant_in_its_one_colour(tmp_path, monkeypatch):
    saved = []
    monkeypatch.setattr(figures, "save_figure", lambda path, fig: saved.append(fig))
    table = pd.DataFrame({"metric": "test_accuracy", "experiment": ["lr", "lr", "wide"],
                          "variant": ["gru-full", "rnn-full", "rnn-full"], "difference": [0.01, -0.02, 0.03],
                          "low": [-0.01, -0.03, 0.01], "high": [0.03, -0.01, 0.05], "real": [False, True, True]})
    figures.save_forest(tmp_path / "f.png", table, TASKS["recurrent"].key_metric, config=CONFIG, task="recurrent")
    [fig] = saved
    expected = colours.task_colours(CONFIG, "recurrent")
    lines = [line for line in fig.axes[0].lines if line.get_linestyle() != "--"]     # the zero line is dashed
    drawn = {}
    for line in lines:
        y = line.get_ydata()[0]
        drawn.setdefault(int(y), set()).add(mcolors.to_hex(line.get_color()))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]                  # bottom to top
    for y, label in enumerate(labels):
        assert drawn[y] == {expected[label.split(" (")[0]]}
    assert expected["gru-full"] != expected["rnn-full"]


def history(epochs, accuracy, loss):
    return pd.DataFrame({"epoch": range(1, epochs + 1), "val_accuracy": accuracy, "val_loss": loss})


def test_claims_curves_take_the_variants_colours_and_stop_where_the_first_seed_stopped(tmp_path, monkeypatch):
    """Three seeds stopping at epochs 6, 6 and 3: the mean line ends at epoch 3 (every seed), in the
    variant's colour, and its accuracy band stays within 0-100% though the seeds disagree wildly."""
    rng = np.random.default_rng(0)
    stops = {0: 6, 1: 6, 2: 3}
    folders = {}
    for seed, epochs in stops.items():
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        accuracy = np.clip(rng.uniform(0.0, 1.0, epochs), 0, 1)
        history(epochs, accuracy, rng.uniform(0.0, 5.0, epochs)).to_csv(folder / "history.csv", index=False)
        folders[seed] = folder
    monkeypatch.setattr(claims, "runs", lambda root, task, variant, seeds: [(s, {}, folders[s]) for s in seeds]
                        if variant == "d16-p128" else [])
    saved = []
    monkeypatch.setattr(claims_figures, "save_figure", lambda path, fig: saved.append(fig))
    claims_figures.lm_curves({"course": tmp_path, "tuned": tmp_path}, [0, 1, 2], tmp_path / "c.png", CONFIG)
    [fig] = saved
    expected = colours.task_colours(CONFIG, "language_model")["d16-p128"]
    left, right = fig.axes[:2]
    curves = [line for ax in (left, right) for line in ax.lines if line.get_label().startswith("d16-p128")]
    assert len(curves) == 4 and all(same(line.get_color(), expected) for line in curves)
    assert all(list(line.get_xdata()) == [1, 2, 3] for line in curves)       # not epochs 4-6 over 2 seeds
    for band in right.collections:                                            # accuracy bands within [0, 1]
        y = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        assert y.min() >= 0.0 and y.max() <= 1.0
    for band in left.collections[1:]:                                         # [0]: the report's shaded span
        y = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        assert y.min() >= 0.0


def test_claims_interval_figures_take_the_variants_colours(tmp_path, monkeypatch):
    monkeypatch.setattr(claims_figures, "_values", lambda root, task, variant, seeds, key: [1.0, 1.2, 1.1])
    saved = []
    monkeypatch.setattr(claims_figures, "save_figure", lambda path, fig: saved.append(fig))
    claims_figures.speed({"course": tmp_path, "tuned": tmp_path}, [0, 1, 2], tmp_path / "s.png", CONFIG)
    [fig] = saved
    expected = colours.task_colours(CONFIG, "recurrent")
    points = [line for line in fig.axes[0].lines if line.get_marker() == "o"]
    labels = [t.get_text().split(",")[0] for t in fig.axes[0].get_yticklabels()]
    assert [mcolors.to_hex(p.get_color()) for p in points] == [expected[v] for v in labels]
    bars = fig.axes[1].patches
    assert [mcolors.to_hex(b.get_facecolor()) for b in bars] == [expected[v] for v in ("rnn-full", "lstm-full",
                                                                                        "gru-full")]
