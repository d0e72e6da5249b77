/// When a response's last state counts as terminal (its bootstrap value V′ is then 0).
///
/// - `eos`: terminal iff the response ends with the tokenizer's EOS token (the default);
/// - `always`: every response is terminal (datasets whose responses are complete without EOS);
/// - `never`: every response is bootstrapped with V(s_{n−1}).
public enum TerminalMode: String, CaseIterable, Sendable {
    case eos, always, never

    /// Whether a response is terminal under this mode.
    public func isTerminal(endsWithEOS: Bool) -> Bool {
        switch self {
        case .eos: return endsWithEOS
        case .always: return true
        case .never: return false
        }
    }
}

/// The conventions every reward is computed under (docs/spec/conventions.md).
///
/// `alpha` is the temperature α (Q = α·ℓ), `gamma` the discount γ, `beta` the DPO scale β.
/// Call `validate()` (every entry point does) before use.
public struct RewardOptions: Equatable, Sendable {
    public var alpha: Double
    public var gamma: Double
    public var terminal: TerminalMode
    public var beta: Double

    public init(alpha: Double = 1, gamma: Double = 1, terminal: TerminalMode = .eos, beta: Double = 1) {
        self.alpha = alpha
        self.gamma = gamma
        self.terminal = terminal
        self.beta = beta
    }

    /// α finite and at least the smallest normal double (2.2e-308: below it α·ℓ loses every
    /// significant bit, so margins silently become ties), 0 ≤ γ ≤ 1, β finite. Whether α suits
    /// the model's logits is checked per response (`RewardError.scaledOutOfRange`).
    public func validate() throws {
        guard alpha.isFinite, alpha >= Double.leastNormalMagnitude else {
            throw RewardError.invalidOption(name: "alpha", value: alpha,
                                            rule: "must be finite and ≥ \(Double.leastNormalMagnitude) (the smallest normal double)")
        }
        guard gamma.isFinite, gamma >= 0, gamma <= 1 else {
            throw RewardError.invalidOption(name: "gamma", value: gamma, rule: "must satisfy 0 ≤ γ ≤ 1")
        }
        guard beta.isFinite else {
            throw RewardError.invalidOption(name: "beta", value: beta, rule: "must be finite")
        }
    }
}

/// Everything that can be wrong with the arrays or options handed to the reward math.
public enum RewardError: Error, Equatable, CustomStringConvertible {
    /// A response needs at least one token (m ≥ 1): it has no action to reward otherwise.
    case emptyResponse
    /// An array has the wrong length: `what` names it.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A non-finite input value (NaN, ±Inf): the array, the index and the value.
    case nonFinite(what: String, index: Int, value: Double)
    case invalidOption(name: String, value: Double, rule: String)
    /// α·x left the normal double range for a nonzero x (a logit or log-sum-exp of the model):
    /// the product underflowed (the value is lost, margins become ties) or overflowed.
    case scaledOutOfRange(what: String, index: Int, value: Double, alpha: Double)
    /// Token id outside the vocabulary, or a prompt length outside 1..<n.
    case outOfRange(what: String, index: Int, value: Int, range: String)

    public var description: String {
        switch self {
        case .emptyResponse:
            return "empty response: a scored response needs at least one token (hint: with EOS appending off, an empty response has nothing to score)"
        case let .lengthMismatch(what, expected, actual):
            return "\(what) has \(actual) values, expected \(expected)"
        case let .nonFinite(what, index, value):
            return "\(what)[\(index)] is \(value): logits must be finite (hint: check the model's weights and dtype for overflow)"
        case let .invalidOption(name, value, rule):
            return "invalid option \(name) = \(value): \(rule)"
        case let .scaledOutOfRange(what, index, value, alpha):
            return "temperature α = \(alpha) scales \(what)[\(index)] = \(value) to \(alpha * value), outside the normal double range "
                + "[\(Double.leastNormalMagnitude), \(Double.greatestFiniteMagnitude)] (hint: every α·ℓ of a nonzero logit ℓ "
                + "and every reward must be a normal finite double; choose α between 2.2e-308/min|ℓ| and 1.8e308/(2·n·max|ℓ|))"
        case let .outOfRange(what, index, value, range):
            return "\(what)[\(index)] = \(value) is outside \(range)"
        }
    }
}
