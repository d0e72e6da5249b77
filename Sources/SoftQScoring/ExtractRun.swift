import Foundation
import SoftQBase
import SoftQTokenizers

/// Writes the files of `softq extract` (docs/spec/outputs.md): responses.jsonl, the per-token file and a
/// summary.json with options and provenance.
public enum ExtractRunWriter {
    public static func responseJSON(_ s: ScoredSingle) -> JSONValue {
        var f: [(String, JSONValue)] = [("id", .string(s.record.id)), ("prompt_tokens", .int(s.promptLength))]
        if case .object(let rest) = s.response.scores.summaryJSON { f += rest }
        return .object(f)
    }

    public static func write(_ items: [ScoredSingle], record: RunRecord, tokenizer: Tokenizer?, to dir: URL) throws {
        var lines = JSONLinesWriter()
        for s in items { lines.append(responseJSON(s)) }
        try lines.write(to: dir.appendingPathComponent("responses.jsonl"))
        let rows = items.map { s in
            TokenRow(pair: s.index, id: s.record.id, side: nil, ids: s.response.ids,
                     pieces: tokenizer.map { tok in s.response.ids.map { (try? tok.tokenDisplay($0)) ?? "�" } },
                     scores: s.response.scores)
        }
        switch record.perToken {
        case .hdf5:
            try TokenExport.hdf5(rows, to: dir.appendingPathComponent("tokens.h5"),
                                 attributes: [("schema_version", String(ScoreRunWriter.schemaVersion)), ("provenance", record.provenance.serialized())])
        case .jsonl: try TokenExport.jsonl(rows, to: dir.appendingPathComponent("tokens.jsonl"))
        case .none: break
        }
        let summary = summaryJSON(count: items.count, skipped: record.skippedJSON, options: record.optionsJSON,
                                  provenance: record.provenance, warnings: record.warnings)
        try AtomicFile.write(summary.prettySerialized(), to: dir.appendingPathComponent("summary.json"))
    }

    /// summary.json of an extract run; `softq merge` writes its summary here too.
    public static func summaryJSON(count: Int, skipped: JSONValue, options: JSONValue, provenance: JSONValue, warnings: [String]) -> JSONValue {
        .object([
            ("schema_version", .int(ScoreRunWriter.schemaVersion)),
            ("command", .string("extract")),
            ("n_responses", .int(count)),
            ("skipped", skipped),
            ("options", options),
            ("provenance", provenance),
            ("warnings", .array(warnings.map { .string($0) })),
        ])
    }
}
