# Experiment 2: trigram neural language model, one cached job per (D, P[, ordered]) variant,
# then a PCA map of the word embeddings of the largest model without word order.


rule language_model_train:
    input:
        data=f"{RESULTS}/data/trigrams.npz",
        course=course_file("data2"),
    output:
        params=f"{RESULTS}/language_model/{{variant}}/params.npz",
        history=f"{RESULTS}/language_model/{{variant}}/history.csv",
        metrics=f"{RESULTS}/language_model/{{variant}}/metrics.json",
        scores=f"{RESULTS}/language_model/{{variant}}/scores.npz",
        predictions=report(
            f"{RESULTS}/language_model/{{variant}}/predictions.csv",
            caption="../report/language_model_predictions.rst",
            category="Language model",
            subcategory="{variant}",
        ),
        curves=report(
            f"{RESULTS}/language_model/{{variant}}/curves.png",
            caption="../report/language_model_curves.rst",
            category="Language model",
            subcategory="{variant}",
        ),
    params:
        hp=lambda wildcards: LM_VARIANTS[wildcards.variant],
    wildcard_constraints:
        variant=one_of(LM_VARIANTS),
    threads: config["threads"]
    resources:
        **training_resources(),
    log:
        f"{LOGS}/language_model/{{variant}}.log",
    benchmark:
        f"{BENCH}/language_model/{{variant}}.tsv"
    script:
        "../../scripts/train_language_model.py"


if LM_MAP_VARIANT:

    rule language_model_embedding_map:
        input:
            f"{RESULTS}/language_model/{LM_MAP_VARIANT}/params.npz",
        output:
            report(
                f"{RESULTS}/language_model/embedding_map.png",
                caption="../report/language_model_embedding_map.rst",
                category="Language model",
            ),
        params:
            variant=LM_MAP_VARIANT,
        threads: 1
        resources:
            **light_resources(),
        log:
            f"{LOGS}/language_model/embedding_map.log",
        script:
            "../../scripts/language_model_embedding_map.py"
