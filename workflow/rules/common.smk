# Helpers shared by all stages (config validation, data sources, variants, wildcard
# constraints, resources). Every import of the rule files is here, and only here.
import functools
import hashlib
import json
import os
import re
import signal
import sys
from pathlib import Path

from nnlab.config import DEMO_DATA_DIR, PUBLIC_DATA_DIR, data_source, validate
from nnlab.data.fetch import default_cache
from nnlab.errors import ConfigError
from nnlab import claims as nnlab_claims
from nnlab import overlays as nnlab_overlays
from nnlab import tasks as nnlab_tasks
from nnlab import variants as nnlab_variants
from nnlab.tasks import TASKS
from nnlab.experiments.autoencoder import resolve_sparsity

SCHEMA = workflow.source_path("../schemas/config.schema.yaml")

try:
    validate(config, SCHEMA)
except ConfigError as error:
    sys.exit(f"error: {error}")

# Closing the terminal sends SIGHUP, which by default ends Snakemake at once and leaves
# its lock behind (the same command then stops with LockException). Handle it as Ctrl-C
# instead: Snakemake stops the running jobs, marks them incomplete and releases the lock,
# so rerunning the same command resumes. Left as is when SIGHUP is ignored (`nohup`) or
# handled already.
if signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
    try:
        signal.signal(signal.SIGHUP, signal.default_int_handler)
    except ValueError:  # not the main thread: SIGHUP keeps its default
        pass

RESULTS = nnlab_tasks.RESULTS
LOGS = f"{RESULTS}/logs"
# The data source (docs/data.md): demo and public build the course-schema files in their own folder
# of results/; course reads them from data_dir. Left out, data_dir set elsewhere means course.
try:
    SOURCE = data_source(config)
except ConfigError as error:
    sys.exit(f"error: {error}")
DATA_DIR = {"demo": DEMO_DATA_DIR, "public": PUBLIC_DATA_DIR}.get(SOURCE, str(config["data_dir"]).rstrip("/"))
DEMO, PUBLIC = SOURCE == "demo", SOURCE == "public"
PUBLIC_CACHE = str(Path(config["public"]["cache"]).expanduser()) if PUBLIC and config["public"]["cache"] \
    else str(default_cache())

if SOURCE == "course":
    for _name in ("data1.h5", "data2.h5", "data3.h5"):
        if not (Path(DATA_DIR) / _name).is_file():
            sys.exit(
                f"error: config: key 'data_dir': expected a folder holding data1.h5, data2.h5 and "
                f"data3.h5, found no {_name} in {DATA_DIR}"
            )


def course_file(name):
    return f"{DATA_DIR}/{name}.h5"


try:
    # The variants of each task, by task name (nnlab.tasks: the one registry), and the named
    # experiments (nnlab.overlays): each trains the variants its overlay changes; the baseline's
    # runs stand for the others (and for a sweep's point at the baseline's settings).
    TASK_VARIANTS = {name: task.variants(config) for name, task in TASKS.items()}
    LM_MAP_VARIANT = nnlab_variants.language_model_map_variant(config)
    PLAN = nnlab_overlays.plan(config, validate=lambda c, source: validate(c, SCHEMA, source))
    EXPERIMENTS = PLAN.experiments
    # The original report's recipe (nnlab.claims), a root of its own: results/report/. Only the
    # `claims` target asks for its runs, so `snakemake` alone trains none of them.
    REPORT = nnlab_claims.report_experiment({k: v for k, v in config.items() if k != "experiments"},
                                            validate=lambda c, source: validate(c, SCHEMA, source))
except ConfigError as error:
    sys.exit(f"error: {error}")
REPORT_ROOT = nnlab_tasks.report_dir(RESULTS)

