/// Added tokens (`added_tokens` of tokenizer.json): matched in the text before any
/// pre-tokenization, leftmost-longest, first those with `normalized: false` on the raw text,
/// then those with `normalized: true` on each normalized remainder — Hugging Face's order.
struct AddedToken: Sendable {
    let id: Int
    let content: String
    let special: Bool
    let normalized: Bool
    let lstrip: Bool
    let rstrip: Bool

    init(id: Int, content: String, special: Bool, normalized: Bool, lstrip: Bool = false, rstrip: Bool = false) {
        self.id = id; self.content = content; self.special = special; self.normalized = normalized
        self.lstrip = lstrip; self.rstrip = rstrip
    }

    init(_ f: JField) throws {
        id = try f.required("id").int()
        content = try f.required("content").string()
        special = try f.bool("special", default: false)
        normalized = try f.bool("normalized", default: !special)
        lstrip = try f.bool("lstrip", default: false)
        rstrip = try f.bool("rstrip", default: false)
        if try f.bool("single_word", default: false) {
            throw TokenizerError.unsupportedStage(path: f.path + ".single_word", type: "added_tokens",
                hint: "single_word added tokens are not supported")
        }
        if content.isEmpty { throw TokenizerError.invalidField(path: f.path + ".content", expected: "a non-empty string", actual: "\"\"") }
    }
}

/// A set of added tokens matched over UTF-8 bytes, candidates indexed by first byte.
struct AddedMatcher: Sendable {
    private var byFirstByte: [[(bytes: [UInt8], index: Int)]] = Array(repeating: [], count: 256)
    let tokens: [AddedToken]
    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        for (k, t) in tokens.enumerated() {
            let b = Array(t.content.utf8)
            byFirstByte[Int(b[0])].append((b, k))
        }
        // Longest first, so the first hit at a position is the leftmost-longest match.
        for k in 0..<256 { byFirstByte[k].sort { $0.bytes.count > $1.bytes.count } }
    }

    enum Piece { case text(Range<Int>); case token(Int) }

    /// Splits UTF-8 bytes into text ranges and added-token ids.
    func split(_ bytes: [UInt8]) -> [Piece] {
        var out: [Piece] = []
        var textStart = 0
        var i = 0
        while i < bytes.count {
            var hit: (len: Int, index: Int)? = nil
            for cand in byFirstByte[Int(bytes[i])] where cand.bytes.count <= bytes.count - i {
                var same = true
                for k in 1..<cand.bytes.count where bytes[i + k] != cand.bytes[k] { same = false; break }
                if same { hit = (cand.bytes.count, cand.index); break }
            }
            guard let h = hit else { i += 1; continue }
            var start = i, end = i + h.len
            let t = tokens[h.index]
            if t.lstrip { while start > textStart, let w = AddedMatcher.whitespaceBefore(bytes, start) { start -= w } }
            if t.rstrip { while end < bytes.count, let w = AddedMatcher.whitespaceAt(bytes, end) { end += w } }
            if start > textStart { out.append(.text(textStart..<start)) }
            out.append(.token(t.id))
            textStart = end
            i = end
        }
        if textStart < bytes.count { out.append(.text(textStart..<bytes.count)) }
        return out
    }

    /// Byte length of the whitespace scalar starting at `i`, if it is one.
    static func whitespaceAt(_ b: [UInt8], _ i: Int) -> Int? {
        var it = b[i...].makeIterator()
        var dec = UTF8()
        if case .scalarValue(let s) = dec.decode(&it), s.properties.isWhitespace { return UTF8.width(s) }
        return nil
    }

    /// Byte length of the whitespace scalar ending just before `i`, if it is one.
    static func whitespaceBefore(_ b: [UInt8], _ i: Int) -> Int? {
        var s = i - 1
        while s > 0, b[s] & 0xC0 == 0x80 { s -= 1 }
        guard let w = whitespaceAt(b, s), s + w == i else { return nil }
        return w
    }
}
