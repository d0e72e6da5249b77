"""Statistics of the reward study (notebooks-data/study/protocol.json): endpoints per policy, λ
selection, paired cluster-bootstrap comparisons, and the result files.

Every point estimate that softq also reports (pooled and within-prompt Spearman, pair accuracy,
step AUROC) is recomputed here from the per-record rows softq wrote and checked against softq's
own number (`check`), so the bootstrap below resamples exactly the numbers softq reports.

Definitions (numpy only, float64):
* ranks: average ranks for ties (the mid-rank);
* Spearman: Pearson correlation of the ranks; undefined (NaN) when either side is constant;
* AUROC: Mann-Whitney U / (n_pos·n_neg) from mid-ranks, i.e. ties count 1/2; correct steps
  are the positive class;
* within-prompt Spearman: mean over prompts whose Spearman is defined (as softq correlate).
"""
import hashlib
import json
import math
import os
import subprocess

import numpy as np

B = 2000                 # bootstrap resamples (protocol)
BOOT_SEED = 20261130     # bootstrap seed (protocol)


# ---------------------------------------------------------------- kernels

def rankdata(a):
    """Mid-ranks (1-based) of a 1-D array; ties share the mean of the ranks they span."""
    a = np.asarray(a, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    inv = np.empty(len(a), dtype=np.int64)
    inv[order] = np.arange(len(a))
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new)[inv]                      # 1-based tie-group of each element
    bounds = np.r_[np.nonzero(new)[0], len(a)]       # first sorted index of each group, then n
    return 0.5 * (bounds[group - 1] + bounds[group] + 1)


def spearman(x, y):
    if len(x) < 2:
        return math.nan
    rx, ry = rankdata(x), rankdata(y)
    rx -= rx.mean()
    ry -= ry.mean()
    den = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return math.nan if den == 0 else float(rx @ ry) / den


