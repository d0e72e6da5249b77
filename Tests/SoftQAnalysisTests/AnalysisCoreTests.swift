import SoftQBase
import TestSupport
import XCTest
@testable import SoftQAnalysis

/// The analyses on hand-made numbers whose answers are worked out in the comments.
final class AnalysisCoreTests: XCTestCase {
    func testRobustnessSummaryCountsWinsTiesAndDrops() throws {
        let outcomes = [
            PerturbationOutcome(pairIndex: 0, type: "a", strength: 0.1, original: 1, perturbed: 0),     // drop 1
            PerturbationOutcome(pairIndex: 1, type: "a", strength: 0.1, original: 1, perturbed: 1),     // tie
            PerturbationOutcome(pairIndex: 0, type: "a", strength: 0.5, original: 1, perturbed: -2),    // drop 3
            PerturbationOutcome(pairIndex: 1, type: "a", strength: 0.5, original: 0, perturbed: 1),     // drop −1
            PerturbationOutcome(pairIndex: 0, type: "b", strength: 0.2, original: 2, perturbed: 0),     // drop 2
        ]
        let s = summarizeRobustness(outcomes, typeOrder: ["a", "b", "c"], skipped: ["b": [0.2: 4]], seed: 1, resamples: 200)
        XCTAssertEqual(s.rows.map(\.type), ["a", "a", "b"])
        XCTAssertEqual(s.rows.map(\.strength), [0.1, 0.5, 0.2])
        XCTAssertEqual(s.rows[0].stats.wins, 1)
        XCTAssertEqual(s.rows[0].stats.ties, 1)
        XCTAssertEqual(s.rows[0].stats.winRate, 0.5)
        XCTAssertEqual(s.rows[1].stats.meanDrop, 1)
        XCTAssertEqual(s.rows[2].skipped, 4)
        XCTAssertEqual(s.byType.map(\.type), ["a", "b", "c"])
        XCTAssertEqual(s.byType[0].stats.n, 4)
        XCTAssertEqual(s.byType[0].stats.winRate, 0.5)
        XCTAssertEqual(s.byType[0].stats.meanDrop, 0.75)
        // Slope of drop on strength: x̄ = 0.3, ȳ = 0.75; Σ(x−x̄)(y−ȳ) = −0.2·(0.25−0.75)·… = 0.2; Σ(x−x̄)² = 0.16.
        XCTAssertEqual(try XCTUnwrap(s.byType[0].strengthDropSlope), 1.25, accuracy: 1e-12)
        XCTAssertEqual(s.byType[2].stats.n, 0)
        let ci = try XCTUnwrap(s.byType[0].stats.winRateCI)
        XCTAssertTrue(ci.low >= 0 && ci.low <= 0.5 && ci.high >= 0.5 && ci.high <= 1)
        // The pooled interval resamples pairs: with every outcome in one pair it collapses.
        let onePair = RobustnessStats(drops: [1, -1, 2], clusters: [4, 4, 4], seed: 0, resamples: 50)
        XCTAssertEqual(onePair.meanDropCI?.low, 2.0 / 3)
        XCTAssertEqual(onePair.meanDropCI?.high, 2.0 / 3)
        let perOutcome = RobustnessStats(drops: [1, -1, 2], seed: 0, resamples: 50)
        XCTAssertLessThan(try XCTUnwrap(perOutcome.meanDropCI?.low), 2.0 / 3)
        // Same seed, same numbers.
        let again = summarizeRobustness(outcomes, typeOrder: ["a", "b", "c"], skipped: ["b": [0.2: 4]], seed: 1, resamples: 200)
        XCTAssertEqual(again.byType.prefix(2).map(\.stats), s.byType.prefix(2).map(\.stats))   // row c is NaN
    }

