import SoftQBase
import SoftQEvaluation

/// A perturbation type with the strengths to run it at.
public struct PerturbationSelection: Sendable {
    public var perturbation: any Perturbation
    public var strengths: [Double]

    public init(perturbation: any Perturbation, strengths: [Double]? = nil) {
        self.perturbation = perturbation
        self.strengths = strengths ?? perturbation.defaultStrengths
    }

    /// Parses `--perturbations` entries: `name` (default strengths) or `name=0.1,0.5`.
    /// An empty list selects every registered type at its default strengths.
    public static func parse(_ specs: [String]) throws -> [PerturbationSelection] {
        if specs.isEmpty { return PerturbationRegistry.all.map { PerturbationSelection(perturbation: $0) } }
        var seen = Set<String>()
        return try specs.map { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let p = try PerturbationRegistry.named(parts[0])
            guard seen.insert(p.name).inserted else {
                throw AnalysisError.invalidValue(name: "perturbation \(p.name)", value: .nan,
                                                 rule: "selected twice; give all its strengths once, as \(p.name)=S1,S2")
            }
            guard parts.count == 2 else { return PerturbationSelection(perturbation: p) }
            let strengths = try parts[1].split(separator: ",").map { s -> Double in
                guard let v = Double(s), v > 0, v <= 1 else {
                    throw AnalysisError.invalidValue(name: "strength of \(parts[0])", value: Double(s) ?? .nan,
                                                     rule: "each strength must be a number in (0, 1]")
                }
                return v
            }
            guard !strengths.isEmpty else {
                throw AnalysisError.invalidValue(name: "strengths of \(parts[0])", value: .nan, rule: "give at least one strength after '='")
            }
            return PerturbationSelection(perturbation: p, strengths: strengths.sorted())
        }
    }
}

/// One perturbed copy of one pair's chosen response, ready to score.
public struct PlannedPerturbation: Sendable {
    public var pairIndex: Int
    public var type: String
    public var strength: Double
    public var perturbed: ResponseInput
}

/// 64-bit FNV-1a of a string: a stable stream id (Swift's `hashValue` changes per process).
func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// A seed for an independent sub-stream, derived from `seed` along a path of stream ids.
func subSeed(_ seed: UInt64, _ path: UInt64...) -> UInt64 {
    var g = SeededGenerator(seed: seed)
    for p in path { g = g.derived(p) }
    return g.next()
}

/// The random stream of one (pair, type, strength): independent of which other types,
/// strengths or pairs are selected, so adding a type never changes another type's copies.
public func perturbationStream(seed: UInt64, pairIndex: Int, type: String, strength: Double) -> SeededGenerator {
    SeededGenerator(seed: seed).derived(UInt64(pairIndex)).derived(stableHash(type)).derived(strength.bitPattern)
}

/// Generates every perturbed copy, in pair order, then selection order, then strength order.
/// Copies that do not apply are returned as counts per (type, strength) in `skipped`.
public func planPerturbations(chosen: [ResponseInput], contexts: [PerturbationContext],
                              selections: [PerturbationSelection], seed: UInt64, firstIndex: Int = 0)
    throws -> (planned: [PlannedPerturbation], skipped: [String: [Double: Int]]) {
    guard chosen.count == contexts.count else {
        throw AnalysisError.lengthMismatch(what: "perturbation contexts", expected: chosen.count, actual: contexts.count)
    }
    var planned: [PlannedPerturbation] = []
    var skipped: [String: [Double: Int]] = [:]
    for (i, input) in chosen.enumerated() {
        for sel in selections {
            let name = sel.perturbation.name
            for s in sel.strengths {
                var rng = perturbationStream(seed: seed, pairIndex: firstIndex + i, type: name, strength: s)
                if let out = sel.perturbation.apply(to: input, strength: s, context: contexts[i], rng: &rng), out != input {
                    planned.append(PlannedPerturbation(pairIndex: firstIndex + i, type: name, strength: s, perturbed: out))
                } else {
                    skipped[name, default: [:]][s, default: 0] += 1
                }
            }
        }
    }
    return (planned, skipped)
}

/// The reward of the original response and of one perturbed copy (same aggregate).
public struct PerturbationOutcome: Sendable, Equatable {
    public var pairIndex: Int
    public var type: String
    public var strength: Double
    public var original: Double
    public var perturbed: Double

    public init(pairIndex: Int, type: String, strength: Double, original: Double, perturbed: Double) {
        self.pairIndex = pairIndex
        self.type = type
        self.strength = strength
        self.original = original
        self.perturbed = perturbed
    }

    /// original − perturbed: positive when the reward prefers the unperturbed response.
    public var drop: Double { original - perturbed }
}

/// Win rate and reward drop of one group of outcomes (a type at one strength, or pooled).
public struct RobustnessStats: Sendable, Equatable {
    public var n: Int
    public var wins: Int
    public var ties: Int
    /// wins / n (a tie is not a win, as a tied pair is not correct).
    public var winRate: Double
    public var winRateCI: ConfidenceInterval?
    public var meanDrop: Double
    public var meanDropCI: ConfidenceInterval?
    public var medianDrop: Double

