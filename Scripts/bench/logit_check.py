#!/usr/bin/env python3
"""softq's logits on a real checkpoint against transformers, in float32 and float64.

Scores one token sequence with `softq extract` (the first token is the prompt, the rest the
response; per-token values as JSONL, α = γ = 1, no EOS appended, no terminal state) and reads
back, at every response position j, the taken token's logit (`q` = α·ℓ_{j−1}[x_j]) and the
logsumexp of the whole row (`value_before` = α·logsumexp(ℓ_{j−1})). The same checkpoint is
loaded into transformers with exactly its float32 weights (Scripts/bench/compare.py), run in
float32 and in float64, and the largest differences are printed. Exits 1 when softq is further
than 2e-4 from either (the logit tolerance of docs/models.md: softq computes in float32, so
its distance to float64 is its own rounding error, and to transformers float32 that error plus
transformers' own).

Usage (from the repository root, after `swift build -c release --product softq`):
  python3 Scripts/bench/logit_check.py --checkpoint smollm2.h5 --tokens 1,9690,314,253,30,2
  python3 Scripts/bench/logit_check.py --checkpoint M.h5 --random 64 [--seed 0]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import load_torch_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def softq_values(softq, checkpoint, tokens, threads):
    """Taken-token logits and row logsumexps of positions 0 … n−2, as softq computes them."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "inputs.jsonl")
        with open(inputs, "w") as f:
            f.write(json.dumps({"id": "check", "prompt_ids": tokens[:1], "response_ids": tokens[1:]}) + "\n")
        out = os.path.join(tmp, "out")
        subprocess.run([softq, "extract", "--checkpoint", checkpoint, "--inputs", inputs, "--out", out,
                        "--per-token", "jsonl", "--temperature", "1", "--gamma", "1", "--terminal", "never",
                        "--no-append-eos", "--threads", str(threads)], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "tokens.jsonl")) as f:
            row = json.loads(f.readline())
    return np.array(row["q"], dtype=np.float64), np.array(row["value_before"], dtype=np.float64)


def torch_values(model, tokens, dtype):
    m = model.to(dtype)
    with torch.inference_mode():
        logits = m(torch.tensor([tokens])).logits[0, :-1].to(torch.float64)
    taken = logits.gather(1, torch.tensor(tokens[1:]).unsqueeze(1)).squeeze(1)
    return taken.numpy(), torch.logsumexp(logits, dim=1).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokens", help="comma-separated token ids (at least two)")
    ap.add_argument("--random", type=int, help="instead of --tokens: this many seeded random ids")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--softq", default=os.path.join(ROOT, ".build", "release", "softq"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    model = load_torch_model(args.checkpoint)
    if args.tokens:
        tokens = [int(t) for t in args.tokens.split(",")]
    elif args.random:
        tokens = np.random.default_rng(args.seed).integers(0, model.config.vocab_size, args.random).tolist()
    else:
        ap.error("give --tokens or --random")
    if len(tokens) < 2:
        ap.error("need at least two tokens (a prompt token and one scored token)")

    q, lse = softq_values(args.softq, args.checkpoint, tokens, args.threads)
    reference = {name: torch_values(model, tokens, dtype)
                 for name, dtype in (("float32", torch.float32), ("float64", torch.float64))}
    worst = 0.0
    for name, (tq, tl) in reference.items():
        dq, dl = float(np.max(np.abs(q - tq))), float(np.max(np.abs(lse - tl)))
        worst = max(worst, dq, dl)
        print(f"softq vs transformers {name}: max |Δ taken logit| {dq:.2e}, max |Δ logsumexp| {dl:.2e}"
              f" over {len(q)} positions")
    (q32, l32), (q64, l64) = reference["float32"], reference["float64"]
    print(f"transformers float32 vs float64: max |Δ taken logit| {np.max(np.abs(q32 - q64)):.2e}, "
          f"max |Δ logsumexp| {np.max(np.abs(l32 - l64)):.2e}")
    ok = worst <= 2e-4
    print("within tolerance" if ok else "OUTSIDE TOLERANCE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
