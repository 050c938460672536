# The original report's claims (nnlab.claims, docs/report.md): the report's recipe trained as its
# own root, results/report/, beside the baseline with the same data and seeds; every claim
# measured in both, with its verdict, in results/summary/claims.csv and the figures beside it.
# `snakemake --cores N claims --config replicates=5` runs it; `snakemake` alone trains none of it.


rule claims_table:
    input:
        unpack(claims_input),
    output:
        table=report(
            nnlab_tasks.claims_file(RESULTS),
            caption="../report/claims.rst",
            category="The report, reproduced",
            labels={"table": "claims"},
        ),
        figures=[
            report(
                nnlab_tasks.claims_figure(RESULTS, name),
                caption="../report/claims_figure.rst",
                category="The report, reproduced",
                labels={"figure": name},
            )
            for name in nnlab_claims.FIGURES
        ],
    params:
        roots={"course": REPORT_ROOT, "tuned": RESULTS},
        seeds=SEEDS,
        changes=list(nnlab_claims.changed(config)),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    log:
        f"{LOGS}/summary/claims.log",
    script:
        "../../scripts/claims.py"


rule claims:
    input:
        claims_outputs(),
