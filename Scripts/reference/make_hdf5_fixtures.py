#!/usr/bin/env python3
"""Writes the HDF5 fixtures that HDF5Kit and SoftQCheckpoint tests read.

Every file here is written by h5py (an independent HDF5 writer), so the Swift readers are
checked against files made by the tool most users make checkpoints with. Deterministic: the
same bytes every run for a given h5py/HDF5 version (values are fixed, not random).

Run from the repository root:  python3 Scripts/reference/make_hdf5_fixtures.py
"""
import json
import os
import shutil

import h5py
import numpy as np

FORMAT_VERSION = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
H5KIT = os.path.join(ROOT, "Tests", "HDF5KitTests", "Fixtures")
CKPT = os.path.join(ROOT, "Tests", "SoftQCheckpointTests", "Fixtures")

TINY_CONFIG = {"model_type": "gpt2", "vocab_size": 11, "n_positions": 8, "n_embd": 4,
               "n_layer": 1, "n_head": 2, "layer_norm_epsilon": 1e-5}


def aligned(path):
    # Contiguous datasets aligned to 64 bytes, as softq writers do.
    return h5py.File(path, "w", libver="earliest", alignment_threshold=1, alignment_interval=64)


def types_file():
    path = os.path.join(H5KIT, "h5py_types.h5")
    with aligned(path) as f:
        f.attrs["fixture_format"] = FORMAT_VERSION
        f.attrs["title"] = "héllo wörld"                     # variable-length UTF-8 str
        f.attrs["fixed"] = np.bytes_(b"fixed-ascii")         # fixed-length bytes
        f.attrs["an_int"] = np.int64(-42)
        f.attrs["a_float"] = np.float64(0.1)
        f.attrs["ints"] = np.arange(3, dtype=np.int32)
        f.attrs["floats"] = np.array([0.5, -1.25], dtype=np.float64)
        f.attrs["strs"] = ["a", "bc", "déf"]
        f["f32"] = np.arange(12, dtype=np.float32).reshape(3, 4) / 8
        f["f64"] = np.array([1.0 / 3.0, -2.5e-300], dtype=np.float64)
        f["f16"] = np.array([0.0, -0.0, 1.0, 65504.0, 6.1035156e-05, 5.9604645e-08, np.inf, -2.5], dtype=np.float16)
        f["i32"] = np.array([[-1, 2], [3, -4]], dtype=np.int32)
        f["i64"] = np.array([2**40, -7], dtype=np.int64)
        f["u8"] = np.array([0, 255, 7], dtype=np.uint8)
        f["u16"] = np.array([0, 65535], dtype=np.uint16)
        f["scalar_str"] = "tokenizer text ✓"
        f.create_dataset("vlen_strs", data=["x", "yz", ""], dtype=h5py.string_dtype())
        f.create_dataset("fixed_strs", data=np.array([b"ab", b"cde"], dtype="S4"))
        f.create_dataset("chunked", data=np.arange(100, dtype=np.float32).reshape(10, 10),
                         chunks=(5, 5), compression="gzip")
        g = f.create_group("a/b")
        g["c"] = np.array([1.5], dtype=np.float32)
        g.attrs["note"] = "nested"
    return path


def checkpoint(path, tensors, config=TINY_CONFIG, model_type="gpt2", fmt=1, tokenizer=None,
               training=None, config_text=None):
    with aligned(path) as f:
        if fmt is not None:
            f.attrs["softq_format"] = fmt
        if model_type is not None:
            f.attrs["model_type"] = model_type
        if config_text is not None:
            f.attrs["config"] = config_text
        elif config is not None:
            f.attrs["config"] = json.dumps(config)
        for name, arr in tensors.items():
            if isinstance(arr, tuple):  # (uint16 bits, "bfloat16")
                ds = f.create_dataset(name, data=arr[0])
                ds.attrs["dtype"] = arr[1]
            else:
                f[name] = arr
        if tokenizer is not None:
            f.create_group("tokenizer")["tokenizer.json"] = tokenizer
        if training is not None:
            g = f.create_group("training")
            for k, v in training.items():
                g.attrs[k] = v


def bf16_bits(x):
    x = np.asarray(x, dtype=np.float32)
    b = x.view(np.uint32).astype(np.uint64)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def checkpoint_files():
    w = np.arange(8, dtype=np.float32).reshape(2, 4) / 4
    checkpoint(os.path.join(CKPT, "layout_weights_group.h5"),
               {"weights/transformer/wte/weight": w, "weights/transformer.wpe.weight": w[:1]},
               tokenizer='{"version": "1.0"}',
               training={"objective": "iqlearn", "td_weight": 0.5, "gamma": 1.0, "temperature": 1.0,
                         "steps": 200, "seed": 3, "data": "demos_train.jsonl sha256:abc"})
    checkpoint(os.path.join(CKPT, "layout_root_level.h5"),
               {"transformer.wte.weight": w, "weights.transformer.wpe.weight": w[:1]},
               model_type=None, fmt=None)
    checkpoint(os.path.join(CKPT, "dtypes.h5"),
               {"weights/half": np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16),
                "weights/bf16": (bf16_bits([1.0, -3.140625, 1e-3, 2.0**100]), "bfloat16"),
                "weights/f32": np.array([0.1, 0.2], dtype=np.float32)})
    checkpoint(os.path.join(CKPT, "bad_nan.h5"),
               {"weights/transformer.wte.weight": np.array([[0.0, np.nan], [1.0, 2.0]], dtype=np.float32)})
    checkpoint(os.path.join(CKPT, "bad_dtype.h5"),
               {"weights/transformer.wte.weight": np.array([[1, 2]], dtype=np.int32)})
    checkpoint(os.path.join(CKPT, "bad_uint16.h5"),
               {"weights/x": np.array([1, 2], dtype=np.uint16)})
    checkpoint(os.path.join(CKPT, "bad_config_json.h5"), {"weights/x": w}, config_text='{"model_type": "gpt2",')
    checkpoint(os.path.join(CKPT, "bad_no_config.h5"), {"weights/x": w}, config=None)
    checkpoint(os.path.join(CKPT, "bad_no_model_type.h5"), {"weights/x": w}, model_type=None,
               config={"vocab_size": 3})
    checkpoint(os.path.join(CKPT, "bad_duplicate.h5"), {"weights/x": w, "x": w})
    # A truncated copy of a valid file: the signature is there, the rest is not.
    src = os.path.join(CKPT, "layout_weights_group.h5")
    data = open(src, "rb").read()
    with open(os.path.join(CKPT, "bad_truncated.h5"), "wb") as out:
        out.write(data[: len(data) // 3])
    with open(os.path.join(CKPT, "bad_not_hdf5.h5"), "w") as out:
        out.write('{"this": "is JSON, not HDF5"}\n')


def main():
    for d in (H5KIT, CKPT):
        os.makedirs(d, exist_ok=True)
    types_file()
    checkpoint_files()
    with open(os.path.join(CKPT, "README.md"), "w") as f:
        f.write("Made by Scripts/reference/make_hdf5_fixtures.py (h5py %s, HDF5 %s), fixture format %d.\n"
                % (h5py.__version__, h5py.version.hdf5_version, FORMAT_VERSION))
    shutil.copy(os.path.join(CKPT, "README.md"), os.path.join(H5KIT, "README.md"))


if __name__ == "__main__":
    main()
