#!/usr/bin/env python3
"""Writes the fixtures of Tests/SoftQModelsTests/Fixtures (format version 1).

Two independent references, nothing downloaded:
  * kernels.json   - every elementwise/row kernel written from its formula in float64 numpy,
                     on float32 inputs (so Swift sees the very same inputs).
  * <name>.json    - a tiny model built by transformers from a config with seeded random weights:
                     the weights (float32, base64 little-endian), token sequences, logits from
                     transformers in float32 and in float64, and float64 per-layer activations
                     (input of layer 0, output of each layer, after the final norm), so a
                     mismatch points at the layer.
  * <name>.h5      - the same weights as a softq checkpoint (docs/spec/checkpoint-format.md, version 1),
                     for the models in CHECKPOINTS.

Run once from the repository root:  python3 Scripts/reference/make_model_fixtures.py [name ...]
(names limit what is rewritten; the output is the same as in a full run).
Requires numpy, h5py, torch (CPU) and transformers 5.x. Output is deterministic for a given
torch/transformers version (seeded).
"""
import base64, json, math, os, sys

import h5py
import numpy as np
import torch
import transformers

FORMAT_VERSION = 1

# Float32 error bound of a fixture model's logits and activations (Tests/TestSupport/
# ModelBounds.swift derives the same number): n = 14 reductions × 64 terms = 896 roundings on
# terms of total size 5, with Higham & Mary's (2019) probabilistic bound at failure
# probability 1e-12 per value: gamma~_n = exp(lam*sqrt(n)*u + n*u^2/(1-u)) - 1, lam = sqrt(2 ln(2n/1e-12))/(1-u).
def _probabilistic_gamma(n, failure, u=2.0 ** -24):
    lam = math.sqrt(2 * math.log(2 * n / failure)) / (1 - u)
    return math.exp(lam * math.sqrt(n) * u + n * u * u / (1 - u)) - 1


LOGIT_BOUND = _probabilistic_gamma(14 * 64, 1e-12) * 5.0
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SoftQModelsTests", "Fixtures")


def b64(a, dtype):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).astype(dtype).tobytes()).decode()


def f32(a):
    return {"shape": list(np.shape(a)), "f32": b64(a, "<f4")}


def f64(a):
    return {"shape": list(np.shape(a)), "f64": b64(a, "<f8")}


