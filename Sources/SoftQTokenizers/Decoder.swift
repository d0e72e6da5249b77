/// The `decoder` stage: token strings back to text.
indirect enum Decoder: Sendable {
    case sequence([Decoder])
    /// Joins the tokens and maps byte-level characters back to bytes; invalid UTF-8 becomes
    /// U+FFFD per maximal ill-formed subpart (as Rust's `from_utf8_lossy`). A token with a
    /// character outside the byte map contributes its own UTF-8.
    case byteLevel

    init(_ f: JField) throws {
        let type = try f.stageType()
        switch type {
        case "Sequence": self = .sequence(try f.required("decoders").array().map(Decoder.init))
        case "ByteLevel": self = .byteLevel
        default:
            throw TokenizerError.unsupportedStage(path: f.path, type: type, hint: "supported decoders: Sequence, ByteLevel")
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
        }
    }
}
