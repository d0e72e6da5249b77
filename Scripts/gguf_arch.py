"""What each llama.cpp architecture is in Hugging Face terms: model_type, tensor names, config.

llama.cpp's converter (convert_hf_to_gguf.py) renames every tensor, and for some families also
changes values. The facts this module undoes, per `general.architecture`:
  - llama (also Mistral and SmolLM files, which llama.cpp writes as `llama`): q_proj/k_proj rows
    are permuted for its adjacent-pair rope (undone by convert.unpermute_qk). No other family
    listed here is permuted: their rope already rotates halves (llama.cpp's "NEOX" rope type).
  - gemma, gemma2, gemma3: Hugging Face's Gemma RMSNorm scales by (1 + w); llama.cpp stores
    w + 1 in every tensor whose name ends in `norm.weight`, so 1 is subtracted here.
  - phi3: fused `qkv_proj` and `gate_up_proj` keep their Hugging Face layout (GGUF `attn_qkv`,
    `ffn_up`), so nothing is split.
  - gptneox (Pythia, GPT-NeoX): Hugging Face's fused `query_key_value` holds, per head, that
    head's query, key and value rows ([q_h k_h v_h] for h = 0…); llama.cpp's converter regroups
    them as all query rows, then all key rows, then all value rows (weight and bias), which
    `neox_qkv_per_head` undoes. Its tensors keep GPT-NeoX's own names (`gpt_neox.layers.N.…`,
    `embed_out`), and its norms are LayerNorms with biases.
Configuration keys are read from `<arch>.*` metadata; values llama.cpp does not store but fixes
in its own code (Gemma 3's local rope base 10000 and 5:1 sliding/global layer pattern) are
written as llama.cpp assumes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

GLOBAL_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}

_PROJECTIONS = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_QK_NORMS = {"attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm"}
LLAMA_LAYER = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", **_PROJECTIONS}
_GEMMA2_LAYER = {"attn_norm": "input_layernorm", "post_attention_norm": "post_attention_layernorm",
                 "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm",
                 **_PROJECTIONS}
_PHI3_LAYER = {"attn_norm": "input_layernorm", "attn_qkv": "self_attn.qkv_proj",
               "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
               "ffn_up": "mlp.gate_up_proj", "ffn_down": "mlp.down_proj"}
_OLMO2_LAYER = {"post_attention_norm": "post_attention_layernorm",
                "post_ffw_norm": "post_feedforward_layernorm", **_PROJECTIONS, **_QK_NORMS}
_NEOX_LAYER = {"attn_norm": "input_layernorm", "attn_qkv": "attention.query_key_value",
               "attn_output": "attention.dense", "ffn_norm": "post_attention_layernorm",
               "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h"}
_NEOX_GLOBAL = {"token_embd": "gpt_neox.embed_in", "output_norm": "gpt_neox.final_layer_norm", "output": "embed_out"}


@dataclass(frozen=True)
class Arch:
    model_type: str
    hf_class: str
    layer_names: dict
    hidden_act: str = "silu"
    permute_qk: bool = False
    norm_offset: float = 0.0  # subtracted from every `*norm.weight` tensor
    extra: dict = field(default_factory=dict)  # constant config keys
    layer_prefix: str = "model.layers"
    global_names: dict = field(default_factory=lambda: GLOBAL_NAMES)


ARCHITECTURES = {
    "llama": Arch("llama", "LlamaForCausalLM", LLAMA_LAYER, permute_qk=True),
    "qwen2": Arch("qwen2", "Qwen2ForCausalLM", LLAMA_LAYER),
    "qwen3": Arch("qwen3", "Qwen3ForCausalLM", {**LLAMA_LAYER, **_QK_NORMS}),
    "gemma": Arch("gemma", "GemmaForCausalLM", LLAMA_LAYER, hidden_act="gelu_pytorch_tanh", norm_offset=1.0),
    "gemma2": Arch("gemma2", "Gemma2ForCausalLM", _GEMMA2_LAYER, hidden_act="gelu_pytorch_tanh", norm_offset=1.0),
    "gemma3": Arch("gemma3_text", "Gemma3ForCausalLM", {**_GEMMA2_LAYER, **_QK_NORMS},
                   hidden_act="gelu_pytorch_tanh", norm_offset=1.0,
                   extra={"rope_local_base_freq": 10000.0, "sliding_window_pattern": 6}),
    "phi3": Arch("phi3", "Phi3ForCausalLM", _PHI3_LAYER),
    "olmo2": Arch("olmo2", "Olmo2ForCausalLM", _OLMO2_LAYER),
    "gptneox": Arch("gpt_neox", "GPTNeoXForCausalLM", _NEOX_LAYER, hidden_act="gelu",
                    layer_prefix="gpt_neox.layers", global_names=_NEOX_GLOBAL),
}


class ArchError(Exception):
    """A tensor or metadata the mapping cannot place; convert.py reports it as ConvertError."""


def hf_name(arch: str, name: str) -> str:
    """The Hugging Face state-dict name of a GGUF tensor of architecture `arch`."""
    spec = ARCHITECTURES[arch]
    m = re.fullmatch(r"blk\.(\d+)\.([a-z_]+)\.(weight|bias)", name)
    if m and m.group(2) in spec.layer_names:
        return f"{spec.layer_prefix}.{m.group(1)}.{spec.layer_names[m.group(2)]}.{m.group(3)}"
    m = re.fullmatch(r"([a-z_]+)\.(weight|bias)", name)
    if m and m.group(1) in spec.global_names:
        return f"{spec.global_names[m.group(1)]}.{m.group(2)}"
    if name in ("rope_freqs.weight", "rope_factors_long.weight", "rope_factors_short.weight"):
        raise ArchError(f"GGUF tensor '{name}' (rope scaling factors) has no Hugging Face config "
                        "equivalent the converter can rebuild")
    raise ArchError(f"GGUF tensor '{name}' has no known Hugging Face name for a {arch} model")


def restore_values(arch: str, name: str, x: np.ndarray, heads: int) -> np.ndarray:
    """Undoes llama.cpp's value changes other than the Q/K permutation (Gemma's norm + 1,
    GPT-NeoX's regrouped query_key_value)."""
    offset = ARCHITECTURES[arch].norm_offset
    if offset and name.endswith("norm.weight"):
        return x - np.float32(offset)
    if arch == "gptneox" and ".attn_qkv." in name:
        return neox_qkv_per_head(x, heads)
    return x


