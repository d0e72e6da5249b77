import Foundation
import SoftQBase
import SoftQRewards
import SoftQScoring

/// The model-facing halves of the pair analyses: scored pairs in, plain analysis inputs out.
public enum PairAnalyses {
    /// Every pair's responses in raw form (taken-token logits and log-sum-exps), from one
    /// scoring pass with α = 1, γ = 1 and terminal mode `never`, which keeps them exactly.
    /// `saved`: resume progress (RunProgress) to continue and extend, when the run is resumable.
    public static func rawPairs(_ pairs: [PreparedPair], scorer: PairScorer, saved: RunProgress? = nil,
                                progress: ((Int, Int) -> Void)? = nil) throws -> [RawPair] {
        let raw = try PairScorer(model: scorer.model, reference: nil,
                                 options: ScoringOptions(rewards: RewardOptions(alpha: 1, gamma: 1, terminal: .never),
                                                         aggregate: .sum, threads: scorer.options.threads,
                                                         chunkSize: scorer.options.chunkSize))
        let scored = try ResumableScoring.scorePairs(pairs, scorer: raw, progress: saved, report: progress)
        return try zip(pairs, scored).map { p, s in
            RawPair(promptIDs: p.prompt,
                    chosen: try RawResponse(scoresWithAlphaOneNeverTerminal: s.chosen.scores, endsWithEOS: p.chosen.endsWithEOS,
                                            tokenIDs: p.chosen.ids),
                    rejected: try RawResponse(scoresWithAlphaOneNeverTerminal: s.rejected.scores, endsWithEOS: p.rejected.endsWithEOS,
                                              tokenIDs: p.rejected.ids))
        }
    }

    /// What length bias needs of each scored pair (LengthAnalysis).
    public static func lengthPairs(_ scored: [ScoredPair]) -> [LengthPair] {
        scored.map { LengthPair(chosenTokens: $0.chosen.scores.tokens, rejectedTokens: $0.rejected.scores.tokens,
                                chosen: $0.chosen.scores.aggregates, rejected: $0.rejected.scores.aggregates) }
    }

    /// One checkpoint's margins and per-token rewards (chosen then rejected, pair by pair).
    public static func checkpointScores(name: String, scored: [ScoredPair], aggregate: Aggregate) -> CheckpointScores {
        CheckpointScores(name: name,
                         margins: scored.map { ScoringBridge.value($0.chosen.scores, aggregate) - ScoringBridge.value($0.rejected.scores, aggregate) },
                         tokenRewards: scored.flatMap { $0.chosen.scores.reward + $0.rejected.scores.reward })
    }
}

/// One line of a generations file: the response, its prompt and its task metric.
public struct GenerationLine: Sendable {
    public var line: Int
    public var id: String
    public var promptID: String
    public var prompt: String
    public var text: String
    public var metric: Double
    /// The sampled ids (`prompt_ids`, `token_ids` of `softq sample`), scored verbatim when
    /// present: exactly the sequence that was generated, terminal iff it ends with EOS.
    public var promptIDs: [Int]?
    public var tokenIDs: [Int]?
}

public enum GenerationAnalyses {
    /// Reads a generations file (grade.py's output): `prompt_id`, the response in `text` (or
    /// `response`), the metric in `metricField`, optional `id` and `prompt`. A line without
    /// `prompt` takes it from `promptsPath` (a JSONL with `id` and `prompt`, e.g.
    /// prompts_heldout.jsonl). A line with `prompt_ids` and `token_ids` (softq sample's output)
    /// is scored from those ids, and may then have an empty `text` (a sample that stopped at
    /// once). Errors name the file, line and field.
    public static func read(path: String, promptsPath: String?, metricField: String) throws -> [GenerationLine] {
        var prompts: [String: String] = [:]
        if let pp = promptsPath {
            for (line, v) in try jsonLines(pp) {
                guard let id = idString(v["id"]), let p = v["prompt"]?.stringValue else {
                    throw AnalysisError.invalidInput(file: pp, line: line, field: "id/prompt", message: "a prompts file line needs `id` and `prompt`")
                }
                prompts[id] = p
            }
        }
        return try jsonLines(path).map { line, v in
            func fail(_ f: String, _ m: String) -> AnalysisError { .invalidInput(file: path, line: line, field: f, message: m) }
            guard let pid = idString(v["prompt_id"]) else { throw fail("prompt_id", "missing, or not a string or integer") }
            let promptIDs = intArray(v["prompt_ids"]), tokenIDs = intArray(v["token_ids"])
            let hasIDs = promptIDs.map { !$0.isEmpty } == true && tokenIDs.map { !$0.isEmpty } == true
            guard let text = (v["text"] ?? v["response"])?.stringValue, hasIDs || !text.isEmpty else {
                throw fail("text", "missing or empty: the generated response goes in `text` (or `response`), or give `prompt_ids` and `token_ids`")
            }
            guard let metric = v[metricField]?.doubleValue, metric.isFinite else {
                throw fail(metricField, "missing or not a finite number (grade with Scripts/demo/grade.py, or pick the field with --metric-field)")
            }
            let prompt: String
            if let p = v["prompt"]?.stringValue { prompt = p } else if let p = prompts[pid] { prompt = p } else if hasIDs { prompt = "" } else {
                throw fail("prompt", promptsPath == nil ? "missing: give `prompt` on each line or --prompts FILE"
                                                       : "missing, and prompt_id '\(pid)' is not in \(promptsPath!)")
            }
            return GenerationLine(line: line, id: idString(v["id"]) ?? "line-\(line)", promptID: pid, prompt: prompt,
                                  text: text, metric: metric, promptIDs: hasIDs ? promptIDs : nil, tokenIDs: hasIDs ? tokenIDs : nil)
        }
    }

