import XCTest
import SoftQBase
import SoftQRewards
import SoftQCheckpoint
import TestSupport
@testable import SoftQTraining

/// A tiny task with structure to learn: the response repeats the prompt's content tokens in
/// reverse, then EOS. Seeded, so every test sees the same data.
func reversalExamples(count: Int, seed: UInt64) -> [TrainingExample] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        let body = (0..<(2 + rng.nextInt(below: 4))).map { _ in 2 + rng.nextInt(below: 10) }
        return TrainingExample(prompt: [0] + body, response: body.reversed() + [1], endsWithEOS: true)
    }
}

func tinyConfig() throws -> GPT2TrainingConfig {
    try GPT2TrainingConfig(vocabSize: 12, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2, bosTokenID: 0, eosTokenID: 1)
}

final class TrainerTests: XCTestCase {
    func options(_ objective: TrainingObjective) -> TrainingOptions {
        var o = TrainingOptions()
        o.objective = objective
        o.tdWeight = objective == .mle ? 0 : 0.1
        o.rewards = RewardOptions(alpha: 1, gamma: 1, terminal: .eos)
        o.steps = 30
        o.batchSize = 4
        o.learningRate = 1e-2
        o.warmupSteps = 3
        o.seed = 11
        return o
    }

    func freshTrainer(_ o: TrainingOptions, examples: [TrainingExample]) throws -> Trainer {
        let model = GPT2TrainingModel<Float>(config: try tinyConfig())
        initializeGPT2Parameters(model.params, layout: model.layout, nLayer: 2, seed: o.seed)
        return try Trainer(model: model, examples: examples, options: o)
    }

    /// A 30-step seeded run lowers the full-data loss by more than a fifth (it drops ~28%), and a second run
    /// gives the same weights bit for bit — for both objectives.
    func testShortRunLowersLossAndIsReproducible() throws {
        let data = reversalExamples(count: 24, seed: 5)
        for objective in TrainingObjective.allCases {
            let o = options(objective)
            let a = try freshTrainer(o, examples: data)
            let before = try a.evaluateLoss(on: data).loss(tdWeight: o.effectiveTDWeight)
            var reports: [StepReport] = []
            for _ in 0..<o.steps { reports.append(try a.trainStep()) }
            let after = try a.evaluateLoss(on: data).loss(tdWeight: o.effectiveTDWeight)
            XCTAssertLessThan(after, 0.8 * before, "\(objective): loss \(before) → \(after)")
            XCTAssertEqual(reports.map(\.step), Array(1...o.steps))
            XCTAssert(reports.allSatisfy { $0.tokens > 0 && $0.gradNorm.isFinite && $0.learningRate > 0 })

            let b = try freshTrainer(o, examples: data)
            for _ in 0..<o.steps { _ = try b.trainStep() }
            XCTAssertEqual(a.model.params.array, b.model.params.array, "\(objective): not reproducible")
            XCTAssertEqual(a.optimizer.v.array, b.optimizer.v.array)
        }
    }

    /// Examples trained in parallel give the same weights, bit for bit, as one at a time.
    func testThreadCountDoesNotChangeResults() throws {
        let data = reversalExamples(count: 12, seed: 8)
        var o = options(.iqlearn)
        o.steps = 4
        o.batchSize = 5
        var weights: [[Float]] = []
        for threads in [1, 2, 3] {
            let model = GPT2TrainingModel<Float>(config: try tinyConfig())
            initializeGPT2Parameters(model.params, layout: model.layout, nLayer: 2, seed: o.seed)
            let t = try Trainer(model: model, examples: data, options: o, threads: threads)
            for _ in 0..<o.steps { _ = try t.trainStep() }
            weights.append(model.params.array)
        }
        XCTAssertEqual(weights[0], weights[1])
        XCTAssertEqual(weights[0], weights[2])
    }

    /// The TD regulariser does what the conventions say: it pulls r_j/α toward zero on the data.
    func testIQLearnShrinksTDTerm() throws {
        let data = reversalExamples(count: 24, seed: 5)
        var mle = options(.mle), iq = options(.iqlearn)
        iq.tdWeight = 1
        mle.steps = 40; iq.steps = 40
        let a = try freshTrainer(mle, examples: data), b = try freshTrainer(iq, examples: data)
        for _ in 0..<40 { _ = try a.trainStep(); _ = try b.trainStep() }
        let tdMLE = try a.evaluateLoss(on: data), tdIQ = try b.evaluateLoss(on: data)
        XCTAssertLessThan(tdIQ.td, 0.5 * tdMLE.td, "IQLearn TD \(tdIQ.td) vs MLE TD \(tdMLE.td)")
    }

