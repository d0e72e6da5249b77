#!/usr/bin/env python3
"""The IQLearn-vs-MLE reward study of notebooks-data/study/protocol.json, end to end (`make study`).

    python3 Scripts/study/run_study.py [--softq .build/release/softq] [--work .build/study]
                                       [--jobs 2] [--stage all|train|evaluate|select|arm|aggregate]

Stages, each skipping what is already done (so the whole script is resumable: stop it and run
it again):
  train      the γ = 1 grid: every λ of the protocol × every seed (Scripts/study/study_train.py)
  evaluate   for every trained policy: sample (held-out: 4 at T = 1 and greedy; validation: 4 at
             T = 1), grade (Scripts/demo/grade.py), and at each evaluation γ: softq correlate on
             the graded samples, softq score on the held-out pairs, softq analyze steps on the
             step-labelled files
  select     λ* from the validation numbers only (the protocol's rule) → WORK/selection.json
  arm        the γ = 0.9 IQLearn arm at λ*, then its evaluation
  aggregate  every endpoint per policy and evaluation γ, the paired comparisons with the
             protocol's bootstrap → notebooks-data/study/results.jsonl and summary.json

Policies, generations and per-policy runs stay in WORK (default .build/study); only the two
result files are written into the repository. The statistics live in Scripts/study/study_stats.py.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import study_stats  # noqa: E402
from study_train import plan, policy_name  # noqa: E402

PROTOCOL = os.path.join("notebooks-data", "study", "protocol.json")
TASK = os.path.join("notebooks-data", "task")
RESULTS = os.path.join("notebooks-data", "study")
GRADE = os.path.join("Scripts", "demo", "grade.py")


def run(cmd, log):
    with open(log, "a") as f:
        f.write("+ " + " ".join(cmd) + "\n")
        f.flush()
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)


def fmt_gamma(g):
    return f"g{g:g}"


def evaluate_policy(softq, work, name, gammas):
    """Runs every evaluation of one policy; a step whose final file exists is skipped."""
    model = os.path.join(work, "train", name, "model.h5")
    out = os.path.join(work, "eval", name)
    os.makedirs(out, exist_ok=True)
    log = os.path.join(out, "eval.log")
    held = os.path.join(TASK, "prompts_heldout.jsonl")
    val = os.path.join(TASK, "prompts_val.jsonl")

    def generate(prompts, kind, extra):
        graded = os.path.join(out, f"{kind}.jsonl")
        if os.path.exists(graded):
            return graded
        raw = os.path.join(out, f"{kind}.raw.jsonl")
        run([softq, "sample", "--checkpoint", model, "--prompts", prompts, "--max-tokens", "96",
             "--out", raw] + extra, log)
        run([sys.executable, GRADE, raw, "--prompts", prompts, "--out", graded], log)
        os.remove(raw)
        return graded

    samples = generate(held, "heldout-samples", ["--n", "4", "--temperature", "1", "--seed", "1"])
    generate(held, "heldout-greedy", ["--n", "1", "--temperature", "0"])
    val_samples = generate(val, "val-samples", ["--n", "4", "--temperature", "1", "--seed", "1"])

    for g in gammas:
        gdir = os.path.join(out, fmt_gamma(g))
        conv = ["--gamma", f"{g:g}", "--alpha", "1"]
        jobs = [
            ("corr-heldout", "correlation.json",
             ["correlate", "--checkpoint", model, "--generations", samples, "--prompts", held,
              "--bootstrap-samples", "100"]),
            ("corr-val", "correlation.json",
             ["correlate", "--checkpoint", model, "--generations", val_samples, "--prompts", val,
              "--bootstrap-samples", "100"]),
            ("pairs", "summary.json",
             ["score", "--checkpoint", model, "--pairs", os.path.join(TASK, "pairs_heldout.jsonl"),
              "--per-token", "none"]),
            ("steps-heldout", "steps.json",
             ["analyze", "steps", "--checkpoint", model, "--input", os.path.join(TASK, "steps_heldout.jsonl"),
              "--validation", os.path.join(TASK, "steps_val.jsonl")]),
            ("steps-val", "steps.json",
             ["analyze", "steps", "--checkpoint", model, "--input", os.path.join(TASK, "steps_val.jsonl"),
              "--validation", os.path.join(TASK, "steps_val.jsonl")]),
        ]
        for sub, final, cmd in jobs:
            d = os.path.join(gdir, sub)
            if os.path.exists(os.path.join(d, final)):
                continue
            run([softq] + cmd + conv + ["--out", d, "--force"], log)
    return name


def evaluate_all(softq, work, names, gammas, jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(evaluate_policy, softq, work, n, gammas) for n in names]
        for i, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            print(f"[evaluate {i}/{len(names)}] {fut.result()}", flush=True)


def grid_names(protocol):
    return [policy_name(lam, seed, g) for lam, seed, g in plan(protocol)]


def arm_names(protocol, lam):
    return [policy_name(l, s, g) for l, s, g in plan(protocol, lam)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--softq", default=os.path.join(".build", "release", "softq"))
    ap.add_argument("--work", default=os.path.join(".build", "study"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--stage", default="all",
                    choices=["all", "train", "evaluate", "select", "arm", "aggregate"])
    args = ap.parse_args()
    os.chdir(ROOT)
    with open(PROTOCOL) as f:
        protocol = json.load(f)
    gammas = protocol["evaluation"]["gammas"]
    train_cmd = [sys.executable, os.path.join(HERE, "study_train.py"), "--softq", args.softq,
                 "--work", os.path.join(args.work, "train"), "--jobs", str(args.jobs)]
    stages = ["train", "evaluate", "select", "arm", "aggregate"] if args.stage == "all" else [args.stage]

    if "train" in stages:
        subprocess.run(train_cmd, check=True)
    if "evaluate" in stages:
        evaluate_all(args.softq, args.work, grid_names(protocol), gammas, args.jobs)
    if "select" in stages or "arm" in stages or "aggregate" in stages:
        selection = study_stats.select_lambda(protocol, args.work, grid_names(protocol))
        with open(os.path.join(args.work, "selection.json"), "w") as f:
            json.dump(selection, f, indent=1)
            f.write("\n")
        print(f"λ* = {selection['lambda_star']:g} (validation scores: "
              + ", ".join(f"{r['lambda']:g}: {r['score']:.4f}" for r in selection["candidates"]) + ")", flush=True)
    if "arm" in stages:
        lam = selection["lambda_star"]
        subprocess.run(train_cmd + ["--gamma-arm-lambda", f"{lam:g}"], check=True)
        evaluate_all(args.softq, args.work, arm_names(protocol, lam), gammas, args.jobs)
    if "aggregate" in stages:
        names = grid_names(protocol) + arm_names(protocol, selection["lambda_star"])
        rows, summary = study_stats.aggregate(protocol, args.work, names, selection)
        os.makedirs(RESULTS, exist_ok=True)
        study_stats.write_atomic(os.path.join(RESULTS, "results.jsonl"),
                                 "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
        study_stats.write_atomic(os.path.join(RESULTS, "summary.json"),
                                 json.dumps(summary, indent=1, sort_keys=True) + "\n")
        print(study_stats.render_table(summary), flush=True)


if __name__ == "__main__":
    sys.exit(main())
