#!/bin/bash
# `make test-slurm`: proves shard.sbatch + merge.sbatch on a one-machine Slurm cluster.
#
# Starts munged, slurmctld and slurmd on loopback (Debian's slurm-wlm 22.05; installed with apt
# when missing; must run as root) with a generated slurm.conf and munge key in a temporary
# directory, submits the held-out demo pairs as a 4-task array plus the dependent merge, waits
# (polling squeue, with a time limit), and checks the merged run against a single-process run:
# the same pairs.jsonl bytes and the same summary.json apart from provenance.time/shards.
# The daemons are stopped whatever happens.
#
#   Scripts/slurm/test_slurm.sh SOFTQ
set -euo pipefail
softq=$(realpath "${1:?usage: $0 SOFTQ}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/Scripts/slurm"
limit=${SLURM_TEST_TIMEOUT:-150}
n=4

if [ "$(id -u)" != 0 ]; then echo "test-slurm starts slurmd and munged: run it as root" >&2; exit 2; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge
fi

tmp=$(mktemp -d -t softq-slurm.XXXXXX)
chmod 755 "$tmp"
stop() {
    for p in slurmd slurmctld munged; do
        if [ -f "$tmp/$p.pid" ]; then kill "$(cat "$tmp/$p.pid")" 2>/dev/null || true; fi
    done
    sleep 1
    for p in slurmd slurmctld munged; do
        if [ -f "$tmp/$p.pid" ]; then kill -9 "$(cat "$tmp/$p.pid")" 2>/dev/null || true; fi
    done
    if [ "${KEEP_SLURM_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap stop EXIT

host=$(hostname -s)
mkdir -p "$tmp"/{state,spool,log,runs}
head -c 1024 /dev/urandom > "$tmp/munge.key"
chmod 400 "$tmp/munge.key"
munged --key-file "$tmp/munge.key" --socket "$tmp/munge.socket" --pid-file "$tmp/munged.pid" \
    --log-file "$tmp/log/munged.log" --seed-file "$tmp/munge.seed" --force

# Ports chosen from the process id so parallel runs on one machine do not collide.
base=$((20000 + ($$ % 10000) * 2))
cat > "$tmp/slurm.conf" <<CONF
ClusterName=softqtest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge.socket
CredType=cred/munge
SlurmctldPort=$base
SlurmdPort=$((base + 1))
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

# Wait for the node to come up.
for _ in $(seq 1 30); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then break; fi
    sleep 1
done
sinfo

checkpoint="$repo/notebooks-data/policies/iqlearn-seed1.h5"
pairs="$repo/notebooks-data/task/pairs_heldout.jsonl"
job=(score --checkpoint "$checkpoint" --pairs "$pairs" --bootstrap-samples 500 --seed 3 --threads 1)

start=$(date +%s)
ids=$("$here/submit.sh" "$n" "$softq" "$tmp/runs" "${job[@]}")
echo "$ids"
while [ -n "$(squeue -h -o %i)" ]; do
    if [ $(( $(date +%s) - start )) -gt "$limit" ]; then
        echo "FAIL: the jobs did not finish within ${limit}s" >&2
        squeue
        tail -n 20 "$tmp"/log/*.log "$tmp"/runs/slurm-*.out >&2 || true
        exit 1
    fi
    sleep 2
done
echo "Slurm jobs done in $(( $(date +%s) - start ))s"
if [ ! -f "$tmp/runs/merged/manifest.json" ]; then
    echo "FAIL: no merged run" >&2
    tail -n 20 "$tmp"/runs/slurm-*.out >&2 || true
    exit 1
fi

# The single-process run, written under the merged run's path and moved aside, so the merged
# run's single-process command line (provenance.command) is this run's.
mv "$tmp/runs/merged" "$tmp/runs/merged-by-slurm"
"$softq" "${job[@]}" --out "$tmp/runs/merged" --resume > /dev/null
mv "$tmp/runs/merged" "$tmp/single"
mv "$tmp/runs/merged-by-slurm" "$tmp/runs/merged"
cmp "$tmp/single/pairs.jsonl" "$tmp/runs/merged/pairs.jsonl"
python3 - "$tmp/single/summary.json" "$tmp/runs/merged/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
shards = b["provenance"].get("shards")
assert shards and [s["index"] for s in shards] == [0, 1, 2, 3], shards
for s in (a, b):
    s["provenance"].pop("time")
    s["provenance"].pop("shards", None)
assert a == b, "summary.json differs:\n%s\n%s" % (json.dumps(a, indent=1), json.dumps(b, indent=1))
print("summary.json equal apart from time and shards: %d pairs, accuracy %.4f" % (b["n_pairs"], b["accuracy"]))
PY
echo "PASS: Slurm array of $n shards + merge equals the single-process run ($(wc -l < "$tmp/single/pairs.jsonl") pairs.jsonl lines)"
