import Foundation

/// The `model` stage: byte-pair encoding with ranked merges (Sennrich et al. 2016; GPT-2's
/// byte-level variant, Radford et al. 2019).
///
/// A word starts as one symbol per character (per byte in byte-level mode); the adjacent pair
/// with the lowest merge rank, leftmost on ties, is merged until no pair has a rank — the
/// order Hugging Face's priority queue produces. With `ignore_merges` a word that is itself
/// in the vocabulary becomes that token directly (Llama-3).
struct BPEModel: Sendable {
    let vocab: [String: Int]
    /// Token strings by id (empty string for holes in the id range).
    let idToToken: [String]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: Merge]
    let ignoreMerges: Bool
    let unkID: Int?
    /// Vocabulary id of each byte's byte-level character (−1 when absent).
    let byteIDs: [Int32]
    /// Ids of recently seen words: most text repeats a small set of words (as HF's cache).
    let cache = WordCache()

    struct Merge: Sendable { let rank: Int32; let id: Int32 }

    init(vocab: [String: Int], merges pairs: [(String, String, String)], ignoreMerges: Bool, unkToken: String?) throws {
        self.vocab = vocab
        let size = (vocab.values.max() ?? -1) + 1
        var tokens = [String](repeating: "", count: size)
        for (t, i) in vocab {
            guard i >= 0 else { throw TokenizerError.invalidField(path: "model.vocab.\(t)", expected: "a non-negative id", actual: "\(i)") }
            tokens[i] = t
        }
        idToToken = tokens
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b, path)) in pairs.enumerated() {
            guard let ia = vocab[a] else { throw TokenizerError.mergeOutOfVocabulary(path: path, token: a) }
            guard let ib = vocab[b] else { throw TokenizerError.mergeOutOfVocabulary(path: path, token: b) }
            guard let im = vocab[a + b] else { throw TokenizerError.mergeOutOfVocabulary(path: path, token: a + b) }
            let key = UInt64(ia) << 32 | UInt64(ib)
            // The first (best-ranked) occurrence of a pair wins, as in a rank map built in order.
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), id: Int32(im)) }
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
    }

    /// Reads `model` of a tokenizer.json; only `BPE` is supported.
    static func read(_ f: JField) throws -> BPEModel {
        let type = try f.child("type")?.string() ?? "BPE"
        guard type == "BPE" else {
            throw TokenizerError.unsupportedStage(path: f.path, type: type, hint: "softq implements the BPE model only")
        }
        if let d = f.child("dropout"), case .double(let p) = d.node, p > 0 {
            throw TokenizerError.unsupportedStage(path: d.path, type: "BPE", hint: "dropout makes encoding random; set it to null")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let c = f.child(key), try !c.string().isEmpty {
                throw TokenizerError.unsupportedStage(path: c.path, type: "BPE", hint: "\(key) is not supported")
            }
        }
        if try f.bool("byte_fallback", default: false) {
            throw TokenizerError.unsupportedStage(path: f.path + ".byte_fallback", type: "BPE", hint: "byte_fallback is not supported")
        }
        var vocab: [String: Int] = [:]
        let v = try f.required("vocab").object()
        vocab.reserveCapacity(v.count)
        for (token, idField) in v { vocab[token] = try idField.int() }
        guard let m = f.child("merges") else { throw TokenizerError.missingMerges(path: f.path + ".merges") }
        let items = try m.array()
        var pairs: [(String, String, String)] = []
        pairs.reserveCapacity(items.count)
        for item in items {
            switch item.node {
            case .string(let s):
                // Legacy "left right" form: split at the first space (tokens never contain one
                // in byte-level vocabularies; GPT-2's spaces are 'Ġ').
                let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(path: item.path, expected: "\"left right\"", actual: "\"\(s)\"")
                }
                pairs.append((String(parts[0]), String(parts[1]), item.path))
            case .array(let a) where a.count == 2:
                guard case .string(let l) = a[0], case .string(let r) = a[1] else {
                    throw TokenizerError.invalidField(path: item.path, expected: "[string, string]", actual: "array")
                }
                pairs.append((l, r, item.path))
            default:
                throw TokenizerError.invalidField(path: item.path, expected: "\"left right\" or [left, right]", actual: item.node.typeName)
            }
        }
        if pairs.isEmpty && vocab.count > 256 { throw TokenizerError.missingMerges(path: m.path) }
        return try BPEModel(vocab: vocab, merges: pairs, ignoreMerges: try f.bool("ignore_merges", default: false),
                            unkToken: try f.child("unk_token")?.string())
    }

    /// Reads GPT-2's `merges.txt`: an optional "#version" line, then "left right" per line.
    static func parseMergesText(_ text: String) throws -> [(String, String, String)] {
        var pairs: [(String, String, String)] = []
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
            pairs.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), "merges.txt line \(k + 1)"))
        }
        if pairs.isEmpty { throw TokenizerError.missingMerges(path: "merges.txt") }
        return pairs
    }

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
    func encodeCharacters(_ word: String, into out: inout [Int]) {
        if ignoreMerges, let id = vocab[word] { out.append(id); return }
        var syms: [Int32] = []
        for s in word.unicodeScalars {
            if let id = vocab[String(s)] { syms.append(Int32(id)) } else if let u = unkID { syms.append(Int32(u)) }
        }
        merge(&syms, into: &out)
    }

    @inline(__always)
    private func pairMerge(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Merges in place: ranks[p] is the rank of (syms[p], syms[p+1]); each step merges the
    /// leftmost lowest-ranked pair and refreshes only its two neighbouring pairs.
    private func merge(_ syms: inout [Int32], into out: inout [Int]) {
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

/// A bounded, lock-protected map from a word's bytes to its ids, shared by copies of a
/// tokenizer (so concurrent encoders stay correct; entries are pure functions of the key).
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
