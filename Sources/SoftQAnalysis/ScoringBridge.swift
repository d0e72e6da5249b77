import SoftQBase
import SoftQRewards
import SoftQScoring

/// Turns analysis inputs into SoftQScoring's records and back, so that every response an
/// analysis scores is tokenized and scored exactly as `softq score` would.
///
/// Records keep the input's line number, so a tokenization error (e.g. a perturbed copy that
/// no longer fits the context) names the line of the pair or generation it came from.
enum ScoringBridge {
    /// A single-response record with text content.
    static func textRecord(id: String, prompt: String, response: String, line: Int, file: String) throws -> ResponseRecord {
        ResponseRecord(line: line, id: id, content: .text(prompt: prompt, response: response))
    }

    /// A single-response record with token ids, used verbatim (never empty: the scorer needs a token).
    static func idsRecord(id: String, prompt: [Int], response: [Int], line: Int, file: String) throws -> ResponseRecord {
        guard !prompt.isEmpty, !response.isEmpty else {
            throw InputError(file: file, line: line, field: prompt.isEmpty ? "prompt_ids" : "response_ids", message: "empty")
        }
        return ResponseRecord(line: line, id: id, content: .ids(prompt: prompt, response: response))
    }

    /// The response ids without a trailing end-of-episode token (which the scorer appends, the
    /// template closes the turn with, or the data carries): token-level perturbations act on the
    /// content and that same token is put back afterwards.
    static func content(_ r: PreparedResponse) -> (ids: [Int], eos: Int?) {
        if r.endsWithEOS, r.ids.count > 1 { return (Array(r.ids.dropLast()), r.ids.last) }
        return (r.ids, nil)
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
