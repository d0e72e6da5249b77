/// The `decoder` stage: token strings back to text. Each step maps the list of token strings
/// to a new list (HF's `decode_chain`); the tokenizer joins the final list.
indirect enum Decoder: Sendable {
    case sequence([Decoder])
    /// Joins the tokens and maps byte-level characters back to bytes; invalid UTF-8 becomes
    /// U+FFFD per maximal ill-formed subpart (as Rust's `from_utf8_lossy`). A token with a
    /// character outside the byte map contributes its own UTF-8.
    case byteLevel
    /// Every occurrence of `pattern` in each token replaced by `content` (string patterns only).
    case replace(pattern: String, content: String)
    /// Runs of `<0xNN>` tokens become the text of their bytes; a run that is not valid UTF-8
    /// becomes one U+FFFD per byte token (HF's rule, unlike byte-level's lossy decoding).
    case byteFallback
    /// All tokens joined into one.
    case fuse
    /// Up to `start` leading and `stop` trailing `content` characters removed from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case metaspace(Metaspace)

    init(_ f: JField) throws {
        let type = try f.stageType()
        switch type {
        case "Sequence": self = .sequence(try f.required("decoders").array().map(Decoder.init))
        case "ByteLevel": self = .byteLevel
        case "Replace":
            let p = try f.required("pattern")
            guard let s = p.child("String") else {
                throw TokenizerError.unsupportedStage(path: p.path, type: "Replace", hint: "only String patterns are supported")
            }
            self = .replace(pattern: try s.string(), content: try f.required("content").string())
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            let c = try f.required("content")
            let text = try c.string()
            guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
                throw TokenizerError.invalidField(path: c.path, expected: "one character", actual: "\"\(text)\"")
            }
            let start = try f.required("start").int(), stop = try f.required("stop").int()
            guard start >= 0, stop >= 0 else {
                throw TokenizerError.invalidField(path: f.path, expected: "non-negative start and stop", actual: "\(start), \(stop)")
            }
            self = .strip(content: scalar, start: start, stop: stop)
        case "Metaspace": self = .metaspace(try Metaspace(f))
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type,
                hint: "supported decoders: Sequence, ByteLevel, Replace (string), ByteFallback, Fuse, Strip, Metaspace")
        }
    }

    func decode(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let steps): return steps.reduce(tokens) { $1.decode($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                if let b = ByteLevelMap.decode(t) { bytes += b } else { bytes += Array(t.utf8) }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .replace(let pattern, let content):
            return tokens.map { replaceScalars($0, pattern, content) }
        case .byteFallback:
            var out: [String] = []
            var run: [UInt8] = []
            func flush() {
                guard !run.isEmpty else { return }
                if let s = String(validating: run, as: UTF8.self) { out.append(s) } else { out += Array(repeating: "\u{FFFD}", count: run.count) }
                run.removeAll()
            }
            for t in tokens {
                if let b = Decoder.fallbackByte(t) { run.append(b); continue }
                flush()
                out.append(t)
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .strip(let c, let start, let stop):
            return tokens.map { t in
                let u = Array(t.unicodeScalars)
                var lo = 0, hi = u.count
                while lo < min(start, u.count), u[lo] == c { lo += 1 }
                var k = 0
                while k < stop, hi > lo, u[hi - 1] == c { hi -= 1; k += 1 }
                var v = String.UnicodeScalarView()
                v.append(contentsOf: u[lo..<hi])
                return String(v)
            }
        case .metaspace(let m):
            return m.decode(tokens)
        }
    }

    /// The byte of a `<0xNN>` token: six bytes, `<0x`, two hex digits (either case), `>` (Rust's
    /// `u8::from_str_radix` also takes "+F", so does Swift's parser; a "-" it refuses).
    static func fallbackByte(_ t: String) -> UInt8? {
        let b = Array(t.utf8)
        guard b.count == 6, b[0] == 0x3C, b[1] == 0x30, b[2] == 0x78, b[5] == 0x3E, b[3] != 0x2D else { return nil }
        return UInt8(String(decoding: b[3...4], as: UTF8.self), radix: 16)
    }
}

/// Replaces every non-overlapping occurrence of `pattern`, left to right, comparing Unicode
/// scalars — not Characters, which would miss a space followed by a combining mark.
func replaceScalars(_ s: String, _ pattern: String, _ content: String) -> String {
    let needle = Array(pattern.unicodeScalars)
    guard let first = needle.first else { return s }
    let hay = Array(s.unicodeScalars)
    var out = String.UnicodeScalarView()
    var i = 0
    var changed = false
    while i < hay.count {
        if hay[i] == first, i + needle.count <= hay.count, hay[i..<(i + needle.count)].elementsEqual(needle) {
            out.append(contentsOf: content.unicodeScalars)
            i += needle.count
            changed = true
        } else {
            out.append(hay[i])
            i += 1
        }
    }
    return changed ? String(out) : s
}