# ---------------------------------------------------------------- kernels (float64 from the math)
def kernel_fixtures(rng):
    k = {}
    rows, dim = 5, 24
    x = rng.standard_normal((rows, dim)).astype(np.float32) * 2
    w = rng.standard_normal(dim).astype(np.float32)
    b = rng.standard_normal(dim).astype(np.float32)
    xd, wd, bd = x.astype(np.float64), w.astype(np.float64), b.astype(np.float64)
    eps = 1e-5
    mean = xd.mean(-1, keepdims=True)
    var = ((xd - mean) ** 2).mean(-1, keepdims=True)
    k["layer_norm"] = {"x": f32(x), "w": f32(w), "b": f32(b), "eps": eps,
                       "out": f64((xd - mean) / np.sqrt(var + eps) * wd + bd)}
    eps2 = 1e-6
    k["rms_norm"] = {"x": f32(x), "w": f32(w), "eps": eps2,
                     "out": f64(wd * xd / np.sqrt((xd ** 2).mean(-1, keepdims=True) + eps2))}
    v = (rng.standard_normal(64) * 4).astype(np.float32)
    vd = v.astype(np.float64)
    k["gelu_tanh"] = {"x": f32(v), "out": f64(0.5 * vd * (1 + np.tanh(math.sqrt(2 / math.pi) * (vd + 0.044715 * vd ** 3))))}
    from scipy.special import erf
    k["gelu_erf"] = {"x": f32(v), "out": f64(0.5 * vd * (1 + erf(vd / math.sqrt(2))))}
    g = (rng.standard_normal(64) * 4).astype(np.float32)
    gd = g.astype(np.float64)
    k["silu_mul"] = {"gate": f32(g), "up": f32(v), "out": f64(gd / (1 + np.exp(-gd)) * vd)}

    # Rotary, rotate-half layout, positions start..start+rows, heads contiguous in a row.
    heads, hd, start, T = 3, 8, 5, 4
    q = rng.standard_normal((T, heads * hd)).astype(np.float32)
    inv = 1.0 / (10000.0 ** (np.arange(0, hd, 2) / hd))
    ang = (start + np.arange(T))[:, None] * inv[None, :]
    c, s = np.cos(ang), np.sin(ang)
    qd = q.astype(np.float64).reshape(T, heads, hd)
    h = hd // 2
    out = np.empty_like(qd)
    out[..., :h] = qd[..., :h] * c[:, None, :] - qd[..., h:] * s[:, None, :]
    out[..., h:] = qd[..., h:] * c[:, None, :] + qd[..., :h] * s[:, None, :]
    k["rotary"] = {"x": f32(q), "heads": heads, "head_dim": hd, "start": start, "theta": 10000.0,
                   "out": f64(out.reshape(T, heads * hd))}

    # Causal attention with grouped heads: rows at positions start..start+T over a cache of
    # start+T keys; query head h reads key/value head h // (H / KV).
    H, KV, hd, start, T = 4, 2, 8, 3, 5
    L = start + T
    q = rng.standard_normal((T, H * hd)).astype(np.float32)
    kk = rng.standard_normal((L, KV * hd)).astype(np.float32)
    vv = rng.standard_normal((L, KV * hd)).astype(np.float32)
    scale = 1 / math.sqrt(hd)
    out = np.zeros((T, H * hd))
    for hh in range(H):
        gg = hh // (H // KV)
        qh = q[:, hh * hd:(hh + 1) * hd].astype(np.float64)
        kh = kk[:, gg * hd:(gg + 1) * hd].astype(np.float64)
        vh = vv[:, gg * hd:(gg + 1) * hd].astype(np.float64)
        sc = qh @ kh.T * scale
        for t in range(T):
            sc[t, start + t + 1:] = -np.inf
        sc = np.exp(sc - sc.max(-1, keepdims=True))
        sc /= sc.sum(-1, keepdims=True)
        out[:, hh * hd:(hh + 1) * hd] = sc @ vh
    k["attention"] = {"q": f32(q), "k": f32(kk), "v": f32(vv), "heads": H, "kv_heads": KV,
                      "head_dim": hd, "start": start, "out": f64(out)}

    # Logsumexp of logit rows (some large, one with -inf entries).
    lg = (rng.standard_normal((4, 300)) * 10).astype(np.float32)
    lg[1] += 80
    lg[2, :150] = -np.inf
    ld = lg.astype(np.float64)
    m = ld.max(-1, keepdims=True)
    k["logsumexp"] = {"x": f32(lg), "out": f64((m + np.log(np.exp(ld - m).sum(-1, keepdims=True)))[:, 0])}
    return k


