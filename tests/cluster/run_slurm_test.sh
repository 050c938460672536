#!/usr/bin/env bash
# A real cluster test: the tiny configuration with 2 seeds per variant (--config replicates=2)
# through `snakemake --profile profiles/slurm` on a single-node SLURM cluster started on this
# machine, compared with a local run.
#
#   bash tests/cluster/run_slurm_test.sh
#
# Needs root and apt (Debian): installs slurm-wlm and munge when missing, and the
# repo's `slurm` extra (snakemake-executor-plugin-slurm) into .venv when missing.
# Without root or apt it prints `SKIP: <reason>` and exits 0.
#
# Steps: a private munged (own key and socket), slurmctld and slurmd, all on 127.0.0.1 and
# on free ports, configured by a slurm.conf in a temp folder (SLURM_CONF points every SLURM
# command at it; a system SLURM, if any, is never touched); then, side by side, a local
# reference run of .test/config.yaml plus one experiment with replicates=2 and the same configuration through
# `snakemake --profile profiles/slurm`; then checks (check_slurm_jobs.py) that every job
# not run locally ran inside a SLURM job that ended with exit status 0 according to
# slurmctld, squeue and the plugin's logs, that the short jobs were grouped (fewer SLURM jobs
# than workflow jobs: the profile's group-components), and (compare_metrics.py) that every
# metrics.json and aggregate.json equals the local run's, timing and provenance left out.
# On exit, it cancels leftover jobs and stops the daemons it started by their process ids.
#
# KEEP_TMP=1 keeps the temp folder (it is always kept when the test fails).
# SRUN_WRAPPER=0 leaves out the srun wrapper explained below (for checking a jobstep
# plugin version that keeps SLURM_CONF).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PARTITION=nnlab
START=$(date +%s)

say() { echo "[slurm-test +$(( $(date +%s) - START ))s] $*"; }
skip() { echo "SKIP: $*"; exit 0; }
fail() { echo "FAIL: $*"; exit 1; }

# ---------------------------------------------------------------- preconditions
[ "$(id -u)" = 0 ] || skip "the SLURM cluster test needs root (it installs and runs slurmctld, slurmd, munged)"
command -v apt-get >/dev/null 2>&1 || skip "the SLURM cluster test needs apt-get (Debian's slurm-wlm and munge)"

missing=()
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing slurm-wlm and munge (missing: ${missing[*]})"
    apt_log=$(mktemp)
    if ! apt-get update >"$apt_log" 2>&1; then
        tail -5 "$apt_log"; rm -f "$apt_log"
        skip "apt-get update failed, so slurm-wlm and munge cannot be installed"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            slurm-wlm munge >>"$apt_log" 2>&1; then
        tail -5 "$apt_log"; rm -f "$apt_log"
        skip "apt-get install slurm-wlm munge failed"
    fi
    rm -f "$apt_log"
fi
say "$(slurmctld -V), munge $(munged -V 2>&1 | awk '{print $1}' | sed 's/munge-//')"

PY="$ROOT/.venv/bin/python"
SNAKEMAKE="$ROOT/.venv/bin/snakemake"
if [ ! -x "$SNAKEMAKE" ]; then
    say "no $ROOT/.venv yet: creating it (make)"
    make -C "$ROOT" --no-print-directory .venv/.installed
fi
if ! "$PY" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
    say "installing the slurm extra into .venv: pip install -e '.[slurm]'"
    "$PY" -m pip install --quiet -e "$ROOT[slurm]"
fi
say "snakemake $("$SNAKEMAKE" --version), $("$PY" -m pip show snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep 2>/dev/null | awk '/^Name/{n=$2} /^Version/{printf "%s %s  ", n, $2}')"

# ---------------------------------------------------------------- temp folder, cleanup
TMP=$(mktemp -d /tmp/nnlab-slurm-test.XXXXXX)
chmod 755 "$TMP"  # munged wants every folder above its socket searchable by all
MUNGED_PID="" SLURMCTLD_PID="" SLURMD_PID="" SNAKEMAKE_PID="" LOCAL_PID=""

