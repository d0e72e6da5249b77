import SoftQBase
import SoftQEvaluation

/// One scored, graded generation.
public struct GradedGeneration: Sendable {
    public var id: String
    /// The prompt it answers: generations with the same group are compared with each other.
    public var group: String
    /// The extracted sequence reward (the chosen aggregate).
    public var reward: Double
    /// The task metric given in the generations file.
    public var metric: Double
    public var logprobSum: Double
    public var logprobMean: Double
    public var tokens: Int

    public init(id: String, group: String, reward: Double, metric: Double, logprobSum: Double,
                logprobMean: Double, tokens: Int) {
        self.id = id
        self.group = group
        self.reward = reward
        self.metric = metric
        self.logprobSum = logprobSum
        self.logprobMean = logprobMean
        self.tokens = tokens
    }
}

/// One correlation of reward and metric: pooled over every generation, or within prompt.
public struct CorrelationRow: Sendable {
    /// `pooled` or `within_prompt`.
    public var scope: String
    /// `spearman`, `pearson` or `kendall`.
    public var kind: String
    public var value: Double
    public var ci: ConfidenceInterval?
    /// Generations (pooled) or prompts with a defined correlation (within prompt).
    public var n: Int
    /// Within prompt only: prompts with ≥ 2 generations whose correlation is undefined
    /// (constant reward or metric), left out of the average.
    public var undefined: Int

    public var name: String { "\(kind) (\(scope == "pooled" ? "pooled" : "within prompt"))" }

    public static let columns = ["name", "scope", "kind", "value", "ci95", "n", "undefined"]
    public var row: [JSONValue] {
        [.string(name), .string(scope), .string(kind), AnalysisJSON.number(value), AnalysisJSON.interval(ci),
         .int(n), .int(undefined)]
    }
}

/// Groups in first-appearance order, each with its generations in input order.
func groupsInOrder(_ gens: [GradedGeneration]) -> [[GradedGeneration]] {
    var order: [String] = []
    var byGroup: [String: [GradedGeneration]] = [:]
    for g in gens {
        if byGroup[g.group] == nil { order.append(g.group) }
        byGroup[g.group, default: []].append(g)
    }
    return order.map { byGroup[$0]! }
}

/// The coefficients in the order the issue and the report list them.
let correlationOrder: [Stats.Correlation] = [.spearman, .pearson, .kendall]

/// Spearman, Pearson and Kendall (tau-b) of reward and metric, pooled (bootstrap over
/// generations) and within prompt (mean over prompts with ≥ 2 generations and a defined
/// correlation; bootstrap over those prompts).
public func rewardMetricCorrelations(_ gens: [GradedGeneration], seed: UInt64,
                                     resamples: Int = 1000) throws -> [CorrelationRow] {
    guard gens.count >= 3 else { throw AnalysisError.notEnoughData(what: "reward–metric correlation", needed: 3, actual: gens.count) }
    let r = gens.map(\.reward), m = gens.map(\.metric)
    var rows: [CorrelationRow] = []
    for (k, kind) in correlationOrder.enumerated() {
        rows.append(CorrelationRow(scope: "pooled", kind: kind.rawValue, value: Stats.correlation(kind, r, m),
                                   ci: Stats.correlationCI(kind, r, m, seed: subSeed(seed, 0, UInt64(k)), resamples: resamples),
                                   n: gens.count, undefined: 0))
    }
    let groups = groupsInOrder(gens).filter { $0.count >= 2 }
    for (k, kind) in correlationOrder.enumerated() {
        let values = groups.map { g in Stats.correlation(kind, g.map(\.reward), g.map(\.metric)) }
        let defined = values.filter(\.isFinite)
        rows.append(CorrelationRow(scope: "within_prompt", kind: kind.rawValue, value: Stats.mean(defined),
                                   ci: Stats.meanCI(defined, seed: subSeed(seed, 1, UInt64(k)), resamples: resamples),
                                   n: defined.count, undefined: values.count - defined.count))
    }
    return rows
}

