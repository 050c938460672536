"""Write the configuration this run used, after its sources (rule effective_config)."""
import yaml

from nnlab.io import atomic_path
from nnlab.runner import run


def job(log):
    sources = snakemake.params.sources
    header = ["# The configuration this run used (rule effective_config, rewritten when it changes).",
              "# Files: " + ", ".join(sources["files"])]
    if sources["overrides"]:
        header.append("# Overrides: --config " + sources["overrides"])
    with atomic_path(snakemake.output[0]) as tmp:
        used = dict(snakemake.config)
        if used.get("experiments") or snakemake.params.experiments:
            used["experiments"] = dict(snakemake.params.experiments)
        tmp.write_text("\n".join(header) + "\n" + yaml.safe_dump(used, sort_keys=False))
    log(f"wrote {snakemake.output[0]} (digest {snakemake.params.digest})")


run(snakemake, job)
