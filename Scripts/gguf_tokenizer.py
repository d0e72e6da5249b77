"""Rebuilds a Hugging Face tokenizer.json from a GGUF file's tokenizer metadata.

llama.cpp keeps no tokenizer.json: it stores the vocabulary (`tokenizer.ggml.tokens`, token
types, scores), the merges of byte-level vocabularies and the special-token ids. This module
turns that back into the tokenizer transformers builds from the same file (its GGUF loader,
`AutoTokenizer.from_pretrained(dir, gguf_file=...)`), for
  - byte-level BPE (`tokenizer.ggml.model = gpt2`) with a known `tokenizer.ggml.pre`;
  - SentencePiece vocabularies (`tokenizer.ggml.model = llama`): a BPE with byte fallback whose
    merges are recovered from the vocabulary, with the whitespace handling of the architecture
    (Gemma: Replace normalizer + Split on spaces; Phi-3: Prepend + Replace normalizer; the rest,
    Llama-2/Mistral style: Metaspace with prepend scheme "first").
It never raises: an unsupported vocabulary gives (None, the reason), and the checkpoint is
written without a tokenizer.json.
"""
from __future__ import annotations

import json

# Pre-tokenizers of the llama.cpp `tokenizer.ggml.pre` names whose Hugging Face form is known.
_LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _byte_level(use_regex: bool, add_prefix_space: bool = False) -> dict:
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True,
            "use_regex": use_regex}


def _split(pattern: str) -> dict:
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}


PRE_TOKENIZERS = {
    "gpt-2": _byte_level(True),
    "smollm": {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, _byte_level(True)]},
    "llama-bpe": {"type": "Sequence", "pretokenizers": [_split(_LLAMA3_SPLIT), _byte_level(False)]},
    "qwen2": {"type": "Sequence", "pretokenizers": [_split(_QWEN2_SPLIT), _byte_level(False)]},
}
_CONTROL, _USER_DEFINED = 3, 4  # llama.cpp token types


def gguf_tokenizer(meta: dict) -> tuple[str | None, str]:
    """tokenizer.json text and a note, or (None, why no tokenizer.json can be written)."""
    model = meta.get("tokenizer.ggml.model")
    if model == "llama":
        return sentencepiece_tokenizer(meta, meta.get("general.architecture", ""))
    if model != "gpt2":
        return None, (f"tokenizer model '{model}' is neither byte-level BPE (gpt2) nor "
                      "SentencePiece (llama); no tokenizer.json written")
    return byte_level_tokenizer(meta)


def byte_level_tokenizer(meta: dict) -> tuple[str | None, str]:
    pre = meta.get("tokenizer.ggml.pre", "(none)")
    if pre not in PRE_TOKENIZERS:
        return None, (f"pre-tokenizer '{pre}' is not one the converter knows "
                      f"({', '.join(PRE_TOKENIZERS)}); no tokenizer.json written")
    tokens = list(meta.get("tokenizer.ggml.tokens", []))
    types = list(meta.get("tokenizer.ggml.token_type", [1] * len(tokens)))
    merges = list(meta.get("tokenizer.ggml.merges", []))
    if len(types) != len(tokens):
        return None, f"{len(tokens)} tokens but {len(types)} token types; no tokenizer.json written"
    for key in ("bos_token_id", "eos_token_id"):
        tid = meta.get(f"tokenizer.ggml.{key}")
        if tid is not None and not 0 <= int(tid) < len(tokens):
            return None, (f"{key} {tid} is outside the {len(tokens)}-token vocabulary; "
                          "no tokenizer.json written")
    vocab = {}
    for i, t in enumerate(tokens):
        if t in vocab:
            return None, f"token {t!r} appears twice (ids {vocab[t]} and {i}); no tokenizer.json written"
        vocab[t] = i
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": types[i] != _CONTROL, "special": types[i] == _CONTROL}
             for i, t in enumerate(tokens) if types[i] in (_CONTROL, _USER_DEFINED)]
    post = _post_processor(meta, tokens,
                           fallback={"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                                     "use_regex": True})
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None, "pre_tokenizer": PRE_TOKENIZERS[pre], "post_processor": post,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": pre == "llama-bpe",
                  "vocab": vocab, "merges": merges},
    }
    return json.dumps(tokenizer, ensure_ascii=False, indent=2), f"rebuilt from GGUF (pre '{pre}')"


def adds_special(meta: dict, flag: str) -> bool:
    """llama.cpp's add_bos_token / add_eos_token; when the file does not say, a SentencePiece
    vocabulary adds BOS (llama.cpp's and transformers' default) and nothing else is added."""
    default = flag == "add_bos_token" and meta.get("tokenizer.ggml.model") == "llama"
    return bool(meta.get(f"tokenizer.ggml.{flag}", default))