    func testLengthBiasBucketsAndMatchedAccuracy() throws {
        // Pair k: chosen length, rejected length, margin sign.
        let cl = [10, 10, 10, 12, 5, 20]
        let rl = [10, 11, 20, 10, 10, 10]
        let chosen = [1.0, 2.0, -1.0, 3.0, 0.0, 5.0]
        let rejected = [0.0, 1.0, 0.0, 3.0, 1.0, 1.0]   // margins 1, 1, −1, 0, −1, 4
        let r = try lengthBias(aggregate: "sum", chosen: chosen, rejected: rejected, chosenLengths: cl,
                               rejectedLengths: rl, matchTolerance: 0.1, seed: 2, resamples: 100)
        XCTAssertEqual(r.buckets.map(\.label), ["chosen shorter", "same length", "chosen longer"])
        XCTAssertEqual(r.buckets.map(\.n), [3, 1, 2])          // pairs 1,2,4 | 0 | 3,5
        XCTAssertEqual(r.buckets.map(\.correct), [1, 1, 1])
        XCTAssertEqual(r.buckets[2].ties, 1)
        // |Δ| ≤ 0.1·max: pair 0 (0 ≤ 1), pair 1 (1 ≤ 1.1); pair 3 (2 > 1.2) is not matched.
        XCTAssertEqual(r.matched.n, 2)
        XCTAssertEqual(r.matched.accuracy, 1)
        XCTAssertEqual(r.balancedAccuracy, (1.0 / 3 + 0.5) / 2, accuracy: 1e-15)
        XCTAssertThrowsError(try lengthBias(aggregate: "sum", chosen: [1], rejected: [1, 2], chosenLengths: [1],
                                            rejectedLengths: [1], seed: 0))
        // A reward equal to length correlates perfectly with it.
        let perfect = try lengthBias(aggregate: "x", chosen: cl.map(Double.init), rejected: rl.map(Double.init),
                                     chosenLengths: cl, rejectedLengths: rl, seed: 0, resamples: 50)
        XCTAssertEqual(perfect.rewardLengthSpearman, 1, accuracy: 1e-12)
        XCTAssertEqual(perfect.marginLengthDiffSpearman, 1, accuracy: 1e-12)
    }

    func testStabilityOfIdenticalAndReversedCheckpoints() throws {
        let m = [0.5, -1.0, 2.0, 0.1, -0.3]
        let t = [1.0, 2.0, 3.0, -1.0, 0.5, 0.25]
        let a = CheckpointScores(name: "a", margins: m, tokenRewards: t)
        let b = CheckpointScores(name: "b", margins: m.map { $0 * 3 }, tokenRewards: t.map { $0 + 1 })
        let c = CheckpointScores(name: "c", margins: m.map { -$0 }, tokenRewards: t.map { -$0 })
        let rows = try stability([a, b, c], seed: 1, resamples: 50)
        XCTAssertEqual(rows.map { "\($0.first)-\($0.second)" }, ["a-b", "a-c", "b-c"])
        XCTAssertEqual(rows[0].marginSpearman.value, 1, accuracy: 1e-12)
        XCTAssertEqual(rows[0].marginKendall.value, 1, accuracy: 1e-12)
        XCTAssertEqual(rows[0].tokenKendall.value, 1, accuracy: 1e-12)
        XCTAssertEqual(rows[0].decisionAgreement, 1)
        XCTAssertEqual(rows[0].kappa, 1, accuracy: 1e-12)
        XCTAssertEqual(rows[1].marginSpearman.value, -1, accuracy: 1e-12)
        XCTAssertEqual(rows[1].decisionAgreement, 0)
        XCTAssertEqual(rows[1].bothCorrect, 0)
        XCTAssertThrowsError(try stability([a], seed: 0))
        XCTAssertThrowsError(try stability([a, CheckpointScores(name: "d", margins: m, tokenRewards: [1])], seed: 0))
        // The token sample is capped and seeded.
        let capped = try stability([a, b], maxTokens: 4, seed: 1, resamples: 10)
        XCTAssertEqual(capped[0].tokenSpearman.n, 4)
    }

    func gens(_ rows: [(String, Double, Double, Double, Double)]) -> [GradedGeneration] {
        rows.enumerated().map { k, r in
            GradedGeneration(id: "g\(k)", group: r.0, reward: r.1, metric: r.2, logprobSum: r.3, logprobMean: r.4, tokens: 10)
        }
    }

    func testWithinPromptCorrelationSkipsUndefinedPrompts() throws {
        let g = gens([("p", 1, 0, 0, 0), ("p", 2, 0.5, 0, 0), ("p", 3, 1, 0, 0),      // ρ = 1
                      ("q", 1, 1, 0, 0), ("q", 2, 0, 0, 0),                          // ρ = −1
                      ("r", 1, 1, 0, 0), ("r", 5, 1, 0, 0),                          // constant metric: undefined
                      ("s", 4, 0.2, 0, 0)])                                          // one generation: left out
        let rows = try rewardMetricCorrelations(g, seed: 3, resamples: 100)
        XCTAssertEqual(rows.map(\.name), ["spearman (pooled)", "pearson (pooled)", "kendall (pooled)",
                                          "spearman (within prompt)", "pearson (within prompt)", "kendall (within prompt)"])
        let within = rows.filter { $0.scope == "within_prompt" }
        for w in within {
            XCTAssertEqual(w.value, 0, accuracy: 1e-12)   // mean of +1 and −1
            XCTAssertEqual(w.n, 2)
            XCTAssertEqual(w.undefined, 1)
        }
        XCTAssertEqual(rows[0].n, 8)
    }

