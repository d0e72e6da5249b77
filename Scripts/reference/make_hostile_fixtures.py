#!/usr/bin/env python3
"""Writes the hostile HDF5 files that SoftQCheckpointTests use to check the loader's defences.

Each file is a small, otherwise valid checkpoint with one trap in it (docs/reliability.md,
"Checkpoint files", lists every case and what softq guarantees). They are written by h5py, the
tool an attacker or a careless user would use. Every file stays well under 100 KB: huge sizes
are *declared* (dataspaces, config keys), never stored.

Files that point elsewhere name targets that exist on every Linux and macOS machine, so that a
reader without the defence really would follow them (the tests would then fail, not skip):
  - external storage reads `/dev/zero` (harmless bytes, always present);
  - the external link and the virtual dataset point at the sibling fixture
    `../layout_weights_group.h5` (HDF5 resolves relative targets against the linking file's
    directory), which make_hdf5_fixtures.py writes.

Run from the repository root, after make_hdf5_fixtures.py:
    python3 Scripts/reference/make_hostile_fixtures.py
"""
import json
import os

import h5py
import numpy as np

FORMAT_VERSION = 1
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "SoftQCheckpointTests", "Fixtures", "hostile")
SIBLING = "../layout_weights_group.h5"

TINY_CONFIG = {"model_type": "gpt2", "vocab_size": 11, "n_positions": 8, "n_embd": 4,
               "n_layer": 1, "n_head": 2, "layer_norm_epsilon": 1e-5}
W = np.arange(8, dtype=np.float32).reshape(2, 4) / 4


def start(name, config=TINY_CONFIG, fmt=1):
    """A checkpoint skeleton (root attributes) opened for writing; the caller adds the trap."""
    f = h5py.File(os.path.join(OUT, name + ".h5"), "w", libver="earliest",
                  alignment_threshold=1, alignment_interval=64)
    if fmt is not None:
        f.attrs["softq_format"] = fmt
    f.attrs["model_type"] = "gpt2"
    f.attrs["config"] = json.dumps(config)
    return f


def main():
    os.makedirs(OUT, exist_ok=True)

    # 1. Pointers elsewhere.
    with start("external_storage") as f:
        # The dataset's bytes live in another file; HDF5 would read 32 bytes of /dev/zero.
        f.create_dataset("weights/transformer.wte.weight", shape=(2, 4), dtype="<f4",
                         external=[("/dev/zero", 0, 32)])
    with start("external_link") as f:
        f["weights/transformer.wpe.weight"] = W[:1]
        f["weights/transformer.wte.weight"] = h5py.ExternalLink(SIBLING, "/weights/transformer/wte/weight")
    with start("external_link_group") as f:
        # A whole reserved group elsewhere: the tokenizer would come from another file.
        f["weights/transformer.wte.weight"] = W
        f["tokenizer"] = h5py.ExternalLink(SIBLING, "/tokenizer")
    with start("virtual_dataset") as f:
        layout = h5py.VirtualLayout(shape=(2, 4), dtype="<f4")
        layout[:] = h5py.VirtualSource(SIBLING, "/weights/transformer/wte/weight", shape=(2, 4))
        f.create_virtual_dataset("weights/transformer.wte.weight", layout)
    with start("soft_link") as f:
        # A tied head stored as a soft link to the embedding (inside the file, but an alias).
        f["weights/transformer.wte.weight"] = W
        f["weights/lm_head.weight"] = h5py.SoftLink("/weights/transformer.wte.weight")

    # 2. Hard-link cycles and aliases.
    with start("cycle") as f:
        f["weights/transformer.wte.weight"] = W
        f["weights"]["loop"] = f["weights"]                 # /weights/loop is /weights again
        f["weights/inner/deeper"] = W[:1]
        f["weights/inner/deeper_up"] = f["weights"]         # a longer cycle back to /weights
    with start("hard_link_alias") as f:
        f["weights/transformer.wte.weight"] = W
        f["weights/lm_head.weight"] = f["weights/transformer.wte.weight"]

    # 3. Sizes declared but not stored.
    with start("tokenizer_many_strings") as f:
        f["weights/transformer.wte.weight"] = W
        # 10^9 variable-length strings declared, none written (storage is allocated late).
        f.create_dataset("tokenizer/tokenizer.json", shape=(10**9,), dtype=h5py.string_dtype())
    with start("tokenizer_huge_fixed_string") as f:
        f["weights/transformer.wte.weight"] = W
        # One fixed-length string of 2^30 bytes, never written.
        f.create_dataset("tokenizer/tokenizer.json", shape=(), dtype="S1073741824")
    with start("unstored_tensor") as f:
        # 10^5 × 10^5 float32 = 40 GB declared, nothing stored.
        f.create_dataset("weights/transformer.wte.weight", shape=(10**5, 10**5), dtype="<f4")
    with start("overflowing_shape") as f:
        # 2^62 × 2^3 elements: the element count does not fit in a signed 64-bit integer.
        f.create_dataset("weights/transformer.wte.weight", shape=(2**62, 8), dtype="<f4",
                         chunks=(1, 8))
    many = dict(TINY_CONFIG, n_layer=10**9)
    with start("config_many_layers", config=many) as f:
        f["weights/transformer.wte.weight"] = W

    # 4. A damaged global heap (found by fuzzing, docs/reliability.md): the heap object that holds
    # the `config` string declares 2^62 bytes. libhdf5 1.10.8 reads past the collection (crash)
    # or loops; softq must refuse the file before libhdf5 decodes the heap.
    path = os.path.join(OUT, "damaged_global_heap.h5")
    with start("damaged_global_heap") as f:
        f["weights/transformer.wte.weight"] = W
    data = bytearray(open(path, "rb").read())
    gcol = data.find(b"GCOL")
    assert gcol >= 0 and data[gcol + 4] == 1, "h5py wrote no global heap collection"
    first_object = gcol + 16
    data[first_object + 8:first_object + 16] = (2**62).to_bytes(8, "little")
    with open(path, "wb") as out:
        out.write(data)

    # 6. Attributes of the wrong type.
    with start("format_as_string", fmt=None) as f:
        f.attrs["softq_format"] = "1"
        f["weights/transformer.wte.weight"] = W
    with start("config_as_int") as f:
        f.attrs["config"] = 7
        f["weights/transformer.wte.weight"] = W

    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("Made by Scripts/reference/make_hostile_fixtures.py (h5py %s, HDF5 %s), fixture format %d.\n"
                "Each file is a checkpoint with one trap; docs/reliability.md lists them.\n"
                % (h5py.__version__, h5py.version.hdf5_version, FORMAT_VERSION))


if __name__ == "__main__":
    main()