stop_pid() {  # stop_pid NAME PID: SIGTERM, wait up to 15 s, then SIGKILL
    local name=$1 pid=$2 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "  $name ($pid) ignored SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    echo "  stopped $name (pid $pid)"
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    say "cleaning up (exit status $rc)"
    stop_pid "snakemake (SLURM run)" "$SNAKEMAKE_PID"
    stop_pid "snakemake (local run)" "$LOCAL_PID"
    if [ -n "$SLURMCTLD_PID" ] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
        # Jobs still queued or running (a failed or interrupted run): cancel them, so that
        # no job step outlives slurmd.
        local left
        left=$(squeue --noheader --states=PENDING,RUNNING,CONFIGURING,COMPLETING --format=%i 2>/dev/null | xargs)
        if [ -n "$left" ]; then
            echo "  cancelling SLURM jobs: $left"
            scancel $left
            for _ in $(seq 40); do
                [ -z "$(squeue --noheader --states=PENDING,RUNNING,CONFIGURING,COMPLETING --format=%i 2>/dev/null)" ] && break
                sleep 0.5
            done
        fi
    fi
    stop_pid slurmd "$SLURMD_PID"
    stop_pid slurmctld "$SLURMCTLD_PID"
    stop_pid munged "$MUNGED_PID"
    local pid alive=""
    for pid in $SLURMD_PID $SLURMCTLD_PID $MUNGED_PID; do
        kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
    done
    [ -z "$alive" ] || { echo "FAIL: daemons still running:$alive"; rc=1; }
    if [ "$rc" != 0 ]; then
        for f in "$TMP"/log/slurmctld.log "$TMP"/log/slurmd.log; do
            [ -f "$f" ] && { echo "--- last lines of $f"; tail -n 15 "$f"; }
        done
        echo "kept $TMP for inspection"
    elif [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "kept $TMP (KEEP_TMP=1)"
    else
        rm -rf "$TMP"
    fi
    say "done"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- munged
mkdir -p "$TMP/munge-key" "$TMP/munge-run" "$TMP/state" "$TMP/spool" "$TMP/log" "$TMP/run"
chmod 700 "$TMP/munge-key"
chmod 755 "$TMP/munge-run"
mungekey --create --keyfile="$TMP/munge-key/munge.key"
SOCKET="$TMP/munge-run/munge.socket.2"
munged --foreground --socket="$SOCKET" --key-file="$TMP/munge-key/munge.key" \
    --log-file="$TMP/log/munged.log" --pid-file="$TMP/munge-run/munged.pid" \
    --seed-file="$TMP/munge-key/munged.seed" >"$TMP/log/munged.out" 2>&1 &
MUNGED_PID=$!
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.2; done
[ -S "$SOCKET" ] || { cat "$TMP/log/munged.out"; fail "munged did not create its socket"; }
echo test | munge --socket="$SOCKET" | unmunge --socket="$SOCKET" >/dev/null \
    || fail "munge round trip through $SOCKET failed"
say "munged up (pid $MUNGED_PID, socket $SOCKET)"

# ---------------------------------------------------------------- slurm.conf
HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
# Two free TCP ports on 127.0.0.1 for slurmctld and slurmd (a system SLURM may hold 6817/6818).
read -r CTLD_PORT SLURMD_PORT < <("$PY" -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
export SLURM_CONF="$TMP/slurm.conf"
cat >"$SLURM_CONF" <<EOF
# Single-node test cluster of tests/cluster/run_slurm_test.sh (everything on 127.0.0.1).
ClusterName=nnlabtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/run/slurmctld.pid
SlurmdPidFile=$TMP/run/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue/scontrol for 5 minutes: the test reads them there.
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
say "slurm.conf: node $HOST, $CPUS CPUs, $MEM_MB MB, partition $PARTITION, ports $CTLD_PORT/$SLURMD_PORT"

# ---------------------------------------------------------------- slurmctld, slurmd
slurmctld -D -f "$SLURM_CONF" >"$TMP/log/slurmctld.out" 2>&1 &
SLURMCTLD_PID=$!
for _ in $(seq 60); do scontrol ping >/dev/null 2>&1 && break; sleep 0.5; done
scontrol ping >/dev/null 2>&1 || fail "slurmctld did not answer scontrol ping"
slurmd -D -f "$SLURM_CONF" >"$TMP/log/slurmd.out" 2>&1 &
SLURMD_PID=$!
state=""
for _ in $(seq 60); do
    state=$(sinfo --noheader --partition="$PARTITION" --format=%T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    kill -0 "$SLURMD_PID" 2>/dev/null || break
    sleep 0.5
done
[ "$state" = idle ] || fail "node $HOST is '${state:-unknown}', not idle"
say "slurmctld (pid $SLURMCTLD_PID) and slurmd (pid $SLURMD_PID) up; $(sinfo --noheader --format='%P %D node(s) %T %c CPUs %m MB')"

# ---------------------------------------------------------------- the two runs
# The local reference run (profiles/default, loaded by Snakemake itself) and the SLURM run
# go side by side: the SLURM run spends much of its time waiting between status checks.
cd "$ROOT"
# The tiny configuration with one named experiment (docs/experiments.md): its runs go through
# SLURM like the baseline's.
"$PY" - "$ROOT/.test/config.yaml" "$TMP/tiny-experiment.yaml" <<'PYEOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config["experiments"] = {"rnn-fast": {"set": {"recurrent.recipes.tuned.learning_rate": 0.03},
                                      "variants": ["rnn-full"]}}
yaml.safe_dump(config, open(sys.argv[2], "w"), sort_keys=False)
PYEOF
TINY=(-s "$ROOT/Snakefile" --configfile "$TMP/tiny-experiment.yaml" --config replicates=2)

# Inside each SLURM job the plugin's jobstep executor starts the rule with `srun`, which
# must find slurm.conf. On a real cluster it sits at /etc/slurm/slurm.conf (or comes from
# slurmctld, configless); here only SLURM_CONF names it, and
# snakemake-executor-plugin-slurm-jobstep 0.6.1 removes every SLURM_* variable, SLURM_CONF
# too, from the environment of that srun. A wrapper first on PATH (PATH reaches the job:
# sbatch --export=ALL) gives srun its SLURM_CONF back; this machine's /etc stays untouched.
REAL_SRUN=$(command -v srun)
mkdir -p "$TMP/bin"
printf '#!/bin/sh\n# test cluster only: see run_slurm_test.sh\nSLURM_CONF=%s exec %s "$@"\n' \
    "$SLURM_CONF" "$REAL_SRUN" >"$TMP/bin/srun"
chmod 755 "$TMP/bin/srun"
[ "${SRUN_WRAPPER:-1}" = 1 ] || { rm "$TMP/bin/srun"; say "SRUN_WRAPPER=0: jobs call $REAL_SRUN directly"; }

# The profile's placeholders for partition and account would fail here by design; a
# command-line --default-resources replaces the profile's whole key, so pass the
# profile's other defaults along with the test partition (and no account).
mapfile -t DEFAULTS < <("$PY" "$HERE/profile_overrides.py" "$ROOT/profiles/slurm/config.yaml" "$PARTITION")
# A group job asks for up to the profile's `cores` CPUs: no more than this node has.
PROFILE_CORES=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1])).get("cores", 1))' \
    "$ROOT/profiles/slurm/config.yaml")
