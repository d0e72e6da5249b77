#!/usr/bin/env bash
# Writes notebooks-data/generations/<policy>-{greedy,samples}.jsonl: for every demo policy, greedy
# decoding and 4 samples at T = 1 (seed 1) of each held-out prompt, labelled with the task metric
# by Scripts/demo/grade.py — the same generations `make demo` makes. Deterministic.
# Usage: Scripts/demo/make_generations.sh [SOFTQ]
set -euo pipefail
cd "$(dirname "$0")/../.."
SOFTQ="${1:-.build/release/softq}"
OUT=notebooks-data/generations
PROMPTS=notebooks-data/task/prompts_heldout.jsonl
mkdir -p "$OUT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for ckpt in notebooks-data/policies/*.h5; do
    p="$(basename "$ckpt" .h5)"
    "$SOFTQ" sample --checkpoint "$ckpt" --prompts "$PROMPTS" --n 1 --temperature 0 --max-tokens 96 --out "$tmp/$p-greedy.jsonl" 2>/dev/null
    "$SOFTQ" sample --checkpoint "$ckpt" --prompts "$PROMPTS" --n 4 --temperature 1 --max-tokens 96 --seed 1 --out "$tmp/$p-samples.jsonl" 2>/dev/null
    for kind in greedy samples; do
        python3 Scripts/demo/grade.py "$tmp/$p-$kind.jsonl" --prompts "$PROMPTS" --out "$OUT/$p-$kind.jsonl"
    done
done
du -sh "$OUT"
