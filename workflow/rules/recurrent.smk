# Experiment 3: recurrent activity classifiers, one cached job per cell x truncation.


rule recurrent_train:
    input:
        data=f"{RESULTS}/data/activity.npz",
        course=course_file("data3"),
    output:
        params=f"{RESULTS}/recurrent/{{variant}}/params.npz",
        history=f"{RESULTS}/recurrent/{{variant}}/history.csv",
        metrics=f"{RESULTS}/recurrent/{{variant}}/metrics.json",
        scores=f"{RESULTS}/recurrent/{{variant}}/scores.npz",
        confusion_train=f"{RESULTS}/recurrent/{{variant}}/confusion_train.csv",
        confusion_test=f"{RESULTS}/recurrent/{{variant}}/confusion_test.csv",
        confusion_train_png=report(
            f"{RESULTS}/recurrent/{{variant}}/confusion_train.png",
            caption="../report/recurrent_confusion.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
        ),
        confusion_test_png=report(
            f"{RESULTS}/recurrent/{{variant}}/confusion_test.png",
            caption="../report/recurrent_confusion.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
        ),
        curves=report(
            f"{RESULTS}/recurrent/{{variant}}/curves.png",
            caption="../report/recurrent_curves.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
        ),
    params:
        hp=lambda wildcards: RECURRENT_VARIANTS[wildcards.variant],
    wildcard_constraints:
        variant=one_of(RECURRENT_VARIANTS),
    threads: config["threads"]
    priority: recurrent_priority
    resources:
        **training_resources(),
    log:
        f"{LOGS}/recurrent/{{variant}}.log",
    benchmark:
        f"{BENCH}/recurrent/{{variant}}.tsv"
    script:
        "../../scripts/train_recurrent.py"
