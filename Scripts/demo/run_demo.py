#!/usr/bin/env python3
"""The main job of `make demo`: score the held-out preference pairs with every demo policy in
notebooks-data/policies/, sample and grade generations, correlate extracted rewards with the
task metric, and print one table per objective (mean over seeds with a 95% CI), then render
the report comparing the MLE and IQLearn policies.

Everything numeric comes from the `softq` CLI (score, sample, correlate, report) except the
task metric (Scripts/demo/grade.py) and sample diversity (computed here, defined below).

    python3 Scripts/demo/run_demo.py [--softq .build/release/softq] [--out demo-out]

Diversity, over the 4 samples of each held-out prompt, averaged over prompts:
  * distinct-2: distinct word bigrams / all word bigrams of the prompt's samples;
  * self-BLEU: mean over samples of BLEU-4 (uniform weights, brevity penalty, add-one smoothing
    of the 2–4-gram precisions) of the sample against the prompt's other samples as references.
CI over seeds: mean ± t(0.975, n−1)·sd/√n with the sample standard deviation (n = 3 seeds).
"""
import argparse
import collections
import json
import math
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Paths relative to the repository root (the driver runs there), so the provenance that the
# exports and the report record names no folder of this machine.
TASK = os.path.join("notebooks-data", "task")
POLICIES = os.path.join("notebooks-data", "policies")
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}
SAMPLES_PER_PROMPT = 4


def run(cmd, quiet=True):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"demo: command failed ({r.returncode}): {' '.join(cmd)}")
    return r.stdout


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def ngrams(words, n):
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def bleu4(hyp, refs):
    if not hyp:
        return 0.0
    logs = []
    for n in range(1, 5):
        h = collections.Counter(ngrams(hyp, n))
        maxref = collections.Counter()
        for r in refs:
            for g, c in collections.Counter(ngrams(r, n)).items():
                maxref[g] = max(maxref[g], c)
        match = sum(min(c, maxref[g]) for g, c in h.items())
        total = max(sum(h.values()), 0)
        if n == 1:
            if match == 0:
                return 0.0
            logs.append(math.log(match / total))
        else:
            logs.append(math.log((match + 1) / (total + 1)))
    closest = min((abs(len(r) - len(hyp)), len(r)) for r in refs)[1]
    bp = 1.0 if len(hyp) > closest else math.exp(1 - closest / len(hyp))
    return bp * math.exp(sum(logs) / 4)


def diversity(samples):
    by_prompt = collections.defaultdict(list)
    for s in samples:
        by_prompt[s["prompt_id"]].append(s["text"].split())
    d2, sb = [], []
    for texts in by_prompt.values():
        grams = [g for t in texts for g in ngrams(t, 2)]
        if grams:
            d2.append(len(set(grams)) / len(grams))
        if len(texts) >= 2:
            sb.append(sum(bleu4(t, texts[:k] + texts[k + 1:]) for k, t in enumerate(texts)) / len(texts))
    return sum(d2) / len(d2), sum(sb) / len(sb)


def correlation_value(corr, scope):
    for row in corr.get("correlations", []):
        if row.get("kind") == "spearman" and row.get("scope") == scope:
            return row.get("value")
    return None


def policy_run(softq, policy, out):
    # Each softq run is a directory of its own (docs/spec/outputs.md): the score run in OUT/<policy>,
    # generations in OUT/<policy>-generations, the correlation in OUT/<policy>-correlation.
    # --force replaces the runs of an earlier demo.
    gen = out + "-generations"
    os.makedirs(gen, exist_ok=True)
    prompts = os.path.join(TASK, "prompts_heldout.jsonl")
    score = run([softq, "score", "--checkpoint", policy, "--pairs", os.path.join(TASK, "pairs_heldout.jsonl"), "--out", out, "--force"])
    summary = json.load(open(os.path.join(out, "summary.json")))
    greedy = os.path.join(gen, "greedy.jsonl")
    samples = os.path.join(gen, "samples.jsonl")
    run([softq, "sample", "--checkpoint", policy, "--prompts", prompts, "--n", "1", "--temperature", "0",
         "--max-tokens", "96", "--out", greedy])
    run([softq, "sample", "--checkpoint", policy, "--prompts", prompts, "--n", str(SAMPLES_PER_PROMPT),
         "--temperature", "1", "--max-tokens", "96", "--seed", "1", "--out", samples])
    graded = {}
    for name, path in (("greedy", greedy), ("samples", samples)):
        g = path.replace(".jsonl", "_graded.jsonl")
        run([sys.executable, os.path.join("Scripts", "demo", "grade.py"), path, "--prompts", prompts, "--out", g])
        graded[name] = read_jsonl(g)
    run([softq, "correlate", "--checkpoint", policy, "--generations", samples.replace(".jsonl", "_graded.jsonl"),
         "--prompts", prompts, "--out", out + "-correlation", "--force"])
    corr = json.load(open(os.path.join(out + "-correlation", "correlation.json")))
    d2, sb = diversity(graded["samples"])
    mean = lambda xs: sum(xs) / len(xs)
    return {
        "agreement": summary["accuracy"],
        "mean_margin": summary["margin"]["mean"],
        "greedy_metric": mean([g["metric"] for g in graded["greedy"]]),
        "sampled_metric": mean([g["metric"] for g in graded["samples"]]),
        "spearman_pooled": correlation_value(corr, "pooled"),
        "spearman_within": correlation_value(corr, "within_prompt"),
        "distinct_2": d2,
        "self_bleu": sb,
        "score_table": score,
    }


