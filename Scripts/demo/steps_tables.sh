#!/usr/bin/env bash
# Runs `softq analyze steps` on every demo policy (held-out step file, thresholds from the
# validation step file) and prints the table of docs/analysis.md ("Per-step rewards on the
# demo policies"). Demo numbers, not the study (notebooks-data/study/protocol.json).
# Usage: Scripts/demo/steps_tables.sh [SOFTQ] [OUT]   (about a minute per policy on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
SOFTQ="${1:-.build/release/softq}"
OUT="${2:-demo-out/steps}"
TASK=notebooks-data/task
mkdir -p "$OUT"
for p in mle-seed1 mle-seed2 mle-seed3 iqlearn-seed1 iqlearn-seed2 iqlearn-seed3; do
    echo "== $p"
    "$SOFTQ" analyze steps --checkpoint "notebooks-data/policies/$p.h5" --input "$TASK/steps_heldout.jsonl" \
        --validation "$TASK/steps_val.jsonl" --out "$OUT/$p" --force
done
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def ci(c):
    return f"[{c['low']:.3f}, {c['high']:.3f}]" if c else "–"
print("| policy | AUROC step reward | AUROC step log-lik. | F1 reward | F1 log-lik. | AUROC reward by position 0/1/2/3/4 |")
print("| --- | --- | --- | --- | --- | --- |")
for p in ["mle-seed1", "mle-seed2", "mle-seed3", "iqlearn-seed1", "iqlearn-seed2", "iqlearn-seed3"]:
    d = json.load(open(f"{out}/{p}/steps.json"))
    r, l = d["reward"], d["logprob"]
    pos = " / ".join("–" if x["auroc"] is None else f"{x['auroc']:.2f}" for x in r["auroc_by_position"])
    print(f"| {p} | {r['auroc']:.3f} {ci(r['auroc_ci95'])} | {l['auroc']:.3f} {ci(l['auroc_ci95'])} "
          f"| {r['f1']:.3f} {ci(r['f1_ci95'])} | {l['f1']:.3f} {ci(l['f1_ci95'])} | {pos} |")
PY
