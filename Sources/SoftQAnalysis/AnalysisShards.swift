import Foundation
import SoftQBase
import SoftQRewards

/// An analysis whose records can be split over `--shard K/N` runs, and whose statistics are
/// computed once over all records (docs/spec/run-directories.md, "Shards and merging").
///
/// Every run of the analysis writes its files through `analyze` and `files`; a shard instead
/// keeps its records, exactly, in `<name>_shard.bin` (with the parameters the statistics depend
/// on), and `softq merge` combines the shards' records in shard order and writes the files
/// through the same two functions, so they equal the single-process run's (time fields and
/// `provenance.shards` aside): bootstrap intervals use the same seed over the same records.
public protocol ShardableAnalysis {
    /// The records of one run or shard, as the statistics need them.
    associatedtype Part
    /// Everything besides the records that the statistics depend on.
    associatedtype Parameters
    associatedtype Results
    /// The files' stem: `<name>.json`, `<name>_<table>.{jsonl,csv}`.
    static var name: String { get }
    static func records(_ part: Part) -> Int
    /// The parts of shards 0 … N−1, in order, as one run's part.
    static func combine(_ parts: [Part]) -> Part
    static func analyze(_ part: Part, _ p: Parameters) throws -> Results
    static func files(_ results: Results, _ part: Part, _ p: Parameters, options: JSONValue, provenance: JSONValue) -> AnalysisFiles
    static func encode(_ part: Part, _ p: Parameters, into w: inout BinaryRecordWriter)
    static func decode(_ r: inout BinaryRecordReader) throws -> (Part, Parameters)
}

public enum AnalysisShardError: Error, CustomStringConvertible {
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): \(r)"
        }
    }
}

extension ShardableAnalysis {
    public static var shardFileName: String { "\(name)_shard.bin" }
    static var shardMagic: String { "softq analysis shard 1 \(name)" }

    /// What a shard writes instead of the statistics: its records (`<name>_shard.bin`) and a
    /// `<name>.json` that says so, with the options and provenance the merge carries over.
    public static func writeShard(_ part: Part, _ p: Parameters, shard: Shard, options: JSONValue, provenance: JSONValue,
                                  to directory: URL) throws {
        var w = BinaryRecordWriter()
        w.append(shardMagic)
        encode(part, p, into: &w)
        try AtomicFile.write(w.data, to: directory.appendingPathComponent(shardFileName))
        let summary = JSONValue.object(header(name) + [
            ("shard", shard.json), ("n_records", .int(records(part))),
            ("statistics", .string("computed by softq merge over the records of all \(shard.count) shards")),
            ("options", options), ("provenance", provenance),
        ])
        try AtomicFile.write(summary.prettySerialized(), to: directory.appendingPathComponent("\(name).json"))
    }

    /// Reads a shard's records and parameters; `path` names the file in errors.
    public static func readShard(_ data: Data, path: String) throws -> (part: Part, parameters: Parameters, parameterBytes: Data) {
        var r = BinaryRecordReader(data)
        do {
            guard try r.string() == shardMagic else { throw AnalysisShardError.unreadable(file: path, reason: "not a \(name) shard file") }
            let (part, p) = try decode(&r)
            guard r.atEnd else { throw BinaryRecordReader.Truncated() }
            var pw = BinaryRecordWriter()
            encode(combine([]), p, into: &pw)
            return (part, p, pw.data)
        } catch is BinaryRecordReader.Truncated {
            throw AnalysisShardError.unreadable(file: path, reason: "truncated or malformed records")
        }
    }
}

// MARK: - correlate

public enum CorrelationAnalysis: ShardableAnalysis {
    public struct Parameters: Sendable {
        /// nil: 1, 2, 4, … up to the largest prompt group.
        public var sizes: [Int]?
        public var draws: Int
        public var seed: UInt64
        public var resamples: Int
        public var aggregate: String
        public var metric: String
        public init(sizes: [Int]?, draws: Int, seed: UInt64, resamples: Int, aggregate: String, metric: String) {
            (self.sizes, self.draws, self.seed, self.resamples, self.aggregate, self.metric) = (sizes, draws, seed, resamples, aggregate, metric)
        }
    }
    public typealias Results = (rows: [CorrelationRow], bestOfN: [BestOfNRow])
    public static let name = "correlation"

    public static func records(_ part: [GradedGeneration]) -> Int { part.count }
    public static func combine(_ parts: [[GradedGeneration]]) -> [GradedGeneration] { parts.flatMap { $0 } }

    public static func analyze(_ g: [GradedGeneration], _ p: Parameters) throws -> Results {
        (try rewardMetricCorrelations(g, seed: p.seed, resamples: p.resamples),
         try bestOfN(g, sizes: p.sizes, draws: p.draws, seed: p.seed, resamples: p.resamples))
    }

