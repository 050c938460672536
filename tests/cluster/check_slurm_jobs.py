"""Assert that the cluster run's jobs really went through SLURM, short ones grouped.

    python check_slurm_jobs.py DRYRUN_LOG RUN_LOG SLURMCTLD_LOG SQUEUE_TXT RESULTS

DRYRUN_LOG     `snakemake -n` output of the cluster command, made before the run: the plan.
RUN_LOG        output of the cluster run. Snakemake heads each job it runs with `rule NAME:`
               or `checkpoint NAME:` (sent to the executor) or `localrule NAME:` (run on the
               submitting host, like the action-less target rule `all`); a group job (the
               rules' `group:` with profiles/slurm's group-components) is headed
               `Group job GROUP (jobs in lexicogr. order):` with its jobs indented below. The
               SLURM plugin reports each submission, of a job or a group job, as `Job N has been
               submitted with SLURM jobid J (log: PATH)`, PATH being
               .snakemake/slurm_logs/rule_<rule>/[<wildcards>/]<J>.log for one job and
               .snakemake/slurm_logs/group_<group>_<rules>/<J>.log for a group job.
SLURMCTLD_LOG  the test controller's log: SLURM's own record of every job,
               `_slurm_rpc_submit_batch_job: JobId=J` and `_job_complete: JobId=J WEXITSTATUS 0`.
SQUEUE_TXT     `squeue --states=all --noheader --format='%i|%T|%k'` after the run: jobs that
               finished less than MinJobAge (300 s) ago, with state and comment
               (the plugin's rule_<rule>[_wildcards_<w>], rule_<group>_<rules> for a group).
RESULTS        the cluster run's results folder.

Checks: the run executed every planned job; every job not run locally ran inside a SLURM
job, as its plugin log shows (the run keeps successful logs), and the rules inside the SLURM
jobs add up to the jobs sent to the executor; the controller logged every submission and a
zero exit status; squeue, for the jobs it still lists, says COMPLETED with the plugin's
comment; every <task>/<variant>/seed<S>/metrics.json was written inside a SLURM job of its
task's training rule, for that variant and seed; and grouping worked: fewer SLURM jobs than
jobs run through them, at least one of them a group job of several jobs. Prints what it
checked, with the counts; exits 1 on any failure.
"""
import re
import sys
from collections import Counter
from pathlib import Path

SUBMITTED = re.compile(r"^Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.$", re.M)
HEADER = re.compile(r"^(\s*)(local)?(?:rule|checkpoint) (\w+):$", re.M)


