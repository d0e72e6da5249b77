#!/usr/bin/env python3
"""Regenerates everything in notebooks-data/task/ and notebooks-data/configs/ from one seed.

    python3 Scripts/demo/make_demo_data.py            # seed 20260 (the committed data)
    python3 Scripts/demo/make_demo_data.py --check    # regenerate into a temp dir, diff

Steps: draw distinct problems for every split from one seeded stream; train a byte-level BPE
tokenizer on the training split's text only; check that every prompt + response (with BOS and
EOS) fits the demo model's 128-token context with room to spare (<= 120 tokens), failing
loudly otherwise; write the JSONL splits, the tokenizer and the tiny GPT-2 config. Then (issue
17) the validation prompts in the held-out prompts' shape and the step-labelled solutions of the
validation and held-out problems, from streams of their own so that no earlier file changes.
Output is byte-identical across runs (checked by --check and by the pytest file).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from arith_task import (STEP_ERRORS, SUBSETS, SeededGenerator, corrupt,  # noqa: E402
                        first_wrong_step, grade, make_problem, step_solutions)

FORMAT_VERSION = 1
SEED = 20260
SIZES = {"train": 3000, "val": 200, "heldout": 100, "pairs": 60 * len(SUBSETS)}
VOCAB_SIZE = 512
MAX_TOKENS = 120          # BOS + prompt + response + EOS; the demo model's context is 128
CONTEXT = 128
BOS, EOS = "<|bos|>", "<|eos|>"


def draw_splits(seed: int) -> dict:
    """Problems for every split from one stream; a prompt never appears in two splits."""
    rng = SeededGenerator(seed)
    seen, splits = set(), {}
    for name in ("train", "val", "heldout", "pairs"):
        problems = []
        while len(problems) < SIZES[name]:
            p = make_problem(rng)
            if p.prompt in seen:
                continue
            seen.add(p.prompt)
            problems.append(p)
        splits[name] = problems
    return splits


def make_pairs(problems: list, seed: int, fits, prefix: str = "pair") -> list:
    """Chosen = the expert solution; rejected = one corruption; subsets in round-robin order.

    A corruption that would not fit the token budget (long repetitive loops) is drawn again,
    up to 20 times, from the same stream, so the result stays deterministic."""
    rng = SeededGenerator(seed ^ 0x5A17)
    pairs = []
    for i, p in enumerate(problems):
        kind = SUBSETS[i % len(SUBSETS)]
        chosen = p.response
        for _ in range(20):
            rejected = corrupt(p, kind, rng)
            if fits(p.prompt, rejected):
                break
        cm, rm = grade(p, chosen), grade(p, rejected)
        if not rm < cm:
            raise SystemExit(f"pair {i} ({kind}): rejected grades {rm} >= chosen {cm}:\n"
                             f"{p.prompt}\n--- chosen{chosen}\n--- rejected{rejected}")
        pairs.append({"id": f"{prefix}-{i:04d}", "subset": kind, "prompt": p.prompt,
                      "chosen": chosen, "rejected": rejected,
                      "chosen_metric": cm, "rejected_metric": rm, "problem": p.as_json()})
    return pairs


# The step-labelled files (issue 17) came after the rest: they use streams of their own, so
# every file that existed before them keeps its bytes, and their facts go to steps_meta.json.
STEPS_FORMAT_VERSION = 1
STEPS_STREAMS = {"val": 0x57E9_0001, "heldout": 0x57E9_0002}
STEPS_ERRONEOUS = 2


def make_steps(problems: list, ids: list, seed: int, fits) -> list:
    """Per problem: its correct solution and STEPS_ERRONEOUS erroneous ones (arith_task's
    step_solutions), each line `id`, `problem_id`, `prompt`, `steps`, `label`, `error`."""
    rng = SeededGenerator(seed)
    rows = []
    for pid, p in zip(ids, problems):
        sols = step_solutions(p, rng, STEPS_ERRONEOUS,
                              fits=lambda steps, p=p: fits(p.prompt, "\n".join(steps)))
        for k, (steps, label, kind) in enumerate(sols):
            if first_wrong_step(p, steps) != label or "\n".join(steps)[:1] != "\n":
                raise SystemExit(f"{pid}: step solution {k} is mislabelled")
            rows.append({"id": f"{pid}-s{k}", "problem_id": pid, "prompt": p.prompt,
                         "steps": steps, "label": label, "error": kind})
    return rows


def steps_meta(seed: int, files: dict, longest: int) -> dict:
    """Sizes and label/error counts of the step files (keys in a fixed order)."""
    out = {"format_version": STEPS_FORMAT_VERSION, "seed": seed,
           "generator": "Scripts/demo/make_demo_data.py (arith_task.step_solutions)",
           "streams": {k: f"seed ^ {v:#x}" for k, v in STEPS_STREAMS.items()},
           "solutions_per_problem": f"1 correct + {STEPS_ERRONEOUS} erroneous (distinct error kinds)",
           "label": "index of the first wrong step, or -1; steps joined by \"\\n\" form the response",
           "longest_tokens": longest, "max_tokens": MAX_TOKENS, "files": {}}
    for name, rows in files.items():
        labels = [r["label"] for r in rows]
        out["files"][name] = {
            "solutions": len(rows), "problems": len({r["problem_id"] for r in rows}),
            "steps": sum(len(r["steps"]) for r in rows),
            "correct_solutions": sum(1 for x in labels if x == -1),
            "labels": {str(k): labels.count(k) for k in sorted(set(labels))},
            "errors": {e: sum(1 for r in rows if r["error"] == e) for e in STEP_ERRORS}}
    return out


def train_tokenizer(texts: list):
    """Byte-level BPE on the given texts, in the given order (no parallel reordering)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, min_frequency=2, show_progress=False,
        special_tokens=[BOS, EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    if tok.token_to_id(BOS) != 0 or tok.token_to_id(EOS) != 1:
        raise SystemExit("special tokens did not get ids 0 and 1")
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, 0)])
    return tok


