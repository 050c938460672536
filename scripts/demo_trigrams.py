"""Build the demo data2.h5: 4-grams over a small vocabulary (rule demo_trigrams)."""
from nnlab.data import demo
from nnlab.runner import run


def job(log):
    p = snakemake.params
    log(f"building {snakemake.output[0]} with vocab_size={p.vocab_size}, seed={p.seed}")
    demo.make_trigrams(snakemake.output[0], vocab_size=p.vocab_size, seed=p.seed)


run(snakemake, job)