def _post_processor(meta: dict, tokens: list[str], fallback: dict | None) -> dict | None:
    """BOS/EOS insertion as llama.cpp's add_bos_token/add_eos_token flags ask; else `fallback`."""
    parts = []
    for key, flag in (("bos_token_id", "add_bos_token"), ("eos_token_id", "add_eos_token")):
        if adds_special(meta, flag) and f"tokenizer.ggml.{key}" in meta:
            parts.append((flag, tokens[int(meta[f"tokenizer.ggml.{key}"])],
                          int(meta[f"tokenizer.ggml.{key}"])))
    if not parts:
        return fallback

    def seq(piece, type_id):
        out = [{"SpecialToken": {"id": t, "type_id": type_id}} for f, t, _ in parts if f == "add_bos_token"]
        out.append({"Sequence": {"id": piece, "type_id": type_id}})
        out += [{"SpecialToken": {"id": t, "type_id": type_id}} for f, t, _ in parts if f == "add_eos_token"]
        return out
    return {"type": "TemplateProcessing", "single": seq("A", 0), "pair": seq("A", 0) + seq("B", 1),
            "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for _, t, i in parts}}


# ----------------------------------------------------------------------------------------
# SentencePiece vocabularies (tokenizer.ggml.model = "llama")

_MARK = "\u2581"  # SentencePiece's visible space "▁"
_UNKNOWN = 2  # llama.cpp token type of <unk>
_GEMMA_ARCHS = ("gemma", "gemma2", "gemma3")


def recover_merges(tokens: list[str], scores: dict[str, float] | None) -> list[tuple[str, str]]:
    """The merges a SentencePiece vocabulary implies (it stores none): every split of a piece
    into two pieces of the vocabulary is a merge. Within a piece the splits are ordered by the
    ids of (left, right); then all merges by the piece's score, best first, ties by the longer
    left and then the longer right part, else in vocabulary order — transformers' ordering
    (`generate_merges`), reproduced so that ids agree with it. Without scores, by id.
    """
    ids = {t: i for i, t in enumerate(tokens)}  # a repeated token keeps its last id, as a dict does
    ranked = scores if scores is not None else ids
    found = []
    for piece, score in ranked.items():
        splits = [(piece[:k], piece[k:], score) for k in range(1, len(piece))
                  if piece[:k] in ids and piece[k:] in ids]
        splits.sort(key=lambda m: (ids[m[0]], ids[m[1]]))
        found += splits
    found.sort(key=lambda m: (m[2], len(m[0]), len(m[1])), reverse=scores is not None)
    return [(left, right) for left, right, _ in found]


def _replace(pattern: str, content: str) -> dict:
    return {"type": "Replace", "pattern": {"String": pattern}, "content": content}


def _sp_decoder(strip_prefix: bool) -> dict:
    steps = [_replace(_MARK, " "), {"type": "ByteFallback"}, {"type": "Fuse"}]
    if strip_prefix:
        steps.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    return {"type": "Sequence", "decoders": steps}


def sentencepiece_tokenizer(meta: dict, arch: str) -> tuple[str | None, str]:
    tokens = list(meta.get("tokenizer.ggml.tokens", []))
    types = list(meta.get("tokenizer.ggml.token_type", [1] * len(tokens)))
    if len(types) != len(tokens):
        return None, f"{len(tokens)} tokens but {len(types)} token types; no tokenizer.json written"
    raw_scores = meta.get("tokenizer.ggml.scores")
    stored = tokens  # the file's spelling: transformers adds user-defined pieces by it
    if arch in _GEMMA_ARCHS:
        # Gemma files spell whitespace-only pieces with real spaces ("  "), which the Replace
        # normalizer never produces: respell them with "▁". Their scores do not follow the
        # merge order, the token order does (transformers' reading of these files).
        tokens = [_MARK * len(t) if " " in t and not t.strip() else t for t in tokens]
        scores = {t: -i for i, t in enumerate(tokens)}
        unk = "<unk>"
        normalizer, pre = _replace(" ", _MARK), {"type": "Split", "pattern": {"String": " "},
                                                   "behavior": "MergedWithPrevious", "invert": False}
        decoder = _sp_decoder(strip_prefix=False)
        style = "Gemma (Replace normalizer, Split on spaces)"
    else:
        if raw_scores is None or len(raw_scores) != len(tokens):
            return None, "SentencePiece vocabulary without one score per token; no tokenizer.json written"
        scores = {}
        for t, sc in zip(tokens, raw_scores):
            scores[t] = float(sc)
        unk = None  # transformers' Llama tokenizer gives its BPE no unk token
        if arch == "phi3":
            normalizer = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": _MARK},
                                                              _replace(" ", _MARK)]}
            pre = None
            style = "Phi-3 (Prepend + Replace normalizer)"
        else:
            normalizer = None
            pre = {"type": "Metaspace", "replacement": _MARK, "prepend_scheme": "first", "split": False}
            style = "Llama (Metaspace, prepend first)"
        decoder = _sp_decoder(strip_prefix=True)
    vocab = {t: i for i, t in enumerate(tokens)}
    if unk is not None and unk not in vocab:
        return None, f"the vocabulary has no '{unk}' token; no tokenizer.json written"
    named = set()
    for key in ("bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id"):
        tid = meta.get(f"tokenizer.ggml.{key}")
        if tid is not None:
            if not 0 <= int(tid) < len(tokens):
                return None, f"{key} {tid} is outside the {len(tokens)}-token vocabulary; no tokenizer.json written"
            named.add(int(tid))
    # GemmaTokenizer also declares <mask> a special token (its default mask_token).
    special_names = {"<mask>"} if arch in _GEMMA_ARCHS else set()
    added = []
    for i, t in enumerate(tokens):
        if vocab[t] != i:
            continue  # a repeated piece: the model knows only its last id
        if types[i] == _CONTROL or i in named or t in special_names:
            added.append(_added(i, t, special=True))
        elif types[i] == _USER_DEFINED and stored[i] == t:
            # A respelled whitespace piece ("  " → "▁▁") is not added: transformers looks the
            # file's spelling up in the respelled vocabulary and does not find it.
            added.append(_added(i, t, special=False))
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizer, "pre_tokenizer": pre,
        "post_processor": _post_processor(meta, tokens, fallback=None),
        "decoder": decoder,
        "model": {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [list(m) for m in recover_merges(tokens, scores)]},
    }
    return json.dumps(tokenizer, ensure_ascii=False), f"rebuilt from GGUF (SentencePiece, {style})"


def _added(i: int, t: str, special: bool) -> dict:
    return {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": special}
