"""Per task: the summary table (one row per variant, intervals) and every pair of variants
compared (rule summary, wildcard task)."""
from nnlab.replicates import write_summary
from nnlab.runner import run

run(snakemake, lambda log: write_summary(
    snakemake.wildcards.task, list(snakemake.input.aggregates), list(snakemake.input.metrics),
    list(snakemake.input.scores), snakemake.output.summary, snakemake.output.comparisons,
    snakemake.params.settings))
