"""Download the course's data.mat once, check it and write data2.h5 (rule public_trigrams)."""
from nnlab.data import public
from nnlab.runner import run

p = snakemake.params
run(snakemake, lambda log: public.make_trigrams(snakemake.output.data, p.settings, p.cache, log))
