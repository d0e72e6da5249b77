import XCTest
import SoftQBase
import SoftQRewards
import TestSupport
@testable import SoftQTraining

/// The whole model's loss and gradients against PyTorch autograd (transformers' GPT2LMHeadModel
/// in float64), for MLE and two IQLearn settings, through the shared objective of SoftQRewards.
final class ReferenceGradientTests: XCTestCase {
    /// Gradients: |swift − torch| ≤ rtol·|torch| + atolScale·max|torch| per element. The second
    /// term only matters for elements near zero, where "relative" means relative to the tensor's
    /// scale. float32: rtol 1e-4 (the bound; observed ~1e-5); float64: 1e-9.
    func compare<T: TrainingScalar>(_ type: T.Type, rtol: Double, atolScale: Double) throws {
        let ref = try TrainingReference.load()
        let logitsModel = try ref.model(T.self)
        let e0 = ref.examples[0]
        logitsModel.forward(tokens: e0.prompt + e0.response, firstLogitRow: 0)
        assertClose(logitsModel.lastLogits(), ref.logitsExample0, atol: T.self == Double.self ? 1e-9 : 1e-5, "logits of example 0")

        for c in ref.cases {
            let model = try ref.model(T.self)
            let lambda = c.objective == .mle ? 0 : c.tdWeight
            let total = ref.examples.reduce(0) { $0 + $1.response.count }
            var sums = LossSums()
            for e in ref.examples {
                sums += try model.evaluate(e, options: c.options, tdWeight: lambda, backwardScale: 1 / Double(total))
            }
            XCTAssertEqual(sums.tokens, c.tokens, c.name)
            let lossTol = T.self == Double.self ? 1e-12 : 1e-5
            XCTAssertEqual(sums.mle, c.mleSum, accuracy: lossTol * abs(c.mleSum), "\(c.name) mle")
            XCTAssertEqual(sums.td, c.tdSum, accuracy: lossTol * abs(c.tdSum), "\(c.name) td")
            XCTAssertEqual(sums.loss(tdWeight: lambda), c.loss, accuracy: lossTol * abs(c.loss), "\(c.name) loss")
            let grads = model.grads.array
            for entry in model.layout.entries {
                guard let expected = c.gradients[entry.name] else { XCTFail("\(c.name): no reference gradient for \(entry.name)"); continue }
                let scale = expected.map(abs).max() ?? 0
                XCTAssertGreaterThan(scale, 0, "\(c.name) \(entry.name): reference gradient is zero")
                assertClose(grads[entry.offset..<(entry.offset + entry.count)], expected,
                            atol: atolScale * scale, rtol: rtol, "\(c.name) \(entry.name)")
            }
        }
    }

    func testFloat64GradientsMatchPyTorch() throws { try compare(Double.self, rtol: 1e-9, atolScale: 1e-12) }
    func testFloat32GradientsMatchPyTorch() throws { try compare(Float.self, rtol: 1e-4, atolScale: 1e-6) }

    /// λ = 0 reproduces the MLE loss exactly: the IQLearn objective with tdWeight 0 returns the
    /// same bits as `.mle`, and the MLE sum does not depend on λ, γ or α.
    func testZeroTDWeightIsExactlyMLE() throws {
        let ref = try TrainingReference.load()
        let model = try ref.model(Float.self)
        let total = 1 / Double(ref.examples.reduce(0) { $0 + $1.response.count })
        var mle = LossSums(), iq0 = LossSums(), iq = LossSums()
        model.grads.zero()
        for e in ref.examples { mle += try model.evaluate(e, options: RewardOptions(), tdWeight: 0, backwardScale: total) }
        let gMLE = model.grads.array
        model.grads.zero()
        let other = RewardOptions(alpha: 3, gamma: 0.7, terminal: .never)
        for e in ref.examples { iq0 += try model.evaluate(e, options: other, tdWeight: 0, backwardScale: total) }
        XCTAssertEqual(model.grads.array, gMLE, "λ = 0 gradients must equal MLE gradients bit for bit")
        for e in ref.examples { iq += try model.evaluate(e, options: other, tdWeight: 2, backwardScale: nil) }
        XCTAssertEqual(mle.loss(tdWeight: 0), iq0.loss(tdWeight: 0))
        XCTAssertEqual(mle.mle, iq.mle, "the MLE part does not depend on λ, γ, α")
        XCTAssertNotEqual(iq.loss(tdWeight: 2), mle.loss(tdWeight: 0))
    }
}

/// The TD part of the training loss is the extraction reward: Σ (r_j/α)² with r_j from
/// SoftQRewards.scoreResponse on the same logits, and the MLE part is −Σ log π from it too.
final class SharedRewardTests: XCTestCase {
    func testTDPartEqualsExtractedRewards() throws {
        let ref = try TrainingReference.load()
        let model = try ref.model(Float.self)
        let options = RewardOptions(alpha: 2, gamma: 0.9, terminal: .eos)
        var td = 0.0, mle = 0.0, sums = LossSums()
        for e in ref.examples {
            sums += try model.evaluate(e, options: options, tdWeight: 0.5, backwardScale: nil)
            // Read the logits the model just produced and score them as extraction does.
            let V = ref.config.vocabSize, rows = model.lastLogits()
            let lse = (0...e.response.count).map { r -> Double in
                let row = rows[(r * V)..<((r + 1) * V)].map(Double.init)
                let mx = row.max()!
                return mx + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - mx) })
            }
            let taken = e.response.indices.map { Double(rows[$0 * V + e.response[$0]]) }
            let scores = try scoreResponse(tokenLogits: taken, logsumexp: lse, endsWithEOS: e.response.last == 1, options: options)
            td += scores.reward.reduce(0) { $0 + ($1 / 2) * ($1 / 2) }
            mle -= scores.logprob.reduce(0, +)
        }
        // Float32 logsumexp (model) vs float64 logsumexp (here): agreement to float32 rounding.
        XCTAssertEqual(sums.td, td, accuracy: 1e-5 * td)
        XCTAssertEqual(sums.mle, mle, accuracy: 1e-5 * mle)
        XCTAssertGreaterThan(td, 1)
    }
}
