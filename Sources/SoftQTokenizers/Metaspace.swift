/// SentencePiece's whitespace convention as the `Metaspace` pre-tokenizer and decoder spell it:
/// every space becomes `replacement` (U+2581 "▁"), and a "▁" is prepended to the text —
/// always (`always`), only to the segment that starts the input (`first`), or never (`never`).
/// Older files say `add_prefix_space: true/false` instead of `prepend_scheme` (false = never).
struct Metaspace: Sendable, Equatable {
    enum PrependScheme: String, Sendable { case always, first, never }

    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    /// Whether the pre-tokenizer also splits before each `replacement` (MergedWithNext).
    let split: Bool

    init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement; self.prependScheme = prependScheme; self.split = split
    }

    init(_ f: JField) throws {
        let r = try f.child("replacement")?.string() ?? "\u{2581}"
        guard r.unicodeScalars.count == 1, let scalar = r.unicodeScalars.first else {
            throw TokenizerError.invalidField(path: f.path + ".replacement", expected: "one character", actual: "\"\(r)\"")
        }
        var scheme = PrependScheme.always
        if let p = f.child("prepend_scheme") {
            guard let s = PrependScheme(rawValue: try p.string()) else {
                throw TokenizerError.invalidField(path: p.path, expected: "always, first or never", actual: "\"\(try p.string())\"")
            }
            scheme = s
        }
        if let a = f.child("add_prefix_space"), try !a.bool() {
            if f.child("prepend_scheme") != nil, scheme != .never {
                throw TokenizerError.invalidField(path: a.path, expected: "a value agreeing with prepend_scheme", actual: "false")
            }
            scheme = .never
        }
        self.init(replacement: scalar, prependScheme: scheme, split: try f.bool("split", default: true))
    }

    /// The pre-tokenizer's text rewrite of one segment; `atStart` says whether the segment
    /// begins the input (offset 0 of the original text), which `first` asks.
    func rewrite(_ s: Substring, atStart: Bool) -> Substring {
        guard !s.isEmpty else { return s }
        var out = String.UnicodeScalarView()
        let prepend = prependScheme == .always || (prependScheme == .first && atStart)
        if prepend, s.unicodeScalars.first != replacement, s.unicodeScalars.first != " " { out.append(replacement) }
        for u in s.unicodeScalars { out.append(u == " " ? replacement : u) }
        return Substring(String(out))
    }

    /// The decoder: `replacement` back to a space, except in the first token when a prefix was
    /// prepended — there every `replacement` is dropped (HF's rule, not only the leading one).
    func decode(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, t in
            var out = String.UnicodeScalarView()
            for u in t.unicodeScalars {
                if u == replacement {
                    if i == 0 && prependScheme != .never { continue }
                    out.append(" ")
                } else {
                    out.append(u)
                }
            }
            return String(out)
        }
    }
}
