import SoftQBase

/// Token string → id, compared byte for byte (`ExactString`). Swift's `String` equality is
/// canonical equivalence ("é" U+00E9 == "e" U+0301), so a `[String: Int]` would make two
/// distinct SentencePiece pieces one key and find "é" where Hugging Face (comparing bytes)
/// finds nothing.
struct Vocabulary: Sendable {
    private(set) var table: [ExactString: Int] = [:]

    init() {}

    var count: Int { table.count }

    mutating func reserveCapacity(_ n: Int) { table.reserveCapacity(n) }

    subscript(_ token: String) -> Int? {
        get { table[ExactString(token)] }
        set { table[ExactString(token)] = newValue }
    }

    /// (token, id) pairs in no particular order.
    var entries: some Sequence<(String, Int)> { table.lazy.map { ($0.key.text, $0.value) } }
}
