"""Validate data1.h5 and normalize its patches, with the two patch figures (rule prepare_patches)."""
from nnlab.experiments import data
from nnlab.runner import run

out, p = snakemake.output, snakemake.params
run(snakemake, lambda log: data.prepare_patches(
    snakemake.input[0], out.data, out.rgb, out.normalized, p.n_figure, p.seed, log))