# ---------------------------------------------------------------- models (transformers)
MODELS = {
    "gpt2_tiny": dict(model_type="gpt2", vocab_size=61, n_positions=32, n_embd=16, n_layer=2, n_head=4,
                      activation_function="gelu_new", layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=1),
    # GQA, llama3 rope scaling (theta 100, head_dim 8: wavelengths 6.3, 20, 63, 199 against
    # original 32 / high-frequency 8: one frequency kept, one smoothed, two divided), tied
    # embeddings, 5.x `rope_parameters`.
    "llama_gqa_tied": dict(model_type="llama", vocab_size=67, hidden_size=32, intermediate_size=48,
                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                           max_position_embeddings=64, rms_norm_eps=1e-5, tie_word_embeddings=True,
                           rope_parameters=dict(rope_type="llama3", rope_theta=100.0, factor=8.0,
                                                low_freq_factor=1.0, high_freq_factor=4.0,
                                                original_max_position_embeddings=32),
                           bos_token_id=0, eos_token_id=2),
    # Untied output embeddings, one key/value head, explicit head_dim != hidden/heads.
    "llama_untied": dict(model_type="llama", vocab_size=53, hidden_size=24, intermediate_size=40,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, head_dim=8,
                         max_position_embeddings=48, rms_norm_eps=1e-6, tie_word_embeddings=False,
                         rope_parameters=dict(rope_type="default", rope_theta=500000.0),
                         bos_token_id=1, eos_token_id=[2, 3]),
    # Qwen2-style q/k/v bias (no o_proj bias), GQA, untied.
    "qwen2_bias": dict(model_type="qwen2", vocab_size=59, hidden_size=32, intermediate_size=48,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=40, rms_norm_eps=1e-6, tie_word_embeddings=False,
                       rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
                       use_sliding_window=False, sliding_window=None, bos_token_id=None, eos_token_id=4),
    # ---- sliding windows and the newer families (windows shorter than the 9/12/ctx sequences).
    # Mistral: every layer slides, window 5.
    "mistral_window": dict(model_type="mistral", vocab_size=61, hidden_size=32, intermediate_size=48,
                           num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                           max_position_embeddings=24, rms_norm_eps=1e-5, tie_word_embeddings=False,
                           rope_parameters=dict(rope_type="default", rope_theta=10000.0), sliding_window=5,
                           bos_token_id=1, eos_token_id=2),
    # Qwen2 with use_sliding_window: layer 0 full (below max_window_layers), layers 1-2 slide (window 4).
    "qwen2_window": dict(model_type="qwen2", vocab_size=59, hidden_size=32, intermediate_size=48,
                         num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=24, rms_norm_eps=1e-6, tie_word_embeddings=False,
                         rope_parameters=dict(rope_type="default", rope_theta=10000.0),
                         use_sliding_window=True, sliding_window=4, max_window_layers=1, eos_token_id=4),
    # Qwen3: per-head q/k RMSNorm, explicit head_dim 12 != 32/4, tied, window 6 on layer 1.
    "qwen3_window": dict(model_type="qwen3", vocab_size=53, hidden_size=32, intermediate_size=40,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=12,
                         max_position_embeddings=24, rms_norm_eps=1e-6, tie_word_embeddings=True,
                         rope_parameters=dict(rope_type="default", rope_theta=1000.0),
                         use_sliding_window=True, sliding_window=6, max_window_layers=1, eos_token_id=3),
    # Pythia-style GPT-NeoX: parallel residual, half the head rotates, biases, exact GELU, untied.
    "neox_parallel": dict(model_type="gpt_neox", vocab_size=61, hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=24,
                          layer_norm_eps=1e-5, hidden_act="gelu", use_parallel_residual=True,
                          rope_parameters=dict(rope_type="default", rope_theta=1000.0, partial_rotary_factor=0.5),
                          tie_word_embeddings=False, bos_token_id=0, eos_token_id=0),
    # Sequential residual, a quarter of the head rotates, no attention biases.
    "neox_sequential": dict(model_type="gpt_neox", vocab_size=53, hidden_size=32, intermediate_size=48,
                            num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=24,
                            layer_norm_eps=1e-5, hidden_act="gelu", use_parallel_residual=False, attention_bias=False,
                            rope_parameters=dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.25),
                            tie_word_embeddings=False, bos_token_id=0, eos_token_id=0),
    # Gemma: √24 embedding scale (not exact in float32), 1+w norms, GeGLU, head_dim 16 != 24/2, MQA.
    "gemma_tiny": dict(model_type="gemma", vocab_size=61, hidden_size=24, intermediate_size=40,
                       num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                       max_position_embeddings=24, rms_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh",
                       rope_parameters=dict(rope_type="default", rope_theta=10000.0), tie_word_embeddings=True,
                       bos_token_id=2, eos_token_id=1, pad_token_id=0),
    # Gemma 2: local/global/local layers (window 4), attention and final soft-capping small
    # enough to bend these logits, query_pre_attn_scalar 12 != head_dim.
    "gemma2_window": dict(model_type="gemma2", vocab_size=61, hidden_size=24, intermediate_size=40,
                          num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                          max_position_embeddings=24, rms_norm_eps=1e-6, hidden_activation="gelu_pytorch_tanh",
                          query_pre_attn_scalar=12, sliding_window=4, attn_logit_softcapping=4.0,
                          final_logit_softcapping=6.0, rope_parameters=dict(rope_type="default", rope_theta=10000.0),
                          tie_word_embeddings=True, bos_token_id=2, eos_token_id=1, pad_token_id=0),
    # Gemma 3 text: q/k norms, layer_types local/global/local (window 4), local rope base 100,
    # global base 10000 with linear scaling 2.
    "gemma3_window": dict(model_type="gemma3_text", vocab_size=61, hidden_size=24, intermediate_size=40,
                          num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                          max_position_embeddings=24, rms_norm_eps=1e-6, hidden_activation="gelu_pytorch_tanh",
                          query_pre_attn_scalar=8, sliding_window=4,
                          layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                          rope_parameters={"sliding_attention": dict(rope_type="default", rope_theta=100.0),
                                           "full_attention": dict(rope_type="linear", factor=2.0, rope_theta=10000.0)},
                          tie_word_embeddings=True, bos_token_id=2, eos_token_id=1, pad_token_id=0),
    # Phi-3: fused qkv_proj / gate_up_proj, half the head rotates, window 6 on every layer.
    "phi3_window": dict(model_type="phi3", vocab_size=61, hidden_size=32, intermediate_size=48,
                        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                        max_position_embeddings=24, original_max_position_embeddings=24, rms_norm_eps=1e-5,
                        rope_parameters=dict(rope_type="default", rope_theta=10000.0, partial_rotary_factor=0.5),
                        sliding_window=6, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0),
    # OLMo 2: post-norm blocks, q/k RMSNorm over whole projections, GQA.
    "olmo2_tiny": dict(model_type="olmo2", vocab_size=61, hidden_size=32, intermediate_size=48,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=24, rms_norm_eps=1e-6,
                       rope_parameters=dict(rope_type="default", rope_theta=10000.0),
                       tie_word_embeddings=False, bos_token_id=None, eos_token_id=3, pad_token_id=1),
}