    public static func files(_ r: Results, _ g: [GradedGeneration], _ p: Parameters, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
        correlationFiles(r.rows, bestOfN: r.bestOfN, generations: g, aggregate: p.aggregate, metric: p.metric, options: options,
                         provenance: provenance)
    }

    public static func encode(_ part: [GradedGeneration], _ p: Parameters, into w: inout BinaryRecordWriter) {
        w.append(p.sizes != nil)
        w.append(p.sizes ?? [])
        w.append(p.draws)
        w.append(p.seed)
        w.append(p.resamples)
        w.append(p.aggregate)
        w.append(p.metric)
        w.append(part.count)
        for g in part {
            w.append(g.id)
            w.append(g.group)
            for d in [g.reward, g.metric, g.logprobSum, g.logprobMean] { w.append(d) }
            w.append(g.tokens)
        }
    }

    public static func decode(_ r: inout BinaryRecordReader) throws -> ([GradedGeneration], Parameters) {
        let hasSizes = try r.bool(), sizes = try r.ints()
        let p = Parameters(sizes: hasSizes ? sizes : nil, draws: try r.int(), seed: try r.uint64(), resamples: try r.int(),
                           aggregate: try r.string(), metric: try r.string())
        let n = try r.int()
        guard n >= 0 else { throw BinaryRecordReader.Truncated() }
        var out: [GradedGeneration] = []
        for _ in 0..<n {
            out.append(GradedGeneration(id: try r.string(), group: try r.string(), reward: try r.double(), metric: try r.double(),
                                        logprobSum: try r.double(), logprobMean: try r.double(), tokens: try r.int()))
        }
        return (out, p)
    }
}

// MARK: - analyze length

/// One pair's lengths and aggregates: what length bias needs.
public struct LengthPair: Sendable, Equatable {
    public var chosenTokens: Int
    public var rejectedTokens: Int
    public var chosen: Aggregates
    public var rejected: Aggregates
    public init(chosenTokens: Int, rejectedTokens: Int, chosen: Aggregates, rejected: Aggregates) {
        (self.chosenTokens, self.rejectedTokens, self.chosen, self.rejected) = (chosenTokens, rejectedTokens, chosen, rejected)
    }
}

public enum LengthAnalysis: ShardableAnalysis {
    public struct Parameters: Sendable {
        /// The first is the primary aggregate.
        public var aggregates: [Aggregate]
        public var tolerance: Double
        public var seed: UInt64
        public var resamples: Int
        public init(aggregates: [Aggregate], tolerance: Double, seed: UInt64, resamples: Int) {
            (self.aggregates, self.tolerance, self.seed, self.resamples) = (aggregates, tolerance, seed, resamples)
        }
    }
    public static let name = "length"

    public static func records(_ part: [LengthPair]) -> Int { part.count }
    public static func combine(_ parts: [[LengthPair]]) -> [LengthPair] { parts.flatMap { $0 } }

    public static func analyze(_ pairs: [LengthPair], _ p: Parameters) throws -> [LengthBiasResult] {
        try p.aggregates.map { a in
            try lengthBias(aggregate: a.rawValue, chosen: pairs.map { $0.chosen.value(a) ?? .nan },
                           rejected: pairs.map { $0.rejected.value(a) ?? .nan },
                           chosenLengths: pairs.map(\.chosenTokens), rejectedLengths: pairs.map(\.rejectedTokens),
                           matchTolerance: p.tolerance, seed: p.seed, resamples: p.resamples)
        }
    }

    public static func files(_ r: [LengthBiasResult], _ pairs: [LengthPair], _ p: Parameters, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
        lengthFiles(r, pairs: pairs.count, options: options, provenance: provenance)
    }

    public static func encode(_ part: [LengthPair], _ p: Parameters, into w: inout BinaryRecordWriter) {
        w.append(p.aggregates.count)
        for a in p.aggregates { w.append(a.rawValue) }
        w.append(p.tolerance)
        w.append(p.seed)
        w.append(p.resamples)
        w.append(part.count)
        for x in part {
            w.append(x.chosenTokens)
            w.append(x.rejectedTokens)
            for a in [x.chosen, x.rejected] { encodeAggregates(a, into: &w) }
        }
    }

