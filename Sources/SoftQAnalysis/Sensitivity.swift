import SoftQBase
import SoftQEvaluation
import SoftQRewards

/// What it takes to re-score one response under any convention without the model: the
/// taken-token logits (m), the per-position log-sum-exps (m + 1, positions p−1 … n−1), whether
/// it ends with EOS, and its token ids (for state-keyed offsets).
public struct RawResponse: Sendable, Equatable {
    public var tokenLogits: [Double]
    public var logsumexp: [Double]
    public var endsWithEOS: Bool
    public var tokenIDs: [Int]

    public init(tokenLogits: [Double], logsumexp: [Double], endsWithEOS: Bool, tokenIDs: [Int]) {
        self.tokenLogits = tokenLogits
        self.logsumexp = logsumexp
        self.endsWithEOS = endsWithEOS
        self.tokenIDs = tokenIDs
    }

    /// Recovers the raw arrays from scores computed with α = 1 and terminal mode `never`
    /// (then q = ℓ[x], value_before = logsumexp and the last value_after = logsumexp(ℓ_{n−1})
    /// exactly). Scores under other conventions lose information and are rejected.
    public init(scoresWithAlphaOneNeverTerminal s: ResponseScores, endsWithEOS: Bool, tokenIDs: [Int]) throws {
        guard !s.terminal, let last = s.valueAfter.last else {
            throw AnalysisError.invalidValue(name: "terminal", value: 1, rule: "re-scoring needs scores made with terminal mode 'never'")
        }
        guard tokenIDs.count == s.tokens else {
            throw AnalysisError.lengthMismatch(what: "response token ids", expected: s.tokens, actual: tokenIDs.count)
        }
        self.init(tokenLogits: s.q, logsumexp: s.valueBefore + [last], endsWithEOS: endsWithEOS, tokenIDs: tokenIDs)
    }

    public func scores(_ options: RewardOptions) throws -> ResponseScores {
        try scoreResponse(tokenLogits: tokenLogits, logsumexp: logsumexp, endsWithEOS: endsWithEOS, options: options)
    }
}

/// A pair's two responses in raw form, with its prompt's ids (the key of the shared state).
public struct RawPair: Sendable {
    public var promptIDs: [Int]
    public var chosen: RawResponse
    public var rejected: RawResponse

