"""`make run` answers: the default configuration trains at least 3 seeds of every variant, so every
comparison has a p-value and an interval over seeds (issue 28). Read from the default target's DAG
(a dry `snakemake --dag`), never by running the workflow."""
import re
import subprocess
from collections import defaultdict

import yaml

from conftest import ROOT, SNAKEMAKE
from nnlab import stats, tasks

NODE = re.compile(r'^\s*(\d+)\[label = "([^"]*)"', re.M)
EDGE = re.compile(r"^\s*(\d+) -> (\d+)", re.M)


def test_the_default_config_trains_enough_seeds_to_compare():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["replicates"] >= stats.MIN_SEEDS >= 3


def default_dag(workdir):
    """{node: (rule, {wildcard: value})} and the edges (from, to) of the default target's jobs."""
    proc = subprocess.run([str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--dag",
                           "--quiet", "all"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nodes = {}
    for node, label in NODE.findall(proc.stdout):
        rule, *pairs = label.split("\\n")
        nodes[node] = (rule, dict(p.split(": ", 1) for p in pairs))
    return nodes, EDGE.findall(proc.stdout)


def test_every_aggregate_of_the_default_run_reads_at_least_3_seeds_of_its_variant(tmp_path):
    """Each variant's aggregate (what the comparisons and the Overview read) has the training jobs of
    at least 3 seeds of that variant as inputs, for every task and every variant of it."""
    nodes, edges = default_dag(tmp_path)
    seeds = defaultdict(set)                 # (aggregate node, task, variant) -> seeds of its train inputs
    for source, target in edges:
        rule, wildcards = nodes[source]
        if nodes[target][0] == "aggregate" and rule.endswith("_train"):
            seeds[(target, rule.removesuffix("_train"), wildcards["variant"])].add(int(wildcards["seed"]))
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    trained = {(task, variant) for _, task, variant in seeds}
    expected = {(task, v) for task in tasks.TASKS for v in tasks.task(task).variants(config)}
    assert trained == expected
    assert all(len(s) >= 3 for s in seeds.values()), {k: s for k, s in seeds.items() if len(s) < 3}
    assert sum(1 for rule, _ in nodes.values() if rule == "aggregate") == len(expected)


def test_make_run_ends_with_a_summary_and_the_next_command():
    """The run target hides Snakemake's per-job chatter, not its errors, then says where things stand."""
    recipe = (ROOT / "Makefile").read_text().split("\nrun: $(STAMP)\n", 1)[1].split("\n\n", 1)[0]
    assert "$(QUIET_RUN)" in recipe and "QUIET_RUN := --quiet rules" in (ROOT / "Makefile").read_text()
    assert "nnlab.status --summary" in recipe and "next: make app" in recipe
    assert "-o pipefail" in (ROOT / "Makefile").read_text()     # a failed run still fails `make run`
