"""Tests for Scripts/convert.py: tiny models built in numpy, converted, compared bit for bit.

Run: python3 -m pytest -q Scripts/tests
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
from safetensors.numpy import save_file

import convert
from conftest import REPO, SCRIPTS, gpt2_config, gpt2_state, llama_config, llama_state, write_config

TOKENIZER_TEXT = '{"version": "1.0", "model": {"type": "BPE", "vocab": {"é": 0, "日本": 1}}}\n'


def make_gpt2_dir(tmp_path, rng, state=None):
    d = tmp_path / "gpt2"
    d.mkdir()
    state = gpt2_state(rng) if state is None else state
    save_file(state, str(d / "model.safetensors"))
    write_config(d, gpt2_config())
    (d / "tokenizer.json").write_text(TOKENIZER_TEXT, encoding="utf-8")
    return d, state


def read_checkpoint(path):
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        weights = {}
        for name, ds in f["weights"].items():
            assert ds.chunks is None and ds.compression is None, name  # contiguous
            assert ds.id.get_offset() % 64 == 0, (name, ds.id.get_offset())
            weights[name] = (ds[()], dict(ds.attrs))
        tok = f["tokenizer/tokenizer.json"][()].decode("utf-8") if "tokenizer/tokenizer.json" in f else None
    return attrs, weights, tok


# ---------------------------------------------------------------------------------------
# Hugging Face directories

def test_gpt2_safetensors_float32_keeps_names_orientation_and_records_source(tmp_path, rng):
    d, state = make_gpt2_dir(tmp_path, rng)
    out = tmp_path / "gpt2.h5"
    assert convert.main([str(d), str(out)]) == 0
    attrs, weights, tok = read_checkpoint(out)
    assert set(weights) == set(state)
    for name, x in state.items():
        y, ds_attrs = weights[name]
        assert y.dtype == np.float32 and y.shape == x.shape and ds_attrs == {}
        np.testing.assert_array_equal(y, x)  # exact: float32 in, float32 out
    assert attrs["softq_format"] == 1 and attrs["softq_format"].dtype.kind == "i"
    assert attrs["model_type"] == "gpt2"
    assert json.loads(attrs["config"]) == gpt2_config()
    assert attrs["source"] == str(d)
    assert attrs["source_format"] == "safetensors"
    assert attrs["source_sha256"] == hashlib.sha256((d / "model.safetensors").read_bytes()).hexdigest()
    assert attrs["converter"] == f"softq convert.py {convert.CONVERTER_VERSION}"
    assert tok == TOKENIZER_TEXT  # copied verbatim


def test_llama_sharded_safetensors_and_documented_hash(tmp_path, rng):
    d = tmp_path / "llama"
    d.mkdir()
    state = llama_state(rng)
    names = sorted(state)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for file, keys in shards.items():
        save_file({k: state[k] for k in keys}, str(d / file))
    index = {"metadata": {}, "weight_map": {k: f for f, ks in shards.items() for k in ks}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index))
    write_config(d, llama_config())
    out = tmp_path / "llama.h5"
    assert convert.main([str(d), str(out)]) == 0
    attrs, weights, tok = read_checkpoint(out)
    assert tok is None
    assert set(weights) == set(state)
    for name, x in state.items():
        np.testing.assert_array_equal(weights[name][0], x)
    # Documented: sha256 of the sorted shard digests, one per line (sha256sum | cut | sort | sha256sum).
    digests = sorted(hashlib.sha256((d / f).read_bytes()).hexdigest() for f in shards)
    expected = hashlib.sha256("".join(h + "\n" for h in digests).encode()).hexdigest()
    assert attrs["source_sha256"] == expected
    assert attrs["source_format"] == "safetensors-sharded"
    if shutil.which("sha256sum") and shutil.which("sh"):
        cmd = f"cd '{d}' && sha256sum model-0000*.safetensors | cut -d' ' -f1 | sort | sha256sum"
        shell = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True)
        assert shell.stdout.split()[0] == expected


def test_float16_storage_rounds_to_nearest_even(tmp_path, rng):
    d, state = make_gpt2_dir(tmp_path, rng)
    out = tmp_path / "f16.h5"
    assert convert.main([str(d), str(out), "--dtype", "float16"]) == 0
    _, weights, _ = read_checkpoint(out)
    for name, x in state.items():
        y, ds_attrs = weights[name]
        assert y.dtype == np.float16 and ds_attrs == {}
        np.testing.assert_array_equal(y, x.astype(np.float16))


BF16_CASES = [  # (float32 value, expected bfloat16 bits), round half to even
    (1.0, 0x3F80), (-2.5, 0xC020), (0.0, 0x0000), (-0.0, 0x8000),
    (1 + 2**-8, 0x3F80),            # exactly half way between 0x3F80 and 0x3F81: to even
    (1 + 3 * 2**-8, 0x3F82),        # half way between 0x3F81 and 0x3F82: to even
    (1 + 2**-8 + 2**-20, 0x3F81),   # just above half way: up
    (3.0e38, 0x7F62), (1e-40, 0x0001),  # large finite; subnormal
]


def test_bfloat16_storage_bits_and_attribute(tmp_path):
    x = np.array([v for v, _ in BF16_CASES], dtype=np.float32)
    d = tmp_path / "m"
    d.mkdir()
    save_file({"wte.weight": x.reshape(1, -1)}, str(d / "model.safetensors"))
    write_config(d, gpt2_config())
    out = tmp_path / "bf16.h5"
    assert convert.main([str(d), str(out), "--dtype", "bfloat16"]) == 0
    _, weights, _ = read_checkpoint(out)
    y, ds_attrs = weights["wte.weight"]
    assert y.dtype == np.uint16 and ds_attrs == {"dtype": "bfloat16"}
    assert [hex(b) for b in y.ravel()] == [hex(b) for _, b in BF16_CASES]


def test_bfloat16_matches_torch_when_available(tmp_path, rng):
    torch = pytest.importorskip("torch", reason="torch not installed: cross-check skipped", exc_type=ImportError)
    d, state = make_gpt2_dir(tmp_path, rng)
    out = tmp_path / "bf16.h5"
    assert convert.main([str(d), str(out), "--dtype", "bfloat16"]) == 0
    _, weights, _ = read_checkpoint(out)
    for name, x in state.items():
        ref = torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
        np.testing.assert_array_equal(weights[name][0], ref)


def test_float16_overflow_is_refused_naming_the_tensor(tmp_path, rng):
    state = gpt2_state(rng)
    state["h.1.mlp.c_fc.bias"][3] = 70000.0
    d, _ = make_gpt2_dir(tmp_path, rng, state)
    with pytest.raises(convert.ConvertError, match=r"'h\.1\.mlp\.c_fc\.bias'.*flat index 3.*float16"):
        convert.convert(str(d), str(tmp_path / "x.h5"), "float16")
    assert not (tmp_path / "x.h5").exists()


def test_bfloat16_and_float16_sources_widen_exactly(tmp_path, rng):
    torch = pytest.importorskip("torch", reason="torch not installed: bfloat16 safetensors need it", exc_type=ImportError)
    from safetensors.torch import save_file as save_torch
    state = gpt2_state(rng)
    tensors = {k: torch.from_numpy(v).to(torch.bfloat16) for k, v in state.items()}
    tensors["wte.weight"] = torch.from_numpy(state["wte.weight"]).to(torch.float16)
    d = tmp_path / "bf"
    d.mkdir()
    save_torch(tensors, str(d / "model.safetensors"))
    write_config(d, gpt2_config())
    out = tmp_path / "out.h5"
    assert convert.main([str(d), str(out)]) == 0
    _, weights, _ = read_checkpoint(out)
    for name, t in tensors.items():
        np.testing.assert_array_equal(weights[name][0], t.float().numpy())


def test_pytorch_bin(tmp_path, rng):
    torch = pytest.importorskip("torch", reason="torch not installed: .bin checkpoints need it", exc_type=ImportError)
    state = llama_state(rng, tied=True)
    d = tmp_path / "bin"
    d.mkdir()
    tensors = {k: torch.from_numpy(v) for k, v in state.items()}
    tensors["model.norm.weight"] = tensors["model.norm.weight"].to(torch.bfloat16)
    torch.save(tensors, str(d / "pytorch_model.bin"))
    write_config(d, llama_config(tied=True))
    out = tmp_path / "bin.h5"
    assert convert.main([str(d), str(out)]) == 0
    attrs, weights, _ = read_checkpoint(out)
    assert attrs["source_format"] == "pytorch-bin"
    assert set(weights) == set(tensors)
    for name, t in tensors.items():
        np.testing.assert_array_equal(weights[name][0], t.float().numpy())


def test_output_is_byte_identical_across_runs(tmp_path, rng):
    d, _ = make_gpt2_dir(tmp_path, rng)
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert convert.main([str(d), str(a)]) == 0
    assert convert.main([str(d), str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_debian_hdf5_tools_read_the_file(tmp_path, rng):
    if shutil.which("h5dump") is None:
        pytest.skip("h5dump (hdf5-tools) not installed")
    d, _ = make_gpt2_dir(tmp_path, rng)
    out = tmp_path / "c.h5"
    assert convert.main([str(d), str(out), "--dtype", "bfloat16"]) == 0
    run = subprocess.run(["h5dump", "-A", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "softq_format" in run.stdout and "bfloat16" in run.stdout


# ---------------------------------------------------------------------------------------
# Refusals

def run_cli(*args):
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, "convert.py"), *map(str, args)],
                          capture_output=True, text=True)


def test_missing_config_is_refused_with_exit_1(tmp_path, rng):
    d, _ = make_gpt2_dir(tmp_path, rng)
    (d / "config.json").unlink()
    run = run_cli(d, tmp_path / "o.h5")
    assert run.returncode == 1
    assert "config.json is missing" in run.stderr
    assert not (tmp_path / "o.h5").exists()


def test_unknown_model_type_is_refused(tmp_path, rng):
    d, _ = make_gpt2_dir(tmp_path, rng)
    write_config(d, {"model_type": "bert", "hidden_size": 8})
    with pytest.raises(convert.ConvertError, match=r"model_type 'bert'.*gpt2, llama"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    write_config(d, {"hidden_size": 8})
    with pytest.raises(convert.ConvertError, match="no model_type key"):
        convert.convert(str(d), str(tmp_path / "o.h5"))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_tensor_is_refused_and_nothing_is_left_behind(tmp_path, rng, bad):
    state = gpt2_state(rng)
    state["h.1.attn.c_proj.weight"][2, 5] = bad
    d, _ = make_gpt2_dir(tmp_path, rng, state)
    run = run_cli(d, tmp_path / "o.h5")
    assert run.returncode == 1
    assert re.search(r"tensor 'h\.1\.attn\.c_proj\.weight' has a non-finite value .* flat index 21",
                     run.stderr), run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpt2"]  # no output, no temp file


def test_existing_output_needs_force(tmp_path, rng):
    d, state = make_gpt2_dir(tmp_path, rng)
    out = tmp_path / "o.h5"
    out.write_bytes(b"keep me")
    run = run_cli(d, out)
    assert run.returncode == 1 and "--force" in run.stderr
    assert out.read_bytes() == b"keep me"
    run = run_cli(d, out, "--force")
    assert run.returncode == 0, run.stderr
    _, weights, _ = read_checkpoint(out)
    np.testing.assert_array_equal(weights["wte.weight"][0], state["wte.weight"])


def test_missing_source_and_missing_weights_are_refused(tmp_path):
    with pytest.raises(convert.ConvertError, match="no such file or directory"):
        convert.convert(str(tmp_path / "nope"), str(tmp_path / "o.h5"))
    d = tmp_path / "empty"
    d.mkdir()
    write_config(d, gpt2_config())
    with pytest.raises(convert.ConvertError, match="no weights found"):
        convert.convert(str(d), str(tmp_path / "o.h5"))


def test_converter_version_matches_softq_version():
    text = open(os.path.join(REPO, "Sources", "SoftQBase", "Version.swift"), encoding="utf-8").read()
    assert re.search(r'string = "([^"]+)"', text).group(1) == convert.CONVERTER_VERSION


# ---------------------------------------------------------------------------------------
# GGUF

try:
    import gguf
except ImportError:  # the HF-directory tests above still run
    gguf = None
pytestmark_gguf = pytest.mark.skipif(gguf is None, reason="gguf not installed (pip install gguf)")

HF_TO_GGUF_LAYER = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
                    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
                    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
HF_TO_GGUF_GLOBAL = {"model.embed_tokens.weight": "token_embd.weight",
                     "model.norm.weight": "output_norm.weight", "lm_head.weight": "output.weight"}
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = [("h", "e"), ("l", "l"), ("he", "ll"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or"),
          ("l", "d"), ("Ġwor", "ld"), ("hell", "o"), ("1", "2")]  # 12 must stay split: Digits
TEXTS = ["hello world", "hello 123 world!", "<|im_start|>hello<|im_end|>", "héllo\n\n wörld  x",
         "Ünïcödé 日本語 🙂"]


def hf_to_gguf_name(name):
    if name in HF_TO_GGUF_GLOBAL:
        return HF_TO_GGUF_GLOBAL[name]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)", name)
    return f"blk.{m.group(1)}.{HF_TO_GGUF_LAYER[m.group(2)]}.{m.group(3)}"


def llamacpp_permute(w, n_head):
    """llama.cpp's HF→GGUF row order, written out index by index: GGUF row h·d + 2i + s holds
    HF row h·d + s·d/2 + i (s ∈ {0, 1}), pairing the rotate_half halves for its rope kernel."""
    d = w.shape[0] // n_head
    out = np.empty_like(w)
    for h in range(n_head):
        for i in range(d // 2):
            for s in range(2):
                out[h * d + 2 * i + s] = w[h * d + s * (d // 2) + i]
    return out


def reference_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    tokens = SPECIALS + alphabet + ["".join(m) for m in MERGES]
    tok = Tokenizer(models.BPE({t: i for i, t in enumerate(tokens)}, MERGES))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIALS)
    return tok, tokens


LLAMA = dict(hidden=32, heads=4, kv_heads=2, ff=64, layers=2)


def write_gguf(path, state, tokens, arch="llama", add_bos=False, quantized=(), half=(),
               extra=None, pre="smollm", more_meta=None):
    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(LLAMA["layers"])
    w.add_context_length(64)
    w.add_embedding_length(LLAMA["hidden"])
    w.add_feed_forward_length(LLAMA["ff"])
    w.add_head_count(LLAMA["heads"])
    w.add_head_count_kv(LLAMA["kv_heads"])
    w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types([3 if t in SPECIALS else 1 for t in tokens])
    w.add_token_merges([f"{a} {b}" for a, b in MERGES])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_add_bos_token(add_bos)
    if more_meta is not None:
        more_meta(w)
    for name, x in state.items():
        g = hf_to_gguf_name(name)
        if ".q_proj." in name:
            x = llamacpp_permute(x, LLAMA["heads"])
        elif ".k_proj." in name:
            x = llamacpp_permute(x, LLAMA["kv_heads"])
        if g in quantized:
            q8 = gguf.GGMLQuantizationType.Q8_0
            w.add_tensor(g, gguf.quants.quantize(x, q8), raw_dtype=q8)
        elif g in half:
            w.add_tensor(g, x.astype(np.float16))
        else:
            w.add_tensor(g, x)
    for g, x in (extra or {}).items():
        w.add_tensor(g, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@pytestmark_gguf
def test_unpermute_inverts_llamacpp_permutation():
    rng = np.random.default_rng(7)
    for n_head, d, cols in [(1, 2, 3), (4, 8, 5), (3, 64, 2), (9, 64, 1)]:
        w = rng.standard_normal((n_head * d, cols)).astype(np.float32)
        np.testing.assert_array_equal(convert.unpermute_qk(llamacpp_permute(w, n_head), n_head), w)
        b = w[:, 0].copy()  # biases are permuted the same way
        np.testing.assert_array_equal(convert.unpermute_qk(llamacpp_permute(b, n_head), n_head), b)
    with pytest.raises(convert.ConvertError):
        convert.unpermute_qk(np.zeros((6, 2), np.float32), 4)


@pytestmark_gguf
def test_permutation_turns_rotate_half_rope_into_adjacent_pair_rope():
    """Why the permutation exists: HF's rope rotates (i, i + d/2) pairs, llama.cpp's (2i, 2i+1)."""
    rng = np.random.default_rng(8)
    d, pos, base = 8, 5, 10000.0
    theta = pos * base ** (-np.arange(d // 2) * 2.0 / d)
    cos, sin = np.cos(theta), np.sin(theta)
    q = rng.standard_normal(d)
    lo, hi = q[: d // 2], q[d // 2:]
    hf = np.concatenate([lo * cos - hi * sin, hi * cos + lo * sin])  # rotate_half form
    p = llamacpp_permute(q.reshape(d, 1), 1).ravel()
    ev, od = p[0::2], p[1::2]
    gg = np.empty(d)
    gg[0::2], gg[1::2] = ev * cos - od * sin, od * cos + ev * sin  # adjacent-pair form
    np.testing.assert_allclose(convert.unpermute_qk(gg.reshape(d, 1), 1).ravel(), hf, rtol=0, atol=1e-12)


@pytestmark_gguf
@pytest.mark.parametrize("tied", [True, False])
def test_gguf_llama_round_trip(tmp_path, tied):
    rng = np.random.default_rng(42)
    ref_tok, tokens = reference_tokenizer()
    state = llama_state(rng, vocab=len(tokens), tied=tied, **LLAMA)
    quantized = {"blk.0.attn_q.weight", "blk.1.ffn_down.weight"}
    half = {"blk.1.attn_k.weight", "blk.0.attn_v.weight"}
    path = tmp_path / "tiny.gguf"
    write_gguf(path, state, tokens, quantized=quantized, half=half)
    out = tmp_path / "tiny.h5"
    assert convert.main([str(path), str(out)]) == 0
    attrs, weights, tok_json = read_checkpoint(out)

    assert set(weights) == set(state)
    for name, x in state.items():
        y = weights[name][0]
        assert y.dtype == np.float32 and y.shape == x.shape, name
        g = hf_to_gguf_name(name)
        if g in quantized:
            # Q8_0: per block of 32, q = round(x / d) with d = max|x|/127, stored as float16 d';
            # |q·d' − x| ≤ d/2 + 127·d·2⁻¹¹ < 0.57·d, and d ≤ max|x| / 127 over the tensor.
            step = np.abs(x).max() / 127
            assert np.abs(y - x).max() <= 0.57 * step, name
            assert np.abs(y - x).max() > 0, name  # it really went through Q8_0
            q8 = gguf.GGMLQuantizationType.Q8_0
            heads = LLAMA["heads"] if ".q_proj." in name else None
            stored = x if heads is None else llamacpp_permute(x, heads)
            exact = gguf.quants.dequantize(gguf.quants.quantize(stored, q8), q8)
            np.testing.assert_array_equal(y, exact if heads is None else convert.unpermute_qk(exact, heads))
        elif g in half:
            np.testing.assert_array_equal(y, x.astype(np.float16).astype(np.float32))
        else:
            np.testing.assert_array_equal(y, x)

    config = json.loads(attrs["config"])
    assert config == {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
        "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 8, "max_position_embeddings": 64,
        "rms_norm_eps": 1e-06, "rope_theta": 500000.0, "vocab_size": len(tokens),
        "hidden_act": "silu", "tie_word_embeddings": tied, "bos_token_id": 1, "eos_token_id": 2}
    assert attrs["model_type"] == "llama" and attrs["source_format"] == "gguf"
    assert attrs["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert attrs["source_quantization"] == "F16:2,F32:{},Q8_0:2".format(len(state) - 4)

    from tokenizers import Tokenizer
    rebuilt = Tokenizer.from_str(tok_json)
    for text in TEXTS:
        assert rebuilt.encode(text).ids == ref_tok.encode(text).ids, text
        assert rebuilt.decode(rebuilt.encode(text).ids, skip_special_tokens=False) == text
    assert rebuilt.encode("<|im_end|>").ids == [2]


@pytestmark_gguf
def test_gguf_add_bos_token_becomes_a_template(tmp_path):
    from tokenizers import Tokenizer
    rng = np.random.default_rng(3)
    ref_tok, tokens = reference_tokenizer()
    state = llama_state(rng, vocab=len(tokens), tied=True, **LLAMA)
    path = tmp_path / "bos.gguf"
    write_gguf(path, state, tokens, add_bos=True)
    out = tmp_path / "bos.h5"
    assert convert.main([str(path), str(out)]) == 0
    rebuilt = Tokenizer.from_str(read_checkpoint(out)[2])
    assert rebuilt.encode("hello world").ids == [1] + ref_tok.encode("hello world").ids


@pytestmark_gguf
def test_gguf_unknown_pre_tokenizer_writes_no_tokenizer(tmp_path, capsys):
    rng = np.random.default_rng(4)
    _, tokens = reference_tokenizer()
    state = llama_state(rng, vocab=len(tokens), tied=True, **LLAMA)
    path = tmp_path / "pre.gguf"
    write_gguf(path, state, tokens, pre="made-up")
    out = tmp_path / "pre.h5"
    assert convert.main([str(path), str(out)]) == 0
    assert read_checkpoint(out)[2] is None
    assert "pre-tokenizer 'made-up'" in capsys.readouterr().err


@pytestmark_gguf
def test_gguf_refusals(tmp_path):
    rng = np.random.default_rng(5)
    _, tokens = reference_tokenizer()
    state = llama_state(rng, vocab=len(tokens), tied=True, **LLAMA)
    odd = tmp_path / "odd.gguf"
    write_gguf(odd, state, tokens, extra={"blk.0.attn_weird.weight": np.ones(4, np.float32)})
    with pytest.raises(convert.ConvertError, match=r"'blk\.0\.attn_weird\.weight' has no known"):
        convert.convert(str(odd), str(tmp_path / "o.h5"))
    other = tmp_path / "other.gguf"
    write_gguf(other, state, tokens, arch="falcon")
    with pytest.raises(convert.ConvertError, match="architecture 'falcon'"):
        convert.convert(str(other), str(tmp_path / "o.h5"))
    bad = dict(state)
    bad["model.layers.1.mlp.up_proj.weight"] = bad["model.layers.1.mlp.up_proj.weight"].copy()
    bad["model.layers.1.mlp.up_proj.weight"][0, 0] = np.nan
    nan = tmp_path / "nan.gguf"
    write_gguf(nan, bad, tokens)
    with pytest.raises(convert.ConvertError, match=r"'model\.layers\.1\.mlp\.up_proj\.weight'.*non-finite"):
        convert.convert(str(nan), str(tmp_path / "o.h5"))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model")
    with pytest.raises(convert.ConvertError, match="neither a model directory nor a GGUF file"):
        convert.convert(str(junk), str(tmp_path / "o.h5"))
    assert not (tmp_path / "o.h5").exists()


def test_shard_index_must_match_the_shards(tmp_path, rng):
    d = tmp_path / "sharded"
    d.mkdir()
    state = llama_state(rng)
    save_file(state, str(d / "model-00001-of-00001.safetensors"))
    weight_map = {k: "model-00001-of-00001.safetensors" for k in state}
    weight_map["model.extra.weight"] = "model-00001-of-00001.safetensors"
    (d / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    write_config(d, llama_config())
    with pytest.raises(convert.ConvertError, match=r"in no shard: model\.extra\.weight"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    weight_map["model.extra.weight"] = "model-00002-of-00002.safetensors"
    (d / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    with pytest.raises(convert.ConvertError, match="is listed but not present"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sharded"]


def test_split_patterns_agree_with_transformers_when_available():
    """The llama-bpe and qwen2 regexes are facts; transformers' GGUF loader states them too."""
    try:
        from transformers.integrations.gguf.gguf_tokenizer_mapping import GGUF_PRE_TOKENIZER_SPLITS
    except ImportError:
        pytest.skip("this transformers version has no GGUF tokenizer mapping to compare with")
    for pre in ("llama-bpe", "qwen2"):
        assert convert.PRE_TOKENIZERS[pre]["pretokenizers"][0]["pattern"]["Regex"] == \
            GGUF_PRE_TOKENIZER_SPLITS[pre], pre


