# The effective configuration: what this run actually used (config.yaml, or the
# --configfile files instead of it, with any --config overrides), written as YAML.
# Its digest is a param, so any change of configuration rewrites the file. The experiments
# section is written expanded (every sweep point with its whole change: nnlab.overlays).


rule effective_config:
    output:
        f"{RESULTS}/config.yaml",
    params:
        sources=config_sources(),
        digest=config_digest(),
        experiments=nnlab_overlays.effective(EXPERIMENTS),
    threads: 1
    resources:
        **light_resources(),
    group: DATA_GROUP
    log:
        f"{LOGS}/config.log",
    script:
        "../../scripts/effective_config.py"
