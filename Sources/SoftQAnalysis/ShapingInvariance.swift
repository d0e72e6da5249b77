import SoftQBase
import SoftQRewards

/// The shaping-invariance demonstration (docs/spec/conventions.md, identities 1 and 2), as numbers.
///
/// Every logit at position i gets the same random offset c(s_i) ~ scale·N(0, 1), where c is a
/// function of the *state* (seeded by a hash of the prompt ids and the response prefix), so the
/// prompt state, shared by a pair's two responses, gets one offset. Then:
/// - every log π is unchanged (up to rounding): `maxLogprobChange`;
/// - each reward moves by exactly α·(c(s_{j−1}) − γ·c′(s_j)) (c′ = 0 after a terminal token):
///   `meanRewardChange` is how far they move, `maxShapingResidual` how exactly they follow;
/// - with γ = 1 and terminal responses the sum telescopes to α·c(s_{p−1}), shared by both
///   responses, so no pair's margin or decision changes (`terminal` block); without a terminal
///   state (terminal mode `never`) the last offsets differ and decisions can flip (`bootstrapped`);
/// - identity 1: with γ = 1 and a terminal response, sum = α·logprob_sum + prompt_value
///   (`maxIdentityResidual`, before and after shaping).
public struct ShapingReport: Sendable {
    public struct Block: Sendable {
        public var gamma: Double
        public var terminal: TerminalMode
        public var pairs: Int
        public var maxMarginChange: Double
        public var decisionsChanged: Int

        public var json: JSONValue {
            .object([("gamma", .double(gamma)), ("terminal", .string(terminal.rawValue)), ("pairs", .int(pairs)),
                     ("max_abs_margin_change", AnalysisJSON.number(maxMarginChange)),
                     ("decisions_changed", .int(decisionsChanged))])
        }
    }
    public var offsetScale: Double
    public var responses: Int
    public var tokens: Int
    public var maxLogprobChange: Double
    public var meanRewardChange: Double
    public var maxShapingResidual: Double
    public var maxIdentityResidual: Double
    /// γ = 1 under the `always` terminal mode (the terminal case), then `never`, then each γ < 1.
    public var blocks: [Block]

    public var json: JSONValue {
        .object([("offset_scale", .double(offsetScale)), ("responses", .int(responses)), ("tokens", .int(tokens)),
                 ("max_abs_logprob_change", AnalysisJSON.number(maxLogprobChange)),
                 ("mean_abs_reward_change", AnalysisJSON.number(meanRewardChange)),
                 ("max_shaping_identity_residual", AnalysisJSON.number(maxShapingResidual)),
                 ("max_gamma1_identity_residual", AnalysisJSON.number(maxIdentityResidual)),
                 ("conditions", .array(blocks.map(\.json)))])
    }
}

/// The state offsets c(s_{p−1+k}), k = 0…m, of one response: a pure function of the state.
func stateOffsets(promptIDs: [Int], responseIDs: [Int], scale: Double, seed: UInt64) -> [Double] {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ id: Int) { h = (h ^ UInt64(bitPattern: Int64(id))) &* 0x100_0000_01b3; h = (h ^ 0xff) &* 0x100_0000_01b3 }
    func offset() -> Double { var g = SeededGenerator(seed: seed ^ h); return scale * g.nextGaussian() }
    for id in promptIDs { mix(id) }
    var out = [offset()]
    for id in responseIDs { mix(id); out.append(offset()) }
    return out
}

/// The response with every logit at position p−1+k shifted by `offsets[k]`.
func shifted(_ r: RawResponse, by offsets: [Double]) -> RawResponse {
    var s = r
    for k in 0..<r.tokenLogits.count { s.tokenLogits[k] += offsets[k] }
    for k in 0..<r.logsumexp.count { s.logsumexp[k] += offsets[k] }
    return s
}

public func shapingInvariance(_ pairs: [RawPair], alpha: Double = 1, gammas: [Double] = [0.9], scale: Double = 1,
                              seed: UInt64) throws -> ShapingReport {
    guard !pairs.isEmpty else { throw AnalysisError.notEnoughData(what: "shaping demonstration", needed: 1, actual: 0) }
    guard scale.isFinite, scale >= 0 else { throw AnalysisError.invalidValue(name: "offset scale", value: scale, rule: "must be ≥ 0") }
    var maxLP = 0.0, sumAbsDR = 0.0, maxRes = 0.0, maxId = 0.0, tokens = 0
    let base = RewardOptions(alpha: alpha, gamma: 1, terminal: .always)
    var shiftedPairs: [RawPair] = []
    for p in pairs {
        var sp = p
        for side in 0..<2 {
            let r = side == 0 ? p.chosen : p.rejected
            let c = stateOffsets(promptIDs: p.promptIDs, responseIDs: r.tokenIDs, scale: scale, seed: seed)
            let s = shifted(r, by: c)
            if side == 0 { sp.chosen = s } else { sp.rejected = s }
            let a = try r.scores(base), b = try s.scores(base)
            let m = a.tokens
            tokens += m
            for k in 0..<m {
                maxLP = max(maxLP, abs(a.logprob[k] - b.logprob[k]))
                let dr = b.reward[k] - a.reward[k]
                sumAbsDR += abs(dr)
                let next = k == m - 1 ? 0 : c[k + 1]          // terminal: c′ = 0
                maxRes = max(maxRes, abs(dr - alpha * (c[k] - next)))
            }
            for sc in [a, b] {
                maxId = max(maxId, abs(sc.aggregates.sum - (alpha * sc.aggregates.logprobSum + sc.promptValue)))
            }
        }
        shiftedPairs.append(sp)
    }
    var blocks: [ShapingReport.Block] = []
    let conditions = [(1.0, TerminalMode.always), (1.0, TerminalMode.never)] + gammas.filter { $0 != 1 }.map { ($0, TerminalMode.always) }
    for (g, t) in conditions {
        let v = ConventionVariant(gamma: g, terminal: t, aggregate: .sum)
        let before = try margins(pairs, variant: v, alpha: alpha)
        let after = try margins(shiftedPairs, variant: v, alpha: alpha)
        blocks.append(.init(gamma: g, terminal: t, pairs: pairs.count,
                            maxMarginChange: zip(before, after).map { abs($0 - $1) }.max() ?? 0,
                            decisionsChanged: zip(before, after).filter { ($0 > 0) != ($1 > 0) }.count))
    }
    return ShapingReport(offsetScale: scale, responses: 2 * pairs.count, tokens: tokens, maxLogprobChange: maxLP,
                         meanRewardChange: sumAbsDR / Double(max(tokens, 1)), maxShapingResidual: maxRes,
                         maxIdentityResidual: maxId, blocks: blocks)
}
