#!/usr/bin/env python3
"""Writes the SoftQAnalysis reference values from numpy and scipy, as a Swift source file.

Independent re-computations of the analyses' point values (not their bootstrap intervals,
which depend on softq's generator) on seeded random data with many ties:

- reward–metric correlations (scipy.stats pearsonr / spearmanr / kendalltau τ-b), pooled and
  within prompt (mean over prompts with ≥ 2 generations whose coefficient is defined);
- best-of-N with N = the largest group (only full groups take part, so no subsets are drawn);
  a selector that ties scores the mean metric of the tied candidates;
- length bias: Spearman of reward and length over all responses, of margin and length
  difference, accuracy by length bucket, length-matched and balanced accuracy;
- stability: Spearman and Kendall of margins and of per-token rewards, decision agreement,
  both-correct rate and Cohen's κ (κ = (p_o − p_e) / (1 − p_e));
- the RM-Bench k×k style matrix: acc[i][j] = mean(chosen_i > rejected_j); hard = mean of the
  cells above the diagonal (np.triu(·, 1)), normal = diagonal, easy = below (np.tril(·, −1)).

The output is Swift (no resource bundle needed): Tests/SoftQAnalysisTests/AnalysisReference.swift
Run from the repository root:  python3 Scripts/reference/make_analysis_fixtures.py
"""
import pathlib
import warnings

import numpy as np
import scipy.stats as st

FORMAT_VERSION = 1
SEED = 20261129
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "SoftQAnalysisTests" / "AnalysisReference.swift"


