# nnlab: three classic neural-network experiments from scratch in NumPy.
# This file only configures and includes; every stage has its own rule file.
import os

from snakemake.utils import min_version

min_version("9.0")


# config.yaml is the configuration, unless --configfile names other files: then those
# files alone are (config.yaml is not mixed in; Snakemake would otherwise merge them
# over it, key by key). --config overrides apply on top either way; the configuration
# actually used is written to results/config.yaml.
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/config.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/autoencoder.smk"
include: "workflow/rules/language_model.smk"
include: "workflow/rules/recurrent.smk"
include: "workflow/rules/summary.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
