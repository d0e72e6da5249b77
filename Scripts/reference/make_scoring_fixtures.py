#!/usr/bin/env python3
"""Writes Tests/SoftQScoringTests/Fixtures/scoring.json (format version 1): what `softq score`
must produce, computed independently.

* Logits come from transformers/PyTorch (float32) running the tiny checkpoints that
  make_model_fixtures.py wrote (gpt2_tiny.h5, llama_gqa_tied.h5, and gemma2_window.h5: sliding
  window 4 on local layers, soft-capped attention and final logits), loaded here with h5py.
* Every reward quantity is computed from those logits in float64 numpy, written from
  docs/spec/conventions.md: Q = α·ℓ[a], V = α·logsumexp(ℓ), log π = ℓ[a] − logsumexp(ℓ),
  r_j = Q(s_{j−1}, x_j) − γ·V'(s_j), V' = 0 after a terminal token.
* A reference policy for the DPO reward: gpt2_tiny with seeded noise added to every weight,
  written as gpt2_tiny_ref.h5 beside the fixture.
* Text tokenization: the demo tokenizer (notebooks-data/task/tokenizer.json) run by the
  `tokenizers` library on the first demo pairs: prompt with the post-processor (BOS once),
  responses without special tokens plus EOS.

Run from the repository root:  python3 Scripts/reference/make_scoring_fixtures.py
Needs numpy, h5py, torch (CPU), transformers, tokenizers. Deterministic (seeded).
"""
import json
import os

import h5py
import numpy as np
import torch
import transformers
from tokenizers import Tokenizer

FORMAT_VERSION = 1
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "Tests", "SoftQModelsTests", "Fixtures")
OUT = os.path.join(ROOT, "Tests", "SoftQScoringTests", "Fixtures")

PAIRS = [
    {"id": "a", "subset": "alpha", "prompt_ids": [0, 5, 6], "chosen_ids": [7, 8, 1], "rejected_ids": [9, 1]},
    {"id": "b", "subset": "beta", "prompt_ids": [0, 3], "chosen_ids": [4, 4, 4], "rejected_ids": [10, 11, 12, 1]},
    {"id": "c", "subset": "alpha", "prompt_ids": [0], "chosen_ids": [2, 1], "rejected_ids": [2, 3, 1]},
    {"id": "d", "subset": "beta", "prompt_ids": [0, 9, 9, 9, 2], "chosen_ids": [13], "rejected_ids": [14, 15, 16, 17, 18, 19, 20]},
    {"id": "e", "subset": "gamma", "prompt_ids": [0, 30, 31], "chosen_ids": [40, 41, 42, 1], "rejected_ids": [40, 41, 43]},
]
CONVENTIONS = [
    {"name": "default", "alpha": 1.0, "gamma": 1.0, "terminal": "eos"},
    {"name": "discounted", "alpha": 0.7, "gamma": 0.9, "terminal": "eos"},
    {"name": "never", "alpha": 1.3, "gamma": 0.95, "terminal": "never"},
    {"name": "always", "alpha": 1.0, "gamma": 1.0, "terminal": "always"},
]


def load(path):
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["config"])
        weights = {k: np.array(v[()]) for k, v in f["weights"].items()}
    return config, weights


def build(config, weights):
    cfg = transformers.AutoConfig.for_model(**config)
    model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    sd = {k: torch.from_numpy(v) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("lm_head.weight") and "rotary" not in m and not m.endswith("attn.bias")]
    assert not missing, missing
    model.eval()
    return model


def logits_for(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].double().numpy()