    /// Scores each generation under its prompt and pairs the reward with the metric.
    /// `saved`: resume progress (RunProgress), when the run is resumable.
    public static func grade(_ lines: [GenerationLine], path: String, tokenization: TokenizationPolicy, scorer: PairScorer,
                             saved: RunProgress? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> [GradedGeneration] {
        let singles = try lines.map { g in
            if let p = g.promptIDs, let t = g.tokenIDs {
                return try tokenization.prepare(try ScoringBridge.idsRecord(id: g.id, prompt: p, response: t, line: g.line, file: path))
            }
            return try tokenization.prepare(try ScoringBridge.textRecord(id: g.id, prompt: g.prompt, response: g.text, line: g.line, file: path))
        }
        let scored = try ResumableScoring.scoreSingles(singles, scorer: scorer, progress: saved, report: progress)
        return zip(lines, scored).map { g, s in
            let sc = s.response.scores
            return GradedGeneration(id: g.id, group: g.promptID, reward: ScoringBridge.value(sc, scorer.options.aggregate),
                                    metric: g.metric, logprobSum: sc.aggregates.logprobSum, logprobMean: sc.aggregates.logprobMean,
                                    tokens: sc.tokens)
        }
    }

    /// Scores every variant of every style set; returns rewards[set][variant] for chosen and rejected.
    public static func styleRewards(_ sets: [StyleSet], path: String, tokenization: TokenizationPolicy, scorer: PairScorer,
                                    progress: ((Int, Int) -> Void)? = nil) throws -> (chosen: [[Double]], rejected: [[Double]]) {
        var singles: [PreparedSingle] = []
        for s in sets {
            for (side, variants) in [("chosen", s.chosen), ("rejected", s.rejected)] {
                for (k, v) in variants.enumerated() {
                    singles.append(try tokenization.prepare(try ScoringBridge.textRecord(
                        id: "\(s.id)#\(side)\(k)", prompt: s.prompt, response: v, line: s.line, file: path)))
                }
            }
        }
        let scored = try scorer.scoreSingles(singles, progress: progress).map { ScoringBridge.value($0.response.scores, scorer.options.aggregate) }
        var chosen: [[Double]] = [], rejected: [[Double]] = []
        var at = 0
        for s in sets {
            let k = s.chosen.count
            chosen.append(Array(scored[at..<(at + k)]))
            rejected.append(Array(scored[(at + k)..<(at + 2 * k)]))
            at += 2 * k
        }
        return (chosen, rejected)
    }

    static func intArray(_ v: JSONValue?) -> [Int]? {
        guard let a = v?.arrayValue else { return nil }
        let ids = a.compactMap { $0.intValue }
        return ids.count == a.count && ids.allSatisfy({ $0 >= 0 }) ? ids : nil
    }

    static func idString(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        default: return nil
        }
    }

    static func jsonLines(_ path: String) throws -> [(Int, JSONValue)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw AnalysisError.invalidInput(file: path, line: 0, field: "(file)", message: "cannot read the file as UTF-8")
        }
        var out: [(Int, JSONValue)] = []
        for (k, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if raw.allSatisfy({ $0.isWhitespace }) { continue }
            do {
                let v = try JSONParser.parse(String(raw))
                guard case .object = v else { throw AnalysisError.invalidInput(file: path, line: k + 1, field: "(line)", message: "expected a JSON object") }
                out.append((k + 1, v))
            } catch let e as JSONParseError {
                throw AnalysisError.invalidInput(file: path, line: k + 1, field: "(line)", message: "invalid JSON at \(e.description)")
            }
        }
        return out
    }
}
