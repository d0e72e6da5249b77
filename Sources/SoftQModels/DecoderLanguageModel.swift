import Foundation
import SoftQCheckpoint
import SoftQKernels

/// A decoder body plus the scoring head: the one `CausalLanguageModel` implementation.
///
/// Determinism: by default every product involves the rows of one sequence only. With
/// `ForwardOptions.stackSequences`, the prompts of several groups share each product, then
/// their continuations do, each padded to the kernel's row tile and small products past the
/// small-kernel limit, where a row's bits then do not depend on the other rows
/// (`BLAS.stacking`, docs/performance.md, checked over thousands of random shapes by
/// `BatchInvarianceTests`). Every split of the work (output-layer blocks, column chunks,
/// heads) has a constant size, and OpenBLAS runs single-threaded inside `score`; threads only
/// pick up independent work items (prompt groups or runs of them, then the fixed pieces
/// inside one). So a
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
        let stacking = options.stackSequences ? BLAS.stacking : nil
        // Work items: one group each (its prompt once, then each continuation from a copy of
        // the prompt's cache), or with stacking, runs of consecutive groups whose prompts share
        // products and then whose continuations do. Only the items in flight hold caches, so
        // memory stays bounded however many groups are passed. Threads left over (fewer items
        // than threads) go inside.
        let items = stacking == nil ? groups.indices.map { $0..<($0 + 1) } : Self.stackedRuns(groups)
        let inner = all.share(among: items.count)
        let scored = BLAS.withThreads(1) {
            all.mapBalanced(items.count) { i in self.scoreGroups(Array(groups[items[i]]), stacking: stacking, options: options, parallel: inner) }
        }
        return scored.flatMap { $0 }
    }

    /// Rows (prompt and continuation tokens) a stacked work item gathers before it is closed:
    /// enough for the products to run near their large-matrix rate, while the caches of an
    /// item's sequences, all alive together, stay small (1,024 rows gained a few percent more
    /// for ≈ 100 MiB more peak memory on GPT-2 shapes, docs/performance.md).
    static let stackedRows = 512

    /// Consecutive runs of groups holding about `stackedRows` rows each (a group is never split).
    /// Any split gives the same bits (that is what stacking guarantees); this one depends on
    /// the groups alone.
    static func stackedRuns(_ groups: [PromptGroup]) -> [Range<Int>] {
        var runs: [Range<Int>] = [], start = 0, rows = 0
        for (g, group) in groups.enumerated() {
            rows += group.prompt.count + group.continuations.reduce(0) { $0 + $1.count }
            if rows >= stackedRows || g == groups.count - 1 {
                runs.append(start..<(g + 1))
                start = g + 1
                rows = 0
            }
        }
        return runs
    }

    /// Scores of each group's continuations, in order. Without a stacking rule, every prompt
    /// and every continuation is its own product, unpadded. With one, the prompts share each
    /// product, then all the continuations do, laid out in blocks padded to the kernel's row
    /// tile so that a row sits at the same place in its tile whatever the other sequences
    /// (`BLAS.stacking`).
    func scoreGroups(_ groups: [PromptGroup], stacking: StackingRule?, options: ForwardOptions,
                     parallel: Parallel) -> [[SequenceScores]] {
        let D = configuration.hiddenSize, V = vocabularySize, multiple = stacking?.rowMultiple ?? 1
        let live = groups.indices.filter { !groups[$0].continuations.isEmpty }
        // Each group's prompt once; its last hidden row starts every continuation's output rows.
        let promptCaches = groups.map { _ in makeCache() }
        var lastPromptRow = [[Float]](repeating: [], count: groups.count)
        for batch in stacking == nil ? live.map({ [$0] }) : [live] where !batch.isEmpty {
            let inputs = batch.map { SequenceInput(tokens: groups[$0].prompt, cache: promptCaches[$0]) }
            let hidden = body.forward(inputs, stacking: stacking, parallel: parallel, capture: nil)
            let offsets = inputs.rowOffsets(multiple: multiple)
            for (i, g) in batch.enumerated() {
                let last = offsets[i] + groups[g].prompt.count - 1
                lastPromptRow[g] = Array(hidden[(last * D)..<((last + 1) * D)])
            }
        }
        // Continuations (group, index) in order: all in one batch when stacking, else one each.
        let all = live.flatMap { g in groups[g].continuations.indices.map { (g, $0) } }
        var scores = groups.map { [SequenceScores?](repeating: nil, count: $0.continuations.count) }
        for batch in stacking == nil ? all.map({ [$0] }) : [all] where !batch.isEmpty {
            let inputs = batch.filter { !groups[$0.0].continuations[$0.1].isEmpty }.map {
                SequenceInput(tokens: groups[$0.0].continuations[$0.1], cache: promptCaches[$0.0].copy())
            }
            let hidden = inputs.isEmpty ? [] : body.forward(inputs, stacking: stacking, parallel: parallel, capture: nil)
            let offsets = inputs.rowOffsets(multiple: multiple)
            // The output layer over blocks of m + 1 rows (the prompt's last row, then the
            // continuation's), each padded like the body's blocks, in one call for the batch.
            var rows: [Float] = [], targets: [Int] = [], starts: [Int] = [], used = 0
            for (g, c) in batch {
                let cont = groups[g].continuations[c], m = cont.count, padded = roundUp(m + 1, to: multiple)
                starts.append(targets.count)
                rows += lastPromptRow[g]
                if m > 0 {
                    rows += hidden[(offsets[used] * D)..<((offsets[used] + m) * D)]
                    used += 1
                }
                rows += repeatElement(0, count: (padded - m - 1) * D)
                // Rows past the continuation's tokens score nothing: −1 matches no vocabulary entry.
                targets += cont + repeatElement(-1, count: padded - m)
            }
            let r = head(rows, rows: targets.count, targets: targets, full: options.fullLogits, stacking: stacking,
                         parallel: parallel)
            for (i, (g, c)) in batch.enumerated() {
                scores[g][c] = SequenceScores(rows: r, count: groups[g].continuations[c].count, offset: starts[i], vocabulary: V)
            }
        }
        return scores.map { $0.map { $0! } }
    }

    /// The output layer fused with logsumexp, in fixed blocks of positions × vocabulary; the
    /// vocabulary blocks of one position block run in parallel and merge in ascending order.
    /// hidden: [rows, D]; targets: ≤ rows token ids, targets[r] is read from row r.
    /// `stacking`: hidden stacks several sequences' blocks; position blocks are a multiple of
    /// its row tile, so blocks padded to it keep their place in the kernel's row tiles however
    /// they are stacked, and small products are padded (see `scoreGroups`).
    func head(_ hidden: [Float], rows: Int, targets: [Int], full: Bool, stacking: StackingRule? = nil, parallel: Parallel)
        -> (tokenLogits: [Float], logsumexp: [Float], full: [Float]?)
    {
        let D = configuration.hiddenSize, V = vocabularySize
        let multiple = stacking?.rowMultiple ?? 1
        let PB = DecoderLanguageModel.positionBlock / multiple * multiple, VB = min(DecoderLanguageModel.vocabularyBlock, V)
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
                                            stackableProduct(.transpose, m: pr, n: vb, k: D, a: hidden + p0 * D, lda: D,
                                                             b: panel, ldb: D, c: block, ldc: vb, stacking: stacking)
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
