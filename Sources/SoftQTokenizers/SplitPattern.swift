/// The regex split patterns of the supported families, matched by hand over Unicode scalars.
///
/// Hugging Face runs these through Oniguruma (leftmost match, alternatives tried in order,
/// greedy quantifiers with backtracking). Each matcher below returns, for a start position,
/// the end of the match that regex would find there; the patterns match at every position,
/// so the matches tile the text. Only patterns recognised verbatim are accepted: any other
/// pattern is an `unsupportedStage` error, never an approximation.
enum SplitPattern: Equatable, Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2, and
    /// the ByteLevel pre-tokenizer's built-in regex).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,K}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// with K = 3 (Llama-3, SmolLM3) or a single `\p{N}` (Qwen2, K = 1).
    case llama3(maxDigits: Int)
    /// A literal string (`{"String": ...}` patterns), matched left to right without overlap.
    case literal([UInt32])

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func regex(_ pattern: String, path: String) throws -> SplitPattern {
        switch pattern {
        case gpt2Regex: return .gpt2
        case llama3Regex: return .llama3(maxDigits: 3)
        case qwen2Regex: return .llama3(maxDigits: 1)
        default:
            throw TokenizerError.unsupportedStage(path: path, type: "Split",
                hint: "regex pattern \(pattern) is not one of the GPT-2, Llama-3 or Qwen2 patterns softq matches exactly")
        }
    }

    /// The matches of the pattern inside `range` of the text, in order.
    func matches(_ text: ScalarText, _ range: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        switch self {
        case .gpt2:
            var i = range.lowerBound
            while i < range.upperBound {
                let e = SplitPattern.gpt2End(text, i, range.upperBound)
                out.append(i..<e)
                i = e
            }
        case .llama3(let k):
            var i = range.lowerBound
            while i < range.upperBound {
                let e = SplitPattern.llama3End(text, i, range.upperBound, maxDigits: k)
                out.append(i..<e)
                i = e
            }
        case .literal(let needle):
            guard !needle.isEmpty else { return out }
            var i = range.lowerBound
            while i + needle.count <= range.upperBound {
                var hit = true
                for k in 0..<needle.count where text.scalars[i + k] != needle[k] { hit = false; break }
                if hit { out.append(i..<(i + needle.count)); i += needle.count } else { i += 1 }
            }
        }
        return out
    }

    private static let apostrophe: UInt32 = 0x27, space: UInt32 = 0x20, cr: UInt32 = 0x0D, lf: UInt32 = 0x0A

    /// End of a whitespace match starting at `i` for `\s+(?!\S)|\s+`: the whole run when it
    /// reaches the end, otherwise the run minus its last character (which then leads the next
    /// word), but at least one character.
    @inline(__always)
    private static func spaceEnd(_ t: ScalarText, _ i: Int, _ n: Int) -> Int {
        var e = i
        while e < n, t.classes[e] == .space { e += 1 }
        return e == n ? n : max(e - 1, i + 1)
    }

    @inline(__always)
    private static func run(_ t: ScalarText, from j: Int, _ n: Int, _ c: CharClass) -> Int {
        var e = j
        while e < n, t.classes[e] == c { e += 1 }
        return e
    }

    static func gpt2End(_ t: ScalarText, _ i: Int, _ n: Int) -> Int {
        let c = t.scalars[i]
        if c == apostrophe, i + 1 < n {
            switch t.scalars[i + 1] {
            case 0x73, 0x74, 0x6D, 0x64: return i + 2  // 's 't 'm 'd
            case 0x72, 0x76, 0x6C:  // 're 've 'll
                if i + 2 < n {
                    let pair = (t.scalars[i + 1], t.scalars[i + 2])
                    if pair == (0x72, 0x65) || pair == (0x76, 0x65) || pair == (0x6C, 0x6C) { return i + 3 }
                }
            default: break
            }
        }
        var j = i
        if c == space, i + 1 < n, t.classes[i + 1] != .space { j = i + 1 }
        let k = t.classes[j]
        if j > i || k != .space { return run(t, from: j + 1, n, k) }
        return spaceEnd(t, i, n)
    }

    /// Case-insensitive contraction check; U+017F (long s) folds to "s" in Oniguruma.
    @inline(__always)
    private static func fold(_ v: UInt32) -> UInt32 {
        if v >= 0x41 && v <= 0x5A { return v + 0x20 }
        if v == 0x17F { return 0x73 }
        return v
    }

    static func llama3End(_ t: ScalarText, _ i: Int, _ n: Int, maxDigits: Int) -> Int {
        let c = t.scalars[i]
        if c == apostrophe, i + 1 < n {
            let d = fold(t.scalars[i + 1])
            if d == 0x73 || d == 0x74 || d == 0x6D || d == 0x64 { return i + 2 }
            if i + 2 < n {
                let e = fold(t.scalars[i + 2])
                if (d == 0x72 && e == 0x65) || (d == 0x76 && e == 0x65) || (d == 0x6C && e == 0x6C) { return i + 3 }
            }
        }
        let k = t.classes[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if k == .letter { return run(t, from: i + 1, n, .letter) }
        if k != .number, c != cr, c != lf, i + 1 < n, t.classes[i + 1] == .letter {
            return run(t, from: i + 2, n, .letter)
        }
        // \p{N}{1,K}
        if k == .number {
            var e = i + 1
            while e < n, e - i < maxDigits, t.classes[e] == .number { e += 1 }
            return e
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var j = i
        if c == space, i + 1 < n, t.classes[i + 1] == .other { j = i + 1 }
        if t.classes[j] == .other {
            var e = run(t, from: j + 1, n, .other)
            while e < n, t.scalars[e] == cr || t.scalars[e] == lf { e += 1 }
            return e
        }
        // \s*[\r\n]+ : through the last line break of the whitespace run.
        var e = i
        var lastBreak = -1
        while e < n, t.classes[e] == .space {
            if t.scalars[e] == cr || t.scalars[e] == lf { lastBreak = e }
            e += 1
        }
        if lastBreak >= 0 { return lastBreak + 1 }
        return e == n ? n : max(e - 1, i + 1)
    }
}

/// A text segment as Unicode scalars with their character classes and UTF-8 offsets, the
/// working form of the pre-tokenizers (which split it into ranges of scalar indices).
struct ScalarText {
    var scalars: [UInt32] = []
    var classes: [CharClass] = []
    /// utf8Offsets[i] is the byte offset of scalar i; one extra entry at the end.
    var utf8Offsets: [Int] = []
    var utf8: [UInt8] = []

    init(_ s: Substring) {
        utf8 = Array(s.utf8)
        scalars.reserveCapacity(utf8.count)
        classes.reserveCapacity(utf8.count)
        utf8Offsets.reserveCapacity(utf8.count + 1)
        var off = 0
        for u in s.unicodeScalars {
            scalars.append(u.value)
            classes.append(CharClassifier.classify(u.value))
            utf8Offsets.append(off)
            off += UTF8.width(u)
        }
        utf8Offsets.append(off)
    }

    var count: Int { scalars.count }

    func bytes(_ r: Range<Int>) -> ArraySlice<UInt8> { utf8[utf8Offsets[r.lowerBound]..<utf8Offsets[r.upperBound]] }
}
