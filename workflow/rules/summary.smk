# Per variant, beside its seed folders: aggregate.json (mean, sd, n and 95% interval of every
# metric over the seeds) and history_mean.csv (per-epoch mean and band). Per task:
# results/summary/<task>.csv (one row per variant, with interval columns) and
# results/summary/<task>_comparisons.csv (every pair of variants on the task's key metrics,
# paired by seed and on the first seed's test set). TASK_VARIANTS in common.smk lists them.


rule aggregate:
    input:
        unpack(aggregate_input),
    output:
        aggregate=nnlab_tasks.aggregate_file(RESULTS, "{task}", "{variant}"),
        history=nnlab_tasks.history_mean_file(RESULTS, "{task}", "{variant}"),
    wildcard_constraints:
        task=one_of(TASK_VARIANTS),
        variant=one_of(ALL_VARIANTS),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    group: summary_group
    log:
        f"{LOGS}/{{task}}/{{variant}}/aggregate.log",
    script:
        "../../scripts/aggregate.py"


rule summary:
    input:
        unpack(summary_input),
    output:
        summary=report(
            nnlab_tasks.summary_file(RESULTS, "{task}"),
            caption="../report/summary.rst",
            category="Comparisons",
            subcategory="{task}",
            labels={"table": "summary"},
        ),
        comparisons=report(
            nnlab_tasks.comparisons_file(RESULTS, "{task}"),
            caption="../report/comparisons.rst",
            category="Comparisons",
            subcategory="{task}",
            labels={"table": "comparisons"},
        ),
    wildcard_constraints:
        task=one_of(TASK_VARIANTS),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    group: summary_group
    log:
        f"{LOGS}/summary/{{task}}.log",
    script:
        "../../scripts/summarize.py"
