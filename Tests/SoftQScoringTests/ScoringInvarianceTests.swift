import Foundation
import SoftQBase
import SoftQModels
import SoftQRewards
import SoftQScoring
import TestSupport
import XCTest

final class ScoringInvarianceTests: XCTestCase {
    func pairsJSONL(_ scored: [ScoredPair]) -> [String] {
        scored.map { ScoreRunWriter.pairJSON($0, score: .sum).serialized() }
    }

    /// Conventions identity 4 and the check: one at a time, all together, shuffled, and
    /// with 1 and 2 threads, pairs.jsonl is byte-identical.
    func testBatchOrderAndThreadsDoNotChangeAByte() throws {
        for name in ["gpt2_tiny", "llama_gqa_tied"] {
            let policy = try loadPolicy(name)
            let prepared = try prepare(ScoringFixture.shared.pairs, policy, appendEOS: true)
            func run(_ items: [PreparedPair], chunk: Int, threads: Int) throws -> [ScoredPair] {
                try PairScorer(model: policy.model, options: ScoringOptions(threads: threads, chunkSize: chunk)).scorePairs(items)
            }
            let baseline = pairsJSONL(try run(prepared, chunk: 16, threads: 1))
            XCTAssertEqual(pairsJSONL(try run(prepared, chunk: 1, threads: 1)), baseline, "\(name): one at a time")
            XCTAssertEqual(pairsJSONL(try run(prepared, chunk: 16, threads: 2)), baseline, "\(name): two threads")
            XCTAssertEqual(pairsJSONL(try run(prepared, chunk: 2, threads: 2)), baseline, "\(name): chunks of 2, two threads")
            var g = SeededGenerator(seed: 3)
            let order = Array(prepared.indices).shuffled(using: &g)
            let shuffled = try run(order.map { prepared[$0] }, chunk: 3, threads: 2)
            var back = [String](repeating: "", count: prepared.count)
            for (k, i) in order.enumerated() { back[i] = pairsJSONL([shuffled[k]])[0] }
            XCTAssertEqual(back, baseline, "\(name): shuffled")
        }
    }

    /// Scoring from the prompt's cached keys/values equals one forward pass over the whole
    /// sequence from its first token.
    func testPrefixReuseEqualsScoringFromScratch() throws {
        for name in ["gpt2_tiny", "llama_gqa_tied", "qwen2_bias"] {
            let policy = try loadPolicy(name)
            for pair in try prepare(ScoringFixture.shared.pairs, policy) {
                let shared = try policy.model.score([PromptGroup(prompt: pair.prompt, continuations: [pair.chosen.ids, pair.rejected.ids])],
                                                    options: ForwardOptions())[0]
                for (k, response) in [pair.chosen.ids, pair.rejected.ids].enumerated() {
                    let full = pair.prompt + response
                    let scratch = try policy.model.score([PromptGroup(prompt: [full[0]], continuations: [Array(full.dropFirst())])],
                                                         options: ForwardOptions())[0][0]
                    let p = pair.prompt.count
                    // scratch covers positions 0 … n−1; the response's rows are p−1 … n−1.
                    let lp = Array(scratch.logprobs[(p - 1)...])
                    let lse = Array(scratch.logsumexp[(p - 1)...])
                    // Two float32 evaluations of a fixture model with different row splits, each
                    // within the model bound of the exact values (TestSupport/ModelBounds.swift);
                    // logits |z| ≤ 5 (the bound's Σ|terms|), so a row's spread is ≤ 10.
                    let lseBound = ModelBounds.logSumExp(logitError: ModelBounds.logitsVsFloat64, spread: 2 * ModelBounds.magnitude,
                                                         value: ModelBounds.magnitude + 10)
                    assertClose(shared[k].logprobs, lp, atol: 2 * (ModelBounds.logitsVsFloat64 + lseBound), "\(name) logprobs")
                    assertClose(shared[k].logsumexp, lse, atol: 2 * lseBound, "\(name) logsumexp")
                }
            }
        }
    }
}
