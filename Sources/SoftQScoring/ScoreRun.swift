import Foundation
import SoftQBase
import SoftQEvaluation
import SoftQRewards
import SoftQTokenizers
import SoftQCheckpoint
import SoftQKernels

/// Where per-token values go (`--per-token`).
public enum PerTokenFormat: String, CaseIterable, Sendable {
    case hdf5, jsonl, none
}

/// Everything a run directory records besides the scores themselves.
public struct RunRecord: Sendable {
    public var options: ScoringOptions
    public var appendEOS: Bool
    public var special: SpecialTokens
    /// The chat template used by at least one record, if any, and how many templated responses
    /// tokenize differently apart than as one rendered string.
    public var chat: ChatFormat?
    public var boundaryChanges: Int
    public var hasReference: Bool
    public var perToken: PerTokenFormat
    public var csv: Bool
    public var bootstrap: BootstrapOptions
    public var provenance: JSONValue
    public var warnings: [String]
    public var skipped: [InputError]

    public init(options: ScoringOptions, appendEOS: Bool, special: SpecialTokens, chat: ChatFormat? = nil,
                boundaryChanges: Int = 0, hasReference: Bool,
                perToken: PerTokenFormat, csv: Bool, bootstrap: BootstrapOptions, provenance: JSONValue,
                warnings: [String], skipped: [InputError]) {
        self.options = options
        self.appendEOS = appendEOS
        self.special = special
        self.chat = chat
        self.boundaryChanges = boundaryChanges
        self.hasReference = hasReference
        self.perToken = perToken
        self.csv = csv
        self.bootstrap = bootstrap
        self.provenance = provenance
        self.warnings = warnings
        self.skipped = skipped
    }

    /// A run's record from the tokenization it used: its special tokens (and their warnings,
    /// added to `warnings`) and chat template.
    public init(options: ScoringOptions, tokenization tp: TokenizationPolicy, boundaryChanges: Int = 0,
                hasReference: Bool, perToken: PerTokenFormat, csv: Bool, bootstrap: BootstrapOptions,
                provenance: JSONValue, warnings: [String], skipped: [InputError]) {
        self.init(options: options, appendEOS: tp.appendEOS, special: tp.special, chat: tp.chat,
                  boundaryChanges: boundaryChanges, hasReference: hasReference, perToken: perToken, csv: csv,
                  bootstrap: bootstrap, provenance: provenance, warnings: warnings + tp.special.warnings, skipped: skipped)
    }

    /// The conventions used, as summary.json's `options`.
    public var optionsJSON: JSONValue {
        let r = options.rewards
        var f: [(String, JSONValue)] = [
            ("score", .string(options.aggregate.rawValue)),
            ("temperature", .double(r.alpha)),
            ("gamma", .double(r.gamma)),
            ("terminal", .string(r.terminal.rawValue)),
            ("append_eos", .bool(appendEOS)),
            ("bos", .string(special.addBOS ? "added once (\(special.addBOSSource))" : "not added")),
            ("bos_id", special.bosID.map { .int($0) } ?? .null),
            ("eos_id", special.appendedEOS.map { .int($0) } ?? .null),
            ("special_tokens", special.json),
        ]
        if let chat {
            if case .object(var c) = chat.json {
                c.append(("boundary_changes", .int(boundaryChanges)))
                f.append(("chat_template", .object(c)))
            }
        }
        if hasReference { f.append(("beta", .double(r.beta))) }
        f += [
            ("per_token", .string(perToken.rawValue)),
            ("bootstrap_samples", .int(bootstrap.samples)),
            ("seed", .string(String(bootstrap.seed))),
        ]
        // Recorded only when asked for (default runs keep their files): whether products were
        // stacked, which depends on the OpenBLAS kernel family (`BLAS.stacking`).
        if options.stackSequences { f.append(("stack_sequences", .bool(BLAS.stacking != nil))) }
        return .object(f)
    }

    var skippedJSON: JSONValue { Self.skippedJSON(skipped.map(\.description)) }

    /// summary.json's `skipped`: how many input lines were skipped and why, in input order.
    public static func skippedJSON(_ lines: [String]) -> JSONValue {
        .object([("count", .int(lines.count)), ("lines", .array(lines.map { .string($0) }))])
    }
}

