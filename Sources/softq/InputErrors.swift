import SoftQScoring

/// An input file that leaves nothing to work on: a data error (exit status 1, "Error: …"),
/// not a usage error, so it names the file and says why each line was dropped — the first few
/// reasons and how many there were — instead of printing the usage text.
struct NoUsableInputError: Error, CustomStringConvertible {
    /// The input file.
    let path: String
    /// What was looked for, plural: "pairs", "lines".
    let what: String
    /// Every line skipped as invalid, in file order.
    let skipped: [InputError]

    /// How many reasons are spelled out; the rest are counted.
    static let reasonsShown = 5

    var description: String {
        guard !skipped.isEmpty else { return "\(path): no \(what) (the file holds none)" }
        let shown = skipped.prefix(Self.reasonsShown).map { "  \($0.description)" }
        let more = skipped.count > Self.reasonsShown ? ["  … and \(skipped.count - Self.reasonsShown) more"] : []
        let noun = skipped.count == 1 ? "line was" : "lines were"
        return (["\(path): no valid \(what): all \(skipped.count) \(noun) skipped as invalid:"] + shown + more)
            .joined(separator: "\n")
    }

    /// Throws unless `prepared` holds something; otherwise logs each skipped line as a warning.
    static func require<T>(_ prepared: [T], path: String, what: String, skipped: [InputError]) throws {
        guard !prepared.isEmpty else { throw NoUsableInputError(path: path, what: what, skipped: skipped) }
        for s in skipped { CLI.logger.warning("skipped \(s.description)") }
    }
}

/// A data error found while running (exit status 1), with its message as the whole text.
struct DataError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
