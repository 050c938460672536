# Experiment 1: sparse autoencoder. Part b sweeps beta x rho on the base model; the
# selection picks (beta, rho); part d runs the L_hid x lambda grid with them.


rule autoencoder_train:
    input:
        data=f"{RESULTS}/data/patches.npz",
        selection=ae_selection_input,
        course=course_file("data1"),
    output:
        params=f"{RESULTS}/autoencoder/{{variant}}/params.npz",
        history=f"{RESULTS}/autoencoder/{{variant}}/history.csv",
        metrics=f"{RESULTS}/autoencoder/{{variant}}/metrics.json",
        scores=f"{RESULTS}/autoencoder/{{variant}}/scores.npz",
        features=report(
            f"{RESULTS}/autoencoder/{{variant}}/features.png",
            caption="../report/autoencoder_features.rst",
            category="Autoencoder",
            subcategory="{variant}",
        ),
        curves=report(
            f"{RESULTS}/autoencoder/{{variant}}/curves.png",
            caption="../report/autoencoder_curves.rst",
            category="Autoencoder",
            subcategory="{variant}",
        ),
        reconstructions=report(
            f"{RESULTS}/autoencoder/{{variant}}/reconstructions.png",
            caption="../report/autoencoder_reconstructions.rst",
            category="Autoencoder",
            subcategory="{variant}",
        ),
    params:
        hp=lambda wildcards: AE_VARIANTS[wildcards.variant],
    wildcard_constraints:
        variant=one_of(AE_VARIANTS),
    threads: config["threads"]
    priority: autoencoder_priority
    resources:
        **training_resources(),
    log:
        f"{LOGS}/autoencoder/{{variant}}.log",
    benchmark:
        f"{BENCH}/autoencoder/{{variant}}.tsv"
    script:
        "../../scripts/train_autoencoder.py"


rule autoencoder_select:
    input:
        metrics_files("autoencoder", AE_SWEEP),
    output:
        f"{RESULTS}/autoencoder/selection.json",
    params:
        tolerance=config["autoencoder"]["selection_tolerance"],
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/autoencoder/selection.log",
    script:
        "../../scripts/select_sparsity.py"


rule autoencoder_grid_figure:
    input:
        expand(f"{RESULTS}/autoencoder/{{variant}}/params.npz", variant=AE_GRID),
    output:
        report(
            f"{RESULTS}/autoencoder/grid_features.png",
            caption="../report/autoencoder_grid.rst",
            category="Autoencoder",
        ),
    params:
        hp=[AE_GRID[v] for v in AE_GRID],
    threads: 1
    resources:
        **light_resources(),
    log:
        f"{LOGS}/autoencoder/grid_figure.log",
    script:
        "../../scripts/autoencoder_grid_figure.py"