# ---------------------------------------------------------------------------------------
# Tokenizer files: tokenizer_config.json, chat templates, generation_config

def read_tokenizer_files(path):
    with h5py.File(path, "r") as f:
        files = {k: v[()].decode("utf-8") for k, v in f["tokenizer"].items()} if "tokenizer" in f else {}
        generation = f.attrs.get("generation_config")
    return files, generation


def test_hf_directory_tokenizer_config_named_templates_and_generation_config(tmp_path, rng):
    d, _ = make_gpt2_dir(tmp_path, rng)
    config_text = json.dumps({"bos_token": "<s>", "add_bos_token": True, "chat_template": [
        {"name": "default", "template": "{{ messages[0]['content'] }}"},
        {"name": "tool_use", "template": "{{ tools }}"}]}, indent=1)
    (d / "tokenizer_config.json").write_text(config_text, encoding="utf-8")
    gen_text = '{\n  "eos_token_id": [2, 7],\n  "bos_token_id": 1\n}\n'
    (d / "generation_config.json").write_text(gen_text, encoding="utf-8")
    out = tmp_path / "t.h5"
    assert convert.main([str(d), str(out)]) == 0
    files, generation = read_tokenizer_files(out)
    assert files == {"tokenizer.json": TOKENIZER_TEXT, "tokenizer_config.json": config_text,  # verbatim
                     "chat_template.jinja": "{{ messages[0]['content'] }}",
                     "chat_template.tool_use.jinja": "{{ tools }}"}
    assert generation == gen_text

    # chat_template.jinja (and additional_chat_templates/) win over the embedded templates.
    (d / "chat_template.jinja").write_text("FILE {{ x }}é", encoding="utf-8")
    (d / "additional_chat_templates").mkdir()
    (d / "additional_chat_templates" / "rag.jinja").write_text("RAG", encoding="utf-8")
    assert convert.main([str(d), str(out), "--force"]) == 0
    files, _ = read_tokenizer_files(out)
    assert files["chat_template.jinja"] == "FILE {{ x }}é"
    assert files["chat_template.rag.jinja"] == "RAG" and files["chat_template.tool_use.jinja"] == "{{ tools }}"


