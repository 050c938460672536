"""Validate data2.h5 and index its 4-grams (rule prepare_trigrams)."""
from nnlab.experiments import data
from nnlab.runner import run

run(snakemake, lambda log: data.prepare_trigrams(snakemake.input[0], snakemake.output.data, log))
