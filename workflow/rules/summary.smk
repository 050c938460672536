# Per variant, beside its seed folders: aggregate.json (mean, sd, n and 95% interval of every
# metric over the seeds) and history_mean.csv (per-epoch mean and band). Per task and root:
# <root>/summary/<task>.csv (one row per variant, with interval columns) and
# <root>/summary/<task>_comparisons.csv (every pair of variants on the task's compared metrics,
# paired by seed and on the first seed's test set, in both orders). Per task with experiments:
# results/summary/<task>_experiments.csv and .png (every experiment against the baseline).
# ROOTS in common.smk lists the roots: results/ and results/experiments/<name>/.


rule aggregate:
    input:
        unpack(aggregate_input),
    output:
        aggregate=nnlab_tasks.aggregate_file("{root}", "{task}", "{variant}"),
        history=nnlab_tasks.history_mean_file("{root}", "{task}", "{variant}"),
    params:
        settings=lambda w: recorded_settings(w.task, {w.root: [w.variant]}),
    wildcard_constraints:
        root=one_of(ROOTS),
        task=one_of(TASKS),
        variant=one_of(ALL_VARIANTS),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    group: summary_group
    log:
        "{root}/logs/{task}/{variant}/aggregate.log",
    script:
        "../../scripts/aggregate.py"


rule summary:
    input:
        unpack(summary_input),
    output:
        summary=report(
            nnlab_tasks.summary_file("{root}", "{task}"),
            caption="../report/summary.rst",
            category="Comparisons",
            subcategory="{task}",
            labels={"table": "summary", "results": "{root}"},
        ),
        comparisons=report(
            nnlab_tasks.comparisons_file("{root}", "{task}"),
            caption="../report/comparisons.rst",
            category="Comparisons",
            subcategory="{task}",
            labels={"table": "comparisons", "results": "{root}"},
        ),
    params:
        settings=lambda w: recorded_settings(w.task, {w.root: list(ROOTS[w.root][w.task])}),
    wildcard_constraints:
        root=one_of(ROOTS),
        task=one_of(TASKS),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    group: summary_group
    log:
        "{root}/logs/summary/{task}.log",
    script:
        "../../scripts/summarize.py"


rule experiments:
    input:
        unpack(experiments_input),
    output:
        table=report(
            nnlab_tasks.experiments_file(RESULTS, "{task}"),
            caption="../report/experiments.rst",
            category="Experiments",
            subcategory="{task}",
            labels={"table": "against the baseline"},
        ),
        forest=report(
            nnlab_tasks.forest_file(RESULTS, "{task}"),
            caption="../report/experiments_forest.rst",
            category="Experiments",
            subcategory="{task}",
            labels={"figure": "forest plot"},
        ),
    params:
        sweeps=lambda w: {name: e.sweep for name, e in experiments_of(w.task).items()},
        baseline_points=lambda w: baseline_points(w.task),
        settings=lambda w: recorded_settings(w.task, experiment_runs(w.task)),
    wildcard_constraints:
        task=one_of([task for task in TASKS if experiments_of(task)]),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/{{task}}_experiments.log",
    script:
        "../../scripts/compare_experiments.py"
