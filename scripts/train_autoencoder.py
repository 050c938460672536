"""Train one autoencoder variant (rule autoencoder_train)."""
from nnlab.experiments import autoencoder
from nnlab.runner import run

run(snakemake, lambda log: autoencoder.train_variant(
    snakemake.input.data, snakemake.wildcards.variant, snakemake.params.hp, snakemake.output, log,
    data_files=[snakemake.input.course],
))
