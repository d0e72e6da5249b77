import Foundation

// The reward math of docs/spec/conventions.md on plain arrays. For a response x_p … x_{n−1}
// (m = n − p ≥ 1) the forward pass supplies, per position:
//   tokenLogits[k] = ℓ_{p−1+k}[x_{p+k}]        k = 0..<m   (logit of the taken token)
//   logsumexp[k]   = logsumexp(ℓ_{p−1+k})      k = 0...m   (positions p−1 … n−1)
// Everything is computed in Double; Float inputs convert exactly.

/// Scores one response from the taken-token logits and the per-position log-sum-exps.
///
/// `endsWithEOS` says whether the last response token is the EOS id; with `options.terminal`
/// it decides whether the last state is terminal. `referenceLogprobs` (m values, the
/// reference model's log π_ref of the same tokens) fills `aggregates.dpo` with β·Σ(log π − log π_ref).
/// Throws `RewardError` for an empty response, wrong lengths, non-finite values or bad options.
public func scoreResponse(tokenLogits: [Float], logsumexp: [Float], endsWithEOS: Bool,
                          options: RewardOptions = RewardOptions(),
                          referenceLogprobs: [Double]? = nil) throws -> ResponseScores {
    try scoreResponse(tokenLogits: tokenLogits.map(Double.init), logsumexp: logsumexp.map(Double.init),
                      endsWithEOS: endsWithEOS, options: options, referenceLogprobs: referenceLogprobs)
}

/// The Double twin of `scoreResponse(tokenLogits:logsumexp:…)` (same contract).
public func scoreResponse(tokenLogits: [Double], logsumexp: [Double], endsWithEOS: Bool,
                          options: RewardOptions = RewardOptions(),
                          referenceLogprobs: [Double]? = nil) throws -> ResponseScores {
    try options.validate()
    try checkResponseArrays(tokenLogits: tokenLogits, logsumexp: logsumexp)
    let m = tokenLogits.count
    let alpha = options.alpha, gamma = options.gamma
    let terminal = options.terminal.isTerminal(endsWithEOS: endsWithEOS)

    var logprob = [Double](repeating: 0, count: m)
    var q = logprob, valueBefore = logprob, valueAfter = logprob, reward = logprob
    for k in 0..<m {
        logprob[k] = tokenLogits[k] - logsumexp[k]
        q[k] = try scaled(alpha, tokenLogits[k], "tokenLogits", k)
        valueBefore[k] = try scaled(alpha, logsumexp[k], "logsumexp", k)
        valueAfter[k] = (k == m - 1 && terminal) ? 0 : try scaled(alpha, logsumexp[k + 1], "logsumexp", k + 1)
        reward[k] = q[k] - gamma * valueAfter[k]
        guard reward[k].isFinite else { throw RewardError.scaledOutOfRange(what: "reward", index: k, value: reward[k] / alpha, alpha: alpha) }
    }

    var sum = 0.0, discounted = 0.0, lpSum = 0.0, lpSquares = 0.0, weight = 1.0
    for k in 0..<m {
        sum += reward[k]
        discounted += weight * reward[k]
        weight *= gamma
        lpSum += logprob[k]
        lpSquares += logprob[k] * logprob[k]
    }
    guard sum.isFinite, discounted.isFinite else {
        throw RewardError.scaledOutOfRange(what: "reward sum", index: 0, value: sum / alpha, alpha: alpha)
    }
    var aggregates = Aggregates(sum: sum, mean: sum / Double(m), discounted: discounted,
                                logprobSum: lpSum, logprobMean: lpSum / Double(m),
                                logprobNorm: -lpSquares.squareRoot())
    if let referenceLogprobs {
        aggregates.dpo = try dpoReward(logprobs: logprob, referenceLogprobs: referenceLogprobs, beta: options.beta)
    }
    return ResponseScores(logprob: logprob, q: q, valueBefore: valueBefore, valueAfter: valueAfter,
                          reward: reward, promptValue: valueBefore[0], terminal: terminal,
                          aggregates: aggregates)
}

/// α·x for a logit or log-sum-exp x. The rule: a nonzero x must give a normal, finite α·x —
/// a subnormal or zero product has lost the value's bits (margins silently become ties), an
/// infinite one has lost everything. x = 0 gives 0 exactly and is fine.
func scaled(_ alpha: Double, _ x: Double, _ what: String, _ index: Int) throws -> Double {
    let product = alpha * x
    guard x == 0 || (product.isFinite && abs(product) >= Double.leastNormalMagnitude) else {
        throw RewardError.scaledOutOfRange(what: what, index: index, value: x, alpha: alpha)
    }
    return product
}

/// log π(x_j|s_{j−1}) = tokenLogits[k] − logsumexp[k] for k = 0..<m (`logsumexp` has m+1 values,
/// the last is unused). This is what a reference model contributes to the DPO reward.
public func responseLogprobs(tokenLogits: [Float], logsumexp: [Float]) throws -> [Double] {
    let t = tokenLogits.map(Double.init), l = logsumexp.map(Double.init)
    try checkResponseArrays(tokenLogits: t, logsumexp: l)
    return (0..<t.count).map { t[$0] - l[$0] }
}