    /// The data order is a pure function of (seed, step): each epoch is a permutation.
    func testDataOrderIsSeededPermutationPerEpoch() throws {
        let data = reversalExamples(count: 10, seed: 1)
        var o = options(.mle)
        o.batchSize = 5
        let t = try freshTrainer(o, examples: data)
        let epoch0 = t.batchIndices(step: 0) + t.batchIndices(step: 1)
        XCTAssertEqual(epoch0.sorted(), Array(0..<10))
        let epoch1 = t.batchIndices(step: 2) + t.batchIndices(step: 3)
        XCTAssertEqual(epoch1.sorted(), Array(0..<10))
        XCTAssertNotEqual(epoch0, epoch1)
        let again = try freshTrainer(o, examples: data)
        XCTAssertEqual(again.batchIndices(step: 3), t.batchIndices(step: 3))
        o.seed = 12
        XCTAssertNotEqual(try freshTrainer(o, examples: data).batchIndices(step: 0) + [], t.batchIndices(step: 0))
    }

    func testScheduleWarmupAndCosine() {
        XCTAssertEqual(learningRate(step: 0, total: 10, warmup: 4, peak: 1, minFraction: 0.1), 0.25)
        XCTAssertEqual(learningRate(step: 3, total: 10, warmup: 4, peak: 1, minFraction: 0.1), 1)
        XCTAssertEqual(learningRate(step: 4, total: 10, warmup: 4, peak: 1, minFraction: 0.1), 1)
        // Halfway through the decay: floor + (peak − floor)/2.
        XCTAssertEqual(learningRate(step: 7, total: 10, warmup: 4, peak: 1, minFraction: 0.1), 0.55, accuracy: 1e-15)
        XCTAssertEqual(learningRate(step: 10, total: 10, warmup: 4, peak: 1, minFraction: 0.1), 0.1, accuracy: 1e-15)
        XCTAssertEqual(learningRate(step: 0, total: 10, warmup: 0, peak: 2, minFraction: 0), 2)
    }

