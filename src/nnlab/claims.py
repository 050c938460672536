"""The original report's claims, each tested under the report's own recipe (docs/report.md).

The report of this mini project (the course author's) makes claims about its three experiments.
CLAIMS is their one registry: per claim its id, question, the report's statement and number, the
measurement that tests it, the rule that turns the measurement into a verdict, and why the
measurement fits the claim. The report's recipe is RECIPE, an overlay of the config trained as
its own results root, results/report/ (nnlab.tasks.report_dir), beside the baseline (nnlab's
`tuned` recipe, unless the config says otherwise), with the same data and seeds; every claim is
measured in both.

Verdicts (VERDICTS):
- a number of the report (rule RANGE): nnlab's 95% t interval over the seeds against the
  report's value or range: a point value the interval holds, or an interval inside the range:
  `reproduced`; an interval that misses the value or lies outside the range: `not reproduced`;
  an interval that reaches both inside and outside the range: `not distinguishable`;
- a direction ("A beats B", rule BETTER): the paired t-test over seeds, Holm-adjusted over the
  claims of that rule: a real difference the claimed way: `reproduced`; a real one the other
  way: `not reproduced`; else `not distinguishable`; every seed giving the same difference
  (a count, such as memory): its sign decides;
- "A needs nothing more than B" (rule NOT_WORSE, non-inferiority): the difference's interval
  above -margin: `reproduced`; below it: `not reproduced`; else `not distinguishable`;
- the report's choice (rule CHOICE): whether nnlab's own selection rule picks it;
- a qualitative claim (rule SHOWN): `shown`, the figures side by side, no test;
- too few seeds (fewer than nnlab.stats.MIN_SEEDS) or a run missing: `not tested`, saying why.
"""
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab import overlays, stats, tasks, wording
from nnlab.replicates import _interval as interval, read_run
from nnlab.errors import ConfigError, DataError, reason

REPRODUCED, NOT_REPRODUCED, NOT_DISTINGUISHABLE, SHOWN, NOT_TESTED = (
    "reproduced", "not reproduced", "not distinguishable", "shown", "not tested")
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_DISTINGUISHABLE, SHOWN, NOT_TESTED)
RANGE, BETTER, NOT_WORSE, CHOICE = "range", "better", "not worse", "choice"
RECIPES = ("course", "tuned")        # the report's recipe (results/report/), nnlab's baseline (results/)

# The report's recipe, as an overlay of the config. Question 3 and question 2 train with the
# config's `course` recipe (the course's settings, which the report used); the overlay fixes the
# variants the claims compare. The report trained its autoencoder with Adam (beta1 0.9, beta2 0.99),
# batch 32, 20 epochs, L_hid 64, lambda 5e-4, and chose beta 0.1, rho 0.5: nnlab's Adam with those
# settings (its beta2 is 0.999; the report gives no learning rate, nnlab's 0.01 is used), its sweep
# widened by rho 0.5, and the grid at the report's (beta, rho).
REPORT_CHOICE = {"beta": 0.1, "rho": 0.5}
TRUNCATION = 20
RECIPE = {
    "autoencoder.recipe": "tuned",
    "autoencoder.hidden": 64,
    "autoencoder.lambda": 5.0e-4,
    "autoencoder.recipes.tuned.optimizer": "adam",
    "autoencoder.recipes.tuned.learning_rate": 0.01,
    "autoencoder.recipes.tuned.batch_size": 32,
    "autoencoder.recipes.tuned.epochs": 20,
    "autoencoder.recipes.tuned.patience": None,
    "autoencoder.recipes.tuned.lr_schedule": "constant",
    "autoencoder.sweep.beta": [0.1, 0.5, 2.0],
    "autoencoder.sweep.rho": [0.01, 0.05, 0.1, 0.5],
    "autoencoder.grid.hidden": [16, 49, 81],
    "autoencoder.grid.lambda": [1.0e-5, 1.0e-4, 1.0e-3],
    "autoencoder.grid.beta": REPORT_CHOICE["beta"],
    "autoencoder.grid.rho": REPORT_CHOICE["rho"],
    "language_model.recipe": "course",
    "language_model.variants": [{"embedding_dim": 32, "hidden": 256, "order_aware": False},
                                {"embedding_dim": 16, "hidden": 128, "order_aware": False},
                                {"embedding_dim": 8, "hidden": 64, "order_aware": False},
                                {"embedding_dim": 32, "hidden": 256, "order_aware": True}],
    "recurrent.recipe": "course",
    "recurrent.cells": ["rnn", "lstm", "gru"],
    "recurrent.truncation": [None, TRUNCATION],
}