def test_hf_directory_template_string_and_bad_files(tmp_path, rng):
    d, _ = make_gpt2_dir(tmp_path, rng)
    (d / "tokenizer_config.json").write_text('{"chat_template": "{{ bos_token }}"}', encoding="utf-8")
    out = tmp_path / "t.h5"
    assert convert.main([str(d), str(out)]) == 0
    assert read_tokenizer_files(out)[0]["chat_template.jinja"] == "{{ bos_token }}"
    (d / "tokenizer_config.json").write_text('{"chat_template": [{"name": "../x", "template": "t"}]}')
    with pytest.raises(convert.ConvertError, match="cannot be a dataset name"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    (d / "tokenizer_config.json").write_text('{"chat_template": 3}')
    with pytest.raises(convert.ConvertError, match="chat_template must be a string or a list"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    (d / "tokenizer_config.json").unlink()
    (d / "generation_config.json").write_text("[1, 2]")
    with pytest.raises(convert.ConvertError, match=r"generation_config\.json: expected a JSON object"):
        convert.convert(str(d), str(tmp_path / "o.h5"))
    assert not (tmp_path / "o.h5").exists()


@pytestmark_gguf
def test_gguf_chat_templates_and_generated_configs(tmp_path):
    rng = np.random.default_rng(9)
    _, tokens = reference_tokenizer()
    state = llama_state(rng, vocab=len(tokens), tied=True, **LLAMA)
    path = tmp_path / "chat.gguf"

    def meta(w):
        w.add_chat_template("{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}")
        w.add_string("tokenizer.chat_template.tool_use", "TOOLS {{ tools }}")
        w.add_uint32("tokenizer.ggml.eot_token_id", 2)
        w.add_uint32("tokenizer.ggml.eom_token_id", 0)
        w.add_pad_token_id(0)
    write_gguf(path, state, tokens, add_bos=True, more_meta=meta)
    out = tmp_path / "chat.h5"
    assert convert.main([str(path), str(out)]) == 0
    files, generation = read_tokenizer_files(out)
    assert files["chat_template.jinja"].startswith("{% for m in messages %}")
    assert files["chat_template.tool_use.jinja"] == "TOOLS {{ tools }}"
    assert json.loads(files["tokenizer_config.json"]) == {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<|im_start|>", "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>"}
    # EOS first, then the end-of-turn and end-of-message ids (eot = eos here, listed once).
    assert json.loads(generation) == {"bos_token_id": 1, "eos_token_id": [2, 0], "pad_token_id": 0}


# ---------------------------------------------------------------------------------------
# GGUF architectures beyond llama: names, value fixes, configuration

# Per architecture: (GGUF layer tensor, Hugging Face name) — stated here independently of the
# converter's tables, from llama.cpp's tensor naming and the transformers state dicts.
ARCH_LAYERS = {
    "qwen2": [("attn_norm", "input_layernorm"), ("ffn_norm", "post_attention_layernorm"),
              ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
              ("attn_output", "self_attn.o_proj"), ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
              ("ffn_down", "mlp.down_proj")],
    "gemma2": [("attn_norm", "input_layernorm"), ("post_attention_norm", "post_attention_layernorm"),
               ("ffn_norm", "pre_feedforward_layernorm"), ("post_ffw_norm", "post_feedforward_layernorm"),
               ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
               ("attn_output", "self_attn.o_proj"), ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
               ("ffn_down", "mlp.down_proj")],
    "phi3": [("attn_norm", "input_layernorm"), ("attn_qkv", "self_attn.qkv_proj"),
             ("attn_output", "self_attn.o_proj"), ("ffn_norm", "post_attention_layernorm"),
             ("ffn_up", "mlp.gate_up_proj"), ("ffn_down", "mlp.down_proj")],
    "olmo2": [("post_attention_norm", "post_attention_layernorm"), ("post_ffw_norm", "post_feedforward_layernorm"),
              ("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
              ("attn_output", "self_attn.o_proj"), ("attn_q_norm", "self_attn.q_norm"),
              ("attn_k_norm", "self_attn.k_norm"), ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
              ("ffn_down", "mlp.down_proj")],
}
ARCH_LAYERS["qwen3"] = ARCH_LAYERS["qwen2"] + [("attn_q_norm", "self_attn.q_norm"), ("attn_k_norm", "self_attn.k_norm")]
ARCH_LAYERS["gemma"] = ARCH_LAYERS["qwen2"]
ARCH_LAYERS["gemma3"] = ARCH_LAYERS["gemma2"] + [("attn_q_norm", "self_attn.q_norm"), ("attn_k_norm", "self_attn.k_norm")]
MODEL_TYPES = {"qwen2": "qwen2", "qwen3": "qwen3", "gemma": "gemma", "gemma2": "gemma2", "gemma3": "gemma3_text",
               "phi3": "phi3", "olmo2": "olmo2"}


def write_arch_gguf(path, arch, tensors, layers=2, tokenizer="gpt2", meta=None):
    """A GGUF of architecture `arch` with the given (GGUF-named) tensors and a small vocabulary."""
    w = gguf.GGUFWriter(str(path), arch)
    w.add_block_count(layers)
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(16)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_key_length(4)
    w.add_value_length(4)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(1e6)
    if tokenizer == "gpt2":
        _, tokens = reference_tokenizer()
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre("smollm")
        w.add_token_list(tokens)
        w.add_token_types([3 if t in SPECIALS else 1 for t in tokens])
        w.add_token_merges([f"{a} {b}" for a, b in MERGES])
    else:
        tokens, scores, types, specials = tokenizer
        w.add_tokenizer_model("llama")
        w.add_token_list(tokens)
        w.add_token_scores(scores)
        w.add_token_types(types)
        w.add_bos_token_id(specials["bos"])
        w.add_eos_token_id(specials["eos"])
        w.add_unk_token_id(specials["unk"])
        if "pad" in specials:
            w.add_pad_token_id(specials["pad"])
    if meta is not None:
        meta(w)
    for name, x in tensors.items():
        w.add_tensor(name, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def arch_tensors(arch, rng, layers=2, vocab=None):
    vocab = vocab or len(reference_tokenizer()[1])
    out = {"token_embd.weight": rng.standard_normal((vocab, 8)).astype(np.float32),
           "output_norm.weight": rng.standard_normal(8).astype(np.float32)}
    for i in range(layers):
        for g, _ in ARCH_LAYERS[arch]:
            out[f"blk.{i}.{g}.weight"] = rng.standard_normal((8, 8) if not g.endswith("norm") else 8).astype(np.float32)
    if arch == "qwen2":
        for i in range(layers):
            for g in ("attn_q", "attn_k", "attn_v"):
                out[f"blk.{i}.{g}.bias"] = rng.standard_normal(8).astype(np.float32)
    return out


@pytestmark_gguf
@pytest.mark.parametrize("arch", sorted(ARCH_LAYERS))
def test_gguf_architecture_names_values_and_config(tmp_path, arch):
    rng = np.random.default_rng(len(arch))
    tensors = arch_tensors(arch, rng)
    path = tmp_path / f"{arch}.gguf"
    write_arch_gguf(path, arch, tensors)
    out = tmp_path / f"{arch}.h5"
    assert convert.main([str(path), str(out)]) == 0
    attrs, weights, tok = read_checkpoint(out)
    gemma = arch.startswith("gemma")
    expected = {"model.embed_tokens.weight": tensors["token_embd.weight"],
                "model.norm.weight": tensors["output_norm.weight"] - (1 if gemma else 0)}
    for i in range(2):
        for g, h in ARCH_LAYERS[arch]:
            x = tensors[f"blk.{i}.{g}.weight"]
            # Gemma's (1 + w) norms: llama.cpp stores w + 1. Nobody but llama is permuted.
            expected[f"model.layers.{i}.{h}.weight"] = x - 1 if gemma and g.endswith("norm") else x
        if arch == "qwen2":
            for g, h in (("attn_q", "q_proj"), ("attn_k", "k_proj"), ("attn_v", "v_proj")):
                expected[f"model.layers.{i}.self_attn.{h}.bias"] = tensors[f"blk.{i}.{g}.bias"]
    assert set(weights) == set(expected)
    for name, x in expected.items():
        np.testing.assert_array_equal(weights[name][0], x.astype(np.float32), err_msg=name)
    config = json.loads(attrs["config"])
    assert attrs["model_type"] == MODEL_TYPES[arch] == config["model_type"]
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
            config["num_key_value_heads"], config["head_dim"], config["rope_theta"]) == (8, 2, 2, 1, 4, 1e6)
    assert config["tie_word_embeddings"] is True
    assert config["hidden_act"] == ("gelu_pytorch_tanh" if gemma else "silu")
    if arch == "qwen2":
        assert config["attention_bias"] is True
    if arch == "gemma3":
        assert config["rope_local_base_freq"] == 10000.0 and config["query_pre_attn_scalar"] == 4
        assert config["layer_types"] == ["sliding_attention", "sliding_attention"]
    assert tok is not None  # the byte-level vocabulary is rebuilt whatever the architecture


@pytestmark_gguf
@pytest.mark.parametrize("parallel", [True, False])
def test_gguf_gptneox_names_qkv_layout_and_config(tmp_path, parallel):
    """GPT-NeoX (gguf's `gptneox` tensor names): every tensor gets its Hugging Face name, and
    the fused query_key_value is given back its per-head layout. The GGUF side is made from a
    Hugging Face layout the way llama.cpp's converter documents it (rows viewed as
    (heads, 3, head_dim), then all q blocks, all k blocks, all v blocks), so the test pins that
    the converter inverts exactly that."""
    rng = np.random.default_rng(7)
    vocab, hidden, heads, layers = len(reference_tokenizer()[1]), 8, 2, 2
    d = hidden // heads
    hf = {"gpt_neox.embed_in.weight": rng.standard_normal((vocab, hidden)),
          "embed_out.weight": rng.standard_normal((vocab, hidden)),
          "gpt_neox.final_layer_norm.weight": rng.standard_normal(hidden),
          "gpt_neox.final_layer_norm.bias": rng.standard_normal(hidden)}
    shapes = {"input_layernorm": (hidden,), "attention.query_key_value": (3 * hidden, hidden),
              "attention.dense": (hidden, hidden), "post_attention_layernorm": (hidden,),
              "mlp.dense_h_to_4h": (16, hidden), "mlp.dense_4h_to_h": (hidden, 16)}
    for i in range(layers):
        for name, shape in shapes.items():
            hf[f"gpt_neox.layers.{i}.{name}.weight"] = rng.standard_normal(shape)
            hf[f"gpt_neox.layers.{i}.{name}.bias"] = rng.standard_normal(shape[0])
    hf = {k: v.astype(np.float32) for k, v in hf.items()}
    gguf_names = {"gpt_neox.embed_in": "token_embd", "embed_out": "output",
                  "gpt_neox.final_layer_norm": "output_norm"}
    layer_names = {"input_layernorm": "attn_norm", "attention.query_key_value": "attn_qkv",
                   "attention.dense": "attn_output", "post_attention_layernorm": "ffn_norm",
                   "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}
    tensors = {}
    for name, x in hf.items():
        stem, kind = name.rsplit(".", 1)
        m = re.fullmatch(r"gpt_neox\.layers\.(\d+)\.(.+)", stem)
        g = f"blk.{m.group(1)}.{layer_names[m.group(2)]}" if m else gguf_names[stem]
        if g.endswith("attn_qkv"):
            per_head = x.reshape(heads, 3, d, *x.shape[1:])
            x = np.concatenate([per_head[:, part].reshape(-1, *x.shape[1:]) for part in range(3)])
        tensors[f"{g}.{kind}"] = np.ascontiguousarray(x)

    def meta(w):
        w.add_layer_norm_eps(1e-5)
        w.add_rope_dimension_count(2)
        w.add_parallel_residual(parallel)

    path = tmp_path / "neox.gguf"
    write_arch_gguf(path, "gptneox", tensors, meta=meta)
    out = tmp_path / "neox.h5"
    assert convert.main([str(path), str(out)]) == 0
    attrs, weights, _ = read_checkpoint(out)
    assert set(weights) == set(hf)
    for name, x in hf.items():
        np.testing.assert_array_equal(weights[name][0], x, err_msg=name)
    config = json.loads(attrs["config"])
    assert attrs["model_type"] == config["model_type"] == "gpt_neox"
    assert (config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"],
            config["intermediate_size"], config["max_position_embeddings"]) == (8, 2, 2, 16, 64)
    assert config["rotary_pct"] == 0.5 and config["rotary_emb_base"] == 1e6  # rope.freq_base of the file
    assert config["layer_norm_eps"] == 1e-5 and config["use_parallel_residual"] is parallel
    assert config["attention_bias"] is True and config["tie_word_embeddings"] is False
    assert config["hidden_act"] == "gelu"


@pytestmark_gguf
def test_gguf_gptneox_qkv_rows_must_split_into_heads(tmp_path):
    rng = np.random.default_rng(8)
    vocab = len(reference_tokenizer()[1])
    tensors = {"token_embd.weight": rng.standard_normal((vocab, 8)).astype(np.float32),
               "output.weight": rng.standard_normal((vocab, 8)).astype(np.float32),
               "blk.0.attn_qkv.weight": rng.standard_normal((20, 8)).astype(np.float32)}
    path = tmp_path / "bad.gguf"
    write_arch_gguf(path, "gptneox", tensors, layers=1, meta=lambda w: w.add_layer_norm_eps(1e-5))
    with pytest.raises(convert.ConvertError, match="attn_qkv has 20 rows, not 3 × 2 heads"):
        convert.convert(str(path), str(tmp_path / "bad.h5"))


@pytestmark_gguf
def test_gguf_rope_factor_tensors_are_refused(tmp_path):
    rng = np.random.default_rng(2)
    tensors = arch_tensors("phi3", rng)
    tensors["rope_factors_long.weight"] = np.ones(2, np.float32)
    path = tmp_path / "phi.gguf"
    write_arch_gguf(path, "phi3", tensors)
    with pytest.raises(convert.ConvertError, match="rope_factors_long.*rope scaling"):
        convert.convert(str(path), str(tmp_path / "o.h5"))


def _quant_types():
    if gguf is None:
        return []
    plain = {"F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64"}
    out = []
    for q in gguf.GGMLQuantizationType:
        if q.name in plain:
            continue
        block, size = gguf.GGML_QUANT_SIZES[q]
        try:
            gguf.quants.dequantize(np.zeros((1, size), np.uint8), q)
        except NotImplementedError:
            continue  # the package cannot dequantize it; the converter refuses it by name
        out.append(q.name)
    return out


@pytestmark_gguf
@pytest.mark.parametrize("qname", _quant_types())
def test_every_quantization_the_package_dequantizes(tmp_path, qname):
    """Random block bytes of each type (re-drawn until finite), stored raw, must come out exactly
    as the gguf package's own dequantize gives them."""
    q = gguf.GGMLQuantizationType[qname]
    block, size = gguf.GGML_QUANT_SIZES[q]
    rng = np.random.default_rng(sum(map(ord, qname)))
    per_row = max(1, 256 // block)
    for _ in range(200):
        raw = rng.integers(0, 256, size=(3, per_row * size), dtype=np.uint8)
        with np.errstate(all="ignore"):  # random scales may be NaN or Inf: drawn again
            want = gguf.quants.dequantize(raw, q)
        if np.isfinite(want).all():
            break
    else:
        pytest.fail(f"no finite random blocks for {qname}")
    tensors = arch_tensors("qwen2", np.random.default_rng(1), layers=1)
    path = tmp_path / "q.gguf"
    w = gguf.GGUFWriter(str(path), "qwen2")
    for key, value in (("block_count", 1), ("context_length", 8), ("embedding_length", 8),
                       ("feed_forward_length", 16), ("attention.head_count", 2)):
        w.add_uint32(f"qwen2.{key}", value)
    w.add_float32("qwen2.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_tensor("token_embd.weight", tensors["token_embd.weight"])
    w.add_tensor("blk.0.ffn_down.weight", raw, raw_dtype=q)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    out = tmp_path / "q.h5"
    assert convert.main([str(path), str(out)]) == 0
    attrs, weights, _ = read_checkpoint(out)
    got = weights["model.layers.0.mlp.down_proj.weight"][0]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want.astype(np.float32))
    assert f"{qname}:1" in attrs["source_quantization"]


# ---------------------------------------------------------------------------------------
# SentencePiece vocabularies in GGUF (tokenizer.ggml.model = "llama")

import sp_vocab  # noqa: E402

SP_FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sp-gguf-ids.json")


def convert_sp(tmp_path, arch, style, add_bos=None):
    tokens = sp_vocab.vocabulary(style)[0]
    path = tmp_path / f"{arch}.gguf"
    sp_vocab.write_sp_gguf(path, arch, style, sp_vocab.tiny_tensors(len(tokens)), add_bos=add_bos)
    out = tmp_path / f"{arch}.h5"
    assert convert.main([str(path), str(out)]) == 0
    return path, read_checkpoint(out)[2], read_tokenizer_files(out)


@pytestmark_gguf
@pytest.mark.parametrize("arch,style", sp_vocab.CASES)
def test_sentencepiece_gguf_matches_recorded_transformers_ids(tmp_path, arch, style):
    """The rebuilt tokenizer.json, run by `tokenizers`, against ids transformers gave for the
    same GGUF (Scripts/reference/make_convert_fixtures.py): no transformers needed here."""
    from tokenizers import Tokenizer
    with open(SP_FIXTURE, encoding="utf-8") as f:
        fixture = json.load(f)
    assert fixture["format_version"] == 1
    _, tok_json, (files, generation) = convert_sp(tmp_path, arch, style)
    tok = Tokenizer.from_str(tok_json)
    rows = fixture["cases"][arch]
    assert [r["text"] for r in rows] == sp_vocab.TEXTS
    for r in rows:
        assert tok.encode(r["text"], add_special_tokens=False).ids == r["ids"], (arch, r["text"])
        assert tok.encode(r["text"], add_special_tokens=True).ids == r["ids_special"], (arch, r["text"])
        assert tok.decode(r["ids"], skip_special_tokens=False) == r["decoded"], (arch, r["text"])
    # Byte fallback is exercised (an emoji has no piece) and BOS is added by default.
    emoji = next(r for r in rows if "\U0001F600" in r["text"])
    assert any(tok.id_to_token(i).startswith("<0x") for i in emoji["ids"])
    specials = sp_vocab.vocabulary(style)[3]
    assert all(r["ids_special"][:1] == [specials["bos"]] for r in rows)
    config = json.loads(files["tokenizer_config.json"])
    assert config["add_bos_token"] is True and config["bos_token"] == sp_vocab.vocabulary(style)[0][specials["bos"]]
    assert json.loads(generation)["eos_token_id"] == specials["eos"]


@pytestmark_gguf
@pytest.mark.parametrize("arch,style", sp_vocab.CASES)
def test_sentencepiece_gguf_matches_transformers_live(tmp_path, arch, style):
    try:
        from transformers import AutoTokenizer
    except ImportError:
        pytest.skip("transformers not installed: the recorded-ids test above covers this")
    from tokenizers import Tokenizer
    path, tok_json, _ = convert_sp(tmp_path, arch, style, add_bos=False)
    ours = Tokenizer.from_str(tok_json)
    theirs = AutoTokenizer.from_pretrained(str(tmp_path), gguf_file=path.name)
    texts = sp_vocab.TEXTS + ["".join(chr(c) for c in range(0x20, 0x7f)), " \u00a0\u3000 x", "a\u0301 e\u0301"]
    for text in texts:
        for special in (False, True):
            assert ours.encode(text, add_special_tokens=special).ids == \
                theirs.encode(text, add_special_tokens=special), (arch, text, special)
        ids = theirs.encode(text, add_special_tokens=False)
        assert ours.decode(ids, skip_special_tokens=False) == theirs.decode(ids), (arch, text)


def test_recovered_merges_order():
    """Merges from a vocabulary: by the merged piece's score, best first; then longer left,
    longer right; within one piece by the ids of its parts."""
    from gguf_tokenizer import recover_merges
    tokens = ["a", "b", "c", "ab", "bc", "abc"]
    scores = {"a": -9.0, "b": -9.0, "c": -9.0, "ab": -1.0, "bc": -2.0, "abc": -1.5}
    assert recover_merges(tokens, scores) == [("a", "b"), ("ab", "c"), ("a", "bc"), ("b", "c")]
