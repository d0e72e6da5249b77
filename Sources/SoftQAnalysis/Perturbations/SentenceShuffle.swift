import SoftQBase

/// Shuffles a window of max(2, round(strength · sentences)) consecutive sentences (lines, or
/// text ending in `.`/`!`/`?`) into a non-identity order. The whitespace between sentences
/// stays where it was, so only the order of sentence bodies changes.
public struct SentenceShuffle: Perturbation {
    public init() {}
    public let name = "shuffle_sentences"
    public let defaultStrengths = [0.25, 0.5, 1.0]
    public let summary = "reorder a window of strength · (number of sentences) consecutive sentences"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        let pieces = SentencePieces(text)
        let n = pieces.sentences.count
        guard n >= 2 else { return nil }
        var bodies: [String] = [], gaps: [String] = []
        for s in pieces.sentences {
            let gap = String(s.reversed().prefix { $0.isWhitespace }.reversed())
            bodies.append(String(s.dropLast(gap.count)))
            gaps.append(gap)
        }
        let w = max(2, scaledCount(strength, of: n))
        let start = rng.nextInt(below: n - w + 1)
        let window = Array(bodies[start..<(start + w)])
        // Equal sentences can make a permutation change nothing: redraw a few times.
        var changed = false
        for _ in 0..<8 where !changed {
            let perm = nonIdentityPermutation(w, rng: &rng)
            for i in 0..<w { bodies[start + i] = window[perm[i]] }
            changed = window != Array(bodies[start..<(start + w)])
        }
        guard changed else { return nil }
        var out = pieces.lead
        for i in 0..<n { out += bodies[i] + gaps[i] }
        return ResponseInput(text: out)
    }
}