def corr(kind, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = {"pearson": st.pearsonr, "spearman": st.spearmanr, "kendall": st.kendalltau}[kind]
        v = float(f(np.asarray(x, float), np.asarray(y, float)).statistic)
    return v


def swift(v):
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(swift(x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    v = float(v)
    return ".nan" if np.isnan(v) else repr(v)


def main():
    rng = np.random.default_rng(SEED)
    lines = []

    # Generations: 6 prompts of sizes 1..5 (three of size 5), rewards and metrics with ties.
    sizes = [5, 1, 3, 5, 2, 5]
    groups, rewards, metrics, lp_sum, lp_mean = [], [], [], [], []
    for g, n in enumerate(sizes):
        for _ in range(n):
            groups.append(f"p{g}")
            rewards.append(round(float(rng.normal()), 1))
            metrics.append(float(rng.integers(0, 5)) / 4)
            lp_sum.append(round(float(-rng.gamma(2.0, 2.0)), 1))
            lp_mean.append(round(float(-rng.gamma(2.0, 0.5)), 1))
    kinds = ["spearman", "pearson", "kendall"]
    pooled = [corr(k, rewards, metrics) for k in kinds]
    within, undefined = [], []
    for k in kinds:
        vals = []
        for g in dict.fromkeys(groups):
            idx = [i for i, x in enumerate(groups) if x == g]
            if len(idx) >= 2:
                vals.append(corr(k, [rewards[i] for i in idx], [metrics[i] for i in idx]))
        d = [v for v in vals if not np.isnan(v)]
        within.append(float(np.mean(d)) if d else float("nan"))
        undefined.append(len(vals) - len(d))
    n_max = max(sizes)
    bon = {}
    for name, key in [("reward", rewards), ("logprob_sum", lp_sum), ("logprob_mean", lp_mean)]:
        per = []
        for g in dict.fromkeys(groups):
            idx = [i for i, x in enumerate(groups) if x == g]
            if len(idx) != n_max:
                continue
            best = max(key[i] for i in idx)
            per.append(np.mean([metrics[i] for i in idx if key[i] == best]))
        bon[name] = float(np.mean(per))
    per_random, per_oracle = [], []
    for g in dict.fromkeys(groups):
        idx = [i for i, x in enumerate(groups) if x == g]
        if len(idx) == n_max:
            per_random.append(np.mean([metrics[i] for i in idx]))
            per_oracle.append(max(metrics[i] for i in idx))
    bon["random"] = float(np.mean(per_random))
    bon["oracle"] = float(np.mean(per_oracle))
    lines += [
        f"    static let generationGroups: [String] = {swift(groups)}",
        f"    static let generationRewards: [Double] = {swift(rewards)}",
        f"    static let generationMetrics: [Double] = {swift(metrics)}",
        f"    static let generationLogprobSum: [Double] = {swift(lp_sum)}",
        f"    static let generationLogprobMean: [Double] = {swift(lp_mean)}",
        f"    /// spearman, pearson, kendall",
        f"    static let pooled: [Double] = {swift(pooled)}",
        f"    static let withinPrompt: [Double] = {swift(within)}",
        f"    static let withinPromptUndefined: [Int] = {swift(undefined)}",
        f"    static let bestOfNSize = {n_max}",
        f"    /// reward, logprob_sum, logprob_mean, random, oracle",
        f"    static let bestOfN: [Double] = {swift([bon[k] for k in ['reward', 'logprob_sum', 'logprob_mean', 'random', 'oracle']])}",
    ]

    # Length bias: 40 pairs.
    n = 40
    cl = rng.integers(5, 16, n)
    rl = rng.integers(5, 16, n)
    cr = np.round(rng.normal(size=n) + 0.1 * cl, 1)
    rr = np.round(rng.normal(size=n) + 0.1 * rl, 1)
    margins = cr - rr
    diff = cl - rl
    tol = 0.1
    buckets = []
    for test in [diff < 0, diff == 0, diff > 0]:
        m = margins[test]
        buckets.append([int(test.sum()), int((m > 0).sum()), int((m == 0).sum())])
    matched = np.abs(diff) <= tol * np.maximum(cl, rl)
    acc = [b[1] / b[0] if b[0] else float("nan") for b in buckets]
    lines += [
        f"    static let lengthChosen: [Double] = {swift(cr.tolist())}",
        f"    static let lengthRejected: [Double] = {swift(rr.tolist())}",
        f"    static let lengthChosenTokens: [Int] = {swift(cl.tolist())}",
        f"    static let lengthRejectedTokens: [Int] = {swift(rl.tolist())}",
        f"    static let lengthSpearman = {swift(corr('spearman', np.concatenate([cr, rr]), np.concatenate([cl, rl])))}",
        f"    static let lengthMarginDiffSpearman = {swift(corr('spearman', margins, diff))}",
        f"    /// (n, correct, ties) for chosen shorter, same length, chosen longer",
        f"    static let lengthBuckets: [[Int]] = {swift(buckets)}",
        f"    static let lengthMatched: [Int] = {swift([int(matched.sum()), int((margins[matched] > 0).sum())])}",
        f"    static let lengthBalanced = {swift((acc[0] + acc[2]) / 2)}",
    ]

    # Stability: two checkpoints, margins and tokens with ties.
    ma = np.round(rng.normal(size=30), 1)
    mb = np.round(ma + rng.normal(scale=0.8, size=30), 1)
    ta = np.round(rng.normal(size=50), 1)
    tb = np.round(0.5 * ta + rng.normal(scale=0.7, size=50), 1)
    da, db = ma > 0, mb > 0
    po = float(np.mean(da == db))
    pa, pb = float(np.mean(da)), float(np.mean(db))
    pe = pa * pb + (1 - pa) * (1 - pb)
    lines += [
        f"    static let stabilityMarginsA: [Double] = {swift(ma.tolist())}",
        f"    static let stabilityMarginsB: [Double] = {swift(mb.tolist())}",
        f"    static let stabilityTokensA: [Double] = {swift(ta.tolist())}",
        f"    static let stabilityTokensB: [Double] = {swift(tb.tolist())}",
        f"    /// margin spearman, margin kendall, token spearman, token kendall, agreement, both correct, kappa",
        f"    static let stability: [Double] = {swift([corr('spearman', ma, mb), corr('kendall', ma, mb), corr('spearman', ta, tb), corr('kendall', ta, tb), po, float(np.mean(da & db)), (po - pe) / (1 - pe)])}",
    ]

    # Style sets: 25 prompts × 3 variants.
    sc = np.round(rng.normal(size=(25, 3)) + np.array([0, 0.3, 0.6]), 1)
    sr = np.round(rng.normal(size=(25, 3)) + np.array([-0.2, 0.3, 0.8]), 1)
    mat = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            mat[i, j] = np.mean(sc[:, i] > sr[:, j])
    lines += [
        f"    static let styleChosen: [[Double]] = {swift(sc.tolist())}",
        f"    static let styleRejected: [[Double]] = {swift(sr.tolist())}",
        f"    static let styleMatrix: [[Double]] = {swift(mat.tolist())}",
        f"    /// easy, normal, hard",
        f"    static let styleSummary: [Double] = {swift([np.sum(np.tril(mat, -1)) / 3, np.mean(np.diag(mat)), np.sum(np.triu(mat, 1)) / 3])}",
    ]

    text = "\n".join([
        "// Generated by Scripts/reference/make_analysis_fixtures.py: do not edit.",
        "// Reference values from numpy and scipy for the SoftQAnalysis tests.",
        "",
        "enum AnalysisReference {",
        f"    static let formatVersion = {FORMAT_VERSION}",
        f"    static let seed = {SEED}",
        *lines,
        "}",
        "",
    ])
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(OUT.parents[2])} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
