"""Validate a course file and preprocess it (rules prepare_patches, _trigrams, _activity)."""
from nnlab.experiments import data
from nnlab.runner import run


def job(log):
    source, out, p = snakemake.input[0], snakemake.output, snakemake.params
    if snakemake.rule == "prepare_patches":
        data.prepare_patches(source, out.data, out.rgb, out.normalized, p.n_figure, p.seed, log)
    elif snakemake.rule == "prepare_trigrams":
        data.prepare_trigrams(source, out.data, log)
    else:
        data.prepare_activity(source, out.data, p.val_fraction, p.seed, log)


run(snakemake, job)
