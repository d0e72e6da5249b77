#!/usr/bin/env python3
"""Writes the SoftQRewards test fixtures: reward quantities and IQLearn gradients.

The reward quantities are computed in float64 numpy straight from the formulas of
docs/spec/conventions.md (restated below); the gradients come from PyTorch
autograd in float64. Inputs are float32 values (random logits, seeded), so Swift receives
exactly the same numbers. Output: Tests/SoftQRewardsTests/RewardFixtureData.swift, a Swift
file holding the JSON text (the test target has no resource folder).

Run from the repository root:  python3 Scripts/reference/make_reward_fixtures.py
"""
import json
import pathlib

import numpy as np
import torch

FORMAT_VERSION = 1
SEED = 20260404
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "SoftQRewardsTests" / "RewardFixtureData.swift"

# name, n (tokens), prompt length p, vocabulary V, alpha, gamma, terminal mode, ends with EOS, lambdas
CASES = [
    ("eos_terminal", 8, 3, 7, 1.0, 1.0, "eos", True, [0.0, 0.5, 2.0]),
    ("no_eos_bootstrap", 7, 2, 7, 1.0, 1.0, "eos", False, [0.0, 0.5]),
    ("gamma09_alpha05_terminal", 9, 4, 6, 0.5, 0.9, "eos", True, [0.0, 1.0]),
    ("alpha2_gamma095_never", 8, 3, 7, 2.0, 0.95, "never", True, [0.3]),
    ("always_gamma08_no_eos", 6, 2, 5, 1.0, 0.8, "always", False, [1.5]),
    ("single_token_terminal", 3, 2, 6, 1.3, 0.7, "eos", True, [0.0, 0.7]),
    ("single_token_bootstrap", 4, 3, 6, 0.8, 0.99, "eos", False, [0.7]),
]
EOS = 0
DPO_BETA = 0.1


def logsumexp64(rows):
    top = rows.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(rows - top).sum(axis=-1, keepdims=True)))[..., 0]


def reward_quantities(t, l, alpha, gamma, terminal):
    """t: [m] taken-token logits, l: [m+1] logsumexps (float64). docs/spec/conventions.md."""
    m = len(t)
    logprob = t - l[:m]                       # log π(x_j|s_{j-1}) = ℓ[x_j] − logsumexp(ℓ)
    q = alpha * t                             # Q(s_{j-1}, x_j) = α·ℓ[x_j]
    v_before = alpha * l[:m]                  # V(s_{j-1}) = α·logsumexp
    v_after = alpha * l[1:].copy()            # V'(s_j) = V(s_j), or 0 after a terminal token
    if terminal:
        v_after[-1] = 0.0
    reward = q - gamma * v_after
    return dict(
        logprob=logprob.tolist(), q=q.tolist(), value_before=v_before.tolist(),
        value_after=v_after.tolist(), reward=reward.tolist(),
        prompt_value=float(v_before[0]), terminal=bool(terminal),
        sum=float(reward.sum()), mean=float(reward.mean()),
        discounted=float((gamma ** np.arange(m) * reward).sum()),
        logprob_sum=float(logprob.sum()), logprob_mean=float(logprob.mean()),
        logprob_norm=float(-np.sqrt((logprob ** 2).sum())),
    )


def objective_grads(t, l, alpha, gamma, terminal, lam):
    """Autograd of Σ −log π + λ Σ (r/α)² w.r.t. the taken logits and the logsumexps."""
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    ll = torch.tensor(l, dtype=torch.float64, requires_grad=True)
    m = len(t)
    logprob = tt - ll[:m]
    v_after = alpha * ll[1:]
    if terminal:
        v_after = torch.cat([v_after[:-1], torch.zeros(1, dtype=torch.float64)])
    r = alpha * tt - gamma * v_after
    mle = -logprob.sum()
    td = ((r / alpha) ** 2).sum()
    (mle + lam * td).backward()
    return mle.item(), td.item(), tt.grad.tolist(), ll.grad.tolist()


