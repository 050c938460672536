# nnlab: three classic neural-network experiments from scratch in NumPy.
# This file only configures and includes; every stage has its own rule file.
import os
import sys

from snakemake.utils import min_version

from nnlab.config import load_yaml
from nnlab.errors import ConfigError

min_version("9.0")


# config.yaml is the configuration, unless --configfile names other files: then those
# files alone are (config.yaml is not mixed in; Snakemake would otherwise merge them
# over it, key by key). --config overrides apply on top either way; the configuration
# actually used is written to results/config.yaml.
# config.yaml is read here first: Snakemake's reader says only "Config file is not valid
# JSON or YAML" (no file, line or column), keeps the second value of a key given twice, and
# expands YAML aliases while merging, so an alias bomb would take minutes. --configfile
# files Snakemake reads itself, before this file runs: a YAML error in one stays Snakemake's
# message, without file or line (`python -m nnlab.config FILE` gives them); a key given
# twice in one is refused here.
CONFIG_FILES = workflow.overwrite_configfiles or [os.path.join(workflow.basedir, "config.yaml")]
try:
    for _path in CONFIG_FILES:
        load_yaml(_path)
except ConfigError as error:
    sys.exit(f"error: {error}")

if not workflow.overwrite_configfiles:

    configfile: CONFIG_FILES[0]


include: "workflow/rules/common.smk"
include: "workflow/rules/config.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/autoencoder.smk"
include: "workflow/rules/language_model.smk"
include: "workflow/rules/recurrent.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/claims.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
