"""Train one trigram language-model variant (rule language_model_train)."""
from nnlab.experiments import language_model
from nnlab.runner import run

run(snakemake, lambda log: language_model.train_variant(
    snakemake.input.data, snakemake.wildcards.variant, snakemake.params.hp, snakemake.output, log,
    data_files=[snakemake.input.course],
))