COLUMNS = [("greedy_metric", "greedy metric"), ("sampled_metric", "sampled metric"),
           ("agreement", "pair agreement"), ("mean_margin", "mean margin"),
           ("spearman_pooled", "Spearman(r, metric) pooled"), ("spearman_within", "Spearman(r, metric) within prompt"),
           ("distinct_2", "distinct-2"), ("self_bleu", "self-BLEU")]


def ci(values):
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    if len(vals) < 2:
        return m, None
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
    return m, T975.get(len(vals) - 1, 1.96) * sd / math.sqrt(len(vals))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--softq", default=os.path.join(".build", "release", "softq"))
    ap.add_argument("--out", default="demo-out")
    args = ap.parse_args()
    os.chdir(ROOT)
    t0 = time.time()
    names = sorted(n[:-3] for n in os.listdir(POLICIES) if n.endswith(".h5"))
    if not names:
        raise SystemExit(f"demo: no policies in {POLICIES}; run `make demo-policies`")
    results = {}
    for name in names:
        print(f"demo: {name} …", file=sys.stderr, flush=True)
        results[name] = policy_run(args.softq, os.path.join(POLICIES, name + ".h5"), os.path.join(args.out, name))
    objectives = sorted({n.split("-seed")[0] for n in names}, key=lambda o: (o != "mle", o))
    n_pairs = json.load(open(os.path.join(args.out, names[0], "summary.json")))["n_pairs"]
    n_prompts = len(read_jsonl(os.path.join(TASK, "prompts_heldout.jsonl")))
    print(f"\nsoftq demo: {n_pairs} held-out pairs, "
          f"{n_prompts} held-out prompts ({SAMPLES_PER_PROMPT} samples each at T = 1, plus greedy), aggregate `sum`, γ = 1, α = 1")
    print("mean over seeds ± 95% CI (t, n = seeds)\n")
    header = f"{'':36}" + "".join(f"{o + ' (n=' + str(sum(1 for n in names if n.startswith(o + '-'))) + ')':>24}" for o in objectives)
    print(header)
    table = {}
    for key, label in COLUMNS:
        row = f"{label:36}"
        for o in objectives:
            m, h = ci([results[n][key] for n in names if n.startswith(o + "-")])
            table.setdefault(o, {})[key] = {"mean": m, "ci95_halfwidth": h}
            row += f"{'n/a':>24}" if m is None else f"{(f'{m:.3f} ± {h:.3f}' if h is not None else f'{m:.3f}'):>24}"
        print(row)
    with open(os.path.join(args.out, "demo_summary.json"), "w") as f:
        json.dump({"policies": {n: {k: v for k, v in r.items() if k != "score_table"} for n, r in results.items()},
                   "objectives": table}, f, indent=1, sort_keys=True)
        f.write("\n")
    firsts = [os.path.join(args.out, o + "-seed1") for o in objectives if os.path.isdir(os.path.join(args.out, o + "-seed1"))]
    # Robustness for the runs the report compares (its robustness section reads robustness.json).
    for d in firsts:
        print(f"demo: robustness of {os.path.basename(d)} …", file=sys.stderr, flush=True)
        run([args.softq, "robustness", "--checkpoint", os.path.join(POLICIES, os.path.basename(d) + ".h5"),
             "--pairs", os.path.join(TASK, "pairs_heldout.jsonl"), "--out", d + "-robustness", "--force"])
    report = os.path.join(args.out, "report.html")
    run([args.softq, "report"] + firsts + [d + suffix for suffix in ("-robustness", "-correlation") for d in firsts] + ["--out", report])
    print(f"\nper-policy runs in {args.out}/<policy>/, table in {args.out}/demo_summary.json")
    print(f"report: {report} (open it in a browser; it needs no network)")
    print(f"demo took {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
