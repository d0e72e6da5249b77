import SoftQBase

/// One scored preference pair as evaluations see it: its margin R(chosen) − R(rejected)
/// under the chosen aggregate, and its subset (nil when the input had none).
public struct PairOutcome: Equatable, Sendable {
    public var margin: Double
    public var subset: String?

    public init(margin: Double, subset: String? = nil) {
        self.margin = margin
        self.subset = subset
    }

    /// Correct iff margin > 0 (strict, as RewardBench and TRL); a tie (margin == 0) is not correct.
    public var correct: Bool { margin > 0 }
    public var tie: Bool { margin == 0 }
}

/// Accuracy of one subset: correct / count, ties counted as not correct.
public struct SubsetAccuracy: Equatable, Sendable {
    public var subset: String
    public var count: Int
    public var correct: Int
    public var ties: Int
    public var accuracy: Double { Double(correct) / Double(count) }

    public var json: JSONValue {
        .object([("n", .int(count)), ("accuracy", jsonNumber(accuracy)), ("correct", .int(correct)), ("ties", .int(ties))])
    }
}

/// Fraction of pairs with margin > 0.
public func accuracy(margins: [Double]) throws -> Double {
    try requireFinite(margins, "margins")
    return Double(margins.filter { $0 > 0 }.count) / Double(margins.count)
}

/// Per-subset accuracy, sorted by subset name (Swift `String` order: by Unicode scalar values
/// for the ASCII names datasets use). Pairs without a subset are left out.
public func subsetAccuracies(_ pairs: [PairOutcome]) -> [SubsetAccuracy] {
    var table: [String: SubsetAccuracy] = [:]
    for p in pairs {
        guard let s = p.subset else { continue }
        var entry = table[s] ?? SubsetAccuracy(subset: s, count: 0, correct: 0, ties: 0)
        entry.count += 1
        if p.correct { entry.correct += 1 }
        if p.tie { entry.ties += 1 }
        table[s] = entry
    }
    return table.values.sorted { $0.subset < $1.subset }
}

/// Everything summary.json reports about a set of scored pairs.
public struct PairEvaluation: Equatable, Sendable {
    public var count: Int
    public var correct: Int
    public var ties: Int
    public var accuracy: Double
    /// Percentile bootstrap of the accuracy over pairs (see `ConfidenceInterval`).
    public var accuracyInterval: ConfidenceInterval
    public var margins: MarginStatistics
    public var subsets: [SubsetAccuracy]
    public var rewardBench: RewardBenchScores?
    public var calibration: Calibration

    /// Evaluates pairs in input order. Throws for no pairs, a non-finite margin or bad options.
    public init(pairs: [PairOutcome], bootstrap: BootstrapOptions = BootstrapOptions()) throws {
        let margins = pairs.map(\.margin)
        try requireFinite(margins, "margins")
        count = pairs.count
        correct = pairs.filter(\.correct).count
        ties = pairs.filter(\.tie).count
        accuracy = Double(correct) / Double(count)
        let hits = pairs.map { $0.correct ? 1 : 0 }
        accuracyInterval = try bootstrapInterval(count: count, options: bootstrap) { idx in
            Double(idx.reduce(0) { $0 + hits[$1] }) / Double(idx.count)
        }
        self.margins = try MarginStatistics(margins: margins)
        subsets = subsetAccuracies(pairs)
        rewardBench = RewardBenchScores(subsets: subsets)
        calibration = try Calibration(margins: margins)
    }

    /// Stable key order: n_pairs, accuracy, accuracy_ci95, correct, ties, margin, subsets,
    /// rewardbench (only when a subset is RewardBench's), calibration.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("n_pairs", .int(count)),
            ("accuracy", jsonNumber(accuracy)),
            ("accuracy_ci95", accuracyInterval.json),
            ("correct", .int(correct)),
            ("ties", .int(ties)),
            ("margin", margins.json),
            ("subsets", .object(subsets.map { ($0.subset, $0.json) })),
        ]
        if let rewardBench { fields.append(("rewardbench", rewardBench.json)) }
        fields.append(("calibration", calibration.json))
        return .object(fields)
    }
}
