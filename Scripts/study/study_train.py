#!/usr/bin/env python3
"""Trains the study's policies (notebooks-data/study/protocol.json) with `softq train`.

    python3 Scripts/study/study_train.py [--softq .build/release/softq] [--work .build/study/train]
                                         [--jobs 2] [--gamma-arm-lambda λ*]

Without --gamma-arm-lambda: the γ = 1 grid (every λ of the protocol × every seed; λ = 0 is
--objective mle). With it: the γ = 0.9 IQLearn arm at that λ. A policy whose model.h5 exists is
skipped; an interrupted one is resumed from its newest checkpoint (`softq train --resume`), so
the script can be stopped and rerun at any time. `softq train` is seeded and bit-reproducible at
any thread count, so --jobs only changes the wall time: each job trains one policy with
--threads 1.

Policy directories are named as Scripts/demo/train_policies.py names them
(mle-seedS, iqlearn-seedS-lλ, and -g0.9 for the γ arm), so `train_policies.py --work` on the
same folder reuses the demo's policies instead of training them again.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTOCOL = os.path.join("notebooks-data", "study", "protocol.json")
TASK = os.path.join("notebooks-data", "task")


def policy_name(lam, seed, gamma=1.0):
    if lam == 0:
        return f"mle-seed{seed}"
    return f"iqlearn-seed{seed}-l{lam:g}" + ("" if gamma == 1 else f"-g{gamma:g}")


def plan(protocol, arm_lambda=None):
    pol = protocol["policies"]
    if arm_lambda is None:
        # The demo's eight policies first (seed 1 sweep, then seeds 1-3), so the demo can be
        # refreshed from this folder before the whole grid is done.
        jobs = [(lam, seed, 1.0) for seed in pol["seeds"] for lam in pol["lambda_grid"]]
        demo = {(0, 1), (0, 2), (0, 3), (0.01, 1), (0.1, 1), (1, 1), (1, 2), (1, 3)}
        jobs.sort(key=lambda j: (0 if (j[0], j[1]) in demo else 1, j[1], j[0]))
        return jobs
    gamma = pol["gamma_arm"]["gamma"]
    return [(arm_lambda, seed, gamma) for seed in pol["seeds"]]


def train(softq, work, training_options, lam, seed, gamma):
    name = policy_name(lam, seed, gamma)
    out = os.path.join(work, name)
    model = os.path.join(out, "model.h5")
    if os.path.exists(model):
        return name, "exists"
    cmd = [softq, "train", "--config", os.path.join("notebooks-data", "configs", "tiny-gpt2.json"),
           "--tokenizer", os.path.join(TASK, "tokenizer.json"),
           "--data", os.path.join(TASK, "demos_train.jsonl"), "--seed", str(seed), "--out", out,
           "--threads", "1"] + training_options
    if lam == 0:
        cmd += ["--objective", "mle"]
    else:
        cmd += ["--objective", "iqlearn", "--td-weight", f"{lam:g}"]
    if gamma != 1:
        cmd += ["--gamma", f"{gamma:g}"]
    if os.path.isdir(os.path.join(out, "checkpoints")):
        cmd.append("--resume")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, name + ".log"), "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return name, "trained"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--softq", default=os.path.join(".build", "release", "softq"))
    ap.add_argument("--work", default=os.path.join(".build", "study", "train"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--gamma-arm-lambda", type=float, default=None)
    args = ap.parse_args()
    os.chdir(ROOT)
    with open(PROTOCOL) as f:
        protocol = json.load(f)
    jobs = plan(protocol, args.gamma_arm_lambda)
    opts = protocol["policies"]["training_options"]
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(train, args.softq, args.work, opts, *j) for j in jobs]
        for fut in concurrent.futures.as_completed(futures):
            name, what = fut.result()
            done += 1
            print(f"[{done}/{len(jobs)}] {name}: {what}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
