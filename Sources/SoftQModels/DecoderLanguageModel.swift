import Foundation
import SoftQCheckpoint
import SoftQKernels

/// A decoder body plus the scoring head: the one `CausalLanguageModel` implementation.
///
/// Determinism: by default every product involves the rows of one sequence only. With
/// `ForwardOptions.stackSequences`, the continuations of one prompt share each product, each
/// padded to the kernel's row tile, where a row's bits then do not depend on the other rows
/// (`BLAS.stackingRowMultiple`, docs/performance.md, checked over thousands of random shapes
/// by `BatchInvarianceTests`). Every split of the work (output-layer blocks, column chunks,
/// heads) has a constant size, and OpenBLAS runs single-threaded inside `score`; threads only
/// pick up independent work items (prompt groups, then the fixed pieces inside one). So a
/// continuation's numbers depend on its prompt and its tokens alone: not on the other
/// sequences, nor on the thread count.
public final class DecoderLanguageModel: CausalLanguageModel, Sendable {
    let body: any DecoderBody
    public var configuration: ModelConfiguration { body.configuration }
    public var modelType: String { body.configuration.modelType }
    public var vocabularySize: Int { body.configuration.vocabularySize }
    public var contextLength: Int { body.configuration.contextLength }
    public let parameterCount: Int

    /// Rows of hidden states and vocabulary columns per output-layer block: the largest logit
    /// matrix ever held is positionBlock × vocabularyBlock floats per worker (unless full logits
    /// are asked). BLAS packs each 2048 × hidden weight block once per call, so the rows per call
    /// must be many: with 64, packing the output matrix cost more than packing every other weight
    /// of the model; 256 covers most responses in one call (2 MiB of scratch per worker).
    static let positionBlock = 256
    static let vocabularyBlock = 2048

    init(body: any DecoderBody) {
        self.body = body
        self.parameterCount = body.parameterCount
    }

    public func flopsPerToken(attendedPositions: Int) -> Int {
        let c = configuration
        let attended = body.attentionWindows.reduce(0) { $0 + min(attendedPositions, $1 ?? attendedPositions) }
        return 2 * body.matmulParameterCount + 4 * c.headCount * c.headDim * attended
    }

    public func makeCache() -> KVCache {
        KVCache(layers: configuration.layerCount, kvDim: configuration.kvHeadCount * configuration.headDim)
    }

    /// Validates that `tokens` may be appended after `start` positions.
    func validate(_ tokens: [Int], start: Int) throws {
        let c = configuration
        for (i, t) in tokens.enumerated() where t < 0 || t >= c.vocabularySize {
            throw ModelError.tokenOutOfRange(token: t, position: start + i, vocabularySize: c.vocabularySize)
        }
        let n = start + tokens.count
        if n > c.contextLength { throw ModelError.sequenceTooLong(length: n, contextLength: c.contextLength, modelType: c.modelType) }
    }

    public func logits(appending tokens: [Int], to cache: KVCache) throws -> [Float] {
        try logits(appending: tokens, to: cache, threads: 1)
    }

    /// `logits(appending:to:)` with `threads` workers (the same bits at any count).
    public func logits(appending tokens: [Int], to cache: KVCache, threads: Int) throws -> [Float] {
        if tokens.isEmpty { throw ModelError.noTokens }
        try validate(tokens, start: cache.length)
        let parallel = Parallel(threads: threads)
        return BLAS.withThreads(1) {
            let hidden = body.forward(tokens, cache: cache, parallel: parallel, capture: nil)
            let D = configuration.hiddenSize
            let last = Array(hidden[((tokens.count - 1) * D)...])
            return head(last, rows: 1, targets: [], full: true, parallel: parallel).full!
        }
    }

    /// Hidden states of one sequence after the embedding, after every layer and after the final
    /// norm, keyed "embed", "layer.0", …, "final" (for tests and for checking other
    /// implementations layer by layer).
    public func activations(_ tokens: [Int]) throws -> [String: [Float]] {
        try validate(tokens, start: 0)
        var out: [String: [Float]] = [:]
        BLAS.withThreads(1) {
            _ = body.forward(tokens, cache: makeCache(), parallel: .serial, capture: { out[$0] = $1 })
        }
        return out
    }

