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

Load time of a large vocabulary (the whole `softq tokenize` process on one short text,
median of --repeats runs, after one warm-up run):
  python3 Scripts/bench/tokenizer_bench.py --load-time [--tokenizer PATH]
Without --tokenizer it uses Gemma 3's 262,144-piece tokenizer.json when
make_tokenizer_fixtures.py --with-gemma3 has written it, else a synthetic SentencePiece-style
vocabulary of 262,144 pieces and as many merges made here (seeded).
"""
import argparse
import json
import os
import random
import resource
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


def synthetic_sentencepiece(size=262144, seed=11):
    """A SentencePiece-style tokenizer.json of `size` pieces: <unk> <s> </s>, the 256 byte
    pieces, an alphabet, then pieces grown one character at a time, each with its merge."""
    rng = random.Random(seed)
    mark = "\u2581"
    alphabet = [mark] + [chr(c) for c in range(0x61, 0x7B)] + [chr(c) for c in range(0x41, 0x5B)] + \
        [str(d) for d in range(10)] + [chr(c) for c in range(0x4E00, 0x4E00 + 400)] + list("éèàüöäßçñ.,!?'-")
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + alphabet
    seen, merges, grown = set(tokens), [], list(alphabet)
    while len(tokens) < size:
        left = grown[min(len(grown) - 1, int(rng.expovariate(1 / 2000)))] if rng.random() < 0.5 else rng.choice(grown)
        right = rng.choice(alphabet[:63])
        piece = left + right
        if piece in seen or len(piece) > 16:
            continue
        seen.add(piece)
        tokens.append(piece)
        grown.append(piece)
        merges.append([left, right])
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(tokens[:3])],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": mark, "prepend_scheme": "first", "split": False},
        "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}], "pair": [],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": mark}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges}}, ensure_ascii=False)


def load_time(args):
    path = args.tokenizer
    if path is None:
        path = os.path.join(ROOT, "Tests", "SoftQTokenizersTests", "Fixtures", "optional", "gemma3-real.json")
        if not os.path.exists(path):
            path = os.path.join(tempfile.mkdtemp(), "synthetic-262144.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(synthetic_sentencepiece())
    text = "The soft Q-value of a token, 日本語 too."
    cmd = [args.softq, "tokenize", "--tokenizer", path, "--text", text]
    got = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # warm-up (page cache)
    expected = load(path).encode(text, add_special_tokens=False).ids
    if json.loads(got)["ids"] != expected:
        raise SystemExit(f"softq ids {got.strip()} differ from tokenizers' {expected}")
    times, cpu = [], []
    for _ in range(args.repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    times.sort()
    cpu.sort()
    size = os.path.getsize(path) / 1e6
    print(f"{path}: {size:.1f} MB, {len(load(path).get_vocab())} tokens")
    print(f"softq tokenize, whole process, one short text: median {times[len(times) // 2]:.3f} s, "
          f"min {times[0]:.3f} s, max {times[-1]:.3f} s over {len(times)} runs (ids equal tokenizers')")
    print(f"CPU time (user + sys) of the process: median {cpu[len(cpu) // 2]:.3f} s, min {cpu[0]:.3f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--megabytes", type=float, default=4)
    ap.add_argument("--softq", default=os.path.join(ROOT, ".build", "release", "softq"))
    ap.add_argument("--load-time", action="store_true", help="time loading a large vocabulary instead")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    if args.load_time:
        load_time(args)
        return
    if args.tokenizer is None:
        args.tokenizer = os.path.join(ROOT, "Tests", "SoftQTokenizersTests", "Fixtures", "gpt2")

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
