"""Assert that the cluster run's jobs really went through SLURM.

    python check_slurm_jobs.py DRYRUN_LOG RUN_LOG SLURMCTLD_LOG SQUEUE_TXT RESULTS

DRYRUN_LOG     `snakemake -n` output of the cluster command, made before the run: the plan.
RUN_LOG        output of the cluster run. Snakemake heads each job it runs with `rule NAME:`
               (sent to the executor) or `localrule NAME:` (run on the submitting host, like
               the action-less target rule `all`), and the SLURM plugin reports each
               submission as `Job N has been submitted with SLURM jobid J (log: PATH)`, PATH
               being .snakemake/slurm_logs/rule_<rule>/[<wildcards>/]<J>.log.
SLURMCTLD_LOG  the test controller's log: SLURM's own record of every job,
               `_slurm_rpc_submit_batch_job: JobId=J` and `_job_complete: JobId=J WEXITSTATUS 0`.
SQUEUE_TXT     `squeue --states=all --noheader --format='%i|%T|%k'` after the run: jobs that
               finished less than MinJobAge (300 s) ago, with state and comment
               (the plugin's rule_<rule>[_wildcards_<w>]).
RESULTS        the cluster run's results folder.

Checks: the run executed every planned job; every job not run locally was submitted to
SLURM, once, and the controller logged its submission and a zero exit status; its plugin
log exists (the run keeps successful logs) and shows the job's rule; squeue, for the jobs it
still lists, agrees on the rule and says COMPLETED; every */*/metrics.json was written by a
SLURM job of its task's training rule. Prints what it checked; exits 1 on any failure.
"""
import re
import sys
from collections import Counter
from pathlib import Path

SUBMITTED = re.compile(r"^Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+)\)\.$", re.M)


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    dryrun, runlog, ctld, squeue = (Path(a).read_text() for a in argv[1:5])
    results = Path(argv[5])
    errors = []

    planned = Counter(re.findall(r"^(?:local)?rule (\w+):$", dryrun, flags=re.M))
    remote = Counter(re.findall(r"^rule (\w+):$", runlog, flags=re.M))
    local = Counter(re.findall(r"^localrule (\w+):$", runlog, flags=re.M))
    if not planned:
        errors.append("the dry run planned no job")
    if planned != remote + local:
        errors.append(f"planned jobs {dict(planned)} != executed jobs {dict(remote + local)}")

    submissions = {}  # SLURM job id -> (rule, wildcards, log path)
    for _, jobid, log in SUBMITTED.findall(runlog):
        parts = Path(log).parts
        at = next((i for i, p in enumerate(parts) if p.startswith("rule_")), None)
        if at is None:
            errors.append(f"SLURM job {jobid}: log path {log} names no rule")
            continue
        if jobid in submissions:
            errors.append(f"SLURM job id {jobid} reported twice")
        submissions[jobid] = (parts[at][len("rule_"):], "/".join(parts[at + 1:-1]), Path(log))
    submitted = Counter(rule for rule, _, _ in submissions.values())

    for rule in sorted(planned):
        ok = submitted[rule] == remote[rule]
        print(f"{'ok' if ok else 'FAIL'}: rule {rule}: {planned[rule]} planned, {submitted[rule]} "
              f"SLURM job(s), {local[rule]} on the submitting host")
        if not ok:
            errors.append(f"rule {rule}: {remote[rule]} jobs sent to the executor, {submitted[rule]} SLURM submissions")

    ctld_submitted = set(re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+) ", ctld))
    exit_status = dict(re.findall(r"_job_complete: JobId=(\d+) WEXITSTATUS (\d+)", ctld))
    states = {}
    for line in squeue.splitlines():
        if line.strip():
            jobid, state, comment = line.strip().split("|", 2)
            states[jobid] = (state, comment)
    for jobid, (rule, wildcards, log) in sorted(submissions.items(), key=lambda kv: int(kv[0])):
        what = f"SLURM job {jobid} (rule {rule}{' ' + wildcards if wildcards else ''})"
        if jobid not in ctld_submitted:
            errors.append(f"{what}: slurmctld logged no submission")
        if exit_status.get(jobid) != "0":
            errors.append(f"{what}: slurmctld logged exit status {exit_status.get(jobid, 'none')}")
        if not log.is_file():
            errors.append(f"{what}: no plugin log {log}")
        elif not re.search(rf"^(?:local)?rule {rule}:$", log.read_text(errors="replace"), flags=re.M):
            errors.append(f"{what}: its log {log} does not show rule {rule} running")
        if jobid in states:
            state, comment = states[jobid]
            expected = f"rule_{rule}" + (f"_wildcards_{wildcards}" if wildcards else "")
            if state != "COMPLETED" or comment != expected:
                errors.append(f"{what}: squeue says {state}, comment {comment!r} (expected {expected!r})")
    listed = sum(jobid in states for jobid in submissions)
    print(f"ok: slurmctld logged {len(ctld_submitted)} submissions and "
          f"{sum(v == '0' for v in exit_status.values())} zero exit statuses; "
          f"squeue still lists {listed} of the {len(submissions)} jobs as COMPLETED")
    unknown = ctld_submitted - set(submissions)
    if unknown:
        errors.append(f"slurmctld ran job(s) the run did not report: {', '.join(sorted(unknown, key=int))}")

    by_output = {(rule, wildcards) for rule, wildcards, _ in submissions.values()}
    metrics = sorted(results.glob("*/*/metrics.json"))
    for path in metrics:
        task, variant = path.parent.parent.name, path.parent.name
        if (f"{task}_train", variant) not in by_output:
            errors.append(f"{path.relative_to(results)}: no SLURM job of rule {task}_train for {variant}")
    print(f"{'ok' if metrics else 'FAIL'}: {len(metrics)} metrics.json files, each written by a SLURM job")
    if not metrics:
        errors.append(f"no */*/metrics.json under {results}")
    if not submissions:
        errors.append("no SLURM submission in the run's log")

    for error in errors:
        print(f"FAIL: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
