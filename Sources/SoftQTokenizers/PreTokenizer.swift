/// The `pre_tokenizer` stage of tokenizer.json, keyed by its `type`. Each step refines a list
/// of scalar ranges of one text segment; a `ByteLevel` step, when present, must come last and
/// turns on byte-level symbols in the model. A `Metaspace` step rewrites the text (spaces →
/// `replacement`, maybe one prepended), so it must come first: `rewrite` does that part on the
/// whole segment before the ranges are made, `apply` only splits.
indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// Split on the pattern's matches; the behavior says what becomes of them.
    case split(SplitPattern, SplitBehavior)
    /// Numeric characters split off, one piece per digit when `individual`, else per run.
    case digits(individual: Bool)
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// SentencePiece's whitespace marker (Llama-2, Mistral): see `Metaspace`.
    case metaspace(Metaspace)

    init(_ f: JField) throws {
        let type = try f.stageType()
        switch type {
        case "Sequence":
            let steps = try f.required("pretokenizers").array().map(PreTokenizer.init)
            for (k, step) in steps.enumerated() {
                if case .byteLevel(let prefix, _) = step, k != steps.count - 1 || (prefix && steps.count > 1) {
                    throw TokenizerError.unsupportedStage(path: "\(f.path).pretokenizers[\(k)]", type: "ByteLevel",
                        hint: "ByteLevel is supported as the last pre-tokenizer, with add_prefix_space only when alone")
                }
                if case .metaspace = step, k != 0 {
                    throw TokenizerError.unsupportedStage(path: "\(f.path).pretokenizers[\(k)]", type: "Metaspace",
                        hint: "Metaspace is supported as the first pre-tokenizer only")
                }
                if case .sequence = step {
                    throw TokenizerError.unsupportedStage(path: "\(f.path).pretokenizers[\(k)]", type: "Sequence",
                        hint: "nested Sequence pre-tokenizers are not supported")
                }
            }
            self = .sequence(steps)
        case "Metaspace":
            self = .metaspace(try Metaspace(f))
        case "Split":
            let p = try f.required("pattern")
            let pattern: SplitPattern
            if let r = p.child("Regex") {
                pattern = try SplitPattern.regex(try r.string(), path: r.path)
            } else if let s = p.child("String") {
                pattern = .literal(try s.string().unicodeScalars.map(\.value))
            } else {
                throw TokenizerError.invalidField(path: p.path, expected: "{\"Regex\": ...} or {\"String\": ...}", actual: p.node.typeName)
            }
            if try f.bool("invert", default: false) {
                throw TokenizerError.unsupportedStage(path: f.path + ".invert", type: "Split", hint: "invert: true is not supported")
            }
            let behavior = try f.required("behavior")
            let name = try behavior.string()
            guard let b = SplitBehavior(name: name) else {
                throw TokenizerError.unsupportedStage(path: behavior.path, type: "Split",
                    hint: "behavior \(name) is not one of " + SplitBehavior.names.map(\.0).joined(separator: ", "))
            }
            self = .split(pattern, b)
        case "Digits":
            self = .digits(individual: try f.bool("individual_digits", default: false))
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: try f.bool("add_prefix_space", default: true),
                              useRegex: try f.bool("use_regex", default: true))
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type,
                hint: "supported pre-tokenizers: Sequence, Split, Digits, ByteLevel, Metaspace")
        }
    }

    /// Whether the model sees byte-level symbols (a ByteLevel step is present).
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let steps): return steps.contains { $0.isByteLevel }
        default: return false
        }
    }

    /// Whether a space must be prepended to each segment first (ByteLevel add_prefix_space).
    var addsPrefixSpace: Bool {
        switch self {
        case .byteLevel(let p, _): return p
        case .sequence(let steps): return steps.contains { $0.addsPrefixSpace }
        default: return false
        }
    }

    /// The leading Metaspace step, if any (the only place one may stand).
    var leadingMetaspace: Metaspace? {
        switch self {
        case .metaspace(let m): return m
        case .sequence(let steps): if case .metaspace(let m)? = steps.first { return m }; return nil
        default: return nil
        }
    }

    func apply(_ text: ScalarText, _ pieces: [Range<Int>]) -> [Range<Int>] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.apply(text, $0) }
        case .split(let pattern, let behavior):
            var out: [Range<Int>] = []
            out.reserveCapacity(pieces.count)
            for r in pieces { behavior.split(r, matches: pattern.matches(text, r), into: &out) }
            return out
        case .metaspace(let m):
            guard m.split else { return pieces }
            var out: [Range<Int>] = []
            let marker = SplitPattern.literal([m.replacement.value])
            for r in pieces { SplitBehavior.mergedWithNext.split(r, matches: marker.matches(text, r), into: &out) }
            return out
        case .digits(let individual):
            var out: [Range<Int>] = []
            for r in pieces {
                var at = r.lowerBound
                var i = r.lowerBound
                while i < r.upperBound {
                    guard CharClassifier.isNumeric(text.scalars[i]) else { i += 1; continue }
                    if i > at { out.append(at..<i) }
                    var e = i + 1
                    if !individual { while e < r.upperBound, CharClassifier.isNumeric(text.scalars[e]) { e += 1 } }
                    out.append(i..<e)
                    at = e
                    i = e
                }
                if at < r.upperBound { out.append(at..<r.upperBound) }
            }
            return out
        case .byteLevel(_, let useRegex):
            guard useRegex else { return pieces }
            return PreTokenizer.split(.gpt2, .isolated).apply(text, pieces)
        }
    }
}
