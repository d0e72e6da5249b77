import SoftQBase

/// Adds one extra whitespace character (space, tab or a second copy of the gap's first
/// character) inside round(strength · gaps) of the gaps between words. Only whitespace
/// changes: deleting every whitespace character gives the original back.
public struct WhitespaceNoise: Perturbation {
    public init() {}
    public let name = "whitespace_noise"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "widen strength · (number of word gaps) gaps by one extra whitespace character"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        var pieces = WordPieces(text)
        let gaps = pieces.words.count - 1
        guard gaps >= 1 else { return nil }
        let k = scaledCount(strength, of: gaps)
        var slots = Array(0..<gaps)
        for i in 0..<k { slots.swapAt(i, i + rng.nextInt(below: gaps - i)) }
        for g in slots[0..<k].sorted() {
            let gap = pieces.words[g].gap
            let extra: String
            switch rng.nextInt(below: 3) {
            case 0: extra = " "
            case 1: extra = "\t"
            default: extra = String(gap.first ?? " ")
            }
            pieces.words[g].gap = extra + gap
        }
        return ResponseInput(text: pieces.text)
    }
}
