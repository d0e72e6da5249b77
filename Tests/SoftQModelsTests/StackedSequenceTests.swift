import Foundation
import SoftQBase
import SoftQModels
import XCTest

/// The continuations of a prompt share each matrix product (their rows stacked); the results
/// must be the bits of one product per continuation (`ForwardOptions.stackSequences = false`).
final class StackedSequenceTests: XCTestCase {
    /// Every value of a group's scores as bits (== on Float would let −0 pass for +0).
    func bits(_ scores: [SequenceScores]) -> [[UInt32]] {
        scores.map { ($0.tokenLogits + $0.logsumexp + $0.logprobs + ($0.fullLogits ?? [])).map(\.bitPattern) }
    }

    func testStackedContinuationsEqualOneProductPerContinuation() throws {
        // The model-level face of BatchInvarianceTests: a prompt's continuations stacked into
        // one product per weight, against the fallback that runs each one alone, in many mixes
        // of lengths (1 row, rows across the 256-row output blocks) and thread counts.
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
                let groups = [PromptGroup(prompt: prompt, continuations: conts)]
                let threads = 1 + trial % 3
                let stacked = try model.score(groups, options: ForwardOptions(threads: threads, fullLogits: true))
                let alone = try model.score(groups, options: ForwardOptions(threads: 1, fullLogits: true, stackSequences: false))
                XCTAssertEqual(bits(stacked[0]), bits(alone[0]), "\(name) trial \(trial): lengths \(conts.map(\.count)), \(threads) threads")
            }
        }
    }
}
