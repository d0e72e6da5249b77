// The offline IQLearn objective (docs/spec/conventions.md, "Training objective"), for one response:
//   L_resp = Σ_j −log π(x_j|s_{j−1}) + λ·Σ_j (r_j/α)²
// with r_j exactly as extraction computes it, so training and extraction cannot drift apart.
//
// With u_k = r_k/α = t_k − γ·W_{k+1}, where t = tokenLogits, l = logsumexp and
// W_{k+1} = l_{k+1} except W_m = 0 for a terminal response (u does not depend on α):
//   ∂L/∂t_k = −1 + 2λ·u_k                                  k = 0..<m
//   ∂L/∂l_0 = 1
//   ∂L/∂l_k = 1 − 2λγ·u_{k−1}                              k = 1..<m
//   ∂L/∂l_m = −2λγ·u_{m−1} (0 when terminal)
// The trainer divides by the batch's token count and maps ∂/∂l_k to the logits of position
// p−1+k through softmax(ℓ_{p−1+k}), and ∂/∂t_k to the taken token's logit.

/// One response's share of the IQLearn loss and its gradients.
public struct ObjectiveTerms: Sendable {
    public var mleSum: Double        // Σ_j −log π(x_j|s_{j−1}) over this response
    public var tdSum: Double         // Σ_j (r_j/α)²
    public var tokens: Int           // m
    public var dTokenLogits: [Double] // ∂(mleSum + tdWeight·tdSum)/∂tokenLogits[k], m values
    public var dLogsumexp: [Double]   // ∂(mleSum + tdWeight·tdSum)/∂logsumexp[k], m+1 values
}

/// The summed per-response objective mleSum + tdWeight·tdSum and its exact gradients.
///
/// `tdWeight` is λ (≥ 0, finite; 0 is plain MLE). Inputs and errors as `scoreResponse`.
public func iqlearnObjective(tokenLogits: [Float], logsumexp: [Float], endsWithEOS: Bool,
                             options: RewardOptions, tdWeight: Double) throws -> ObjectiveTerms {
    try iqlearnObjective(tokenLogits: tokenLogits.map(Double.init), logsumexp: logsumexp.map(Double.init),
                         endsWithEOS: endsWithEOS, options: options, tdWeight: tdWeight)
}

/// The Double twin of `iqlearnObjective(tokenLogits:logsumexp:…)` (same contract).
public func iqlearnObjective(tokenLogits: [Double], logsumexp: [Double], endsWithEOS: Bool,
                             options: RewardOptions, tdWeight: Double) throws -> ObjectiveTerms {
    guard tdWeight.isFinite, tdWeight >= 0 else {
        throw RewardError.invalidOption(name: "tdWeight", value: tdWeight, rule: "must be finite and ≥ 0")
    }
    // Share the reward computation with extraction: r_k/α is read from the scored response.
    let scores = try scoreResponse(tokenLogits: tokenLogits, logsumexp: logsumexp,
                                   endsWithEOS: endsWithEOS, options: options)
    let m = scores.tokens, alpha = options.alpha, gamma = options.gamma
    var mleSum = 0.0, tdSum = 0.0
    var dT = [Double](repeating: 0, count: m)
    var dL = [Double](repeating: 0, count: m + 1)
    for k in 0..<m {
        let u = scores.reward[k] / alpha
        mleSum -= scores.logprob[k]
        tdSum += u * u
        dT[k] = -1 + 2 * tdWeight * u
        dL[k] += 1
        // l_{k+1} enters u_k as −γ·l_{k+1}, unless it is the terminal bootstrap (V′ = 0).
        if !(k == m - 1 && scores.terminal) { dL[k + 1] -= 2 * tdWeight * gamma * u }
    }
    return ObjectiveTerms(mleSum: mleSum, tdSum: tdSum, tokens: m, dTokenLogits: dT, dLogsumexp: dL)
}
