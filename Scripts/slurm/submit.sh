#!/bin/bash
# Submits a sharded softq job and its merge:
#
#   Scripts/slurm/submit.sh N SOFTQ RUN_ROOT COMMAND [OPTIONS…]
#
# e.g. Scripts/slurm/submit.sh 8 "$PWD/.build/release/softq" "$PWD/runs/heldout" \
#        score --checkpoint policy.h5 --pairs pairs.jsonl
# Paths must be valid on the compute nodes (a shared file system). Prints the two job ids.
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 N SOFTQ RUN_ROOT COMMAND [OPTIONS…]" >&2
    exit 2
fi
n=$1 softq=$2 root=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$root"
array=$(sbatch --parsable --chdir="$root" --array="0-$((n - 1))" "$here/shard.sbatch" "$softq" "$root" "$@")
merge=$(sbatch --parsable --chdir="$root" --dependency="afterok:${array%%;*}" "$here/merge.sbatch" "$softq" "$root")
echo "array job ${array%%;*} ($n shards), merge job ${merge%%;*}"
