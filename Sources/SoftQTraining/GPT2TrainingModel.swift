import Foundation

/// GPT-2 for training: parameters and their gradients in flat buffers, a forward pass over one
/// sequence that keeps every activation its backward needs, and the backward itself.
///
/// Sequences are processed one at a time, without padding, so a gradient never depends on which
/// other examples share its batch, and gradients of a batch add up in example order: a run is
/// bit-reproducible whatever the batch composition or BLAS thread count.
///
/// Not thread-safe, hence not `Sendable`: a model holds one sequence's activations; parallel
/// training gives each worker its own replica.
public final class GPT2TrainingModel<T: TrainingScalar> {
    public let config: GPT2TrainingConfig
    public let layout: GPT2ParameterLayout
    public let params: ScalarBuffer<T>
    public let grads: ScalarBuffer<T>
    /// The longest sequence the activation buffers hold (≤ n_positions).
    public let maxSequenceLength: Int

    struct LayerActivations {
        let ln1, ln1Mean, ln1Rstd, qkv, atty, att, residual2, ln2, ln2Mean, ln2Rstd, fch, fchGelu, residual3: ScalarBuffer<T>
    }
    let encoded: ScalarBuffer<T>
    let layers: [LayerActivations]
    let lnf, lnfMean, lnfRstd: ScalarBuffer<T>
    /// Logits, then (after `logSoftmaxRows`) probabilities and log-normalisers of the scored rows.
    let logits, probs, lse: ScalarBuffer<T>
    // Gradient scratch, reused by every layer.
    let dresidual, dln, datty, dqkv, dpreatt, dfch, dfchGelu, dtmp: ScalarBuffer<T>

    private(set) var seqLen = 0
    private(set) var firstRow = 0
    private var tokens: [Int] = []

    /// `sharing` lets several models (one per worker thread) read the same parameters while each
    /// keeps its own activations and gradients.
    public init(config: GPT2TrainingConfig, maxSequenceLength: Int? = nil, sharing shared: ScalarBuffer<T>? = nil) {
        self.config = config
        layout = GPT2ParameterLayout(config: config)
        params = shared ?? ScalarBuffer(count: layout.count)
        precondition(params.count == layout.count, "shared parameters do not match the layout")
        grads = ScalarBuffer(count: layout.count)
        let maxT = min(maxSequenceLength ?? config.nPositions, config.nPositions)
        self.maxSequenceLength = maxT
        let C = config.nEmbd, H = config.nInner, NH = config.nHead, V = config.vocabSize
        func buf(_ n: Int) -> ScalarBuffer<T> { ScalarBuffer(count: n) }
        encoded = buf(maxT * C)
        layers = (0..<config.nLayer).map { _ in
            LayerActivations(ln1: buf(maxT * C), ln1Mean: buf(maxT), ln1Rstd: buf(maxT), qkv: buf(maxT * 3 * C),
                             atty: buf(maxT * C), att: buf(NH * maxT * maxT), residual2: buf(maxT * C),
                             ln2: buf(maxT * C), ln2Mean: buf(maxT), ln2Rstd: buf(maxT), fch: buf(maxT * H),
                             fchGelu: buf(maxT * H), residual3: buf(maxT * C))
        }
        lnf = buf(maxT * C); lnfMean = buf(maxT); lnfRstd = buf(maxT)
        logits = buf(maxT * V); probs = buf(maxT * V); lse = buf(maxT)
        dresidual = buf(maxT * C); dln = buf(maxT * C); datty = buf(maxT * C); dqkv = buf(maxT * 3 * C)
        dpreatt = buf(maxT * maxT); dfch = buf(maxT * H); dfchGelu = buf(maxT * H); dtmp = buf(maxT * C)
    }

