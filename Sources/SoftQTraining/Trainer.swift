import Foundation
import SoftQRewards
import SoftQBase
import SoftQKernels

/// What is optimised: plain maximum likelihood (λ = 0) or offline IQLearn, i.e. MLE plus the χ²
/// TD regulariser λ·(r_j/α)² from docs/spec/conventions.md.
public enum TrainingObjective: String, Sendable, CaseIterable {
    case mle, iqlearn
}

/// Every setting that changes the trained weights; all of it is recorded in checkpoints.
public struct TrainingOptions: Sendable, Equatable {
    public var objective: TrainingObjective = .mle
    /// λ of the TD term; ignored (treated as 0) for `.mle`.
    public var tdWeight: Double = 0
    public var rewards = RewardOptions()
    public var steps: Int = 100
    public var batchSize: Int = 8
    public var learningRate: Double = 1e-3
    public var warmupSteps: Int = 10
    /// The cosine schedule ends at learningRate·minLearningRateFraction.
    public var minLearningRateFraction: Double = 0.1
    public var adamW = AdamWSettings()
    /// Global gradient-norm clip; 0 disables clipping.
    public var gradClip: Double = 1.0
    public var seed: UInt64 = 0
    public init() {}

    /// λ actually used: 0 for MLE whatever `tdWeight` says.
    public var effectiveTDWeight: Double { objective == .mle ? 0 : tdWeight }

    public func validate() throws {
        if steps < 1 { throw TrainingError.option(name: "--steps", message: "must be at least 1, got \(steps)") }
        if batchSize < 1 { throw TrainingError.option(name: "--batch-size", message: "must be at least 1, got \(batchSize)") }
        if !(learningRate > 0) || !learningRate.isFinite { throw TrainingError.option(name: "--lr", message: "must be positive, got \(learningRate)") }
        if warmupSteps < 0 { throw TrainingError.option(name: "--warmup", message: "must be ≥ 0, got \(warmupSteps)") }
        if !(tdWeight >= 0) || !tdWeight.isFinite { throw TrainingError.option(name: "--td-weight", message: "must be ≥ 0, got \(tdWeight)") }
        // α, γ, β: the one rule scoring uses too (RewardOptions.validate).
        do { try rewards.validate() } catch let RewardError.invalidOption(name, value, rule) {
            throw TrainingError.option(name: "--\(name)", message: "\(rule), got \(value)")
        }
        if !(gradClip >= 0) { throw TrainingError.option(name: "--grad-clip", message: "must be ≥ 0, got \(gradClip)") }
        if !(minLearningRateFraction >= 0 && minLearningRateFraction <= 1) {
            throw TrainingError.option(name: "--min-lr-fraction", message: "must be in [0, 1], got \(minLearningRateFraction)")
        }
    }
}

/// One optimisation step's numbers, for the progress line and the training log.
public struct StepReport: Sendable, Equatable {
    public var step: Int
    /// mean_j [−log π + λ(r/α)²] over the batch's response tokens, before the update.
    public var loss: Double
    /// mean_j −log π
    public var mle: Double
    /// mean_j (r_j/α)² (unweighted; the loss adds λ times this)
    public var td: Double
    public var tokens: Int
    public var gradNorm: Double
    public var learningRate: Double
    public var seconds: Double
}

/// Trains a GPT-2 policy on demonstrations, one deterministic step at a time.
///
/// The data order is a pure function of (seed, step): epoch e visits the examples in a
/// Fisher–Yates permutation drawn from `SeededGenerator(seed).derived(e + 1)`, and step s takes
/// positions s·B ..< (s+1)·B of the concatenated epochs. So a resumed run needs only the weights,
/// the AdamW moments and the step number to continue bit for bit.
///
/// Parallelism: the examples of a batch run `threads` at a time, each on its own model replica
/// (shared parameters, own activations and gradient) with single-threaded BLAS, and each
/// example's gradient is added to the batch gradient in example order. An example's gradient is
/// always computed alone into a zeroed buffer, so the sum — and the run — is the same bit for bit
/// at any thread count.
public final class Trainer {
    public let model: GPT2TrainingModel<Float>
    public let examples: [TrainingExample]
    public let options: TrainingOptions
    public let optimizer: AdamWState<Float>
    /// The batch gradient of the last step (after clipping).
    public let gradients: ScalarBuffer<Float>
    private let replicas: [GPT2TrainingModel<Float>]
    private var permutationEpoch = -1
    private var permutation: [Int] = []

