import SoftQBase
import SoftQEvaluation

/// Agreement of the pairs in one group (a length bucket, the length-matched pairs, …).
public struct GroupAccuracy: Sendable {
    public var label: String
    public var n: Int
    public var correct: Int
    public var ties: Int
    /// correct / n (NaN when the group is empty).
    public var accuracy: Double
    public var ci: ConfidenceInterval?

    init(label: String, margins: [Double], seed: UInt64, resamples: Int) {
        self.label = label
        n = margins.count
        correct = margins.filter { $0 > 0 }.count
        ties = margins.filter { $0 == 0 }.count
        accuracy = n > 0 ? Double(correct) / Double(n) : .nan
        ci = Stats.meanCI(margins.map { $0 > 0 ? 1 : 0 }, seed: seed, resamples: resamples)
    }

    public var json: JSONValue {
        .object([("label", .string(label)), ("n", .int(n)), ("correct", .int(correct)), ("ties", .int(ties)),
                 ("accuracy", AnalysisJSON.number(accuracy)), ("accuracy_ci95", AnalysisJSON.interval(ci))])
    }
}

/// How much one aggregate's decisions follow response length.
public struct LengthBiasResult: Sendable {
    public var aggregate: String
    /// Spearman correlation (average ranks for ties) of reward and length over every response
    /// (chosen and rejected pooled), with a seeded bootstrap CI.
    public var rewardLengthSpearman: Double
    public var rewardLengthSpearmanCI: ConfidenceInterval?
    /// Spearman correlation of the margin and the length difference (chosen − rejected).
    public var marginLengthDiffSpearman: Double
    /// Accuracy when the chosen response is shorter, of equal length, longer (RewardBench-style).
    public var buckets: [GroupAccuracy]
    /// Accuracy over pairs whose lengths differ by at most `matchTolerance` · max(lengths).
    public var matched: GroupAccuracy
    public var matchTolerance: Double
    /// Mean of the "chosen shorter" and "chosen longer" accuracies: a length preference helps
    /// one bucket exactly as much as it hurts the other (NaN if either bucket is empty).
    public var balancedAccuracy: Double

    public var json: JSONValue {
        .object([
            ("aggregate", .string(aggregate)),
            ("spearman_reward_length", AnalysisJSON.number(rewardLengthSpearman)),
            ("spearman_reward_length_ci95", AnalysisJSON.interval(rewardLengthSpearmanCI)),
            ("spearman_margin_length_difference", AnalysisJSON.number(marginLengthDiffSpearman)),
            ("buckets", .array(buckets.map(\.json))),
            ("length_matched", matched.json),
            ("length_match_tolerance", .double(matchTolerance)),
            ("balanced_accuracy", AnalysisJSON.number(balancedAccuracy)),
        ])
    }
}

/// Length bias of one aggregate. Lengths are response token counts, as scored.
public func lengthBias(aggregate: String, chosen: [Double], rejected: [Double],
                       chosenLengths: [Int], rejectedLengths: [Int], matchTolerance: Double = 0.1,
                       seed: UInt64, resamples: Int = 1000) throws -> LengthBiasResult {
    let n = chosen.count
    for (what, c) in [("rejected rewards", rejected.count), ("chosen lengths", chosenLengths.count),
                      ("rejected lengths", rejectedLengths.count)] where c != n {
        throw AnalysisError.lengthMismatch(what: what, expected: n, actual: c)
    }
    guard n >= 2 else { throw AnalysisError.notEnoughData(what: "length bias", needed: 2, actual: n) }
    guard matchTolerance >= 0, matchTolerance.isFinite else {
        throw AnalysisError.invalidValue(name: "length match tolerance", value: matchTolerance, rule: "must be ≥ 0")
    }
    let rewards = chosen + rejected
    let lengths = (chosenLengths + rejectedLengths).map(Double.init)
    let margins = zip(chosen, rejected).map { $0 - $1 }
    let diffs = zip(chosenLengths, rejectedLengths).map { Double($0 - $1) }
    let s = subSeed(seed, stableHash(aggregate))

    var buckets: [GroupAccuracy] = []
    let defs: [(String, (Double) -> Bool)] = [("chosen shorter", { $0 < 0 }), ("same length", { $0 == 0 }), ("chosen longer", { $0 > 0 })]
    for (k, (label, test)) in defs.enumerated() {
        let m = margins.indices.filter { test(diffs[$0]) }.map { margins[$0] }
        buckets.append(GroupAccuracy(label: label, margins: m, seed: subSeed(s, UInt64(k)), resamples: resamples))
    }
    let matchedMargins = margins.indices.filter {
        abs(diffs[$0]) <= matchTolerance * Double(max(chosenLengths[$0], rejectedLengths[$0]))
    }.map { margins[$0] }
    let matched = GroupAccuracy(label: "length matched", margins: matchedMargins, seed: subSeed(s, 3), resamples: resamples)
    let balanced = buckets[0].n > 0 && buckets[2].n > 0 ? (buckets[0].accuracy + buckets[2].accuracy) / 2 : .nan

    return LengthBiasResult(
        aggregate: aggregate,
        rewardLengthSpearman: Stats.spearman(rewards, lengths),
        rewardLengthSpearmanCI: Stats.correlationCI(.spearman, rewards, lengths, seed: subSeed(s, 4), resamples: resamples),
        marginLengthDiffSpearman: Stats.spearman(margins, diffs),
        buckets: buckets, matched: matched, matchTolerance: matchTolerance, balancedAccuracy: balanced)
}