def token_count(tok, prompt: str, response: str) -> int:
    """softq's convention: prompt with BOS, response alone, EOS appended."""
    return (len(tok.encode(prompt).ids) + len(tok.encode(response, add_special_tokens=False).ids)
            + 1)


def check_lengths(tok, rows: list) -> dict:
    """rows: (where, prompt, response). Fails loudly on any text over MAX_TOKENS."""
    longest, over = 0, []
    for where, prompt, response in rows:
        n = token_count(tok, prompt, response)
        longest = max(longest, n)
        if n > MAX_TOKENS:
            over.append(f"{where}: {n} tokens")
        # the separate tokenizations must not lose or invent text
        if tok.decode(tok.encode(prompt + response, add_special_tokens=False).ids) \
                != prompt + response:
            raise SystemExit(f"{where}: tokenizer does not round-trip the text")
    if over:
        raise SystemExit(f"{len(over)} texts exceed {MAX_TOKENS} tokens (context {CONTEXT}):\n"
                         + "\n".join(over[:20]))
    return {"longest": longest}


def gpt2_config(vocab_size: int) -> dict:
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": vocab_size,
        "n_positions": CONTEXT,
        "n_embd": 96,
        "n_layer": 3,
        "n_head": 4,
        "n_inner": None,
        "activation_function": "gelu_new",
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "layer_norm_epsilon": 1e-05,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }


def gpt2_parameter_count(c: dict) -> int:
    """Trainable parameters of GPT2LMHeadModel with tied embeddings (lm_head = wte)."""
    d, v, t, L = c["n_embd"], c["vocab_size"], c["n_positions"], c["n_layer"]
    inner = c["n_inner"] or 4 * d
    per_layer = (2 * d                       # ln_1
                 + d * 3 * d + 3 * d         # attn.c_attn
                 + d * d + d                 # attn.c_proj
                 + 2 * d                     # ln_2
                 + d * inner + inner         # mlp.c_fc
                 + inner * d + d)            # mlp.c_proj
    return v * d + t * d + L * per_layer + 2 * d


