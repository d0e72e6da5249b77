import Foundation
import SoftQBase
import SoftQModels

/// How the next token is drawn from the model's logits.
public struct SamplingOptions: Sendable, Equatable {
    /// Softmax temperature of the sampling distribution; 0 means greedy (argmax, lowest id on ties).
    public var temperature: Double
    /// Nucleus mass: keep the smallest set of most likely tokens whose probability reaches `topP`.
    public var topP: Double
    /// Stop after this many new tokens (or at EOS, or at the model's context, whichever is first).
    public var maxTokens: Int
    public var seed: UInt64

    public init(temperature: Double = 1, topP: Double = 1, maxTokens: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.seed = seed
    }

    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw SamplingError.invalidOption("temperature must be ≥ 0, got \(temperature)") }
        guard topP > 0, topP <= 1 else { throw SamplingError.invalidOption("top-p must be in (0, 1], got \(topP)") }
        guard maxTokens >= 1 else { throw SamplingError.invalidOption("max-tokens must be ≥ 1, got \(maxTokens)") }
    }
}

public enum SamplingError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case promptTooLong(promptTokens: Int, context: Int)
    case emptyPrompt

    public var description: String {
        switch self {
        case .invalidOption(let s): return s
        case let .promptTooLong(p, c): return "the prompt has \(p) tokens; the model's context of \(c) leaves no room to generate"
        case .emptyPrompt: return "the prompt has no tokens (and no BOS is added): nothing to condition on"
        }
    }
}

/// One generated continuation.
public struct Sample: Sendable, Equatable {
    /// New token ids, including the EOS id when generation stopped there.
    public var tokens: [Int]
    /// Σ log π(x_j | s_{j−1}) of `tokens` under the model itself (temperature 1, no nucleus),
    /// i.e. the `logprob_sum` that `softq score` reports for the same ids.
    public var logprob: Double
    /// "eos", "length" (max tokens) or "context" (the model's context is full).
    public var finishReason: String
}

/// Incremental decoding with the key/value cache: the prompt runs once, each sample extends
/// its own copy of the prompt's cache one token at a time.
public struct Sampler {
    public let model: any CausalLanguageModel
    /// Generation stops after any of these ids (the model's end-of-episode set).
    public let stopIDs: Set<Int>

    public init(model: any CausalLanguageModel, stopIDs: Set<Int>) {
        self.model = model
        self.stopIDs = stopIDs
    }

    public init(model: any CausalLanguageModel, eosID: Int?) {
        self.init(model: model, stopIDs: Set([eosID].compactMap { $0 }))
    }

    /// `count` samples of one prompt. Sample `k` of prompt `promptIndex` draws from its own
    /// stream (seed, prompt index, k), so results do not depend on order or on other prompts.
    public func sample(prompt: [Int], promptIndex: Int, count: Int, options: SamplingOptions) throws -> [Sample] {
        try options.validate()
        guard !prompt.isEmpty else { throw SamplingError.emptyPrompt }
        guard prompt.count < model.contextLength else {
            throw SamplingError.promptTooLong(promptTokens: prompt.count, context: model.contextLength)
        }
        let base = model.makeCache()
        let promptLogits = try model.logits(appending: prompt, to: base)
        var out: [Sample] = []
        let root = SeededGenerator(seed: options.seed).derived(UInt64(promptIndex))
        for k in 0..<count {
            var rng = root.derived(UInt64(k) &+ 0x5A17)
            let cache = base.copy()
            var logits = promptLogits
            var tokens: [Int] = []
            var logprob = 0.0
            var reason = "length"
            while tokens.count < options.maxTokens {
                let next = Sampler.choose(logits, options: options, rng: &rng)
                logprob += Sampler.logSoftmax(logits, at: next)
                tokens.append(next)
                if stopIDs.contains(next) { reason = "eos"; break }
                if prompt.count + tokens.count >= model.contextLength { reason = "context"; break }
                if tokens.count == options.maxTokens { break }
                logits = try model.logits(appending: [next], to: cache)
            }
            out.append(Sample(tokens: tokens, logprob: logprob, finishReason: reason))
        }
        return out
    }

    /// log softmax(logits)[index] in Double, max-shifted.
    public static func logSoftmax(_ logits: [Float], at index: Int) -> Double {
        var m = -Double.infinity
        for v in logits { m = max(m, Double(v)) }
        var s = 0.0
        for v in logits { s += exp(Double(v) - m) }
        return Double(logits[index]) - m - log(s)
    }

    /// Draws the next token: greedy at temperature 0, else from softmax(logits/T) restricted to
    /// the top-p nucleus (tokens ordered by probability, ties by id, so the set is deterministic).
    public static func choose(_ logits: [Float], options: SamplingOptions, rng: inout SeededGenerator) -> Int {
        if options.temperature == 0 {
            var best = 0
            for i in 1..<logits.count where logits[i] > logits[best] { best = i }
            return best
        }
        let t = options.temperature
        var m = -Double.infinity
        for v in logits { m = max(m, Double(v) / t) }
        var p = logits.map { exp(Double($0) / t - m) }
        let z = p.reduce(0, +)
        for i in p.indices { p[i] /= z }
        var order = Array(p.indices)
        if options.topP < 1 {
            order.sort { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
            var mass = 0.0, keep = 0
            while keep < order.count {
                mass += p[order[keep]]
                keep += 1
                if mass >= options.topP { break }
            }
            order = Array(order.prefix(keep))
        }
        let total = order.reduce(0.0) { $0 + p[$1] }
        var u = rng.nextDouble() * total
        for i in order {
            u -= p[i]
            if u < 0 { return i }
        }
        return order.last!
    }
}