    public func score(_ groups: [PromptGroup], options: ForwardOptions) throws -> [[SequenceScores]] {
        for (g, group) in groups.enumerated() {
            if group.prompt.isEmpty { throw ModelError.emptyPrompt(group: g) }
            try validate(group.prompt, start: 0)
            for c in group.continuations { try validate(c, start: group.prompt.count) }
        }
        let all = Parallel(threads: options.threads)
        // One work item per group: its prompt once, then each continuation from a copy of the
        // prompt's cache. Only the groups in flight hold caches, so memory stays bounded however
        // many groups are passed. Threads left over (fewer groups than threads) go inside.
        let inner = all.share(among: groups.count)
        return BLAS.withThreads(1) {
            all.map(groups.count) { g, _ in self.scoreGroup(groups[g], options: options, parallel: inner) }
        }
    }

    func scoreGroup(_ group: PromptGroup, options: ForwardOptions, parallel: Parallel) -> [SequenceScores] {
        if group.continuations.isEmpty { return [] }
        let D = configuration.hiddenSize, V = vocabularySize, conts = group.continuations
        let promptCache = makeCache()
        let promptHidden = body.forward(group.prompt, cache: promptCache, parallel: parallel, capture: nil)
        let lastPromptRow = promptHidden[((group.prompt.count - 1) * D)...]
        // Stacked, continuations are laid out in blocks padded to the kernel's row tile, so that
        // a row sits at the same place in its tile whatever the other continuations
        // (BLAS.stackingRowMultiple); a kernel family without a known tile is never stacked.
        // Unstacked (the default), each continuation is its own product, unpadded.
        let stack = options.stackSequences && BLAS.stackingRowMultiple != nil
        let multiple = stack ? BLAS.stackingRowMultiple! : 1
        // Hidden rows of each continuation (block c: rows offsets[c] ..< offsets[c] + count).
        var hidden: [[Float]] = [], offsets: [[Int]] = []
        let batches = stack ? [Array(conts.indices)] : conts.indices.map { [$0] }
        for batch in batches {
            let inputs = batch.filter { !conts[$0].isEmpty }.map { SequenceInput(tokens: conts[$0], cache: promptCache.copy()) }
            hidden.append(inputs.isEmpty ? [] : body.forward(inputs, rowMultiple: multiple, parallel: parallel, capture: nil))
            offsets.append(inputs.rowOffsets(multiple: multiple))
        }
        // The output layer over blocks of m + 1 rows (the prompt's last row, then the
        // continuation's), each padded like the body's blocks: one call for all continuations
        // when stacking, one per continuation otherwise.
        var scores: [SequenceScores] = []
        for (b, batch) in batches.enumerated() {
            var rows: [Float] = [], targets: [Int] = [], starts: [Int] = [], used = 0
            for c in batch {
                let m = conts[c].count, padded = roundUp(m + 1, to: multiple)
                starts.append(targets.count)
                rows += lastPromptRow
                if m > 0 {
                    rows += hidden[b][(offsets[b][used] * D)..<((offsets[b][used] + m) * D)]
                    used += 1
                }
                rows += repeatElement(0, count: (padded - m - 1) * D)
                // Rows past the continuation's tokens score nothing: −1 matches no vocabulary entry.
                targets += conts[c] + repeatElement(-1, count: padded - m)
            }
            let r = head(rows, rows: targets.count, targets: targets, full: options.fullLogits, rowMultiple: multiple,
                         parallel: parallel)
            for (i, c) in batch.enumerated() {
                scores.append(SequenceScores(rows: r, count: conts[c].count, offset: starts[i], vocabulary: V))
            }
        }
        return scores
    }

