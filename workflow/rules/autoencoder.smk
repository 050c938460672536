# Experiment 1: sparse autoencoder. Part b sweeps beta x rho on the base model; the
# selection picks (beta, rho) from the mean over seeds; part d runs the L_hid x lambda grid
# with them. Every run in results/autoencoder/<variant>/seed<S>/ (common.smk).


rule autoencoder_train:
    input:
        data=f"{RESULTS}/data/patches.npz",
        selection=ae_selection_input,
        course=course_file("data1"),
    output:
        params=f"{run_dir('autoencoder')}/params.npz",
        history=f"{run_dir('autoencoder')}/history.csv",
        metrics=f"{run_dir('autoencoder')}/metrics.json",
        scores=f"{run_dir('autoencoder')}/scores.npz",
        features=report(
            f"{run_dir('autoencoder')}/features.png",
            caption="../report/autoencoder_features.rst",
            category="Autoencoder",
            subcategory="{variant}",
            labels={"figure": "features", "seed": "{seed}"},
        ),
        curves=report(
            f"{run_dir('autoencoder')}/curves.png",
            caption="../report/autoencoder_curves.rst",
            category="Autoencoder",
            subcategory="{variant}",
            labels={"figure": "curves", "seed": "{seed}"},
        ),
        reconstructions=report(
            f"{run_dir('autoencoder')}/reconstructions.png",
            caption="../report/autoencoder_reconstructions.rst",
            category="Autoencoder",
            subcategory="{variant}",
            labels={"figure": "reconstructions", "seed": "{seed}"},
        ),
    params:
        hp=ae_hp,
    wildcard_constraints:
        root=one_of(roots_of("autoencoder")),
        variant=one_of(variants_of("autoencoder")),
        seed=SEED,
    threads: config["threads"]
    priority: autoencoder_priority
    resources:
        **training_resources(),
    group: autoencoder_group
    log:
        run_log("autoencoder"),
    benchmark:
        run_benchmark("autoencoder")
    script:
        "../../scripts/train_autoencoder.py"


# A checkpoint: the grid runs' (beta, rho) are read from its output when it is done
# (ae_hp in common.smk), so a rerun that chooses the same pair retrains no grid run.
checkpoint autoencoder_select:
    input:
        lambda w: run_files("autoencoder", ae_sweep(w.root), root=w.root),
    output:
        "{root}/autoencoder/selection.json",
    params:
        tolerance=lambda w: root_config(w.root)["autoencoder"]["selection_tolerance"],
    wildcard_constraints:
        root=one_of([root for root in ROOTS if ae_sweep(root)]),
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    log:
        "{root}/logs/autoencoder/selection.log",
    script:
        "../../scripts/select_sparsity.py"


rule autoencoder_grid_figure:
    input:
        run_files("autoencoder", AE_GRID, "params.npz", seeds=[FIRST_SEED]),
    output:
        report(
            f"{RESULTS}/autoencoder/grid_features.png",
            caption="../report/autoencoder_grid.rst",
            category="Autoencoder",
        ),
    params:
        hp=[nnlab_variants.sorted_settings(hp) for hp in AE_GRID.values()],
    threads: 1
    priority: SUMMARY_PRIORITY
    resources:
        **light_resources(),
    group: "autoencoder_summary"
    log:
        f"{LOGS}/autoencoder/grid_figure.log",
    script:
        "../../scripts/autoencoder_grid_figure.py"
