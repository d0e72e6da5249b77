"""The study's statistics against definitions computed the slow, obvious way (float64)."""
import itertools
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "study"))

import study_stats as st  # noqa: E402


def brute_ranks(a):
    """Mid-rank of each element: 1 + #smaller + (#equal − 1)/2."""
    return np.array([1 + sum(b < x for b in a) + (sum(b == x for b in a) - 1) / 2 for x in a])


def brute_auroc(scores, positive):
    """P(score_pos > score_neg) + P(equal)/2 over all positive × negative pairs."""
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", range(20))
def test_ranks_with_ties(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, size=rng.integers(1, 30)).astype(float)
    assert np.array_equal(st.rankdata(a), brute_ranks(list(a)))


def test_spearman_without_ties_matches_the_textbook_formula():
    rng = np.random.default_rng(1)
    for n in (3, 7, 50):
        x, y = rng.permutation(n).astype(float), rng.permutation(n).astype(float)
        d = st.rankdata(x) - st.rankdata(y)
        assert st.spearman(x, y) == pytest.approx(1 - 6 * float(d @ d) / (n * (n * n - 1)), abs=1e-14)


def test_spearman_undefined_cases():
    assert math.isnan(st.spearman([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))
    assert math.isnan(st.spearman([1.0], [2.0]))
    assert st.spearman([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("seed", range(20))
def test_auroc_matches_pairwise_definition(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 40))
    scores = rng.integers(0, 8, size=n).astype(float)      # many ties on purpose
    positive = rng.random(n) < 0.5
    positive[0], positive[1] = True, False
    assert st.auroc(scores, positive) == pytest.approx(brute_auroc(list(scores), list(positive)), abs=1e-14)


def test_auroc_needs_both_classes():
    assert math.isnan(st.auroc([1.0, 2.0], [True, True]))


def test_parse_name_round_trips_the_training_names():
    from study_train import policy_name
    for lam, seed, g in [(0, 3, 1.0), (0.003, 1, 1.0), (1, 5, 1.0), (0.03, 2, 0.9)]:
        assert st.parse_name(policy_name(lam, seed, g)) == (float(lam), seed, g)


@pytest.mark.parametrize("seed", range(10))
def test_weights_equal_repeating_the_elements(seed):
    """A resample is given as multiplicities; the weighted statistics must equal the plain ones
    on the array with every element repeated that many times (zero = left out)."""
    rng = np.random.default_rng(500 + seed)
    n = int(rng.integers(3, 25))
    x = rng.integers(0, 5, n).astype(float)
    y = rng.integers(0, 4, n).astype(float)
    positive = rng.random(n) < 0.5
    positive[0], positive[1] = True, False
    W = rng.integers(0, 3, (4, n)).astype(float)
    W[:, 0] = W[:, 1] = 1
    for k in range(len(W)):
        rep = np.repeat(np.arange(n), W[k].astype(int))
        ranks = st.weighted_ranks(x, W[k:k + 1])[0]
        assert np.array_equal(ranks[rep], st.rankdata(x[rep]))
        plain = st.spearman(x[rep], y[rep])
        got = st.weighted_spearman(x, y, W[k:k + 1])[0]
        assert (math.isnan(plain) and math.isnan(got)) or got == pytest.approx(plain, abs=1e-12)
        assert st.weighted_auroc(x, positive, W[k:k + 1])[0] == pytest.approx(
            brute_auroc(list(x[rep]), list(positive[rep])), abs=1e-12)


def test_paired_bootstrap_is_seeded_and_brackets_the_point():
    class E:
        def __init__(self, v):
            self.v = np.asarray(v, dtype=float)

        def value(self, C):
            return float(self.v.mean()) if C is None else st.weighted_mean(self.v, C)

    rng = np.random.default_rng(7)
    treated = [E(rng.normal(0.3, 1, 50)) for _ in range(3)]
    control = [E(rng.normal(0.0, 1, 50)) for _ in range(3)]
    a = st.paired(lambda e, C: e.value(C), treated, control, 50, 0.95)
    b = st.paired(lambda e, C: e.value(C), treated, control, 50, 0.95)
    assert a == b
    assert a["ci"]["low"] <= a["delta"] <= a["ci"]["high"]
    assert a["ci"]["valid"] == st.B
    expected = np.mean([t.value(None) - c.value(None) for t, c in zip(treated, control)])
    assert a["delta"] == pytest.approx(expected, abs=1e-14)
    one = st.paired(lambda e, C: e.value(C), treated, None, 50, 0.95)
    assert one["delta"] == pytest.approx(np.mean([t.value(None) for t in treated]), abs=1e-14)
