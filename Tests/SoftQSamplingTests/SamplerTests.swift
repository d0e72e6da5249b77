import Foundation
import SoftQBase
import SoftQModels
import SoftQRewards
import SoftQSampling
import SoftQScoring
import TestSupport
import XCTest

final class SamplerTests: XCTestCase {
    func policy(_ name: String) throws -> LoadedPolicy {
        try LoadedPolicy(path: TestPaths.repositoryRoot.appendingPathComponent("Tests/SoftQModelsTests/Fixtures/\(name).h5").path)
    }

    func testSameSeedSameSamplesAndOrderDoesNotMatter() throws {
        let p = try policy("gpt2_tiny")
        let s = Sampler(model: p.model, eosID: (try p.specialTokens(SpecialTokenOptions()).appendedEOS))
        let o = SamplingOptions(temperature: 1.3, topP: 0.9, maxTokens: 12, seed: 7)
        let a = try s.sample(prompt: [0, 5, 6], promptIndex: 3, count: 4, options: o)
        let b = try s.sample(prompt: [0, 5, 6], promptIndex: 3, count: 4, options: o)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a[0].tokens, a[1].tokens, "different samples of one prompt draw from different streams")
        let c = try s.sample(prompt: [0, 5, 6], promptIndex: 3, count: 4, options: SamplingOptions(temperature: 1.3, topP: 0.9, maxTokens: 12, seed: 8))
        XCTAssertNotEqual(a, c)
        for x in a {
            XCTAssert(x.tokens.count <= 12)
            XCTAssertEqual(x.finishReason == "eos", x.tokens.last == (try p.specialTokens(SpecialTokenOptions()).appendedEOS))
        }
    }

    /// A sample's log-probability is exactly what `softq score` reports as logprob_sum for the
    /// same ids (up to float32 summation order in the two forward paths).
    func testReportedLogprobEqualsScoredLogprob() throws {
        for name in ["gpt2_tiny", "llama_gqa_tied"] {
            let p = try policy(name)
            let samples = try Sampler(model: p.model, eosID: (try p.specialTokens(SpecialTokenOptions()).appendedEOS))
                .sample(prompt: [0, 3, 4], promptIndex: 0, count: 5, options: SamplingOptions(temperature: 1, maxTokens: 20, seed: 1))
            let scorer = try PairScorer(model: p.model, options: ScoringOptions())
            for (k, s) in samples.enumerated() {
                let rec = ResponseRecord(line: k + 1, id: "s\(k)", content: .ids(prompt: [0, 3, 4], response: s.tokens))
                let prepared = try p.tokenizationPolicy(appendEOS: false, inputPath: "samples").prepare(rec)
                let scored = try scorer.scoreSingles([prepared])[0]
                // Two float32 forwards (sampling decodes incrementally, scoring in one pass): per
                // token log π within 2·(logit + log-sum-exp bound) of each other
                // (TestSupport/ModelBounds.swift; |z| ≤ 5 so spread ≤ 10), summed over the tokens.
                let lse = ModelBounds.logSumExp(logitError: ModelBounds.logitsVsFloat64, spread: 2 * ModelBounds.magnitude,
                                                value: ModelBounds.magnitude + 10)
                let bound = Double(s.tokens.count) * 2 * (ModelBounds.logitsVsFloat64 + lse)
                XCTAssertEqual(scored.response.scores.aggregates.logprobSum, s.logprob, accuracy: bound, "\(name) sample \(k)")
            }
        }
    }

    func testGreedyAndNucleus() throws {
        var g = SeededGenerator(seed: 0)
        let logits: [Float] = [0.1, 2.0, 2.0, -1, 1.9]
        XCTAssertEqual(Sampler.choose(logits, options: SamplingOptions(temperature: 0), rng: &g), 1, "greedy takes the lowest id among ties")
        // With top-p 0.5, only the two tied most likely tokens (≈ 0.31 each) can be drawn.
        var seen = Set<Int>()
        for _ in 0..<500 { seen.insert(Sampler.choose(logits, options: SamplingOptions(temperature: 1, topP: 0.5), rng: &g)) }
        XCTAssertEqual(seen, [1, 2])
        var all = Set<Int>()
        for _ in 0..<2000 { all.insert(Sampler.choose(logits, options: SamplingOptions(temperature: 1, topP: 1), rng: &g)) }
        XCTAssertEqual(all, [0, 1, 2, 3, 4])
        XCTAssertEqual(Sampler.logSoftmax([0, 0], at: 1), log(0.5), accuracy: 1e-15)
    }

    func testBadOptionsAndPrompts() throws {
        let p = try policy("gpt2_tiny")
        let s = Sampler(model: p.model, eosID: (try p.specialTokens(SpecialTokenOptions()).appendedEOS))
        XCTAssertThrowsError(try s.sample(prompt: [], promptIndex: 0, count: 1, options: SamplingOptions()))
        XCTAssertThrowsError(try s.sample(prompt: Array(repeating: 3, count: 32), promptIndex: 0, count: 1, options: SamplingOptions())) { e in
            XCTAssertEqual("\(e)", "the prompt has 32 tokens; the model's context of 32 leaves no room to generate")
        }
        XCTAssertThrowsError(try SamplingOptions(topP: 0).validate())
        XCTAssertThrowsError(try SamplingOptions(temperature: -1).validate())
    }
}
