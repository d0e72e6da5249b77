#!/usr/bin/env python3
"""Convert a local Hugging Face model directory or a GGUF file into a softq checkpoint.

Usage:
    python3 Scripts/convert.py SOURCE OUTPUT.h5 [--dtype float32|float16|bfloat16] [--force]

SOURCE is either a directory holding config.json and safetensors or PyTorch .bin weights
(optionally sharded, optionally tokenizer.json), or a .gguf file (the architectures of
gguf_arch.py).
The output layout is docs/checkpoint-format (format version 1); docs/convert.md explains
what is recorded and what is not. Offline only: nothing is ever downloaded.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time

import numpy as np

from gguf_arch import ARCHITECTURES, ArchError, hf_config, hf_name, restore_values
from gguf_tokenizer import PRE_TOKENIZERS, adds_special, gguf_tokenizer  # noqa: F401 (PRE_TOKENIZERS: tests)

# Kept equal to SoftQVersion.string (Sources/SoftQBase/Version.swift); a test checks it.
CONVERTER_VERSION = "0.1.0"
SOFTQ_FORMAT = 1
SUPPORTED_MODEL_TYPES = ("gpt2", "llama", "mistral", "qwen2")
DTYPES = ("float32", "float16", "bfloat16")


class ConvertError(Exception):
    """A refusal with a message meant for the user; main() prints it and exits 1."""


# ----------------------------------------------------------------------------------------
# Hashing

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def combined_sha256(paths: list[str]) -> str:
    """One file: its SHA-256. Several shards: SHA-256 of their sorted hex digests, one per line.

    Equal to `sha256sum SHARDS | cut -d' ' -f1 | sort | sha256sum`, independent of file names.
    """
    digests = [sha256_file(p) for p in paths]
    if len(digests) == 1:
        return digests[0]
    text = "".join(d + "\n" for d in sorted(digests))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# ----------------------------------------------------------------------------------------
# Hugging Face directories

# safetensors element types (format: 8-byte little-endian header length, JSON header, data).
_ST_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}


def read_safetensors(path: str):
    """Yields (name, array, source dtype name) for every tensor, memory-mapped, in file order.

    Parsed by hand because safetensors' numpy backend has no bfloat16; BF16 comes back as the
    raw uint16 bits and is widened exactly in to_float32().
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw_len = f.read(8)
        if len(raw_len) != 8:
            raise ConvertError(f"{path}: not a safetensors file (shorter than 8 bytes)")
        header_len = int.from_bytes(raw_len, "little")
        if header_len > size - 8:
            raise ConvertError(f"{path}: header length {header_len} exceeds the file size {size}")
        try:
            header = json.loads(f.read(header_len).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConvertError(f"{path}: unreadable safetensors header: {e}") from e
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len) \
        if size > 8 + header_len else np.zeros(0, np.uint8)
    for name, info in header.items():
        if name == "__metadata__":
            continue
        st_dtype = info.get("dtype")
        if st_dtype not in _ST_DTYPES:
            raise ConvertError(f"{path}: tensor '{name}' has element type {st_dtype}, which the "
                               f"converter does not read (supported: {', '.join(_ST_DTYPES)})")
        dtype = np.dtype(_ST_DTYPES[st_dtype])
        shape = tuple(int(d) for d in info["shape"])
        begin, end = (int(x) for x in info["data_offsets"])
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if end - begin != expected or end > data.size:
            raise ConvertError(f"{path}: tensor '{name}' occupies bytes {begin}..{end} but shape "
                               f"{list(shape)} of {st_dtype} needs {expected} bytes within {data.size}")
        yield name, data[begin:end].view(dtype).reshape(shape), st_dtype


