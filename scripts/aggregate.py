"""One variant's aggregate over its runs, one per seed: aggregate.json and history_mean.csv (rule aggregate)."""
from nnlab.replicates import write_aggregate
from nnlab.runner import run

run(snakemake, lambda log: write_aggregate(
    list(snakemake.input.metrics), list(snakemake.input.history), snakemake.output.aggregate,
    snakemake.output.history, snakemake.params.settings))
