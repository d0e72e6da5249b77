// TEMPORARY stand-in for SoftQRewards' objective (same signature), deleted once the rewards
// branch lands on main. Do not ship.
public enum TerminalMode: String, Sendable, CaseIterable { case eos, always, never }
public struct RewardOptions: Sendable, Equatable {
    public var alpha: Double, gamma: Double, terminal: TerminalMode
    public init(alpha: Double = 1, gamma: Double = 1, terminal: TerminalMode = .eos) {
        self.alpha = alpha; self.gamma = gamma; self.terminal = terminal
    }
}
public struct ObjectiveTerms: Sendable {
    public var mleSum: Double, tdSum: Double, tokens: Int
    public var dTokenLogits: [Double], dLogsumexp: [Double]
}
public func iqlearnObjective(tokenLogits: [Float], logsumexp: [Float], endsWithEOS: Bool,
                             options: RewardOptions, tdWeight: Double) throws -> ObjectiveTerms {
    let m = tokenLogits.count
    let terminal: Bool
    switch options.terminal { case .eos: terminal = endsWithEOS; case .always: terminal = true; case .never: terminal = false }
    var mle = 0.0, td = 0.0
    var dTok = [Double](repeating: 0, count: m), dLse = [Double](repeating: 0, count: m + 1)
    for k in 0..<m {
        let l = Double(tokenLogits[k])
        mle += Double(logsumexp[k]) - l
        dLse[k] += 1; dTok[k] -= 1
        let boot = (k == m - 1 && terminal) ? 0.0 : Double(logsumexp[k + 1])
        let res = l - options.gamma * boot
        td += res * res
        dTok[k] += tdWeight * 2 * res
        if !(k == m - 1 && terminal) { dLse[k + 1] -= tdWeight * 2 * res * options.gamma }
    }
    return ObjectiveTerms(mleSum: mle, tdSum: td, tokens: m, dTokenLogits: dTok, dLogsumexp: dLse)
}
