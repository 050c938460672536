"""Wall time of the whole workflow at several core counts, each from an empty folder.

    python benchmarks/workflow_cores.py [--cores 1 2] [--configfile F] [--json]

Every run starts in a new empty working directory, so the demo data, the preprocessing,
every training job, the figures and the summaries are all timed. Besides the wall time
it reports the summed seconds of the training jobs (their `benchmark:` files), so the
speed-up can be read against the work there was to share out. Run it on a quiet machine:
the 2-core figure depends on nothing else wanting the second core.
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


def run_workflow(cores, configfile, keep):
    """Run the workflow from scratch with `cores`; returns wall seconds and job seconds."""
    workdir = Path(tempfile.mkdtemp(prefix=f"nnlab-cores{cores}-"))
    cmd = [str(SNAKEMAKE), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--cores", str(cores), "--quiet", "all"]
    if configfile:
        cmd += ["--configfile", str(Path(configfile).resolve())]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"workflow_cores: the run with --cores {cores} failed "
                 f"(working directory {workdir}):\n{proc.stderr[-3000:]}")
    jobs = job_seconds(workdir / "results")
    if not keep:
        shutil.rmtree(workdir)
    return {"cores": cores, "wall_seconds": round(wall, 1),
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
                  + (f", longest {longest[0]} {longest[1]:.1f} s" if longest else ""),
                  flush=True)
    base = min(runs, key=lambda run: run["cores"])
    for run in runs:
        run["speedup"] = round(base["wall_seconds"] / run["wall_seconds"], 2)
    if args.json:
        print(json.dumps({"load_average": os.getloadavg(), "runs": runs}, indent=2))
    else:
        for run in (run for run in runs if run is not base):
            print(f"speed-up of --cores {run['cores']} over --cores {base['cores']}: "
                  f"{run['speedup']:.2f}x")


if __name__ == "__main__":
    main()
