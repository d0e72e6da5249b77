import Foundation
import SoftQBase
import SoftQEvaluation

/// `softq merge` for `softq score` and `softq extract` shards (docs/spec/run-directories.md,
/// "Shards and merging"): writes into `dir` the files the single-process run would have written.
///
/// - pairs.jsonl, responses.jsonl, tokens.jsonl: each line is one record's complete JSON as the
///   run's writer made it, with indices counted over the whole input, so the shards' lines
///   concatenated in shard order are the single run's bytes.
/// - pairs.csv: the header once (from the first shard holding pairs), then every shard's rows.
/// - tokens.h5: the shards' tables concatenated, written by `TokenExport.hdf5`.
/// - summary.json: written by the run's own summary writer; for score the statistics are
///   recomputed over all pairs' margins and subsets (read back exactly: doubles are written in
///   their shortest round-trip form) with the job's bootstrap seed and samples.
public enum ShardMerge {
    public struct Result {
        /// Nil for extract.
        public var evaluation: PairEvaluation?
        public var records: Int
        public var options: JSONValue
        public var provenance: JSONValue
        public var skipped: Int
    }

    /// The run kinds `softq merge` joins.
    public static let runs: Set<String> = ["score", "extract"]

    public static func write(shards: [ShardRun], to dir: URL, out: String) throws -> Result {
        let run = shards[0].manifest.run
        guard runs.contains(run) else { throw ShardMergeError.unsupported(run: run) }
        let summaries = try shards.map { try ShardSet.json("summary.json", of: $0) }
        let provenance = ShardSet.mergedProvenance(summaries[0]["provenance"] ?? .null, shards: shards, out: out)
        let options = mergedOptions(summaries)
        let skipped = summaries.flatMap { $0["skipped"]?["lines"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        let warnings = summaries[0]["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []

        let recordsFile = run == "score" ? "pairs.jsonl" : "responses.jsonl"
        let lines = try concatenate(recordsFile, shards, required: true) ?? Data()
        try AtomicFile.write(lines, to: dir.appendingPathComponent(recordsFile))
        if let t = try concatenate("tokens.jsonl", shards) { try AtomicFile.write(t, to: dir.appendingPathComponent("tokens.jsonl")) }
        if try ShardSet.read("tokens.h5", of: shards[0]) != nil {
            var table = TokenTable()
            for s in shards {
                do { table.append(try TokenTable(reading: s.directory.appendingPathComponent("tokens.h5"))) } catch {
                    throw ShardMergeError.unreadable(directory: s.directory.path, file: "tokens.h5", reason: "\(error)")
                }
            }
            try TokenExport.hdf5(table, to: dir.appendingPathComponent("tokens.h5"),
                                 attributes: [("schema_version", String(ScoreRunWriter.schemaVersion)), ("provenance", provenance.serialized())])
        }
        let records = String(decoding: lines, as: UTF8.self).split(separator: "\n")

        if run == "extract" {
            let summary = ExtractRunWriter.summaryJSON(count: records.count, skipped: RunRecord.skippedJSON(skipped), options: options,
                                                       provenance: provenance, warnings: warnings)
            try AtomicFile.write(summary.prettySerialized(), to: dir.appendingPathComponent("summary.json"))
            return Result(evaluation: nil, records: records.count, options: options, provenance: provenance, skipped: skipped.count)
        }

        if try ShardSet.read("pairs.csv", of: shards[0]) != nil {
            var header: Substring?, rows = ""
            for s in shards {
                let text = String(decoding: try ShardSet.read("pairs.csv", of: s) ?? Data(), as: UTF8.self)
                guard let nl = text.firstIndex(of: "\n") else { continue }
                let body = text[text.index(after: nl)...]
                // The header names the DPO columns only when a pair has them: take it from a shard with pairs.
                if header == nil || (rows.isEmpty && !body.isEmpty) { header = text[...nl] }
                rows += body
            }
            try AtomicFile.write(String(header ?? "") + rows, to: dir.appendingPathComponent("pairs.csv"))
        }
        var outcomes: [PairOutcome] = []
        for (k, line) in records.enumerated() {
            func bad(_ reason: String) -> ShardMergeError {
                .unreadable(directory: dir.path, file: "pairs.jsonl", reason: "merged line \(k + 1): \(reason)")
            }
            let v: JSONValue
            do { v = try JSONParser.parse(String(line)) } catch { throw bad("\(error)") }
            guard let margin = v["margin"]?.doubleValue, let subset = v["subset"]?.stringValue else { throw bad("lacks margin or subset") }
            outcomes.append(PairOutcome(margin: margin, subset: subset.isEmpty ? nil : subset))
        }
        guard let samples = options["bootstrap_samples"]?.intValue, let seed = options["seed"]?.stringValue.flatMap({ UInt64($0) }) else {
            throw ShardMergeError.unreadable(directory: shards[0].directory.path, file: "summary.json", reason: "options lack bootstrap_samples or seed")
        }
        let evaluation = try PairEvaluation(pairs: outcomes, bootstrap: BootstrapOptions(samples: samples, seed: seed))
        let summary = ScoreRunWriter.summaryJSON(evaluation: evaluation, skipped: RunRecord.skippedJSON(skipped), options: options,
                                                 provenance: provenance, warnings: warnings)
        try AtomicFile.write(summary.prettySerialized(), to: dir.appendingPathComponent("summary.json"))
        return Result(evaluation: evaluation, records: outcomes.count, options: options, provenance: provenance, skipped: skipped.count)
    }

    /// `file` of every shard, concatenated in shard order; nil when the first shard has none.
    static func concatenate(_ file: String, _ shards: [ShardRun], required: Bool = false) throws -> Data? {
        guard try ShardSet.read(file, of: shards[0]) != nil || required else { return nil }
        var all = Data()
        for s in shards {
            guard let d = try ShardSet.read(file, of: s) else {
                throw ShardMergeError.unreadable(directory: s.directory.path, file: file, reason: "missing from the shard's manifest")
            }
            all += d
        }
        return all
    }

    /// The shards' options are the job's (the manifests' job identities matched); only the chat
    /// template's `boundary_changes` counts records, so it is summed over the shards.
    static func mergedOptions(_ summaries: [JSONValue]) -> JSONValue {
        guard case .object(var f) = summaries[0]["options"] ?? .null else { return .null }
        if let k = f.firstIndex(where: { $0.0 == "chat_template" }), case .object(var c) = f[k].1,
           let j = c.firstIndex(where: { $0.0 == "boundary_changes" }) {
            c[j].1 = .int(summaries.reduce(0) { $0 + ($1["options"]?["chat_template"]?["boundary_changes"]?.intValue ?? 0) })
            f[k].1 = .object(c)
        }
        return .object(f)
    }
}