    /// `model` holds the starting weights (initialised or loaded); `optimizer` a resumed state.
    public init(model: GPT2TrainingModel<Float>, examples: [TrainingExample], options: TrainingOptions,
                optimizer: AdamWState<Float>? = nil, threads: Int = 1) throws {
        try options.validate()
        guard !examples.isEmpty else { throw TrainingError.emptyData(file: "training data") }
        let V = model.config.vocabSize
        for (i, e) in examples.enumerated() where e.prompt.isEmpty || e.response.isEmpty || e.length > model.maxSequenceLength
            || (e.prompt + e.response).contains(where: { $0 < 0 || $0 >= V }) {
            throw TrainingError.option(name: "examples", message: "example \(i) is invalid: every example needs ≥ 1 prompt and response token, at most \(model.maxSequenceLength) tokens, ids in 0..<\(V)")
        }
        self.model = model
        self.examples = examples
        self.options = options
        self.optimizer = optimizer ?? AdamWState(count: model.layout.count)
        gradients = ScalarBuffer(count: model.layout.count)
        let workers = max(1, min(threads, options.batchSize))
        replicas = [model] + (1..<workers).map { _ in
            GPT2TrainingModel(config: model.config, maxSequenceLength: model.maxSequenceLength, sharing: model.params)
        }
        if self.optimizer.m.count != model.layout.count {
            throw TrainingError.state(file: "optimizer state", message: "has \(self.optimizer.m.count) parameters, the model \(model.layout.count)")
        }
    }

    /// Steps completed so far.
    public var step: Int { optimizer.step }

    /// The example indices of step `s`'s batch.
    public func batchIndices(step s: Int) -> [Int] {
        let n = examples.count, b = options.batchSize
        return (0..<b).map { j in
            let position = s * b + j
            let epoch = position / n
            if epoch != permutationEpoch {
                var rng = SeededGenerator(seed: options.seed).derived(UInt64(epoch) + 1)
                var perm = Array(0..<n)
                for i in stride(from: n - 1, to: 0, by: -1) { perm.swapAt(i, rng.nextInt(below: i + 1)) }
                permutation = perm
                permutationEpoch = epoch
            }
            return permutation[position % n]
        }
    }

    /// Runs one step: gradients of the batch loss, clipping, schedule, AdamW.
    public func trainStep() throws -> StepReport {
        let start = Date()
        let s = optimizer.step
        let batch = batchIndices(step: s).map { examples[$0] }
        let totalTokens = batch.reduce(0) { $0 + $1.response.count }
        let lambda = options.effectiveTDWeight
        let scale = 1 / Double(totalTokens)
        gradients.zero()
        var sums = LossSums()
        let workers = replicas.count
        // Single-threaded BLAS always: OpenBLAS's multi-threaded split of small products was seen
        // to change low bits, and the parallelism is across examples anyway. Example first + w
        // runs on replica w, and the replicas' gradients are added in example order.
        try BLAS.withThreads(1) {
            for first in stride(from: 0, to: batch.count, by: workers) {
                let count = min(workers, batch.count - first)
                let results = try Parallel(threads: count).map(count) { [replicas, options] w, _ in
                    let replica = replicas[w]
                    replica.grads.zero()
                    return try replica.evaluate(batch[first + w], options: options.rewards, tdWeight: lambda, backwardScale: scale)
                }
                for w in 0..<count {
                    sums += results[w]
                    let g = gradients.pointer, e = replicas[w].grads.pointer
                    for i in 0..<gradients.count { g[i] += e[i] }
                }
            }
        }
        let loss = sums.loss(tdWeight: lambda)
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: s, loss: loss) }
        let norm = clipGradients(gradients, maxNorm: options.gradClip)
        let lr = learningRate(step: s, total: options.steps, warmup: options.warmupSteps,
                              peak: options.learningRate, minFraction: options.minLearningRateFraction)
        adamWUpdate(params: model.params, grads: gradients, state: optimizer, layout: model.layout,
                    lr: lr, settings: options.adamW)
        let t = Double(sums.tokens)
        return StepReport(step: s + 1, loss: loss, mle: sums.mle / t, td: sums.td / t, tokens: sums.tokens,
                          gradNorm: norm, learningRate: lr, seconds: Date().timeIntervalSince(start))
    }

    /// The loss of the current weights on `examples` (no update), summed over all of them.
    public func evaluateLoss(on examples: [TrainingExample]) throws -> LossSums {
        var sums = LossSums()
        for e in examples {
            sums += try model.evaluate(e, options: options.rewards, tdWeight: options.effectiveTDWeight, backwardScale: nil)
        }
        return sums
    }
}
