import SoftQBase
import SoftQCheckpoint
import SoftQKernels

/// A decoder-only language model read as a scorer: logits at every position, reduced on the
/// fly to what soft-Q scoring needs (docs/spec/conventions.md).
public protocol CausalLanguageModel: AnyObject, Sendable {
    var modelType: String { get }
    var vocabularySize: Int { get }
    var contextLength: Int { get }
    /// Distinct parameters (a tied output matrix counts once).
    var parameterCount: Int { get }
    var configuration: ModelConfiguration { get }
    /// Forward FLOPs for one token that attends to `attendedPositions` positions:
    /// 2 · (parameters used in matrix products, output layer included) + 4 · heads · headDim ·
    /// Σ over layers of min(attendedPositions, the layer's sliding window).
    func flopsPerToken(attendedPositions: Int) -> Int
    /// Scores groups of continuations that share a prompt: the prompt is run once, each
    /// continuation continues from its cached keys/values. Results are bit-identical to
    /// running prompt+continuation alone, in any grouping and at any thread count.
    func score(_ groups: [PromptGroup], options: ForwardOptions) throws -> [[SequenceScores]]
    /// Incremental decoding for sampling: a cache, feed tokens, get last-position logits.
    func makeCache() -> KVCache
    /// Appends `tokens` (at least one) to `cache` and returns the logits [vocab] of the last one.
    func logits(appending tokens: [Int], to cache: KVCache) throws -> [Float]
}

/// One prompt and the continuations (responses) that follow it.
public struct PromptGroup: Sendable, Equatable {
    /// At least one token (the BOS or first token).
    public var prompt: [Int]
    /// Each may be empty (then only the prompt's last-position value is returned).
    public var continuations: [[Int]]
    public init(prompt: [Int], continuations: [[Int]]) {
        self.prompt = prompt
        self.continuations = continuations
    }
}

public struct ForwardOptions: Sendable, Equatable {
    /// Worker threads; results do not depend on it.
    public var threads: Int = 1
    /// Also return every logit row (m+1 rows per continuation); off by default.
    public var fullLogits: Bool = false
    /// Stack the prompts of several groups, then all their continuations, into one matrix
    /// product per weight (each weight panel packed once for all of them; work items of about
    /// `DecoderLanguageModel.stackedRows` rows), padded per the kernel family's rule, on the
    /// OpenBLAS kernel families where that is shown batch-invariant (`BLAS.stacking`;
    /// elsewhere it is ignored). A continuation's bits then do not depend on the other
    /// sequences, but may differ in low bits from the default path (padded tiles and small
    /// products). Off by default: it saves 7–15% of the time with SkylakeX kernels (none with
    /// Haswell's) for 13–24% more peak memory (docs/performance.md).
    public var stackSequences: Bool = false
    public init(threads: Int = 1, fullLogits: Bool = false, stackSequences: Bool = false) {
        self.threads = threads
        self.fullLogits = fullLogits
        self.stackSequences = stackSequences
    }
}

/// What scoring needs from one continuation of m tokens after a prompt of p tokens (n = p + m):
/// the logit rows ℓ_i for positions i = p−1 … n−1, reduced.
public struct SequenceScores: Sendable, Equatable {
    /// m values: ℓ_{p−1+k}[x_{p+k}]
    public var tokenLogits: [Float]
    /// m+1 values: logsumexp(ℓ_i) for i = p−1 … n−1
    public var logsumexp: [Float]
    /// m values: tokenLogits[k] − logsumexp[k]
    public var logprobs: [Float]
    /// [(m+1) × vocab] rows for positions p−1 … n−1, only when asked
    public var fullLogits: [Float]?
    public init(tokenLogits: [Float], logsumexp: [Float], logprobs: [Float], fullLogits: [Float]? = nil) {
        self.tokenLogits = tokenLogits
        self.logsumexp = logsumexp
        self.logprobs = logprobs
        self.fullLogits = fullLogits
    }
}

/// Keys and values of every layer for the positions run so far, for one sequence.
/// Not thread-safe, hence not `Sendable`: one cache belongs to one sequence being decoded, on
/// the thread that decodes it (parallel scoring makes a cache per work item).
public final class KVCache {
    /// Per layer: [length, kvHeads·headDim] keys and values, row-major.
    var keys: [[Float]]
    var values: [[Float]]
    /// Positions stored so far (the next token's position).
    public internal(set) var length: Int = 0
    let kvDim: Int

    init(layers: Int, kvDim: Int) {
        self.keys = Array(repeating: [], count: layers)
        self.values = Array(repeating: [], count: layers)
        self.kvDim = kvDim
    }

