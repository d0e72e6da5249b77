/// The `post_processor` stage: which special ids `encode(addSpecialTokens: true)` puts
/// around a single sequence. ByteLevel only trims offsets, which softq does not report.
indirect enum PostProcessor: Sendable {
    case sequence([PostProcessor])
    case byteLevel
    /// TemplateProcessing's `single` template, resolved to the ids before and after $A.
    case template(prefix: [Int], suffix: [Int])

    init(_ f: JField) throws {
        let type = try f.stageType()
        switch type {
        case "Sequence":
            self = .sequence(try f.required("processors").array().map(PostProcessor.init))
        case "ByteLevel":
            self = .byteLevel
        case "TemplateProcessing":
            let specials = try f.child("special_tokens")?.object() ?? []
            var prefix: [Int] = [], suffix: [Int] = []
            var seenSequence = false
            for piece in try f.required("single").array() {
                if let s = piece.child("Sequence") {
                    let name = try s.required("id").string()
                    guard name == "A" else {
                        throw TokenizerError.invalidField(path: s.path + ".id", expected: "\"A\" in a single template", actual: "\"\(name)\"")
                    }
                    seenSequence = true
                } else if let t = piece.child("SpecialToken") {
                    let name = try t.required("id").string()
                    guard let entry = specials.first(where: { $0.0 == name })?.1 else {
                        throw TokenizerError.unknownToken(path: f.path + ".special_tokens", token: name)
                    }
                    let ids = try entry.required("ids").array().map { try $0.int() }
                    if seenSequence { suffix += ids } else { prefix += ids }
                } else {
                    throw TokenizerError.invalidField(path: piece.path, expected: "{\"Sequence\"} or {\"SpecialToken\"}", actual: piece.node.typeName)
                }
            }
            self = .template(prefix: prefix, suffix: suffix)
        case "RobertaProcessing", "BertProcessing":
            func special(_ key: String) throws -> Int {
                let pair = try f.required(key).array()
                guard pair.count == 2 else { throw TokenizerError.invalidField(path: f.path + "." + key, expected: "[token, id]", actual: "array") }
                return try pair[1].int()
            }
            self = .template(prefix: [try special("cls")], suffix: [try special("sep")])
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type,
                hint: "supported post-processors: Sequence, ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing")
        }
    }

    var prefix: [Int] {
        switch self {
        case .sequence(let s): return s.flatMap(\.prefix)
        case .byteLevel: return []
        case .template(let p, _): return p
        }
    }

    var suffix: [Int] {
        switch self {
        case .sequence(let s): return s.flatMap(\.suffix)
        case .byteLevel: return []
        case .template(_, let s): return s
        }
    }
}