    public static func == (a: RobustnessStats, b: RobustnessStats) -> Bool {
        a.n == b.n && a.wins == b.wins && a.ties == b.ties && a.winRate == b.winRate
            && a.meanDrop == b.meanDrop && a.medianDrop == b.medianDrop
            && a.winRateCI == b.winRateCI && a.meanDropCI == b.meanDropCI
    }

    /// `clusters[k]` names the pair outcome k came from (nil: every outcome its own cluster).
    /// The intervals resample whole clusters, so copies of one pair at several strengths
    /// (which are not independent) move together, as a pair bootstrap should.
    public init(drops: [Double], clusters: [Int]? = nil, seed: UInt64, resamples: Int) {
        n = drops.count
        wins = drops.filter { $0 > 0 }.count
        ties = drops.filter { $0 == 0 }.count
        let won = drops.map { $0 > 0 ? 1.0 : 0.0 }
        winRate = n > 0 ? Double(wins) / Double(n) : .nan
        meanDrop = Stats.mean(drops)
        medianDrop = Stats.median(drops)
        guard let clusters else {
            winRateCI = Stats.meanCI(won, seed: seed, resamples: resamples)
            meanDropCI = Stats.meanCI(drops, seed: seed &+ 1, resamples: resamples)
            return
        }
        var members: [Int: [Int]] = [:]
        var order: [Int] = []
        for (k, c) in clusters.enumerated() {
            if members[c] == nil { order.append(c) }
            members[c, default: []].append(k)
        }
        let groups = order.map { members[$0]! }
        func clusterMean(_ x: [Double]) -> ([Int]) -> Double {
            { idx in
                var s = 0.0, m = 0
                for g in idx { for k in groups[g] { s += x[k]; m += 1 } }
                return s / Double(m)
            }
        }
        winRateCI = Stats.bootstrapCI(n: groups.count, seed: seed, resamples: resamples, clusterMean(won))
        meanDropCI = Stats.bootstrapCI(n: groups.count, seed: seed &+ 1, resamples: resamples, clusterMean(drops))
    }
}

/// One row per (type, strength) and one pooled row per type, with the dependence on size.
public struct RobustnessSummary: Sendable {
    public struct Row: Sendable {
        public var type: String
        public var strength: Double
        public var skipped: Int
        public var stats: RobustnessStats
    }
    public struct TypeRow: Sendable {
        public var type: String
        public var skipped: Int
        public var stats: RobustnessStats
        /// Spearman correlation of strength and reward drop over this type's outcomes: how the
        /// drop grows with the perturbation's size (nil with one strength or constant drops).
        public var strengthDropSpearman: Double?
        /// Least-squares slope of the reward drop on the strength.
        public var strengthDropSlope: Double?
    }
    public var rows: [Row]
    public var byType: [TypeRow]
}

/// Groups outcomes by type (in `typeOrder`) and strength (ascending). Each group's bootstrap
/// draws from its own stream derived from `seed`, so groups do not depend on each other.
public func summarizeRobustness(_ outcomes: [PerturbationOutcome], typeOrder: [String],
                                skipped: [String: [Double: Int]] = [:], seed: UInt64,
                                resamples: Int = 1000) -> RobustnessSummary {
    var rows: [RobustnessSummary.Row] = []
    var byType: [RobustnessSummary.TypeRow] = []
    for type in typeOrder {
        let mine = outcomes.filter { $0.type == type }
        var strengthSet = Set(mine.map(\.strength))
        for s in (skipped[type] ?? [:]).keys { strengthSet.insert(s) }
        let strengths = strengthSet.sorted()
        for s in strengths {
            let group = mine.filter { $0.strength == s }
            let stream = subSeed(seed, stableHash(type), s.bitPattern)
            rows.append(.init(type: type, strength: s, skipped: skipped[type]?[s] ?? 0,
                              stats: RobustnessStats(drops: group.map(\.drop), seed: stream, resamples: resamples)))
        }
        let stream = subSeed(seed, stableHash(type))
        let x = mine.map(\.strength), y = mine.map(\.drop)
        let rho = Stats.spearman(x, y)
        var slope: Double? = nil
        let mx = Stats.mean(x), my = Stats.mean(y)
        var sxx = 0.0, sxy = 0.0
        for i in 0..<x.count { sxx += (x[i] - mx) * (x[i] - mx); sxy += (x[i] - mx) * (y[i] - my) }
        if sxx > 0 { slope = sxy / sxx }
        byType.append(.init(type: type, skipped: skipped[type]?.values.reduce(0, +) ?? 0,
                            stats: RobustnessStats(drops: y, clusters: mine.map(\.pairIndex), seed: stream, resamples: resamples),
                            strengthDropSpearman: rho.isFinite ? rho : nil, strengthDropSlope: slope))
    }
    return RobustnessSummary(rows: rows, byType: byType)
}