def rewards(logits, ids, p, eos, alpha, gamma, terminal):
    """Every per-token quantity and aggregate, float64, from the conventions."""
    n = len(ids)
    m = n - p
    lse = np.array([np.logaddexp.reduce(logits[i]) for i in range(p - 1, n)])  # m+1 values
    taken = np.array([logits[p - 1 + k, ids[p + k]] for k in range(m)])
    ends_eos = ids[-1] == eos
    term = terminal == "always" or (terminal == "eos" and ends_eos)
    logprob = taken - lse[:m]
    q = alpha * taken
    vb = alpha * lse[:m]
    va = alpha * lse[1:].copy()
    if term:
        va[-1] = 0.0
    r = q - gamma * va
    disc = sum(gamma ** k * r[k] for k in range(m))
    return {
        "logprob": logprob.tolist(), "q": q.tolist(), "value_before": vb.tolist(), "value_after": va.tolist(),
        "reward": r.tolist(), "prompt_value": float(vb[0]), "terminal": bool(term),
        "sum": float(r.sum()), "mean": float(r.mean()), "discounted": float(disc),
        "logprob_sum": float(logprob.sum()), "logprob_mean": float(logprob.mean()),
        "logprob_norm": float(-np.sqrt((logprob ** 2).sum())),
    }


def write_reference_checkpoint(src, dst, seed):
    rng = np.random.default_rng(seed)
    with h5py.File(src, "r") as f, h5py.File(dst, "w", libver="earliest", alignment_threshold=1, alignment_interval=64) as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        for name, ds in f["weights"].items():
            if name == "lm_head.weight":   # tied to wte: perturbing it separately would untie it
                continue
            a = np.array(ds[()])
            g["weights/" + name] = (a + 0.05 * rng.standard_normal(a.shape)).astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    ref_path = os.path.join(OUT, "gpt2_tiny_ref.h5")
    write_reference_checkpoint(os.path.join(MODELS, "gpt2_tiny.h5"), ref_path, seed=11)
    cases = []
    for ckpt in ["gpt2_tiny", "llama_gqa_tied", "gemma2_window"]:
        config, weights = load(os.path.join(MODELS, ckpt + ".h5"))
        model = build(config, weights)
        eos = config.get("eos_token_id", 1)
        ref_model = None
        if ckpt == "gpt2_tiny":
            rc, rw = load(ref_path)
            ref_model = build(rc, rw)
        for conv in CONVENTIONS:
            out_pairs = []
            for pair in PAIRS:
                p = len(pair["prompt_ids"])
                sides = {}
                for side in ("chosen", "rejected"):
                    ids = pair["prompt_ids"] + pair[side + "_ids"]
                    res = rewards(logits_for(model, ids), ids, p, eos, conv["alpha"], conv["gamma"], conv["terminal"])
                    if ref_model is not None:
                        ref_lp = rewards(logits_for(ref_model, ids), ids, p, eos, 1.0, 1.0, "eos")["logprob"]
                        res["dpo"] = float(np.sum(np.array(res["logprob"]) - np.array(ref_lp)))
                    sides[side] = res
                out_pairs.append(sides)
            cases.append({"checkpoint": ckpt, "reference": "gpt2_tiny_ref" if ref_model is not None else None,
                          "conventions": conv, "pairs": out_pairs})

    tok = Tokenizer.from_file(os.path.join(ROOT, "notebooks-data", "task", "tokenizer.json"))
    eos_id = tok.token_to_id("<|eos|>")
    text = []
    with open(os.path.join(ROOT, "notebooks-data", "task", "pairs_heldout.jsonl")) as f:
        for line in list(f)[:6]:
            d = json.loads(line)
            text.append({"prompt": d["prompt"], "chosen": d["chosen"], "rejected": d["rejected"],
                         "prompt_ids": tok.encode(d["prompt"]).ids,
                         "chosen_ids": tok.encode(d["chosen"], add_special_tokens=False).ids + [eos_id],
                         "rejected_ids": tok.encode(d["rejected"], add_special_tokens=False).ids + [eos_id]})

    fixture = {"format_version": FORMAT_VERSION,
               "made_by": "Scripts/reference/make_scoring_fixtures.py (torch %s, transformers %s)" % (torch.__version__, transformers.__version__),
               "pairs": PAIRS, "cases": cases, "text_tokenization": text}
    with open(os.path.join(OUT, "scoring.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", os.path.join(OUT, "scoring.json"))


if __name__ == "__main__":
    main()
