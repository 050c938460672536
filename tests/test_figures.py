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
