#!/usr/bin/env bash
# Writes notebooks-data/example-runs/{mle,iqlearn}-seed1: `softq score` of the held-out demo
# pairs with the first seed of each demo policy (pairs.jsonl, pairs.csv, tokens.h5,
# summary.json), the inputs of notebooks-data/example.ipynb.
# Usage: Scripts/notebook/make_example_runs.sh [SOFTQ] [POLICY_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
SOFTQ="${1:-.build/release/softq}"
POLICIES="${2:-notebooks-data/policies}"
for p in mle-seed1 iqlearn-seed1; do
    out="notebooks-data/example-runs/$p"
    rm -rf "$out"
    "$SOFTQ" score --checkpoint "$POLICIES/$p.h5" --pairs notebooks-data/task/pairs_heldout.jsonl \
        --out "$out" --csv --per-token hdf5 > /dev/null
    # Provenance names the machine's paths and the time; keep the committed copy free of both.
    python3 - "$out/summary.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["provenance"]["command"] = ["softq"] + [a for a in s["provenance"]["command"][1:]]
s["provenance"]["time"] = "(removed from the committed example)"
json.dump(s, open(p, "w"), indent=2, ensure_ascii=False)
open(p, "a").write("\n")
# The manifest lists summary.json by hash: record the edited file (and the same provenance).
import hashlib, os
mp = os.path.join(os.path.dirname(p), "manifest.json")
m = json.load(open(mp))
m["command"] = s["provenance"]["command"]
m["provenance"] = s["provenance"]
data = open(p, "rb").read()
for f in m["files"]:
    if f["path"] == "summary.json":
        f["size"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
json.dump(m, open(mp, "w"), indent=2, ensure_ascii=False)
open(mp, "a").write("\n")
PY
    rm -f "$out/.softq.lock"
done
du -sh notebooks-data/example-runs
