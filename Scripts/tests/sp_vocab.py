"""A tiny SentencePiece-style vocabulary as llama.cpp stores one in GGUF (tokens, scores, token
types), shared by test_convert.py and the fixture script that records transformers' ids for it.

Two spellings: `llama` (Llama-2 layout: <unk> <s> </s>, 256 byte pieces, learned pieces with
falling scores) and `gemma` (Gemma layout: <pad> <eos> <bos> <unk> <mask>, control and
user-defined tokens, whitespace-only pieces spelled with real spaces as Gemma files do).
"""
MARK = "\u2581"
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6  # llama.cpp token types

PIECES = [MARK + "t", MARK + "th", MARK + "the", "he", MARK + "a", MARK + "an", MARK + "and", "ll", "llo",
          MARK + "he", MARK + "hello", MARK + "w", MARK + "wor", MARK + "world", "ld", "or", MARK + "o",
          MARK + "or", "in", "ing", MARK + "s", MARK + "sp", "ace", MARK + "1", "12", "日本", MARK + "x",
          MARK * 2, MARK * 4]
CHARS = [MARK, "t", "h", "e", "a", "n", "d", "l", "o", "w", "r", "i", "g", "s", "p", "c", "1", "2",
         "x", "日", "本", "!", ".", "H"]

TEXTS = ["hello world", " hello  world", "  leading", "trailing  ", "the and or 12", "Hello!",
         "日本 and 日本語", "emoji \U0001F600 here", "\u0001 control", "x\n\ty", "", " ", "spacing    out",
         "<s>hello</s>", "a<start_of_turn>user\nhi<end_of_turn>", "think: <think>x</think>",
         "\u2581marked", "ÿ byte", "1212 121", "\u2581\u2581 x", "  \u2581\u2581\u2581\u2581"]


def vocabulary(style: str) -> tuple[list[str], list[float], list[int], dict]:
    """(tokens, scores, token types, special ids) of the tiny vocabulary in `style`."""
    if style == "llama":
        head = [("<unk>", UNKNOWN), ("<s>", CONTROL), ("</s>", CONTROL)]
        specials = {"bos": 1, "eos": 2, "unk": 0}
    else:
        head = [("<pad>", CONTROL), ("<eos>", CONTROL), ("<bos>", CONTROL), ("<unk>", UNKNOWN),
                ("<mask>", USER_DEFINED), ("<start_of_turn>", CONTROL), ("<end_of_turn>", CONTROL)]
        specials = {"pad": 0, "eos": 1, "bos": 2, "unk": 3, "eot": 6}
    tokens = [t for t, _ in head] + [f"<0x{b:02X}>" for b in range(256)]
    types = [ty for _, ty in head] + [BYTE] * 256
    scores = [0.0] * len(tokens)
    learned = CHARS + PIECES
    if style == "gemma":
        learned = [" " * len(p) if set(p) == {MARK} and len(p) > 1 else p for p in learned]
    for k, p in enumerate(learned):
        tokens.append(p)
        # Gemma marks its whitespace runs user-defined (and spells them with real spaces).
        types.append(USER_DEFINED if style == "gemma" and p.strip() == "" and len(p) > 1 else NORMAL)
        # Characters score lowest; pieces in a scrambled order (merges rank by the piece's score).
        j = k - len(CHARS)
        scores.append(-100.0 - k if j < 0 else -1.0 - 0.25 * ((7 * j) % len(PIECES)))
    tokens += ["<think>", "</think>"]
    types += [USER_DEFINED, USER_DEFINED]
    scores += [0.0, 0.0]
    return tokens, scores, types, specials


# (architecture, vocabulary style) pairs whose SentencePiece handling differs in transformers:
# Llama/Mistral (Metaspace), Phi-3 (Prepend + Replace normalizer), Gemma 3 (Replace + Split).
CASES = [("llama", "llama"), ("phi3", "llama"), ("gemma3", "gemma")]


def write_sp_gguf(path, arch: str, style: str, tensors: dict, add_bos=None) -> None:
    """A GGUF of `arch` with the tiny SentencePiece vocabulary and the given GGUF tensors."""
    import gguf
    tokens, scores, types, specials = vocabulary(style)
    w = gguf.GGUFWriter(str(path), arch)
    for key, value in (("block_count", 1), ("context_length", 16), ("embedding_length", 8),
                       ("feed_forward_length", 16), ("attention.head_count", 2), ("attention.head_count_kv", 1)):
        w.add_uint32(f"{arch}.{key}", value)
    w.add_float32(f"{arch}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(specials["bos"])
    w.add_eos_token_id(specials["eos"])
    w.add_unk_token_id(specials["unk"])
    if "pad" in specials:
        w.add_pad_token_id(specials["pad"])
    if add_bos is not None:
        w.add_add_bos_token(add_bos)
    for name, x in tensors.items():
        w.add_tensor(name, x)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tiny_tensors(n_tokens: int) -> dict:
    """Deterministic weights of the shapes a one-layer model of any mapped family accepts."""
    import numpy as np
    rng = np.random.default_rng(5)
    return {"token_embd.weight": rng.standard_normal((n_tokens, 8)).astype(np.float32),
            "output_norm.weight": rng.standard_normal(8).astype(np.float32)}
