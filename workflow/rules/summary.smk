# Summary tables: one row per variant, hyper-parameters and metrics.


rule summary_autoencoder:
    input:
        expand(f"{RESULTS}/autoencoder/{{variant}}/metrics.json", variant=AE_VARIANTS),
    output:
        f"{RESULTS}/summary/autoencoder.csv",
    log:
        f"{LOGS}/summary/autoencoder.log",
    script:
        "../../scripts/summarize.py"
