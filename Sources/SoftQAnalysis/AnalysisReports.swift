import Foundation
import SoftQBase

/// The analysis files (docs/analysis.md): a JSON summary plus tables, each built from the
/// pure results above. `options` and `provenance` come from the command (the same provenance
/// object as `softq score`'s summary.json) and are written last.
public struct AnalysisFiles {
    public var name: String
    public var summary: JSONValue
    public var tables: [(String, AnalysisTable)]

    public func write(to directory: String) throws {
        try AnalysisJSON.write(directory: URL(fileURLWithPath: directory), name: name, summary: summary, tables: tables)
    }
}

func header(_ analysis: String) -> [(String, JSONValue)] {
    [("schema_version", .int(AnalysisJSON.schemaVersion)), ("analysis", .string(analysis))]
}

extension RobustnessStats {
    var fields: [(String, JSONValue)] {
        [("n", .int(n)), ("wins", .int(wins)), ("ties", .int(ties)), ("win_rate", AnalysisJSON.number(winRate)),
         ("win_rate_ci95", AnalysisJSON.interval(winRateCI)), ("mean_reward_drop", AnalysisJSON.number(meanDrop)),
         ("mean_reward_drop_ci95", AnalysisJSON.interval(meanDropCI)), ("median_reward_drop", AnalysisJSON.number(medianDrop))]
    }
}

/// One scored perturbed copy, for the per-instance table.
public struct RobustnessInstance: Sendable {
    public var outcome: PerturbationOutcome
    public var pairID: String
    public var originalTokens: Int
    public var perturbedTokens: Int
    /// The perturbed text (textual types) or nil (token-level types).
    public var perturbedText: String?

    public init(outcome: PerturbationOutcome, pairID: String, originalTokens: Int, perturbedTokens: Int, perturbedText: String?) {
        self.outcome = outcome
        self.pairID = pairID
        self.originalTokens = originalTokens
        self.perturbedTokens = perturbedTokens
        self.perturbedText = perturbedText
    }
}

/// robustness.json, robustness_rows.{jsonl,csv} (one row per type and strength) and
/// robustness_instances.{jsonl,csv} (one row per scored perturbed copy).
public func robustnessFiles(_ summary: RobustnessSummary, instances: [RobustnessInstance], aggregate: String,
                            pairs: Int, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
    let rows = summary.rows.map { r -> JSONValue in
        .object([("type", .string(r.type)), ("strength", .double(r.strength)), ("skipped", .int(r.skipped))] + r.stats.fields)
    }
    let byType = summary.byType.map { t -> JSONValue in
        .object([("type", .string(t.type)), ("skipped", .int(t.skipped))] + t.stats.fields
                + [("strength_drop_spearman", AnalysisJSON.number(t.strengthDropSpearman)),
                   ("strength_drop_slope", AnalysisJSON.number(t.strengthDropSlope))])
    }
    let json = JSONValue.object(header("robustness") + [
        ("aggregate", .string(aggregate)), ("n_pairs", .int(pairs)), ("n_scored", .int(instances.count)),
        ("perturbations", .array(rows)), ("by_type", .array(byType)),
        ("options", options), ("provenance", provenance),
    ])
    var table = AnalysisTable(columns: ["type", "strength", "skipped", "n", "wins", "ties", "win_rate", "win_rate_ci95",
                                        "mean_reward_drop", "mean_reward_drop_ci95", "median_reward_drop"])
    for r in rows { table.append(table.columns.map { r[$0] ?? .null }) }
    var inst = AnalysisTable(columns: ["pair", "id", "type", "strength", "original", "perturbed", "drop", "win",
                                       "original_tokens", "perturbed_tokens", "perturbed_text"])
    for i in instances {
        let o = i.outcome
        inst.append([.int(o.pairIndex), .string(i.pairID), .string(o.type), .double(o.strength), .double(o.original),
                     .double(o.perturbed), .double(o.drop), .bool(o.drop > 0), .int(i.originalTokens), .int(i.perturbedTokens),
                     i.perturbedText.map { .string($0) } ?? .null])
    }
    return AnalysisFiles(name: "robustness", summary: json, tables: [("rows", table), ("instances", inst)])
}

