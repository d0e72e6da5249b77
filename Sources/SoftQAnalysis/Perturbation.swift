import SoftQBase

/// A response as a perturbation sees it: its text, its token ids, or both.
///
/// Textual perturbations read and write `text` and return `ids == nil` (the caller
/// re-tokenizes); token-level ones read and write `ids` and return `text == nil` (the ids are
/// then scored verbatim). `ids` never include an EOS the scorer appends.
public struct ResponseInput: Equatable, Sendable {
    public var text: String?
    public var ids: [Int]?

    public init(text: String? = nil, ids: [Int]? = nil) {
        self.text = text
        self.ids = ids
    }
}

/// What a perturbation may need beyond the response itself.
public struct PerturbationContext: Sendable {
    /// The pair's rejected response (for `swap_rejected_tail`).
    public var rejected: ResponseInput?
    /// Vocabulary size, for token substitution (ids are drawn from 0..<vocabularySize).
    public var vocabularySize: Int
    /// Ids never drawn as substitutes (BOS, EOS, padding, other special tokens).
    public var specialIDs: Set<Int>

    public init(rejected: ResponseInput? = nil, vocabularySize: Int = 0, specialIDs: Set<Int> = []) {
        self.rejected = rejected
        self.vocabularySize = vocabularySize
        self.specialIDs = specialIDs
    }
}

/// One kind of perturbation: a pure function of (response, strength, context, random stream).
///
/// `strength` is the perturbation's size in (0, 1] — the fraction of the response touched —
/// so that "how the reward drop depends on size" reads the same for every type. `apply`
/// returns nil when the perturbation does not apply (response too short, no text for a
/// textual type, result identical to the input); such cases are counted, never scored.
/// Given the same inputs and generator state, `apply` returns the same result.
public protocol Perturbation: Sendable {
    /// The stable name used on the command line and in output files.
    var name: String { get }
    /// Default strengths, ascending.
    var defaultStrengths: [Double] { get }
    /// One sentence for `--help` and the README.
    var summary: String { get }
    func apply(to input: ResponseInput, strength: Double, context: PerturbationContext,
               rng: inout SeededGenerator) -> ResponseInput?
}

/// Every perturbation softq knows, in report order. A new type is one file plus one line here.
public enum PerturbationRegistry {
    public static let all: [any Perturbation] = [
        Truncation(),
        SpanDrop(),
        SpanRepeat(),
        SentenceShuffle(),
        TokenShuffle(),
        TokenSubstitution(),
        IrrelevantAppend(),
        WhitespaceNoise(),
        CaseNoise(),
        RejectedTailSwap(),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func named(_ name: String) throws -> any Perturbation {
        guard let p = all.first(where: { $0.name == name }) else {
            throw AnalysisError.unknownName(kind: "perturbation", name: name, known: names)
        }
        return p
    }
}

/// How many of `count` items a strength touches: round(strength·count), at least 1.
@inline(__always)
func scaledCount(_ strength: Double, of count: Int) -> Int {
    max(1, min(count, Int((strength * Double(count)).rounded())))
}

/// A random permutation of 0..<n that is not the identity (n ≥ 2), by Fisher–Yates with
/// redraws; after a few identical draws it rotates by one, so it always terminates.
func nonIdentityPermutation(_ n: Int, rng: inout SeededGenerator) -> [Int] {
    precondition(n >= 2)
    for _ in 0..<8 {
        var p = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            p.swapAt(i, rng.nextInt(below: i + 1))
        }
        if p != Array(0..<n) { return p }
    }
    return Array(1..<n) + [0]
}