@dataclass(frozen=True)
class Quantity:
    """What one run is measured by: read(record, run folder) -> a number, or None when the run
    lacks it. kind as nnlab.tasks.Metric's (an accuracy is a share, said in percent)."""
    name: str
    label: str
    kind: str
    lower_is_better: bool | None
    read: object

    @property
    def metric(self):
        """The nnlab.tasks.Metric that nnlab.wording says this quantity's numbers by."""
        return tasks.Metric(self.name, self.label, self.kind, self.lower_is_better)


def _key(name, fallback=None):
    """A metrics.json key (or `fallback`'s when the record has no `name`: a run without a second stage)."""
    return lambda record, folder: record.get(name, record.get(fallback) if fallback else None)


def _history(folder):
    return pd.read_csv(Path(folder) / "history.csv")


def _first_stage_epochs(record, frame):
    return int(record.get("stage1_epochs_run", frame["epoch"].max()))


def epoch1_val_loss(record, folder):
    """The validation cross-entropy after the first epoch (history.csv)."""
    frame = _history(folder)
    row = frame[frame["epoch"] == 1]
    return float(row["val_loss"].iloc[0]) if len(row) else None


def largest_fall(values):
    """The largest fall of a series below its running peak (0 when it never falls)."""
    values = np.asarray(values, np.float64)
    return float(np.max(np.maximum.accumulate(values) - values)) if values.size else None


def val_accuracy_fall(record, folder):
    """The largest fall of the validation accuracy after its peak, in the first stage."""
    frame = _history(folder)
    frame = frame[frame["epoch"] <= _first_stage_epochs(record, frame)]
    return largest_fall(frame["val_accuracy"].dropna())


def gradient_decades(norms):
    """|log10(||dJ/dh_1|| / ||dJ/dh_T||)| of per-step norms (step 1 first): how many powers of ten the
    backward signal shrinks (vanishing) or grows (exploding) over the window. A norm that reached
    zero counts as float32's smallest normal number."""
    norms = np.maximum(np.asarray(norms, np.float64), np.finfo(np.float32).tiny)
    return float(abs(np.log10(norms[0] / norms[-1])))


def grad_decades(record, folder):
    """gradient_decades at the last epoch of the first stage that grad_steps.csv recorded."""
    steps = pd.read_csv(Path(folder) / "grad_steps.csv")
    frame = steps[steps["epoch"] <= record.get("stage1_epochs_run", steps["epoch"].max())]
    if frame.empty:
        return None
    last = frame[frame["epoch"] == frame["epoch"].max()].sort_values("step")
    return gradient_decades(last["norm"])


Q = {q.name: q for q in (
    Quantity("stage1_test_accuracy", "test accuracy after the first stage", "accuracy", False,
             _key("stage1_test_accuracy", "test_accuracy")),
    Quantity("stage1_val_accuracy", "validation accuracy after the first stage", "accuracy", False,
             _key("stage1_val_accuracy", "val_accuracy")),
    Quantity("test_accuracy", "test accuracy (both stages)", "accuracy", False, _key("test_accuracy")),
    Quantity("lm_test_accuracy", "test accuracy", "accuracy", False, _key("test_accuracy")),
    Quantity("val_accuracy", "validation accuracy", "accuracy", False, _key("val_accuracy")),
    Quantity("val_cross_entropy", "validation cross-entropy", "loss", True, _key("val_cross_entropy")),
    Quantity("train_cross_entropy", "training cross-entropy", "loss", True, _key("train_cross_entropy")),
    Quantity("test_cross_entropy", "test cross-entropy", "loss", True, _key("test_cross_entropy")),
    Quantity("epoch1_val_cross_entropy", "validation cross-entropy after the first epoch", "loss", True,
             epoch1_val_loss),
    Quantity("test_punctuation_share", "share of test predictions that are '.', ',' or '?'", "accuracy", None,
             _key("test_punctuation_share")),
    Quantity("feature_roughness", "feature roughness (1: white noise)", "value", True, _key("feature_roughness")),
    # the same roughness where rougher is the claimed direction (1.3b: more complicated patterns)
    Quantity("feature_roughness_up", "feature roughness (1: white noise)", "value", False, _key("feature_roughness")),
    Quantity("val_accuracy_fall", "largest fall of validation accuracy after its peak", "accuracy", None,
             val_accuracy_fall),
    Quantity("gradient_decades", "powers of ten ||dJ/dh_t|| changes over the window", "value", None, grad_decades),
    Quantity("seconds_per_epoch", "seconds per epoch", "seconds", True, _key("seconds_per_epoch")),
    Quantity("workspace_bytes", "bytes of forward cache and backward buffers per training batch", "count", True,
             _key("workspace_bytes")),
)}