/// Best-of-N: the mean task metric of the generation each selector picks among N candidates.
public struct BestOfNRow: Sendable {
    public var n: Int
    public var selector: String
    public var metricMean: Double
    public var ci: ConfidenceInterval?
    public var prompts: Int

    public static let columns = ["n", "selector", "metric_mean", "ci95", "prompts"]
    public var row: [JSONValue] {
        [.int(n), .string(selector), AnalysisJSON.number(metricMean), AnalysisJSON.interval(ci), .int(prompts)]
    }
}

/// The selectors of best-of-N, in report order. `random` is the exact expectation of a
/// uniform pick (the candidates' mean metric) and `oracle` the best candidate's metric.
public let bestOfNSelectors = ["reward", "logprob_sum", "logprob_mean", "random", "oracle"]

/// For each N in `sizes` (default: 1, 2, 4, … up to the largest prompt's count), every prompt
/// with at least N generations contributes: if it has exactly N, its one candidate set; else the
/// mean over `draws` seeded random N-subsets. A selector that ties between candidates scores the
/// tied candidates' mean metric (the expectation of a random tie-break).
public func bestOfN(_ gens: [GradedGeneration], sizes: [Int]? = nil, draws: Int = 20, seed: UInt64,
                    resamples: Int = 1000) throws -> [BestOfNRow] {
    let groups = groupsInOrder(gens)
    let largest = groups.map(\.count).max() ?? 0
    guard largest >= 1 else { throw AnalysisError.notEnoughData(what: "best-of-N", needed: 1, actual: 0) }
    var ns = sizes ?? []
    if sizes == nil { var k = 1; while k < largest { ns.append(k); k *= 2 }; ns.append(largest) }
    for k in ns where k < 1 { throw AnalysisError.invalidValue(name: "best-of-N size", value: Double(k), rule: "must be ≥ 1") }

    func pick(_ c: [GradedGeneration], _ key: (GradedGeneration) -> Double) -> Double {
        let best = c.map(key).max()!
        return Stats.mean(c.filter { key($0) == best }.map(\.metric))
    }
    func score(_ c: [GradedGeneration], _ selector: String) -> Double {
        switch selector {
        case "reward": return pick(c, \.reward)
        case "logprob_sum": return pick(c, \.logprobSum)
        case "logprob_mean": return pick(c, \.logprobMean)
        case "random": return Stats.mean(c.map(\.metric))
        default: return c.map(\.metric).max()!
        }
    }

    var rows: [BestOfNRow] = []
    for n in ns {
        let eligible = groups.enumerated().filter { $0.element.count >= n }
        var perPrompt = [[Double]](repeating: [], count: bestOfNSelectors.count)
        for (gi, g) in eligible {
            let subsets: [[GradedGeneration]]
            if g.count == n { subsets = [g] } else {
                var rng = SeededGenerator(seed: subSeed(seed, UInt64(gi), UInt64(n)))
                subsets = (0..<draws).map { _ in
                    var idx = Array(0..<g.count)
                    for i in 0..<n { idx.swapAt(i, i + rng.nextInt(below: g.count - i)) }
                    return idx[0..<n].sorted().map { g[$0] }
                }
            }
            for (si, sel) in bestOfNSelectors.enumerated() {
                perPrompt[si].append(Stats.mean(subsets.map { score($0, sel) }))
            }
        }
        for (si, sel) in bestOfNSelectors.enumerated() {
            rows.append(BestOfNRow(n: n, selector: sel, metricMean: Stats.mean(perPrompt[si]),
                                   ci: Stats.meanCI(perPrompt[si], seed: subSeed(seed, 1_000_000, UInt64(n)), resamples: resamples),
                                   prompts: eligible.count))
        }
    }
    return rows
}
