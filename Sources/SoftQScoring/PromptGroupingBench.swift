import Dispatch
import Foundation
import SoftQBase
import SoftQModels

/// What one prompt computation per prompt saves (`softq bench-grouping`, docs/performance.md):
/// the same records scored with every response running its own prompt (`separate`) and with
/// the responses of one prompt sharing its pass (`shared`), alternating passes in one process
/// so that both see the same machine load; the speed-up is the median of the per-repeat ratios.
public enum PromptGroupingBench {
    public struct Result: Sendable {
        public var workload: String
        /// Responses scored per pass, and distinct prompts among them.
        public var responses: Int
        public var prompts: Int
        /// Prompt tokens + response tokens each path runs through the model per pass.
        public var separateTokens: Int
        public var sharedTokens: Int
        public var separateSeconds: [Double]
        public var sharedSeconds: [Double]
        /// Every per-token value and aggregate of the two paths is the same bits.
        public var identical: Bool

        /// separate / shared wall time, per repeat (each repeat runs both back to back).
        public var ratios: [Double] { zip(separateSeconds, sharedSeconds).map { $0 / $1 } }
        public var medianRatio: Double { median(ratios) }
        public var separateMedianSeconds: Double { median(separateSeconds) }
        public var sharedMedianSeconds: Double { median(sharedSeconds) }

        public var json: JSONValue {
            .object([
                ("workload", .string(workload)), ("responses", .int(responses)), ("prompts", .int(prompts)),
                ("separate_tokens", .int(separateTokens)), ("shared_tokens", .int(sharedTokens)),
                ("separate_seconds_median", .double(separateMedianSeconds)), ("shared_seconds_median", .double(sharedMedianSeconds)),
                ("ratios", .array(ratios.map { .double($0) })), ("speedup_median", .double(medianRatio)),
                ("identical", .bool(identical)),
            ])
        }
    }

    /// Single responses (best-of-N samples): `items` in their input order.
    public static func singles(_ items: [PreparedSingle], scoring: ScoringOptions, model: any CausalLanguageModel, repeats: Int,
                               workload: String) throws -> Result {
        let (separate, shared) = try scorers(scoring, model: model)
        var a: [ScoredSingle] = [], b: [ScoredSingle] = []
        let (ts, tg) = try alternate(repeats: repeats, { a = try separate.scoreSingles(items) }, { b = try shared.scoreSingles(items) })
        return result(workload, items, separateSeconds: ts, sharedSeconds: tg,
                      identical: a.map(\.response.scores) == b.map(\.response.scores))
    }

    /// Preference pairs: the shared path is `softq score`'s (the prompt once per pair, and once
    /// for pairs with the same prompt); the separate path scores chosen and rejected as two
    /// responses, each with its own prompt pass.
    public static func pairs(_ pairs: [PreparedPair], scoring: ScoringOptions, model: any CausalLanguageModel, repeats: Int,
                             workload: String) throws -> Result {
        let (separate, shared) = try scorers(scoring, model: model)
        let singles = pairs.flatMap { p in
            [p.chosen, p.rejected].map { PreparedSingle(record: ResponseRecord(line: p.record.line, id: p.record.id, content: .ids(prompt: p.prompt, response: $0.ids)),
                                                        prompt: p.prompt, response: $0) }
        }
        var a: [ScoredSingle] = [], b: [ScoredPair] = []
        let (ts, tg) = try alternate(repeats: repeats, { a = try separate.scoreSingles(singles) }, { b = try shared.scorePairs(pairs) })
        return result(workload, singles, separateSeconds: ts, sharedSeconds: tg,
                      identical: a.map(\.response.scores) == b.flatMap { [$0.chosen.scores, $0.rejected.scores] })
    }

    /// The token counts of both paths over `items`: every response with its own prompt, or each
    /// distinct prompt once.
    static func result(_ workload: String, _ items: [PreparedSingle], separateSeconds: [Double], sharedSeconds: [Double],
                       identical: Bool) -> Result {
        let prompts = Set(items.map(\.prompt))
        let responseTokens = items.reduce(0) { $0 + $1.response.ids.count }
        return Result(workload: workload, responses: items.count, prompts: prompts.count,
                      separateTokens: items.reduce(0) { $0 + $1.prompt.count } + responseTokens,
                      sharedTokens: prompts.reduce(0) { $0 + $1.count } + responseTokens,
                      separateSeconds: separateSeconds, sharedSeconds: sharedSeconds, identical: identical)
    }

    static func scorers(_ scoring: ScoringOptions, model: any CausalLanguageModel) throws -> (PairScorer, PairScorer) {
        var s = scoring, g = scoring
        s.grouping = .separate
        g.grouping = .shared
        return (try PairScorer(model: model, options: s), try PairScorer(model: model, options: g))
    }

    /// One untimed pass of each (warm-up), then `repeats` rounds of separate then shared.
    static func alternate(repeats: Int, _ separate: () throws -> Void, _ shared: () throws -> Void) throws -> ([Double], [Double]) {
        try separate()
        try shared()
        var ts: [Double] = [], tg: [Double] = []
        func timed(_ f: () throws -> Void) throws -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try f()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        for _ in 0..<max(1, repeats) {
            ts.append(try timed(separate))
            tg.append(try timed(shared))
        }
        return (ts, tg)
    }
}
