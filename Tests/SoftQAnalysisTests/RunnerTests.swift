import Foundation
import SoftQBase
import SoftQRewards
import SoftQScoring
import TestSupport
import XCTest
@testable import SoftQAnalysis

/// The runners with a real (tiny, random) GPT-2: SoftQScoringTests' gpt2_tiny_ref.h5
/// (vocabulary 61, BOS 0, EOS 1, context 32, no tokenizer, so pairs are token ids).
final class RunnerTests: XCTestCase {
    func policy() throws -> LoadedPolicy {
        try LoadedPolicy(path: TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQScoringTests/Fixtures/gpt2_tiny_ref.h5").path)
    }

    func pairs(_ policy: LoadedPolicy, count: Int = 6) throws -> [PreparedPair] {
        var rng = SeededGenerator(seed: 77)
        func ids(_ n: Int) -> [Int] { (0..<n).map { _ in 2 + rng.nextInt(below: 59) } }
        let tp = try policy.tokenizationPolicy(appendEOS: false, inputPath: "test")
        return try (0..<count).map { k in
            // Even pairs end with EOS (terminal), odd ones do not.
            let tail = k % 2 == 0 ? [1] : []
            let rec = PairRecord(line: k + 1, id: "p\(k)", subset: "",
                                 content: .ids(prompt: [0] + ids(3), chosen: ids(4 + k % 3) + tail, rejected: ids(5) + tail))
            return try tp.prepare(rec)
        }
    }

    func testRobustnessRunnerScoresOriginalsAsScoreDoesAndKeepsEOS() throws {
        let policy = try policy()
        let prepared = try pairs(policy)
        let scorer = try PairScorer(model: policy.model, options: ScoringOptions())
        let tp = try policy.tokenizationPolicy(appendEOS: false, inputPath: "test")
        let selections = try PerturbationSelection.parse(["truncate=0.5", "shuffle_tokens=0.5", "substitute_tokens=0.25"])
        let runner = RobustnessRunner(tokenization: tp, scorer: scorer, selections: selections, seed: 3, resamples: 50)
        let (summary, instances) = try runner.run(prepared)
        // Text types do not apply to id pairs: counted as skipped, never scored.
        XCTAssertEqual(summary.rows.first { $0.type == "truncate" }?.skipped, 6)
        XCTAssertEqual(instances.count, 12)
        let direct = try scorer.scorePairs(prepared)
        for i in instances {
            XCTAssertEqual(i.outcome.original, direct[i.outcome.pairIndex].chosen.scores.aggregates.sum, accuracy: 1e-9)
            XCTAssertEqual(i.perturbedTokens, i.originalTokens)
        }
        // The perturbed copies, re-made from their seeded streams, end with EOS exactly when
        // the original does, and score as the runner says.
        for i in instances where i.outcome.type == "substitute_tokens" {
            let p = prepared[i.outcome.pairIndex]
            let c = ScoringBridge.content(p.chosen)
            var rng = perturbationStream(seed: 3, pairIndex: i.outcome.pairIndex, type: "substitute_tokens", strength: 0.25)
            let ctx = PerturbationContext(vocabularySize: 61, specialIDs: [0, 1])
            let copy = try XCTUnwrap(TokenSubstitution().apply(to: ResponseInput(ids: c.ids), strength: 0.25, context: ctx, rng: &rng)).ids!
            let ids = copy + [c.eos].compactMap { $0 }
            XCTAssertEqual(c.eos != nil, i.outcome.pairIndex % 2 == 0)
            XCTAssertEqual(c.eos ?? 1, 1)
            let single = try tp.prepare(ResponseRecord(line: 1, id: "x", content: .ids(prompt: p.prompt, response: ids)))
            let s = try scorer.scoreSingles([single])[0].response.scores
            XCTAssertEqual(s.aggregates.sum, i.outcome.perturbed, accuracy: 1e-9)
            XCTAssertEqual(s.terminal, c.eos != nil)
        }
        // Deterministic: the same run gives the same numbers.
        let again = try runner.run(prepared)
        XCTAssertEqual(again.instances.map(\.outcome), instances.map(\.outcome))
    }

    func testRawPairsReproduceTheScorerUnderEveryConvention() throws {
        let policy = try policy()
        let prepared = try pairs(policy)
        let base = try PairScorer(model: policy.model, options: ScoringOptions())
        let raw = try PairAnalyses.rawPairs(prepared, scorer: base)
        for options in [RewardOptions(), RewardOptions(alpha: 0.5, gamma: 0.9, terminal: .never), RewardOptions(gamma: 0.99, terminal: .always)] {
            for aggregate in [Aggregate.sum, .mean, .discounted, .logprobNorm] {
                let scorer = try PairScorer(model: policy.model, options: ScoringOptions(rewards: options, aggregate: aggregate))
                let expected = try scorer.scorePairs(prepared).map(\.margin)
                let variant = ConventionVariant(gamma: options.gamma, terminal: options.terminal, aggregate: aggregate)
                assertClose(try margins(raw, variant: variant, alpha: options.alpha), expected, atol: 1e-9,
                            "\(aggregate) \(options)")
            }
        }
        let report = try shapingInvariance(raw, scale: 2, seed: 1)
        XCTAssertLessThan(report.maxShapingResidual, 1e-9)
        XCTAssertEqual(report.blocks[0].decisionsChanged, 0)
        XCTAssertLessThan(report.blocks[0].maxMarginChange, 1e-9)
    }
}