    /// The output layer fused with logsumexp, in fixed blocks of positions × vocabulary; the
    /// vocabulary blocks of one position block run in parallel and merge in ascending order.
    /// hidden: [rows, D]; targets: ≤ rows token ids, targets[r] is read from row r.
    /// `rowMultiple`: position blocks are a multiple of it, so blocks padded to it keep their
    /// place in the kernel's row tiles however they are stacked (see `scoreGroup`).
    func head(_ hidden: [Float], rows: Int, targets: [Int], full: Bool, rowMultiple: Int = 1, parallel: Parallel)
        -> (tokenLogits: [Float], logsumexp: [Float], full: [Float]?)
    {
        let D = configuration.hiddenSize, V = vocabularySize
        let PB = DecoderLanguageModel.positionBlock / rowMultiple * rowMultiple, VB = min(DecoderLanguageModel.vocabularyBlock, V)
        let blocks = (V + VB - 1) / VB
        let workers = min(parallel.threads, blocks)
        var tokenLogits = [Float](repeating: 0, count: targets.count)
        var lse = [Float](repeating: 0, count: rows)
        var fullOut = [Float](repeating: 0, count: full ? rows * V : 0)
        var scratch = [Float](repeating: 0, count: workers * PB * VB)
        var bmax = [Float](repeating: 0, count: blocks * PB), bsum = [Double](repeating: 0, count: blocks * PB)
        nonisolated(unsafe) let W = body.output.elements
        let softcap = body.finalLogitSoftcap
        hidden.withUnsafeBufferPointer { hp in
            tokenLogits.withUnsafeMutableBufferPointer { tp in
                fullOut.withUnsafeMutableBufferPointer { fp in
                    scratch.withUnsafeMutableBufferPointer { sp in
                        bmax.withUnsafeMutableBufferPointer { mp in
                            bsum.withUnsafeMutableBufferPointer { up in
                                // An empty array may still have a base address: gate on `full`, not on nil.
                                nonisolated(unsafe) let hidden = hp.baseAddress!, tok = tp.baseAddress, fullP = full ? fp.baseAddress : nil
                                nonisolated(unsafe) let scr = sp.baseAddress!, maxP = mp.baseAddress!, sumP = up.baseAddress!
                                for p0 in stride(from: 0, to: rows, by: PB) {
                                    let pr = min(PB, rows - p0)
                                    parallel.forEach(blocks) { b, worker in
                                        let v0 = b * VB, vb = min(VB, V - v0)
                                        let block = scr + worker * PB * VB
                                        // block[r, j] = hidden[p0 + r] · W[v0 + j] (16-bit rows widened first)
                                        withFloatRows(W, from: v0, rows: vb, rowLength: D) { panel in
                                            BLAS.sgemm(.none, .transpose, m: pr, n: vb, k: D, a: hidden + p0 * D, lda: D,
                                                       b: panel, ldb: D, c: block, ldc: vb)
                                        }
                                        if let softcap { softcapInPlace(block, count: pr * vb, cap: softcap) }
                                        rowMaxSumExp(maxP + b * PB, sumP + b * PB, block, rows: pr, cols: vb, ld: vb)
                                        for r in 0..<pr {
                                            let row = p0 + r
                                            if row < targets.count, targets[row] >= v0, targets[row] < v0 + vb {
                                                tok![row] = block[r * vb + targets[row] - v0]
                                            }
                                            if let fullP { (fullP + row * V + v0).update(from: block + r * vb, count: vb) }
                                        }
                                    }
                                    for r in 0..<pr {
                                        var m = -Float.infinity, s = 0.0
                                        for b in 0..<blocks {
                                            combineLogSumExp(&m, &s, blockMax: maxP[b * PB + r], blockSum: sumP[b * PB + r])
                                        }
                                        lse[p0 + r] = finishLogSumExp(m, s)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (tokenLogits, lse, full ? fullOut : nil)
    }
}

extension SequenceScores {
    /// One continuation's scores out of a head over stacked blocks: its m token logits and its
    /// m + 1 logsumexp values (and full rows) from row `offset`.
    init(rows r: (tokenLogits: [Float], logsumexp: [Float], full: [Float]?), count m: Int, offset: Int, vocabulary V: Int) {
        let tokenLogits = Array(r.tokenLogits[offset..<(offset + m)])
        let logsumexp = Array(r.logsumexp[offset..<(offset + m + 1)])
        let full = r.full.map { Array($0[(offset * V)..<((offset + m + 1) * V)]) }
        self.init(tokenLogits: tokenLogits, logsumexp: logsumexp,
                  logprobs: (0..<m).map { tokenLogits[$0] - logsumexp[$0] }, fullLogits: full)
    }
}
