import Foundation
import SoftQRewards

/// One demonstration: prompt tokens (context, no loss) and response tokens (the actions).
public struct TrainingExample: Sendable, Equatable {
    public var prompt: [Int]
    public var response: [Int]
    /// Whether the response ends in an end-of-episode token (its last state is then terminal),
    /// decided by the same special-token rules as scoring.
    public var endsWithEOS: Bool
    public init(prompt: [Int], response: [Int], endsWithEOS: Bool) {
        self.prompt = prompt
        self.response = response
        self.endsWithEOS = endsWithEOS
    }
    public var length: Int { prompt.count + response.count }
}

/// The loss terms of one example or a batch, summed over response tokens.
public struct LossSums: Sendable, Equatable {
    /// Σ −log π(x_j|s_{j−1})
    public var mle: Double = 0
    /// Σ (r_j/α)²
    public var td: Double = 0
    public var tokens: Int = 0
    public init(mle: Double = 0, td: Double = 0, tokens: Int = 0) {
        self.mle = mle
        self.td = td
        self.tokens = tokens
    }
    public static func += (a: inout LossSums, b: LossSums) {
        a.mle += b.mle
        a.td += b.td
        a.tokens += b.tokens
    }
    /// mean_j [ −log π + λ·(r_j/α)² ] = (Σ mle + λ Σ td) / Σ tokens
    public func loss(tdWeight: Double) -> Double { (mle + tdWeight * td) / Double(max(tokens, 1)) }
}

extension GPT2TrainingModel {
    /// Forward over prompt + response, the objective of SoftQRewards on the response tokens
    /// (the one implementation of r shared with extraction), and — when `lossScale` is given —
    /// the backward of `lossScale · (mleSum + λ·tdSum)`, added into `grads`.
    ///
    /// Rows read: ℓ_{p−1+k} for k = 0…m (the last row gives V of the final state).
    /// ∂/∂ℓ_i[v] = dLogsumexp_i · softmax(ℓ_i)[v] + dTokenLogits_i · [v = x_{i+1}].
    @discardableResult
    public func evaluate(_ example: TrainingExample, options: RewardOptions, tdWeight: Double,
                         backwardScale lossScale: Double?) throws -> LossSums {
        let p = example.prompt.count, m = example.response.count
        precondition(p >= 1 && m >= 1, "an example needs a prompt token (the first state) and a response token")
        let tokens = example.prompt + example.response
        forward(tokens: tokens, firstLogitRow: p - 1)
        let V = config.vocabSize
        // Double carries Float exactly and Double without loss, so the float64 model's gradient
        // checks see the objective at full precision.
        var tokenLogits = [Double](repeating: 0, count: m)
        var logsumexp = [Double](repeating: 0, count: m + 1)
        for k in 0...m {
            logsumexp[k] = Double(lse[k])
            if k < m { tokenLogits[k] = Double(logits[k * V + example.response[k]]) }
        }
        let terms = try iqlearnObjective(tokenLogits: tokenLogits, logsumexp: logsumexp,
                                         endsWithEOS: example.endsWithEOS,
                                         options: options, tdWeight: tdWeight)
        if let lossScale {
            // dlogits overwrites the probabilities in place: they are not needed afterwards.
            let d = probs.pointer
            for k in 0...m {
                let row = d + k * V
                let a = T(terms.dLogsumexp[k] * lossScale)
                for v in 0..<V { row[v] *= a }
                if k < m { row[example.response[k]] += T(terms.dTokenLogits[k] * lossScale) }
            }
            backward(dlogits: d)
        }
        return LossSums(mle: terms.mleSum, td: terms.tdSum, tokens: terms.tokens)
    }
}