    /// One AdamW step by hand (torch.optim.AdamW's formula): decoupled decay on matrices only.
    func testAdamWStepByHand() throws {
        let config = try GPT2TrainingConfig(vocabSize: 3, nPositions: 2, nEmbd: 2, nLayer: 1, nHead: 1, bosTokenID: 0, eosTokenID: 1)
        let layout = GPT2ParameterLayout(config: config)
        let p = ScalarBuffer<Double>(count: layout.count), g = ScalarBuffer<Double>(count: layout.count)
        for i in 0..<layout.count { p[i] = 0.5; g[i] = 0.2 }
        let state = AdamWState<Double>(count: layout.count)
        let s = AdamWSettings(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        adamWUpdate(params: p, grads: g, state: state, layout: layout, lr: 0.01, settings: s)
        // m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε); decay subtracts lr·wd·θ first.
        let adam = 0.01 * 0.2 / (0.2 + 1e-8)
        let wte = layout.entry(named: "transformer.wte.weight")!, bias = layout.entry(named: "transformer.h.0.attn.c_attn.bias")!
        XCTAssertEqual(p[wte.offset], 0.5 - 0.01 * 0.1 * 0.5 - adam, accuracy: 1e-15)
        XCTAssertEqual(p[bias.offset], 0.5 - adam, accuracy: 1e-15)
        XCTAssertEqual(state.step, 1)
    }

    func testGradientClipping() {
        let g = ScalarBuffer<Double>(count: 2)
        g[0] = 3; g[1] = 4
        XCTAssertEqual(clipGradients(g, maxNorm: 10), 5)
        XCTAssertEqual(g.array, [3, 4])
        XCTAssertEqual(clipGradients(g, maxNorm: 1), 5)
        // PyTorch's clip_grad_norm_ scales by maxNorm/(norm + 1e-6); float64, a few roundings: 8 ulps.
        XCTAssertEqual(gradientNorm(g), 5 / (5 + 1e-6), accuracy: 8 * Double.ulpOfOne)
    }

    func testInitialisationFollowsGPT2() throws {
        let config = try GPT2TrainingConfig(vocabSize: 64, nPositions: 32, nEmbd: 32, nLayer: 4, nHead: 2, bosTokenID: 0, eosTokenID: 1)
        let layout = GPT2ParameterLayout(config: config)
        let p = ScalarBuffer<Double>(count: layout.count)
        initializeGPT2Parameters(p, layout: layout, nLayer: 4, seed: 9)
        func std(_ name: String) -> Double {
            let e = layout.entry(named: name)!
            let xs = (0..<e.count).map { p[e.offset + $0] }
            return (xs.map { $0 * $0 }.reduce(0, +) / Double(xs.count)).squareRoot()
        }
        XCTAssertEqual(std("transformer.wte.weight"), 0.02, accuracy: 0.001)
        XCTAssertEqual(std("transformer.h.1.mlp.c_fc.weight"), 0.02, accuracy: 0.001)
        XCTAssertEqual(std("transformer.h.1.mlp.c_proj.weight"), 0.02 / 8.0.squareRoot(), accuracy: 0.0005)
        XCTAssertEqual(std("transformer.h.2.attn.c_proj.weight"), 0.02 / 8.0.squareRoot(), accuracy: 0.0005)
        XCTAssertEqual(std("transformer.h.0.attn.c_attn.bias"), 0)
        let ln = layout.entry(named: "transformer.ln_f.weight")!
        XCTAssert((0..<ln.count).allSatisfy { p[ln.offset + $0] == 1 })
        let q = ScalarBuffer<Double>(count: layout.count)
        initializeGPT2Parameters(q, layout: layout, nLayer: 4, seed: 9)
        XCTAssertEqual(p.array, q.array)
    }

    /// Training decodes config.json through the models' decoder (transformers' defaults for absent
    /// keys), then adds what the training code cannot do.
    func testConfigErrorsNameTheKey() {
        XCTAssertThrowsError(try GPT2TrainingConfig(json: .object([("vocab_size", .int(10)), ("n_embd", .string("wide"))]), source: "c.json")) { e in
            XCTAssertEqual("\(e)", "c.json: config key 'n_embd': expected an integer, got string")
        }
        XCTAssertThrowsError(try GPT2TrainingConfig(json: .object([("vocab_size", .int(10)), ("activation_function", .string("gelu"))]), source: "c.json")) { e in
            XCTAssertEqual("\(e)", "c.json: config key 'activation_function': training implements the tanh GELU ('gelu_new'), got 'gelu'")
        }
        XCTAssertThrowsError(try GPT2TrainingConfig(json: .object([("vocab_size", .int(10)), ("eos_token_id", .int(10))]), source: "c.json")) { e in
            XCTAssertEqual("\(e)", "c.json: config key 'eos_token_id': 10 is outside the vocabulary 0..<10")
        }
        let bad: JSONValue = .object([("vocab_size", .int(10)), ("n_positions", .int(8)), ("n_embd", .int(6)),
                                      ("n_layer", .int(1)), ("n_head", .int(4)), ("eos_token_id", .int(1)), ("bos_token_id", .int(0))])
        XCTAssertThrowsError(try GPT2TrainingConfig(json: bad, source: "c.json")) { e in
            XCTAssertEqual("\(e)", "c.json: config key 'n_head': 4 does not divide n_embd (6)")
        }
    }
}

final class WeightLoadingTests: XCTestCase {
    func tensors() throws -> [String: Tensor] {
        let config = try tinyConfig()
        let model = GPT2TrainingModel<Float>(config: config)
        initializeGPT2Parameters(model.params, layout: model.layout, nLayer: config.nLayer, seed: 1)
        return Dictionary(uniqueKeysWithValues: model.layout.tensors(from: model.params))
    }

    func load(_ t: [String: Tensor]) throws -> [Float] {
        let model = GPT2TrainingModel<Float>(config: try tinyConfig())
        try model.layout.load(from: InMemoryWeights(t, description: "w.h5"), into: model.params)
        return model.params.array
    }

    func testStrictBindingAndBareNames() throws {
        let t = try tensors()
        let reference = try load(t)
        // Bare GPT2Model names, a tied lm_head and mask buffers are accepted.
        var bare = Dictionary(uniqueKeysWithValues: t.map { (String($0.key.dropFirst("transformer.".count)), $0.value) })
        bare["lm_head.weight"] = t["transformer.wte.weight"]
        bare["h.0.attn.bias"] = Tensor(zeros: [1, 1, 16, 16])
        XCTAssertEqual(try load(bare), reference)

        var missing = t
        missing["transformer.h.1.ln_2.bias"] = nil
        XCTAssertThrowsError(try load(missing)) { XCTAssertEqual("\($0)", "w.h5: missing GPT-2 tensors: transformer.h.1.ln_2.bias") }
        var wrong = t
        wrong["transformer.h.0.attn.c_attn.weight"] = Tensor(zeros: [48, 16])
        XCTAssertThrowsError(try load(wrong)) { XCTAssert("\($0)".contains("has shape [48, 16], expected [16, 48]"), "\($0)") }
        var extra = t
        extra["score.weight"] = Tensor(zeros: [2])
        XCTAssertThrowsError(try load(extra)) { XCTAssertEqual("\($0)", "w.h5: tensors not used by GPT-2: score.weight") }
        var untied = t
        untied["lm_head.weight"] = Tensor(zeros: t["transformer.wte.weight"]!.shape)
        XCTAssertThrowsError(try load(untied)) { XCTAssert("\($0)".contains("lm_head.weight"), "\($0)") }
    }
}