    /// Runs the model over `tokens` and computes logits, softmax and logsumexp for positions
    /// `firstLogitRow ..< tokens.count` only (the rows a loss reads; the others need no head).
    /// Preconditions (checked by the data loader, which reports them with file and line):
    /// 1 ≤ tokens.count ≤ maxSequenceLength, ids < vocab_size.
    public func forward(tokens: [Int], firstLogitRow: Int) {
        let n = tokens.count
        precondition(n >= 1 && n <= maxSequenceLength, "sequence length \(n) outside 1...\(maxSequenceLength)")
        precondition(firstLogitRow >= 0 && firstLogitRow < n, "first logit row outside the sequence")
        self.tokens = tokens
        seqLen = n
        firstRow = firstLogitRow
        let C = config.nEmbd, H = config.nInner, NH = config.nHead, V = config.vocabSize
        let eps = T(config.layerNormEpsilon)
        let p = params.pointer
        tokens.withUnsafeBufferPointer { tok in
            encoderForward(encoded.pointer, tok.baseAddress!, p + layout.wte, p + layout.wpe, n, C)
        }
        var residual = UnsafePointer(encoded.pointer)
        for (l, a) in layers.enumerated() {
            let b = layout.blocks[l]
            layerNormForward(a.ln1.pointer, a.ln1Mean.pointer, a.ln1Rstd.pointer, residual, p + b.ln1w, p + b.ln1b, n, C, eps: eps)
            matmulForward(a.qkv.pointer, a.ln1.pointer, p + b.qkvw, p + b.qkvb, n, C, 3 * C)
            attentionForward(a.atty.pointer, a.att.pointer, a.qkv.pointer, n, C, NH)
            matmulForward(dtmp.pointer, a.atty.pointer, p + b.attprojw, p + b.attprojb, n, C, C)
            residualForward(a.residual2.pointer, residual, dtmp.pointer, n * C)
            layerNormForward(a.ln2.pointer, a.ln2Mean.pointer, a.ln2Rstd.pointer, a.residual2.pointer, p + b.ln2w, p + b.ln2b, n, C, eps: eps)
            matmulForward(a.fch.pointer, a.ln2.pointer, p + b.fcw, p + b.fcb, n, C, H)
            geluForward(a.fchGelu.pointer, a.fch.pointer, n * H)
            matmulForward(dtmp.pointer, a.fchGelu.pointer, p + b.fcprojw, p + b.fcprojb, n, H, C)
            residualForward(a.residual3.pointer, a.residual2.pointer, dtmp.pointer, n * C)
            residual = UnsafePointer(a.residual3.pointer)
        }
        layerNormForward(lnf.pointer, lnfMean.pointer, lnfRstd.pointer, residual, p + layout.lnfw, p + layout.lnfb, n, C, eps: eps)
        let rows = n - firstLogitRow
        tiedHeadForward(logits.pointer, lnf.pointer + firstLogitRow * C, p + layout.wte, rows, V, C)
        logSoftmaxRows(lse.pointer, probs.pointer, logits.pointer, rows, V)
    }

    /// Number of logit rows of the last forward (positions firstLogitRow ..< n).
    public var logitRows: Int { seqLen - firstRow }

    /// The last forward's logits, row-major [logitRows, vocab_size].
    public func lastLogits() -> [T] { Array(UnsafeBufferPointer(start: logits.pointer, count: logitRows * config.vocabSize)) }

    /// Backpropagates `dlogits` ([logitRows, V], the gradient of the loss with respect to the last
    /// forward's logit rows) and adds the parameter gradients into `grads`.
    public func backward(dlogits: UnsafePointer<T>) {
        let n = seqLen, C = config.nEmbd, H = config.nInner, NH = config.nHead, V = config.vocabSize
        let p = params.pointer, g = grads.pointer
        let rows = n - firstRow
        // Rows before the first scored position get no gradient from the head.
        dln.pointer.update(repeating: 0, count: firstRow * C)
        tiedHeadBackward(dln.pointer + firstRow * C, g + layout.wte, dlogits, lnf.pointer + firstRow * C, p + layout.wte, rows, V, C)
        dresidual.pointer.update(repeating: 0, count: n * C)
        let lastResidual = layers.last.map { UnsafePointer($0.residual3.pointer) } ?? UnsafePointer(encoded.pointer)
        layerNormBackward(dresidual.pointer, g + layout.lnfw, g + layout.lnfb, dln.pointer, lastResidual,
                          p + layout.lnfw, lnfMean.pointer, lnfRstd.pointer, n, C)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let a = layers[l], b = layout.blocks[l]
            let input = l == 0 ? UnsafePointer(encoded.pointer) : UnsafePointer(layers[l - 1].residual3.pointer)
            // dresidual is the gradient w.r.t. residual3; it flows unchanged to residual2 and input.
            matmulBackward(dfchGelu.pointer, g + b.fcprojw, g + b.fcprojb, dresidual.pointer, a.fchGelu.pointer, p + b.fcprojw, n, H, C)
            geluBackward(dfch.pointer, a.fch.pointer, dfchGelu.pointer, n * H)
            matmulBackward(dln.pointer, g + b.fcw, g + b.fcb, dfch.pointer, a.ln2.pointer, p + b.fcw, n, C, H)
            layerNormBackward(dresidual.pointer, g + b.ln2w, g + b.ln2b, dln.pointer, a.residual2.pointer, p + b.ln2w,
                              a.ln2Mean.pointer, a.ln2Rstd.pointer, n, C)
            matmulBackward(datty.pointer, g + b.attprojw, g + b.attprojb, dresidual.pointer, a.atty.pointer, p + b.attprojw, n, C, C)
            attentionBackward(dqkv.pointer, dpreatt.pointer, datty.pointer, a.qkv.pointer, a.att.pointer, n, C, NH)
            matmulBackward(dln.pointer, g + b.qkvw, g + b.qkvb, dqkv.pointer, a.ln1.pointer, p + b.qkvw, n, C, 3 * C)
            layerNormBackward(dresidual.pointer, g + b.ln1w, g + b.ln1b, dln.pointer, input, p + b.ln1w,
                              a.ln1Mean.pointer, a.ln1Rstd.pointer, n, C)
        }
        tokens.withUnsafeBufferPointer { tok in
            encoderBackward(g + layout.wte, g + layout.wpe, dresidual.pointer, tok.baseAddress!, n, C)
        }
    }
}
