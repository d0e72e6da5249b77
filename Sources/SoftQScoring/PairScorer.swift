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
    /// Whether records with identical prompt ids share one prompt pass. Results do not depend on
    /// it (PromptGroupingTests); `separate` exists to measure and test that.
    public var grouping: PromptGroupingMode
    /// Several pairs' prompts, then their responses, share each matrix product
    /// (`ForwardOptions.stackSequences`; off by default, `softq bench --stack-sequences` measures it).
    public var stackSequences: Bool

    public init(rewards: RewardOptions = RewardOptions(), aggregate: Aggregate = .sum, threads: Int = 1, chunkSize: Int = 16,
                grouping: PromptGroupingMode = .shared, stackSequences: Bool = false) {
        self.rewards = rewards
        self.aggregate = aggregate
        self.threads = threads
        self.chunkSize = chunkSize
        self.grouping = grouping
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
/// per-position numbers into rewards. Each prompt of a model call runs once: both responses of
/// a pair, and every record of the call with the same prompt ids (best-of-N samples, the copies
/// of a robustness run), continue from its cached keys and values (PromptGrouping).
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
            let end = PromptGrouping.chunkEnd(from: start, total: pairs.count, size: options.chunkSize) { pairs[$0].prompt == pairs[$1].prompt }
            let chunk = pairs[start..<end]
            let scores = try score(chunk.map { ($0.prompt, [($0.chosen.ids, $0.chosen.endsWithEOS), ($0.rejected.ids, $0.rejected.endsWithEOS)]) })
            for (k, p) in chunk.enumerated() {
                let c = scores[k][0], r = scores[k][1]
                let margin = c.aggregates.value(options.aggregate)! - r.aggregates.value(options.aggregate)!
                out.append(ScoredPair(index: start + k, record: p.record, promptLength: p.prompt.count,
                                      chosen: ScoredResponse(ids: p.chosen.ids, scores: c),
                                      rejected: ScoredResponse(ids: p.rejected.ids, scores: r),
                                      margin: margin))
                tokens += p.prompt.count + p.chosen.ids.count + p.rejected.ids.count
            }
            start = end
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
            let end = PromptGrouping.chunkEnd(from: start, total: items.count, size: options.chunkSize * 2) { items[$0].prompt == items[$1].prompt }
            let chunk = items[start..<end]
            let scores = try score(chunk.map { ($0.prompt, [($0.response.ids, $0.response.endsWithEOS)]) })
            for (k, it) in chunk.enumerated() {
                out.append(ScoredSingle(index: start + k, record: it.record, promptLength: it.prompt.count,
                                        response: ScoredResponse(ids: it.response.ids, scores: scores[k][0])))
                tokens += it.prompt.count + it.response.ids.count
            }
            start = end
            progress?(out.count, tokens)
        }
        return out
    }

    /// Scores records (a prompt and its responses each) in one model call, records with
    /// identical prompts grouped (under `options.grouping`); returns per record its responses' scores.
    func score(_ records: [(prompt: [Int], responses: [(ids: [Int], endsWithEOS: Bool)])]) throws -> [[ResponseScores]] {
        let g = PromptGrouping(records, mode: options.grouping)
        let scores = try scoreGroups(g.groups, endsWithEOS: g.endsWithEOS)
        return g.slots.map { $0.map { scores[$0.group][$0.continuation] } }
    }
}
