import Foundation

/// The `model` stage: byte-pair encoding with ranked merges (Sennrich et al. 2016; GPT-2's
/// byte-level variant, Radford et al. 2019).
///
/// A word starts as one symbol per character (per byte in byte-level mode); the adjacent pair
/// with the lowest merge rank, leftmost on ties, is merged until no pair has a rank — the
/// order Hugging Face's priority queue produces. With `ignore_merges` a word that is itself
/// in the vocabulary becomes that token directly (Llama-3).
struct BPEModel: Sendable {
    let vocab: Vocabulary
    /// Token strings by id (empty string for holes in the id range).
    let idToToken: [String]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: Merge]
    let ignoreMerges: Bool
    let unkID: Int?
    /// Consecutive unknown characters become one `unk` id (SentencePiece-style vocabularies).
    let fuseUnk: Bool
    /// Id of the `<0xNN>` token of each byte (−1 when absent), used for characters without a
    /// piece when `byte_fallback` is on; nil when it is off.
    let byteFallbackIDs: [Int32]?
    /// Vocabulary id of each byte's byte-level character (−1 when absent).
    let byteIDs: [Int32]
    /// Ids of recently seen words: most text repeats a small set of words (as HF's cache).
    let cache = WordCache()

    struct Merge: Sendable { let rank: Int32; let id: Int32 }

    /// `merges`: (left, right, n) in rank order; `mergePath(n)` names merge n in errors (built
    /// only then: a path string per merge costs more than the merge table for 500k merges).
    init(vocab: Vocabulary, merges pairs: [(String, String, Int)], mergePath: (Int) -> String, ignoreMerges: Bool,
         unkToken: String?, byteFallback: Bool = false, fuseUnk: Bool = false) throws {
        var resolved: [(Int32, Int32, Int32)] = []
        resolved.reserveCapacity(pairs.count)
        for (a, b, n) in pairs {
            guard let ia = vocab[a] else { throw TokenizerError.mergeOutOfVocabulary(path: mergePath(n), token: a) }
            guard let ib = vocab[b] else { throw TokenizerError.mergeOutOfVocabulary(path: mergePath(n), token: b) }
            guard let im = vocab.id(concatenating: a, b) else { throw TokenizerError.mergeOutOfVocabulary(path: mergePath(n), token: a + b) }
            resolved.append((Int32(ia), Int32(ib), Int32(im)))
        }
        try self.init(vocab: vocab, resolvedMerges: resolved, ignoreMerges: ignoreMerges, unkToken: unkToken,
                      byteFallback: byteFallback, fuseUnk: fuseUnk)
    }

    /// `merges`: (left id, right id, merged id) in rank order, already checked against `vocab`.
    init(vocab: Vocabulary, resolvedMerges: [(Int32, Int32, Int32)], ignoreMerges: Bool,
         unkToken: String?, byteFallback: Bool, fuseUnk: Bool) throws {
        self.vocab = vocab
        idToToken = vocab.tokens
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(resolvedMerges.count)
        // The first (best-ranked) occurrence of a pair wins, as in a rank map built in order:
        // inserted from the last rank to the first, so earlier ranks overwrite (one hash each).
        for (rank, (ia, ib, im)) in resolvedMerges.enumerated().reversed() {
            let key = UInt64(UInt32(bitPattern: ia)) << 32 | UInt64(UInt32(bitPattern: ib))
            table[key] = Merge(rank: Int32(rank), id: im)
        }
        self.merges = table
        self.ignoreMerges = ignoreMerges
        if let unk = unkToken {
            guard let u = vocab[unk] else { throw TokenizerError.unknownToken(path: "model.unk_token", token: unk) }
            unkID = u
        } else {
            unkID = nil
        }
        byteIDs = ByteLevelMap.byteToScalar.map { s in vocab[String(s)].map(Int32.init) ?? -1 }
        self.fuseUnk = fuseUnk
        byteFallbackIDs = byteFallback ? (0..<256).map { b in vocab[BPEModel.byteToken(UInt8(b))].map(Int32.init) ?? -1 } : nil
    }

    /// The vocabulary spelling of a raw byte under `byte_fallback`: `<0x0A>` (upper-case hex).
    static func byteToken(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF")
        return "<0x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)]) + ">"
    }

    /// Reads a `model` of type `BPE` (TokenizerModel.read dispatches on the type). With `scanned`, the
    /// vocabulary and merges were read from the file's bytes (and are blank in `f`).
    static func read(_ f: JField, scanned: LargeMemberScan? = nil) throws -> BPEModel {
        if let d = f.child("dropout"), case .double(let p) = d.node, p > 0 {
            throw TokenizerError.unsupportedStage(path: d.path, type: "BPE", hint: "dropout makes encoding random; set it to null")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let c = f.child(key), try !c.string().isEmpty {
                throw TokenizerError.unsupportedStage(path: c.path, type: "BPE", hint: "\(key) is not supported")
            }
        }
        if let scanned {
            return try BPEModel(vocab: scanned.vocab, resolvedMerges: scanned.merges,
                                ignoreMerges: try f.bool("ignore_merges", default: false),
                                unkToken: try f.child("unk_token")?.string(),
                                byteFallback: try f.bool("byte_fallback", default: false),
                                fuseUnk: try f.bool("fuse_unk", default: false))
        }
        // Vocabulary and merges are walked as raw JSON values: a key path per entry (JField)
        // would be built 800k times for a Gemma-sized vocabulary; paths are made on error only.
        let v = try f.required("vocab")
        guard case .object(let entries) = v.node else {
            throw TokenizerError.invalidField(path: v.path, expected: "object", actual: v.node.typeName)
        }
        var pieces: [(String, Int)] = []
        pieces.reserveCapacity(entries.count)
        for (token, node) in entries {
            guard case .int(let id) = node else {
                throw TokenizerError.invalidField(path: v.path + "." + token, expected: "integer", actual: node.typeName)
            }
            pieces.append((token, id))
        }
        let vocab = try Vocabulary(pieces) { v.path + "." + $0 }
        guard let m = f.child("merges") else { throw TokenizerError.missingMerges(path: f.path + ".merges") }
        guard case .array(let items) = m.node else {
            throw TokenizerError.invalidField(path: m.path, expected: "array", actual: m.node.typeName)
        }
        let mergePath = { (k: Int) in "\(m.path)[\(k)]" }
        var pairs: [(String, String, Int)] = []
        pairs.reserveCapacity(items.count)
        for (k, item) in items.enumerated() {
            switch item {
            case .string(let s):
                // Legacy "left right" form: split at the first space (tokens never contain one
                // in byte-level vocabularies; GPT-2's spaces are 'Ġ').
                let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(path: mergePath(k), expected: "\"left right\"", actual: "\"\(s)\"")
                }
                pairs.append((String(parts[0]), String(parts[1]), k))
            case .array(let a) where a.count == 2:
                guard case .string(let l) = a[0], case .string(let r) = a[1] else {
                    throw TokenizerError.invalidField(path: mergePath(k), expected: "[string, string]", actual: "array")
                }
                pairs.append((l, r, k))
            default:
                throw TokenizerError.invalidField(path: mergePath(k), expected: "\"left right\" or [left, right]", actual: item.typeName)
            }
        }
        if pairs.isEmpty && vocab.count > 256 { throw TokenizerError.missingMerges(path: m.path) }
        return try BPEModel(vocab: vocab, merges: pairs, mergePath: mergePath,
                            ignoreMerges: try f.bool("ignore_merges", default: false),
                            unkToken: try f.child("unk_token")?.string(),
                            byteFallback: try f.bool("byte_fallback", default: false),
                            fuseUnk: try f.bool("fuse_unk", default: false))
    }

    /// Reads GPT-2's `merges.txt`: an optional "#version" line, then "left right" per line.
    /// Each pair carries its 1-based line number (see `mergesTextPath`).
    static func parseMergesText(_ text: String) throws -> [(String, String, Int)] {
        var pairs: [(String, String, Int)] = []
        // Split on bytes: a Character-level split of a 450 kB file is needlessly slow.
        let lines = Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        pairs.reserveCapacity(lines.count)
        for (k, line) in lines.enumerated() {
            let l = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if l.isEmpty || (k == 0 && l.starts(with: Array("#version".utf8))) { continue }
            let parts = l.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.invalidField(path: "merges.txt line \(k + 1)", expected: "\"left right\"",
                                                  actual: "\"\(String(decoding: l, as: UTF8.self))\"")
            }
            pairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), k + 1))
        }
        if pairs.isEmpty { throw TokenizerError.missingMerges(path: "merges.txt") }
        return pairs
    }

    static func mergesTextPath(_ line: Int) -> String { "merges.txt line \(line)" }

    /// Appends the ids of one pre-tokenized word given as raw UTF-8 bytes (byte-level mode).
    func encodeBytes(_ bytes: ArraySlice<UInt8>, into out: inout [Int]) {
        guard bytes.count <= WordCache.maxWordBytes else { encodeBytesUncached(bytes, into: &out); return }
        let key = Array(bytes)
        if let ids = cache.lookup(key) { out += ids; return }
        let start = out.count
        encodeBytesUncached(bytes, into: &out)
        cache.insert(key, Array(out[start...]))
    }

    private func encodeBytesUncached(_ bytes: ArraySlice<UInt8>, into out: inout [Int]) {
        if ignoreMerges, let id = vocab[ByteLevelMap.encode(bytes)] { out.append(id); return }
        var syms: [Int32] = []
        syms.reserveCapacity(bytes.count)
        for b in bytes {
            let id = byteIDs[Int(b)]
            if id >= 0 { syms.append(id) } else if let u = unkID { syms.append(Int32(u)) }
        }
        merge(&syms, into: &out)
    }

    /// Appends the ids of one word given as characters (non-byte-level vocabularies).
    ///
    /// A character without a piece becomes its bytes' `<0xNN>` tokens under `byte_fallback`
    /// (when all of them exist), else `unk` (several in a row fused into one with `fuse_unk`),
    /// else nothing — Hugging Face's order. As there, a pending `unk` is written only when the
    /// next known piece (or the word's end) arrives, so byte tokens may precede it.
    func encodeCharacters(_ word: Substring, into out: inout [Int]) {
        if ignoreMerges, let id = vocab[String(word)] { out.append(id); return }
        var syms: [Int32] = []
        syms.reserveCapacity(word.unicodeScalars.count)
        var pendingUnk = false
        for s in word.unicodeScalars {
            if let id = vocab[String(s)] {
                if pendingUnk, let u = unkID { syms.append(Int32(u)); pendingUnk = false }
                syms.append(Int32(id))
                continue
            }
            if let table = byteFallbackIDs {
                var bytes: [Int32] = []
                for b in String(s).utf8 { bytes.append(table[Int(b)]) }
                if !bytes.contains(-1) { syms += bytes; continue }
            }
            guard let u = unkID else { continue }
            if pendingUnk && !fuseUnk { syms.append(Int32(u)) }
            pendingUnk = true
        }
        if pendingUnk, let u = unkID { syms.append(Int32(u)) }
        merge(&syms, into: &out)
    }

    @inline(__always)
    private func pairMerge(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Merges in place: ranks[p] is the rank of (syms[p], syms[p+1]); each step merges the
    /// leftmost lowest-ranked pair and refreshes only its two neighbouring pairs.
    private func merge(_ syms: inout [Int32], into out: inout [Int]) {
        if syms.count > BPEModel.heapThreshold {
            mergeWithHeap(syms, into: &out)
            return
        }
        scanMerge(&syms, into: &out)
    }

    func scanMerge(_ syms: inout [Int32], into out: inout [Int]) {
        if syms.count > 1 {
            var ranks = [Int32](repeating: .max, count: syms.count - 1)
            var ids = [Int32](repeating: -1, count: syms.count - 1)
            for p in 0..<(syms.count - 1) {
                if let m = pairMerge(syms[p], syms[p + 1]) { ranks[p] = m.rank; ids[p] = m.id }
            }
            while !ranks.isEmpty {
                var best = Int32.max, pos = -1
                for p in 0..<ranks.count where ranks[p] < best { best = ranks[p]; pos = p }
                if pos < 0 { break }
                syms[pos] = ids[pos]
                syms.remove(at: pos + 1)
                ranks.remove(at: pos)
                ids.remove(at: pos)
                if pos > 0 {
                    let m = pairMerge(syms[pos - 1], syms[pos])
                    ranks[pos - 1] = m?.rank ?? .max
                    ids[pos - 1] = m?.id ?? -1
                }
                if pos < ranks.count {
                    let m = pairMerge(syms[pos], syms[pos + 1])
                    ranks[pos] = m?.rank ?? .max
                    ids[pos] = m?.id ?? -1
                }
            }
        }
        for s in syms { out.append(Int(s)) }
    }
}