/// Provenance common to every export: softq version, the command, input hashes, the time.
public enum Provenance {
    public static func make(command: [String], checkpoint: JSONValue, reference: JSONValue?, inputs: [(String, String)]) throws -> JSONValue {
        var f: [(String, JSONValue)] = [
            ("softq_version", .string(SoftQVersion.string)),
            ("command", .array(command.map { .string($0) })),
            ("checkpoint", checkpoint),
        ]
        if let reference { f.append(("reference", reference)) }
        for (key, path) in inputs {
            f.append((key, .object([("path", .string(path)), ("sha256", .string(try InputHash.sha256(path: path)))])))
        }
        // The kernel family changes the low bits of every product (docs/performance.md), so a
        // reader comparing two runs to the last digit needs to know it.
        f.append(("blas_kernels", .string(BLAS.coreName)))
        f.append(("time", .string(ISO8601DateFormatter().string(from: Date()))))
        return .object(f)
    }
}

/// Writes the files of `softq score` (docs/spec/outputs.md) into a run directory.
public enum ScoreRunWriter {
    public static let schemaVersion = 1

    /// One pairs.jsonl line, fields in the documented order.
    public static func pairJSON(_ p: ScoredPair, score: Aggregate) -> JSONValue {
        .object([
            ("id", .string(p.record.id)),
            ("subset", .string(p.record.subset)),
            ("score", .string(score.rawValue)),
            ("margin", .double(p.margin)),
            ("correct", .bool(p.correct)),
            ("tie", .bool(p.tie)),
            ("prompt_tokens", .int(p.promptLength)),
            ("chosen", p.chosen.scores.summaryJSON),
            ("rejected", p.rejected.scores.summaryJSON),
        ])
    }

    public static func tokenRows(_ pairs: [ScoredPair], tokenizer: Tokenizer?) -> [TokenRow] {
        var rows: [TokenRow] = []
        for p in pairs {
            for (side, r) in [("chosen", p.chosen), ("rejected", p.rejected)] {
                rows.append(TokenRow(pair: p.index, id: p.record.id, side: side, ids: r.ids,
                                     pieces: tokenizer.map { tok in r.ids.map { (try? tok.tokenDisplay($0)) ?? "�" } },
                                     scores: r.scores))
            }
        }
        return rows
    }

    /// Writes pairs.jsonl, the per-token file, pairs.csv (optional) and summary.json (last, so
    /// a directory with a summary is complete). Returns the evaluation it summarised.
    @discardableResult
    public static func write(pairs: [ScoredPair], record: RunRecord, tokenizer: Tokenizer?, to dir: URL) throws -> (PairEvaluation?, JSONValue) {
        var lines = JSONLinesWriter()
        for p in pairs { lines.append(pairJSON(p, score: record.options.aggregate)) }
        try lines.write(to: dir.appendingPathComponent("pairs.jsonl"))
        if record.csv { try AtomicFile.write(csv(pairs, score: record.options.aggregate), to: dir.appendingPathComponent("pairs.csv")) }
        switch record.perToken {
        case .hdf5:
            try TokenExport.hdf5(tokenRows(pairs, tokenizer: tokenizer), to: dir.appendingPathComponent("tokens.h5"),
                                 attributes: [("schema_version", String(schemaVersion)), ("provenance", record.provenance.serialized())])
        case .jsonl:
            try TokenExport.jsonl(tokenRows(pairs, tokenizer: tokenizer), to: dir.appendingPathComponent("tokens.jsonl"))
        case .none: break
        }
        // A shard may hold no pairs (N larger than the records): its summary then has no statistics.
        let eval = pairs.isEmpty ? nil : try PairEvaluation(pairs: pairs.map(outcome), bootstrap: record.bootstrap)
        let summary = summaryJSON(evaluation: eval, skipped: record.skippedJSON, options: record.optionsJSON,
                                  provenance: record.provenance, warnings: record.warnings)
        try AtomicFile.write(summary.prettySerialized(), to: dir.appendingPathComponent("summary.json"))
        return (eval, summary)
    }

    /// What summary.json's statistics are computed from, per pair.
    public static func outcome(_ p: ScoredPair) -> PairOutcome {
        PairOutcome(margin: p.margin, subset: p.record.subset.isEmpty ? nil : p.record.subset)
    }