# Fixtures that also get an h5 checkpoint (the others are read from their JSON weights only).
CHECKPOINTS = {"gpt2_tiny", "llama_gqa_tied", "llama_untied", "qwen2_bias", "gemma2_window"}


def build(name, spec):
    spec = dict(spec)
    mt = spec.pop("model_type")
    cfg = transformers.AutoConfig.for_model(mt, **spec)
    cfg._attn_implementation = "eager"
    torch.manual_seed(1234 + sum(map(ord, name)))
    model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
    with torch.no_grad():
        # Larger-than-default random weights so that every layer matters for the logits.
        # Norm multipliers 1 ± 0.2; Gemma stores the offset w of its (1 + w) multiplier.
        one = 0.0 if mt.startswith("gemma") else 1.0
        for pname, p in model.named_parameters():
            if "norm" in pname or "ln_" in pname:
                p.copy_(one + 0.2 * torch.randn_like(p)) if p.dim() == 1 and not pname.endswith("bias") else p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) * (0.3 if p.dim() == 1 else 1 / math.sqrt(p.shape[-1] if p.dim() > 1 else 1)))
    model.eval()
    return cfg, model


def run(model, tokens, final_norm, layers):
    acts = {}
    hooks = []

    def pre0(mod, args, kwargs):
        acts["embed"] = (args[0] if args else kwargs["hidden_states"]).detach().clone()

    hooks.append(layers[0].register_forward_pre_hook(pre0, with_kwargs=True))
    for i, layer in enumerate(layers):
        def post(mod, args, out, i=i):
            acts[f"layer.{i}"] = (out[0] if isinstance(out, tuple) else out).detach().clone()
        hooks.append(layer.register_forward_hook(post))
    hooks.append(final_norm.register_forward_hook(lambda m, a, o: acts.__setitem__("final", o.detach().clone())))
    with torch.no_grad():
        logits = model(torch.tensor([tokens])).logits[0]
    for h in hooks:
        h.remove()
    return logits, {k: v[0] for k, v in acts.items()}