    public static func decode(_ r: inout BinaryRecordReader) throws -> ([LengthPair], Parameters) {
        let k = try r.int()
        guard k >= 0, k <= Aggregate.allCases.count else { throw BinaryRecordReader.Truncated() }
        let aggregates = try (0..<k).map { _ in
            guard let a = Aggregate(rawValue: try r.string()) else { throw BinaryRecordReader.Truncated() }
            return a
        }
        let p = Parameters(aggregates: aggregates, tolerance: try r.double(), seed: try r.uint64(), resamples: try r.int())
        let n = try r.int()
        guard n >= 0 else { throw BinaryRecordReader.Truncated() }
        var out: [LengthPair] = []
        for _ in 0..<n {
            out.append(LengthPair(chosenTokens: try r.int(), rejectedTokens: try r.int(), chosen: try decodeAggregates(&r),
                                  rejected: try decodeAggregates(&r)))
        }
        return (out, p)
    }
}

func encodeAggregates(_ a: Aggregates, into w: inout BinaryRecordWriter) {
    for d in [a.sum, a.mean, a.discounted, a.logprobSum, a.logprobMean, a.logprobNorm] { w.append(d) }
    w.append(a.dpo)
}

func decodeAggregates(_ r: inout BinaryRecordReader) throws -> Aggregates {
    try Aggregates(sum: r.double(), mean: r.double(), discounted: r.double(), logprobSum: r.double(), logprobMean: r.double(),
                   logprobNorm: r.double(), dpo: r.optionalDouble())
}

// MARK: - analyze sensitivity

public enum SensitivityAnalysis: ShardableAnalysis {
    public struct Parameters: Sendable {
        public var base: ConventionVariant
        public var gammas: [Double]
        public var alpha: Double
        /// 0: no shaping demonstration.
        public var offsetScale: Double
        public var seed: UInt64
        public var resamples: Int
        public init(base: ConventionVariant, gammas: [Double], alpha: Double, offsetScale: Double, seed: UInt64, resamples: Int) {
            (self.base, self.gammas, self.alpha, self.offsetScale, self.seed, self.resamples) = (base, gammas, alpha, offsetScale, seed, resamples)
        }
    }
    public typealias Results = (rows: [SensitivityRow], shaping: ShapingReport?)
    public static let name = "sensitivity"

    public static func records(_ part: [RawPair]) -> Int { part.count }
    public static func combine(_ parts: [[RawPair]]) -> [RawPair] { parts.flatMap { $0 } }

    public static func analyze(_ raw: [RawPair], _ p: Parameters) throws -> Results {
        let rows = try conventionSensitivity(raw, variants: conventionGrid(base: p.base, gammas: p.gammas), alpha: p.alpha, seed: p.seed,
                                             resamples: p.resamples)
        let shaping = p.offsetScale > 0
            ? try shapingInvariance(raw, alpha: p.alpha, gammas: p.gammas.filter { $0 != 1 }, scale: p.offsetScale, seed: p.seed) : nil
        return (rows, shaping)
    }

    public static func files(_ r: Results, _ raw: [RawPair], _ p: Parameters, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
        sensitivityFiles(r.rows, shaping: r.shaping, pairs: raw.count, options: options, provenance: provenance)
    }

    public static func encode(_ part: [RawPair], _ p: Parameters, into w: inout BinaryRecordWriter) {
        w.append(p.base.gamma)
        w.append(p.base.terminal?.rawValue ?? "")
        w.append(p.base.aggregate.rawValue)
        w.append(p.gammas)
        for d in [p.alpha, p.offsetScale] { w.append(d) }
        w.append(p.seed)
        w.append(p.resamples)
        w.append(part.count)
        for x in part {
            w.append(x.promptIDs)
            for s in [x.chosen, x.rejected] {
                w.append(s.tokenLogits)
                w.append(s.logsumexp)
                w.append(s.endsWithEOS)
                w.append(s.tokenIDs)
            }
        }
    }

    public static func decode(_ r: inout BinaryRecordReader) throws -> ([RawPair], Parameters) {
        let gamma = try r.optionalDouble(), terminal = try r.string()
        guard let aggregate = Aggregate(rawValue: try r.string()) else { throw BinaryRecordReader.Truncated() }
        let base = ConventionVariant(gamma: gamma, terminal: terminal.isEmpty ? nil : TerminalMode(rawValue: terminal), aggregate: aggregate)
        let p = Parameters(base: base, gammas: try r.doubles(), alpha: try r.double(), offsetScale: try r.double(), seed: try r.uint64(),
                           resamples: try r.int())
        let n = try r.int()
        guard n >= 0 else { throw BinaryRecordReader.Truncated() }
        var out: [RawPair] = []
        for _ in 0..<n {
            let prompt = try r.ints()
            func response() throws -> RawResponse {
                RawResponse(tokenLogits: try r.doubles(), logsumexp: try r.doubles(), endsWithEOS: try r.bool(), tokenIDs: try r.ints())
            }
            out.append(RawPair(promptIDs: prompt, chosen: try response(), rejected: try response()))
        }
        return (out, p)
    }
}

