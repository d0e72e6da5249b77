import SoftQBase

/// Repetition: copies one contiguous span of round(strength · words) words and inserts the
/// copy right after the span (the copy's last word takes a single space before the original
/// text resumes, unless the span ended the text).
public struct SpanRepeat: Perturbation {
    public init() {}
    public let name = "repeat_span"
    public let defaultStrengths = [0.1, 0.25, 0.5]
    public let summary = "duplicate a random contiguous span of strength · (number of words) words in place"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard let text = input.text else { return nil }
        var pieces = WordPieces(text)
        let n = pieces.words.count
        guard n >= 1 else { return nil }
        let k = scaledCount(strength, of: n)
        let start = rng.nextInt(below: n - k + 1)
        let copy = Array(pieces.words[start..<(start + k)])
        if start + k == n {
            // The span ends the text: the copy ends the way the text did (it carries the last
            // word's gap), and the original last word gets a space so the two do not touch.
            pieces.words[n - 1].gap = pieces.words[n - 1].gap.isEmpty ? " " : pieces.words[n - 1].gap
        }
        pieces.words.insert(contentsOf: copy, at: start + k)
        return ResponseInput(text: pieces.text)
    }
}
