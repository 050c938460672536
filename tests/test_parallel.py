"""Parallel runs: BLAS threads pinned to the rule's threads, every rule sized for a scheduler,
longest training jobs first, and `snakemake --lint` clean but for conda/container."""
import re
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from conftest import ROOT, snakemake
from nnlab import runner


def blas_threads():
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.mark.parametrize("threads", [1, 2])
def test_runner_pins_blas_threads_to_the_rules_threads(tmp_path, threads):
    if not blas_threads():
        pytest.skip("NumPy reports no BLAS thread pool")
    before = blas_threads()
    seen = []

    def job(log):
        np.ones((64, 64)) @ np.ones((64, 64))
        seen.extend(blas_threads())

    job_snakemake = SimpleNamespace(log=[str(tmp_path / "job.log")], rule="x_train", threads=threads)
    runner.run(job_snakemake, job)
    assert seen and all(n == min(threads, max(before)) for n in seen), (seen, before)
    assert blas_threads() == before
    assert f"rule x_train: threads {threads}" in (tmp_path / "job.log").read_text()


def planned_jobs(tmp_path, *args, cores=2):
    """(rule, wildcards, threads, resources, priority) of every job of the default config's plan."""
    proc = snakemake(tmp_path, "-n", "--configfile", str(ROOT / "config.yaml"), "--cores", str(cores), *args)
    jobs = []
    for block in re.split(r"\n(?=\s*(?:local)?(?:rule|checkpoint) \w+:)", proc.stdout):  # indented in a group job
        head = re.match(r"\s*(?:local)?(?:rule|checkpoint) (\w+):", block)
        if not head or head.group(1) == "all":
            continue
        field = lambda name: (re.search(rf"^\s+{name}: (.*)$", block, re.M) or [None, ""])[1]
        jobs.append(SimpleNamespace(rule=head.group(1), wildcards=field("wildcards"),
                                    threads=int(field("threads") or 1), resources=field("resources"),
                                    priority=int(field("priority") or 0)))
    return jobs


def test_every_job_has_memory_and_runtime_and_data_then_longest_training_go_first(tmp_path):
    jobs = planned_jobs(tmp_path)
    assert len(jobs) > 30
    for job in jobs:
        assert "mem_mb=" in job.resources and "runtime=" in job.resources, (job.rule, job.resources)
        assert job.threads == 1

    def priority(rule, test):
        values = {job.priority for job in jobs if job.rule == rule and test(job.wildcards)}
        assert len(values) == 1, (rule, values)
        return values.pop()

    variant = lambda w: re.search(r"variant=([^,]+)", w).group(1)  # wildcards: variant=..., seed=...
    recurrent_full = priority("recurrent_train", lambda w: variant(w).endswith("-full"))
    recurrent_truncated = priority("recurrent_train", lambda w: "-tbptt" in variant(w))
    sweep = priority("autoencoder_train", lambda w: variant(w).startswith("sweep-"))
    grid = priority("autoencoder_train", lambda w: variant(w).startswith("grid-"))
    language_model = priority("language_model_train", lambda w: True)
    is_data = lambda rule: rule.startswith(("demo_", "prepare_"))
    data = {job.priority for job in jobs if is_data(job.rule)}
    assert len(data) == 1 and len({job.rule for job in jobs if job.rule.startswith("demo_")}) == 3
    summaries = {job.priority for job in jobs if job.rule in ("aggregate", "summary", "autoencoder_select",
                                                             "autoencoder_grid_figure", "language_model_embedding_map")}
    # The summaries (seconds each) run as soon as they can, so a task's tables are there while
    # other tasks still train; then data, then the longest training jobs first.
    assert min(summaries) > data.pop() > recurrent_full > recurrent_truncated > sweep > max(grid, language_model)


def test_training_jobs_take_threads_from_config(tmp_path):
    jobs = planned_jobs(tmp_path, "--config", "threads=3", cores=8)
    trained = [job.threads for job in jobs if job.rule.endswith("_train")]
    assert trained and set(trained) == {3}


