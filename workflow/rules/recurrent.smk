# Experiment 3: recurrent activity classifiers, one cached job per cell x truncation and seed.


rule recurrent_train:
    input:
        data=f"{RESULTS}/data/activity.npz",
        course=course_file("data3"),
    output:
        params=f"{run_dir('recurrent')}/params.npz",
        history=f"{run_dir('recurrent')}/history.csv",
        metrics=f"{run_dir('recurrent')}/metrics.json",
        scores=f"{run_dir('recurrent')}/scores.npz",
        grad_steps=f"{run_dir('recurrent')}/grad_steps.csv",
        confusion_train=f"{run_dir('recurrent')}/confusion_train.csv",
        confusion_test=f"{run_dir('recurrent')}/confusion_test.csv",
        confusion_train_png=report(
            f"{run_dir('recurrent')}/confusion_train.png",
            caption="../report/recurrent_confusion.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
            labels={"figure": "confusion (train)", "seed": "{seed}"},
        ),
        confusion_test_png=report(
            f"{run_dir('recurrent')}/confusion_test.png",
            caption="../report/recurrent_confusion.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
            labels={"figure": "confusion (test)", "seed": "{seed}"},
        ),
        curves=report(
            f"{run_dir('recurrent')}/curves.png",
            caption="../report/recurrent_curves.rst",
            category="Recurrent classifiers",
            subcategory="{variant}",
            labels={"figure": "curves", "seed": "{seed}"},
        ),
    params:
        hp=run_hp("recurrent"),
    wildcard_constraints:
        root=one_of(roots_of("recurrent")),
        variant=one_of(variants_of("recurrent")),
        seed=SEED,
    threads: config["threads"]
    priority: recurrent_priority
    resources:
        **training_resources(),
    log:
        run_log("recurrent"),
    benchmark:
        run_benchmark("recurrent")
    script:
        "../../scripts/train_recurrent.py"