def read_torch_bin(path: str):
    """Yields (name, array, source dtype name) from a PyTorch pickle, loaded with weights_only."""
    try:
        import torch
    except ImportError as e:
        raise ConvertError(f"{path}: reading PyTorch .bin weights needs torch "
                           "(pip install torch), or convert the model to safetensors") from e
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for corrupt or unsafe pickles
        raise ConvertError(f"{path}: torch.load failed: {e}") from e
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            raise ConvertError(f"{path}: entry '{name}' is a {type(t).__name__}, not a tensor")
        src = str(t.dtype).replace("torch.", "")
        if t.dtype == torch.bfloat16:
            # bfloat16 has no numpy type: keep the raw bits, widened exactly later.
            yield name, t.contiguous().view(torch.int16).numpy().view("<u2"), "BF16"
        else:
            yield name, t.numpy(), src


def find_hf_weights(directory: str) -> tuple[str, list[str], dict | None]:
    """Returns (format, weight files, shard index's weight_map or None), preferring what
    Hugging Face itself prefers: safetensors over .bin, an index over a single file."""
    def index_files(index_name: str) -> tuple[list[str], dict]:
        path = os.path.join(directory, index_name)
        try:
            with open(path, encoding="utf-8") as f:
                weight_map = json.load(f)["weight_map"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise ConvertError(f"{path}: unreadable shard index ({e})") from e
        files = sorted(set(weight_map.values()))
        for name in files:
            if os.sep in name or name.startswith(".") or not os.path.isfile(os.path.join(directory, name)):
                raise ConvertError(f"{path}: shard '{name}' is listed but not present in {directory}")
        return [os.path.join(directory, n) for n in files], weight_map

    for index_name, fmt in (("model.safetensors.index.json", "safetensors-sharded"),
                            ("pytorch_model.bin.index.json", "pytorch-bin-sharded")):
        if os.path.isfile(os.path.join(directory, index_name)):
            return (fmt, *index_files(index_name))
    for file_name, fmt in (("model.safetensors", "safetensors"), ("pytorch_model.bin", "pytorch-bin")):
        if os.path.isfile(os.path.join(directory, file_name)):
            return fmt, [os.path.join(directory, file_name)], None
    raise ConvertError(f"{directory}: no weights found (looked for model.safetensors, "
                       "model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json)")


def load_hf_directory(directory: str) -> dict:
    config_path = os.path.join(directory, "config.json")
    if not os.path.isfile(config_path):
        raise ConvertError(f"{directory}: config.json is missing; a Hugging Face model directory "
                           "needs it to know the architecture")
    try:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConvertError(f"{config_path}: not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise ConvertError(f"{config_path}: expected a JSON object")
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        shown = "no model_type key" if model_type is None else f"model_type '{model_type}'"
        raise ConvertError(f"{config_path}: {shown}; softq supports "
                           f"{', '.join(SUPPORTED_MODEL_TYPES)}")
    fmt, files, weight_map = find_hf_weights(directory)
    reader = read_safetensors if fmt.startswith("safetensors") else read_torch_bin

    def tensors():
        seen = {}
        for path in files:
            for name, arr, src in reader(path):
                if name in seen:
                    raise ConvertError(f"tensor '{name}' appears in both {seen[name]} and {path}")
                if weight_map is not None and weight_map.get(name) != os.path.basename(path):
                    raise ConvertError(f"tensor '{name}' is in {path}, but the shard index says "
                                       f"{weight_map.get(name, 'nothing about it')}")
                seen[name] = path
                yield name, arr, src
        if weight_map is not None and set(weight_map) - set(seen):
            missing = sorted(set(weight_map) - set(seen))
            raise ConvertError(f"{len(missing)} tensor(s) of the shard index are in no shard: "
                               f"{', '.join(missing[:5])}")

    tokenizer = None
    tok_path = os.path.join(directory, "tokenizer.json")
    if os.path.isfile(tok_path):
        tokenizer = _read_text(tok_path)
    extras, generation = hf_tokenizer_extras(directory)
    return {"config": config, "model_type": model_type, "tensors": tensors, "tokenizer": tokenizer,
            "tokenizer_files": extras, "generation_config": generation,
            "format": fmt, "files": files, "notes": {}}


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ConvertError(f"{path}: unreadable ({e})") from e


def _json_object(path: str, text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConvertError(f"{path}: not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ConvertError(f"{path}: expected a JSON object")
    return value


_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def template_files(templates: dict[str, str], where: str) -> dict[str, str]:
    """Chat templates by name → dataset names: `default` is chat_template.jinja, another
    name N is chat_template.N.jinja (names must be plain: letters, digits, _ . -)."""
    out = {}
    for name, text in templates.items():
        if not isinstance(text, str):
            raise ConvertError(f"{where}: chat template '{name}' is not a string")
        if name == "default":
            out["chat_template.jinja"] = text
        elif _TEMPLATE_NAME.fullmatch(name) and name not in (".", ".."):
            out[f"chat_template.{name}.jinja"] = text
        else:
            raise ConvertError(f"{where}: chat template name {name!r} cannot be a dataset name")
    return out


def hf_tokenizer_extras(directory: str) -> tuple[dict[str, str], str | None]:
    """The optional tokenizer files of a Hugging Face directory: tokenizer_config.json
    (verbatim), the chat templates, and generation_config.json (verbatim JSON text).

    Templates, by precedence: chat_template.jinja (and additional_chat_templates/N.jinja, as
    transformers saves named ones), else tokenizer_config's `chat_template` — a string, or a
    list of {"name", "template"} whose `default` entry is the main template.
    """
    files: dict[str, str] = {}
    templates: dict[str, str] = {}
    config_path = os.path.join(directory, "tokenizer_config.json")
    if os.path.isfile(config_path):
        text = _read_text(config_path)
        files["tokenizer_config.json"] = text
        embedded = _json_object(config_path, text).get("chat_template")
        if isinstance(embedded, str):
            templates["default"] = embedded
        elif isinstance(embedded, list):
            for k, entry in enumerate(embedded):
                if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
                        or not isinstance(entry.get("template"), str):
                    raise ConvertError(f"{config_path}: chat_template[{k}] is not a "
                                       '{"name": ..., "template": ...} object')
                templates[entry["name"]] = entry["template"]
        elif embedded is not None:
            raise ConvertError(f"{config_path}: chat_template must be a string or a list of named templates")
    jinja = os.path.join(directory, "chat_template.jinja")
    if os.path.isfile(jinja):
        templates["default"] = _read_text(jinja)  # the file wins over the embedded string
    extra_dir = os.path.join(directory, "additional_chat_templates")
    if os.path.isdir(extra_dir):
        for name in sorted(os.listdir(extra_dir)):
            if name.endswith(".jinja"):
                templates[name[: -len(".jinja")]] = _read_text(os.path.join(extra_dir, name))
    files.update(template_files(templates, directory))
    generation = None
    gen_path = os.path.join(directory, "generation_config.json")
    if os.path.isfile(gen_path):
        generation = _read_text(gen_path)
        _json_object(gen_path, generation)
    return files, generation


_GGUF_SPECIALS = (("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"),
                  ("unk_token", "unknown_token_id"), ("pad_token", "padding_token_id"))


def gguf_tokenizer_extras(meta: dict) -> tuple[dict[str, str], str | None]:
    """What a GGUF file says beyond the vocabulary, in the checkpoint's Hugging Face form:
    its chat templates (`tokenizer.chat_template`, named ones `tokenizer.chat_template.N`), a
    generated tokenizer_config.json (special tokens by name, `add_bos_token`/`add_eos_token` as
    the rebuilt tokenizer applies them) and a generated generation_config (BOS, and as
    `eos_token_id` the EOS id followed by the end-of-turn `eot` and end-of-message `eom` ids
    when the file names them — every id that ends an episode)."""
    templates = {}
    prefix = "tokenizer.chat_template"
    for key, value in meta.items():
        if key == prefix:
            templates["default"] = value
        elif key.startswith(prefix + "."):
            templates[key[len(prefix) + 1:]] = value
    files = template_files(templates, "GGUF metadata")
    tokens = meta.get("tokenizer.ggml.tokens")
    ids = {}
    for _, key in _GGUF_SPECIALS + (("eot", "eot_token_id"), ("eom", "eom_token_id")):
        if f"tokenizer.ggml.{key}" in meta:
            tid = int(meta[f"tokenizer.ggml.{key}"])
            if tokens is not None and not 0 <= tid < len(tokens):
                raise ConvertError(f"GGUF metadata tokenizer.ggml.{key} = {tid} is outside the "
                                   f"{len(tokens)}-token vocabulary")
            ids[key] = tid
    if tokens is None:
        return files, None
    config = {"add_bos_token": adds_special(meta, "add_bos_token"),
              "add_eos_token": adds_special(meta, "add_eos_token")}
    for name, key in _GGUF_SPECIALS:
        if key in ids:
            config[name] = tokens[ids[key]]
    files["tokenizer_config.json"] = json.dumps(config, ensure_ascii=False, indent=2) + "\n"
    generation = {}
    if "bos_token_id" in ids:
        generation["bos_token_id"] = ids["bos_token_id"]
    ends = [ids[k] for k in ("eos_token_id", "eot_token_id", "eom_token_id") if k in ids]
    ends = list(dict.fromkeys(ends))
    if ends:
        generation["eos_token_id"] = ends[0] if len(ends) == 1 else ends
    if "padding_token_id" in ids:
        generation["pad_token_id"] = ids["padding_token_id"]
    return files, (json.dumps(generation, indent=2) + "\n") if generation else None


# ----------------------------------------------------------------------------------------
# Element types

def to_float32(name: str, arr: np.ndarray, src: str) -> np.ndarray:
    """Widens any stored type to float32; BF16 (raw uint16 bits) and F16 widen exactly."""
    if src == "BF16":
        return (arr.astype("<u4") << 16).view("<f4")
    if arr.dtype.kind == "f":
        return arr.astype("<f4")
    if arr.dtype.kind in "iub":
        out = arr.astype("<f4")
        if not np.array_equal(out.astype(np.float64), arr.astype(np.float64)):
            raise ConvertError(f"tensor '{name}': integer values are not exactly representable as float")
        return out
    raise ConvertError(f"tensor '{name}': element type {arr.dtype} cannot be stored")


def check_finite(name: str, x: np.ndarray, what: str = "") -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ConvertError(f"tensor '{name}' has a non-finite value ({x.ravel()[i]}) at flat index "
                           f"{i}{what}; the source is corrupt or diverged, nothing was written")


def from_float32(name: str, x: np.ndarray, dtype: str) -> np.ndarray:
    """float32 → stored type, rounding to nearest even; overflow to ±Inf is an error."""
    if dtype == "float32":
        return x
    if dtype == "float16":
        with np.errstate(over="ignore"):
            y = x.astype("<f2")
        check_finite(name, y, " after rounding to float16 (largest finite value 65504)")
        return y
    # bfloat16 = upper 16 bits of float32; add 0x7FFF plus the kept LSB to round half to even.
    bits = x.view("<u4")
    y = ((bits + (0x7FFF + ((bits >> 16) & 1))) >> 16).astype("<u2")
    if ((y & 0x7F80) == 0x7F80).any():
        check_finite(name, (y.astype("<u4") << 16).view("<f4"), " after rounding to bfloat16")
    return y


# ----------------------------------------------------------------------------------------
# GGUF (llama architecture)

def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """Undoes llama.cpp's HF→GGUF reordering of q_proj/k_proj rows (and biases).

    llama.cpp's convert_hf_to_gguf.py applies, per head of size d, the map
    GGUF row 2·i + s  ←  HF row s·d/2 + i   (s ∈ {0,1}, i < d/2),
    i.e. reshape(n_head, 2, d/2, …).swapaxes(1, 2): it interleaves the two rotate_half halves
    into the adjacent pairs its rope kernel rotates. The inverse reads the GGUF rows as
    (n_head, d/2, 2, …) and swaps the same two axes back.
    """
    rows = w.shape[0]
    if rows % (2 * n_head) != 0:
        raise ConvertError(f"cannot un-permute {rows} rows into {n_head} heads of even size")
    half = rows // n_head // 2
    return w.reshape(n_head, half, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _gguf_fields(reader) -> dict:
    """Metadata as plain Python values (strings decoded, arrays as lists)."""
    out = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        out[key] = field.contents()
    return out


def load_gguf(path: str) -> dict:
    try:
        import gguf
    except ImportError as e:
        raise ConvertError("reading GGUF files needs the gguf package (pip install gguf)") from e
    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, KeyError, OSError) as e:
        raise ConvertError(f"{path}: not a readable GGUF file: {e}") from e
    meta = _gguf_fields(reader)
    arch = meta.get("general.architecture")
    if arch not in ARCHITECTURES:
        raise ConvertError(f"{path}: GGUF architecture '{arch}' is not supported; the converter "
                           f"maps {', '.join(ARCHITECTURES)}")
    by_name = {t.name: t for t in reader.tensors}
    embd = by_name.get("token_embd.weight")
    if embd is None:
        raise ConvertError(f"{path}: GGUF file has no 'token_embd.weight' tensor")
    try:
        config = hf_config(meta, arch, "output.weight" in by_name, int(embd.shape[1]),
                           "blk.0.attn_q.bias" in by_name or "blk.0.attn_qkv.bias" in by_name)
        mapping = [(t, hf_name(arch, t.name)) for t in reader.tensors]  # fail before any work
    except ArchError as e:
        raise ConvertError(str(e)) from e
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)  # GPT-NeoX names no key/value head count
    permute = ARCHITECTURES[arch].permute_qk

    def tensors():
        for t, name in mapping:
            try:
                x = gguf.quants.dequantize(t.data, t.tensor_type)
            except NotImplementedError as e:
                raise ConvertError(f"GGUF tensor '{t.name}' is {t.tensor_type.name}, which the gguf "
                                   "package cannot dequantise") from e
            shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # GGUF lists dims inner first
            x = np.asarray(x, dtype="<f4").reshape(shape)
            if permute and ".attn_q." in t.name:
                x = unpermute_qk(x, heads)
            elif permute and ".attn_k." in t.name:
                x = unpermute_qk(x, kv_heads)
            try:
                x = restore_values(arch, t.name, x, heads)
            except ArchError as e:
                raise ConvertError(str(e)) from e
            yield name, x, "F32"

    tokenizer, tok_note = gguf_tokenizer(meta)
    counts: dict[str, int] = {}
    for t in reader.tensors:
        counts[t.tensor_type.name] = counts.get(t.tensor_type.name, 0) + 1
    extras, generation = gguf_tokenizer_extras(meta)
    return {"config": config, "model_type": config["model_type"], "tensors": tensors, "tokenizer": tokenizer,
            "tokenizer_files": extras, "generation_config": generation, "format": "gguf", "files": [path],
            "notes": {"tokenizer": tok_note,
                      "quantization": ",".join(f"{k}:{v}" for k, v in sorted(counts.items()))}}


# ----------------------------------------------------------------------------------------
# Writing

def write_checkpoint(out_path: str, model: dict, dtype: str, source: str, source_sha: str) -> tuple[int, int]:
    """Writes to a temporary name beside out_path and renames it when complete.

    Returns (tensor count, parameter count).
    """
    import h5py
    tmp = os.path.join(os.path.dirname(os.path.abspath(out_path)),
                       f".{os.path.basename(out_path)}.tmp-{os.getpid()}")
    n_tensors = n_params = 0
    try:
        # alignment: every dataset starts on a 64-byte boundary so Swift can memory-map it.
        with h5py.File(tmp, "w", alignment_threshold=1, alignment_interval=64) as f:
            f.attrs["softq_format"] = np.int64(SOFTQ_FORMAT)
            f.attrs["model_type"] = model["model_type"]
            try:
                f.attrs["config"] = json.dumps(model["config"], ensure_ascii=False, allow_nan=False)
            except ValueError as e:
                raise ConvertError(f"config has a value JSON cannot hold: {e}") from e
            f.attrs["source"] = source
            f.attrs["source_format"] = model["format"]
            f.attrs["source_sha256"] = source_sha
            f.attrs["converter"] = f"softq convert.py {CONVERTER_VERSION}"
            if "quantization" in model["notes"]:
                f.attrs["source_quantization"] = model["notes"]["quantization"]
            weights = f.create_group("weights")
            for name, arr, src in model["tensors"]():
                if not name or "/" in name:
                    raise ConvertError(f"tensor name '{name}' cannot be an HDF5 dataset name")
                x = to_float32(name, arr, src)
                check_finite(name, x)
                y = from_float32(name, x, dtype)
                # Contiguous (no chunks, no filters) and without timestamps: mappable, reproducible.
                ds = weights.create_dataset(name, data=y, track_times=False)
                if dtype == "bfloat16":
                    ds.attrs["dtype"] = "bfloat16"
                n_tensors += 1
                n_params += int(y.size)
            if model.get("generation_config") is not None:
                f.attrs["generation_config"] = model["generation_config"]
            texts = dict(model.get("tokenizer_files") or {})
            if model["tokenizer"] is not None:
                texts["tokenizer.json"] = model["tokenizer"]
            if texts:
                group = f.create_group("tokenizer")
                for name in sorted(texts):  # sorted: byte-identical files across runs
                    group.create_dataset(name, data=texts[name], dtype=h5py.string_dtype("utf-8"),
                                         track_times=False)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return n_tensors, n_params


def convert(source: str, output: str, dtype: str = "float32", force: bool = False) -> dict:
    """Converts SOURCE (HF directory or .gguf file) into OUTPUT; returns a summary dict."""
    if dtype not in DTYPES:
        raise ConvertError(f"--dtype must be one of {', '.join(DTYPES)}, not '{dtype}'")
    if os.path.isdir(output):
        raise ConvertError(f"{output} is a directory; give the checkpoint file name")
    if os.path.exists(output) and not force:
        raise ConvertError(f"{output} exists; pass --force to replace it")
    if not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise ConvertError(f"the folder of {output} does not exist")
    start = time.monotonic()
    if os.path.isdir(source):
        model = load_hf_directory(source)
        if model["tokenizer"] is None:
            model["notes"]["tokenizer"] = "no tokenizer.json in the directory; none written"
    elif os.path.isfile(source):
        with open(source, "rb") as f:
            magic = f.read(4)
        if magic != b"GGUF":
            raise ConvertError(f"{source}: neither a model directory nor a GGUF file")
        model = load_gguf(source)
    else:
        raise ConvertError(f"{source}: no such file or directory")
    source_sha = combined_sha256(model["files"])
    n_tensors, n_params = write_checkpoint(output, model, dtype, source, source_sha)
    return {"output": output, "tensors": n_tensors, "parameters": n_params, "dtype": dtype,
            "source_sha256": source_sha, "format": model["format"],
            "seconds": time.monotonic() - start, "notes": model["notes"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="convert.py",
        description="Convert a local Hugging Face model directory or a GGUF file into a softq "
                    "checkpoint (HDF5). Offline only.")
    parser.add_argument("source", help="model directory (config.json + safetensors/.bin) or .gguf file")
    parser.add_argument("output", help="checkpoint file to write, e.g. model.h5")
    parser.add_argument("--dtype", choices=DTYPES, default="float32",
                        help="element type of the stored weights (default float32)")
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    args = parser.parse_args(argv)
    try:
        summary = convert(args.source, args.output, args.dtype, args.force)
    except ConvertError as e:
        print(f"convert.py: error: {e}", file=sys.stderr)
        return 1
    for key, note in summary["notes"].items():
        print(f"convert.py: {key}: {note}", file=sys.stderr)
    print(f"convert.py: wrote {summary['output']} ({summary['tensors']} tensors, "
          f"{summary['parameters']} parameters, {summary['dtype']}) from {summary['format']} "
          f"sha256 {summary['source_sha256']} in {summary['seconds']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