@dataclass(frozen=True)
class Claim:
    id: str
    question: int
    statement: str              # the report's, paraphrased
    report_value: str           # the report's number as it says it ("" for none)
    rule: str                   # RANGE | BETTER | NOT_WORSE | CHOICE | SHOWN
    task: str
    why: str                    # why the measurement fits the claim
    figure: str                 # the figure of nnlab.claims_figures that shows it
    quantity: str | None = None
    a: str | None = None        # the variant measured (RANGE) or claimed better (BETTER, NOT_WORSE)
    b: str | None = None        # the variant it is compared with
    low: float | None = None    # RANGE: the report's value (low == high) or range (None: unbounded)
    high: float | None = None
    margin: float = 0.0         # NOT_WORSE: how much worse still counts as "not worse"
    note: str = ""              # where nnlab measured something other than the report, and why

    @property
    def measure(self):
        """The measurement in words."""
        if self.rule == SHOWN:
            return "figures side by side"
        if self.rule == CHOICE:
            return "the (beta, rho) that nnlab's selection rule picks from a sweep holding the report's"
        label = Q[self.quantity].label
        return f"{self.a}: {label}" if self.rule == RANGE else f"{self.a} − {self.b}: {label}"

    @property
    def test(self):
        """How the verdict is reached, in words."""
        if self.rule == RANGE:
            what = f"holds {self.range_text}" if self.low == self.high else f"lies in {self.range_text}"
            return f"whether the 95% t interval over seeds {what}"
        if self.rule == NOT_WORSE:
            return f"95% t interval of the paired difference above −{self.margin_text} (non-inferiority)"
        return {BETTER: "paired t-test over seeds, Holm over the claims", CHOICE: "the selection rule's pick",
                SHOWN: "none: a qualitative claim"}[self.rule]

    @property
    def range_text(self):
        metric = Q[self.quantity].metric
        if self.low == self.high:
            return wording.level(metric, self.low, 5)
        if self.low is None:
            return f"at most {wording.level(metric, self.high)}"
        if self.high is None:
            return f"at least {wording.level(metric, self.low)}"
        return f"{wording.level(metric, self.low)} to {wording.level(metric, self.high)}"

    @property
    def margin_text(self):
        metric = Q[self.quantity].metric
        return f"{wording.difference(metric, self.margin):g} points" if metric.is_accuracy else f"{self.margin:g}"


FIRST_STAGE = ("nnlab measures the model kept after the first stage (the lowest validation cross-entropy), before "
               "the report's second stage")
