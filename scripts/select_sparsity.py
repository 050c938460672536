"""Pick beta, rho from the sweep (rule autoencoder_select)."""
from nnlab.experiments import autoencoder
from nnlab.runner import run


def job(log):
    chosen = autoencoder.select_sparsity(list(snakemake.input), snakemake.params.tolerance, snakemake.output[0])
    log(f"chosen: {chosen}")


run(snakemake, job)
