#!/usr/bin/env python3
"""softq bench against transformers + PyTorch CPU on the same pairs and checkpoint.

Alternates, --runs times in one process: `softq bench` (a subprocess, one timed pass) and the
same pairs scored by transformers (torch.inference_mode, the same thread count, the fastest
batch size found in a warm-up). Prints each run's tokens/s and the softq/PyTorch ratio, then
the median ratio, and checks that both give the same log-probabilities (|Δ logprob_sum| ≤ 1e-3
for every response). With --scaling, also times softq at three sequence-length scales. With --coretypes, every run
times softq once per OpenBLAS kernel family (OPENBLAS_CORETYPE; `default` leaves the variable as
it is), so the families' speeds are compared in the same run too; a family followed by `+stack`
(e.g. `SkylakeX+stack`) times `softq bench --stack-sequences` with it.

Tokens are counted as softq counts them: the prompt once per pair plus both responses.
PyTorch scores each (prompt + response) sequence, sorted by length and right-padded inside a
batch (its usual way), and applies the output layer only at the response positions.

Usage (from the repository root, after `swift build -c release --product softq` and
`python3 Scripts/bench/make_bench_models.py`):
  python3 Scripts/bench/compare.py --model gpt2-124m [--runs 5] [--threads 2] [--scaling]
                                   [--coretypes default Haswell SkylakeX SkylakeX+stack]
  python3 Scripts/bench/compare.py --checkpoint M.h5 --pairs P.jsonl
The machine may be shared: only ratios measured side by side in one run mean anything.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, ".build", "bench")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_bench_models import make_pairs  # noqa: E402


def load_torch_model(path):
    """A transformers model with the checkpoint's configuration and exactly its float32 weights."""
    from transformers import AutoConfig, AutoModelForCausalLM

    with h5py.File(path, "r") as f:
        cfg = json.loads(f.attrs["config"])
        model_type = f.attrs.get("model_type", cfg.get("model_type"))
        if isinstance(model_type, bytes):
            model_type = model_type.decode()
        state = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.startswith("weights/"):
                a = obj[()]
                if obj.attrs.get("dtype") in ("bfloat16", b"bfloat16"):
                    a = (a.astype(np.uint32) << 16).view(np.float32)
                state[name[len("weights/"):]] = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
        f.visititems(visit)
    cfg.pop("model_type", None)
    config = AutoConfig.for_model(model_type, **cfg)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if m != "lm_head.weight" and not m.endswith(".attn.bias")]
    if missing or unexpected:
        raise SystemExit(f"{path}: weights do not match transformers' model: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    return model.eval()


def read_pairs(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [(r["id"], r["prompt_ids"], r["chosen_ids"], r["rejected_ids"]) for r in rows]


def torch_logprob_sums(model, pairs, batch):
    """{(id, side): Σ log π(response | prompt)} by transformers, `batch` sequences per call."""
    seqs = []
    for pid, p, c, r in pairs:
        seqs.append(((pid, "chosen"), p, c))
        seqs.append(((pid, "rejected"), p, r))
    seqs.sort(key=lambda s: -(len(s[1]) + len(s[2])))
    body = model.get_decoder() if hasattr(model, "get_decoder") else model.base_model
    head = model.get_output_embeddings()
    out = {}
    with torch.inference_mode():
        for b0 in range(0, len(seqs), batch):
            part = seqs[b0:b0 + batch]
            L = max(len(p) + len(r) for _, p, r in part)
            ids = torch.zeros((len(part), L), dtype=torch.long)
            mask = torch.zeros((len(part), L), dtype=torch.long)
            rows, cols, targets = [], [], []
            for k, (_, p, r) in enumerate(part):
                n = len(p) + len(r)
                ids[k, :n] = torch.tensor(p + r)
                mask[k, :n] = 1
                rows += [k] * len(r)
                cols += list(range(len(p) - 1, n - 1))
                targets += r
            hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = head(hidden[torch.tensor(rows), torch.tensor(cols)])
            lp = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(targets)[:, None])[:, 0]
            start = 0
            for key, _, r in part:
                out[key] = float(lp[start:start + len(r)].sum())
                start += len(r)
    return out


def run_softq(softq, checkpoint, pairs, threads, out=None, coretype="default"):
    """One `softq bench` pass; coretype "F" or "F+stack" (F: an OPENBLAS_CORETYPE or `default`)."""
    cmd = [softq, "bench", "--checkpoint", checkpoint, "--pairs", pairs, "--threads", str(threads),
           "--repeats", "1", "--json"]
    if out:
        cmd += ["--out", out]
    coretype, _, variant = coretype.partition("+")
    if variant == "stack":
        cmd += ["--stack-sequences"]
    elif variant:
        raise SystemExit(f"unknown variant +{variant} (known: +stack)")
    env = dict(os.environ)
    if coretype != "default":
        env["OPENBLAS_CORETYPE"] = coretype
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise SystemExit(f"softq bench failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def count_tokens(pairs):
    return sum(len(p) + len(c) + len(r) for _, p, c, r in pairs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="gpt2-124m", help="a model of make_bench_models.py (in .build/bench)")
    ap.add_argument("--checkpoint")
    ap.add_argument("--pairs")
    ap.add_argument("--n-pairs", type=int, default=32, help="pairs to generate when --pairs is not given")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--softq", default=os.path.join(ROOT, ".build", "release", "softq"))
    ap.add_argument("--scaling", action="store_true", help="also time softq at 3 length scales")
    ap.add_argument("--coretypes", nargs="+", default=["default"],
                    help="OpenBLAS kernel families to time softq with in every run (`default`: the environment's); "
                         "FAMILY+stack also passes --stack-sequences")
    a = ap.parse_args()

    checkpoint = a.checkpoint or os.path.join(BENCH, f"{a.model}.h5")
    with h5py.File(checkpoint, "r") as f:
        cfg = json.loads(f.attrs["config"])
    vocab = cfg["vocab_size"]
    eos = cfg.get("eos_token_id", 0)
    eos = eos[0] if isinstance(eos, list) else eos
    pairs_path = a.pairs or make_pairs(os.path.join(BENCH, f"pairs-{os.path.basename(checkpoint)}-{a.n_pairs}.jsonl"),
                                       a.n_pairs, vocab, eos, seed=a.n_pairs)
    pairs = read_pairs(pairs_path)
    tokens = count_tokens(pairs)
    torch.set_num_threads(a.threads)
    model = load_torch_model(checkpoint)
    print(f"checkpoint {checkpoint}\npairs {pairs_path}: {len(pairs)} pairs, {tokens} tokens, {a.threads} threads, "
          f"torch {torch.__version__}")

    # Warm-up: the fastest batch size on the first pairs.
    sample = pairs[:max(8, len(pairs) // 4)]
    best, best_t = None, float("inf")
    for bs in a.batch_sizes:
        t0 = time.perf_counter()
        torch_logprob_sums(model, sample, bs)
        t = time.perf_counter() - t0
        print(f"  warm-up: batch {bs:3d}: {count_tokens(sample) / t:8.1f} tokens/s")
        if t < best_t:
            best, best_t = bs, t
    print(f"PyTorch batch size: {best}")

    kinds = a.coretypes
    ratios = {k: [] for k in kinds}
    cpu_ratios = {k: [] for k in kinds}
    rows = {k: [] for k in kinds}
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(a.runs):
            for kind in kinds:
                first = run == 0 and kind == kinds[0]
                rows[kind].append(run_softq(a.softq, checkpoint, pairs_path, a.threads,
                                            out=tmp if first else None, coretype=kind))
                if first:
                    with open(os.path.join(tmp, "pairs.jsonl")) as f:
                        scored = [json.loads(line) for line in f]
            t0, c0 = time.perf_counter(), time.process_time()
            ref = torch_logprob_sums(model, pairs, best)
            tt, tc = time.perf_counter() - t0, time.process_time() - c0
            torch_tps = tokens / tt
            print(f"run {run + 1}: PyTorch {torch_tps:8.1f} tok/s")
            for kind in kinds:
                s = rows[kind][-1]
                cpu_ratios[kind].append(tc / s["cpu_seconds_median"])
                ratios[kind].append(s["tokens_per_second"] / torch_tps)
                print(f"  softq ({s.get('blas_kernels', kind)} kernels{', stacked' if s.get('stacked_sequences') else ''}): "
                      f"{s['tokens_per_second']:8.1f} tok/s "
                      f"({s['gflops']:.1f} GFLOP/s, {100 * s['fraction_of_peak']:.0f}% of {s['blas_peak_gflops']:.1f}), "
                      f"ratio {ratios[kind][-1]:.2f} (CPU-time ratio {cpu_ratios[kind][-1]:.2f})")
            if run == 0:
                for r in scored:
                    for side in ("chosen", "rejected"):
                        worst = max(worst, abs(r[side]["logprob_sum"] - ref[(r["id"], side)]))
    for kind in kinds:
        rs = rows[kind]
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        print(f"[{rs[0].get('blas_kernels', kind)} kernels, {kind}]")
        print(f"  median CPU-time ratio (PyTorch CPU s / softq CPU s): {statistics.median(cpu_ratios[kind]):.2f} "
              f"(runs: {', '.join(f'{x:.2f}' for x in cpu_ratios[kind])})")
        print(f"  median ratio softq/PyTorch: {statistics.median(ratios[kind]):.2f} "
              f"(runs: {', '.join(f'{x:.2f}' for x in ratios[kind])})")
        print(f"  softq medians: {med('tokens_per_second'):.1f} tok/s, {med('pairs_per_second'):.2f} pairs/s, "
              f"{med('gflops'):.1f} GFLOP/s = {100 * med('fraction_of_peak'):.0f}% of sgemm peak {med('blas_peak_gflops'):.1f}; "
              f"load {med('load_seconds'):.3f} s, first pair {med('first_pair_seconds'):.3f} s, "
              f"peak RSS {med('peak_rss_bytes') / 2**20:.0f} MiB = {med('peak_rss_bytes') / med('weight_bytes'):.2f}x weights "
              f"({med('weight_bytes') / 2**20:.0f} MiB; {med('rss_before_scoring_bytes') / 2**20:.0f} MiB before scoring)")
    if len(kinds) > 1:
        base = kinds[0]
        for kind in kinds[1:]:
            speed = [x["tokens_per_second"] / y["tokens_per_second"] for x, y in zip(rows[kind], rows[base])]
            print(f"softq {kind} / {base}: median {statistics.median(speed):.2f}x tokens/s "
                  f"(runs: {', '.join(f'{x:.2f}' for x in speed)})")
    ok = worst <= 1e-3
    print(f"log-probabilities: max |softq - PyTorch| per response sum = {worst:.2e} ({'OK' if ok else 'FAIL'}, limit 1e-3)")

    if a.scaling:
        print("scaling (softq, 16 pairs, lengths scaled):")
        base = None
        for scale in (0.5, 1, 2):
            path = make_pairs(os.path.join(BENCH, f"scale-{vocab}-{scale}.jsonl"), 16, vocab, eos, seed=7,
                              prompt=(int(64 * scale), int(256 * scale)), response=(int(32 * scale), int(256 * scale)))
            s = run_softq(a.softq, checkpoint, path, a.threads, coretype=kinds[0])
            per_tok = s["seconds_median"] / s["tokens"]
            base = base or per_tok
            print(f"  x{scale}: {s['tokens']:6d} tokens, {s['seconds_median']:.3f} s, {1e3 * per_tok:.3f} ms/token "
                  f"({per_tok / base:.2f}x), {s['gflop'] / s['tokens'] * 1e3:.1f} MFLOP/token, {s['gflops']:.1f} GFLOP/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