def jobs_in(text):
    """(rule, {wildcard: value}) of every job headed in a SLURM job's log, each job once: the
    log shows each job twice, as the jobstep's Snakemake plans it (`rule NAME:`) and as the
    Snakemake that srun starts runs it (`localrule NAME:`)."""
    heads = list(HEADER.finditer(text))
    jobs = {}
    for i, head in enumerate(heads):
        block = text[head.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        found = re.search(r"^\s*wildcards: (.*)$", block, re.M)
        wildcards = tuple(sorted(tuple(pair.split("=", 1)) for pair in found.group(1).split(", "))) if found else ()
        jobs[(head.group(3), wildcards)] = None
    return [(rule, dict(wildcards)) for rule, wildcards in jobs]


def planned_jobs(dryrun):
    """{(rule, jobid)} of a dry run: each job once, although a job that two group jobs share
    (the experiments comparison reads runs of several groups) is listed under both."""
    heads = list(HEADER.finditer(dryrun))
    jobs = set()
    for i, head in enumerate(heads):
        block = dryrun[head.end():heads[i + 1].start() if i + 1 < len(heads) else len(dryrun)]
        found = re.search(r"^\s*jobid: (\d+)$", block, re.M)
        jobs.add((head.group(3), found.group(1) if found else f"line {i}"))
    return jobs


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    dryrun, runlog, ctld, squeue = (Path(a).read_text() for a in argv[1:5])
    results = Path(argv[5])
    errors = []

    planned = Counter(rule for rule, _ in planned_jobs(dryrun))
    planned_submissions = (len(re.findall(r"\] Group job \S+ \(jobs in lexicogr\. order\):$", dryrun, re.M))
                           + sum(1 for m in HEADER.finditer(dryrun)
                                 if not m.group(1) and not m.group(2) and m.group(3) != "all"))
    remote = Counter(m.group(3) for m in HEADER.finditer(runlog) if not m.group(2))
    local = Counter(m.group(3) for m in HEADER.finditer(runlog) if m.group(2))
    if not planned:
        errors.append("the dry run planned no job")
    if planned != remote + local:
        errors.append(f"planned jobs {dict(planned)} != executed jobs {dict(remote + local)}")

    submissions = {}  # SLURM job id -> (kind "rule" or "group", name, wildcards, log path)
    for _, jobid, log in SUBMITTED.findall(runlog):
        parts = Path(log).parts
        at = next((i for i, p in enumerate(parts) if p.startswith(("rule_", "group_"))), None)
        if at is None:
            errors.append(f"SLURM job {jobid}: log path {log} names no rule or group")
            continue
        if jobid in submissions:
            errors.append(f"SLURM job id {jobid} reported twice")
        kind, name = parts[at].split("_", 1)
        submissions[jobid] = (kind, name, "/".join(parts[at + 1:-1]), Path(log))

    inside = {}  # SLURM job id -> jobs its log shows running
    for jobid, (kind, name, wildcards, log) in submissions.items():
        inside[jobid] = jobs_in(log.read_text(errors="replace")) if log.is_file() else []
    ran = Counter(rule for jobs in inside.values() for rule, _ in jobs)
    for rule in sorted(planned):
        ok = ran[rule] == remote[rule]
        print(f"{'ok' if ok else 'FAIL'}: rule {rule}: {planned[rule]} planned, {ran[rule]} run inside SLURM "
              f"jobs, {local[rule]} on the submitting host")
        if not ok:
            errors.append(f"rule {rule}: {remote[rule]} jobs sent to the executor, {ran[rule]} run inside SLURM jobs")

    ctld_submitted = set(re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+) ", ctld))
    exit_status = dict(re.findall(r"_job_complete: JobId=(\d+) WEXITSTATUS (\d+)", ctld))
    states = {}
    for line in squeue.splitlines():
        if line.strip():
            jobid, state, comment = line.strip().split("|", 2)
            states[jobid] = (state, comment)
    for jobid, (kind, name, wildcards, log) in sorted(submissions.items(), key=lambda kv: int(kv[0])):
        what = f"SLURM job {jobid} ({kind} {name}{' ' + wildcards if wildcards else ''})"
        if jobid not in ctld_submitted:
            errors.append(f"{what}: slurmctld logged no submission")
        if exit_status.get(jobid) != "0":
            errors.append(f"{what}: slurmctld logged exit status {exit_status.get(jobid, 'none')}")
        if not log.is_file():
            errors.append(f"{what}: no plugin log {log}")
        elif not inside[jobid]:
            errors.append(f"{what}: its log {log} shows no job running")
        elif kind == "rule" and {rule for rule, _ in inside[jobid]} != {name}:
            errors.append(f"{what}: its log {log} shows rules {sorted({r for r, _ in inside[jobid]})}")
        elif kind == "group" and "..." not in name and not all(f"_{rule}_" in f"{name}_" for rule, _ in inside[jobid]):
            errors.append(f"{what}: its log {log} shows rules outside the group's name")
        if jobid in states:
            state, comment = states[jobid]
            expected = f"rule_{name}" + (f"_wildcards_{wildcards}" if wildcards else "")
            if state != "COMPLETED" or comment != expected:
                errors.append(f"{what}: squeue says {state}, comment {comment!r} (expected {expected!r})")
    listed = sum(jobid in states for jobid in submissions)
    print(f"ok: slurmctld logged {len(ctld_submitted)} submissions and "
          f"{sum(v == '0' for v in exit_status.values())} zero exit statuses; "
          f"squeue still lists {listed} of the {len(submissions)} jobs as COMPLETED")
    unknown = ctld_submitted - set(submissions)
    if unknown:
        errors.append(f"slurmctld ran job(s) the run did not report: {', '.join(sorted(unknown, key=int))}")

    groups = [jobid for jobid, (kind, *_) in submissions.items() if kind == "group"]
    group_ids = re.findall(r"\] Group job (\w+) \(jobs in lexicogr\. order\):$", runlog, re.M)
    sizes = Counter()  # jobs per group job, by group (the name is <group>_<its rules>)
    for j in groups:
        name = submissions[j][1]
        group = max((g for g in set(group_ids) if name.startswith(g + "_")), key=len, default=name)
        sizes[group] += len(inside[j])
    jobs_through_slurm = sum(remote.values())
    print(f"{'ok' if len(submissions) < jobs_through_slurm else 'FAIL'}: grouping: {len(submissions)} SLURM jobs "
          f"(planned: {planned_submissions}) ran {jobs_through_slurm} workflow jobs; {len(groups)} group jobs ran "
          f"{sum(len(inside[j]) for j in groups)} of them ({', '.join(f'{g} {n}' for g, n in sorted(sizes.items()))})")
    if len(submissions) >= jobs_through_slurm:
        errors.append(f"{len(submissions)} SLURM jobs for {jobs_through_slurm} workflow jobs: short jobs were not grouped")
    if not any(len(inside[j]) > 1 for j in groups):
        errors.append("no SLURM job ran a group of several jobs")

    by_run = {(rule, w.get("root"), w.get("variant"), w.get("seed")) for jobs in inside.values() for rule, w in jobs}
    metrics = sorted(results.glob("*/*/seed*/metrics.json"))
    experiments = sorted(results.glob("experiments/*/*/*/seed*/metrics.json"))
    for path in metrics + experiments:
        task, variant, seed = path.parent.parent.parent.name, path.parent.parent.name, path.parent.name[4:]
        root = str(path.parents[3].relative_to(results.parent))
        if (f"{task}_train", root, variant, seed) not in by_run:
            errors.append(f"{path.relative_to(results)}: no SLURM job of rule {task}_train ran {variant} seed {seed}")
    print(f"{'ok' if metrics and experiments else 'FAIL'}: {len(metrics)} metrics.json files of the baseline and "
          f"{len(experiments)} of experiments, each written inside a SLURM job")
    if not metrics:
        errors.append(f"no */*/seed*/metrics.json under {results}")
    if not experiments:
        errors.append(f"no experiments/*/*/*/seed*/metrics.json under {results}: the experiment did not run")
    if not submissions:
        errors.append("no SLURM submission in the run's log")

    for error in errors:
        print(f"FAIL: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