# Every results root and what it trains, {root: {task: {variant: settings}}}: the baseline in
# results/ (the layout of the results contract), each experiment in results/experiments/<name>/.
# EXPERIMENT_ROOT and EXPERIMENT_OF_ROOT map each experiment's name to its root and back.
EXPERIMENT_ROOT = {name: nnlab_tasks.experiment_dir(RESULTS, name) for name in EXPERIMENTS}
EXPERIMENT_OF_ROOT = {root: name for name, root in EXPERIMENT_ROOT.items()}
ROOTS = {RESULTS: TASK_VARIANTS, **{root: EXPERIMENTS[name].variants for root, name in EXPERIMENT_OF_ROOT.items()},
         REPORT_ROOT: REPORT.variants}


def roots_of(task):
    return [root for root, variants in ROOTS.items() if variants.get(task)]


def variants_of(task):
    """Every variant name of `task` in any root (the variant wildcard's constraint)."""
    return sorted({v for variants in ROOTS.values() for v in variants.get(task, {})})


def part(root, variant):
    return ROOTS[root]["autoencoder"][variant]["part"]


def ae_part(root, name):
    """The autoencoder variants of one part ("sweep" or "grid") a root trains."""
    return [v for v, hp in ROOTS[root].get("autoencoder", {}).items() if hp["part"] == name]


def ae_sweep(root):
    return ae_part(root, "sweep")


def root_config(root):
    """The effective configuration of a root: the config, or an experiment's."""
    if root == REPORT_ROOT:
        return REPORT.config
    return config if root == RESULTS else EXPERIMENTS[EXPERIMENT_OF_ROOT[root]].config


AE_GRID = {v: TASK_VARIANTS["autoencoder"][v] for v in ae_part(RESULTS, "grid")}
ALL_VARIANTS = sorted({v for task in TASKS for v in variants_of(task)})

# Replicates: every variant is trained once per seed, run r with seed + r, each run its own
# cached job in <root>/<task>/<variant>/seed<S>/ (adding seeds reruns nothing that exists).
# The figures made from one run (grid_features.png, embedding_map.png) and the test-set
# comparisons use the first seed's runs.
SEEDS = nnlab_variants.seeds(config)
FIRST_SEED = SEEDS[0]


def one_of(names):
    """A wildcard constraint matching exactly one of `names`, taken literally.

    Names hold regex characters ("sweep-beta0.5-rho0.05"): unescaped, "." matches any
    character, so a mistyped path reached the rule and failed inside an input function
    instead of Snakemake saying that no rule produces it. With no names, match nothing.
    """
    return "|".join(map(re.escape, names)) or "(?!)"


# The seed wildcard of the training rules: digits only.
SEED = r"\d+"


# Paths: the layout is nnlab.tasks'; these fill in, by default, the {root}, {variant} and
# {seed} wildcards.
def run_dir(task, variant="{variant}", seed="{seed}", root="{root}"):
    return nnlab_tasks.run_dir(root, task, variant, seed)


def run_log(task):
    return nnlab_tasks.run_log("{root}", task, "{variant}", "{seed}")


def run_benchmark(task):
    return nnlab_tasks.run_benchmark("{root}", task, "{variant}", "{seed}")


def run_hp(task):
    """params hp of a training rule: the run's complete settings (its variant's in its root, and its seed)."""
    return lambda w: nnlab_variants.run_settings(ROOTS[w.root][task][w.variant], w.seed)


def run_files(task, variants, name="metrics.json", seeds=None, root=RESULTS):
    """`name` in every run folder of `variants` (every seed unless `seeds` says otherwise)."""
    return [f"{run_dir(task, v, s, root)}/{name}" for v in variants for s in (SEEDS if seeds is None else seeds)]


def aggregate_files(task, root=RESULTS):
    return [nnlab_tasks.aggregate_file(root, task, v) for v in ROOTS[root][task]]


def aggregate_input(wildcards):
    """The variant's runs, one per seed (metrics.json last-written; history.csv read too)."""
    return {
        "metrics": run_files(wildcards.task, [wildcards.variant], root=wildcards.root),
        "history": run_files(wildcards.task, [wildcards.variant], "history.csv", root=wildcards.root),
    }


