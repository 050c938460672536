"""Per task: every experiment against the baseline, a table and a forest plot (rule experiments)."""
from nnlab.replicates import write_experiments
from nnlab.runner import run

run(snakemake, lambda log: write_experiments(
    snakemake.wildcards.task, list(snakemake.input.metrics), list(snakemake.input.scores),
    snakemake.params.sweeps, snakemake.output.table, snakemake.output.forest, snakemake.params.baseline_points,
    snakemake.params.settings, config=snakemake.config))
