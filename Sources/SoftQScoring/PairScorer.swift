import SoftQModels
import SoftQRewards

/// Options of a scoring run; every field is recorded in summary.json's `options`.
public struct ScoringOptions: Sendable {
    public var rewards: RewardOptions
    /// The aggregate that decides `margin` and `correct`.
    public var aggregate: Aggregate
    public var threads: Int
    /// Pairs per model call. Results do not depend on it (batch invariance); it trades memory for speed.
    public var chunkSize: Int
    /// A pair's two responses share each matrix product (`ForwardOptions.stackSequences`; off by
    /// default, `softq bench --stack-sequences` measures it).
    public var stackSequences: Bool

    public init(rewards: RewardOptions = RewardOptions(), aggregate: Aggregate = .sum, threads: Int = 1, chunkSize: Int = 16,
                stackSequences: Bool = false) {
        self.rewards = rewards
        self.aggregate = aggregate
        self.threads = threads
        self.chunkSize = chunkSize
        self.stackSequences = stackSequences
    }
}

public struct ScoredResponse: Sendable {
    public var ids: [Int]
    public var scores: ResponseScores
}

public struct ScoredPair: Sendable {
    /// Position in the (valid) input, 0-based.
    public var index: Int
    public var record: PairRecord
    public var promptLength: Int
    public var chosen: ScoredResponse
    public var rejected: ScoredResponse
    /// R(chosen) − R(rejected) under the run's aggregate.
    public var margin: Double
    public var correct: Bool { margin > 0 }
    public var tie: Bool { margin == 0 }
}

public struct ScoredSingle: Sendable {
    public var index: Int
    public var record: ResponseRecord
    public var promptLength: Int
    public var response: ScoredResponse
}

public enum ScoringError: Error, CustomStringConvertible {
    case needsReference(Aggregate)
    case model(String)

    public var description: String {
        switch self {
        case .needsReference(let a): return "--score \(a.rawValue) needs a reference model (--reference R.h5)"
        case .model(let s): return s
        }
    }
}

/// Runs the policy (and optional reference) over prepared pairs and turns the forward pass's
/// per-position numbers into rewards. Each pair's prompt runs once; both responses continue
/// from its cached keys and values.
public final class PairScorer {
    public let model: any CausalLanguageModel
    public let reference: (any CausalLanguageModel)?
    public let options: ScoringOptions

    public init(model: any CausalLanguageModel, reference: (any CausalLanguageModel)? = nil, options: ScoringOptions) throws {
        if options.aggregate == .dpo && reference == nil { throw ScoringError.needsReference(.dpo) }
        try options.rewards.validate()
        self.model = model
        self.reference = reference
        self.options = options
    }

    /// Scores prompt groups with the policy and, when present, the reference model; returns per
    /// group and continuation the reward scores.
    func scoreGroups(_ groups: [PromptGroup], endsWithEOS: [[Bool]]) throws -> [[ResponseScores]] {
        let forward = ForwardOptions(threads: options.threads, stackSequences: options.stackSequences)
        let policy = try model.score(groups, options: forward)
        let ref = try reference.map { try $0.score(groups, options: forward) }
        var out: [[ResponseScores]] = []
        out.reserveCapacity(groups.count)
        for g in groups.indices {
            var row: [ResponseScores] = []
            for c in groups[g].continuations.indices {
                let s = policy[g][c]
                let refLogprobs = ref.map { $0[g][c].logprobs.map(Double.init) }
                row.append(try scoreResponse(tokenLogits: s.tokenLogits, logsumexp: s.logsumexp,
                                             endsWithEOS: endsWithEOS[g][c], options: options.rewards,
                                             referenceLogprobs: refLogprobs))
            }
            out.append(row)
        }
        return out
    }

    /// Scores pairs in input order. `progress(pairsDone, tokensDone)` is called after each chunk.
    public func scorePairs(_ pairs: [PreparedPair], progress: ((Int, Int) -> Void)? = nil) throws -> [ScoredPair] {
        var out: [ScoredPair] = []
        out.reserveCapacity(pairs.count)
        var tokens = 0
        var start = 0
        while start < pairs.count {
            let chunk = pairs[start..<min(start + max(1, options.chunkSize), pairs.count)]
            let groups = chunk.map { PromptGroup(prompt: $0.prompt, continuations: [$0.chosen.ids, $0.rejected.ids]) }
            let eos = chunk.map { [$0.chosen.endsWithEOS, $0.rejected.endsWithEOS] }
            let scores = try scoreGroups(groups, endsWithEOS: eos)
            for (k, p) in chunk.enumerated() {
                let c = scores[k][0], r = scores[k][1]
                let margin = c.aggregates.value(options.aggregate)! - r.aggregates.value(options.aggregate)!
                out.append(ScoredPair(index: start + k, record: p.record, promptLength: p.prompt.count,
                                      chosen: ScoredResponse(ids: p.chosen.ids, scores: c),
                                      rejected: ScoredResponse(ids: p.rejected.ids, scores: r),
                                      margin: margin))
                tokens += p.prompt.count + p.chosen.ids.count + p.rejected.ids.count
            }
            start += chunk.count
            progress?(out.count, tokens)
        }
        return out
    }

    /// Scores single responses (`softq extract`), in input order.
    public func scoreSingles(_ items: [PreparedSingle], progress: ((Int, Int) -> Void)? = nil) throws -> [ScoredSingle] {
        var out: [ScoredSingle] = []
        var tokens = 0
        var start = 0
        while start < items.count {
            let chunk = items[start..<min(start + max(1, options.chunkSize * 2), items.count)]
            let groups = chunk.map { PromptGroup(prompt: $0.prompt, continuations: [$0.response.ids]) }
            let scores = try scoreGroups(groups, endsWithEOS: chunk.map { [$0.response.endsWithEOS] })
            for (k, it) in chunk.enumerated() {
                out.append(ScoredSingle(index: start + k, record: it.record, promptLength: it.prompt.count,
                                        response: ScoredResponse(ids: it.response.ids, scores: scores[k][0])))
                tokens += it.prompt.count + it.response.ids.count
            }
            start += chunk.count
            progress?(out.count, tokens)
        }
        return out
    }
}
