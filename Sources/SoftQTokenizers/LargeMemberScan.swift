import Foundation
import SoftQBase

/// The fast path of loading a tokenizer.json: `model.vocab` (an object of piece → id) and
/// `model.merges` are read straight from the file's bytes into the vocabulary table and the
/// resolved merge list, instead of through a generic JSON tree. For a 262,144-piece vocabulary
/// with 514,906 merges (Gemma 3) the tree holds ~1.3 million strings and half a million arrays,
/// and building it was most of the load time.
///
/// The rest of the file goes through the ordinary parser with those two values blanked out:
/// each is replaced by `null` and spaces of the same length, so every byte offset an error
/// reports is the offset in the real file. The scan accepts only what it fully understands —
/// well-formed JSON, plain integer ids, no duplicate pieces or keys, every merge in the
/// vocabulary — and returns nil on anything else; the caller then loads the file the ordinary
/// way, which reports the problem with its usual typed error, path and position. So hostile
/// input meets exactly the checks it met before, and the scan never decides an error.
struct LargeMemberScan {
    /// The file's bytes with `model.vocab` and `model.merges` blanked out.
    let remainder: Data
    let vocab: Vocabulary
    /// Resolved merges in rank order: (left id, right id, merged id).
    let merges: [(Int32, Int32, Int32)]

    init?(_ data: Data) {
        var bytes = [UInt8](data)
        // UTF-8: every vocabulary piece is checked as it becomes a String; a merge is looked up
        // by its bytes, which match no (valid) piece when they are not valid UTF-8.
        guard let found = bytes.withUnsafeBufferPointer({ ByteScanner.locateModelMembers($0) }),
              found.vocab.count >= 4, found.merges.count >= 4,
              let vocab = bytes.withUnsafeBufferPointer({ ByteScanner.vocabulary($0, found.vocab) }),
              let merges = bytes.withUnsafeBufferPointer({ ByteScanner.merges($0, found.merges, vocab) }),
              !merges.isEmpty
        else { return nil }
        for r in [found.vocab, found.merges] {
            bytes.replaceSubrange(r, with: Array("null".utf8) + [UInt8](repeating: 0x20, count: r.count - 4))
        }
        remainder = Data(bytes)
        self.vocab = vocab
        self.merges = merges
    }
}

/// A forward-only reader over a JSON text's bytes. Every method returns nil (or false) at the
/// first byte it does not accept; none of them throws, since failing only means "use the
/// ordinary parser".
private struct ByteScanner {
    let b: UnsafeBufferPointer<UInt8>
    var i: Int
    let end: Int

    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// The bytes that end a number or a literal (JSON's structural characters and whitespace).
    static let ends: [Bool] = (0..<256).map { "{}[],: \n\r\t\"".utf8.contains(UInt8($0)) }

