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
        let part = try records(pairs, saved: saved, progress: progress)
        return (try RobustnessAnalysis.analyze(part, RobustnessAnalysis.Parameters(typeOrder: selections.map(\.perturbation.name),
                                                                                 seed: seed, resamples: resamples,
                                                                                 aggregate: scorer.options.aggregate.rawValue)),
                part.instances)
    }

    /// The scored copies of `pairs` and the copies that did not apply. `firstPairIndex`: the
    /// position of `pairs[0]` in the whole input (a shard's slice), so that each copy is drawn
    /// from its pair's stream and reported under its pair's index as in the single-process run.
    public func records(_ pairs: [PreparedPair], firstPairIndex: Int = 0, saved: RunProgress? = nil,
                        progress: ((Int, Int) -> Void)? = nil) throws -> RobustnessPart {
        var inputs: [ResponseInput] = [], contexts: [PerturbationContext] = [], endTokens: [Int?] = []
        for p in pairs {
            let texts = ScoringBridge.texts(p.record)
            let c = ScoringBridge.content(p.chosen), r = ScoringBridge.content(p.rejected)
            inputs.append(ResponseInput(text: texts?.chosen, ids: c.ids))
            endTokens.append(c.eos)
            contexts.append(PerturbationContext(rejected: ResponseInput(text: texts?.rejected, ids: r.ids),
                                                vocabularySize: tokenization.vocabularySize, specialIDs: specialIDs))
        }
        let (planned, skippedPlans) = try planPerturbations(chosen: inputs, contexts: contexts, selections: selections, seed: seed,
                                                                firstIndex: firstPairIndex)

        var skipped = skippedPlans
        // Each pair's original, then its copies that tokenize within the context: the records of
        // one prompt are adjacent, so the scorer runs that prompt once for all of them.
        var singles: [PreparedSingle] = []
        var originalAt: [Int] = [], kept: [(plan: PlannedPerturbation, at: Int)] = []
        var next = 0
        for (i, p) in pairs.enumerated() {
            // The pair's own ids, verbatim: the original scores exactly as in `softq score`.
            let rec = try ScoringBridge.idsRecord(id: p.record.id, prompt: p.prompt, response: p.chosen.ids,
                                                  line: p.record.line, file: tokenization.inputPath)
            originalAt.append(singles.count)
            singles.append(try tokenization.prepare(rec))
            while next < planned.count, planned[next].pairIndex == firstPairIndex + i {
                let plan = planned[next]
                next += 1
                let id = "\(p.record.id)#\(plan.type)@\(plan.strength)"
                do {
                    let rec: ResponseRecord
                    if let text = plan.perturbed.text, let prompt = ScoringBridge.texts(p.record)?.prompt {
                        rec = try ScoringBridge.textRecord(id: id, prompt: prompt, response: text, line: p.record.line,
                                                           file: tokenization.inputPath)
                    } else if let ids = plan.perturbed.ids {
                        rec = try ScoringBridge.idsRecord(id: id, prompt: p.prompt, response: ids + [endTokens[i]].compactMap { $0 },
                                                          line: p.record.line, file: tokenization.inputPath)
                    } else {
                        throw InputError(file: tokenization.inputPath, line: p.record.line, message: "perturbation produced nothing to score")
                    }
                    singles.append(try tokenization.prepare(rec))
                    kept.append((plan, singles.count - 1))
                } catch is InputError {
                    // Too long for the context after the perturbation: counted like a copy that does not apply.
                    skipped[plan.type, default: [:]][plan.strength, default: 0] += 1
                }
            }
        }
        let scored = try ResumableScoring.scoreSingles(singles, scorer: scorer, progress: saved, report: progress)
        let aggregate = scorer.options.aggregate
        var instances: [RobustnessInstance] = []
        for (plan, at) in kept {
            let orig = scored[originalAt[plan.pairIndex - firstPairIndex]].response.scores, pert = scored[at].response.scores
            let o = PerturbationOutcome(pairIndex: plan.pairIndex, type: plan.type, strength: plan.strength,
                                        original: ScoringBridge.value(orig, aggregate), perturbed: ScoringBridge.value(pert, aggregate))
            instances.append(RobustnessInstance(outcome: o, pairID: pairs[plan.pairIndex - firstPairIndex].record.id, originalTokens: orig.tokens,
                                                perturbedTokens: pert.tokens, perturbedText: plan.perturbed.text))
        }
        return RobustnessPart(pairs: pairs.count, instances: instances, skipped: skipped)
    }
}
