#!/usr/bin/env python3
"""Writes Tests/SoftQTrainingTests/Fixtures/gpt2_training_reference.json.

A tiny GPT-2 (transformers.GPT2LMHeadModel built from a config, seeded random weights, float64)
and a batch of token-id demonstrations; for several objective settings it records the batch loss
    L = (sum_j -log pi(x_j|s_{j-1}) + lambda * sum_j (r_j/alpha)^2) / (number of response tokens)
with r_j = alpha*l_{j-1}[x_j] - gamma*V'(s_j), V = alpha*logsumexp, V' = 0 at a terminal state
(docs/spec/conventions.md), and the autograd gradient of L for every parameter (HF state-dict names,
Conv1D orientation). Weights are rounded to float32 first so the float32 Swift model sees the
same numbers. Each example is run on its own (no padding), as the Swift trainer does.

Run once from the repository root:  python3 Scripts/reference/make_training_fixtures.py
"""
import json
import os

import torch
from transformers import GPT2Config, GPT2LMHeadModel

FORMAT_VERSION = 1
OUT = os.path.join("Tests", "SoftQTrainingTests", "Fixtures", "gpt2_training_reference.json")

CONFIG = dict(vocab_size=24, n_positions=16, n_embd=8, n_layer=2, n_head=2, n_inner=None,
              layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=1,
              activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)

# (prompt ids, response ids); the first and third end with EOS (id 1), the second does not.
EXAMPLES = [
    ([0, 5, 7], [9, 3, 12, 1]),
    ([0, 14], [2, 2, 20, 6, 11]),
    ([0, 3, 8, 17, 4], [1]),
]

CASES = [
    dict(name="mle", objective="mle", td_weight=0.0, gamma=1.0, alpha=1.0, terminal="eos"),
    dict(name="iqlearn_eos", objective="iqlearn", td_weight=0.5, gamma=0.9, alpha=2.0, terminal="eos"),
    dict(name="iqlearn_never", objective="iqlearn", td_weight=1.0, gamma=1.0, alpha=1.0, terminal="never"),
]


def build_model():
    torch.manual_seed(20261129)
    config = GPT2Config(**CONFIG)
    model = GPT2LMHeadModel(config).double().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # Larger than GPT-2's init so logits and gradients are far from uniform / zero.
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
            p.copy_(p.float().double())  # exactly representable in float32
    return model


def objective(model, case):
    alpha, gamma, lam = case["alpha"], case["gamma"], case["td_weight"]
    mle_sum = torch.zeros((), dtype=torch.float64)
    td_sum = torch.zeros((), dtype=torch.float64)
    tokens = 0
    for prompt, response in EXAMPLES:
        ids = torch.tensor([prompt + response])
        logits = model(input_ids=ids).logits[0]  # [n, V]; row i scores token i+1
        p, m = len(prompt), len(response)
        rows = logits[p - 1:]  # l_{p-1} ... l_{n-1}
        lse = torch.logsumexp(rows, dim=-1)  # m+1
        taken = rows[:m].gather(1, torch.tensor(response).unsqueeze(1)).squeeze(1)
        q = alpha * taken
        v = alpha * lse
        v_next = v[1:].clone()
        terminal = {"eos": response[-1] == CONFIG["eos_token_id"], "always": True, "never": False}[case["terminal"]]
        if terminal:
            v_next = torch.cat([v_next[:-1], torch.zeros(1, dtype=torch.float64)])
        r = q - gamma * v_next
        mle_sum = mle_sum + (lse[:m] - taken).sum()
        td_sum = td_sum + ((r / alpha) ** 2).sum()
        tokens += m
    loss = (mle_sum + lam * td_sum) / tokens
    return loss, mle_sum, td_sum, tokens


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def main():
    model = build_model()
    names = [n for n, _ in model.named_parameters() if n != "lm_head.weight"]
    params = dict(model.named_parameters())
    weights = {n: dict(shape=list(params[n].shape), values=flat(params[n])) for n in names}
    with torch.no_grad():
        prompt, response = EXAMPLES[0]
        logits0 = model(input_ids=torch.tensor([prompt + response])).logits[0]
    cases = []
    for case in CASES:
        model.zero_grad()
        loss, mle_sum, td_sum, tokens = objective(model, case)
        loss.backward()
        grads = {n: flat(params[n].grad) for n in names}
        cases.append(dict(case, loss=loss.item(), mle_sum=mle_sum.item(), td_sum=td_sum.item(),
                          tokens=tokens, gradients=grads))
    fixture = dict(format="softq-training-reference", format_version=FORMAT_VERSION,
                   generator="Scripts/reference/make_training_fixtures.py",
                   torch=torch.__version__, config=CONFIG,
                   examples=[dict(prompt=p, response=r) for p, r in EXAMPLES],
                   weights=weights, logits_example0=flat(logits0), cases=cases)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
