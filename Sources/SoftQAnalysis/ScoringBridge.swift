import SoftQBase
import SoftQRewards
import SoftQScoring

/// Turns analysis inputs into SoftQScoring's records and back, so that every response an
/// analysis scores is tokenized and scored exactly as `softq score` would.
///
/// Records are built through `InputReader.parseResponse` (the public way to make one), so a
/// perturbed or generated response obeys the same rules and error messages as a file line.
enum ScoringBridge {
    /// A single-response record with text content.
    static func textRecord(id: String, prompt: String, response: String, line: Int, file: String) throws -> ResponseRecord {
        let json = JSONValue.object([("id", .string(id)), ("prompt", .string(prompt)), ("response", .string(response))])
        return try InputReader.parseResponse(json.serialized(), line: line, file: file)
    }

    /// A single-response record with token ids, used verbatim.
    static func idsRecord(id: String, prompt: [Int], response: [Int], line: Int, file: String) throws -> ResponseRecord {
        let json = JSONValue.object([("id", .string(id)), ("prompt_ids", .array(prompt.map { .int($0) })),
                                     ("response_ids", .array(response.map { .int($0) }))])
        return try InputReader.parseResponse(json.serialized(), line: line, file: file)
    }

    /// The response ids without a trailing EOS (which the scorer appends or the data carries):
    /// token-level perturbations act on the content and the EOS is put back afterwards.
    static func content(_ r: PreparedResponse, eosID: Int?) -> (ids: [Int], hadEOS: Bool) {
        if r.endsWithEOS, let eos = eosID, r.ids.last == eos, r.ids.count > 1 { return (Array(r.ids.dropLast()), true) }
        return (r.ids, false)
    }

    static func texts(_ record: PairRecord) -> (prompt: String, chosen: String, rejected: String)? {
        if case let .text(p, c, r) = record.content { return (p, c, r) }
        return nil
    }

    /// The aggregate's value; `dpo` without a reference model is rejected up front by the commands.
    static func value(_ s: ResponseScores, _ a: Aggregate) -> Double {
        s.aggregates.value(a) ?? .nan
    }
}
