import SoftQBase

/// Replaces the chosen response's last round(strength · words) words (never all of them) by
/// the rejected response's last round(strength · words) words: the head is the chosen text
/// up to and including the gap before the cut, the tail ends exactly as the rejected text ends.
public struct RejectedTailSwap: Perturbation {
    public init() {}
    public let name = "swap_rejected_tail"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "replace the final strength of the words by the rejected response's final segment"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text, let rejected = context.rejected?.text else { return nil }
        let chosen = WordPieces(text), other = WordPieces(rejected)
        guard chosen.words.count >= 2, !other.words.isEmpty else { return nil }
        let cut = min(scaledCount(strength, of: chosen.words.count), chosen.words.count - 1)
        let take = scaledCount(strength, of: other.words.count)
        let head = Array(chosen.words[0..<(chosen.words.count - cut)])
        let tail = Array(other.words[(other.words.count - take)...])
        var words = head
        if words[words.count - 1].gap.isEmpty { words[words.count - 1].gap = " " }
        words += tail
        let out = WordPieces(lead: chosen.lead, words: words).text
        return out == text ? nil : ResponseInput(text: out)
    }
}