def summary_input(wildcards):
    """The task's aggregates, every run's metrics.json and the first seed's per-sample scores
    (for the test-set comparisons); the summary script reads exactly these."""
    variants = ROOTS[wildcards.root][wildcards.task]
    return {
        "aggregates": aggregate_files(wildcards.task, wildcards.root),
        "metrics": run_files(wildcards.task, variants, root=wildcards.root),
        "scores": run_files(wildcards.task, variants, "scores.npz", seeds=[FIRST_SEED], root=wildcards.root),
    }


def experiments_of(task):
    return {name: e for name, e in EXPERIMENTS.items() if task in e.variants}


def baseline_points(task):
    """{sweep: [variant]}: the task's variants whose point of a sweep is the baseline's run."""
    return {sweep: tasks[task] for sweep, tasks in PLAN.baseline_points.items() if tasks.get(task)}


def experiment_runs(task):
    """{root: [variant]} the task's experiments table reads: every variant of every experiment that
    trains the task, and the baseline's runs of the same variants and of the sweeps' points at the
    baseline."""
    compared = {v for variants in baseline_points(task).values() for v in variants}
    roots = {}
    for name, e in experiments_of(task).items():
        roots[EXPERIMENT_ROOT[name]] = list(e.variants[task])
        compared |= set(e.variants[task]) & set(TASK_VARIANTS[task])
    return {**roots, RESULTS: sorted(compared)}


def experiments_input(wildcards):
    """Every run experiment_runs() names: all seeds' metrics.json, the first seed's scores.npz."""
    files = {"metrics": [], "scores": []}
    for root, variants in experiment_runs(wildcards.task).items():
        files["metrics"] += run_files(wildcards.task, variants, root=root)
        files["scores"] += run_files(wildcards.task, variants, "scores.npz", seeds=[FIRST_SEED], root=root)
    return files


def recorded_settings(task, runs):
    """{root: {variant: settings}} of runs {root: [variant]}: what each run must have recorded as its
    hyperparameters (metrics.json; nnlab.replicates.check_settings), its seed aside. The autoencoder
    grid's beta and rho 'auto' are left out: the selection resolves them. Keys sorted, as in run_hp:
    the order of keys in a config file is no reason to rerun."""
    def recorded(hp):
        return nnlab_variants.sorted_settings(
            {k: v for k, v in hp.items() if not (task == "autoencoder" and k in ("beta", "rho") and v is None)})

    return {root: {v: recorded(ROOTS[root][task][v]) for v in variants} for root, variants in runs.items()}


def ae_needs_selection(root, variant):
    hp = ROOTS[root]["autoencoder"][variant]
    return hp["beta"] is None or hp["rho"] is None


def ae_selection_root(root):
    """Where the sparsity of a root's grid comes from: its own sweep, or the baseline's when it
    trains no sweep variant (an experiment restricted to grid variants)."""
    return root if ae_sweep(root) else RESULTS


def ae_selection_input(wildcards):
    """A grid variant with beta or rho 'auto' waits for the sweep's selection (a checkpoint).

    ancient(): once the selection exists, its timestamp is no reason to retrain. Adding
    seeds reruns the selection (it averages over every sweep run); the grid runs are then
    re-evaluated, and retrained only when the chosen (beta, rho), which ae_hp puts into
    their params, has changed.
    """
    if not ae_needs_selection(wildcards.root, wildcards.variant):
        return []
    return ancient(checkpoints.autoencoder_select.get(root=ae_selection_root(wildcards.root)).output[0])


def ae_hp(wildcards):
    """The run's complete settings, beta and rho resolved from the selection where 'auto' (once:
    the experiment trains with what this returns)."""
    hp = run_hp("autoencoder")(wildcards)
    if ae_needs_selection(wildcards.root, wildcards.variant):
        root = ae_selection_root(wildcards.root)
        hp = nnlab_variants.sorted_settings(resolve_sparsity(hp, checkpoints.autoencoder_select.get(root=root).output[0]))
    return hp