// MARK: - robustness

/// A robustness run's records: the pairs it perturbed, every scored copy, and the copies that
/// did not apply, per type and strength.
public struct RobustnessPart: Sendable {
    public var pairs: Int
    public var instances: [RobustnessInstance]
    public var skipped: [String: [Double: Int]]
    public init(pairs: Int, instances: [RobustnessInstance], skipped: [String: [Double: Int]]) {
        (self.pairs, self.instances, self.skipped) = (pairs, instances, skipped)
    }
}

public enum RobustnessAnalysis: ShardableAnalysis {
    public struct Parameters: Sendable {
        /// The perturbation types in the order of the selection.
        public var typeOrder: [String]
        public var seed: UInt64
        public var resamples: Int
        public var aggregate: String
        public init(typeOrder: [String], seed: UInt64, resamples: Int, aggregate: String) {
            (self.typeOrder, self.seed, self.resamples, self.aggregate) = (typeOrder, seed, resamples, aggregate)
        }
    }
    public static let name = "robustness"

    public static func records(_ part: RobustnessPart) -> Int { part.pairs }

    public static func combine(_ parts: [RobustnessPart]) -> RobustnessPart {
        var all = RobustnessPart(pairs: 0, instances: [], skipped: [:])
        for p in parts {
            all.pairs += p.pairs
            all.instances += p.instances
            for (type, byStrength) in p.skipped {
                for (s, n) in byStrength { all.skipped[type, default: [:]][s, default: 0] += n }
            }
        }
        return all
    }

    public static func analyze(_ part: RobustnessPart, _ p: Parameters) throws -> RobustnessSummary {
        summarizeRobustness(part.instances.map(\.outcome), typeOrder: p.typeOrder, skipped: part.skipped, seed: p.seed,
                            resamples: p.resamples)
    }

    public static func files(_ s: RobustnessSummary, _ part: RobustnessPart, _ p: Parameters, options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
        robustnessFiles(s, instances: part.instances, aggregate: p.aggregate, pairs: part.pairs, options: options, provenance: provenance)
    }

    public static func encode(_ part: RobustnessPart, _ p: Parameters, into w: inout BinaryRecordWriter) {
        w.append(p.typeOrder.count)
        for t in p.typeOrder { w.append(t) }
        w.append(p.seed)
        w.append(p.resamples)
        w.append(p.aggregate)
        w.append(part.pairs)
        // Sorted, so that the bytes do not depend on dictionary order.
        let skipped = part.skipped.flatMap { t, m in m.map { (t, $0.key, $0.value) } }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        w.append(skipped.count)
        for (t, s, n) in skipped {
            w.append(t)
            w.append(s)
            w.append(n)
        }
        w.append(part.instances.count)
        for i in part.instances {
            let o = i.outcome
            w.append(o.pairIndex)
            w.append(o.type)
            for d in [o.strength, o.original, o.perturbed] { w.append(d) }
            w.append(i.pairID)
            w.append(i.originalTokens)
            w.append(i.perturbedTokens)
            w.append(i.perturbedText != nil)
            w.append(i.perturbedText ?? "")
        }
    }

    public static func decode(_ r: inout BinaryRecordReader) throws -> (RobustnessPart, Parameters) {
        let k = try r.int()
        guard k >= 0, k <= 1 << 16 else { throw BinaryRecordReader.Truncated() }
        let types = try (0..<k).map { _ in try r.string() }
        let p = Parameters(typeOrder: types, seed: try r.uint64(), resamples: try r.int(), aggregate: try r.string())
        var part = RobustnessPart(pairs: try r.int(), instances: [], skipped: [:])
        let ns = try r.int()
        guard ns >= 0 else { throw BinaryRecordReader.Truncated() }
        for _ in 0..<ns {
            let t = try r.string(), s = try r.double()
            part.skipped[t, default: [:]][s] = try r.int()
        }
        let ni = try r.int()
        guard ni >= 0 else { throw BinaryRecordReader.Truncated() }
        for _ in 0..<ni {
            let o = PerturbationOutcome(pairIndex: try r.int(), type: try r.string(), strength: try r.double(), original: try r.double(),
                                        perturbed: try r.double())
            let id = try r.string(), ot = try r.int(), pt = try r.int(), hasText = try r.bool(), text = try r.string()
            part.instances.append(RobustnessInstance(outcome: o, pairID: id, originalTokens: ot, perturbedTokens: pt,
                                                     perturbedText: hasText ? text : nil))
        }
        return (part, p)
    }
}
