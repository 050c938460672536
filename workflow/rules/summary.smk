# Summary tables: one per task, one row per variant (hyper-parameters and metrics), from
# the task's metrics.json files (TASK_VARIANTS in common.smk lists them).


rule summary:
    input:
        summary_input,
    output:
        f"{RESULTS}/summary/{{task}}.csv",
    wildcard_constraints:
        task=one_of(TASK_VARIANTS),
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/{{task}}.log",
    script:
        "../../scripts/summarize.py"
