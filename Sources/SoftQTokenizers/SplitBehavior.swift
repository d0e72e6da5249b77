/// What a `Split` pre-tokenizer does with the pattern's matches (tokenizers'
/// `SplitDelimiterBehavior`): with "a▁▁b" split on "▁", Removed gives a|b, Isolated a|▁|▁|b,
/// MergedWithPrevious a▁|▁|b, MergedWithNext a|▁|▁b, Contiguous a|▁▁|b.
enum SplitBehavior: Sendable {
    case removed, isolated, mergedWithPrevious, mergedWithNext, contiguous

    /// The names tokenizer.json uses, in HF's order.
    static let names: [(String, SplitBehavior)] = [
        ("Removed", .removed), ("Isolated", .isolated), ("MergedWithPrevious", .mergedWithPrevious),
        ("MergedWithNext", .mergedWithNext), ("Contiguous", .contiguous)]

    init?(name: String) {
        guard let b = SplitBehavior.names.first(where: { $0.0 == name })?.1 else { return nil }
        self = b
    }

    /// Appends the pieces of `range` given the pattern's matches inside it (ascending, disjoint).
    /// The range is first cut into alternating gaps and matches; a match then joins the piece
    /// before it (MergedWithPrevious) or after it (MergedWithNext) unless that piece is itself a
    /// match; Contiguous joins runs of the same kind. Empty pieces are dropped, as in HF.
    func split(_ range: Range<Int>, matches: [Range<Int>], into out: inout [Range<Int>]) {
        var parts: [(range: Range<Int>, isMatch: Bool)] = []
        parts.reserveCapacity(2 * matches.count + 1)
        var at = range.lowerBound
        for m in matches {
            if m.lowerBound > at { parts.append((at..<m.lowerBound, false)) }
            parts.append((m, true))
            at = m.upperBound
        }
        if at < range.upperBound { parts.append((at..<range.upperBound, false)) }

        var pieces: [Range<Int>] = []
        switch self {
        case .removed:
            pieces = parts.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            pieces = parts.map(\.range)
        case .contiguous, .mergedWithPrevious:
            var previousMatch = false
            for p in parts {
                let joins = self == .contiguous ? p.isMatch == previousMatch : (p.isMatch && !previousMatch)
                if joins, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<p.range.upperBound
                } else {
                    pieces.append(p.range)
                }
                previousMatch = p.isMatch
            }
        case .mergedWithNext:
            // The mirror image of MergedWithPrevious: walk from the end.
            var previousMatch = false
            for p in parts.reversed() {
                if p.isMatch && !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = p.range.lowerBound..<last.upperBound
                } else {
                    pieces.append(p.range)
                }
                previousMatch = p.isMatch
            }
            pieces.reverse()
        }
        for p in pieces where !p.isEmpty { out.append(p) }
    }
}
