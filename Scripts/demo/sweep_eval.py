#!/usr/bin/env python3
"""Evaluates the seed-1 policy of every swept λ (and MLE seed 1) on the held-out set with the
pipeline of `make demo` (score, greedy and sampled generations, grading, correlate, diversity),
and prints one row per policy. This is an after-the-fact look, not how λ was chosen (λ was
chosen on the validation pairs by Scripts/demo/train_policies.py).

Needs the sweep's models, which `make demo-policies` leaves in .build/demo-training/.
    python3 Scripts/demo/sweep_eval.py [--softq .build/release/softq] [--work .build/demo-training]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_demo  # noqa: E402
from train_policies import SWEEP  # noqa: E402

KEYS = [("greedy_metric", "greedy"), ("sampled_metric", "sampled"), ("agreement", "agreement"),
        ("spearman_pooled", "ρ pooled"), ("spearman_within", "ρ within"), ("distinct_2", "distinct-2"),
        ("self_bleu", "self-BLEU")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--softq", default=os.path.join(".build", "release", "softq"))
    ap.add_argument("--work", default=os.path.join(".build", "demo-training"))
    ap.add_argument("--out", default=os.path.join("demo-out", "sweep"))
    args = ap.parse_args()
    os.chdir(run_demo.ROOT)
    policies = [("mle", os.path.join(args.work, "mle-seed1", "model.h5"))]
    policies += [(f"iqlearn λ={lam:g}", os.path.join(args.work, f"iqlearn-seed1-l{lam:g}", "model.h5")) for lam in SWEEP]
    print(f"{'seed 1':18}" + "".join(f"{label:>14}" for _, label in KEYS))
    for name, path in policies:
        if not os.path.exists(path):
            raise SystemExit(f"sweep_eval: {path} is missing; run `make demo-policies` first")
        r = run_demo.policy_run(args.softq, path, os.path.join(args.out, name.replace(" ", "_").replace("=", "")))
        print(f"{name:18}" + "".join(f"{r[k]:14.3f}" for k, _ in KEYS), flush=True)


if __name__ == "__main__":
    main()
