"""The tasks nnlab runs, in one registry, and the results layout (docs/results.md). The
workflow, the aggregates, the app, gradcheck and the models' loader read them here; no other
file spells the task list or where a run's files go.

A task is one experiment: its variants come from the config (nnlab.variants), each variant is
trained once per seed, and every run of it writes the same files into run_dir(). The task says
which metrics its runs report (the first is its key metric), how each is read (lower or higher
is better, its range), which are compared between variants, and which learning curves and
figures the app shows.
"""
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from nnlab import variants

RESULTS = "results"
SEED_FOLDER = re.compile(r"seed(\d+)")


@dataclass(frozen=True)
class Metric:
    """One metrics.json key. kind: 'accuracy' (a share in [0, 1], shown in points), 'loss' (>= 0),
    or 'count' / 'seconds' / 'value' (shown as is, never compared)."""
    name: str
    label: str
    kind: str = "loss"
    lower_is_better: bool | None = None     # None: neither (a count, a time, an activation)
    compared: bool = False                  # in summary/<task>_comparisons.csv

    @property
    def is_accuracy(self):
        return self.kind == "accuracy"

    @property
    def bounds(self):
        """(low, high) that every value of this metric lies in (None: unbounded on that side)."""
        return {"accuracy": (0.0, 1.0), "loss": (0.0, None), "count": (0.0, None),
                "seconds": (0.0, None)}.get(self.kind, (None, None))


def _accuracy(name, label, compared=False):
    return Metric(name, label, "accuracy", lower_is_better=False, compared=compared)


def _loss(name, label, compared=False):
    return Metric(name, label, "loss", lower_is_better=True, compared=compared)


# Every run reports these too (nnlab.results.write_metrics).
TRAINING_METRICS = (
    Metric("best_epoch", "best epoch", "count"),
    Metric("epochs_run", "epochs run", "count"),
    Metric("seconds_per_epoch", "seconds per epoch", "seconds"),
)


@dataclass(frozen=True)
class Panel:
    """One learning-curve chart: history.csv columns with their legend labels."""
    title: str
    columns: tuple          # ((column, label), ...)
    y_title: str
    log_scale: bool = False
    percent: bool = False   # shares in [0, 1] (accuracies), shown in percent as everywhere else


# The kind of a history.csv column, by how its name ends (the one place that maps history columns to
# metric kinds; the range is the kind's, Metric.bounds): accuracies are shares in [0, 1]; losses,
# cross-entropies, norms, perplexities and seconds are >= 0. replicates.mean_history clips each band to it.
HISTORY_KINDS = ((("accuracy",), "accuracy"),
                 (("loss", "cross_entropy", "norm", "perplexity", "seconds"), "loss"))


def history_bounds(column):
    """(low, high) that every value of a history.csv column lies in (None: unbounded on that side)."""
    for endings, kind in HISTORY_KINDS:
        if column.endswith(endings):
            return Metric(column, column, kind).bounds
    return (None, None)


LOSS = (("train_loss", "train"), ("val_loss", "validation"))
ACCURACY = (("train_accuracy", "train"), ("val_accuracy", "validation"))


@dataclass(frozen=True)
class Task:
    name: str               # folder under results/, the summary's file name, metrics.json 'task'
    title: str
    description: str        # one line
    variants: object        # config -> {variant: hyper-parameters} (nnlab.variants)
    metrics: tuple          # its own metrics; the first is the key metric
    panels: tuple           # learning curves
    figures: tuple          # ((file in a run folder, caption), ...)
    model: str              # "module:Class" of the model its params.npz holds
    selection: str          # the metric a sweep picks its winner on: a validation one, never the test set's
    icon: str = ":material/science:"    # the app's page icon
    evaluation_set: str = "test set"    # what the compared runs are evaluated on, in words

    @property
    def key_metric(self):
        return self.metrics[0]

    @property
    def all_metrics(self):
        return self.metrics + TRAINING_METRICS

    @property
    def compared(self):
        """The metrics compared between variants, the key metric first."""
        return [m for m in self.metrics if m.compared]

    def metric(self, name, plain=False):
        """The Metric called `name`; KeyError if the task has none, unless `plain`: then a stand-in
        shown as is and never compared (a key of metrics.json the registry does not list)."""
        for m in self.all_metrics:
            if m.name == name:
                return m
        if plain:
            return Metric(name, name.replace("_", " "), "value")
        raise KeyError(name)

    @property
    def model_module(self):
        return self.model.split(":")[0]

    @property
    def model_class(self):
        """The class Task.model names ("module:Class"), its module imported on first use."""
        return getattr(importlib.import_module(self.model_module), self.model.split(":")[1])