/// length.json (the first result is the primary aggregate, whose buckets the report draws)
/// and length_buckets.{jsonl,csv} with every aggregate's buckets.
public func lengthFiles(_ results: [LengthBiasResult], pairs: Int, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
    let primary = results[0]
    let json = JSONValue.object(header("length") + [
        ("aggregate", .string(primary.aggregate)), ("n_pairs", .int(pairs)),
        ("bucket_by", .string("chosen vs rejected length (tokens)")),
        ("buckets", .array(primary.buckets.map(\.json))),
        ("correlation", .object([
            ("spearman_reward_length", AnalysisJSON.number(primary.rewardLengthSpearman)),
            ("spearman_margin_length_difference", AnalysisJSON.number(primary.marginLengthDiffSpearman)),
            ("length_matched_accuracy", AnalysisJSON.number(primary.matched.accuracy)),
            ("balanced_accuracy", AnalysisJSON.number(primary.balancedAccuracy)),
        ])),
        ("aggregates", .array(results.map(\.json))),
        ("options", options), ("provenance", provenance),
    ])
    var table = AnalysisTable(columns: ["aggregate", "bucket", "n", "correct", "ties", "accuracy", "accuracy_ci95"])
    for r in results {
        for b in r.buckets + [r.matched] {
            table.append([.string(r.aggregate), .string(b.label), .int(b.n), .int(b.correct), .int(b.ties),
                          AnalysisJSON.number(b.accuracy), AnalysisJSON.interval(b.ci)])
        }
    }
    return AnalysisFiles(name: "length", summary: json, tables: [("buckets", table)])
}

/// sensitivity.json (variants and the shaping demonstration) and sensitivity_variants.{jsonl,csv}.
public func sensitivityFiles(_ rows: [SensitivityRow], shaping: ShapingReport?, pairs: Int, options: JSONValue,
                             provenance: JSONValue) -> AnalysisFiles {
    let json = JSONValue.object(header("sensitivity") + [
        ("n_pairs", .int(pairs)), ("base", .string(rows.first?.variant.name ?? "")),
        ("variants", .array(rows.map(\.json))),
        ("shaping", shaping?.json ?? .null),
        ("options", options), ("provenance", provenance),
    ])
    let table = AnalysisTable(columns: SensitivityRow.columns, rows: rows.map(\.row))
    return AnalysisFiles(name: "sensitivity", summary: json, tables: [("variants", table)])
}

/// stability.json and stability_comparisons.{jsonl,csv}.
public func stabilityFiles(_ rows: [StabilityComparison], checkpoints: [String], pairs: Int, options: JSONValue,
                           provenance: JSONValue) -> AnalysisFiles {
    let json = JSONValue.object(header("stability") + [
        ("checkpoints", .array(checkpoints.map { .string($0) })), ("n_pairs", .int(pairs)),
        ("comparisons", .array(rows.map(\.json))),
        ("options", options), ("provenance", provenance),
    ])
    let table = AnalysisTable(columns: StabilityComparison.columns, rows: rows.map(\.row))
    return AnalysisFiles(name: "stability", summary: json, tables: [("comparisons", table)])
}

/// correlation.json (correlations, best-of-N and the points the report plots) and the
/// tables correlation_rows, correlation_best_of_n and correlation_generations.
public func correlationFiles(_ rows: [CorrelationRow], bestOfN: [BestOfNRow], generations: [GradedGeneration],
                             aggregate: String, metric: String, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
    let prompts = Set(generations.map(\.group)).count
    let json = JSONValue.object(header("correlation") + [
        ("metric", .string(metric)), ("aggregate", .string(aggregate)),
        ("n_generations", .int(generations.count)), ("n_prompts", .int(prompts)),
        ("correlations", .array(rows.map { .object(Array(zip(CorrelationRow.columns, $0.row))) })),
        ("best_of_n", .array(bestOfN.map { .object(Array(zip(BestOfNRow.columns, $0.row))) })),
        ("points", .array(generations.map {
            .object([("id", .string($0.id)), ("prompt_id", .string($0.group)), ("reward", .double($0.reward)),
                     ("metric", .double($0.metric))])
        })),
        ("options", options), ("provenance", provenance),
    ])
    var gens = AnalysisTable(columns: ["id", "prompt_id", "tokens", "reward", "metric", "logprob_sum", "logprob_mean"])
    for g in generations {
        gens.append([.string(g.id), .string(g.group), .int(g.tokens), .double(g.reward), .double(g.metric),
                     .double(g.logprobSum), .double(g.logprobMean)])
    }
    return AnalysisFiles(name: "correlation", summary: json, tables: [
        ("rows", AnalysisTable(columns: CorrelationRow.columns, rows: rows.map(\.row))),
        ("best_of_n", AnalysisTable(columns: BestOfNRow.columns, rows: bestOfN.map(\.row))),
        ("generations", gens),
    ])
}

/// style.json and style_matrix.{jsonl,csv} (one row per chosen × rejected style cell).
public func styleFiles(_ m: StyleMatrix, aggregate: String, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
    let json = JSONValue.object(header("style") + [("aggregate", .string(aggregate))]
                                + (m.json.objectValue ?? []) + [("options", options), ("provenance", provenance)])
    var table = AnalysisTable(columns: ["chosen_style", "rejected_style", "accuracy", "cell"])
    for i in 0..<m.k {
        for j in 0..<m.k {
            table.append([.int(i), .int(j), AnalysisJSON.number(m.accuracy[i][j]),
                          .string(i < j ? "hard" : (i == j ? "normal" : "easy"))])
        }
    }
    return AnalysisFiles(name: "style", summary: json, tables: [("matrix", table)])
}
