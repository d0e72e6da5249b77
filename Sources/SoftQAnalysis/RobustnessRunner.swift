import SoftQBase
import SoftQRewards
import SoftQScoring

/// Runs the robustness suite with a model: perturbs each pair's chosen response, scores the
/// original and every copy as single responses under the pair's prompt, and summarises.
public struct RobustnessRunner {
    public var tokenization: TokenizationPolicy
    public var scorer: PairScorer
    public var selections: [PerturbationSelection]
    public var seed: UInt64
    public var resamples: Int

    public init(tokenization: TokenizationPolicy, scorer: PairScorer, selections: [PerturbationSelection],
                seed: UInt64, resamples: Int) {
        self.tokenization = tokenization
        self.scorer = scorer
        self.selections = selections
        self.seed = seed
        self.resamples = resamples
    }

    /// Ids a substitution never draws: BOS and every end-of-episode id.
    var specialIDs: Set<Int> { Set(tokenization.special.eosIDs + [tokenization.bosID].compactMap { $0 }) }

    /// `saved`: resume progress (RunProgress) of the scored copies, when the run is resumable.
    public func run(_ pairs: [PreparedPair], saved: RunProgress? = nil, progress: ((Int, Int) -> Void)? = nil) throws
        -> (summary: RobustnessSummary, instances: [RobustnessInstance]) {
        var inputs: [ResponseInput] = [], contexts: [PerturbationContext] = [], endTokens: [Int?] = []
        for p in pairs {
            let texts = ScoringBridge.texts(p.record)
            let c = ScoringBridge.content(p.chosen), r = ScoringBridge.content(p.rejected)
            inputs.append(ResponseInput(text: texts?.chosen, ids: c.ids))
            endTokens.append(c.eos)
            contexts.append(PerturbationContext(rejected: ResponseInput(text: texts?.rejected, ids: r.ids),
                                                vocabularySize: tokenization.vocabularySize, specialIDs: specialIDs))
        }
        var (planned, skipped) = try planPerturbations(chosen: inputs, contexts: contexts, selections: selections, seed: seed)

        // Originals first (one per pair), then every copy that tokenizes within the context.
        var singles: [PreparedSingle] = []
        for p in pairs {
            // The pair's own ids, verbatim: the original scores exactly as in `softq score`.
            let rec = try ScoringBridge.idsRecord(id: p.record.id, prompt: p.prompt, response: p.chosen.ids,
                                                  line: p.record.line, file: tokenization.inputPath)
            singles.append(try tokenization.prepare(rec))
        }
        var kept: [PlannedPerturbation] = []
        for plan in planned {
            let p = pairs[plan.pairIndex]
            let id = "\(p.record.id)#\(plan.type)@\(plan.strength)"
            do {
                let rec: ResponseRecord
                if let text = plan.perturbed.text, let prompt = ScoringBridge.texts(p.record)?.prompt {
                    rec = try ScoringBridge.textRecord(id: id, prompt: prompt, response: text, line: p.record.line,
                                                       file: tokenization.inputPath)
                } else if let ids = plan.perturbed.ids {
                    rec = try ScoringBridge.idsRecord(id: id, prompt: p.prompt, response: ids + [endTokens[plan.pairIndex]].compactMap { $0 },
                                                      line: p.record.line, file: tokenization.inputPath)
                } else {
                    throw InputError(file: tokenization.inputPath, line: p.record.line, message: "perturbation produced nothing to score")
                }
                singles.append(try tokenization.prepare(rec))
                kept.append(plan)
            } catch is InputError {
                // Too long for the context after the perturbation: counted like a copy that does not apply.
                skipped[plan.type, default: [:]][plan.strength, default: 0] += 1
            }
        }
        planned = kept
        let scored = try ResumableScoring.scoreSingles(singles, scorer: scorer, progress: saved, report: progress)
        let aggregate = scorer.options.aggregate
        var outcomes: [PerturbationOutcome] = [], instances: [RobustnessInstance] = []
        for (k, plan) in planned.enumerated() {
            let orig = scored[plan.pairIndex].response.scores, pert = scored[pairs.count + k].response.scores
            let o = PerturbationOutcome(pairIndex: plan.pairIndex, type: plan.type, strength: plan.strength,
                                        original: ScoringBridge.value(orig, aggregate), perturbed: ScoringBridge.value(pert, aggregate))
            outcomes.append(o)
            instances.append(RobustnessInstance(outcome: o, pairID: pairs[plan.pairIndex].record.id, originalTokens: orig.tokens,
                                                perturbedTokens: pert.tokens, perturbedText: plan.perturbed.text))
        }
        let summary = summarizeRobustness(outcomes, typeOrder: selections.map(\.perturbation.name), skipped: skipped,
                                          seed: seed, resamples: resamples)
        return (summary, instances)
    }
}
