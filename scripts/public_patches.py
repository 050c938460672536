"""Download the Kodak photographs once, check them and cut data1.h5's patches (rule public_patches)."""
from nnlab.data import public
from nnlab.runner import run

p = snakemake.params
run(snakemake, lambda log: public.make_patches(snakemake.output.data, p.settings, p.cache, p.seed, log))
