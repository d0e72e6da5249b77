#!/usr/bin/env python3
"""Records the ids transformers gives for the tiny SentencePiece GGUF vocabularies of
Scripts/tests/sp_vocab.py, so that test_convert.py can check the converter's rebuilt
tokenizer.json without transformers (CI installs only what Scripts/setup.sh installs).

Writes Scripts/tests/fixtures/sp-gguf-ids.json: {format_version, transformers, cases: {arch:
[{text, ids, ids_special, decoded}]}}, where ids are `tok.encode(text, add_special_tokens=False)`,
ids_special with special tokens, decoded `tok.decode(ids)`, from
`AutoTokenizer.from_pretrained(dir, gguf_file=...)` (transformers' GGUF tokenizer converter).

Run from the repository root:  python3 Scripts/reference/make_convert_fixtures.py
Needs: transformers (5.x), gguf, numpy.
"""
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "tests"))
import sp_vocab  # noqa: E402

FORMAT_VERSION = 1


def main():
    import transformers
    from transformers import AutoTokenizer
    out = {"format_version": FORMAT_VERSION, "transformers": transformers.__version__, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for arch, style in sp_vocab.CASES:
            name = f"{arch}.gguf"
            tokens = sp_vocab.vocabulary(style)[0]
            sp_vocab.write_sp_gguf(os.path.join(tmp, name), arch, style, sp_vocab.tiny_tensors(len(tokens)))
            tok = AutoTokenizer.from_pretrained(tmp, gguf_file=name)
            rows = []
            for text in sp_vocab.TEXTS:
                ids = tok.encode(text, add_special_tokens=False)
                rows.append({"text": text, "ids": ids, "ids_special": tok.encode(text, add_special_tokens=True),
                             "decoded": tok.decode(ids)})
            out["cases"][arch] = rows
    path = os.path.join(ROOT, "Scripts", "tests", "fixtures", "sp-gguf-ids.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