/// The DPO reward β·Σ_j (log π(x_j|s_{j−1}) − log π_ref(x_j|s_{j−1})), summed in token order.
public func dpoReward(logprobs: [Double], referenceLogprobs: [Double], beta: Double) throws -> Double {
    guard beta.isFinite else { throw RewardError.invalidOption(name: "beta", value: beta, rule: "must be finite") }
    guard !logprobs.isEmpty else { throw RewardError.emptyResponse }
    guard referenceLogprobs.count == logprobs.count else {
        throw RewardError.lengthMismatch(what: "referenceLogprobs", expected: logprobs.count, actual: referenceLogprobs.count)
    }
    try checkFinite(logprobs, "logprobs")
    try checkFinite(referenceLogprobs, "referenceLogprobs")
    var total = 0.0
    for k in 0..<logprobs.count { total += logprobs[k] - referenceLogprobs[k] }
    return beta * total
}

/// Scores a response from full logits rows, for tests and hand-made numbers.
///
/// `logits` is row-major `[n × vocabularySize]` (row i = ℓ_i), `tokenIDs` the n tokens of prompt
/// and response, `promptLength` = p (1 ≤ p < n). The response ends with EOS iff its last id is
/// `eosID`. Each row's logsumexp is max-shifted in Double; −inf entries (masked tokens) are
/// fine, a row with no finite entry, NaN or +inf is an error.
public func scoreResponse(logits: [Float], vocabularySize: Int, tokenIDs: [Int], promptLength: Int,
                          eosID: Int?, options: RewardOptions = RewardOptions()) throws -> ResponseScores {
    let (t, l) = try gatherResponseInputs(logits: logits, vocabularySize: vocabularySize,
                                          tokenIDs: tokenIDs, promptLength: promptLength)
    let endsWithEOS = eosID.map { $0 == tokenIDs[tokenIDs.count - 1] } ?? false
    return try scoreResponse(tokenLogits: t, logsumexp: l, endsWithEOS: endsWithEOS, options: options)
}

/// The taken-token logits (m) and per-position logsumexps (m+1) of a response, from full rows.
public func gatherResponseInputs(logits: [Float], vocabularySize: Int, tokenIDs: [Int],
                                 promptLength: Int) throws -> (tokenLogits: [Double], logsumexp: [Double]) {
    let n = tokenIDs.count
    guard vocabularySize > 0 else {
        throw RewardError.outOfRange(what: "vocabularySize", index: 0, value: vocabularySize, range: "1...")
    }
    guard logits.count == n * vocabularySize else {
        throw RewardError.lengthMismatch(what: "logits (n × vocabularySize)", expected: n * vocabularySize, actual: logits.count)
    }
    guard promptLength >= 1 else {
        throw RewardError.outOfRange(what: "promptLength", index: 0, value: promptLength, range: "1..<\(n) (the prompt needs a token whose logits score the first response token)")
    }
    guard promptLength < n else { throw RewardError.emptyResponse }
    for (i, id) in tokenIDs.enumerated() where id < 0 || id >= vocabularySize {
        throw RewardError.outOfRange(what: "tokenIDs", index: i, value: id, range: "0..<\(vocabularySize)")
    }
    let m = n - promptLength
    var lse = [Double](repeating: 0, count: m + 1)
    var taken = [Double](repeating: 0, count: m)
    for k in 0...m {
        let row = promptLength - 1 + k
        lse[k] = try rowLogSumExp(logits, offset: row * vocabularySize, count: vocabularySize, row: row)
        if k < m { taken[k] = Double(logits[row * vocabularySize + tokenIDs[row + 1]]) }
    }
    return (taken, lse)
}

/// logsumexp of one row in Double: max-shifted, −inf entries contribute 0.
func rowLogSumExp(_ x: [Float], offset: Int, count: Int, row: Int) throws -> Double {
    var top = -Double.infinity
    for i in offset..<(offset + count) {
        let v = Double(x[i])
        if v.isNaN || v == .infinity { throw RewardError.nonFinite(what: "logits row \(row)", index: i - offset, value: v) }
        top = max(top, v)
    }
    guard top.isFinite else {
        throw RewardError.nonFinite(what: "logsumexp of logits row \(row) (every entry is -inf)", index: 0, value: top)
    }
    var s = 0.0
    for i in offset..<(offset + count) { s += exp(Double(x[i]) - top) }
    return top + log(s)
}

func checkResponseArrays(tokenLogits: [Double], logsumexp: [Double]) throws {
    guard !tokenLogits.isEmpty else { throw RewardError.emptyResponse }
    guard logsumexp.count == tokenLogits.count + 1 else {
        throw RewardError.lengthMismatch(what: "logsumexp (m + 1 positions p−1 … n−1)",
                                         expected: tokenLogits.count + 1, actual: logsumexp.count)
    }
    try checkFinite(tokenLogits, "tokenLogits")
    try checkFinite(logsumexp, "logsumexp")
}

func checkFinite(_ x: [Double], _ what: String) throws {
    for (i, v) in x.enumerated() where !v.isFinite { throw RewardError.nonFinite(what: what, index: i, value: v) }
}
