import SoftQBase

/// Everything that can be wrong with the numbers handed to an evaluation.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// No pairs (or values) to evaluate.
    case empty(what: String)
    /// Two arrays that must pair up element by element have different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// NaN or ±Inf where a finite number is required: the array, index and value.
    case nonFinite(what: String, index: Int, value: Double)
    /// Fewer values than the statistic needs.
    case tooFew(what: String, needed: Int, actual: Int)
    case invalidOption(name: String, value: Double, rule: String)

    public var description: String {
        switch self {
        case .empty(let what): return "nothing to evaluate: \(what) is empty"
        case let .lengthMismatch(what, expected, actual): return "\(what) has \(actual) values, expected \(expected)"
        case let .nonFinite(what, index, value): return "\(what)[\(index)] is \(value), expected a finite number"
        case let .tooFew(what, needed, actual): return "\(what) needs at least \(needed) values, got \(actual)"
        case let .invalidOption(name, value, rule): return "invalid option \(name) = \(value): \(rule)"
        }
    }
}

/// The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values by linear interpolation between
/// order statistics, numpy's default (`method="linear"`, Hyndman–Fan type 7):
/// h = (n − 1)·q, result = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
public func linearQuantile(sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty && q >= 0 && q <= 1, "linearQuantile needs values and 0 ≤ q ≤ 1")
    let h = Double(sorted.count - 1) * q
    let lo = Int(h.rounded(.down))
    if lo >= sorted.count - 1 { return sorted[sorted.count - 1] }
    let t = h - Double(lo), a = sorted[lo], b = sorted[lo + 1]
    // numpy's `_lerp`, bit for bit: interpolate from the nearer end.
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/// Summary of the preference margins R(chosen) − R(rejected).
///
/// `std` is the population standard deviation (ddof = 0, numpy's `np.std` default);
/// quantiles use `linearQuantile` (numpy's default linear interpolation); the median is
/// numpy's `np.median` (middle value, or the mean of the two middle values).
public struct MarginStatistics: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var std: Double
    public var min: Double
    public var q05: Double
    public var q25: Double
    public var median: Double
    public var q75: Double
    public var q95: Double
    public var max: Double

    public init(margins: [Double]) throws {
        try requireFinite(margins, "margins")
        let sorted = margins.sorted()
        count = margins.count
        mean = margins.reduce(0, +) / Double(count)
        let m = mean
        std = (margins.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(count)).squareRoot()
        min = sorted[0]
        max = sorted[count - 1]
        q05 = linearQuantile(sorted: sorted, 0.05)
        q25 = linearQuantile(sorted: sorted, 0.25)
        median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
        q75 = linearQuantile(sorted: sorted, 0.75)
        q95 = linearQuantile(sorted: sorted, 0.95)
    }

    public var json: JSONValue {
        .object([("count", .int(count)), ("mean", jsonNumber(mean)), ("std", jsonNumber(std)), ("min", jsonNumber(min)),
                 ("q05", jsonNumber(q05)), ("q25", jsonNumber(q25)), ("median", jsonNumber(median)),
                 ("q75", jsonNumber(q75)), ("q95", jsonNumber(q95)), ("max", jsonNumber(max))])
    }
}

/// How a bootstrap is run: B resamples drawn from `SeededGenerator(seed:)`, confidence level.
public struct BootstrapOptions: Equatable, Sendable {
    public var samples: Int
    public var seed: UInt64
    public var level: Double

    public init(samples: Int = 1000, seed: UInt64 = 0, level: Double = 0.95) {
        self.samples = samples
        self.seed = seed
        self.level = level
    }

    public func validate() throws {
        guard samples >= 1 else {
            throw EvaluationError.invalidOption(name: "bootstrap samples", value: Double(samples), rule: "must be ≥ 1")
        }
        guard level > 0, level < 1 else {
            throw EvaluationError.invalidOption(name: "confidence level", value: level, rule: "must lie in (0, 1)")
        }
    }
}

/// A percentile-bootstrap confidence interval.
///
/// Resample b (b = 0..<B) draws n indices i.i.d. uniform on 0..<n, each by
/// `SeededGenerator.nextInt(below: n)` from one generator seeded with `seed`, in order, and
/// evaluates the statistic on them. Resamples whose statistic is NaN (e.g. a correlation of a
/// constant resample) are dropped and counted in `samples − validSamples`. The bounds are the
/// (1 − level)/2 and (1 + level)/2 `linearQuantile`s of the valid resample statistics; NaN if
/// none is valid.
public struct ConfidenceInterval: Equatable, Sendable {
    public var low: Double
    public var high: Double
    public var level: Double
    public var samples: Int
    public var validSamples: Int
    public var seed: UInt64

    public var json: JSONValue {
        .object([("low", jsonNumber(low)), ("high", jsonNumber(high)), ("level", jsonNumber(level)),
                 ("method", .string("percentile bootstrap")), ("samples", .int(samples)),
                 ("valid_samples", .int(validSamples)), ("seed", .int(Int(truncatingIfNeeded: seed)))])
    }
}

/// The percentile bootstrap of `statistic` over n items (see `ConfidenceInterval`).
public func bootstrapInterval(count n: Int, options: BootstrapOptions,
                              statistic: ([Int]) -> Double) throws -> ConfidenceInterval {
    try options.validate()
    guard n > 0 else { throw EvaluationError.empty(what: "bootstrap sample") }
    var g = SeededGenerator(seed: options.seed)
    var values: [Double] = []
    values.reserveCapacity(options.samples)
    var indices = [Int](repeating: 0, count: n)
    for _ in 0..<options.samples {
        for i in 0..<n { indices[i] = g.nextInt(below: n) }
        let v = statistic(indices)
        if !v.isNaN { values.append(v) }
    }
    values.sort()
    let tail = (1 - options.level) / 2
    let low = values.isEmpty ? .nan : linearQuantile(sorted: values, tail)
    let high = values.isEmpty ? .nan : linearQuantile(sorted: values, 1 - tail)
    return ConfidenceInterval(low: low, high: high, level: options.level, samples: options.samples,
                              validSamples: values.count, seed: options.seed)
}

func requireFinite(_ x: [Double], _ what: String) throws {
    guard !x.isEmpty else { throw EvaluationError.empty(what: what) }
    for (i, v) in x.enumerated() where !v.isFinite { throw EvaluationError.nonFinite(what: what, index: i, value: v) }
}

/// A JSON number, or null for NaN/±Inf (JSON has no spelling for them; pandas reads null as NaN).
func jsonNumber(_ d: Double) -> JSONValue { d.isFinite ? .double(d) : .null }
