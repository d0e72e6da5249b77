import SoftQBase

// The readers of the shapes this module writes (`json` of each type), so the report and any
// other consumer decode summary.json and the analysis files with the code that defines them
// instead of re-spelling their keys. Each reader accepts exactly the writer's shape: a missing
// key or a wrong type gives nil, and the caller says what it could not read.

extension ConfidenceInterval {
    /// Reads `{"low", "high", "level", "method", "samples", "valid_samples", "seed"}`; `low` /
    /// `high` may be null (NaN: no valid resample). `samples`, `valid_samples` and `seed` are
    /// optional (0 when absent) so an interval computed elsewhere with only its bounds and
    /// level still reads.
    public init?(json: JSONValue) {
        guard case .object = json, let level = json["level"]?.doubleValue,
              let low = Self.number(json["low"]), let high = Self.number(json["high"]) else { return nil }
        self.init(low: low, high: high, level: level, samples: json["samples"]?.intValue ?? 0,
                  validSamples: json["valid_samples"]?.intValue ?? 0,
                  seed: UInt64(truncatingIfNeeded: json["seed"]?.intValue ?? 0))
    }

    /// A JSON number, or NaN for null; nil for a missing key or another type.
    static func number(_ v: JSONValue?) -> Double? {
        guard let v else { return nil }
        if v == .null { return .nan }
        return v.doubleValue
    }
}

extension Calibration.Bin {
    /// Reads one entry of `calibration.bins`: `{"lower", "upper", "count", "mean_p", "accuracy"}`
    /// (`mean_p` / `accuracy` null for an empty bin).
    public init?(json: JSONValue) {
        guard let lower = json["lower"]?.doubleValue, let upper = json["upper"]?.doubleValue,
              let count = json["count"]?.intValue,
              let meanP = ConfidenceInterval.number(json["mean_p"]),
              let accuracy = ConfidenceInterval.number(json["accuracy"]) else { return nil }
        self.init(lower: lower, upper: upper, count: count, meanP: meanP, accuracy: accuracy)
    }
}

extension SubsetAccuracy {
    /// Reads one value of summary.json `subsets` (keyed by `subset`): `{"n", "accuracy",
    /// "correct", "ties"}`. `accuracy` is derived (correct / n), so it is not read back.
    public init?(subset: String, json: JSONValue) {
        guard let n = json["n"]?.intValue, let correct = json["correct"]?.intValue,
              let ties = json["ties"]?.intValue else { return nil }
        self.init(subset: subset, count: n, correct: correct, ties: ties)
    }
}

extension MarginStatistics {
    /// Reads summary.json `margin`: `{"count", "mean", "std", "min", "q05", "q25", "median",
    /// "q75", "q95", "max"}` (every key required; null reads as NaN).
    public init?(json: JSONValue) {
        guard let count = json["count"]?.intValue else { return nil }
        var v: [Double] = []
        for key in ["mean", "std", "min", "q05", "q25", "median", "q75", "q95", "max"] {
            guard let x = ConfidenceInterval.number(json[key]) else { return nil }
            v.append(x)
        }
        self.count = count
        mean = v[0]; std = v[1]; min = v[2]; q05 = v[3]; q25 = v[4]; median = v[5]; q75 = v[6]; q95 = v[7]; max = v[8]
    }
}

extension Calibration {
    /// Reads summary.json `calibration`: `brier`, `ece` and the `bins` table (`count` is the
    /// number of pairs: half the predictions, since each pair counts in both orders).
    public init?(json: JSONValue) {
        guard let brier = ConfidenceInterval.number(json["brier"]), let ece = ConfidenceInterval.number(json["ece"]),
              let table = json["bins"]?.arrayValue else { return nil }
        let bins = table.compactMap(Bin.init(json:))
        guard bins.count == table.count else { return nil }
        self.brier = brier
        self.ece = ece
        self.bins = bins
        count = bins.reduce(0) { $0 + $1.count } / 2
    }
}
