/// Token string → id, compared byte for byte. Swift's `String` equality is canonical
/// equivalence ("é" U+00E9 == "e" U+0301), so a `[String: Int]` would make two distinct
/// SentencePiece pieces one key and find "é" where Hugging Face (comparing bytes) finds nothing.
struct Vocabulary: Sendable {
    struct Key: Hashable, Sendable {
        let text: String
        static func == (a: Key, b: Key) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
        func hash(into h: inout Hasher) {
            var t = text
            t.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private(set) var table: [Key: Int] = [:]

    init() {}

    var count: Int { table.count }

    mutating func reserveCapacity(_ n: Int) { table.reserveCapacity(n) }

    subscript(_ token: String) -> Int? {
        get { table[Key(text: token)] }
        set { table[Key(text: token)] = newValue }
    }

    /// (token, id) pairs in no particular order.
    var entries: some Sequence<(String, Int)> { table.lazy.map { ($0.key.text, $0.value) } }
}
