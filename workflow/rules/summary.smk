# Summary tables: one row per variant, hyper-parameters and metrics.


rule summary_autoencoder:
    input:
        expand(f"{RESULTS}/autoencoder/{{variant}}/metrics.json", variant=AE_VARIANTS),
    output:
        f"{RESULTS}/summary/autoencoder.csv",
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/autoencoder.log",
    script:
        "../../scripts/summarize.py"


rule summary_recurrent:
    input:
        expand(f"{RESULTS}/recurrent/{{variant}}/metrics.json", variant=RECURRENT_VARIANTS),
    output:
        f"{RESULTS}/summary/recurrent.csv",
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/recurrent.log",
    script:
        "../../scripts/summarize.py"


rule summary_language_model:
    input:
        expand(f"{RESULTS}/language_model/{{variant}}/metrics.json", variant=LM_VARIANTS),
    output:
        f"{RESULTS}/summary/language_model.csv",
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/language_model.log",
    script:
        "../../scripts/summarize.py"
