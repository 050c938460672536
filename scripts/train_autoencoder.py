"""Train one autoencoder variant (rule autoencoder_train)."""
from nnlab.experiments import autoencoder
from nnlab.runner import run

run(snakemake, lambda log: autoencoder.train_variant(
    snakemake.input.data, snakemake.wildcards.variant, snakemake.params.hp, snakemake.output, log,
    selection_path=snakemake.input.selection[0] if snakemake.input.selection else None,
    data_files=[snakemake.input.course],
))
