"""Build the demo data3.h5: simulated accelerometer windows (rule demo_activity)."""
from nnlab.data import demo
from nnlab.runner import run


def job(log):
    p = snakemake.params
    log(f"building {snakemake.output[0]} with n_train={p.n_train}, n_test={p.n_test}, T={p.T}, seed={p.seed}")
    demo.make_activity(snakemake.output[0], n_train=p.n_train, n_test=p.n_test, T=p.T, seed=p.seed)


run(snakemake, job)
