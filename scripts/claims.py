"""The original report's claims: the table of verdicts and its figures (rule claims_table)."""
from nnlab import claims, claims_figures
from nnlab.runner import run


def job(log):
    roots, seeds = dict(snakemake.params.roots), list(snakemake.params.seeds)
    table = claims.write(roots, seeds, snakemake.output.table, list(snakemake.params.changes))
    log(f"{len(table)} claims: " + ", ".join(f"{n} {v}" for v, n in table["verdict"].value_counts().items()))
    claims_figures.draw_all(roots, seeds, dict(zip(claims.FIGURES, snakemake.output.figures)), snakemake.config)


run(snakemake, job)
