#!/usr/bin/env python3
"""Trains the demo policies shipped in notebooks-data/policies/ with `softq train`.

* MLE (λ = 0) and IQLearn (TD-regularised MLE), seeds 1, 2, 3, same data, schedule and steps.
* IQLearn's λ is chosen by a small sweep on the *validation* pairs (pairs_val.jsonl, made from
  the validation problems): seed 1 is trained for every λ in SWEEP, each policy scores the
  validation pairs with `softq score` (aggregate `sum`), and the λ with the highest accuracy
  wins (ties: the higher mean margin, then the smaller λ). The held-out pairs are never used.
  The sweep's numbers are written to notebooks-data/policies/sweep.json.

Run from the repository root (about 20 minutes on 2 cores):
    python3 Scripts/demo/train_policies.py [--softq .build/release/softq]
Deterministic: `softq train` is seeded and bit-reproducible at any thread count.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Relative to the repository root (the script runs there): checkpoints record their data and
# tokenizer paths in /training, and those must name no folder of this machine.
TASK = os.path.join("notebooks-data", "task")
POLICIES = os.path.join("notebooks-data", "policies")
CONFIG = os.path.join("notebooks-data", "configs", "tiny-gpt2.json")
SEEDS = [1, 2, 3]
SWEEP = [0.01, 0.1, 1.0]
TRAIN = ["--steps", "1500", "--batch-size", "16", "--lr", "0.001", "--warmup", "50",
         "--weight-decay", "0.01", "--grad-clip", "1.0", "--checkpoint-every", "500", "--log-every", "250"]


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def train(softq, work, objective, seed, td_weight=None):
    out = os.path.join(work, f"{objective}-seed{seed}" + (f"-l{td_weight:g}" if td_weight is not None else ""))
    model = os.path.join(out, "model.h5")
    if os.path.exists(model):
        return model
    cmd = [softq, "train", "--config", CONFIG, "--tokenizer", os.path.join(TASK, "tokenizer.json"),
           "--data", os.path.join(TASK, "demos_train.jsonl"), "--objective", objective, "--seed", str(seed),
           "--out", out] + TRAIN
    if td_weight is not None:
        cmd += ["--td-weight", str(td_weight)]
    if os.path.isdir(os.path.join(out, "checkpoints")):
        cmd.append("--resume")
    run(cmd)
    return model


def score(softq, model, pairs, out):
    run([softq, "score", "--checkpoint", model, "--pairs", pairs, "--out", out, "--per-token", "none", "--force"])
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--softq", default=os.path.join(".build", "release", "softq"))
    ap.add_argument("--work", default=os.path.join(".build", "demo-training"))
    args = ap.parse_args()
    os.chdir(ROOT)
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(POLICIES, exist_ok=True)

    sweep = []
    for lam in SWEEP:
        model = train(args.softq, args.work, "iqlearn", SEEDS[0], lam)
        s = score(args.softq, model, os.path.join(TASK, "pairs_val.jsonl"), os.path.join(args.work, f"val-l{lam:g}"))
        sweep.append({"td_weight": lam, "seed": SEEDS[0], "val_accuracy": s["accuracy"],
                      "val_mean_margin": s["margin"]["mean"], "model": model})
        print(f"λ = {lam:g}: validation accuracy {s['accuracy']:.4f}, mean margin {s['margin']['mean']:.3f}", flush=True)
    best = sorted(sweep, key=lambda r: (-r["val_accuracy"], -r["val_mean_margin"], r["td_weight"]))[0]
    lam = best["td_weight"]
    print(f"chosen λ = {lam:g} (validation accuracy {best['val_accuracy']:.4f})", flush=True)

    mle_val = []
    for seed in SEEDS:
        m = train(args.softq, args.work, "mle", seed)
        shutil.copyfile(m, os.path.join(POLICIES, f"mle-seed{seed}.h5"))
        if seed == SEEDS[0]:
            s = score(args.softq, m, os.path.join(TASK, "pairs_val.jsonl"), os.path.join(args.work, "val-mle"))
            mle_val.append({"seed": seed, "val_accuracy": s["accuracy"], "val_mean_margin": s["margin"]["mean"]})
        q = best["model"] if seed == SEEDS[0] else train(args.softq, args.work, "iqlearn", seed, lam)
        shutil.copyfile(q, os.path.join(POLICIES, f"iqlearn-seed{seed}.h5"))

    with open(os.path.join(POLICIES, "sweep.json"), "w") as f:
        json.dump({"criterion": "accuracy (aggregate sum) on notebooks-data/task/pairs_val.jsonl; ties: mean margin, then smaller λ",
                   "training": TRAIN, "sweep": [{k: v for k, v in r.items() if k != "model"} for r in sweep],
                   "chosen_td_weight": lam, "mle_reference": mle_val}, f, indent=1)
        f.write("\n")
    for name in sorted(os.listdir(POLICIES)):
        p = os.path.join(POLICIES, name)
        print(f"{name}: {os.path.getsize(p)} bytes")


if __name__ == "__main__":
    sys.exit(main())