TASKS = {task.name: task for task in (
    Task("autoencoder", "Sparse autoencoder",
         "A sparse autoencoder that learns features from 16x16 natural-image patches.",
         variants.autoencoder_variants,
         (_loss("reconstruction_mse", "held-out MSE", compared=True),
          _loss("loss", "cost J"), _loss("reconstruction", "reconstruction term"),
          _loss("sparsity", "sparsity term"), _loss("weight_decay", "weight-decay term"),
          Metric("mean_activation", "mean activation", "value"),
          Metric("activation_relative_error", "activation off rho (relative)", "value")),
         (Panel("cost J without weight decay", (("train_loss", "train"), ("val_loss", "held-out")), "cost J"),),
         (("features.png", "input weights of each hidden unit"),
          ("reconstructions.png", "held-out patches (left) and reconstructions (right)"),
          ("curves.png", "learning curves")),
         model="nnlab.models.autoencoder:SparseAutoencoder",
         selection="reconstruction_mse",   # held-out patches: the autoencoder's only evaluation set
         icon=":material/grid_on:", evaluation_set="held-out patches"),
    Task("language_model", "Neural language model",
         "Predicts the 4th word of a trigram: a shared word embedding, a logistic hidden layer and a "
         "softmax over the vocabulary.",
         variants.language_model_variants,
         (_loss("test_cross_entropy", "test cross-entropy", compared=True),
          _accuracy("test_accuracy", "test accuracy", compared=True),
          _accuracy("test_top10_accuracy", "test top-10 accuracy"),
          _loss("val_cross_entropy", "validation cross-entropy"),
          _accuracy("val_accuracy", "validation accuracy"),
          _loss("test_perplexity", "test perplexity")),
         (Panel("cross-entropy per epoch", LOSS, "cross-entropy"),
          Panel("accuracy per epoch", ACCURACY, "accuracy", percent=True)),
         (("curves.png", "learning curves"),),
         model="nnlab.models.language_model:LanguageModel",
         selection="val_cross_entropy", icon=":material/text_fields:"),
    Task("recurrent", "Recurrent activity classifier",
         "A recurrent layer (tanh RNN, LSTM or GRU), trained with full or truncated back-propagation "
         "through time, then an MLP with a softmax over six activities, read over accelerometer windows.",
         variants.recurrent_variants,
         (_accuracy("test_accuracy", "test accuracy", compared=True),
          _loss("test_cross_entropy", "test cross-entropy", compared=True),
          _accuracy("val_accuracy", "validation accuracy"),
          _loss("val_cross_entropy", "validation cross-entropy"),
          _accuracy("train_accuracy", "training accuracy"),
          _loss("train_cross_entropy", "training cross-entropy")),
         (Panel("cross-entropy", LOSS, "cross-entropy"),
          Panel("accuracy", ACCURACY, "accuracy", percent=True),
          Panel("gradient norm (mean over batches)", (("grad_norm", "‖∂L/∂Wh‖"),), "norm", log_scale=True)),
         (("confusion_train.png", "confusion matrix, training set"),
          ("confusion_test.png", "confusion matrix, test set"),
          ("curves.png", "learning curves")),
         model="nnlab.models.recurrent:RecurrentClassifier",
         selection="val_accuracy", icon=":material/timeline:"),
)}


def task(name):
    """The Task called `name`, or ValueError naming the tasks there are."""
    if name not in TASKS:
        raise ValueError(f"expected a task ({', '.join(TASKS)}), found {name!r}")
    return TASKS[name]


# The results layout. Every path is built here, from a results folder `root` (a str or Path,
# 'results' in the workflow); variant and seed may be Snakemake wildcards ("{variant}").
def task_dir(root, task):
    """The folder of a task's own files beside its variants (selection.json, grid_features.png, ...)."""
    return f"{root}/{task}"


def variant_dir(root, task, variant):
    return f"{root}/{task}/{variant}"


def seed_folder(seed):
    """The name of a run's folder (and of its log and benchmark files): seed<S>; seed_of reads it back."""
    return f"seed{seed}"


def run_dir(root, task, variant, seed):
    """The folder of one run: <root>/<task>/<variant>/seed<S>."""
    return f"{variant_dir(root, task, variant)}/{seed_folder(seed)}"


def run_log(root, task, variant, seed):
    return f"{root}/logs/{task}/{variant}/{seed_folder(seed)}.log"


def run_benchmark(root, task, variant, seed):
    return f"{root}/benchmarks/{task}/{variant}/{seed_folder(seed)}.tsv"


def aggregate_file(root, task, variant):
    return f"{variant_dir(root, task, variant)}/aggregate.json"


def history_mean_file(root, task, variant):
    return f"{variant_dir(root, task, variant)}/history_mean.csv"


def data_file(root, name):
    """A prepared data file or figure of the data step (patches.npz, trigrams.npz, patches_rgb.png, ...)."""
    return f"{root}/data/{name}"


def summary_file(root, task):
    return f"{root}/summary/{task}.csv"


def comparisons_file(root, task):
    return f"{root}/summary/{task}_comparisons.csv"


def experiment_dir(root, name):
    """The root of a named experiment's runs: <root>/experiments/<name> (its own layout below)."""
    return f"{root}/experiments/{name}"


def report_dir(root):
    """The root of the runs under the original report's recipe (nnlab.claims): <root>/report."""
    return f"{root}/report"


def claims_file(root):
    """Every claim of the original report with its verdict (nnlab.claims)."""
    return f"{root}/summary/claims.csv"


def claims_figure(root, name):
    """One figure of the report's claims (nnlab.claims_figures)."""
    return f"{root}/summary/claims/{name}.png"


def experiments_file(root, task):
    """Every experiment against the baseline, for one task."""
    return f"{root}/summary/{task}_experiments.csv"


def forest_file(root, task):
    return f"{root}/summary/{task}_experiments.png"


def seed_of(folder_name):
    """The seed of a run folder's name ('seed3' -> 3), or None for any other name."""
    match = SEED_FOLDER.fullmatch(folder_name)
    return int(match.group(1)) if match else None


def run_of(path):
    """(experiment name or None for the baseline, task, variant, seed) of a file in a run folder,
    <root>/[experiments/<name>/]<task>/<variant>/seed<S>/<file>."""
    folder = Path(path).parent
    root = folder.parents[2]
    experiment = root.name if root.parent.name == "experiments" else None
    return experiment, folder.parents[1].name, folder.parent.name, seed_of(folder.name)
