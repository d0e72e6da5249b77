import SoftQBase

/// Shuffles the token ids inside one window of max(2, round(strength · m)) consecutive
/// response tokens into a non-identity order; tokens outside the window are untouched.
public struct TokenShuffle: Perturbation {
    public init() {}
    public let name = "shuffle_tokens"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "reorder the tokens of a random window of strength · (number of tokens) tokens"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard var ids = input.ids, ids.count >= 2 else { return nil }
        let w = max(2, scaledCount(strength, of: ids.count))
        let start = rng.nextInt(below: ids.count - w + 1)
        let window = Array(ids[start..<(start + w)])
        // Repeated ids can make a non-identity permutation leave the window as it was: redraw
        // a few times, then give up (a window of one repeated id cannot change).
        for _ in 0..<8 {
            let perm = nonIdentityPermutation(w, rng: &rng)
            for i in 0..<w { ids[start + i] = window[perm[i]] }
            if ids != input.ids { return ResponseInput(ids: ids) }
        }
        return nil
    }
}