CLAIMS = (
    # Question 1: the sparse autoencoder.
    Claim("1.1", 1, "The chosen sparsity is beta = 0.1, rho = 0.5.", "beta 0.1, rho 0.5", CHOICE, "autoencoder",
          "nnlab picks (beta, rho) by a stated rule (docs/autoencoder.md): the smallest rho that training reaches "
          "(mean activation within the tolerance of rho), then the lowest held-out error. Put the report's pair in "
          "the sweep and see whether that rule picks it.", "features"),
    Claim("1.2", 1, "The hidden units' weights are not patch-like: they respond to blobs, dots and bars.", "",
          SHOWN, "autoencoder", "What a unit 'responds to' is read off its weight image; no number says 'blob'.",
          "features"),
    Claim("1.3a", 1, "A larger lambda smooths the features (lambda 1e-3 too general, below 1e-4 noisy).", "",
          BETTER, "autoencoder",
          "Roughness compares neighbouring weights with the image's variance: 1 for white noise, near 0 for "
          "blobs. Smoother features at lambda 1e-3 than at 1e-5 (L_hid 49) is the claim's direction.",
          "roughness", "feature_roughness", "grid-h49-lambda0.001", "grid-h49-lambda1e-05"),
    Claim("1.3b", 1, "A larger L_hid learns more complicated patterns.", "", BETTER, "autoencoder",
          "More complicated patterns have more fine structure: a rougher weight image. Here 'better' means "
          "rougher: L_hid 81 against 16, at lambda 1e-4.", "roughness", "feature_roughness_up",
          "grid-h81-lambda0.0001", "grid-h16-lambda0.0001"),
    Claim("1.3c", 1, "A large L_hid with a small lambda gives almost random features.", "", SHOWN, "autoencoder",
          "The grid's mosaics show it; the roughness figure puts a number on each cell of the grid.", "grid"),
    # Question 2: the language model.
    *(Claim(f"2.1{letter}", 2, "The cost is about 4 to 4.5 after the first epoch, for every size.", "4 to 4.5",
            RANGE, "language_model",
            "The validation cross-entropy after epoch 1 is the cost the report plots per epoch; each size is "
            "tested on its own.", "lm_curves", "epoch1_val_cross_entropy", variant, low=4.0, high=4.5)
      for letter, variant in zip("abc", ("d32-p256", "d16-p128", "d8-p64"))),
    Claim("2.2a", 2, "The best (32, 256) model reaches validation cross-entropy 2.8418.", "2.8418", RANGE,
          "language_model", "The kept model's validation cross-entropy, as the report's.", "lm_curves",
          "val_cross_entropy", "d32-p256", low=2.8418, high=2.8418),
    Claim("2.2b", 2, "The best (32, 256) model reaches training cross-entropy 2.6819.", "2.6819", RANGE,
          "language_model", "The kept model's cross-entropy over the whole training set.", "lm_curves",
          "train_cross_entropy", "d32-p256", low=2.6819, high=2.6819,
          note="The report's training cost may be the mean over an epoch's batches while the weights change; "
               "nnlab evaluates the kept model once over the training set."),
    *(Claim(f"2.3{letter}", 2, "Validation accuracy never exceeds 23.7%, for any size.", "at most 23.7%", RANGE,
            "language_model", "The kept model's validation accuracy (top-1), each size on its own.", "lm_curves",
            "val_accuracy", variant, low=None, high=0.237,
            note="nnlab's accuracy is the share of validation trigrams whose most probable word is the true one; "
                 "if the report computed it from the summed rather than the averaged embedding, or on another "
                 "split, its number measures something else.")
      for letter, variant in zip("abc", ("d32-p256", "d16-p128", "d8-p64"))),
    Claim("2.4", 2, "The top predictions are dominated by '.', ',' and '?', because those labels are "
          "over-represented in the training set.", "", RANGE, "language_model",
          "'Dominated' read as: over half of the test trigrams get one of the three as their most probable word. "
          "Their share of the training labels is shown beside it (the 'because'; a cause is not tested).",
          "punctuation", "test_punctuation_share", "d32-p256", low=0.5, high=1.0),
    Claim("2.5", 2, "Using word order (a longer or recurrent context) would predict better.", "", BETTER,
          "language_model", "nnlab's order-aware variant concatenates the three embeddings (word order kept); "
          "compared with the summed one on test cross-entropy, paired by seed.", "lm_order",
          "test_cross_entropy", "d32-p256-ordered", "d32-p256",
          note="The report suggests it without testing it; a recurrent context is not built."),
    # Question 3: the recurrent classifiers.
    Claim("3.1", 3, "Full-BPTT training of the vanilla RNN is unstable and its accuracy poor on every split.",
          "poor", RANGE, "recurrent",
          "'Poor' read as below 60% test accuracy (six classes; the report's other cells reach about 80%). "
          + FIRST_STAGE + ".", "recurrent_accuracy", "stage1_test_accuracy", "rnn-full", low=0.0, high=0.6),
    Claim("3.2", 3, "The vanilla RNN's recurrent gradients vanish or explode.", "", RANGE, "recurrent",
          "||dJ/dh_t|| for every step t of full BPTT (grad_steps.csv): a signal that vanishes or explodes "
          "changes by at least two powers of ten between the last step and the first.", "grad_steps",
          "gradient_decades", "rnn-full", low=2.0, high=None),
    Claim("3.3", 3, f"Truncating BPTT at {TRUNCATION} steps improves the vanilla RNN drastically.", "drastically",
          BETTER, "recurrent", "Test accuracy, truncated against full BPTT, paired by seed. " + FIRST_STAGE + ".",
          "recurrent_accuracy", "stage1_test_accuracy", f"rnn-tbptt{TRUNCATION}", "rnn-full"),
    *(Claim(f"3.4{letter}", 3, "The LSTM reaches about 80% test and validation accuracy.", "about 80%", RANGE,
            "recurrent", f"'About 80%' read as 75% to 85%, of the {split} accuracy. " + FIRST_STAGE + ".",
            "recurrent_accuracy", f"stage1_{key}_accuracy", "lstm-full", low=0.75, high=0.85)
      for letter, split, key in (("a", "test", "test"), ("b", "validation", "val"))),
    Claim("3.4c", 3, "After about 85% validation accuracy the LSTM diverges to about 50% within a few epochs.",
          "85% to 50%", RANGE, "recurrent",
          "The largest fall of validation accuracy below its running peak in the first stage; the report's "
          "collapse is 35 points, at least 20 counts as one.", "lstm_val", "val_accuracy_fall", "lstm-full",
          low=0.2, high=1.0),
    Claim("3.5", 3, "The LSTM needs no truncation.", "", NOT_WORSE, "recurrent",
          "Full BPTT no worse than truncated by more than 2 points of test accuracy. " + FIRST_STAGE + ".",
          "recurrent_accuracy", "stage1_test_accuracy", "lstm-full", f"lstm-tbptt{TRUNCATION}", margin=0.02),
    Claim("3.6", 3, "The GRU is almost as good as the LSTM, but the LSTM is better.", "", BETTER, "recurrent",
          "Test accuracy, LSTM against GRU (both full BPTT), paired by seed. " + FIRST_STAGE + ".",
          "recurrent_accuracy", "stage1_test_accuracy", "lstm-full", "gru-full"),
    Claim("3.7a", 3, "The GRU trains faster than the LSTM.", "", BETTER, "recurrent",
          "Seconds per training epoch, paired by seed (runs that shared the machine with others carry its noise).",
          "speed", "seconds_per_epoch", "gru-full", "lstm-full"),
    Claim("3.7b", 3, "The GRU's forward cache takes less memory (fewer parameters).", "", BETTER, "recurrent",
          "The bytes one training batch's forward cache and backward buffers hold (3 gate blocks against 4).",
          "speed", "workspace_bytes", "gru-full", "lstm-full"),
    *(Claim(f"3.8{letter}", 3, "With the second stage (lr 0.001, momentum 0.35) every cell, the RNN truncated, "
            "reaches at least 80% test accuracy.", "at least 80%", RANGE, "recurrent",
            "The kept model after both stages; each cell on its own.", "recurrent_accuracy", "test_accuracy",
            variant, low=0.8, high=1.0)
      for letter, variant in zip("abc", (f"rnn-tbptt{TRUNCATION}", "lstm-full", "gru-full"))),
    Claim("3.9", 3, "For the vanilla RNN, truncation is required to converge.", "", BETTER, "recurrent",
          "After both stages: truncated against full BPTT, test accuracy paired by seed.", "recurrent_accuracy",
          "test_accuracy", f"rnn-tbptt{TRUNCATION}", "rnn-full"),
)
QUESTIONS = {1: "Sparse autoencoder", 2: "Neural language model", 3: "Recurrent activity classifiers"}