    /// `bytes` as a String when they are valid UTF-8: decoding replaces every invalid sequence
    /// with U+FFFD, so the bytes survive the round trip exactly when they were valid.
    static func validString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let s = String(decoding: bytes, as: UTF8.self)
        return s.utf8.elementsEqual(bytes) ? s : nil
    }

    mutating func skipWhitespace() {
        while i < end, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func take(_ c: UInt8) -> Bool {
        skipWhitespace()
        guard i < end, b[i] == c else { return false }
        i += 1
        return true
    }

    /// A string at `i` (after whitespace): the range of its contents between the quotes, and
    /// whether it has escapes. Control characters are refused, as JSON requires.
    mutating func stringSpan() -> (Range<Int>, escaped: Bool)? {
        guard take(ByteScanner.quote) else { return nil }
        let start = i
        var escaped = false
        while i < end {
            let c = b[i]
            if c == ByteScanner.quote { i += 1; return (start..<(i - 1), escaped) }
            if c < 0x20 { return nil }
            if c == ByteScanner.backslash { escaped = true; i += 2 } else { i += 1 }
        }
        return nil
    }

    /// The bytes a string stands for: the raw bytes when it has no escape, else the ordinary
    /// parser's decoding of it (escapes are rare in vocabularies: one code path for them).
    func stringBytes(_ span: (Range<Int>, escaped: Bool)) -> [UInt8]? {
        guard span.escaped else { return Array(b[span.0]) }
        return unescaped(span.0)
    }

    /// Calls `body` with the bytes a string stands for, without a copy when it has no escape.
    func withStringBytes<R>(_ span: (Range<Int>, escaped: Bool), _ body: (UnsafeBufferPointer<UInt8>) -> R?) -> R? {
        guard span.escaped else { return body(UnsafeBufferPointer(rebasing: b[span.0])) }
        return unescaped(span.0)?.withUnsafeBufferPointer(body)
    }

    private func unescaped(_ r: Range<Int>) -> [UInt8]? {
        let quoted = String(decoding: b[(r.lowerBound - 1)..<(r.upperBound + 1)], as: UTF8.self)
        guard case .string(let s)? = try? JSONParser.parse(quoted) else { return nil }
        return Array(s.utf8)
    }

    /// A non-negative integer in JSON's form (no leading zeros, no fraction, no exponent) that
    /// fits in Int32.
    mutating func plainInt() -> Int? {
        skipWhitespace()
        let start = i
        var v = 0
        while i < end, b[i] >= 0x30, b[i] <= 0x39 {
            v = v * 10 + Int(b[i] - 0x30)
            guard v < Int(Int32.max) else { return nil }
            i += 1
        }
        guard i > start, !(b[start] == 0x30 && i - start > 1) else { return nil }
        if i < end, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return nil }
        return v
    }

    /// Skips one well-formed value; numbers and literals are checked loosely (the ordinary
    /// parser reads every value skipped here).
    mutating func skipValue(depth: Int = 0) -> Bool {
        skipWhitespace()
        guard i < end, depth < 512 else { return false }
        switch b[i] {
        case ByteScanner.quote: return stringSpan() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = b[i] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            i += 1
            if take(close) { return true }
            while true {
                if isObject { guard stringSpan() != nil, take(UInt8(ascii: ":")) else { return false } }
                guard skipValue(depth: depth + 1) else { return false }
                if take(UInt8(ascii: ",")) { continue }
                return take(close)
            }
        default:
            let start = i
            while i < end, !ByteScanner.ends[Int(b[i])] { i += 1 }
            return i > start
        }
    }

    /// The members of the object at `i`: (key bytes, value range), or nil if malformed.
    mutating func members() -> [([UInt8], Range<Int>)]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var out: [([UInt8], Range<Int>)] = []
        if take(UInt8(ascii: "}")) { return out }
        while true {
            guard let key = stringSpan(), let k = stringBytes(key), take(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            let start = i
            guard skipValue() else { return nil }
            out.append((k, start..<i))
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}")) ? out : nil
        }
    }

    /// The value ranges of `model.vocab` and `model.merges` when the root and `model` are
    /// objects that name each exactly once and `vocab` is an object (a BPE vocabulary).
    static func locateModelMembers(_ b: UnsafeBufferPointer<UInt8>) -> (vocab: Range<Int>, merges: Range<Int>)? {
        var root = ByteScanner(b: b, i: 0, end: b.count)
        guard let top = root.members() else { return nil }
        let models = top.filter { $0.0 == Array("model".utf8) }
        guard models.count == 1 else { return nil }
        var model = ByteScanner(b: b, i: models[0].1.lowerBound, end: models[0].1.upperBound)
        guard let fields = model.members() else { return nil }
        let vocabs = fields.filter { $0.0 == Array("vocab".utf8) }, merges = fields.filter { $0.0 == Array("merges".utf8) }
        guard vocabs.count == 1, merges.count == 1, b[vocabs[0].1.lowerBound] == UInt8(ascii: "{") else { return nil }
        // Only a BPE model (its type written plainly, or absent) has these two members.
        let types = fields.filter { $0.0 == Array("type".utf8) }
        guard types.isEmpty || (types.count == 1 && Array(b[types[0].1]) == Array(#""BPE""#.utf8)) else { return nil }
        return (vocabs[0].1, merges[0].1)
    }

    /// `{"piece": id, …}` as a vocabulary; nil on a duplicate piece or an id that is not a
    /// plain non-negative integer.
    static func vocabulary(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Vocabulary? {
        var s = ByteScanner(b: b, i: r.lowerBound, end: r.upperBound)
        guard s.take(UInt8(ascii: "{")) else { return nil }
        var entries: [(String, Int)] = []
        entries.reserveCapacity(r.count / 12)
        if !s.take(UInt8(ascii: "}")) {
            while true {
                guard let span = s.stringSpan(), let piece = s.withStringBytes(span, validString),
                      s.take(UInt8(ascii: ":")), let id = s.plainInt() else { return nil }
                entries.append((piece, id))
                if s.take(UInt8(ascii: ",")) { continue }
                guard s.take(UInt8(ascii: "}")) else { return nil }
                break
            }
        }
        s.skipWhitespace()
        guard s.i == s.end, let vocab = try? Vocabulary(entries, path: { $0 }), vocab.count == entries.count else { return nil }
        return vocab
    }

    /// `[["a", "b"], …]` or `["a b", …]` resolved against `vocab`; nil when a merge is not of
    /// those forms or names a piece (or a concatenation) the vocabulary lacks.
    static func merges(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ vocab: Vocabulary) -> [(Int32, Int32, Int32)]? {
        var s = ByteScanner(b: b, i: r.lowerBound, end: r.upperBound)
        guard s.take(UInt8(ascii: "[")) else { return nil }
        var out: [(Int32, Int32, Int32)] = []
        out.reserveCapacity(r.count / 16)
        func resolve(_ l: UnsafeBufferPointer<UInt8>, _ r: UnsafeBufferPointer<UInt8>) -> (Int32, Int32, Int32)? {
            let hl = Vocabulary.hash(l)
            guard let a = vocab.id(bytes: l, hash: hl), let c = vocab.id(bytes: r, hash: Vocabulary.hash(r)),
                  let m = vocab.id(concatenating: l, r, hashOfFirst: hl) else { return nil }
            return (Int32(a), Int32(c), Int32(m))
        }
        func resolve(_ left: ArraySlice<UInt8>, _ right: ArraySlice<UInt8>) -> (Int32, Int32, Int32)? {
            left.withUnsafeBufferPointer { l in right.withUnsafeBufferPointer { r in resolve(l, r) } }
        }
        if s.take(UInt8(ascii: "]")) { return out }
        while true {
            let merge: (Int32, Int32, Int32)?
            if s.take(UInt8(ascii: "[")) {
                guard let l = s.stringSpan(), s.take(UInt8(ascii: ",")), let r = s.stringSpan(), s.take(UInt8(ascii: "]"))
                else { return nil }
                merge = s.withStringBytes(l) { left in s.withStringBytes(r) { right in resolve(left, right) } }
            } else {
                // Legacy "left right": split exactly as BPEModel.read does (at the first
                // Character " ", which a combining mark after the space would change).
                guard let span = s.stringSpan(), let text = s.stringBytes(span) else { return nil }
                let parts = String(decoding: text, as: UTF8.self).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { return nil }
                merge = resolve(Array(parts[0].utf8)[...], Array(parts[1].utf8)[...])
            }
            guard let m = merge else { return nil }
            out.append(m)
            if s.take(UInt8(ascii: ",")) { continue }
            guard s.take(UInt8(ascii: "]")) else { return nil }
            s.skipWhitespace()
            return s.i == s.end ? out : nil
        }
    }
}