    /// An independent copy (continuations of one prompt each extend their own copy).
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, kvDim: kvDim)
        c.keys = keys
        c.values = values
        c.length = length
        return c
    }

    /// Forgets everything after the first `length` positions (to reuse a prompt's cache).
    public func truncate(to length: Int) {
        precondition(length >= 0 && length <= self.length, "KVCache.truncate beyond its length")
        for l in keys.indices {
            keys[l].removeSubrange((length * kvDim)...)
            values[l].removeSubrange((length * kvDim)...)
        }
        self.length = length
    }
}

/// One sequence of a batch run through a body: tokens appended to its own cache.
struct SequenceInput {
    var tokens: [Int]
    var cache: KVCache
}

extension Array where Element == SequenceInput {
    /// Row offsets of the sequences stacked in order, each sequence's block padded to a
    /// multiple of `multiple` rows: [0, ⌈T₀⌉, ⌈T₀⌉ + ⌈T₁⌉, …] (count + 1 values).
    func rowOffsets(multiple: Int) -> [Int] {
        var offsets = [0]
        for s in self { offsets.append(offsets.last! + roundUp(s.tokens.count, to: multiple)) }
        return offsets
    }

    /// The attention scores one worker needs for the longest of the sequences: rows × positions.
    var largestAttentionScratch: Int {
        self.map { $0.tokens.count * ($0.cache.length + $0.tokens.count) }.max() ?? 0
    }
}

/// n rounded up to a multiple of m (m ≥ 1).
func roundUp(_ n: Int, to m: Int) -> Int { (n + m - 1) / m * m }

/// An architecture's transformer body: token ids → final-normed hidden states, extending a
/// cache. Inputs are validated by the caller (lengths, token ids) before `forward` runs.
protocol DecoderBody: Sendable {
    var configuration: ModelConfiguration { get }
    /// [vocab, hidden]: logits = hidden · outputᵀ
    var output: WeightMatrix { get }
    var parameterCount: Int { get }
    var matmulParameterCount: Int { get }
    /// Several sequences at once, each extending its own cache (distinct caches): the rows of
    /// all sequences are stacked so that every weight matrix enters one product per batch
    /// (packed once, not once per sequence); attention and the caches see the real rows only.
    /// With a stacking rule (`BLAS.stacking`), each sequence's block is padded with rows of
    /// zeros to a multiple of `rowMultiple` (`batch.rowOffsets(multiple:)`) and small
    /// products are padded past the small-kernel limit (`stackableProduct`), so a row's values
    /// are the same bits whatever the other sequences of the batch (docs/performance.md,
    /// `BatchInvarianceTests`); nil: one row after another, no padding (one sequence alone).
    /// Returns the stacked hidden states after the final norm in that layout (padding rows
    /// hold unspecified finite values). `capture` receives ("embed", …), ("layer.i", …) and
    /// ("final", …) activations in the same layout when given (tests locate layer mismatches
    /// with one sequence, no stacking).
    func forward(_ batch: [SequenceInput], stacking: StackingRule?, parallel: Parallel,
                 capture: ((String, [Float]) -> Void)?) -> [Float]
    /// c: every logit ℓ becomes c·tanh(ℓ / c) (Gemma 2's `final_logit_softcapping`); nil: none.
    var finalLogitSoftcap: Float? { get }
    /// Per layer: the sliding window, or nil for full causal attention.
    var attentionWindows: [Int?] { get }
}

extension DecoderBody {
    /// One sequence: x [tokens.count, hidden] after the final norm.
    func forward(_ tokens: [Int], cache: KVCache, parallel: Parallel, capture: ((String, [Float]) -> Void)?) -> [Float] {
        forward([SequenceInput(tokens: tokens, cache: cache)], stacking: nil, parallel: parallel, capture: capture)
    }

    var finalLogitSoftcap: Float? { nil }
    var attentionWindows: [Int?] { [Int?](repeating: nil, count: configuration.layerCount) }
}

extension CausalLanguageModel {
    /// Logits at every position of one sequence, [n × vocab] row-major (row i scores the token
    /// after x_i): the whole sequence scored as its first token plus a continuation. For
    /// comparisons with other implementations; scoring should use `score`.
    public func logitsForAllPositions(_ tokens: [Int], threads: Int = 1) throws -> [Float] {
        guard let first = tokens.first else { throw ModelError.noTokens }
        let r = try score([PromptGroup(prompt: [first], continuations: [Array(tokens.dropFirst())])],
                          options: ForwardOptions(threads: threads, fullLogits: true))
        return r[0][0].fullLogits ?? []
    }
}
