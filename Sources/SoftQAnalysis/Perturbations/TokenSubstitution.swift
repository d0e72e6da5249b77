import SoftQBase

/// Replaces round(strength · m) distinct response positions (at least one) by ids drawn
/// uniformly from the vocabulary minus the special ids and minus the id being replaced.
public struct TokenSubstitution: Perturbation {
    public init() {}
    public let name = "substitute_tokens"
    public let defaultStrengths = [0.05, 0.1, 0.25]
    public let summary = "replace strength · (number of tokens) random tokens by random non-special vocabulary ids"

    public func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
                      rng: inout SeededGenerator) -> ResponseInput? {
        guard var ids = input.ids, !ids.isEmpty else { return nil }
        let allowed = context.vocabularySize - context.specialIDs.filter { $0 >= 0 && $0 < context.vocabularySize }.count
        guard allowed >= 2 else { return nil }
        let k = scaledCount(strength, of: ids.count)
        // A partial Fisher–Yates draws k distinct positions.
        var positions = Array(0..<ids.count)
        for i in 0..<k { positions.swapAt(i, i + rng.nextInt(below: ids.count - i)) }
        for p in positions[0..<k].sorted() {
            var id: Int
            repeat { id = rng.nextInt(below: context.vocabularySize) }
            while id == ids[p] || context.specialIDs.contains(id)
            ids[p] = id
        }
        return ResponseInput(ids: ids)
    }
}
