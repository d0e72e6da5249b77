import SoftQBase
import SoftQEvaluation
import SoftQScoring

/// One step-labelled solution with its per-step sums (docs/analysis.md, "Steps").
public struct StepSolution: Sendable {
    public var id: String
    /// The first wrong step, or −1.
    public var label: Int
    /// Σ of the rewards of the step's tokens, per step.
    public var reward: [Double]
    /// Σ of the log-probabilities of the step's tokens, per step.
    public var logprob: [Double]
    public var tokens: [Int]
    /// Each step's bytes in the response (step i ≥ 1 starts at the "\n" joining it to step i − 1).
    public var bytes: [Range<Int>]

    public init(id: String, label: Int, reward: [Double], logprob: [Double], tokens: [Int], bytes: [Range<Int>]) {
        self.id = id
        self.label = label
        self.reward = reward
        self.logprob = logprob
        self.tokens = tokens
        self.bytes = bytes
    }

    /// Steps before the first error are correct; the first wrong step and every later one are wrong.
    public func isCorrect(_ step: Int) -> Bool { label < 0 || step < label }
}

/// The step scores the analysis compares: the step reward and, as the likelihood baseline,
/// the step log-likelihood.
public enum StepScore: String, CaseIterable, Sendable {
    case reward, logprob

    func values(_ s: StepSolution) -> [Double] { self == .reward ? s.reward : s.logprob }
}

public enum StepAnalyses {
    /// Scores every solution with `scorer` and sums its tokens' rewards and log-probabilities per
    /// step, left to right in token order (so a step's sum is the same Double sum that
    /// `softq extract` forms over the whole response, restricted to the step's tokens).
    public static func score(_ prepared: [PreparedSteps], scorer: PairScorer, progress: ((Int, Int) -> Void)? = nil) throws -> [StepSolution] {
        let scored = try scorer.scoreSingles(prepared.map(\.single), progress: progress)
        return zip(prepared, scored).map { p, s in
            let sc = s.response.scores
            let n = p.record.steps.count
            var reward = [Double](repeating: 0, count: n), logprob = reward
            var tokens = [Int](repeating: 0, count: n)
            for (k, step) in p.stepOfToken.enumerated() {
                reward[step] += sc.reward[k]
                logprob[step] += sc.logprob[k]
                tokens[step] += 1
            }
            return StepSolution(id: p.record.id, label: p.record.label, reward: reward, logprob: logprob, tokens: tokens, bytes: p.stepBytes)
        }
    }
}

/// AUROC of one step score over some solutions' steps, correct steps the positive class.
/// NaN when a class is empty (a resample, or a position without wrong steps).
func stepAUROC(_ solutions: [StepSolution], _ idx: [Int], _ score: StepScore, position: Int? = nil) -> Double {
    var pos: [Double] = [], neg: [Double] = []
    for i in idx {
        let s = solutions[i], v = score.values(s)
        for k in v.indices where position == nil || k == position {
            if s.isCorrect(k) { pos.append(v[k]) } else { neg.append(v[k]) }
        }
    }
    guard !pos.isEmpty, !neg.isEmpty else { return .nan }
    return (try? auroc(positive: pos, negative: neg)) ?? .nan  // scores are finite sums of finite rewards
}

/// AUROC of the steps at one position (0, 1, …).
public struct PositionAUROC: Sendable {
    public var position: Int
    public var correct: Int
    public var wrong: Int
    public var auroc: Double
    public var ci: ConfidenceInterval?
}

/// Everything the analysis reports for one step score.
public struct StepScoreResult: Sendable {
    public var score: StepScore
    public var auroc: Double
    public var aurocCI: ConfidenceInterval?
    public var byPosition: [PositionAUROC]
    public var validationAUROC: Double
    /// τ chosen on the validation solutions, with its validation scores.
    public var threshold: FirstErrorThreshold
    /// τ applied to the input solutions.
    public var firstError: FirstErrorScores
    public var f1CI: ConfidenceInterval?
    public var predicted: [Int]
}

/// Step AUROC (overall and by position, bootstrap over input solutions), and ProcessBench
/// first-error localisation with τ chosen on `validation` and applied to `input` (bootstrap of
/// F1 over input solutions, τ held fixed), for each step score.
public func stepAnalysis(input: [StepSolution], validation: [StepSolution], seed: UInt64, resamples: Int) throws -> [StepScoreResult] {
    guard !input.isEmpty else { throw AnalysisError.notEnoughData(what: "step analysis input", needed: 1, actual: 0) }
    // Sums of finite rewards are finite; a non-finite one would make every statistic meaningless.
    for s in input + validation {
        for (k, v) in zip(s.reward, s.logprob).enumerated() where !v.0.isFinite || !v.1.isFinite {
            throw AnalysisError.invalidValue(name: "step \(k) of '\(s.id)' (reward, log-probability)", value: v.0.isFinite ? v.1 : v.0,
                                             rule: "must be finite")
        }
    }
    let all = Array(input.indices)
    let maxSteps = input.map(\.reward.count).max() ?? 0
    return try StepScore.allCases.enumerated().map { si, score in
        let a = stepAUROC(input, all, score)
        let ci = Stats.bootstrapCI(n: input.count, seed: subSeed(seed, 17, UInt64(si), 0), resamples: resamples) {
            stepAUROC(input, $0, score)
        }
        let positions = (0..<maxSteps).map { k -> PositionAUROC in
            var c = 0, w = 0
            for s in input where k < s.reward.count { if s.isCorrect(k) { c += 1 } else { w += 1 } }
            return PositionAUROC(position: k, correct: c, wrong: w, auroc: stepAUROC(input, all, score, position: k),
                                 ci: Stats.bootstrapCI(n: input.count, seed: subSeed(seed, 17, UInt64(si), 1, UInt64(k)), resamples: resamples) {
                                     stepAUROC(input, $0, score, position: k)
                                 })
        }
        let tau = try FirstErrorThreshold(stepScores: validation.map(score.values), labels: validation.map(\.label))
        let predicted = input.map { firstStepBelow(score.values($0), threshold: tau.threshold) }
        let labels = input.map(\.label)
        let fe = try FirstErrorScores(predicted: predicted, labels: labels)
        let f1CI = Stats.bootstrapCI(n: input.count, seed: subSeed(seed, 17, UInt64(si), 2), resamples: resamples) { idx in
            (try? FirstErrorScores(predicted: idx.map { predicted[$0] }, labels: idx.map { labels[$0] }).f1) ?? .nan
        }
        return StepScoreResult(score: score, auroc: a, aurocCI: ci, byPosition: positions,
                               validationAUROC: stepAUROC(validation, Array(validation.indices), score),
                               threshold: tau, firstError: fe, f1CI: f1CI, predicted: predicted)
    }
}

