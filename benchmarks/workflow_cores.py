"""Wall time of the whole workflow at several core counts, each from an empty folder.

    python benchmarks/workflow_cores.py [--cores 1 2 2 1] [--configfile F] [--json]

Every run starts in a new empty working directory, so the demo data, the preprocessing,
every training job, the figures and the summaries are all timed. Besides the wall time
it reports the summed seconds of the training jobs (their `benchmark:` files), so the
speed-up can be read against the work there was to share out.

A shared virtual machine drifts by 10-30% within half an hour, which is the size of the
effect measured here. So a core count may be repeated, e.g. `--cores 1 2 2 1` (the order
cancels a steady drift); the speed-up is then taken between the mean wall times. Before
each run, a fixed one-thread probe (an in-cache matrix-product loop) is timed and
reported, so a drift shows next to the run it affected. Run it on an otherwise idle machine.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def job_seconds(results):
    """{job benchmark file: seconds} from results/benchmarks/**/*.tsv."""
    seconds = {}
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        with open(tsv) as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        seconds[str(tsv.relative_to(results / "benchmarks"))] = float(rows[-1]["s"])
    return seconds


def probe_seconds(repeats=60000):
    """Seconds of a fixed one-thread in-cache workload (96x96 float32 products): a
    reading of how fast the machine is right now, independent of the workflow."""
    a = np.random.default_rng(0).standard_normal((96, 96)).astype(np.float32)
    out = np.empty_like(a)
    with threadpool_limits(1):
        start = time.perf_counter()
        for _ in range(repeats):
            np.matmul(a, a, out=out)
        return time.perf_counter() - start


def run_workflow(cores, configfile, keep):
    """Run the workflow from scratch with `cores`; returns wall seconds and job seconds."""
    workdir = Path(tempfile.mkdtemp(prefix=f"nnlab-cores{cores}-"))
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--cores", str(cores), "--quiet", "all"]
    if configfile:
        cmd += ["--configfile", str(Path(configfile).resolve())]
    probe = probe_seconds()
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"workflow_cores: the run with --cores {cores} failed "
                 f"(working directory {workdir}):\n{proc.stderr[-3000:]}")
    jobs = job_seconds(workdir / "results")
    if not keep:
        shutil.rmtree(workdir)
    return {"cores": cores, "probe_seconds": round(probe, 2), "wall_seconds": round(wall, 1),
            "training_job_seconds": round(sum(jobs.values()), 1),
            "longest_job": max(jobs.items(), key=lambda kv: kv[1]) if jobs else None,
            "workdir": str(workdir) if keep else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--configfile", help="instead of config.yaml (e.g. .test/config.yaml)")
    parser.add_argument("--keep", action="store_true", help="keep the working directories")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    runs = []
    for cores in args.cores:
        run = run_workflow(cores, args.configfile, args.keep)
        runs.append(run)
        if not args.json:
            longest = run["longest_job"]
            print(f"--cores {cores}: {run['wall_seconds']:.1f} s wall, "
                  f"{run['training_job_seconds']:.1f} s of training jobs"
                  + (f", longest {longest[0]} {longest[1]:.1f} s" if longest else "")
                  + f" (probe before: {run['probe_seconds']:.2f} s)", flush=True)
    mean_wall = {cores: float(np.mean([run["wall_seconds"] for run in runs if run["cores"] == cores]))
                 for cores in sorted(set(args.cores))}
    base = min(mean_wall)
    speedup = {cores: round(mean_wall[base] / wall, 2) for cores, wall in mean_wall.items()}
    if args.json:
        print(json.dumps({"load_average": os.getloadavg(), "runs": runs,
                          "mean_wall_seconds": mean_wall, "speedup": speedup}, indent=2))
    else:
        for cores in mean_wall:
            if cores != base:
                print(f"speed-up of --cores {cores} over --cores {base}: {speedup[cores]:.2f}x "
                      f"(mean wall {mean_wall[base]:.1f} s / {mean_wall[cores]:.1f} s)")


if __name__ == "__main__":
    main()