    func testBestOfNSelectorsAndTies() throws {
        // Prompt p: reward picks the metric-1 answer, log-likelihood the metric-0 one.
        // Prompt q: reward ties between metrics 0 and 1 → 0.5.
        let g = gens([("p", 3, 1, -5, -1), ("p", 1, 0, -1, -0.1),
                      ("q", 2, 0, -2, -0.5), ("q", 2, 1, -3, -0.2)])
        let rows = try bestOfN(g, seed: 1, resamples: 50)
        func v(_ n: Int, _ s: String) -> Double { rows.first { $0.n == n && $0.selector == s }!.metricMean }
        XCTAssertEqual(Set(rows.map(\.n)), [1, 2])
        XCTAssertEqual(v(2, "reward"), 0.75)
        XCTAssertEqual(v(2, "logprob_sum"), 0)
        XCTAssertEqual(v(2, "logprob_mean"), 0.5)    // p: 0, q: 1
        XCTAssertEqual(v(2, "random"), 0.5)
        XCTAssertEqual(v(2, "oracle"), 1)
        // N = 1: every selector gets a random single candidate; the mean over draws is near 0.5.
        XCTAssertEqual(v(1, "reward"), v(1, "random"), accuracy: 0.25)
        XCTAssertEqual(try bestOfN(g, seed: 1, resamples: 50).map(\.metricMean), rows.map(\.metricMean))
    }

    func testStyleMatrixFollowsRMBenchDefinitions() throws {
        // One prompt, chosen rewards rise with style, rejected too (a style-biased reward).
        let chosen = [[1.0, 2.0, 3.0]], rejected = [[0.5, 1.5, 2.5]]
        let m = try styleAccuracy(chosen: chosen, rejected: rejected)
        // acc[i][j] = [chosen_i > rejected_j]: row 0: 1,0,0; row 1: 1,1,0; row 2: 1,1,1.
        XCTAssertEqual(m.accuracy, [[1, 0, 0], [1, 1, 0], [1, 1, 1]])
        XCTAssertEqual(m.normal, 1)
        XCTAssertEqual(m.easy, 1)
        XCTAssertEqual(m.hard, 0)
        XCTAssertThrowsError(try styleAccuracy(chosen: [[1, 2]], rejected: [[1, 2, 3]]))
    }

    func testStyleSetReaderNamesLineAndField() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("s.jsonl")
        try """
        {"id": "a", "prompt": "P", "chosen": ["c1", "c2", "c3"], "rejected": ["r1", "r2", "r3"]}

        {"prompt": "Q", "chosen": ["c1", "c2", "c3"], "rejected": ["r1", "r2", "r3"]}
        """.write(to: good, atomically: true, encoding: .utf8)
        let sets = try readStyleSets(path: good.path)
        XCTAssertEqual(sets.map(\.id), ["a", "line-3"])
        let bad = dir.appendingPathComponent("b.jsonl")
        try """
        {"prompt": "P", "chosen": ["c1", "c2"], "rejected": ["r1", 2]}
        """.write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try readStyleSets(path: bad.path)) { e in
            XCTAssertEqual(e as? AnalysisError, .invalidInput(file: bad.path, line: 1, field: "rejected", message: "every variant must be a non-empty string"))
        }
    }

    func testTablesWriteJSONLAndQuotedCSV() {
        var t = AnalysisTable(columns: ["a", "b", "c"])
        t.append([.string("x,y"), .double(0.5), .null])
        t.append([.string("q\"z"), .array([.double(1), .double(2)]), .int(3)])
        XCTAssertEqual(t.csv, "a,b,c\n\"x,y\",0.5,\n\"q\"\"z\",\"[1.0,2.0]\",3\n")
        XCTAssertEqual(t.jsonLines, "{\"a\":\"x,y\",\"b\":0.5,\"c\":null}\n{\"a\":\"q\\\"z\",\"b\":[1.0,2.0],\"c\":3}\n")
    }
}