/// A threshold in JSON: a number, or "-inf" / "inf" for the two end candidates.
func thresholdJSON(_ t: Double) -> JSONValue {
    t.isFinite ? .double(t) : .string(t < 0 ? "-inf" : "inf")
}

/// steps.json (a block per step score), steps_rows.{jsonl,csv} (one row per input step) and
/// steps_solutions.{jsonl,csv} (one row per input solution with its predicted first errors).
public func stepsFiles(_ results: [StepScoreResult], input: [StepSolution], validation: [StepSolution],
                       options: JSONValue, provenance: JSONValue) -> AnalysisFiles {
    func counts(_ s: [StepSolution]) -> [(String, JSONValue)] {
        let steps = s.reduce(0) { $0 + $1.reward.count }
        let correctSteps = s.reduce(0) { acc, x in acc + x.reward.indices.filter(x.isCorrect).count }
        return [("n_solutions", .int(s.count)), ("n_erroneous", .int(s.filter { $0.label >= 0 }.count)),
                ("n_correct_solutions", .int(s.filter { $0.label < 0 }.count)), ("n_steps", .int(steps)),
                ("n_correct_steps", .int(correctSteps)), ("n_wrong_steps", .int(steps - correctSteps))]
    }
    func block(_ r: StepScoreResult) -> JSONValue {
        .object([
            ("auroc", AnalysisJSON.number(r.auroc)), ("auroc_ci95", AnalysisJSON.interval(r.aurocCI)),
            ("auroc_by_position", .array(r.byPosition.map { p in
                .object([("position", .int(p.position)), ("n_correct", .int(p.correct)), ("n_wrong", .int(p.wrong)),
                         ("auroc", AnalysisJSON.number(p.auroc)), ("auroc_ci95", AnalysisJSON.interval(p.ci))])
            })),
            ("validation_auroc", AnalysisJSON.number(r.validationAUROC)),
            ("threshold", thresholdJSON(r.threshold.threshold)), ("threshold_candidates", .int(r.threshold.candidates)),
            ("validation_accuracy_erroneous", AnalysisJSON.number(r.threshold.scores.accuracyErroneous)),
            ("validation_accuracy_correct", AnalysisJSON.number(r.threshold.scores.accuracyCorrect)),
            ("validation_f1", AnalysisJSON.number(r.threshold.scores.f1)),
            ("accuracy_erroneous", AnalysisJSON.number(r.firstError.accuracyErroneous)),
            ("accuracy_correct", AnalysisJSON.number(r.firstError.accuracyCorrect)),
            ("f1", AnalysisJSON.number(r.firstError.f1)), ("f1_ci95", AnalysisJSON.interval(r.f1CI)),
        ])
    }
    let json = JSONValue.object(header("steps") + counts(input) + [
        ("positive_class", .string("correct steps (before the first error)")),
        ("step_attribution", .string("a token belongs to the step holding its first byte; the \"\\n\" joining steps i-1 and i belongs to step i; the appended EOS token belongs to the last step")),
    ] + results.map { ($0.score.rawValue, block($0)) } + [
        ("validation", .object(counts(validation))),
        ("options", options), ("provenance", provenance),
    ])
    var rows = AnalysisTable(columns: ["id", "step", "label", "correct", "tokens", "reward", "logprob", "first_byte", "last_byte"])
    for s in input {
        for k in s.reward.indices {
            rows.append([.string(s.id), .int(k), .int(s.label), .bool(s.isCorrect(k)), .int(s.tokens[k]), .double(s.reward[k]),
                         .double(s.logprob[k]), .int(s.bytes[k].lowerBound), .int(s.bytes[k].upperBound - 1)])
        }
    }
    let preds = Dictionary(uniqueKeysWithValues: results.map { ($0.score, $0.predicted) })
    var sols = AnalysisTable(columns: ["id", "label", "steps", "pred_reward", "pred_logprob"])
    for (i, s) in input.enumerated() {
        sols.append([.string(s.id), .int(s.label), .int(s.reward.count), .int(preds[.reward]?[i] ?? -1), .int(preds[.logprob]?[i] ?? -1)])
    }
    return AnalysisFiles(name: "steps", summary: json, tables: [("rows", rows), ("solutions", sols)])
}