FIGURES = tuple(dict.fromkeys(claim.figure for claim in CLAIMS))    # nnlab.claims_figures draws each


def recipe(config):
    """RECIPE with the config's own changes to it (`report.set`, for quick trials) on top."""
    return {**RECIPE, **((config.get("report") or {}).get("set") or {})}


def changed(config):
    """The settings `report.set` changes in the report's recipe, {} when it is the report's own."""
    return {k: v for k, v in ((config.get("report") or {}).get("set") or {}).items() if RECIPE.get(k, object()) != v}


def report_experiment(baseline, validate=None):
    """The report's recipe as an nnlab.overlays.Experiment of `baseline` (a config without its
    experiments section): every autoencoder and language-model variant RECIPE makes, and the
    recurrent variants the claims compare."""
    try:
        experiment = overlays.overlay(baseline, "report", recipe(baseline), (), validate)
    except ConfigError as error:           # overlays names the experiment; here the section is report.set
        raise ConfigError(str(error).replace("key 'experiments.report'", "key 'report.set'")) from None
    keep = needed_variants()["recurrent"]
    variants = dict(experiment.variants,
                    recurrent={v: hp for v, hp in experiment.variants["recurrent"].items() if v in keep})
    return dataclasses.replace(experiment, variants=variants)


def needed_variants():
    """{task: [variant, ...]} every claim measures, in registry order."""
    out = {}
    for claim in CLAIMS:
        for variant in (claim.a, claim.b):
            if variant and claim.rule != CHOICE:
                out.setdefault(claim.task, [])
                if variant not in out[claim.task]:
                    out[claim.task].append(variant)
    return out


