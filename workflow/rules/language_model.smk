# Experiment 2: trigram neural language model, one cached job per (D, P[, ordered]) variant
# and seed, then a PCA map of the word embeddings of the largest model without word order
# (its first seed's run).


rule language_model_train:
    input:
        data=f"{RESULTS}/data/trigrams.npz",
        course=course_file("data2"),
    output:
        params=f"{run_dir('language_model')}/params.npz",
        history=f"{run_dir('language_model')}/history.csv",
        metrics=f"{run_dir('language_model')}/metrics.json",
        scores=f"{run_dir('language_model')}/scores.npz",
        predictions=report(
            f"{run_dir('language_model')}/predictions.csv",
            caption="../report/language_model_predictions.rst",
            category="Language model",
            subcategory="{variant}",
            labels={"figure": "predictions", "seed": "{seed}"},
        ),
        curves=report(
            f"{run_dir('language_model')}/curves.png",
            caption="../report/language_model_curves.rst",
            category="Language model",
            subcategory="{variant}",
            labels={"figure": "curves", "seed": "{seed}"},
        ),
    params:
        hp=run_hp("language_model"),
    wildcard_constraints:
        root=one_of(roots_of("language_model")),
        variant=one_of(variants_of("language_model")),
        seed=SEED,
    threads: config["threads"]
    resources:
        **training_resources(),
    log:
        run_log("language_model"),
    benchmark:
        run_benchmark("language_model")
    script:
        "../../scripts/train_language_model.py"


if LM_MAP_VARIANT:

    rule language_model_embedding_map:
        input:
            f"{run_dir('language_model', LM_MAP_VARIANT, FIRST_SEED, RESULTS)}/params.npz",
        output:
            png=report(
                f"{RESULTS}/language_model/embedding_map.png",
                caption="../report/language_model_embedding_map.rst",
                category="Language model",
            ),
            csv=f"{RESULTS}/language_model/embedding_map.csv",   # word, x, y: the app's interactive map
        params:
            variant=LM_MAP_VARIANT,
        threads: 1
        priority: SUMMARY_PRIORITY
        resources:
            **light_resources(),
        group: "language_model_summary"
        log:
            f"{LOGS}/language_model/embedding_map.log",
        script:
            "../../scripts/language_model_embedding_map.py"
