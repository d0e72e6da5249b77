import SoftQBase
import SoftQEvaluation

/// One checkpoint's scores on a shared set of pairs, in the same pair order for every checkpoint.
public struct CheckpointScores: Sendable {
    public var name: String
    /// One margin per pair.
    public var margins: [Double]
    /// Per-token rewards of every scored response, concatenated in a fixed response order
    /// (pair 0 chosen, pair 0 rejected, pair 1 chosen, …). Checkpoints sharing a tokenizer
    /// have the same tokens, so these line up token for token.
    public var tokenRewards: [Double]

    public init(name: String, margins: [Double], tokenRewards: [Double]) {
        self.name = name
        self.margins = margins
        self.tokenRewards = tokenRewards
    }
}

/// A correlation value with its interval and sample size.
public struct CorrelationValue: Sendable {
    public var value: Double
    public var ci: ConfidenceInterval?
    public var n: Int

    public var json: JSONValue {
        .object([("value", AnalysisJSON.number(value)), ("ci95", AnalysisJSON.interval(ci)), ("n", .int(n))])
    }
}

/// How two checkpoints agree on the same pairs.
public struct StabilityComparison: Sendable {
    public var first: String
    public var second: String
    public var marginSpearman: CorrelationValue
    public var marginKendall: CorrelationValue
    /// Per-token correlations are computed on at most `maxTokens` tokens (a seeded sample, the
    /// same tokens for both checkpoints) and carry no interval: Kendall is quadratic in n.
    public var tokenSpearman: CorrelationValue
    public var tokenKendall: CorrelationValue
    /// Fraction of pairs on which both checkpoints make the same decision (correct or not).
    public var decisionAgreement: Double
    /// Fraction of pairs both get right.
    public var bothCorrect: Double
    /// Cohen's κ of the two decision sequences (NaN when both are constant and equal).
    public var kappa: Double

    public var row: [JSONValue] {
        [.string(first), .string(second),
         AnalysisJSON.number(marginSpearman.value), AnalysisJSON.interval(marginSpearman.ci),
         AnalysisJSON.number(marginKendall.value), AnalysisJSON.interval(marginKendall.ci),
         AnalysisJSON.number(tokenSpearman.value), AnalysisJSON.number(tokenKendall.value), .int(tokenSpearman.n),
         AnalysisJSON.number(decisionAgreement), AnalysisJSON.number(bothCorrect), AnalysisJSON.number(kappa)]
    }

    public static let columns = ["first", "second", "margin_spearman", "margin_spearman_ci95", "margin_kendall",
                                 "margin_kendall_ci95", "token_spearman", "token_kendall", "tokens_used",
                                 "decision_agreement", "both_correct", "kappa"]

    public var json: JSONValue {
        .object(Array(zip(Self.columns, row)))
    }
}

/// Every unordered pair of checkpoints (in input order), compared on margins, per-token
/// rewards and decisions.
public func stability(_ checkpoints: [CheckpointScores], maxTokens: Int = 4000, seed: UInt64,
                      resamples: Int = 1000) throws -> [StabilityComparison] {
    guard checkpoints.count >= 2 else {
        throw AnalysisError.notEnoughData(what: "stability across checkpoints", needed: 2, actual: checkpoints.count)
    }
    let n = checkpoints[0].margins.count, t = checkpoints[0].tokenRewards.count
    for c in checkpoints {
        guard c.margins.count == n else { throw AnalysisError.lengthMismatch(what: "margins of \(c.name)", expected: n, actual: c.margins.count) }
        guard c.tokenRewards.count == t else {
            throw AnalysisError.lengthMismatch(what: "per-token rewards of \(c.name) (checkpoints must share the tokenizer)", expected: t, actual: c.tokenRewards.count)
        }
    }
    guard n >= 2 else { throw AnalysisError.notEnoughData(what: "stability across checkpoints (pairs)", needed: 2, actual: n) }

    // One token sample for every comparison, so the rows are comparable.
    var tokenIndex = Array(0..<t)
    if t > maxTokens {
        var rng = SeededGenerator(seed: subSeed(seed, 1))
        for i in 0..<maxTokens { tokenIndex.swapAt(i, i + rng.nextInt(below: t - i)) }
        tokenIndex = Array(tokenIndex[0..<maxTokens]).sorted()
    }

    var out: [StabilityComparison] = []
    for i in 0..<checkpoints.count {
        for j in (i + 1)..<checkpoints.count {
            let a = checkpoints[i], b = checkpoints[j]
            let s = subSeed(seed, 2, UInt64(i), UInt64(j))
            let ta = tokenIndex.map { a.tokenRewards[$0] }, tb = tokenIndex.map { b.tokenRewards[$0] }
            let da = a.margins.map { $0 > 0 }, db = b.margins.map { $0 > 0 }
            let agree = Double(zip(da, db).filter { $0 == $1 }.count) / Double(n)
            let both = Double(zip(da, db).filter { $0 && $1 }.count) / Double(n)
            let pa = Double(da.filter { $0 }.count) / Double(n), pb = Double(db.filter { $0 }.count) / Double(n)
            let chance = pa * pb + (1 - pa) * (1 - pb)
            out.append(StabilityComparison(
                first: a.name, second: b.name,
                marginSpearman: CorrelationValue(value: Stats.spearman(a.margins, b.margins),
                                                 ci: Stats.correlationCI(.spearman, a.margins, b.margins, seed: subSeed(s, 0), resamples: resamples), n: n),
                marginKendall: CorrelationValue(value: Stats.kendall(a.margins, b.margins),
                                                ci: Stats.correlationCI(.kendall, a.margins, b.margins, seed: subSeed(s, 1), resamples: resamples), n: n),
                tokenSpearman: CorrelationValue(value: Stats.spearman(ta, tb), ci: nil, n: ta.count),
                tokenKendall: CorrelationValue(value: Stats.kendall(ta, tb), ci: nil, n: ta.count),
                decisionAgreement: agree, bothCorrect: both,
                kappa: chance < 1 ? (agree - chance) / (1 - chance) : .nan))
        }
    }
    return out
}
