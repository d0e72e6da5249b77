import Foundation

/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019), as torch.optim.AdamW:
///   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ)
///   θ ← θ − lr·wd·θ (decoupled, only for tensors the layout marks as decaying)
///   θ ← θ − lr·m̂/(√v̂ + ε)
public struct AdamWSettings: Sendable, Equatable {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    public var weightDecay: Double = 0.01
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// The optimiser's moments and step count: everything besides the weights that a resumed run
/// needs to continue bit for bit (the data order is a pure function of seed and step).
public final class AdamWState<T: TrainingScalar> {
    public let m: ScalarBuffer<T>
    public let v: ScalarBuffer<T>
    /// Number of updates applied so far (t of the bias correction is step + 1 for the next one).
    public var step: Int

    public init(count: Int) {
        m = ScalarBuffer(count: count)
        v = ScalarBuffer(count: count)
        step = 0
    }
}

/// Applies one AdamW update with learning rate `lr` to `params` using `grads`.
/// params, grads, state.m, state.v: [P]
public func adamWUpdate<T: TrainingScalar>(params: ScalarBuffer<T>, grads: ScalarBuffer<T>, state: AdamWState<T>,
                                           layout: GPT2ParameterLayout, lr: Double, settings: AdamWSettings) {
    state.step += 1
    let t = Double(state.step)
    let b1 = T(settings.beta1), b2 = T(settings.beta2)
    let c1 = T(1 - pow(settings.beta1, t)), c2 = T(1 - pow(settings.beta2, t))
    let eps = T(settings.epsilon), lrT = T(lr)
    let p = params.pointer, g = grads.pointer, m = state.m.pointer, v = state.v.pointer
    for e in layout.entries {
        let decay = e.decays ? T(lr * settings.weightDecay) : 0
        for i in e.offset..<(e.offset + e.count) {
            let gi = g[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi
            v[i] = vi
            let mhat = mi / c1, vhat = vi / c2
            p[i] -= decay * p[i]
            p[i] -= lrT * mhat / (vhat.squareRoot() + eps)
        }
    }
}

/// Linear warm-up to `peak` over `warmup` steps, then a cosine decay to `peak·minFraction` at `total`.
/// `step` counts from 0; the first update uses peak/warmup.
public func learningRate(step: Int, total: Int, warmup: Int, peak: Double, minFraction: Double) -> Double {
    if step < warmup { return peak * Double(step + 1) / Double(warmup) }
    let span = max(1, total - warmup)
    let progress = min(1, Double(step - warmup) / Double(span))
    let floor = peak * minFraction
    return floor + 0.5 * (peak - floor) * (1 + cos(Double.pi * progress))
}

/// Global L2 norm of the gradient, accumulated in Double in index order (deterministic).
public func gradientNorm<T: TrainingScalar>(_ grads: ScalarBuffer<T>) -> Double {
    var s = 0.0
    let g = grads.pointer
    for i in 0..<grads.count { let x = Double(g[i]); s += x * x }
    return s.squareRoot()
}

/// Scales the gradient so its global norm is at most `maxNorm` (torch's clip_grad_norm_ rule,
/// factor maxNorm/(norm + 1e-6) when norm > maxNorm). Returns the norm before clipping.
@discardableResult
public func clipGradients<T: TrainingScalar>(_ grads: ScalarBuffer<T>, maxNorm: Double) -> Double {
    let norm = gradientNorm(grads)
    if maxNorm > 0, norm > maxNorm {
        let f = T(maxNorm / (norm + 1e-6))
        let g = grads.pointer
        for i in 0..<grads.count { g[i] *= f }
    }
    return norm
}
