"""Record where the course-schema files came from, for the app's Data page (rule data_source)."""
from pathlib import Path

from nnlab.data import public
from nnlab.runner import run

data_dir = Path(snakemake.input.data[0]).parent      # the folder of data1.h5, data2.h5, data3.h5
run(snakemake, lambda log: public.write_source(snakemake.output[0], snakemake.params.source, data_dir, log))
