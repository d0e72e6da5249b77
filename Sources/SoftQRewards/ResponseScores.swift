import SoftQBase

/// The per-response aggregates of docs/spec/conventions.md, by their output names.
public enum Aggregate: String, CaseIterable, Sendable {
    case sum, mean, discounted
    case logprobSum = "logprob_sum"
    case logprobMean = "logprob_mean"
    case logprobNorm = "logprob_norm"
    case dpo
}

/// One response's aggregates (all computed in Double, summed left to right in token order).
public struct Aggregates: Equatable, Sendable {
    /// Σ_j r_j
    public var sum: Double
    /// Σ_j r_j / m
    public var mean: Double
    /// Σ_j γ^{j−p} r_j
    public var discounted: Double
    /// Σ_j log π(x_j|s_{j−1})
    public var logprobSum: Double
    /// logprob_sum / m
    public var logprobMean: Double
    /// −‖(log π(x_j|s_{j−1}))_j‖₂ (RewardBench's reference-free `norm`)
    public var logprobNorm: Double
    /// β·Σ_j (log π − log π_ref), present only when reference log-probabilities were given.
    public var dpo: Double?

    public init(sum: Double, mean: Double, discounted: Double, logprobSum: Double,
                logprobMean: Double, logprobNorm: Double, dpo: Double? = nil) {
        self.sum = sum
        self.mean = mean
        self.discounted = discounted
        self.logprobSum = logprobSum
        self.logprobMean = logprobMean
        self.logprobNorm = logprobNorm
        self.dpo = dpo
    }

    /// The named aggregate; nil only for `dpo` without a reference model.
    public func value(_ which: Aggregate) -> Double? {
        switch which {
        case .sum: return sum
        case .mean: return mean
        case .discounted: return discounted
        case .logprobSum: return logprobSum
        case .logprobMean: return logprobMean
        case .logprobNorm: return logprobNorm
        case .dpo: return dpo
        }
    }
}

/// Every number softq reports for one scored response x_p … x_{n−1} (m = n − p tokens).
///
/// Per-token arrays have m entries; entry k belongs to response token j = p + k:
/// `logprob[k]` = log π(x_j|s_{j−1}), `q[k]` = Q(s_{j−1}, x_j), `valueBefore[k]` = V(s_{j−1}),
/// `valueAfter[k]` = V′(s_j) (0 after a terminal token), `reward[k]` = r_j.
public struct ResponseScores: Equatable, Sendable {
    public var logprob: [Double]
    public var q: [Double]
    public var valueBefore: [Double]
    public var valueAfter: [Double]
    public var reward: [Double]
    /// V(s_{p−1}), the soft value of the prompt.
    public var promptValue: Double
    public var terminal: Bool
    public var aggregates: Aggregates

    /// m, the number of scored response tokens.
    public var tokens: Int { reward.count }

    /// The response's summary in the order of docs/spec/outputs.md (`tokens`, the aggregates,
    /// `prompt_value`, then `terminal`, and `dpo` only when a reference model was used).
    public var summaryJSON: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("tokens", .int(tokens)),
            ("sum", .double(aggregates.sum)),
            ("mean", .double(aggregates.mean)),
            ("discounted", .double(aggregates.discounted)),
            ("logprob_sum", .double(aggregates.logprobSum)),
            ("logprob_mean", .double(aggregates.logprobMean)),
            ("logprob_norm", .double(aggregates.logprobNorm)),
            ("prompt_value", .double(promptValue)),
            ("terminal", .bool(terminal)),
        ]
        if let dpo = aggregates.dpo { fields.append(("dpo", .double(dpo))) }
        return .object(fields)
    }
}
