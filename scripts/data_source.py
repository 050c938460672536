"""Record where the course-schema files came from, for the app's Data page (rule data_source)."""
from nnlab.data import public
from nnlab.runner import run

p = snakemake.params
run(snakemake, lambda log: public.write_source(snakemake.output[0], p.source, p.data_dir, log))
