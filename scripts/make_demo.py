"""Build one demo course file (rules demo_patches, demo_trigrams, demo_activity)."""
from nnlab.data import demo
from nnlab.runner import run

BUILDERS = {"demo_patches": demo.make_patches, "demo_trigrams": demo.make_trigrams,
            "demo_activity": demo.make_activity}


def job(log):
    options = {k: v for k, v in snakemake.params.items()}
    log(f"building {snakemake.output[0]} with {options}")
    BUILDERS[snakemake.rule](snakemake.output[0], **options)


run(snakemake, job)
