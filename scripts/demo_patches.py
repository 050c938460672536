"""Build the demo data1.h5: natural-image patches (rule demo_patches)."""
from nnlab.data import demo
from nnlab.runner import run


def job(log):
    p = snakemake.params
    log(f"building {snakemake.output[0]} with n={p.n}, seed={p.seed}")
    demo.make_patches(snakemake.output[0], n=p.n, seed=p.seed)


run(snakemake, job)