def config_sources():
    """Where this run's configuration came from, in words: its files and --config overrides."""
    files = CONFIG_FILES
    quoted = [f'"{arg}"' if set(arg) & set(" '{[") else arg for arg in workflow.config_settings.config_args or []]
    return {"files": [str(f) for f in files], "overrides": " ".join(quoted)}


def config_digest():
    """Changes whenever the configuration does (it reruns rule effective_config)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def training_resources():
    return {"mem_mb": config["resources"]["mem_mb"], "runtime": config["resources"]["runtime"]}


# Order of the training jobs when several run side by side: longest first, so that the
# short jobs fill in at the end instead of one long job finishing alone while the other
# cores idle (job times on the demo data: docs/performance.md). Full BPTT takes about
# twice as long as truncated; the autoencoder sweep goes before the language model
# because the grid waits for the sweep's selection. The data jobs go before all of them:
# they take seconds and every training job waits for one (at priority 0, the sweep kept
# prepare_activity, and so every recurrent job, waiting for about 50 s).
DATA_PRIORITY = 4
# The aggregates, summaries and per-task figures take seconds: each runs as soon as its task's
# runs are done, ahead of any training job still waiting, so a task's summary is there while
# the other tasks train.
SUMMARY_PRIORITY = 5


def recurrent_priority(wildcards):
    return 3 if ROOTS[wildcards.root]["recurrent"][wildcards.variant]["truncation"] is None else 2


def autoencoder_priority(wildcards):
    return 1 if part(wildcards.root, wildcards.variant) == "sweep" else 0


def light_resources():
    return {"mem_mb": config["resources"]["light_mem_mb"], "runtime": config["resources"]["light_runtime"]}


# Job groups, for cluster runs only (a local run ignores them): on SLURM every group job is
# one submission, and profiles/slurm's group-components puts up to N jobs of a group that do
# not depend on each other into one (docs/cluster.md). Short jobs are grouped, so that
# replicates do not flood the scheduler with jobs of a few seconds: the data jobs ("data"),
# the autoencoder runs (sweep and grid apart: the grid waits for the sweep's selection, so
# one group job holding both would wait for itself), and per task its aggregates and summary
# with the task's figures ("<task>_summary"). Language-model and recurrent runs, minutes to
# hours each, stay one SLURM job per run, and so does each task's experiments table (it reads
# every root's runs). An experiment's groups carry its name ("autoencoder_sweep_<name>",
# "<task>_summary_<name>"): one results root's jobs never wait in a group for another's.
DATA_GROUP = "data"


def group_name(base, root):
    if root == REPORT_ROOT:
        return f"{base}_report"
    return base if root == RESULTS else f"{base}_{EXPERIMENT_OF_ROOT[root]}"


def autoencoder_group(wildcards):
    check_group_components()
    return group_name(f"autoencoder_{part(wildcards.root, wildcards.variant)}", wildcards.root)


def summary_group(wildcards):
    return group_name(f"{wildcards.task}_summary", wildcards.root)


@functools.cache
def check_group_components():
    """Snakemake 9.27 schedules a group wrongly when group-components lets it hold some, but not
    all, of its independent jobs per submission: it merged more jobs into one submission than
    allowed, submitted jobs twice, and submitted a group before its inputs existed (reproduced
    with three independent sets and group-components 2; docs/cluster.md). 1 (one submission
    per set) and a number at least the group's size are safe. The autoencoder groups are the
    ones whose size follows the config: each of their runs is an independent set. Called while
    Snakemake builds the jobs (the group settings are not known yet when this file is read)."""
    components = workflow.group_settings.group_components
    for root in ROOTS:
        for part_name in ("sweep", "grid"):
            runs = len(ae_part(root, part_name)) * len(SEEDS)
            name = group_name(f"autoencoder_{part_name}", root)
            allowed = components.get(name, 1)
            if 1 < allowed < runs:
                sys.exit(
                    f"error: group-components: expected {name}=1 or {name}={runs} or more (the group has "
                    f"{runs} independent autoencoder runs), found {name}={allowed}; Snakemake splits such "
                    f"a group wrongly (docs/cluster.md)"
                )



def run_outputs(task, variants, root=RESULTS):
    """Every file every run of `variants` writes (all seeds): the outputs its training rule
    declares, all requested, so that a deleted one is made again (Snakemake reruns a job for a
    missing output only when that output is asked for)."""
    training = getattr(rules, f"{task}_train")
    return [path for v in variants for s in SEEDS for path in expand(training.output, root=root, variant=v, seed=s)]


def claims_input(wildcards=None):
    """What claims.csv and its figures are made from, in the report's root and the baseline: every
    run of the variants the claims measure (metrics.json, history.csv, the recurrent runs'
    grad_steps.csv), every autoencoder run (the selection reads them all; the figures draw the first
    seed's params.npz) and the sparsity selection."""
    files = {"metrics": [], "history": [], "grad_steps": [], "selection": [], "params": []}
    for root in (REPORT_ROOT, RESULTS):
        for task, variants in nnlab_claims.needed_variants().items():
            present = [v for v in variants if v in ROOTS[root].get(task, {})]
            files["metrics"] += run_files(task, present, root=root)
            files["history"] += run_files(task, present, "history.csv", root=root)
            if task == "recurrent":
                files["grad_steps"] += run_files(task, present, "grad_steps.csv", root=root)
        autoencoder = list(ROOTS[root].get("autoencoder", {}))
        files["metrics"] += run_files("autoencoder", autoencoder, root=root)
        files["params"] += run_files("autoencoder", autoencoder, "params.npz", seeds=[FIRST_SEED], root=root)
        if ae_sweep(root):
            files["selection"].append(f"{root}/autoencoder/selection.json")
    return {k: sorted(set(v)) for k, v in files.items()}


def claims_outputs():
    """The claims target: the table, its figures, and the report root's aggregates and summaries."""
    outputs = [nnlab_tasks.claims_file(RESULTS)]
    outputs += [nnlab_tasks.claims_figure(RESULTS, name) for name in nnlab_claims.FIGURES]
    for task, variants in ROOTS[REPORT_ROOT].items():
        outputs += aggregate_files(task, REPORT_ROOT)
        outputs += [nnlab_tasks.summary_file(REPORT_ROOT, task), nnlab_tasks.comparisons_file(REPORT_ROOT, task)]
    return outputs


def all_outputs():
    """Every file of every run of every variant (all seeds) in every root, every aggregate, both
    summary files per task and root, the experiments' comparison tables, and the data, selection
    and figures (called after every rule is defined)."""
    outputs = [
        f"{RESULTS}/config.yaml",
        f"{RESULTS}/data/source.json",
        f"{RESULTS}/data/patches_rgb.png",
        f"{RESULTS}/data/patches_normalized.png",
        f"{RESULTS}/data/trigrams.npz",
        f"{RESULTS}/data/activity.npz",
        f"{RESULTS}/autoencoder/selection.json",
        f"{RESULTS}/autoencoder/grid_features.png",
    ]
    if LM_MAP_VARIANT:
        outputs += [f"{RESULTS}/language_model/embedding_map.png", f"{RESULTS}/language_model/embedding_map.csv"]
    for root, tasks in ROOTS.items():
        if root == REPORT_ROOT:
            continue                    # the claims target's (claims_outputs)
        for task, variants in tasks.items():
            if variants:
                outputs += run_outputs(task, variants, root)
                outputs += aggregate_files(task, root)
                outputs += [nnlab_tasks.summary_file(root, task), nnlab_tasks.comparisons_file(root, task)]
    for task in TASKS:
        if experiments_of(task):
            outputs += [nnlab_tasks.experiments_file(RESULTS, task), nnlab_tasks.forest_file(RESULTS, task)]
    return outputs
