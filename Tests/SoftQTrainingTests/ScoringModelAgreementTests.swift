import XCTest
import SoftQBase
import SoftQCheckpoint
import SoftQModels
import SoftQRewards
import TestSupport
@testable import SoftQTraining

/// The training forward and the scoring forward (SoftQModels) are two implementations of one
/// GPT-2: same weights, same logits; and the loss's TD part is the reward scoring extracts.
final class ScoringModelAgreementTests: XCTestCase {
    func testTrainingLogitsEqualScoringLogits() throws {
        let ref = try TrainingReference.load()
        let training = try ref.model(Float.self)
        let scoring = try ModelRegistry.makeModel(modelType: "gpt2", config: ref.config.json, weights: ref.weightSource)
        let options = RewardOptions(alpha: 2, gamma: 0.9, terminal: .eos)
        // Two float32 forwards, each within the derived bound of the exact value: 2× the bound.
        let bound = try ReferenceGradientTests.float32Tolerances(ref)
        var td = 0.0, mle = 0.0, sums = LossSums()
        for e in ref.examples {
            let scores = try scoring.score([PromptGroup(prompt: e.prompt, continuations: [e.response])],
                                           options: ForwardOptions(threads: 1, fullLogits: true))[0][0]
            sums += try training.evaluate(e, options: options, tdWeight: 0.5, backwardScale: nil)
            let mine = training.lastLogits()
            XCTAssertEqual(mine.count, (e.response.count + 1) * ref.config.vocabSize)
            assertClose(mine, scores.fullLogits ?? [], atol: 2 * bound.logits, "logits of \(e)")
            let r = try scoreResponse(tokenLogits: scores.tokenLogits, logsumexp: scores.logsumexp,
                                      endsWithEOS: e.endsWithEOS, options: options)
            td += r.reward.reduce(0) { $0 + ($1 / options.alpha) * ($1 / options.alpha) }
            mle -= r.logprob.reduce(0, +)
        }
        XCTAssertEqual(sums.td, td, accuracy: 2 * bound.loss * td, "TD part vs rewards extracted by the scoring model")
        XCTAssertEqual(sums.mle, mle, accuracy: 2 * bound.loss * mle)
    }

    /// A checkpoint written by a training run is read by the scoring model, which reproduces the
    /// trained model's logits.
    func testTrainedCheckpointScoresLikeTheTrainingModel() throws {
        let dir = try TestPaths.temporaryDirectory("softq-train-score")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try tinyConfig()
        var o = TrainingOptions()
        o.steps = 3
        o.batchSize = 2
        o.learningRate = 0.01
        let examples = reversalExamples(count: 6, seed: 9)
        let run = try TrainingRun(config: config, configText: config.json.serialized(), initialWeights: nil, examples: examples,
                                  options: o, settings: TrainingRunSettings(outputDirectory: dir, data: "d", dataSHA256: "x"))
        try run.run()
        let checkpoint = try Checkpoint(path: dir.appendingPathComponent("model.h5").path)
        let scoring = try ModelRegistry.makeModel(checkpoint: checkpoint)
        let e = examples[0]
        let scores = try scoring.score([PromptGroup(prompt: e.prompt, continuations: [e.response])],
                                       options: ForwardOptions(threads: 1, fullLogits: true))[0][0]
        run.trainer.model.forward(tokens: e.prompt + e.response, firstLogitRow: e.prompt.count - 1)
        // Two float32 forwards of the trained weights, each within the GPT-2 logit bound.
        let bound = try ReferenceGradientTests.logitBound(config, examples: [e]) { name in
            Double(try checkpoint.loadTensor(name).array.map(abs).max() ?? 0)
        }
        assertClose(run.trainer.model.lastLogits(), scores.fullLogits ?? [], atol: 2 * bound, "logits after training")
    }
}