def write_jsonl(path: Path, rows: list) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def generate(out_root: Path, seed: int = SEED, verbose: bool = True) -> dict:
    task, configs = out_root / "task", out_root / "configs"
    task.mkdir(parents=True, exist_ok=True)
    configs.mkdir(parents=True, exist_ok=True)
    splits = draw_splits(seed)

    train = [{"id": f"train-{i:05d}", "prompt": p.prompt, "response": p.response}
             for i, p in enumerate(splits["train"])]
    val = [{"id": f"val-{i:04d}", "prompt": p.prompt, "response": p.response}
           for i, p in enumerate(splits["val"])]
    heldout = [{"id": f"heldout-{i:04d}", "prompt": p.prompt, "problem": p.as_json(),
                "reference": p.response} for i, p in enumerate(splits["heldout"])]
    tok = train_tokenizer([r["prompt"] + r["response"] for r in train])
    pairs = make_pairs(splits["pairs"], seed,
                       lambda prompt, response: token_count(tok, prompt, response) <= MAX_TOKENS)
    # Validation pairs (from the validation problems, their own stream) choose the IQLearn
    # λ in Scripts/demo/train_policies.sh; the held-out pairs stay untouched until the end.
    pairs_val = make_pairs(splits["val"], seed ^ 0x7E11,
                           lambda prompt, response: token_count(tok, prompt, response) <= MAX_TOKENS, prefix="val-pair")
    fits = lambda prompt, response: token_count(tok, prompt, response) <= MAX_TOKENS  # noqa: E731
    # Validation prompts in prompts_heldout.jsonl's shape, so grade.py can grade validation
    # generations (--prompts), and the step-labelled solutions of both splits.
    prompts_val = [{"id": r["id"], "prompt": p.prompt, "problem": p.as_json(), "reference": p.response}
                   for r, p in zip(val, splits["val"])]
    steps_val = make_steps(splits["val"], [r["id"] for r in val], seed ^ STEPS_STREAMS["val"], fits)
    steps_heldout = make_steps(splits["heldout"], [r["id"] for r in heldout],
                               seed ^ STEPS_STREAMS["heldout"], fits)
    rows = ([(r["id"], r["prompt"], r["response"]) for r in train + val]
            + [(r["id"], r["prompt"], r["reference"]) for r in heldout]
            + [(f'{r["id"]}/{side}', r["prompt"], r[side]) for r in pairs
               for side in ("chosen", "rejected")]
            + [(f'{r["id"]}/{side}', r["prompt"], r[side]) for r in pairs_val
               for side in ("chosen", "rejected")])
    stats = check_lengths(tok, rows)
    step_stats = check_lengths(tok, [(r["id"], r["prompt"], "\n".join(r["steps"]))
                                     for r in steps_val + steps_heldout])

    write_jsonl(task / "demos_train.jsonl", train)
    write_jsonl(task / "demos_val.jsonl", val)
    write_jsonl(task / "prompts_heldout.jsonl", heldout)
    write_jsonl(task / "pairs_heldout.jsonl", pairs)
    write_jsonl(task / "pairs_val.jsonl", pairs_val)
    write_jsonl(task / "prompts_val.jsonl", prompts_val)
    write_jsonl(task / "steps_val.jsonl", steps_val)
    write_jsonl(task / "steps_heldout.jsonl", steps_heldout)
    write_json(task / "steps_meta.json", steps_meta(seed, {"steps_val": steps_val, "steps_heldout": steps_heldout},
                                                      step_stats["longest"]))
    # to_str sorts nothing itself, but the vocabulary serializes in id order and the merges
    # in rank order, so equal training gives equal bytes (checked by --check)
    with open(task / "tokenizer.json", "w", encoding="utf-8", newline="\n") as f:
        f.write(tok.to_str(pretty=True) + "\n")
    config = gpt2_config(tok.get_vocab_size())
    write_json(configs / "tiny-gpt2.json", config)
    n_params = gpt2_parameter_count(config)
    meta = {"format_version": FORMAT_VERSION, "seed": seed, "generator": "Scripts/demo/make_demo_data.py",
            "sizes": {"demos_train": len(train), "demos_val": len(val),
                      "prompts_heldout": len(heldout), "pairs_heldout": len(pairs),
                      "pairs_val": len(pairs_val)},
            "pairs_per_subset": {k: sum(r["subset"] == k for r in pairs) for k in SUBSETS},
            "vocab_size": tok.get_vocab_size(), "max_tokens": MAX_TOKENS,
            "longest_tokens": stats["longest"], "context": CONTEXT,
            "metric": "0.5 * matched / max(K, M) + 0.5 * [answer == truth]",
            "tiny_gpt2_parameters": n_params, "tiny_gpt2_float32_bytes": 4 * n_params}
    write_json(task / "meta.json", meta)
    if verbose:
        print(f"wrote {out_root}: {meta['sizes']}")
        print(f"tokenizer: vocab {meta['vocab_size']}, longest prompt+response "
              f"{stats['longest']} tokens (limit {MAX_TOKENS}, context {CONTEXT})")
        print(f"tiny-gpt2: {n_params} parameters, {4 * n_params} bytes in float32 "
              f"({4 * n_params / 2**20:.3f} MiB)")
    if 4 * n_params > 2 * 2**20:
        raise SystemExit("tiny-gpt2 float32 checkpoint would exceed 2 MiB")
    return meta


def same_tree(a: Path, b: Path) -> list:
    """Files of the fresh tree `a` that are missing or different in `b` (empty: identical)."""
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return [str(n) for n in names
            if not ((a / n).exists() and (b / n).exists()
                    and filecmp.cmp(a / n, b / n, shallow=False))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE.parent.parent / "notebooks-data",
                    help="root that receives task/ and configs/ (default: notebooks-data)")
    ap.add_argument("--seed", type=int, default=SEED, help="the one seed of everything")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with --out")
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Path(tmp), args.seed, verbose=False)
            diff = same_tree(Path(tmp), args.out) if (args.out / "task").exists() else ["(missing)"]
        if diff:
            raise SystemExit("regenerated data differ from " + str(args.out) + ": " + ", ".join(diff))
        print("demo data regenerate byte-identically")
        return
    generate(args.out, args.seed)


if __name__ == "__main__":
    main()
