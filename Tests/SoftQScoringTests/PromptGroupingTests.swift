import Foundation
import SoftQBase
import SoftQModels
import SoftQRewards
@testable import SoftQScoring
import TestSupport
import XCTest

/// One prompt computation per prompt: records with identical prompt ids share the prompt's
/// forward pass, and every per-token value is bit-identical to scoring each record alone.
final class PromptGroupingTests: XCTestCase {
    /// Random token sequences cut at random points into a few prompts and many responses.
    struct Case {
        var singles: [PreparedSingle]
        var pairs: [PreparedPair]
        var chunk: Int
        var threads: Int
    }

    func randomCase(_ g: inout SeededGenerator, vocabulary: Int, tp: TokenizationPolicy, maxLength: Int) throws -> Case {
        func tokens(_ n: Int) -> [Int] { (0..<n).map { _ in Int.random(in: 0..<vocabulary, using: &g) } }
        // Prompts may prefix one another (a shorter prompt is a prefix of a longer one): grouping
        // must key on the whole prompt, not on a shared start.
        let base = tokens(Int.random(in: 1...maxLength / 2, using: &g))
        var prompts: [[Int]] = []
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            prompts.append(Bool.random(using: &g) ? Array(base.prefix(Int.random(in: 1...base.count, using: &g))) : tokens(Int.random(in: 1...maxLength / 2, using: &g)))
        }
        var singles: [PreparedSingle] = [], pairs: [PreparedPair] = []
        for k in 0..<Int.random(in: 1...24, using: &g) {
            let p = prompts.randomElement(using: &g)!
            // Responses of 0 tokens are refused by the reader; 1 … the rest of the context.
            func response() -> [Int] { tokens(Int.random(in: 1...(maxLength - p.count), using: &g)) }
            singles.append(try tp.prepare(ResponseRecord(line: k + 1, id: "r\(k)", content: .ids(prompt: p, response: response()))))
            pairs.append(try tp.prepare(PairRecord(line: k + 1, id: "p\(k)", subset: "",
                                                   content: .ids(prompt: p, chosen: response(), rejected: response()))))
        }
        // Half the cases keep a prompt's records adjacent (best-of-N files), half interleave them.
        if Bool.random(using: &g) {
            singles.sort { $0.prompt.lexicographicallyPrecedes($1.prompt) }
            pairs.sort { $0.prompt.lexicographicallyPrecedes($1.prompt) }
        }
        return Case(singles: singles, pairs: pairs, chunk: Int.random(in: 1...8, using: &g), threads: Int.random(in: 1...2, using: &g))
    }

    func testGroupedScoresEqualOneRecordAtATimeBitForBit() throws {
        var g = SeededGenerator(seed: 15)
        var compared = 0
        for name in ["gpt2_tiny", "llama_gqa_tied"] {
            let policy = try loadPolicy(name)
            let tp = try policy.tokenizationPolicy(appendEOS: false, inputPath: "grouping")
            for trial in 0..<6 {
                let c = try randomCase(&g, vocabulary: policy.model.vocabularySize, tp: tp, maxLength: min(40, policy.model.contextLength))
                func scorer(_ grouping: PromptGroupingMode) throws -> PairScorer {
                    try PairScorer(model: policy.model, options: ScoringOptions(rewards: RewardOptions(gamma: 0.9), threads: c.threads,
                                                                                chunkSize: c.chunk, grouping: grouping))
                }
                let shared = try scorer(.shared), separate = try scorer(.separate)
                let a = try shared.scoreSingles(c.singles), b = try separate.scoreSingles(c.singles)
                XCTAssertEqual(a.count, c.singles.count)
                for (x, y) in zip(a, b) {
                    XCTAssertEqual(x.index, y.index)
                    // ResponseScores' == compares every per-token array and aggregate exactly.
                    XCTAssertEqual(x.response.scores, y.response.scores, "\(name) trial \(trial) single \(x.index)")
                    compared += x.response.scores.tokens
                }
                let pa = try shared.scorePairs(c.pairs), pb = try separate.scorePairs(c.pairs)
                for (x, y) in zip(pa, pb) {
                    XCTAssertEqual(x.chosen.scores, y.chosen.scores, "\(name) trial \(trial) pair \(x.index) chosen")
                    XCTAssertEqual(x.rejected.scores, y.rejected.scores, "\(name) trial \(trial) pair \(x.index) rejected")
                    XCTAssertEqual(x.margin.bitPattern, y.margin.bitPattern)
                }
                // The resumable path cuts blocks at prompt boundaries; the scores are the same bits.
                let r = try ResumableScoring.scoreSingles(c.singles, scorer: shared, progress: nil)
                XCTAssertEqual(r.map(\.response.scores), b.map(\.response.scores), "\(name) trial \(trial) resumable")
            }
        }
        XCTAssertGreaterThan(compared, 400, "the property test compared too few tokens to mean anything")
    }

    /// A prompt's records stay in one model call (its prompt runs once) up to four chunks.
    func testChunksExtendOverRecordsOfTheSamePrompt() {
        let prompts = [1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
        func ends(size: Int) -> [Int] {
            var out: [Int] = [], start = 0
            while start < prompts.count {
                start = PromptGrouping.chunkEnd(from: start, total: prompts.count, size: size) { prompts[$0] == prompts[$1] }
                out.append(start)
            }
            return out
        }
        XCTAssertEqual(ends(size: 2), [3, 5, 13, 15])
        XCTAssertEqual(ends(size: 1), [3, 5, 9, 13, 15])
        XCTAssertEqual(ends(size: 100), [15])
    }
}