JOB_CORES=$(( CPUS < PROFILE_CORES ? CPUS : PROFILE_CORES ))
CLUSTER=(--profile profiles/slurm "${TINY[@]}" --directory "$TMP/cluster"
         --executor slurm --slurm-no-account --slurm-status-command squeue
         --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs
         --cores "$JOB_CORES" --default-resources "${DEFAULTS[@]}")
say "snakemake ${CLUSTER[*]}"
PATH="$TMP/bin:$PATH" "$SNAKEMAKE" "${CLUSTER[@]}" --dry-run >"$TMP/cluster-dryrun.log" 2>&1 \
    || { tail -n 40 "$TMP/cluster-dryrun.log"; fail "the SLURM dry run failed"; }
say "planned: $(grep -cE '^\s*(local)?(rule|checkpoint) ' "$TMP/cluster-dryrun.log") jobs, $(grep -c '\] Group job ' "$TMP/cluster-dryrun.log") of the submissions group jobs"

say "starting the local reference run of .test/config.yaml (replicates=2) and the SLURM run"
timeout 900 "$SNAKEMAKE" "${TINY[@]}" --directory "$TMP/local" --cores all >"$TMP/local.log" 2>&1 &
LOCAL_PID=$!
PATH="$TMP/bin:$PATH" timeout 900 "$SNAKEMAKE" "${CLUSTER[@]}" >"$TMP/cluster.log" 2>&1 &
SNAKEMAKE_PID=$!
steps() { grep -Eo '[0-9]+ of [0-9]+ steps \([0-9]+%\) done' "$1" | tail -n 1; }
# Whichever run ends first is checked first: a failed run stops the test at once.
for _ in 1 2; do
    rc=0 running=()
    for pid in "$LOCAL_PID" "$SNAKEMAKE_PID"; do [ -n "$pid" ] && running+=("$pid"); done
    wait -n -p ended "${running[@]}" || rc=$?
    if [ "$ended" = "$LOCAL_PID" ]; then
        LOCAL_PID=""
        say "local run ended (exit $rc): $(steps "$TMP/local.log")"
        [ "$rc" = 0 ] || { tail -n 40 "$TMP/local.log"; fail "the local run failed (log: $TMP/local.log)"; }
    else
        SNAKEMAKE_PID=""
        say "SLURM run ended (exit $rc): $(steps "$TMP/cluster.log")"
        [ "$rc" = 0 ] || { tail -n 60 "$TMP/cluster.log"; fail "the SLURM run failed (log: $TMP/cluster.log)"; }
    fi
done
grep -m 3 -E '^Job [^ ]+ has been submitted with SLURM jobid' "$TMP/cluster.log" | sed 's/^/  /'
echo "  ..."

# ---------------------------------------------------------------- checks
squeue --noheader --states=all --format='%i|%T|%k' >"$TMP/squeue.txt"
say "checking that the jobs went through SLURM"
"$PY" "$HERE/check_slurm_jobs.py" "$TMP/cluster-dryrun.log" "$TMP/cluster.log" \
    "$TMP/log/slurmctld.log" "$TMP/squeue.txt" "$TMP/cluster/results" \
    || fail "the jobs did not all go through SLURM"
say "comparing metrics.json and aggregate.json with the local run's"
"$PY" "$HERE/compare_metrics.py" "$TMP/local/results" "$TMP/cluster/results" \
    || fail "the SLURM run's metrics differ from the local run's"
[ -s "$TMP/cluster/results/summary/recurrent_experiments.csv" ] \
    || fail "the SLURM run wrote no results/summary/recurrent_experiments.csv"
say "PASS: $(grep -c '^Job [^ ]* has been submitted with SLURM jobid' "$TMP/cluster.log") SLURM jobs ran $(grep -cE '^\s*(rule|checkpoint) ' "$TMP/cluster.log") workflow jobs, every metrics.json and aggregate.json equals the local run's"