def auroc(scores, positive):
    positive = np.asarray(positive, dtype=bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    r = rankdata(scores)
    return (float(r[positive].sum()) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def weighted_ranks(a, W):
    """Mid-ranks of `a` when element i appears W[k, i] times, for every row k of W (k × n).
    Equal to rankdata of the array with each element repeated W[k, i] times (zero-weight
    elements get a rank that their zero weight then ignores)."""
    a = np.asarray(a, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    starts = np.nonzero(new)[0]
    group = np.cumsum(new) - 1                        # tie group of each sorted position
    G = np.add.reduceat(W[:, order], starts, axis=1)  # weight of each tie group, per row
    mid = (np.cumsum(G, axis=1) - G) + (G + 1) / 2
    r = np.empty(W.shape, dtype=np.float64)
    r[:, order] = mid[:, group]
    return r


def weighted_spearman(x, y, W):
    """Spearman of (x, y) with multiplicities W (k × n): one value per row of W."""
    rx, ry = weighted_ranks(x, W), weighted_ranks(y, W)
    sw = W.sum(axis=1)
    dx = rx - ((W * rx).sum(axis=1) / sw)[:, None]
    dy = ry - ((W * ry).sum(axis=1) / sw)[:, None]
    den = np.sqrt((W * dx * dx).sum(axis=1) * (W * dy * dy).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (W * dx * dy).sum(axis=1) / den, np.nan)


def weighted_auroc(scores, positive, W):
    """AUROC (ties 1/2) with multiplicities W (k × n), one value per row."""
    positive = np.asarray(positive, dtype=bool)
    r = weighted_ranks(scores, W)
    wp = W[:, positive].sum(axis=1)
    wn = W[:, ~positive].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((wp > 0) & (wn > 0), ((W * r)[:, positive].sum(axis=1) - wp * (wp + 1) / 2) / (wp * wn), np.nan)


def weighted_mean(values, C):
    """Mean of per-cluster values (NaN = undefined, left out) with cluster counts C (k × n)."""
    v = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(v)
    w = C[:, ok].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w > 0, C[:, ok] @ v[ok] / w, np.nan)


def nanmean(values):
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return math.nan if len(v) == 0 else float(v.mean())


def check(name, ours, softqs, tol=1e-9):
    """softq's number and ours must agree (both float64 over the same float32-derived inputs)."""
    if not (math.isnan(ours) and math.isnan(softqs)) and abs(ours - softqs) > tol:
        raise SystemExit(f"study: {name}: recomputed {ours!r} but softq reported {softqs!r}")


# ---------------------------------------------------------------- reading one policy

def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt_gamma(g):
    return f"g{g:g}"


class Generations:
    """The graded sampled generations of one policy at one evaluation γ, grouped by prompt."""

    def __init__(self, run_dir):
        rows = read_jsonl(os.path.join(run_dir, "correlation_generations.jsonl"))
        self.prompts = sorted({r["prompt_id"] for r in rows})
        index = {p: i for i, p in enumerate(self.prompts)}
        self.cluster = np.array([index[r["prompt_id"]] for r in rows])
        self.reward = np.array([r["reward"] for r in rows], dtype=np.float64)
        self.tokens = np.array([r["tokens"] for r in rows], dtype=np.float64)
        self.logprob = np.array([r["logprob_sum"] for r in rows], dtype=np.float64)
        self.metric = np.array([r["metric"] for r in rows], dtype=np.float64)
        self.rows_of = [np.nonzero(self.cluster == i)[0] for i in range(len(self.prompts))]
        with open(os.path.join(run_dir, "correlation.json")) as f:
            self.softq = {c["name"]: c["value"] for c in json.load(f)["correlations"]}

    def per_prompt(self, fn):
        return np.array([fn(rows) for rows in self.rows_of], dtype=np.float64)


def within_spearman(g, score):
    return g.per_prompt(lambda rows: spearman(score[rows], g.metric[rows]) if len(rows) >= 2 else math.nan)


def best_pick_metric(g, score):
    """Per prompt: the metric of the generation with the highest score (the first on ties)."""
    return g.per_prompt(lambda rows: g.metric[rows][int(np.argmax(score[rows]))])


class Steps:
    def __init__(self, run_dir):
        rows = read_jsonl(os.path.join(run_dir, "steps_rows.jsonl"))
        ids = sorted({r["id"] for r in rows})
        index = {s: i for i, s in enumerate(ids)}
        self.cluster = np.array([index[r["id"]] for r in rows])
        self.reward = np.array([r["reward"] for r in rows], dtype=np.float64)
        self.logprob = np.array([r["logprob"] for r in rows], dtype=np.float64)
        self.correct = np.array([bool(r["correct"]) for r in rows])
        self.position = np.array([r["step"] for r in rows])
        self.rows_of = [np.nonzero(self.cluster == i)[0] for i in range(len(ids))]
        with open(os.path.join(run_dir, "steps.json")) as f:
            self.summary = json.load(f)
        # ProcessBench predictions per solution, in the order of `ids` (the clusters above).
        sols = {r["id"]: r for r in read_jsonl(os.path.join(run_dir, "steps_solutions.jsonl"))}
        self.label = np.array([sols[i]["label"] for i in ids])
        self.pred = {k: np.array([sols[i]["pred_" + k] for i in ids]) for k in ("reward", "logprob")}

    def f1(self, kind, C=None):
        """ProcessBench F1: harmonic mean of the accuracy on erroneous solutions (first error
        found exactly) and on correct ones (no error predicted), threshold fixed on validation.
        C: solution counts (k × n) of resamples; None = the data as they are (a scalar)."""
        counts = np.ones((1, len(self.label))) if C is None else C
        wrong, right = self.label != -1, self.label == -1
        hit_wrong = (wrong & (self.pred[kind] == self.label)).astype(float)
        hit_right = (right & (self.pred[kind] == -1)).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            a = (counts @ hit_wrong) / (counts @ wrong.astype(float))
            b = (counts @ hit_right) / (counts @ right.astype(float))
            f = np.where(a + b > 0, 2 * a * b / (a + b), 0.0)
            f = np.where(np.isnan(a) | np.isnan(b), np.nan, f)
        return float(f[0]) if C is None else f


class PolicyEval:
    """Everything measured for one policy at one evaluation γ."""

    def __init__(self, work, name, gamma):
        base = os.path.join(work, "eval", name)
        gdir = os.path.join(base, fmt_gamma(gamma))
        self.gen = Generations(os.path.join(gdir, "corr-heldout"))
        self.val_gen = Generations(os.path.join(gdir, "corr-val"))
        self.steps = Steps(os.path.join(gdir, "steps-heldout"))
        self.val_steps = Steps(os.path.join(gdir, "steps-val"))
        pairs = read_jsonl(os.path.join(gdir, "pairs", "pairs.jsonl"))
        self.pair_correct = np.array([bool(p["correct"]) for p in pairs], dtype=np.float64)
        with open(os.path.join(gdir, "pairs", "summary.json")) as f:
            check(f"{name} γ={gamma:g} pair accuracy", float(self.pair_correct.mean()), json.load(f)["accuracy"])
        samples = read_jsonl(os.path.join(base, "heldout-samples.jsonl"))
        greedy = read_jsonl(os.path.join(base, "heldout-greedy.jsonl"))
        self.greedy_metric = float(np.mean([r["metric"] for r in greedy]))
        # Diversity per prompt, in the generations' prompt order (independent of γ).
        by_prompt = {}
        for r in samples:
            by_prompt.setdefault(r["prompt_id"], []).append(r)
        self.distinct = np.array([len({r["text"] for r in by_prompt[p]}) / len(by_prompt[p])
                                  for p in self.gen.prompts])
        # Per prompt: its samples' token bigrams as a set, and how many there are.
        bigrams = [[tuple(r["token_ids"][i:i + 2]) for r in by_prompt[p] for i in range(len(r["token_ids"]) - 1)]
                   for p in self.gen.prompts]
        vocabulary = {b: j for j, b in enumerate(sorted({b for bs in bigrams for b in bs}))}
        self.bigram_incidence = np.zeros((len(bigrams), len(vocabulary)))
        for i, bs in enumerate(bigrams):
            for b in bs:
                self.bigram_incidence[i, vocabulary[b]] = 1.0
        self.bigram_counts = np.array([len(b) for b in bigrams], dtype=np.float64)

        g = self.gen
        self.within_sum = within_spearman(g, g.reward)
        self.within_mean = within_spearman(g, g.reward / g.tokens)
        self.within_logprob = within_spearman(g, g.logprob)
        self.best_reward = best_pick_metric(g, g.reward)
        self.best_logprob = best_pick_metric(g, g.logprob)
        for kind in ("reward", "logprob"):
            check(f"{name} γ={gamma:g} ProcessBench F1 ({kind})", self.steps.f1(kind), self.steps.summary[kind]["f1"])
        check(f"{name} γ={gamma:g} pooled Spearman", spearman(g.reward, g.metric), g.softq["spearman (pooled)"])
        check(f"{name} γ={gamma:g} within-prompt Spearman", nanmean(self.within_sum), g.softq["spearman (within prompt)"])

    # Endpoints as functions of a resample given as cluster counts C (k × n_clusters: how often
    # each prompt, solution or pair is drawn); C = None is the data as they are and gives a scalar.
    @staticmethod
    def _eval(fn, C, n):
        v = fn(np.ones((1, n)) if C is None else np.asarray(C, dtype=np.float64))
        return float(v[0]) if C is None else v

    def p1(self, C=None):
        g = self.gen
        return self._eval(lambda W: weighted_spearman(g.reward, g.metric, W[:, g.cluster]), C, len(g.prompts))

    def p2(self, C=None):
        st = self.steps
        return self._eval(lambda W: weighted_auroc(st.reward, st.correct, W[:, st.cluster]), C, len(st.rows_of))

    def step_auroc_logprob(self, C=None):
        st = self.steps
        return self._eval(lambda W: weighted_auroc(st.logprob, st.correct, W[:, st.cluster]), C, len(st.rows_of))

    def within_mean_sp(self, C=None):
        return self._eval(lambda W: weighted_mean(self.within_mean, W), C, len(self.gen.prompts))

    def within_sum_sp(self, C=None):
        return self._eval(lambda W: weighted_mean(self.within_sum, W), C, len(self.gen.prompts))

    def bon_gain(self, C=None):
        return self._eval(lambda W: weighted_mean(self.best_reward - self.best_logprob, W), C, len(self.gen.prompts))

    def sampled_metric(self, C=None):
        g = self.gen
        return self._eval(lambda W: weighted_mean(g.metric, W[:, g.cluster]), C, len(g.prompts))

    def distinct_samples(self, C=None):
        return self._eval(lambda W: weighted_mean(self.distinct, W), C, len(self.gen.prompts))

    def distinct2(self, C=None):
        def fn(W):
            # A bigram counts once if any drawn prompt has it: incidence (prompts × bigrams).
            drawn = (W > 0).astype(float)
            return ((drawn @ self.bigram_incidence) > 0).sum(axis=1) / (W @ self.bigram_counts)
        return self._eval(fn, C, len(self.gen.prompts))

    def pair_accuracy(self, C=None):
        return self._eval(lambda W: weighted_mean(self.pair_correct, W), C, len(self.pair_correct))

    def identity_holds(self):
        """Identity 1 at γ = 1: within every prompt, `sum` ranks as log-likelihood does."""
        a, b = self.within_sum, self.within_logprob
        same_nan = np.isnan(a) == np.isnan(b)
        return bool(same_nan.all() and np.all(np.abs(a[~np.isnan(a)] - b[~np.isnan(b)]) <= 1e-12))


# ---------------------------------------------------------------- λ selection

def parse_name(name):
    """mle-seedS | iqlearn-seedS-lλ[-gγ] → (λ, seed, training γ)."""
    parts = name.split("-")
    seed = int(parts[1][len("seed"):])
    if parts[0] == "mle":
        return 0.0, seed, 1.0
    lam = float(parts[2][1:])
    gamma = float(parts[3][1:]) if len(parts) > 3 else 1.0
    return lam, seed, gamma


def select_lambda(protocol, work, grid):
    rule = protocol["lambda_selection"]
    candidates = []
    for lam in rule["candidates"]:
        per_seed = []
        for name in grid:
            l, seed, _ = parse_name(name)
            if l != lam:
                continue
            gdir = os.path.join(work, "eval", name, fmt_gamma(1))
            v1 = Generations(os.path.join(gdir, "corr-val"))
            v1_value = spearman(v1.reward, v1.metric)
            check(f"{name} validation pooled Spearman", v1_value, v1.softq["spearman (pooled)"])
            st = Steps(os.path.join(gdir, "steps-val"))
            v2 = auroc(st.reward, st.correct)
            per_seed.append({"seed": seed, "V1_pooled_spearman": v1_value, "V2_step_auroc": v2,
                             "score": (v1_value + (2 * v2 - 1)) / 2})
        candidates.append({"lambda": lam, "per_seed": per_seed,
                           "score": float(np.mean([s["score"] for s in per_seed]))})
    best = max(c["score"] for c in candidates)
    lam_star = min(c["lambda"] for c in candidates if c["score"] >= best - 1e-12)
    return {"rule": rule, "candidates": candidates, "lambda_star": lam_star}


# ---------------------------------------------------------------- paired comparisons

def paired(endpoint, treated, control, n_clusters, level, rng_seed=BOOT_SEED):
    """Δ = mean over seeds of endpoint(treated_s) − endpoint(control_s), with a percentile CI from
    resampling clusters (prompts, solutions or pairs) with replacement, the same resample for
    every policy. endpoint(e, C) takes cluster counts C (B × n) and returns B values; with C =
    None it returns the point estimate. control None: a one-sample contrast (Δ = mean of
    endpoint(treated_s))."""
    if control is None:
        control = [None] * len(treated)

    def value(e, C):
        if e is None:
            return 0.0 if C is None else np.zeros(len(C))
        return endpoint(e, C)

    rng = np.random.Generator(np.random.PCG64(rng_seed))
    draws_idx = rng.integers(0, n_clusters, (B, n_clusters))
    C = np.zeros((B, n_clusters))
    np.add.at(C, (np.repeat(np.arange(B), n_clusters), draws_idx.ravel()), 1.0)
    deltas = np.mean([value(t, C) - value(c, C) for t, c in zip(treated, control)], axis=0)
    draws = deltas[~np.isnan(deltas)]
    alpha = 1 - level
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    per_seed = [{"treated": value(t, None), "control": value(c, None),
                 "difference": value(t, None) - value(c, None)} for t, c in zip(treated, control)]
    return {"treated_mean": float(np.mean([p["treated"] for p in per_seed])),
            "control_mean": float(np.mean([p["control"] for p in per_seed])),
            "delta": float(np.mean([p["difference"] for p in per_seed])),
            "ci": {"level": level, "low": float(lo), "high": float(hi),
                   "method": "percentile, paired cluster bootstrap",
                   "resamples": B, "valid": int(len(draws)), "seed": rng_seed},
            "per_seed": per_seed, "seeds_favouring_treated": sum(p["difference"] > 0 for p in per_seed)}


def verdict(cmp):
    if cmp["ci"]["low"] > 0:
        return "IQLearn better"
    if cmp["ci"]["high"] < 0:
        return "IQLearn worse"
    return "not distinguishable"


def aggregate(protocol, work, names, selection):
    lam_star = selection["lambda_star"]
    seeds = protocol["policies"]["seeds"]
    arm_gamma = protocol["policies"]["gamma_arm"]["gamma"]
    evals = {}
    rows = []
    for name in names:
        lam, seed, tg = parse_name(name)
        for g in protocol["evaluation"]["gammas"]:
            e = PolicyEval(work, name, g)
            evals[(name, g)] = e
            row = {"policy": name, "objective": "mle" if lam == 0 else "iqlearn", "lambda": lam,
                   "seed": seed, "training_gamma": tg, "eval_gamma": g,
                   "P1_pooled_spearman_sum": e.p1(), "P2_step_auroc_reward": e.p2(),
                   "step_auroc_logprob": e.step_auroc_logprob(),
                   "step_auroc_reward_by_position": {str(k): auroc(e.steps.reward[e.steps.position == k],
                                                                   e.steps.correct[e.steps.position == k])
                                                     for k in sorted(set(e.steps.position.tolist()))},
                   "processbench_f1_reward": e.steps.f1("reward"),
                   "processbench_f1_logprob": e.steps.f1("logprob"),
                   "processbench_threshold_reward": e.steps.summary["reward"]["threshold"],
                   "within_prompt_spearman_mean": e.within_mean_sp(),
                   "within_prompt_spearman_sum": e.within_sum_sp(),
                   "within_prompt_spearman_logprob": nanmean(e.within_logprob),
                   "best_of_4_metric_by_reward": float(e.best_reward.mean()),
                   "best_of_4_metric_by_logprob": float(e.best_logprob.mean()),
                   "best_of_4_gain": e.bon_gain(), "pair_accuracy": e.pair_accuracy(),
                   "greedy_metric": e.greedy_metric, "sampled_metric": e.sampled_metric(),
                   "distinct_samples": e.distinct_samples(), "distinct_2": e.distinct2(),
                   "val_pooled_spearman_sum": spearman(e.val_gen.reward, e.val_gen.metric),
                   "val_step_auroc_reward": auroc(e.val_steps.reward, e.val_steps.correct)}
            if g == 1:
                row["identity_1_holds"] = e.identity_holds()
            rows.append(row)

    def policies(lam, tg, g):
        return [evals[(n, g)] for n in names for (l, s, t) in [parse_name(n)]
                if l == lam and t == tg and s in seeds]

    iq1, mle1 = policies(lam_star, 1.0, 1), policies(0.0, 1.0, 1)
    n_prompts, n_solutions, n_pairs = len(mle1[0].gen.prompts), len(mle1[0].steps.rows_of), len(mle1[0].pair_correct)
    primary = {
        "P1_pooled_spearman_sum": paired(lambda e, i: e.p1(i), iq1, mle1, n_prompts, 0.975),
        "P2_step_auroc_reward": paired(lambda e, i: e.p2(i), iq1, mle1, n_solutions, 0.975),
    }
    for v in primary.values():
        v["verdict"] = verdict(v)
    better = sum(v["verdict"] == "IQLearn better" for v in primary.values())
    worse = sum(v["verdict"] == "IQLearn worse" for v in primary.values())
    decision = ("supported" if better and not worse else "contradicted" if worse and not better
                else "not settled by this study")

    iq9, mle9 = policies(lam_star, arm_gamma, arm_gamma), policies(0.0, 1.0, arm_gamma)
    secondary = {
        "S1_P1_at_gamma_0.9": paired(lambda e, i: e.p1(i), iq9, mle9, n_prompts, 0.95),
        "S1_P2_at_gamma_0.9": paired(lambda e, i: e.p2(i), iq9, mle9, n_solutions, 0.95),
        "S2_within_prompt_spearman_mean_gamma_1": paired(lambda e, i: e.within_mean_sp(i), iq1, mle1, n_prompts, 0.95),
        "S2_within_prompt_spearman_mean_gamma_0.9": paired(lambda e, i: e.within_mean_sp(i), iq9, mle9, n_prompts, 0.95),
        "S2_within_prompt_spearman_sum_gamma_0.9": paired(lambda e, i: e.within_sum_sp(i), iq9, mle9, n_prompts, 0.95),
        "S3_best_of_4_gain_gamma_0.9": paired(lambda e, i: e.bon_gain(i), iq9, mle9, n_prompts, 0.95),
        "S4_pair_accuracy_gamma_1": paired(lambda e, i: e.pair_accuracy(i), iq1, mle1, n_pairs, 0.95),
        "S4_pair_accuracy_gamma_0.9": paired(lambda e, i: e.pair_accuracy(i), iq9, mle9, n_pairs, 0.95),
        "S5_greedy_metric": {"treated_mean": float(np.mean([e.greedy_metric for e in iq1])),
                             "control_mean": float(np.mean([e.greedy_metric for e in mle1])),
                             "note": "greedy metric per policy; see results.jsonl"},
        "S5_sampled_metric": paired(lambda e, i: e.sampled_metric(i), iq1, mle1, n_prompts, 0.95),
        "S6_distinct_samples": paired(lambda e, i: e.distinct_samples(i), iq1, mle1, n_prompts, 0.95),
        "S6_distinct_2": paired(lambda e, i: e.distinct2(i), iq1, mle1, n_prompts, 0.95),
        "S7_processbench_f1_reward": paired(lambda e, i: e.steps.f1("reward", i), iq1, mle1, n_solutions, 0.95),
        "S7_processbench_f1_logprob": paired(lambda e, i: e.steps.f1("logprob", i), iq1, mle1, n_solutions, 0.95),
        "S7_step_auroc_logprob": paired(lambda e, i: e.step_auroc_logprob(i), iq1, mle1, n_solutions, 0.95),
            # Within each policy: step AUROC of reward minus that of log-likelihood (one-sample contrasts).
        "S7_step_auroc_reward_minus_logprob_iqlearn": paired(
            lambda e, i: e.p2(i) - e.step_auroc_logprob(i), iq1, None, n_solutions, 0.95),
        "S7_step_auroc_reward_minus_logprob_mle": paired(
            lambda e, i: e.p2(i) - e.step_auroc_logprob(i), mle1, None, n_solutions, 0.95),
    }
    dose = []
    for lam in protocol["policies"]["lambda_grid"]:
        ps = policies(lam, 1.0, 1)
        entry = {"lambda": lam,
                 "P1_mean": float(np.mean([e.p1() for e in ps])), "P2_mean": float(np.mean([e.p2() for e in ps])),
                 "pair_accuracy_mean": float(np.mean([e.pair_accuracy() for e in ps])),
                 "sampled_metric_mean": float(np.mean([e.sampled_metric() for e in ps])),
                 "greedy_metric_mean": float(np.mean([e.greedy_metric for e in ps]))}
        if lam != 0:
            entry["P1_vs_mle"] = paired(lambda e, i: e.p1(i), ps, mle1, n_prompts, 0.95)
            entry["P2_vs_mle"] = paired(lambda e, i: e.p2(i), ps, mle1, n_solutions, 0.95)
        dose.append(entry)
    identity = [r for r in rows if r["eval_gamma"] == 1]
    summary = {
        "protocol": {"path": "notebooks-data/study/protocol.json", "sha256": sha256("notebooks-data/study/protocol.json")},
        "lambda_star": lam_star, "selection": selection,
        "primary": primary, "decision": decision, "secondary": secondary, "dose_response": dose,
        "sanity_identity_1": {"policies_passing": sum(r["identity_1_holds"] for r in identity),
                              "policies": len(identity)},
        "counts": {"policies": len(names), "heldout_prompts": n_prompts, "step_solutions": n_solutions,
                   "pairs": n_pairs},
        "softq_version": softq_version(),
    }
    return rows, summary


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def softq_version():
    exe = os.environ.get("SOFTQ", os.path.join(".build", "release", "softq"))
    try:
        return subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def render_table(summary):
    lines = [f"λ* = {summary['lambda_star']:g}; decision: {summary['decision']}",
             f"{'endpoint':44} {'IQLearn':>9} {'MLE':>9} {'Δ':>9}  CI                  seeds  verdict"]
    for key, v in list(summary["primary"].items()) + [(k, v) for k, v in summary["secondary"].items() if "ci" in v]:
        lines.append(f"{key:44} {v['treated_mean']:9.4f} {v['control_mean']:9.4f} {v['delta']:+9.4f}  "
                     f"[{v['ci']['low']:+.4f}, {v['ci']['high']:+.4f}] {v['ci']['level']:.3f}  "
                     f"{v['seeds_favouring_treated']}/{len(v['per_seed'])}  {v.get('verdict', '')}")
    s = summary["sanity_identity_1"]
    lines.append(f"identity 1 at γ = 1 (within-prompt sum ≡ log-likelihood): {s['policies_passing']}/{s['policies']} policies")
    lines.append("dose response (γ = 1, means over seeds; Δ vs MLE with 95% CI):")
    lines.append(f"{'λ':>6} {'P1':>7} {'P2':>7} {'pairs':>7} {'sampled':>8} {'greedy':>7}  P1 Δ [95% CI]              P2 Δ [95% CI]")
    for d in summary["dose_response"]:
        row = (f"{d['lambda']:>6g} {d['P1_mean']:7.4f} {d['P2_mean']:7.4f} {d['pair_accuracy_mean']:7.4f} "
               f"{d['sampled_metric_mean']:8.4f} {d['greedy_metric_mean']:7.4f}")
        if "P1_vs_mle" in d:
            row += "".join(f"  {c['delta']:+.4f} [{c['ci']['low']:+.4f}, {c['ci']['high']:+.4f}]"
                           for c in (d["P1_vs_mle"], d["P2_vs_mle"]))
        lines.append(row)
    return "\n".join(lines)