# ------------------------------------------------------------------------------------ verdicts


def range_verdict(low, high, report_low, report_high):
    """A number of the report against nnlab's interval [low, high] (NaN: none)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_TESTED
    lo = -math.inf if report_low is None else report_low
    hi = math.inf if report_high is None else report_high
    if lo == hi:
        return REPRODUCED if low <= lo <= high else NOT_REPRODUCED
    if lo <= low and high <= hi:
        return REPRODUCED
    if high < lo or low > hi:
        return NOT_REPRODUCED
    return NOT_DISTINGUISHABLE


def better_verdict(difference, p_holm, lower_is_better, seeds, p):
    """'a beats b' from the paired difference a - b and its Holm-adjusted p. Every seed giving the
    same difference (p NaN with enough seeds): its sign decides, there is no noise to test."""
    if seeds < stats.MIN_SEEDS or not math.isfinite(difference):
        return NOT_TESTED
    right = difference < 0 if lower_is_better else difference > 0
    if math.isnan(p):
        return REPRODUCED if right else NOT_REPRODUCED
    if not stats.is_real(p_holm):
        return NOT_DISTINGUISHABLE
    return REPRODUCED if right else NOT_REPRODUCED


def not_worse_verdict(low, high, margin, lower_is_better):
    """'a is no worse than b' (non-inferiority): the interval of a - b against -margin (an accuracy)
    or +margin (a loss)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_TESTED
    if lower_is_better:
        low, high = -high, -low
    if low > -margin:
        return REPRODUCED
    if high < -margin:
        return NOT_REPRODUCED
    return NOT_DISTINGUISHABLE


def choice_verdict(chosen, report):
    """The report's choice against what nnlab's rule picks (None: no selection)."""
    if chosen is None:
        return NOT_TESTED
    same = all(math.isclose(float(chosen[k]), float(v)) for k, v in report.items())
    return REPRODUCED if same else NOT_REPRODUCED


# -------------------------------------------------------------------------------- measurements


def runs(root, task, variant, seeds):
    """[(seed, metrics.json record, run folder)] of the finished runs of `variant` in `root`."""
    out = []
    for seed in seeds:
        folder = Path(tasks.run_dir(root, task, variant, seed))
        path = folder / "metrics.json"
        if path.is_file():
            out.append((seed, read_run(path), folder))
    return out


