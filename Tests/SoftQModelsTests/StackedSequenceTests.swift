import Foundation
import SoftQBase
import SoftQKernels
import SoftQModels
import TestSupport
import XCTest

/// With `ForwardOptions.stackSequences`, the continuations of a prompt share each matrix
/// product (rows padded to the kernel's row tile); a continuation's results must be the bits it
/// gets stacked alone, whatever the other continuations, their lengths and the thread count.
final class StackedSequenceTests: XCTestCase {
    /// Every value of a group's scores as bits (== on Float would let −0 pass for +0).
    func bits(_ scores: [SequenceScores]) -> [[UInt32]] {
        scores.map { ($0.tokenLogits + $0.logsumexp + $0.logprobs + ($0.fullLogits ?? [])).map(\.bitPattern) }
    }

    func testStackedContinuationsEqualEachContinuationAlone() throws {
        guard BLAS.stackingRowMultiple != nil else {
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
}
