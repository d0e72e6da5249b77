import XCTest
import SoftQBase
import TestSupport
@testable import SoftQTraining

/// The whole model's loss and gradients against PyTorch autograd (transformers' GPT2LMHeadModel
/// in float64), for MLE and two IQLearn settings, through the shared objective of SoftQRewards.
final class ReferenceGradientTests: XCTestCase {
    /// Gradients: |swift − torch| ≤ 1e-4·|torch| + 1e-6·max|torch| per element. The second term
    /// only matters for elements near zero, where "relative" means relative to the tensor's scale.
    func compare<T: TrainingScalar>(_ type: T.Type, rtol: Double) throws {
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
                sums += try model.evaluate(e, options: c.options, tdWeight: lambda, eosTokenID: ref.config.eosTokenID,
                                           backwardScale: 1 / Double(total))
            }
            XCTAssertEqual(sums.tokens, c.tokens, c.name)
            // Objective inputs pass through Float (the shared objective's interface): ~1e-7 relative.
            XCTAssertEqual(sums.mle, c.mleSum, accuracy: 1e-5 * abs(c.mleSum), "\(c.name) mle")
            XCTAssertEqual(sums.td, c.tdSum, accuracy: 1e-5 * abs(c.tdSum), "\(c.name) td")
            XCTAssertEqual(sums.loss(tdWeight: lambda), c.loss, accuracy: 1e-5 * abs(c.loss), "\(c.name) loss")
            let grads = model.grads.array
            for entry in model.layout.entries {
                guard let expected = c.gradients[entry.name] else { XCTFail("\(c.name): no reference gradient for \(entry.name)"); continue }
                let scale = expected.map(abs).max() ?? 0
                XCTAssertGreaterThan(scale, 0, "\(c.name) \(entry.name): reference gradient is zero")
                assertClose(grads[entry.offset..<(entry.offset + entry.count)], expected,
                            atol: 1e-6 * scale, rtol: rtol, "\(c.name) \(entry.name)")
            }
        }
    }

    func testFloat64GradientsMatchPyTorch() throws { try compare(Double.self, rtol: 1e-4) }
    func testFloat32GradientsMatchPyTorch() throws { try compare(Float.self, rtol: 1e-4) }

    /// λ = 0 reproduces the MLE loss exactly: the IQLearn objective with tdWeight 0 returns the
    /// same bits as `.mle`, and the MLE sum does not depend on λ, γ or α.
    func testZeroTDWeightIsExactlyMLE() throws {
        let ref = try TrainingReference.load()
        let model = try ref.model(Float.self)
        let total = 1 / Double(ref.examples.reduce(0) { $0 + $1.response.count })
        var mle = LossSums(), iq0 = LossSums(), iq = LossSums()
        model.grads.zero()
        for e in ref.examples { mle += try model.evaluate(e, options: RewardOptions(), tdWeight: 0, eosTokenID: 1, backwardScale: total) }
        let gMLE = model.grads.array
        model.grads.zero()
        let other = RewardOptions(alpha: 3, gamma: 0.7, terminal: .never)
        for e in ref.examples { iq0 += try model.evaluate(e, options: other, tdWeight: 0, eosTokenID: 1, backwardScale: total) }
        XCTAssertEqual(model.grads.array, gMLE, "λ = 0 gradients must equal MLE gradients bit for bit")
        for e in ref.examples { iq += try model.evaluate(e, options: other, tdWeight: 2, eosTokenID: 1, backwardScale: nil) }
        XCTAssertEqual(mle.loss(tdWeight: 0), iq0.loss(tdWeight: 0))
        XCTAssertEqual(mle.mle, iq.mle, "the MLE part does not depend on λ, γ, α")
        XCTAssertNotEqual(iq.loss(tdWeight: 2), mle.loss(tdWeight: 0))
    }
}
