import SoftQBase

/// Cuts the response short: keeps the longest run of whole words whose characters fit in
/// (1 − strength) of the original length (at least one word), dropping the rest and the
/// whitespace after the last kept word. Deterministic: it draws nothing from `rng`.
public struct Truncation: Perturbation {
    public init() {}
    public let name = "truncate"
    public let defaultStrengths = [0.25, 0.5, 0.75]
    public let summary = "keep the first (1 − strength) of the characters, cut back to a word boundary"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        let pieces = WordPieces(text)
        guard pieces.words.count >= 2 else { return nil }
        let budget = Double(text.count) * (1 - strength)
        var kept = 1
        var length = pieces.lead.count + pieces.words[0].word.count
        while kept < pieces.words.count {
            let next = length + pieces.words[kept - 1].gap.count + pieces.words[kept].word.count
            if Double(next) > budget { break }
            length = next
            kept += 1
        }
        guard kept < pieces.words.count else { return nil }
        var words = Array(pieces.words[0..<kept])
        words[kept - 1].gap = ""
        return ResponseInput(text: WordPieces(lead: pieces.lead, words: words).text)
    }
}
