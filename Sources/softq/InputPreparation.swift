import SoftQScoring

/// A record that may be given as messages (it then needs a chat template).
protocol InputRecord { var isConversational: Bool { get } }
extension PairRecord: InputRecord {}
extension ResponseRecord: InputRecord {}
/// Step-labelled solutions are plain text (their steps must map onto the response's bytes).
extension StepRecord: InputRecord { var isConversational: Bool { false } }

extension CLI {
    /// Reads an input file and tokenizes its records the one way every scoring command does:
    /// read (bad lines skipped only with `skipInvalid`), choose the tokenization (a chat template
    /// when any line is a conversation), prepare up to `limit` records, and fail with the
    /// skipped lines' reasons when nothing is left (`NoUsableInputError`, `what` names the records).
    static func prepareInputs<Record: InputRecord, Prepared>(
        _ path: String, read: (String, Bool) throws -> ([Record], [InputError]), policy: LoadedPolicy,
        conventions: ConventionOptions, skipInvalid: Bool, limit: Int?, what: String,
        prepare: (TokenizationPolicy, Record) throws -> Prepared
    ) throws -> (tokenization: TokenizationPolicy, prepared: [Prepared], skipped: [InputError]) {
        let (records, readSkips) = try read(path, skipInvalid)
        let tp = try policy.tokenization(conventions.tokenization, inputPath: path, conversational: records.contains { $0.isConversational })
        var skipped = readSkips
        let prepared = try tp.prepareAll(records, skipInvalid: skipInvalid, limit: limit, skipped: &skipped) { try prepare(tp, $0) }
        try NoUsableInputError.require(prepared, path: path, what: what, skipped: skipped)
        return (tp, prepared, skipped)
    }

    /// `prepareInputs` for preference pairs.
    static func preparePairs(_ path: String, policy: LoadedPolicy, conventions: ConventionOptions, skipInvalid: Bool, limit: Int?,
                             what: String) throws -> (tokenization: TokenizationPolicy, prepared: [PreparedPair], skipped: [InputError]) {
        try prepareInputs(path, read: { try InputReader.readPairs(path: $0, skipInvalid: $1) }, policy: policy, conventions: conventions,
                          skipInvalid: skipInvalid, limit: limit, what: what) { try $0.prepare($1) }
    }
}
