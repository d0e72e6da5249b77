/// Token string → id, compared byte for byte: Swift's `String` equality is canonical
/// equivalence ("é" U+00E9 == "e" U+0301), under which a `[String: Int]` would make two distinct
/// SentencePiece pieces one key and find "é" where Hugging Face (comparing bytes) finds nothing.
///
/// An open-addressing table over the UTF-8 bytes (FNV-1a, linear probing, load ≤ 1/2): a
/// Gemma-sized file asks it 1.5 million questions while the merges are resolved, and `Hasher`
/// plus `Dictionary` made that most of the load time. `id(concatenating:_:)` looks up `a + b`
/// without building the string.
struct Vocabulary: Sendable {
    /// Token strings by id ("" where no token has the id).
    let tokens: [String]
    private let keys: [String]
    private let ids: [Int32]
    /// Entry index + 1 per slot (0 = empty).
    private let slots: [Int32]
    private let mask: Int

    var count: Int { keys.count }

    /// `entries` in file order; a later entry with the same bytes replaces an earlier one.
    /// `path(token)` names an entry in errors.
    init(_ entries: [(String, Int)], path: (String) -> String) throws {
        var size = 0
        for (t, i) in entries {
            guard i >= 0, i < Int(Int32.max) else {
                throw TokenizerError.invalidField(path: path(t), expected: "a non-negative id", actual: "\(i)")
            }
            size = max(size, i + 1)
        }
        var tokens = [String](repeating: "", count: size)
        var capacity = 16
        while capacity < 2 * entries.count { capacity <<= 1 }
        var slots = [Int32](repeating: 0, count: capacity)
        var keys: [String] = [], ids: [Int32] = []
        keys.reserveCapacity(entries.count)
        ids.reserveCapacity(entries.count)
        let mask = capacity - 1
        for (t, i) in entries {
            tokens[i] = t
            var probe = Vocabulary.slot(Vocabulary.hash(t), mask)
            while true {
                let k = Int(slots[probe]) - 1
                if k < 0 {
                    slots[probe] = Int32(keys.count + 1)
                    keys.append(t)
                    ids.append(Int32(i))
                    break
                }
                if Vocabulary.same(keys[k], t) { ids[k] = Int32(i); break }
                probe = (probe + 1) & mask
            }
        }
        self.tokens = tokens
        self.keys = keys
        self.ids = ids
        self.slots = slots
        self.mask = mask
    }

    subscript(_ token: String) -> Int? {
        var t = token
        return t.withUTF8 { id(bytes: $0) }
    }

    /// The id of the piece whose UTF-8 is `bytes`.
    func id(bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        id(concatenating: bytes, UnsafeBufferPointer(start: nil, count: 0))
    }

    /// The id of `a + b` (bytes of a, then of b).
    func id(concatenating a: String, _ b: String) -> Int? {
        var x = a, y = b
        return x.withUTF8 { p in y.withUTF8 { q in id(concatenating: p, q) } }
    }

    /// The id of the piece whose UTF-8 is `bytes`, given `hash` = `Vocabulary.hash(bytes)`
    /// (callers extending a byte range one byte at a time keep the hash running).
    func id(bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int? {
        lookup(hash) { Vocabulary.isConcatenation($0, bytes, UnsafeBufferPointer(start: nil, count: 0)) }
    }

    /// The id of the piece whose UTF-8 is the bytes of `a` followed by those of `b`
    /// (`hashOfFirst`: `Vocabulary.hash(a)` when the caller has it).
    func id(concatenating a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, hashOfFirst: UInt64? = nil) -> Int? {
        lookup(Vocabulary.hash(b, seed: hashOfFirst ?? Vocabulary.hash(a))) { Vocabulary.isConcatenation($0, a, b) }
    }

    private func lookup(_ hash: UInt64, matches: (String) -> Bool) -> Int? {
        var probe = Vocabulary.slot(hash, mask)
        while true {
            let k = Int(slots[probe]) - 1
            if k < 0 { return nil }
            if matches(keys[k]) { return Int(ids[k]) }
            probe = (probe + 1) & mask
        }
    }

    // MARK: bytes

    private static let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The hash of no bytes, to continue with `hash(_:seed:)` one byte at a time.
    static let startHash = fnvOffset

    /// FNV-1a over the UTF-8 bytes, continuing from `seed` (so hash(b, seed: hash(a)) = hash(a + b)).
    static func hash(_ s: String, seed: UInt64 = fnvOffset) -> UInt64 {
        var t = s
        return t.withUTF8 { hash($0, seed: seed) }
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64 = fnvOffset) -> UInt64 {
        var h = seed
        for b in bytes { h = hash(b, seed: h) }
        return h
    }

    @inline(__always)
    static func hash(_ byte: UInt8, seed: UInt64) -> UInt64 { (seed ^ UInt64(byte)) &* 0x100_0000_01b3 }

    @inline(__always)
    private static func slot(_ h: UInt64, _ mask: Int) -> Int {
        // FNV's low bits mix poorly; fold and multiply before masking.
        Int(truncatingIfNeeded: ((h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9) >> 17) & mask
    }

    private static func same(_ x: String, _ y: String) -> Bool {
        guard x.utf8.count == y.utf8.count else { return false }  // O(1) for native strings
        var a = x, b = y
        return a.withUTF8 { p in b.withUTF8 { q in p.elementsEqual(q) } }
    }

    private static func isConcatenation(_ whole: String, _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard whole.utf8.count == a.count + b.count else { return false }  // O(1) for native strings
        var w = whole
        return w.withUTF8 { p in p[..<a.count].elementsEqual(a) && p[a.count...].elementsEqual(b) }
    }
}
