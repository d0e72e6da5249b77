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

    func apply(_ s: String) -> String {
        switch self {
        case .sequence(let steps): return steps.reduce(s) { $1.apply($0) }
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return s.decomposedStringWithCanonicalMapping
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        case .lowercase: return s.lowercased()
        case .prepend(let p): return s.isEmpty ? s : p + s
        case .replace(let pattern, let content): return pattern.isEmpty ? s : s.replacingOccurrences(of: pattern, with: content)
        case .strip(let left, let right):
            var scalars = Substring(s).unicodeScalars[...]
            if left { while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() } }
            return String(String.UnicodeScalarView(scalars))
        }
    }
}
