"""Makes Scripts/convert.py importable as `convert` and shares tiny-model builders."""
import json
import os
import sys

import numpy as np
import pytest

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(SCRIPTS)
sys.path.insert(0, SCRIPTS)


def gpt2_state(rng: np.random.Generator, vocab=11, n_pos=8, c=8, layers=2) -> dict:
    """GPT-2 state dict with HF's names and Conv1D orientation ([in, out])."""
    sd = {"wte.weight": (vocab, c), "wpe.weight": (n_pos, c), "ln_f.weight": (c,), "ln_f.bias": (c,)}
    for i in range(layers):
        p = f"h.{i}."
        sd.update({p + "ln_1.weight": (c,), p + "ln_1.bias": (c,), p + "ln_2.weight": (c,),
                   p + "ln_2.bias": (c,), p + "attn.c_attn.weight": (c, 3 * c),
                   p + "attn.c_attn.bias": (3 * c,), p + "attn.c_proj.weight": (c, c),
                   p + "attn.c_proj.bias": (c,), p + "mlp.c_fc.weight": (c, 4 * c),
                   p + "mlp.c_fc.bias": (4 * c,), p + "mlp.c_proj.weight": (4 * c, c),
                   p + "mlp.c_proj.bias": (c,)})
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in sd.items()}


def gpt2_config(vocab=11, n_pos=8, c=8, layers=2) -> dict:
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": vocab,
            "n_positions": n_pos, "n_embd": c, "n_layer": layers, "n_head": 2,
            "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new", "bos_token_id": 0,
            "eos_token_id": 0, "torch_dtype": "float32"}


def llama_state(rng, vocab=13, hidden=16, heads=4, kv_heads=2, ff=24, layers=2, tied=False) -> dict:
    d = hidden // heads
    sd = {"model.embed_tokens.weight": (vocab, hidden), "model.norm.weight": (hidden,)}
    if not tied:
        sd["lm_head.weight"] = (vocab, hidden)
    for i in range(layers):
        p = f"model.layers.{i}."
        sd.update({p + "input_layernorm.weight": (hidden,),
                   p + "post_attention_layernorm.weight": (hidden,),
                   p + "self_attn.q_proj.weight": (heads * d, hidden),
                   p + "self_attn.k_proj.weight": (kv_heads * d, hidden),
                   p + "self_attn.v_proj.weight": (kv_heads * d, hidden),
                   p + "self_attn.o_proj.weight": (hidden, heads * d),
                   p + "mlp.gate_proj.weight": (ff, hidden), p + "mlp.up_proj.weight": (ff, hidden),
                   p + "mlp.down_proj.weight": (hidden, ff)})
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in sd.items()}


def llama_config(vocab=13, hidden=16, heads=4, kv_heads=2, ff=24, layers=2, tied=False) -> dict:
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab,
            "hidden_size": hidden, "intermediate_size": ff, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kv_heads,
            "max_position_embeddings": 32, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
            "tie_word_embeddings": tied, "hidden_act": "silu"}


def write_config(directory, config: dict) -> None:
    with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
