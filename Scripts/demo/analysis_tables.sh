#!/usr/bin/env bash
# Prints the robustness and reward-vs-metric tables of the README and docs/analysis.md for the
# first seed of each demo policy (MLE and IQLearn), exactly as the commands print them.
# Usage: Scripts/demo/analysis_tables.sh [SOFTQ] [OUT]   (about a minute on 2 cores)
# Each analysis writes a run directory of its own under OUT; --force replaces an earlier one.
set -euo pipefail
cd "$(dirname "$0")/../.."
SOFTQ="${1:-.build/release/softq}"
OUT="${2:-demo-out/analysis}"
TASK=notebooks-data/task
mkdir -p "$OUT"
for p in mle-seed1 iqlearn-seed1; do
    ckpt="notebooks-data/policies/$p.h5"
    echo "== $p: softq robustness"
    "$SOFTQ" robustness --checkpoint "$ckpt" --pairs "$TASK/pairs_heldout.jsonl" --out "$OUT/$p-robustness" --force
    "$SOFTQ" sample --checkpoint "$ckpt" --prompts "$TASK/prompts_heldout.jsonl" --n 8 --temperature 1 \
        --max-tokens 96 --seed 1 --out "$OUT/$p-samples.jsonl" 2>/dev/null
    python3 Scripts/demo/grade.py "$OUT/$p-samples.jsonl" --prompts "$TASK/prompts_heldout.jsonl" --out "$OUT/$p-graded.jsonl"
    echo "== $p: softq correlate"
    "$SOFTQ" correlate --checkpoint "$ckpt" --generations "$OUT/$p-graded.jsonl" \
        --prompts "$TASK/prompts_heldout.jsonl" --out "$OUT/$p-correlation" --force
    echo "== $p: softq analyze sensitivity"
    "$SOFTQ" analyze sensitivity --checkpoint "$ckpt" --pairs "$TASK/pairs_heldout.jsonl" --out "$OUT/$p-sensitivity" --force --gammas 1 0.9
done
echo "== softq analyze stability"
"$SOFTQ" analyze stability --checkpoint notebooks-data/policies/mle-seed1.h5 --checkpoint notebooks-data/policies/iqlearn-seed1.h5 \
    --checkpoint notebooks-data/policies/mle-seed2.h5 --pairs "$TASK/pairs_heldout.jsonl" --out "$OUT/stability" --force
