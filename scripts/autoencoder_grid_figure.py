"""The nine grid feature images in one L_hid x lambda figure (rule autoencoder_grid_figure)."""
from nnlab.experiments import autoencoder
from nnlab.runner import run

paths = list(snakemake.input)
run(snakemake, lambda log: autoencoder.grid_figure(
    paths, dict(zip(paths, snakemake.params.hp)), snakemake.output[0]))
