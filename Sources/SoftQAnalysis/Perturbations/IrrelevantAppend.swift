import SoftQBase

/// Appends off-topic sentences from a fixed list (seeded order) until they add at least
/// strength · (number of words) words; the original text is kept byte for byte as a prefix.
/// The separator is a newline when the response has lines, else a space.
public struct IrrelevantAppend: Perturbation {
    public init() {}
    public let name = "append_irrelevant"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "append unrelated sentences adding strength · (number of words) words"

    /// Fixed, neutral, task-unrelated sentences (written for softq).
    public static let sentences = [
        "The weather was mild for most of the week.",
        "Some rivers freeze over in winter.",
        "A good pair of shoes can last for years.",
        "Many birds migrate south in the autumn.",
        "The library opens at nine in the morning.",
        "Green tea is popular in many countries.",
        "Trains are often quieter than buses.",
        "The museum added a new wing last spring.",
        "Paper was first made from plant fibres.",
        "Some people prefer to read in the evening.",
        "The garden needs water twice a week.",
        "Mountains can create their own weather.",
    ]

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        let words = WordPieces(text).words.count
        let target = scaledCount(strength, of: max(words, 1))
        var pool = Self.sentences
        var added: [String] = []
        var addedWords = 0
        while addedWords < target {
            if pool.isEmpty { pool = Self.sentences }
            let s = pool.remove(at: rng.nextInt(below: pool.count))
            added.append(s)
            addedWords += WordPieces(s).words.count
        }
        let separator = text.contains("\n") ? "\n" : " "
        let trailing = text.last?.isWhitespace == true ? "" : separator
        return ResponseInput(text: text + trailing + added.joined(separator: separator))
    }
}
