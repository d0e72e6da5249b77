#!/usr/bin/env python3
"""Writes the SoftQEvaluation statistics fixtures from numpy and scipy.

Correlations come from scipy.stats (pearsonr, spearmanr, kendalltau with its default τ-b);
margin statistics from numpy (mean, std with ddof=0, median, quantiles with the default linear
method); calibration is computed here in numpy from the definition in docs/spec/statistics.md
(p = sigmoid(margin), outcome 1 for every pair, 10 bins [k/10, (k+1)/10) with the last closed).
Undefined coefficients (constant input) are written as null; softq returns NaN for them.

Output: Tests/SoftQEvaluationTests/Fixtures/stats.json
Run from the repository root:  python3 Scripts/reference/make_stats_fixtures.py
"""
import json
import pathlib
import warnings

import numpy as np
import scipy
import scipy.stats as st

FORMAT_VERSION = 1
SEED = 20260406
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "SoftQEvaluationTests" / "Fixtures" / "stats.json"
QUANTILES = [0.0, 0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975, 1.0]


def nan_to_none(v):
    v = float(v)
    return None if np.isnan(v) else v


def correlation_case(name, x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # constant input: scipy warns and returns NaN
        p = st.pearsonr(x, y).statistic
        s = st.spearmanr(x, y).statistic
        k = st.kendalltau(x, y).statistic
    return dict(name=name, x=x.tolist(), y=y.tolist(), pearson=nan_to_none(p),
                spearman=nan_to_none(s), kendall=nan_to_none(k),
                ranks_x=st.rankdata(x, method="average").tolist())


def sigmoid(m):
    return np.where(m >= 0, 1 / (1 + np.exp(-np.abs(m))), np.exp(-np.abs(m)) / (1 + np.exp(-np.abs(m))))


def margin_case(name, margins):
    m = np.asarray(margins, dtype=np.float64)
    # Each pair in both orders: (sigmoid(m), 1) and (sigmoid(-m), 0).
    p = np.concatenate([sigmoid(m), sigmoid(-m)])
    y = np.concatenate([np.ones_like(m), np.zeros_like(m)])
    k = np.minimum(np.floor(p * 10).astype(int), 9)
    bins = []
    ece = 0.0
    for b in range(10):
        sel = k == b
        c = int(sel.sum())
        mean_p = float(p[sel].mean()) if c else None
        acc = float(y[sel].mean()) if c else None
        if c:
            ece += c / len(p) * abs(acc - mean_p)
        bins.append(dict(count=c, mean_p=mean_p, accuracy=acc))
    return dict(
        name=name, margins=m.tolist(), accuracy=float((m > 0).mean()), ties=int((m == 0).sum()),
        mean=float(np.mean(m)), std=float(np.std(m)), median=float(np.median(m)),
        min=float(m.min()), max=float(m.max()),
        quantiles=[[q, float(np.quantile(m, q))] for q in QUANTILES],
        brier=float(np.mean((p - y) ** 2)), ece=float(ece), bins=bins)


def main():
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(30)
    corr = [
        correlation_case("continuous_n30", x, 0.6 * x + 0.8 * rng.standard_normal(30)),
        correlation_case("negative_n25", (x := rng.standard_normal(25)), -x ** 3 + 0.3 * rng.standard_normal(25)),
        correlation_case("ties_both_n40", rng.integers(0, 5, 40), rng.integers(0, 4, 40)),
        correlation_case("ties_x_only_n20", rng.integers(0, 3, 20), rng.standard_normal(20)),
        correlation_case("heavy_ties_n300", (a := rng.integers(0, 6, 300)), a + rng.integers(0, 3, 300)),
        correlation_case("n2_increasing", [0.5, 2.0], [-1.0, 3.0]),
        correlation_case("n2_decreasing", [0.5, 2.0], [3.0, -1.0]),
        correlation_case("constant_x", [1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 1.0, 5.0]),
        correlation_case("constant_y", [0.0, 2.0, 1.0, 5.0], [3.0, 3.0, 3.0, 3.0]),
        correlation_case("n2_tied_y", [0.0, 1.0], [2.0, 2.0]),
    ]
    margins = [
        margin_case("mixed_n50_with_ties", np.concatenate([rng.standard_normal(47) * 3, [0.0, 0.0, -0.0]])),
        margin_case("odd_n7", [3.5, -1.25, 0.0, 12.0, -40.0, 0.75, 2.0]),
        margin_case("even_n6_extreme", [800.0, -800.0, 1e-9, -1e-9, 5.0, 0.1]),
        margin_case("single", [0.3]),
        margin_case("pair", [-2.0, 1.0]),
        margin_case("bin_edges", [0.0, np.log(0.6 / 0.4), np.log(0.9 / 0.1), np.log(0.1 / 0.9), 50.0]),
    ]
    doc = dict(format_version=FORMAT_VERSION, generator="Scripts/reference/make_stats_fixtures.py",
               seed=SEED, numpy=np.__version__, scipy=scipy.__version__,
               correlations=corr, margins=margins)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