def neox_qkv_per_head(x: np.ndarray, heads: int) -> np.ndarray:
    """GGUF rows [Q; K; V] (each `heads` blocks of head_dim rows) → Hugging Face's per-head
    [q_0 k_0 v_0 q_1 k_1 v_1 …]: row (part, head, i) moves to (head, part, i)."""
    rows = x.shape[0]
    if rows % (3 * heads) != 0:
        raise ArchError(f"attn_qkv has {rows} rows, not 3 × {heads} heads of equal size")
    d = rows // (3 * heads)
    return x.reshape(3, heads, d, *x.shape[1:]).swapaxes(0, 1).reshape(x.shape)


def _f32(v: float) -> float:
    # GGUF stores floats as float32; the shortest float32 repr recovers the value configs wrote
    # (1e-05, not 9.999999747378752e-06).
    return float(str(np.float32(v)))


def hf_config(meta: dict, arch: str, has_output: bool, vocab_rows: int, has_qkv_bias: bool) -> dict:
    spec = ARCHITECTURES[arch]

    def need(key):
        if f"{arch}.{key}" not in meta:
            raise ArchError(f"GGUF metadata lacks '{arch}.{key}', needed for the model configuration")
        return meta[f"{arch}.{key}"]

    def get(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    if arch == "gptneox":
        return _neox_config(meta, need, get, vocab_rows, has_qkv_bias)

    hidden = int(need("embedding_length"))
    heads = int(need("attention.head_count"))
    head_dim = int(get("attention.key_length", hidden // heads))
    layers = int(need("block_count"))
    config = {
        "architectures": [spec.hf_class],
        "model_type": spec.model_type,
        "hidden_size": hidden,
        "intermediate_size": int(need("feed_forward_length")),
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": int(get("attention.head_count_kv", heads)),
        "head_dim": head_dim,
        "max_position_embeddings": int(need("context_length")),
        "rms_norm_eps": _f32(need("attention.layer_norm_rms_epsilon")),
        "rope_theta": _f32(get("rope.freq_base", 10000.0)),
        "vocab_size": int(get("vocab_size", vocab_rows)),
        "hidden_act": spec.hidden_act,
        "tie_word_embeddings": not has_output,
    }
    if spec.model_type in ("qwen2", "qwen3", "olmo2"):
        config["attention_bias"] = has_qkv_bias
    if spec.model_type.startswith("gemma"):
        config["hidden_activation"] = spec.hidden_act
    if arch in ("gemma2", "gemma3"):
        # llama.cpp scales queries by 1/sqrt(head_dim), except Gemma 2/3 27B (62 layers there
        # for Gemma 3, 46 for Gemma 2) by 1/sqrt(hidden/heads): the HF query_pre_attn_scalar.
        big = (arch == "gemma3" and layers == 62) or (arch == "gemma2" and layers == 46)
        config["query_pre_attn_scalar"] = hidden // heads if big else head_dim
        if get("attention.sliding_window") is not None:
            config["sliding_window"] = int(get("attention.sliding_window"))
    if arch == "gemma2":
        for key in ("attn_logit_softcapping", "final_logit_softcapping"):
            if get(key) is not None:
                config[key] = _f32(get(key))
    if arch == "gemma3":
        pattern = spec.extra["sliding_window_pattern"]
        config["layer_types"] = ["full_attention" if (i + 1) % pattern == 0 else "sliding_attention"
                                 for i in range(layers)]
    if arch == "phi3":
        config["original_max_position_embeddings"] = int(get("rope.scaling.original_context_length",
                                                             config["max_position_embeddings"]))
        if get("attention.sliding_window") is not None:
            config["sliding_window"] = int(get("attention.sliding_window"))
        if get("rope.dimension_count") is not None:
            config["partial_rotary_factor"] = int(get("rope.dimension_count")) / head_dim
    config.update(spec.extra)
    scaling = get("rope.scaling.type")
    if scaling not in (None, "none"):
        if scaling != "linear":
            raise ArchError(f"GGUF rope scaling '{scaling}' is not supported (only linear)")
        config["rope_scaling"] = {"rope_type": "linear", "factor": _f32(need("rope.scaling.factor"))}
    for key, hf in (("bos_token_id", "bos_token_id"), ("eos_token_id", "eos_token_id"),
                    ("padding_token_id", "pad_token_id")):
        if f"tokenizer.ggml.{key}" in meta:
            config[hf] = int(meta[f"tokenizer.ggml.{key}"])
    return config


def _neox_config(meta: dict, need, get, vocab_rows: int, has_qkv_bias: bool) -> dict:
    """GPT-NeoX's config.json keys (transformers 4.x spelling, which 5.x also reads).
    llama.cpp writes no rope base for it (it uses 10000, GPT-NeoX's default) and the rotary
    share as `rope.dimension_count` = rotary_pct · head_dim."""
    hidden = int(need("embedding_length"))
    heads = int(need("attention.head_count"))
    head_dim = hidden // heads
    config = {
        "architectures": ["GPTNeoXForCausalLM"],
        "model_type": "gpt_neox",
        "hidden_size": hidden,
        "intermediate_size": int(need("feed_forward_length")),
        "num_hidden_layers": int(need("block_count")),
        "num_attention_heads": heads,
        "max_position_embeddings": int(need("context_length")),
        "layer_norm_eps": _f32(need("attention.layer_norm_epsilon")),
        "rotary_pct": int(get("rope.dimension_count", head_dim)) / head_dim,
        "rotary_emb_base": _f32(get("rope.freq_base", 10000.0)),
        "use_parallel_residual": bool(get("use_parallel_residual", True)),
        "attention_bias": has_qkv_bias,
        "vocab_size": int(get("vocab_size", vocab_rows)),
        "hidden_act": "gelu",
        "tie_word_embeddings": False,
    }
    for key, hf in (("bos_token_id", "bos_token_id"), ("eos_token_id", "eos_token_id"),
                    ("padding_token_id", "pad_token_id")):
        if f"tokenizer.ggml.{key}" in meta:
            config[hf] = int(meta[f"tokenizer.ggml.{key}"])
    return config
