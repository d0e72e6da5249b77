import SoftQBase

/// Deletes one contiguous span of round(strength · words) words (at least one, never all) at a
/// random position, together with the whitespace after each deleted word.
public struct SpanDrop: Perturbation {
    public init() {}
    public let name = "drop_span"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "delete a random contiguous span of strength · (number of words) words"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        var pieces = WordPieces(text)
        let n = pieces.words.count
        guard n >= 2 else { return nil }
        let k = min(scaledCount(strength, of: n), n - 1)
        let start = rng.nextInt(below: n - k + 1)
        if start + k == n {
            // Dropping the tail: the new last word keeps no trailing whitespace of its own,
            // so the text ends the way the original did.
            pieces.words[start - 1].gap = pieces.words[n - 1].gap
        }
        pieces.words.removeSubrange(start..<(start + k))
        return ResponseInput(text: pieces.text)
    }
}
