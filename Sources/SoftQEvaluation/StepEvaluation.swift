import SoftQBase

/// Area under the ROC curve of `positive` against `negative` scores, the Mann–Whitney form:
/// AUROC = (#{(p, n): p > n} + ½·#{(p, n): p = n}) / (P·N), ties counting one half — what
/// scikit-learn's `roc_auc_score` computes (the trapezoid rule over the ROC curve).
///
/// Exact: twice the numerator is counted as an integer (each positive against the sorted
/// negatives by binary search, O((P + N) log N)), so the result is one correctly rounded
/// division. Throws when either class is empty or a score is not finite.
public func auroc(positive: [Double], negative: [Double]) throws -> Double {
    try requireFinite(positive, "positive scores")
    try requireFinite(negative, "negative scores")
    let neg = negative.sorted()
    var twice = 0
    for p in positive {
        let less = lowerBound(neg, p)
        var upTo = less
        while upTo < neg.count, neg[upTo] == p { upTo += 1 }
        twice += 2 * less + (upTo - less)
    }
    return Double(twice) / (2 * Double(positive.count) * Double(negative.count))
}

/// The first index of ascending `sorted` whose value is not below `x`.
func lowerBound(_ sorted: [Double], _ x: Double) -> Int {
    var lo = 0, hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// ProcessBench's first-error prediction from step scores: the first step whose score is
/// below `threshold`, or −1 when none is (the solution is predicted correct).
public func firstStepBelow(_ scores: [Double], threshold: Double) -> Int {
    scores.firstIndex { $0 < threshold } ?? -1
}

/// ProcessBench's first-error localisation scores: accuracy on erroneous solutions (label ≥ 0:
/// the prediction equals the label), on correct ones (label −1: predicted −1), and their
/// harmonic mean F1 = 2·a·b / (a + b) (0 when both are 0). A class without solutions leaves
/// its accuracy and F1 NaN (undefined).
public struct FirstErrorScores: Equatable, Sendable {
    public var accuracyErroneous: Double
    public var accuracyCorrect: Double
    public var f1: Double
    public var erroneous: Int
    public var correct: Int

    public init(predicted: [Int], labels: [Int]) throws {
        guard predicted.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "first-error predictions", expected: labels.count, actual: predicted.count)
        }
        var hitE = 0, hitC = 0, nE = 0, nC = 0
        for (p, l) in zip(predicted, labels) {
            if l >= 0 { nE += 1; if p == l { hitE += 1 } } else { nC += 1; if p == -1 { hitC += 1 } }
        }
        erroneous = nE
        correct = nC
        accuracyErroneous = nE == 0 ? .nan : Double(hitE) / Double(nE)
        accuracyCorrect = nC == 0 ? .nan : Double(hitC) / Double(nC)
        let a = accuracyErroneous, b = accuracyCorrect
        f1 = a.isNaN || b.isNaN ? .nan : (a + b == 0 ? 0 : 2 * a * b / (a + b))
    }
}

/// The first-error threshold τ chosen on validation solutions: the candidate that maximises
/// F1 when each solution's first error is predicted as its first step with score < τ.
///
/// Candidates, ascending: −∞, the midpoints (a + b)/2 of consecutive distinct step scores
/// (sorted), +∞ — every distinct prediction a threshold can make. Ties in F1: the smallest τ.
public struct FirstErrorThreshold: Equatable, Sendable {
    public var threshold: Double
    public var scores: FirstErrorScores
    public var candidates: Int

    /// `stepScores[s]`: solution s's step scores in step order; `labels[s]`: its first wrong
    /// step or −1. Needs erroneous and correct solutions, and finite scores.
    public init(stepScores: [[Double]], labels: [Int]) throws {
        guard stepScores.count == labels.count else {
            throw EvaluationError.lengthMismatch(what: "step scores", expected: labels.count, actual: stepScores.count)
        }
        let nCorrect = labels.filter { $0 < 0 }.count
        guard nCorrect > 0, nCorrect < labels.count else {
            throw EvaluationError.tooFew(what: "the threshold choice's smaller class (erroneous or correct solutions)", needed: 1,
                                         actual: min(nCorrect, labels.count - nCorrect))
        }
        let all = stepScores.flatMap { $0 }
        try requireFinite(all, "step scores")
        var distinct: [Double] = []
        for v in all.sorted() where distinct.last != v { distinct.append(v) }
        var candidates: [Double] = [-.infinity]
        for k in 1..<max(1, distinct.count) { candidates.append((distinct[k - 1] + distinct[k]) / 2) }
        candidates.append(.infinity)
        var best: (Double, FirstErrorScores)? = nil
        for tau in candidates {
            let s = try FirstErrorScores(predicted: stepScores.map { firstStepBelow($0, threshold: tau) }, labels: labels)
            if best == nil || s.f1 > best!.1.f1 { best = (tau, s) }
        }
        threshold = best!.0
        scores = best!.1
        self.candidates = candidates.count
    }
}
