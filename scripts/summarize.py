"""One summary table per task: one row per variant (rule summary, wildcard task)."""
from nnlab.results import write_summary
from nnlab.runner import run

run(snakemake, lambda log: write_summary(snakemake.output[0], list(snakemake.input)))
