#!/usr/bin/env python3
"""Writes the reference values of `softq analyze steps`' kernels, from scikit-learn and numpy.

Independent re-computations on seeded random data with many ties (scores rounded to one
decimal), written to Tests/SoftQEvaluationTests/Fixtures/steps.json:

- AUROC: sklearn.metrics.roc_auc_score with the positive class labelled 1 (ties count 1/2);
- step AUROC of step-labelled solutions: steps before the first error (label) are correct
  (positive), the first wrong step and every later one are wrong; overall and per position;
- ProcessBench first-error localisation: predicted first error = first step with score < τ
  (-1 if none); accuracy on erroneous solutions (pred == label), on correct ones (pred == -1),
  F1 = 2ab / (a + b); τ chosen on the validation solutions among -inf, the midpoints of the
  sorted distinct validation step scores ((s[:-1] + s[1:]) / 2) and +inf, maximising F1, ties
  the smallest τ; then applied to the input solutions.

Thresholds ±inf are written as the strings "-inf" / "inf" (as steps.json writes them).
Only for regenerating the fixture (needs numpy and scikit-learn; the tests do not):
    python3 Scripts/reference/make_steps_reference.py
"""
import json
import pathlib

import numpy as np
from sklearn.metrics import roc_auc_score

FORMAT_VERSION = 1
SEED = 20261130
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "SoftQEvaluationTests" / "Fixtures" / "steps.json"


def auroc(pos, neg):
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    return float(roc_auc_score(y, np.r_[np.asarray(pos, float), np.asarray(neg, float)]))


def first_below(scores, tau):
    below = [k for k, s in enumerate(scores) if s < tau]
    return below[0] if below else -1


def first_error_scores(pred, labels):
    pred, labels = np.asarray(pred), np.asarray(labels)
    err, cor = labels >= 0, labels < 0
    a = float(np.mean(pred[err] == labels[err])) if err.any() else float("nan")
    b = float(np.mean(pred[cor] == -1)) if cor.any() else float("nan")
    f1 = 0.0 if a + b == 0 else 2 * a * b / (a + b)
    return a, b, f1


def choose_threshold(solutions):
    s = np.unique(np.concatenate([np.asarray(x["scores"], float) for x in solutions]))
    candidates = np.r_[-np.inf, (s[:-1] + s[1:]) / 2, np.inf]
    labels = [x["label"] for x in solutions]
    best = None
    for tau in candidates:                       # ascending: a later tie never replaces
        f1 = first_error_scores([first_below(x["scores"], tau) for x in solutions], labels)[2]
        if best is None or f1 > best[1]:
            best = (float(tau), f1)
    return best[0], len(candidates)


def step_classes(solutions, position=None):
    pos, neg = [], []
    for x in solutions:
        for k, v in enumerate(x["scores"]):
            if position is not None and k != position:
                continue
            (pos if x["label"] < 0 or k < x["label"] else neg).append(v)
    return pos, neg


def tau_json(t):
    return t if np.isfinite(t) else ("-inf" if t < 0 else "inf")


def solutions(rng, n, shift):
    """Random solutions of 1-5 steps, a third correct; wrong steps score lower by `shift`
    on average, so AUROCs are away from 0.5 but far from perfect."""
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 6))
        label = -1 if rng.random() < 1 / 3 else int(rng.integers(0, k))
        scores = [round(float(rng.normal(0, 1) - (shift if label >= 0 and j >= label else 0)), 1) for j in range(k)]
        out.append({"label": label, "scores": scores})
    return out


def step_case(name, rng, n_input, n_val, shift):
    while True:   # both classes in each file (redrawn from the same stream: deterministic)
        inp, val = solutions(rng, n_input, shift), solutions(rng, n_val, shift)
        if all({x["label"] < 0 for x in f} == {True, False} for f in (inp, val)):
            break
    tau, candidates = choose_threshold(val)
    va, vb, vf = first_error_scores([first_below(x["scores"], tau) for x in val], [x["label"] for x in val])
    pred = [first_below(x["scores"], tau) for x in inp]
    a, b, f1 = first_error_scores(pred, [x["label"] for x in inp])
    by_position = []
    for k in range(max(len(x["scores"]) for x in inp)):
        p, q = step_classes(inp, k)
        by_position.append({"position": k, "n_correct": len(p), "n_wrong": len(q),
                            "auroc": auroc(p, q) if p and q else None})
    p, q = step_classes(inp)
    return {"name": name, "input": inp, "validation": val,
            "expected": {"auroc": auroc(p, q), "n_correct_steps": len(p), "n_wrong_steps": len(q),
                         "by_position": by_position, "threshold": tau_json(tau), "threshold_candidates": candidates,
                         "validation_accuracy_erroneous": va, "validation_accuracy_correct": vb, "validation_f1": vf,
                         "accuracy_erroneous": a, "accuracy_correct": b, "f1": f1, "predicted": pred}}


def main():
    rng = np.random.default_rng(SEED)
    auroc_cases = []
    for name, n_pos, n_neg, shift in [("small", 3, 4, 0.5), ("ties", 40, 25, 0.3), ("larger", 300, 200, 0.8),
                                      ("unbalanced", 5, 120, 1.0)]:
        pos = np.round(rng.normal(shift, 1, n_pos), 1).tolist()
        neg = np.round(rng.normal(0, 1, n_neg), 1).tolist()
        auroc_cases.append({"name": name, "positive": pos, "negative": neg, "auroc": auroc(pos, neg)})
    auroc_cases += [
        {"name": "all tied", "positive": [1.0, 1.0], "negative": [1.0, 1.0, 1.0], "auroc": auroc([1.0, 1.0], [1.0, 1.0, 1.0])},
        {"name": "separated", "positive": [2.0, 3.0], "negative": [-1.0, 0.0, 1.0], "auroc": auroc([2.0, 3.0], [-1.0, 0.0, 1.0])},
        {"name": "reversed", "positive": [-2.0], "negative": [0.0, 1.0], "auroc": auroc([-2.0], [0.0, 1.0])},
    ]
    step_cases = [step_case("informative", rng, 120, 150, 1.0), step_case("weak", rng, 80, 60, 0.2),
                  step_case("tiny", rng, 6, 5, 2.0)]
    doc = {"format_version": FORMAT_VERSION, "seed": SEED,
           "generator": "Scripts/reference/make_steps_reference.py (numpy, sklearn.metrics.roc_auc_score)",
           "auroc": auroc_cases, "steps": step_cases}
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
