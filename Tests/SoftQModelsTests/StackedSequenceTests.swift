import Foundation
import SoftQBase
import SoftQKernels
@testable import SoftQModels
import TestSupport
import XCTest

/// With `ForwardOptions.stackSequences`, the prompts of several groups share each matrix
/// product, then their continuations do (rows padded per `BLAS.stacking`); a continuation's
/// results must be the bits it gets stacked alone, whatever the other continuations and
/// groups, their lengths and the thread count.
final class StackedSequenceTests: XCTestCase {
    /// Every value of a group's scores as bits (== on Float would let −0 pass for +0).
    func bits(_ scores: [SequenceScores]) -> [[UInt32]] {
        scores.map { ($0.tokenLogits + $0.logsumexp + $0.logprobs + ($0.fullLogits ?? [])).map(\.bitPattern) }
    }

    func testStackedContinuationsEqualEachContinuationAlone() throws {
        guard BLAS.stacking != nil else {
            throw XCTSkip("OpenBLAS kernel family \(BLAS.coreName) is never stacked (ForwardOptions.stackSequences is ignored)")
        }
        // Mixes of lengths (empty, 1 row, rows across the output layer's position blocks) and
        // thread counts; windowed and parallel-residual models too.
        for name in ["gpt2_tiny", "llama_gqa_tied", "gemma2_window", "neox_parallel"] {
            let model = try Fixture.model(name).makeModel()
            var rng = SeededGenerator(seed: 23)
            func toks(_ n: Int) -> [Int] { (0..<n).map { _ in rng.nextInt(below: model.vocabularySize) } }
            let limit = min(model.contextLength, 300)
            for trial in 0..<6 {
                let prompt = toks(1 + rng.nextInt(below: 8))
                let room = limit - prompt.count
                let conts = (0..<(1 + rng.nextInt(below: 4))).map { _ in
                    toks(trial == 5 ? min(room, 200 + rng.nextInt(below: 60)) : rng.nextInt(below: min(room, 20)))
                }
                let threads = 1 + trial % 3
                let stacked = try model.score([PromptGroup(prompt: prompt, continuations: conts)],
                                              options: ForwardOptions(threads: threads, fullLogits: true, stackSequences: true))[0]
                for (k, cont) in conts.enumerated() {
                    let alone = try model.score([PromptGroup(prompt: prompt, continuations: [cont])],
                                                options: ForwardOptions(threads: 1, fullLogits: true, stackSequences: true))[0]
                    XCTAssertEqual(bits([stacked[k]]), bits(alone),
                                   "\(name) trial \(trial): continuation \(k) of lengths \(conts.map(\.count)), \(threads) threads")
                }
                // The default (unstacked, unpadded) path rounds differently: two float32
                // evaluations, each within ModelBounds.logitsVsFloat64 of the exact logits (the
                // bound's derivation needs lengths ≤ 64, so the long trial is left out).
                if trial < 5 {
                    let plain = try model.score([PromptGroup(prompt: prompt, continuations: conts)],
                                                options: ForwardOptions(threads: threads, fullLogits: true))[0]
                    for (s, p) in zip(stacked, plain) {
                        assertClose(s.fullLogits!, p.fullLogits!, atol: ModelBounds.logitsVsFloat32, "\(name) trial \(trial): stacked vs default")
                    }
                }
            }
        }
    }

    /// Many groups in one call: prompts of several groups stacked, then all their
    /// continuations, split into runs of about `stackedRows` rows; each continuation gets the
    /// bits of its group scored on its own with that continuation alone.
    func testStackedGroupsEqualEachGroupAlone() throws {
        guard BLAS.stacking != nil else {
            throw XCTSkip("OpenBLAS kernel family \(BLAS.coreName) is never stacked (ForwardOptions.stackSequences is ignored)")
        }
        for name in ["gpt2_tiny", "llama_gqa_tied"] {
            let model = try Fixture.model(name).makeModel()
            var rng = SeededGenerator(seed: 31)
            func toks(_ n: Int) -> [Int] { (0..<n).map { _ in rng.nextInt(below: model.vocabularySize) } }
            let limit = min(model.contextLength, 300)
            for trial in 0..<3 {
                // Enough groups and rows for several runs (stackedRows = 1024), some without
                // continuations, some continuations empty.
                let groups: [PromptGroup] = (0..<(6 + 4 * trial)).map { g in
                    let prompt = toks(1 + rng.nextInt(below: min(120, limit / 2)))
                    let count = g % 5 == 4 ? 0 : 1 + rng.nextInt(below: 3)
                    return PromptGroup(prompt: prompt, continuations: (0..<count).map { _ in
                        toks(rng.nextInt(below: 5) == 0 ? 0 : rng.nextInt(below: min(limit - prompt.count, 160)))
                    })
                }
                let threads = 1 + trial % 2
                let stacked = try model.score(groups, options: ForwardOptions(threads: threads, fullLogits: true, stackSequences: true))
                XCTAssertEqual(stacked.map(\.count), groups.map(\.continuations.count))
                for (g, group) in groups.enumerated() {
                    for (c, cont) in group.continuations.enumerated() {
                        let alone = try model.score([PromptGroup(prompt: group.prompt, continuations: [cont])],
                                                    options: ForwardOptions(threads: 1, fullLogits: true, stackSequences: true))[0]
                        XCTAssertEqual(bits([stacked[g][c]]), bits(alone), "\(name) trial \(trial): group \(g) continuation \(c)")
                    }
                }
            }
        }
    }
}

/// How stacked work items are cut: consecutive runs covering every group once, each closed
/// once it holds `stackedRows` rows.
final class StackedRunTests: XCTestCase {
    func testRunsCoverTheGroupsInOrder() {
        func group(_ p: Int, _ c: [Int]) -> PromptGroup { PromptGroup(prompt: Array(repeating: 1, count: p), continuations: c.map { Array(repeating: 2, count: $0) }) }
        XCTAssertEqual(DecoderLanguageModel.stackedRuns([]), [])
        XCTAssertEqual(DecoderLanguageModel.stackedRuns([group(3, [4])]), [0..<1])
        // Two groups of half the row target close the first run; a long one is a run alone;
        // the last run takes what is left, however small.
        let r = DecoderLanguageModel.stackedRows
        let groups = [group(r / 4, [r / 8, r / 8]), group(r / 4, [r / 4 - 1, 1]), group(4 * r, []), group(10, [5]), group(10, [5])]
        XCTAssertEqual(DecoderLanguageModel.stackedRuns(groups), [0..<2, 2..<3, 3..<5])
    }
}
