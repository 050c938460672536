# Helpers shared by all stages (config validation, data sources, variants, wildcard
# constraints, resources). Every import of the rule files is here, and only here.
import hashlib
import json
import os
import re
import signal
import sys
from pathlib import Path

from nnlab.config import DEMO_DATA_DIR, validate
from nnlab.errors import ConfigError
from nnlab import variants as nnlab_variants

try:
    validate(config, workflow.source_path("../schemas/config.schema.yaml"))
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

RESULTS = "results"
LOGS = f"{RESULTS}/logs"
BENCH = f"{RESULTS}/benchmarks"
DATA_DIR = str(config["data_dir"]).rstrip("/")
DEMO = Path(DATA_DIR) == Path(DEMO_DATA_DIR)

if not DEMO:
    for _name in ("data1.h5", "data2.h5", "data3.h5"):
        if not (Path(DATA_DIR) / _name).is_file():
            sys.exit(
                f"error: config: key 'data_dir': expected a folder holding data1.h5, data2.h5 and "
                f"data3.h5, found no {_name} in {DATA_DIR}"
            )


def course_file(name):
    return f"{DATA_DIR}/{name}.h5"


try:
    AE_SWEEP = nnlab_variants.autoencoder_sweep(config)
    AE_GRID = nnlab_variants.autoencoder_grid(config)
    AE_VARIANTS = {**AE_SWEEP, **AE_GRID}
    RECURRENT_VARIANTS = nnlab_variants.recurrent_variants(config)
    LM_VARIANTS = nnlab_variants.language_model_variants(config)
    LM_MAP_VARIANT = nnlab_variants.language_model_map_variant(config)
except ConfigError as error:
    sys.exit(f"error: {error}")

# The variants of each task, by task name: the summary rule and rule all read these.
TASK_VARIANTS = {
    "autoencoder": AE_VARIANTS,
    "language_model": LM_VARIANTS,
    "recurrent": RECURRENT_VARIANTS,
}


def one_of(names):
    """A wildcard constraint matching exactly one of `names`, taken literally.

    Names hold regex characters ("sweep-beta0.5-rho0.05"): unescaped, "." matches any
    character, so a mistyped path reached the rule and failed inside an input function
    instead of Snakemake saying that no rule produces it. With no names, match nothing.
    """
    return "|".join(map(re.escape, names)) or "(?!)"


def metrics_files(task, variants):
    return expand(f"{RESULTS}/{task}/{{variant}}/metrics.json", variant=variants)


def summary_input(wildcards):
    return metrics_files(wildcards.task, TASK_VARIANTS[wildcards.task])


def ae_selection_input(wildcards):
    hp = AE_VARIANTS[wildcards.variant]
    if hp["beta"] is None or hp["rho"] is None:
        return f"{RESULTS}/autoencoder/selection.json"
    return []


def config_sources():
    """Where this run's configuration came from, in words: its files and --config overrides."""
    files = workflow.overwrite_configfiles or [os.path.join(workflow.basedir, "config.yaml")]
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


def recurrent_priority(wildcards):
    return 3 if RECURRENT_VARIANTS[wildcards.variant]["truncation"] is None else 2


def autoencoder_priority(wildcards):
    return 1 if wildcards.variant in AE_SWEEP else 0


def light_resources():
    return {"mem_mb": config["resources"]["light_mem_mb"], "runtime": config["resources"]["light_runtime"]}


def all_outputs():
    outputs = [
        f"{RESULTS}/config.yaml",
        f"{RESULTS}/data/patches_rgb.png",
        f"{RESULTS}/data/patches_normalized.png",
        f"{RESULTS}/data/trigrams.npz",
        f"{RESULTS}/data/activity.npz",
        f"{RESULTS}/summary/autoencoder.csv",
        f"{RESULTS}/autoencoder/selection.json",
        f"{RESULTS}/autoencoder/grid_features.png",
    ]
    outputs += metrics_files("autoencoder", AE_VARIANTS)
    outputs.append(f"{RESULTS}/summary/language_model.csv")
    outputs += metrics_files("language_model", LM_VARIANTS)
    if LM_MAP_VARIANT:
        outputs.append(f"{RESULTS}/language_model/embedding_map.png")
    outputs.append(f"{RESULTS}/summary/recurrent.csv")
    outputs += metrics_files("recurrent", RECURRENT_VARIANTS)
    return outputs
