"""Train one recurrent classifier variant (rule recurrent_train)."""
from nnlab.experiments import recurrent
from nnlab.runner import run

run(snakemake, lambda log: recurrent.train_variant(
    snakemake.input.data, snakemake.wildcards.variant, snakemake.params.hp, snakemake.output, log,
    data_files=[snakemake.input.course],
))