def values(root, claim, variant, seeds):
    """{seed: the claim's quantity of that seed's run of `variant`}; a run that cannot be measured
    is one DataError line naming its folder."""
    quantity, out = Q[claim.quantity], {}
    for seed, record, folder in runs(root, claim.task, variant, seeds):
        try:
            value = quantity.read(record, folder)
        except FileNotFoundError:
            value = None                   # a run made before nnlab recorded this: not measured
        except (OSError, ValueError, KeyError) as error:
            raise DataError(f"{folder}: expected what claim {claim.id} measures ({quantity.label}), found "
                            f"{reason(error)}; delete the folder and rerun the workflow") from None
        if value is not None and math.isfinite(value):
            out[seed] = float(value)
    return out


def selection(root):
    """The (beta, rho) a root's sweep selection chose, or None."""
    path = Path(tasks.task_dir(root, "autoencoder")) / "selection.json"
    try:
        return json.loads(path.read_text())["chosen"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def measure(root, claim, seeds):
    """The claim measured in one results root: dict value, low, high, seeds, p (NaN where none),
    verdict (BETTER's before Holm: set by table())."""
    nan = math.nan
    out = {"value": nan, "low": nan, "high": nan, "seeds": 0, "p": nan, "verdict": NOT_TESTED, "chosen": None,
           "clipped": False}
    if claim.rule == SHOWN:
        return dict(out, verdict=SHOWN)
    if claim.rule == CHOICE:
        chosen = selection(root)
        return dict(out, chosen=chosen, verdict=choice_verdict(chosen, REPORT_CHOICE),
                    seeds=len(runs(root, claim.task, chosen["variant"], seeds)) if chosen else 0)
    quantity = Q[claim.quantity]
    a = values(root, claim, claim.a, seeds)
    if claim.rule == RANGE:
        e = interval(list(a.values()), quantity.metric.bounds)       # the aggregates' t interval, clipped to the range
        verdict = range_verdict(e["low"], e["high"], claim.low, claim.high) if len(a) >= stats.MIN_SEEDS else NOT_TESTED
        return dict(out, value=e["mean"], low=e["low"], high=e["high"], seeds=len(a), verdict=verdict)
    b = values(root, claim, claim.b, seeds)
    common = sorted(set(a) & set(b))
    paired = stats.paired_t([a[s] for s in common], [b[s] for s in common])
    low, high, clipped = wording.clip_difference(quantity.metric, paired["low"], paired["high"])
    out.update(value=paired["difference"], low=low, high=high, seeds=paired["k"], p=paired["p"], clipped=clipped)
    if claim.rule == NOT_WORSE:
        out["verdict"] = not_worse_verdict(out["low"], out["high"], claim.margin, quantity.lower_is_better)
    return out


def table(roots, seeds, changes=None):
    """claims.csv: one row per claim, measured in roots {"course": results/report, "tuned": results};
    the BETTER claims' p-values Holm-adjusted per recipe over the claims of that rule. changes: the
    report.set keys that changed the report's recipe (nnlab.claims.changed), said in every answer."""
    rows = []
    for claim in CLAIMS:
        row = {"claim": claim.id, "question": claim.question, "statement": claim.statement,
               "report_value": claim.report_value, "measure": claim.measure, "kind": _kind(claim),
               "rule": claim.rule, "test": claim.test}
        for recipe, root in roots.items():
            m = measure(root, claim, seeds)
            row.update({f"{recipe}_{k}": v for k, v in m.items() if k != "chosen"})
            row[f"{recipe}_chosen"] = _choice_text(m["chosen"]) if claim.rule == CHOICE else ""
        rows.append(row)
    frame = pd.DataFrame(rows)
    better = frame["rule"] == BETTER
    for recipe in roots:
        frame[f"{recipe}_p_holm"] = math.nan
        frame.loc[better, f"{recipe}_p_holm"] = stats.holm(frame.loc[better, f"{recipe}_p"])
        for i in frame.index[better]:
            claim = CLAIMS[i]
            frame.loc[i, f"{recipe}_verdict"] = better_verdict(
                frame.loc[i, f"{recipe}_value"], frame.loc[i, f"{recipe}_p_holm"],
                Q[claim.quantity].lower_is_better, frame.loc[i, f"{recipe}_seeds"], frame.loc[i, f"{recipe}_p"])
    frame["verdict"] = frame["course_verdict"]
    frame["answer"] = [sentence(claim, row, changes) for claim, row in zip(CLAIMS, frame.to_dict("records"))]
    frame["recipe_changed"] = ", ".join(changes or ())
    frame["why"] = [c.why for c in CLAIMS]
    frame["note"] = [c.note for c in CLAIMS]
    frame["figure"] = [c.figure for c in CLAIMS]
    return frame


def _kind(claim):
    return Q[claim.quantity].kind if claim.quantity else ""


def _choice_text(chosen):
    return "" if chosen is None else f"beta {wording.fmt(float(chosen['beta']))}, rho {wording.fmt(float(chosen['rho']))}"


RECIPE_WORDS = {"course": "under the report's recipe", "tuned": "under nnlab's tuned recipe"}


def _said(claim, row, recipe):
    """One recipe's measurement in words."""
    verdict, seeds = row[f"{recipe}_verdict"], int(row[f"{recipe}_seeds"])
    where = RECIPE_WORDS[recipe]
    if claim.rule == CHOICE:
        chosen = row[f"{recipe}_chosen"]
        return f"{where}, nnlab's rule picks {chosen}" if chosen else f"{where}, no sweep selection yet"
    metric = Q[claim.quantity].metric
    if seeds == 0:
        return f"{where}, not measured yet (no finished run that records it)"
    if claim.rule == RANGE:
        value = wording.level(metric, row[f"{recipe}_value"])
        if seeds < stats.MIN_SEEDS:
            return f"{where}, {value} ({seeds} seed{'s' * (seeds != 1)}: too few to test, at least {stats.MIN_SEEDS})"
        span = f"{wording.level(metric, row[f'{recipe}_low'])} to {wording.level(metric, row[f'{recipe}_high'])}"
        return f"{where}, {value} (95% CI {span}, t over {seeds} seeds)"
    d = row[f"{recipe}_value"]
    if seeds < stats.MIN_SEEDS:
        return f"{where}, {claim.a} − {claim.b} = {wording.signed_amount(metric, d)} " \
               f"({seeds} seed{'s' * (seeds != 1)}: too few to test, at least {stats.MIN_SEEDS})"
    p = row[f"{recipe}_p"]
    tail = (f", {wording.p_text(row[f'{recipe}_p_holm'], 'Holm-adjusted p')}" if claim.rule == BETTER and math.isfinite(p)
            else ", the same difference on every seed" if claim.rule == BETTER else "")
    clipped = row.get(f"{recipe}_clipped") is True or str(row.get(f"{recipe}_clipped")) == "True"
    head, span = wording.said_difference(metric, claim.a, claim.b, d, row[f"{recipe}_low"], row[f"{recipe}_high"],
                                         clipped, words=("ahead of", "behind"))
    return f"{where}, {head} ({span}, {seeds} seeds{tail})"


def sentence(claim, row, changes=None):
    """The verdict and the numbers behind it, in words; changes: what the config's report.set
    changed in the report's recipe (said first: the claim is then not tested under its own recipe)."""
    if claim.rule == SHOWN:
        return "Shown: a qualitative claim; nnlab's figures stand beside the report's statement, with no test."
    verdict = row["course_verdict"]
    head = {REPRODUCED: "Reproduced", NOT_REPRODUCED: "Not reproduced", NOT_DISTINGUISHABLE: "Not distinguishable",
            NOT_TESTED: "Not tested"}[verdict]
    report = f" (the report: {claim.report_value})" if claim.report_value else ""
    range_part = f"; the report's {'value' if claim.low == claim.high else 'range'}: {claim.range_text}" \
        if claim.rule == RANGE else ""
    tuned = _said(claim, row, "tuned")
    changed_text = (f" The report's recipe was changed by the config's report.set ({', '.join(changes)}): "
                    "this is a trial, not the report's recipe." if changes else "")
    return (f"{head}{report}: {claim.measure}{range_part}; {_said(claim, row, 'course')}. "
            f"For comparison, {tuned} ({row['tuned_verdict']}).{changed_text}")


def write(roots, seeds, path, changes=None):
    """results/summary/claims.csv (nnlab.io.save_csv, atomic)."""
    from nnlab.io import save_csv

    frame = table(roots, seeds, changes)
    save_csv(path, frame)
    return frame
