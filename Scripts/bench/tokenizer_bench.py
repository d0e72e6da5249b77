#!/usr/bin/env python3
"""Tokens per second of `softq tokenize` against Python `tokenizers` on the same text.

Generates a few MB of seeded mixed text (English-like prose, code, numbers, CJK, emoji) as
JSONL, then times
  1. softq tokenize --tokenizer T --input big.jsonl > out   (the release binary, one process)
  2. tokenizers Tokenizer.encode_batch(lines)               (Rust, all cores)
  3. tokenizers Tokenizer.encode(line) per line             (one call per line)
checks that softq's ids equal Python's on every line, and prints tokens/s and the ratios.

Usage (from the repository root, after `swift build -c release --product softq`):
  python3 Scripts/bench/tokenizer_bench.py [--tokenizer PATH] [--megabytes 4] [--softq PATH]
PATH is a tokenizer.json or a directory with vocab.json + merges.txt (default: the GPT-2
fixture). The machine is shared: compare ratios from one run, not absolute times.
"""
import argparse
import json
import os
import random
import subprocess
import tempfile
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    if os.path.isdir(path) and not os.path.exists(os.path.join(path, "tokenizer.json")):
        tok = Tokenizer(models.BPE.from_file(os.path.join(path, "vocab.json"), os.path.join(path, "merges.txt")))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        tok.add_special_tokens(["<|endoftext|>"])
        return tok
    if os.path.isdir(path):
        path = os.path.join(path, "tokenizer.json")
    return Tokenizer.from_file(path)


def make_text(megabytes, seed=7):
    rng = random.Random(seed)
    words = ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
             "they you were her she there been one all we their if has will would who so what can about reward policy "
             "value token soft Bellman learning model training gradient expert").split()
    code = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { s += a[i]; }\n", "if x == None:\n\tpass\n"]
    other = ["日本語のテキスト。", "中文文本测试", "Москва — столица.", "naïve café", "😀 👍🏽", "3.14159", "2026-11-29", "I'm", "don't"]
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        parts = []
        for _ in range(rng.randint(20, 200)):
            r = rng.random()
            parts.append(rng.choice(words) if r < 0.85 else rng.choice(other) if r < 0.95 else rng.choice(code))
            parts.append(rng.choice([" ", " ", " ", " ", ", ", ". ", "\n", "  "]))
        line = "".join(parts)
        lines.append(line)
        size += len(line.encode())
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "Tests", "SoftQTokenizersTests", "Fixtures", "gpt2"))
    ap.add_argument("--megabytes", type=float, default=4)
    ap.add_argument("--softq", default=os.path.join(ROOT, ".build", "release", "softq"))
    args = ap.parse_args()

    lines = make_text(args.megabytes)
    nbytes = sum(len(l.encode()) for l in lines)
    tok = load(args.tokenizer)
    tmp = tempfile.mkdtemp()
    big = os.path.join(tmp, "big.jsonl")
    with open(big, "w") as f:
        for l in lines:
            f.write(json.dumps({"text": l}, ensure_ascii=False) + "\n")

    t = time.perf_counter()
    batch = tok.encode_batch(lines, add_special_tokens=False)
    t_batch = time.perf_counter() - t
    expected = [e.ids for e in batch]
    n_tokens = sum(len(i) for i in expected)

    t = time.perf_counter()
    for l in lines:
        tok.encode(l, add_special_tokens=False)
    t_single = time.perf_counter() - t

    out = os.path.join(tmp, "out.jsonl")
    t = time.perf_counter()
    with open(out, "w") as f:
        subprocess.run([args.softq, "tokenize", "--tokenizer", args.tokenizer, "--input", big], stdout=f, check=True)
    t_softq = time.perf_counter() - t
    got = [json.loads(l)["ids"] for l in open(out)]
    mismatches = sum(1 for a, b in zip(got, expected) if a != b) + abs(len(got) - len(expected))

    print(f"text: {len(lines)} lines, {nbytes / 1e6:.2f} MB, {n_tokens} tokens ({args.tokenizer})")
    print(f"softq tokenize (process, incl. load + JSON I/O): {t_softq:7.3f} s  {n_tokens / t_softq / 1e6:6.2f} M tokens/s")
    print(f"tokenizers encode_batch (all cores):             {t_batch:7.3f} s  {n_tokens / t_batch / 1e6:6.2f} M tokens/s")
    print(f"tokenizers encode per line:                      {t_single:7.3f} s  {n_tokens / t_single / 1e6:6.2f} M tokens/s")
    print(f"ratio softq / encode_batch: {t_batch / t_softq:.2f}x   softq / encode: {t_single / t_softq:.2f}x")
    print(f"lines whose ids differ from tokenizers: {mismatches}")
    if mismatches:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