def full_logits_grad(logits, ids, p, alpha, gamma, terminal, lam):
    """Autograd of the same loss w.r.t. full logits rows [n × V] (rows p−1 … n−1 matter)."""
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    n = len(ids)
    lse = torch.logsumexp(x, dim=-1)
    idx = torch.arange(p - 1, n - 1)
    t = x[idx, torch.tensor(ids[p:])]
    l = lse[p - 1:]
    m = n - p
    v_after = alpha * l[1:]
    if terminal:
        v_after = torch.cat([v_after[:-1], torch.zeros(1, dtype=torch.float64)])
    r = alpha * t - gamma * v_after
    loss = -(t - l[:m]).sum() + lam * ((r / alpha) ** 2).sum()
    loss.backward()
    return x.grad.reshape(-1).tolist()


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for name, n, p, V, alpha, gamma, mode, ends_eos, lambdas in CASES:
        logits = (rng.standard_normal((n, V)) * 2.0).astype(np.float32)
        ids = rng.integers(1, V, size=n)          # ids ≥ 1: EOS (0) only where asked
        if ends_eos:
            ids[-1] = EOS
        ids = [int(i) for i in ids]
        terminal = mode == "always" or (mode == "eos" and ends_eos)
        rows64 = logits.astype(np.float64)
        lse_rows = logsumexp64(rows64)
        m = n - p
        # Arrays as the forward pass hands them over: float32.
        t32 = np.array([logits[p - 1 + k, ids[p + k]] for k in range(m)], dtype=np.float32)
        l32 = lse_rows[p - 1:].astype(np.float32)
        t, l = t32.astype(np.float64), l32.astype(np.float64)
        case = dict(
            name=name, alpha=alpha, gamma=gamma, terminal_mode=mode, ends_with_eos=ends_eos,
            eos_id=EOS, vocabulary_size=V, prompt_length=p, token_ids=ids,
            logits=[float(v) for v in logits.reshape(-1)],
            token_logits=[float(v) for v in t32], logsumexp=[float(v) for v in l32],
            expected=reward_quantities(t, l, alpha, gamma, terminal),
            # From full rows, the logsumexp stays in float64 (the convenience entry's path).
            expected_from_rows=reward_quantities(
                np.array([rows64[p - 1 + k, ids[p + k]] for k in range(m)]), lse_rows[p - 1:],
                alpha, gamma, terminal),
            objective=[],
        )
        ref = (rng.standard_normal(m) - 2.0).astype(np.float32).astype(np.float64)
        case["reference_logprobs"] = ref.tolist()
        case["dpo_beta"] = DPO_BETA
        case["expected_dpo"] = float(DPO_BETA * ((t - l[:m]) - ref).sum())
        for lam in lambdas:
            mle, td, gt, gl = objective_grads(t, l, alpha, gamma, terminal, lam)
            case["objective"].append(dict(
                td_weight=lam, mle_sum=mle, td_sum=td, d_token_logits=gt, d_logsumexp=gl,
                d_full_logits=full_logits_grad(rows64, ids, p, alpha, gamma, terminal, lam)))
        cases.append(case)
    doc = dict(format_version=FORMAT_VERSION, generator="Scripts/reference/make_reward_fixtures.py",
               seed=SEED, torch=torch.__version__, numpy=np.__version__, cases=cases)
    text = json.dumps(doc, separators=(",", ":"))
    assert '"""#' not in text
    OUT.write_text(
        "// Generated by Scripts/reference/make_reward_fixtures.py — do not edit; rerun the script.\n"
        "// Reward quantities (float64 numpy) and IQLearn gradients (PyTorch autograd) for seeded\n"
        "// random float32 logits. Kept as Swift source because this test target has no resources.\n"
        f"let rewardFixtureFormatVersion = {FORMAT_VERSION}\n"
        f"let rewardFixtureJSON = #\"\"\"\n{text}\n\"\"\"#\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
