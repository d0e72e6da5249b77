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
        tok = f["tokenizer/tokenizer.json"][()].decode("utf-8") if "tokenizer" in f else None
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
    torch = pytest.importorskip("torch", reason="torch not installed: cross-check skipped")
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
    torch = pytest.importorskip("torch", reason="torch not installed: bfloat16 safetensors need it")
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
    torch = pytest.importorskip("torch", reason="torch not installed: .bin checkpoints need it")
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
