#!/usr/bin/env python3
"""Random-weight benchmark checkpoints and token-id pair sets for `softq bench`.

Writes, into OUT (default .build/bench/, outside git):
  gpt2-124m.h5     GPT-2 small shapes (768 wide, 12 layers, 12 heads, vocabulary 50257, tied)
  llama-135m.h5    SmolLM2-135M shapes (576 wide, 30 layers, 9/3 heads, MLP 1536, vocabulary
                   49152, tied) as a `llama` model
  llama-360m.h5, llama-1.7b.h5   SmolLM2-360M and -1.7B shapes, for the scaling table only
                   (not built unless named with --models; 1.7B in float32 is 6.8 GB)
  <model>-bfloat16.h5 / -float16.h5   the same with --dtype
  pairs-<model>-<n>.jsonl   seeded token-id pairs: prompt 64-256, responses 32-256 tokens

The models are built from configurations with seeded random weights by transformers (nothing is
downloaded), saved with save_pretrained and converted to float32 softq checkpoints by
Scripts/convert.py. Speed does not depend on the weights' values, so random weights are enough
for throughput; Scripts/bench/compare.py checks the log-probabilities against transformers.

Usage (from the repository root):
  python3 Scripts/bench/make_bench_models.py [--out .build/bench] [--models gpt2-124m llama-135m]
      [--pairs 64] [--seed 0] [--dtype float32]
"""
import argparse
import json
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FORMAT_VERSION = 1

# Hugging Face configuration keys; values are GPT-2 small's and SmolLM2-135M's published shapes.
CONFIGS = {
    "gpt2-124m": {
        "model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024, "n_embd": 768, "n_layer": 12,
        "n_head": 12, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
        "bos_token_id": 50256, "eos_token_id": 50256, "tie_word_embeddings": True,
    },
    "llama-135m": {
        "model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "intermediate_size": 1536,
        "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3,
        "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
        "hidden_act": "silu", "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
    },
    "llama-360m": {
        "model_type": "llama", "vocab_size": 49152, "hidden_size": 960, "intermediate_size": 2560,
        "num_hidden_layers": 32, "num_attention_heads": 15, "num_key_value_heads": 5,
        "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 100000.0,
        "hidden_act": "silu", "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
    },
    "llama-1.7b": {
        "model_type": "llama", "vocab_size": 49152, "hidden_size": 2048, "intermediate_size": 8192,
        "num_hidden_layers": 24, "num_attention_heads": 32, "num_key_value_heads": 32,
        "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 130000.0,
        "hidden_act": "silu", "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
    },
}
# Built when --models is not given (the two compare.py models).
DEFAULT_MODELS = ["gpt2-124m", "llama-135m"]


def make_model(name, out, seed, dtype):
    """Builds the transformers model with seeded random weights and converts it; returns the path."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    path = os.path.join(out, f"{name}.h5" if dtype == "float32" else f"{name}-{dtype}.h5")
    if os.path.exists(path):
        print(f"exists: {path}")
        return path
    cfg = dict(CONFIGS[name])
    model_type = cfg.pop("model_type")
    config = AutoConfig.for_model(model_type, **cfg)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    hf_dir = os.path.join(out, f"{name}-hf")
    model.save_pretrained(hf_dir)
    subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "convert.py"), hf_dir, path,
                    "--dtype", dtype, "--force"], check=True)
    print(f"wrote {path}")
    return path


def make_pairs(path, n, vocab, eos, seed, prompt=(64, 256), response=(32, 256)):
    """n pairs of token ids with uniform lengths; each response ends with EOS (terminal)."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            p = [rng.randrange(vocab) for _ in range(rng.randint(*prompt))]
            c = [rng.randrange(vocab) for _ in range(rng.randint(*response) - 1)] + [eos]
            r = [rng.randrange(vocab) for _ in range(rng.randint(*response) - 1)] + [eos]
            f.write(json.dumps({"id": f"b{i}", "prompt_ids": p, "chosen_ids": c, "rejected_ids": r}) + "\n")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "bench"))
    ap.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(CONFIGS))
    ap.add_argument("--pairs", type=int, nargs="+", default=[64], help="pair-set sizes to write")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.models:
        make_model(name, a.out, a.seed, a.dtype)
        cfg = CONFIGS[name]
        for n in a.pairs:
            p = make_pairs(os.path.join(a.out, f"pairs-{name}-{n}.jsonl"), n, cfg["vocab_size"],
                           cfg["eos_token_id"], a.seed + n)
            print(f"wrote {p}")
    with open(os.path.join(a.out, "VERSION"), "w") as f:
        f.write(f"make_bench_models format {FORMAT_VERSION}\n")


if __name__ == "__main__":
    main()