def test_lint_reports_only_missing_conda_and_container(tmp_path):
    proc = snakemake(tmp_path, "--lint", check=False)
    text = proc.stdout + proc.stderr
    titles = set(re.findall(r"^\s+\* (.*?):?$", text, re.M))
    assert re.search(r"^Lints for rule recurrent_train", text, re.M), text[-2000:]
    assert titles == {"Specify a conda environment or container for each rule."}, titles
    assert "Lints for snakefile" not in text


def test_short_jobs_are_grouped_for_the_cluster_and_data_jobs_run_once(tmp_path):
    """Issue 14: replicates must not flood a scheduler with jobs of seconds. With the SLURM
    profile's group-components, a 2-seed tiny plan has fewer submissions (group jobs and
    ungrouped jobs) than jobs; only the language-model and recurrent runs and the selection
    checkpoint go alone; every data job is planned once, whatever the number of seeds."""
    import yaml

    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    proc = snakemake(tmp_path, "-n", "--config", "replicates=2", "--group-components", *profile["group-components"])
    groups = re.findall(r"\] Group job (\w+) \(jobs in lexicogr\. order\):$", proc.stdout, re.M)
    alone = re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):$", proc.stdout, re.M)
    jobs = re.findall(r"^\s*(?:local)?(?:rule|checkpoint) (\w+):$", proc.stdout, re.M)
    assert set(alone) == {"language_model_train", "recurrent_train", "autoencoder_select", "all"}
    assert sorted(groups) == sorted({"data", "autoencoder_sweep", "autoencoder_grid", "autoencoder_summary",
                                     "language_model_summary", "recurrent_summary"})
    submissions = len(groups) + len(alone) - 1  # rule all runs on the submitting host
    assert submissions < (len(jobs) - 1) / 2, (submissions, len(jobs))
    for rule in ("demo_patches", "demo_trigrams", "demo_activity", "prepare_patches", "prepare_trigrams",
                 "prepare_activity", "effective_config"):
        assert jobs.count(rule) == 1, rule


def test_an_experiments_groups_are_its_own_and_the_experiments_table_goes_alone(tmp_path):
    """Snakemake 9.27 schedules a group wrongly once group-components splits it (reproduced: a
    job submitted twice, a group submitted before its inputs existed; the SLURM test failed so).
    So an experiment's aggregates and summary form their own group, one connected set, and
    the experiments table, which reads every root's runs, is in no group; under the profile's
    group-components no group holds more independent sets than it allows."""
    import yaml

    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    config = dict(yaml.safe_load((ROOT / ".test" / "config.yaml").read_text()),
                  experiments={"rnn-fast": {"set": {"recurrent.recipes.tuned.learning_rate": 0.03},
                                            "variants": ["rnn-full"]},
                               "ae-small": {"set": {"autoencoder.hidden": 4}}})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(tmp_path, "-n", "--config", "replicates=2", "--group-components", *profile["group-components"],
                     configfile=path)
    groups = re.findall(r"\] Group job (\w[\w-]*) \(jobs in lexicogr\. order\):$", proc.stdout, re.M)
    alone = re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):$", proc.stdout, re.M)
    assert "experiments" in alone
    assert {"recurrent_summary", "recurrent_summary_rnn-fast", "autoencoder_sweep_ae-small",
            "autoencoder_summary_ae-small"} <= set(groups), groups
    assert groups.count("recurrent_summary_rnn-fast") == 1  # its aggregate and summary together


@pytest.mark.parametrize("components, refused", [("3", True), ("1", False), ("4", False)])
def test_group_components_that_would_split_an_autoencoder_group_are_refused(tmp_path, components, refused):
    """The tiny sweep with 2 seeds is 4 independent runs: 1 or at least 4 per submission are
    safe, 3 is refused in one line before any job."""
    proc = snakemake(tmp_path, "-n", "--config", "replicates=2", "--group-components",
                     f"autoencoder_sweep={components}", check=False)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("error:")]
    if refused:
        assert proc.returncode != 0 and len(errors) == 1, proc.stderr[-2000:]
        assert "autoencoder_sweep=3" in errors[0] and "4 independent" in errors[0]
        assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()
    else:
        assert proc.returncode == 0 and not errors, proc.stderr[-2000:]
