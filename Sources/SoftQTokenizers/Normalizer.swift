import Foundation

/// The `normalizer` stage of tokenizer.json, keyed by its `type`.
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case prepend(String)
    case replace(pattern: String, content: String)
    case strip(left: Bool, right: Bool)

    init(_ f: JField) throws {
        let type = try f.stageType()
        switch type {
        case "Sequence":
            self = .sequence(try f.required("normalizers").array().map(Normalizer.init))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Prepend": self = .prepend(try f.required("prepend").string())
        case "Replace":
            let p = try f.required("pattern")
            guard let s = p.child("String") else {
                throw TokenizerError.unsupportedStage(path: p.path, type: "Replace", hint: "only String patterns are supported")
            }
            self = .replace(pattern: try s.string(), content: try f.required("content").string())
        case "Strip":
            self = .strip(left: try f.bool("strip_left", default: true), right: try f.bool("strip_right", default: true))
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type,
                hint: "supported normalizers: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace (string), Strip")
        }
    }

    /// The Unicode version of the normalization tables inside `tokenizers` 0.23 (the
    /// unicode-normalization-alignments crate: Unicode 9.0; measured: combining marks of 9.0
    /// reorder, those of 10.0 do not).
    static let unicodeVersion = (major: 9, minor: 0)

    /// Applies a normalization form as tables of `unicodeVersion` would: a character assigned
    /// later is, to them, an unassigned starter (combining class 0, no decomposition), which
    /// nothing reorders or composes across; so the text is normalized in runs between such
    /// characters, which stay as they are. (Normalization stability makes the runs agree.)
    static func versioned(_ s: String, _ form: (String) -> String) -> String {
        var out = ""
        var run = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if let age = u.properties.age, (age.major, age.minor) > unicodeVersion {
                if !run.isEmpty { out += form(String(run)); run.removeAll() }
                out.unicodeScalars.append(u)
            } else {
                run.append(u)
            }
        }
        if !run.isEmpty { out += form(String(run)) }
        return out
    }

    /// Foundation on Linux (Swift 6.3) leaves a precomposed LV syllable followed by a
    /// trailing jamo uncomposed (U+C560 U+11BE stays, NFC is U+C577); the Unicode Hangul
    /// composition (UAX #15, §16) makes them one LVT syllable: LV + (T − U+11A7).
    static func composeHangulLVT(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var changed = false
        for u in s.unicodeScalars {
            if (0x11A8...0x11C2).contains(u.value), let last = out.last,
               (0xAC00...0xD7A3).contains(last.value), (last.value - 0xAC00) % 28 == 0 {
                out.removeLast()
                out.append(Unicode.Scalar(last.value + u.value - 0x11A7)!)
                changed = true
            } else {
                out.append(u)
            }
        }
        return changed ? String(out) : s
    }

    func apply(_ s: String) -> String {
        switch self {
        case .sequence(let steps): return steps.reduce(s) { $1.apply($0) }
        case .nfc: return Normalizer.versioned(s) { Normalizer.composeHangulLVT($0.precomposedStringWithCanonicalMapping) }
        case .nfd: return Normalizer.versioned(s) { $0.decomposedStringWithCanonicalMapping }
        case .nfkc: return Normalizer.versioned(s) { Normalizer.composeHangulLVT($0.precomposedStringWithCompatibilityMapping) }
        case .nfkd: return Normalizer.versioned(s) { $0.decomposedStringWithCompatibilityMapping }
        case .lowercase: return s.lowercased()
        case .prepend(let p): return s.isEmpty ? s : p + s
        case .replace(let pattern, let content): return replaceScalars(s, pattern, content)
        case .strip(let left, let right):
            var scalars = Substring(s).unicodeScalars[...]
            if left { while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        }
    }
}
