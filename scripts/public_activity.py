"""Download WISDM v1.1 once, check it and write data3.h5's windows, split by user (rule public_activity)."""
from nnlab.data import public
from nnlab.runner import run

p = snakemake.params
run(snakemake, lambda log: public.make_activity(snakemake.output.data, p.settings, p.cache, p.seed, log))