extension BPEModel {
    /// Above this many symbols the quadratic scan gives way to a heap (long CJK runs, blobs).
    static let heapThreshold = 96

    /// The same merge order as `merge` — lowest rank, then leftmost — in O(n log n): symbols
    /// in a linked list, candidate pairs in a min-heap keyed (rank, left position). A popped
    /// pair is stale when its left symbol is gone or its current pair has another rank; a
    /// position's pair never recurs (tokens there only grow), so rank equality is enough.
    func mergeWithHeap(_ initial: [Int32], into out: inout [Int]) {
        var ids = initial
        let n = ids.count
        var next = (0..<n).map { Int32($0 + 1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func push(_ p: Int) {
            let q = Int(next[p])
            guard q >= 0, let m = pairMerge(ids[p], ids[q]) else { return }
            heap.push(UInt64(UInt32(m.rank)) << 32 | UInt64(p))
        }
        for p in 0..<(n - 1) { push(p) }
        while let top = heap.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32), p = Int(top & 0xFFFF_FFFF)
            guard alive[p], next[p] >= 0 else { continue }
            let q = Int(next[p])
            guard let m = pairMerge(ids[p], ids[q]), m.rank == rank else { continue }
            ids[p] = m.id
            alive[q] = false
            next[p] = next[q]
            if next[q] >= 0 { prev[Int(next[q])] = Int32(p) }
            if prev[p] >= 0 { push(Int(prev[p])) }
            push(p)
        }
        var p = 0
        while p >= 0 { out.append(Int(ids[p])); p = Int(next[p]) }
    }
}