    /// summary.json, fields in the documented order; `softq merge` writes its summary here too.
    public static func summaryJSON(evaluation: PairEvaluation?, skipped: JSONValue, options: JSONValue,
                                   provenance: JSONValue, warnings: [String]) -> JSONValue {
        var fields: [(String, JSONValue)] = [("schema_version", .int(schemaVersion)), ("command", .string("score"))]
        if case .object(let e)? = evaluation?.json { fields += e }
        fields += [
            ("skipped", skipped),
            ("options", options),
            ("provenance", provenance),
            ("warnings", .array(warnings.map { .string($0) })),
        ]
        return .object(fields)
    }

    static let aggregateColumns: [(String, KeyPath<Aggregates, Double> & Sendable)] = [
        ("sum", \.sum), ("mean", \.mean), ("discounted", \.discounted),
        ("logprob_sum", \.logprobSum), ("logprob_mean", \.logprobMean), ("logprob_norm", \.logprobNorm),
    ]

    /// The per-pair table as CSV (RFC 4180 quoting), one row per pair in input order.
    public static func csv(_ pairs: [ScoredPair], score: Aggregate) -> String {
        let hasDPO = pairs.first?.chosen.scores.aggregates.dpo != nil
        var header = ["id", "subset", "score", "margin", "correct", "tie", "prompt_tokens"]
        for side in ["chosen", "rejected"] {
            header += ["\(side)_tokens"] + aggregateColumns.map { "\(side)_\($0.0)" } + ["\(side)_prompt_value", "\(side)_terminal"]
            if hasDPO { header.append("\(side)_dpo") }
        }
        var out = header.joined(separator: ",") + "\n"
        for p in pairs {
            var row = [csvField(p.record.id), csvField(p.record.subset), score.rawValue, JSONValue.formatDouble(p.margin),
                       p.correct ? "true" : "false", p.tie ? "true" : "false", String(p.promptLength)]
            for r in [p.chosen.scores, p.rejected.scores] {
                row.append(String(r.tokens))
                row += aggregateColumns.map { JSONValue.formatDouble(r.aggregates[keyPath: $0.1]) }
                row += [JSONValue.formatDouble(r.promptValue), r.terminal ? "true" : "false"]
                if hasDPO { row.append(JSONValue.formatDouble(r.aggregates.dpo ?? .nan)) }
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// The short table `softq score` prints.
    public static func table(_ e: PairEvaluation, score: Aggregate, skipped: Int) -> String {
        func f(_ x: Double, _ d: Int = 4) -> String { x.isFinite ? String(format: "%.\(d)f", x) : "n/a" }
        var s = ""
        s += "pairs          \(e.count)" + (skipped > 0 ? " (\(skipped) skipped)" : "") + "\n"
        s += "score          \(score.rawValue)\n"
        s += "accuracy       \(f(e.accuracy))  95% CI [\(f(e.accuracyInterval.low)), \(f(e.accuracyInterval.high))]\n"
        s += "ties           \(e.ties)\n"
        s += "mean margin    \(f(e.margins.mean))  (median \(f(e.margins.median)), std \(f(e.margins.std)))\n"
        s += "calibration    Brier \(f(e.calibration.brier)), ECE \(f(e.calibration.ece))\n"
        if !e.subsets.isEmpty {
            let w = max(6, e.subsets.map(\.subset.count).max() ?? 0)
            s += "\n" + "subset".padding(toLength: w, withPad: " ", startingAt: 0) + "      n  accuracy\n"
            for sub in e.subsets {
                s += sub.subset.padding(toLength: w, withPad: " ", startingAt: 0)
                    + String(repeating: " ", count: max(1, 7 - String(sub.count).count)) + String(sub.count)
                    + "  " + f(sub.accuracy) + "\n"
            }
        }
        if let rb = e.rewardBench {
            s += "\nRewardBench sections: " + rb.json.serialized() + "\n"
        }
        return s
    }
}

/// SHA-256 of input files (pairs, generations), for provenance.
public enum InputHash {
    public static func sha256(path: String) throws -> String {
        do { return try SoftQCheckpoint.FileHash.sha256(path: path) } catch {
            throw InputError(file: path, line: 0, message: "cannot read the file for hashing")
        }
    }
}