def parts(model, mt):
    if mt == "gpt2":
        return model.transformer.ln_f, model.transformer.h
    if mt == "gpt_neox":
        return model.gpt_neox.final_layer_norm, model.gpt_neox.layers
    return model.model.norm, model.model.layers


def write_checkpoint(path, mt, config_json, state):
    with h5py.File(path, "w", libver="earliest", alignment_threshold=1, alignment_interval=64) as f:
        f.attrs["softq_format"] = 1
        f.attrs["model_type"] = mt
        f.attrs["config"] = config_json
        g = f.create_group("weights")
        for k in sorted(state):
            g.create_dataset(k, data=state[k])


def draw_sequences(spec, rng):
    V = spec["vocab_size"]
    ctx = spec.get("n_positions") or spec["max_position_embeddings"]
    lengths = [9, 12, ctx]  # the last one fills the context exactly
    return [[int(t) for t in rng.integers(0, V, n)] for n in lengths]


def model_fixture(name, spec, seqs):
    cfg, model = build(name, spec)
    mt = spec["model_type"]
    config_json = cfg.to_json_string(use_diff=False)
    state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    norm, layers = parts(model, mt)
    out = []
    for toks in seqs:
        lg32, _ = run(model, toks, norm, layers)
        out.append({"tokens": toks, "logits_fp32": f32(lg32.numpy())})
    model64 = model.double()
    norm, layers = parts(model64, mt)
    for entry in out:
        lg64, acts = run(model64, entry["tokens"], norm, layers)
        entry["logits_fp64"] = f64(lg64.numpy())
        if entry is out[0]:  # activations of the first sequence only: enough to locate a layer
            entry["activations"] = {k: f64(v.numpy()) for k, v in acts.items()}
    fixture = {
        "format_version": FORMAT_VERSION,
        "made_by": f"Scripts/reference/make_model_fixtures.py (transformers {transformers.__version__}, torch {torch.__version__})",
        "model_type": mt,
        "config": json.loads(config_json),
        "tolerance": {"logits_vs_transformers_fp32_atol": 2 * LOGIT_BOUND, "logits_vs_float64_atol": LOGIT_BOUND,
                      "activations_vs_float64_atol": LOGIT_BOUND},
        "weights": {k: f32(state[k]) for k in sorted(state)},
        "sequences": out,
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(fixture, f, indent=None, separators=(",", ":"))
    if name in CHECKPOINTS:
        write_checkpoint(os.path.join(OUT, name + ".h5"), mt, config_json, state)


def main():
    # Optional arguments name the fixtures to (re)write ("kernels" or model names); the random
    # stream is consumed for all of them either way, so every fixture is the same as in a full run.
    only = set(sys.argv[1:])
    unknown = only - set(MODELS) - {"kernels"}
    if unknown:
        sys.exit(f"unknown fixture names: {sorted(unknown)}")
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261129)
    kern = {"format_version": FORMAT_VERSION, "tolerance": {"rtol": 1e-6, "atol": 1e-6}, "kernels": kernel_fixtures(rng)}
    if not only or "kernels" in only:
        with open(os.path.join(OUT, "kernels.json"), "w") as f:
            json.dump(kern, f, separators=(",", ":"))
    for name, spec in MODELS.items():
        seqs = draw_sequences(spec, rng)
        if not only or name in only:
            model_fixture(name, spec, seqs)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    sys.exit(main())