/// A binary min-heap of packed (rank, position) keys.
struct MinHeap {
    private var a: [UInt64] = []

    mutating func push(_ v: UInt64) {
        a.append(v)
        var i = a.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if a[parent] <= a[i] { break }
            a.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = a.first else { return nil }
        let last = a.removeLast()
        if !a.isEmpty {
            a[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < a.count, a[l] < a[m] { m = l }
                if r < a.count, a[r] < a[m] { m = r }
                if m == i { break }
                a.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}

/// A bounded, lock-protected map from a word's bytes to its ids, shared by copies of a
/// tokenizer (so concurrent encoders stay correct; entries are pure functions of the key).
/// `@unchecked Sendable`: `table` is read and written only while holding `lock`.
final class WordCache: @unchecked Sendable {
    static let maxWordBytes = 64
    static let capacity = 100_000
    private var table: [[UInt8]: [Int]] = [:]
    private let lock = NSLock()

    func lookup(_ key: [UInt8]) -> [Int]? {
        lock.lock(); defer { lock.unlock() }
        return table[key]
    }

    func insert(_ key: [UInt8], _ ids: [Int]) {
        lock.lock(); defer { lock.unlock() }
        if table.count >= WordCache.capacity { table.removeAll(keepingCapacity: true) }
        table[key] = ids
    }
}