    public init(promptIDs: [Int], chosen: RawResponse, rejected: RawResponse) {
        self.promptIDs = promptIDs
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// One convention: γ, terminal mode and aggregate (α is fixed: it changes no decision).
public struct ConventionVariant: Sendable, Equatable {
    public var gamma: Double?
    public var terminal: TerminalMode?
    public var aggregate: Aggregate

    public init(gamma: Double?, terminal: TerminalMode?, aggregate: Aggregate) {
        self.gamma = gamma
        self.terminal = terminal
        self.aggregate = aggregate
    }

    /// `sum γ=0.9 terminal=eos`; log-probability aggregates ignore γ and the terminal mode.
    public var name: String {
        guard let g = gamma, let t = terminal else { return aggregate.rawValue }
        return "\(aggregate.rawValue) γ=\(JSONValue.formatDouble(g)) terminal=\(t.rawValue)"
    }
}

/// The grid: every aggregate × γ × terminal mode, with log-probability aggregates (which do
/// not depend on γ or the terminal mode) listed once. The base variant comes first.
public func conventionGrid(base: ConventionVariant, gammas: [Double], terminals: [TerminalMode] = TerminalMode.allCases,
                           aggregates: [Aggregate] = Aggregate.allCases.filter { $0 != .dpo }) -> [ConventionVariant] {
    var out: [ConventionVariant] = [base]
    for a in aggregates {
        if [.logprobSum, .logprobMean, .logprobNorm].contains(a) {
            let v = ConventionVariant(gamma: nil, terminal: nil, aggregate: a)
            if !out.contains(v) { out.append(v) }
            continue
        }
        for g in gammas {
            for t in terminals {
                let v = ConventionVariant(gamma: g, terminal: t, aggregate: a)
                if !out.contains(v) { out.append(v) }
            }
        }
    }
    return out
}

/// One row of sensitivity.json.
public struct SensitivityRow: Sendable {
    public var variant: ConventionVariant
    public var accuracy: Double
    public var accuracyCI: ConfidenceInterval?
    public var ties: Int
    public var meanMargin: Double
    public var medianMargin: Double
    /// Fraction of pairs whose decision (correct or not) equals the base variant's.
    public var agreementWithBase: Double
    /// Spearman correlation of this variant's margins with the base variant's.
    public var marginSpearmanWithBase: Double

    public static let columns = ["name", "aggregate", "gamma", "terminal", "accuracy", "accuracy_ci95", "ties",
                                 "mean_margin", "median_margin", "agreement_with_base", "margin_spearman_with_base"]

    public var row: [JSONValue] {
        [.string(variant.name), .string(variant.aggregate.rawValue), AnalysisJSON.number(variant.gamma),
         variant.terminal.map { .string($0.rawValue) } ?? .null, AnalysisJSON.number(accuracy),
         AnalysisJSON.interval(accuracyCI), .int(ties), AnalysisJSON.number(meanMargin), AnalysisJSON.number(medianMargin),
         AnalysisJSON.number(agreementWithBase), AnalysisJSON.number(marginSpearmanWithBase)]
    }

    /// The shape SoftQReport reads: `name`, `options`, `accuracy`, `accuracy_ci95`, `agreement_with_base`, …
    public var json: JSONValue {
        .object([
            ("name", .string(variant.name)),
            ("options", .object([("aggregate", .string(variant.aggregate.rawValue)), ("gamma", AnalysisJSON.number(variant.gamma)),
                                 ("terminal", variant.terminal.map { .string($0.rawValue) } ?? .null)])),
            ("accuracy", AnalysisJSON.number(accuracy)), ("accuracy_ci95", AnalysisJSON.interval(accuracyCI)),
            ("ties", .int(ties)), ("mean_margin", AnalysisJSON.number(meanMargin)),
            ("median_margin", AnalysisJSON.number(medianMargin)),
            ("agreement_with_base", AnalysisJSON.number(agreementWithBase)),
            ("margin_spearman_with_base", AnalysisJSON.number(marginSpearmanWithBase)),
        ])
    }
}

/// Margins of every pair under one variant (α from `alpha`).
public func margins(_ pairs: [RawPair], variant: ConventionVariant, alpha: Double) throws -> [Double] {
    let options = RewardOptions(alpha: alpha, gamma: variant.gamma ?? 1, terminal: variant.terminal ?? .eos)
    return try pairs.map { p in
        let c = try p.chosen.scores(options).aggregates.value(variant.aggregate)
        let r = try p.rejected.scores(options).aggregates.value(variant.aggregate)
        guard let c, let r else {
            throw AnalysisError.unknownName(kind: "aggregate without a reference model", name: variant.aggregate.rawValue,
                                            known: Aggregate.allCases.filter { $0 != .dpo }.map(\.rawValue))
        }
        return c - r
    }
}

/// Accuracy, margins and agreement with the first variant, for every variant.
public func conventionSensitivity(_ pairs: [RawPair], variants: [ConventionVariant], alpha: Double = 1,
                                  seed: UInt64, resamples: Int = 1000) throws -> [SensitivityRow] {
    guard !pairs.isEmpty, let base = variants.first else {
        throw AnalysisError.notEnoughData(what: "conventions sensitivity", needed: 1, actual: 0)
    }
    let baseMargins = try margins(pairs, variant: base, alpha: alpha)
    return try variants.map { v in
        let m = v == base ? baseMargins : try margins(pairs, variant: v, alpha: alpha)
        let agree = zip(m, baseMargins).filter { ($0 > 0) == ($1 > 0) }.count
        return SensitivityRow(
            variant: v, accuracy: Double(m.filter { $0 > 0 }.count) / Double(m.count),
            accuracyCI: Stats.meanCI(m.map { $0 > 0 ? 1 : 0 }, seed: seed, resamples: resamples),
            ties: m.filter { $0 == 0 }.count, meanMargin: Stats.mean(m), medianMargin: Stats.median(m),
            agreementWithBase: Double(agree) / Double(m.count), marginSpearmanWithBase: Stats.spearman(m, baseMargins))
    }
}
