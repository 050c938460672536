"""2-D PCA map of the word embeddings of one language-model variant (rule language_model_embedding_map)."""
from nnlab.experiments import language_model
from nnlab.runner import run

run(snakemake, lambda log: language_model.embedding_map(
    snakemake.input[0], snakemake.params.variant, snakemake.output.png, snakemake.output.csv))
