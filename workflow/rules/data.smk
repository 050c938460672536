# Data: demo course files (only when data_dir is the default), validation and preprocessing.

if DEMO:

    rule demo_patches:
        output:
            f"{DATA_DIR}/data1.h5",
        params:
            n=config["demo"]["patches"],
            seed=config["seed"],
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        group: DATA_GROUP
        log:
            f"{LOGS}/data/demo_patches.log",
        script:
            "../../scripts/demo_patches.py"

    rule demo_trigrams:
        output:
            f"{DATA_DIR}/data2.h5",
        params:
            vocab_size=config["demo"]["vocab_size"],
            seed=config["seed"],
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        group: DATA_GROUP
        log:
            f"{LOGS}/data/demo_trigrams.log",
        script:
            "../../scripts/demo_trigrams.py"

    rule demo_activity:
        output:
            f"{DATA_DIR}/data3.h5",
        params:
            n_train=config["demo"]["activity_train"],
            n_test=config["demo"]["activity_test"],
            T=config["demo"]["activity_steps"],
            seed=config["seed"],
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        group: DATA_GROUP
        log:
            f"{LOGS}/data/demo_activity.log",
        script:
            "../../scripts/demo_activity.py"

if PUBLIC:
    # Each downloads its source once into PUBLIC_CACHE (outside results/, shared by every results
    # folder), checks it, and converts it into the course schema, with a record of where it came from.
    # Local rules: on a cluster they run where Snakemake runs, since compute nodes often have no network.

    localrules:
        public_patches,
        public_trigrams,
        public_activity,

    rule public_patches:
        output:
            data=f"{DATA_DIR}/data1.h5",
            record=f"{DATA_DIR}/data1.h5.source.json",
        params:
            settings=config["public"]["patches"],
            cache=PUBLIC_CACHE,
            seed=config["seed"],
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        log:
            f"{LOGS}/data/public_patches.log",
        script:
            "../../scripts/public_patches.py"

    rule public_trigrams:
        output:
            data=f"{DATA_DIR}/data2.h5",
            record=f"{DATA_DIR}/data2.h5.source.json",
        params:
            settings=config["public"]["trigrams"],
            cache=PUBLIC_CACHE,
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        log:
            f"{LOGS}/data/public_trigrams.log",
        script:
            "../../scripts/public_trigrams.py"

    rule public_activity:
        output:
            data=f"{DATA_DIR}/data3.h5",
            record=f"{DATA_DIR}/data3.h5.source.json",
            readme=f"{DATA_DIR}/WISDM_readme.txt",
        params:
            settings=config["public"]["activity"],
            cache=PUBLIC_CACHE,
            seed=config["seed"],
        threads: 1
        priority: DATA_PRIORITY
        resources:
            **light_resources(),
        log:
            f"{LOGS}/data/public_activity.log",
        script:
            "../../scripts/public_activity.py"


rule data_source:
    input:
        data=[course_file(name) for name in ("data1", "data2", "data3")],
        records=[f"{course_file(name)}.source.json" for name in ("data1", "data2", "data3")] if PUBLIC else [],
    output:
        f"{RESULTS}/data/source.json",
    params:
        source=SOURCE,
    threads: 1
    priority: DATA_PRIORITY
    resources:
        **light_resources(),
    group: DATA_GROUP
    log:
        f"{LOGS}/data/data_source.log",
    script:
        "../../scripts/data_source.py"


rule prepare_patches:
    input:
        course_file("data1"),
    output:
        data=f"{RESULTS}/data/patches.npz",
        rgb=report(
            f"{RESULTS}/data/patches_rgb.png",
            caption="../report/data_patches_rgb.rst",
            category="Data",
        ),
        normalized=report(
            f"{RESULTS}/data/patches_normalized.png",
            caption="../report/data_patches_normalized.rst",
            category="Data",
        ),
    params:
        n_figure=config["data"]["figure_patches"],
        seed=config["seed"],
    threads: 1
    priority: DATA_PRIORITY
    resources:
        **light_resources(),
    group: DATA_GROUP
    log:
        f"{LOGS}/data/prepare_patches.log",
    script:
        "../../scripts/prepare_patches.py"


rule prepare_trigrams:
    input:
        course_file("data2"),
    output:
        data=f"{RESULTS}/data/trigrams.npz",
    threads: 1
    priority: DATA_PRIORITY
    resources:
        **light_resources(),
    group: DATA_GROUP
    log:
        f"{LOGS}/data/prepare_trigrams.log",
    script:
        "../../scripts/prepare_trigrams.py"


rule prepare_activity:
    input:
        course_file("data3"),
    output:
        data=f"{RESULTS}/data/activity.npz",
    params:
        val_fraction=config["data"]["validation_fraction"],
        seed=config["seed"],
    threads: 1
    priority: DATA_PRIORITY
    resources:
        **light_resources(),
    group: DATA_GROUP
    log:
        f"{LOGS}/data/prepare_activity.log",
    script:
        "../../scripts/prepare_activity.py"
