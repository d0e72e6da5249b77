#!/usr/bin/env python3
"""Seeded token-id generations with N responses per prompt, for `softq bench-grouping`.

Each line is a `softq sample`-shaped generation (prompt_id, prompt_ids, token_ids, text, metric)
of a random-weight benchmark model (Scripts/bench/make_bench_models.py): prompts and responses
are drawn with the lengths of the benchmark pairs (prompt 64-256, response 32-256 tokens, the
last response token EOS), so the prompt share of the work is that of a real best-of-N set. The
metric is a placeholder (0): the benchmark times scoring only.

Usage (from the repository root):
  python3 Scripts/bench/grouping_generations.py --vocab 50257 --eos 50256 --prompts 6 --per-prompt 8 \\
      --out .build/bench/generations-gpt2-124m.jsonl
"""
import argparse
import json
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", type=int, required=True, help="vocabulary size of the model")
    ap.add_argument("--eos", type=int, required=True, help="the model's EOS id (ends every response)")
    ap.add_argument("--prompts", type=int, default=6)
    ap.add_argument("--per-prompt", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    def ids(n):
        return [rng.randrange(a.vocab) for _ in range(n)]
    with open(a.out, "w") as f:
        for p in range(a.prompts):
            prompt = ids(rng.randint(64, 256))
            for s in range(a.per_prompt):
                tokens = ids(rng.randint(31, 255)) + [a.eos]
                f.write(json.dumps({"prompt_id": f"bench-{p}", "sample": s, "text": "", "prompt_ids": prompt,
                                    "token_ids": tokens, "metric": 0}) + "\n")


if __name__ == "__main__":
    main()
