"""Validate data3.h5 and split off a stratified validation set (rule prepare_activity)."""
from nnlab.experiments import data
from nnlab.runner import run

p = snakemake.params
run(snakemake, lambda log: data.prepare_activity(
    snakemake.input[0], snakemake.output.data, p.val_fraction, p.seed, log))
