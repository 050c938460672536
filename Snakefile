# nnlab: three classic neural-network experiments from scratch in NumPy.
# This file only configures and includes; every stage has its own rule file.
import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/autoencoder.smk"
include: "workflow/rules/language_model.smk"
include: "workflow/rules/recurrent.smk"
include: "workflow/rules/summary.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
